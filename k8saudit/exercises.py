"""One workshop exercise per practice: a broken manifest, its solution, the checks that judge it, what the
fixed manifest must keep, and two hints.

A fix passes when (1) everything the exercise is about is still there and still does its job (the same
objects, containers, images, ports, replicas and pod labels as the broken manifest, plus the exercise's own
needs: the Secret volume, the permission the CI deploys with, ...), and (2) the practice's checks find
nothing. Cutting the manifest down to a bare Namespace therefore fails with "removed Deployment ...".

>>> from k8saudit.exercises import exercise, grade
>>> exercise(8)                               # a ManifestExercise widget: edit, Re-check, Hint, solution
>>> grade(8, EXERCISES[8].solution).passed    # the same judgement without a widget
True
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml

from ._model import pod_spec_keys

if TYPE_CHECKING:
    from .widgets import ManifestExercise

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicaSet", "Pod")
Key = tuple[str, "str | None", str]


class Manifest:
    """The objects of a manifest text, by (kind, namespace, name), read as plain dicts."""

    def __init__(self, text: str) -> None:
        self.objects: dict[Key, dict[str, Any]] = {}
        try:
            docs = list(yaml.safe_load_all(text))
        except yaml.YAMLError:
            docs = []
        for d in docs:
            if isinstance(d, dict) and isinstance(d.get("metadata"), dict):
                meta = d["metadata"]
                self.objects[(str(d.get("kind")), meta.get("namespace"), str(meta.get("name")))] = d

    def get(self, key: Key) -> dict[str, Any] | None:
        return self.objects.get(key)

    def of_kind(self, kind: str) -> Iterator[tuple[Key, dict[str, Any]]]:
        return ((k, o) for k, o in self.objects.items() if k[0] == kind)

    @staticmethod
    def pod_spec(obj: dict[str, Any] | None) -> dict[str, Any]:
        cur: Any = obj
        for k in pod_spec_keys(str((obj or {}).get("kind"))):
            cur = cur.get(k) if isinstance(cur, dict) else None
        return cur if isinstance(cur, dict) else {}

    def pod(self, key: Key) -> dict[str, Any]:
        return self.pod_spec(self.get(key))

    def container(self, key: Key, name: str) -> dict[str, Any] | None:
        for c in self.pod(key).get("containers") or []:
            if isinstance(c, dict) and c.get("name") == name:
                return c
        return None

    def pod_labels(self, key: Key) -> dict[str, Any]:
        obj = self.get(key) or {}
        tmpl = obj.get("spec", {}).get("template", {}) if obj.get("kind") != "Pod" else obj
        if obj.get("kind") == "CronJob":
            tmpl = obj.get("spec", {}).get("jobTemplate", {}).get("spec", {}).get("template", {})
        labels = (tmpl or {}).get("metadata", {}) or {}
        return dict(labels.get("labels") or {}) if isinstance(labels, dict) else {}


@dataclass(frozen=True)
class Need:
    """Something a fix must keep: ``what`` names it, ``test`` finds it in the edited manifest; when it is
    missing the trainee is told ``"{verb} {what}"`` (``removed Deployment workshop/api``)."""

    what: str
    test: Callable[[Manifest], bool]
    verb: str = "removed"

    @property
    def message(self) -> str:
        return f"{self.verb} {self.what}"


def _where(key: Key) -> str:
    return f"{key[0]} {key[1] + '/' if key[1] else ''}{key[2]}"


def _sget(d: Any, *path: str) -> Any:
    for p in path:
        d = d.get(p) if isinstance(d, dict) else None
    return d


def _replicas(obj: dict[str, Any] | None) -> int:
    r = _sget(obj, "spec", "replicas")
    return 0 if obj is None else 1 if r is None else r if isinstance(r, int) else 0


def needs_of(broken: str, replaceable: tuple[str, ...] = ()) -> list[Need]:
    """What every fix of ``broken`` must keep: its objects (but those of a ``replaceable`` kind), their
    containers and images, container ports and volume mounts, replicas, pod labels, and Services' ports and
    selectors."""
    m = Manifest(broken)
    out: list[Need] = []
    for key, obj in m.objects.items():
        if key[0] in replaceable:
            continue
        where = _where(key)
        out.append(Need(where, lambda e, k=key: e.get(k) is not None))
        if key[0] in WORKLOAD_KINDS:
            for c in m.pod(key).get("containers") or []:
                cname, image = c.get("name"), c.get("image")
                out.append(
                    Need(f"container `{cname}` of {where}", lambda e, k=key, n=cname: e.container(k, n) is not None)
                )
                out.append(
                    Need(
                        f"the image of container `{cname}` (it must stay `{image}`)",
                        lambda e, k=key, n=cname, i=image: (e.container(k, n) or {}).get("image") == i,
                        verb="changed",
                    )
                )
                for p in c.get("ports") or []:
                    port = p.get("containerPort")
                    out.append(
                        Need(
                            f"port {port} of container `{cname}` (the app listens on it)",
                            lambda e, k=key, n=cname, pt=port: any(
                                q.get("containerPort") == pt for q in (e.container(k, n) or {}).get("ports") or []
                            ),
                        )
                    )
                for v in c.get("volumeMounts") or []:
                    path = v.get("mountPath")
                    out.append(
                        Need(
                            f"the volume mounted at {path} in container `{cname}`",
                            lambda e, k=key, n=cname, mp=path: any(
                                q.get("mountPath") == mp for q in (e.container(k, n) or {}).get("volumeMounts") or []
                            ),
                        )
                    )
            if key[0] != "Pod" and key[0] not in ("Job", "CronJob", "DaemonSet"):
                want = _sget(obj, "spec", "replicas")
                want = 1 if want is None else int(want)
                out.append(
                    Need(
                        f"replicas of {where} (it must keep serving with at least {want})",
                        lambda e, k=key, r=want: _replicas(e.get(k)) >= r,
                        verb="scaled down the",
                    )
                )
            sel = _sget(obj, "spec", "selector", "matchLabels")
            if sel:
                out.append(
                    Need(
                        f"the selector {sel} of {where} (it finds its pods by it)",
                        lambda e, k=key, s=sel: _sget(e.get(k), "spec", "selector", "matchLabels") == s,
                        verb="changed",
                    )
                )
            labels = m.pod_labels(key)
            if labels:
                out.append(
                    Need(
                        f"the pod labels {labels} of {where} (selectors find its pods by them)",
                        lambda e, k=key, lb=labels: lb.items() <= e.pod_labels(k).items(),
                    )
                )
        elif key[0] == "Service":
            for p in _sget(obj, "spec", "ports") or []:
                pair = (p.get("port"), p.get("targetPort"))
                out.append(
                    Need(
                        f"port {pair[0]} → {pair[1]} of {where} (clients reach the app through it)",
                        lambda e, k=key, pr=pair: any(
                            (q.get("port"), q.get("targetPort")) == pr for q in _sget(e.get(k), "spec", "ports") or []
                        ),
                    )
                )
            sel = _sget(obj, "spec", "selector")
            out.append(
                Need(
                    f"the selector {sel} of {where} (it sends traffic to the app's pods)",
                    lambda e, k=key, s=sel: _sget(e.get(k), "spec", "selector") == s,
                    verb="changed",
                )
            )
    return out


@dataclass(frozen=True)
class Exercise:
    practice: int
    task: str
    broken: str
    solution: str
    checks: tuple[str, ...]
    #: two hints, the second closer to the answer
    hints: tuple[str, str] = ("", "")
    #: what this exercise's fix must have beyond what the broken manifest already has
    needs: tuple[Need, ...] = ()
    #: kinds of the broken manifest a fix may replace (practice 5: a ClusterRole becomes a Role)
    replaceable: tuple[str, ...] = ()
    #: a short title for progress tables
    title: str = field(default="")

    def all_needs(self) -> list[Need]:
        return needs_of(self.broken, self.replaceable) + list(self.needs)


def _deploy(name: str, pod: str, *, ns: str = "workshop", replicas: int = 2, spec: str = "") -> str:
    """A Deployment whose pod spec (``pod``, indented 6 spaces) and extra spec lines are given."""
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {ns}
spec:
  replicas: {replicas}
{spec}  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
{pod}"""


_EX7_BROKEN = (
    """apiVersion: v1
kind: Namespace
metadata:
  name: workshop
---
"""
    + _deploy("api", "      containers:\n      - name: api\n        image: registry.example.com/api:1.4\n")
    + """---
apiVersion: v1
kind: Service
metadata:
  name: api
  namespace: workshop
spec:
  type: NodePort
  selector: {app: api}
  ports:
  - {port: 80, targetPort: 8080}
"""
)

EXERCISES: dict[int, Exercise] = {
    1: Exercise(
        1,
        "The billing service gets its database password as a literal env var and its API token from a "
        "Secret through env. Deliver both as files from a Secret volume instead.",
        _deploy(
            "billing",
            """      containers:
      - name: billing
        image: registry.example.com/billing:2.3
        env:
        - name: DB_PASSWORD
          value: hunter2-workshop
        - name: API_TOKEN
          valueFrom:
            secretKeyRef: {name: billing-api, key: token}
""",
        ),
        _deploy(
            "billing",
            """      containers:
      - name: billing
        image: registry.example.com/billing:2.3
        volumeMounts:
        - {name: credentials, mountPath: /etc/billing/credentials, readOnly: true}
      volumes:
      - name: credentials
        secret:
          secretName: billing-credentials   # holds db-password and api-token
""",
        ),
        ("secret-env-literal", "secret-env-ref", "secret-envfrom"),
    ),
    2: Exercise(
        2,
        "This web frontend never calls the Kubernetes API, yet every pod gets a service account token. "
        "Stop mounting it.",
        _deploy(
            "storefront",
            """      containers:
      - name: web
        image: registry.example.com/storefront:1.0
""",
        ),
        _deploy(
            "storefront",
            """      automountServiceAccountToken: false
      containers:
      - name: web
        image: registry.example.com/storefront:1.0
""",
        ),
        ("authn-sa-token-automount",),
    ),
    3: Exercise(
        3,
        "The container keeps the default capabilities (NET_RAW among them) and adds NET_ADMIN. Drop "
        "everything and add back only NET_BIND_SERVICE (it listens on port 80).",
        _deploy(
            "edge",
            """      containers:
      - name: edge
        image: registry.example.com/edge:4.1
        securityContext:
          capabilities:
            add: [NET_ADMIN, NET_BIND_SERVICE]
""",
        ),
        _deploy(
            "edge",
            """      containers:
      - name: edge
        image: registry.example.com/edge:4.1
        securityContext:
          capabilities:
            drop: [ALL]
            add: [NET_BIND_SERVICE]
""",
        ),
        ("cap-net-raw", "cap-dangerous-add"),
    ),
    4: Exercise(
        4,
        "A metrics sidecar was given the node's network and PID namespaces and a host port. It only "
        "needs its own pod: remove them.",
        _deploy(
            "metrics",
            """      hostNetwork: true
      hostPID: true
      containers:
      - name: metrics
        image: registry.example.com/metrics:0.9
        ports:
        - {containerPort: 9100, hostPort: 9100}
""",
        ),
        _deploy(
            "metrics",
            """      containers:
      - name: metrics
        image: registry.example.com/metrics:0.9
        ports:
        - {containerPort: 9100}
""",
        ),
        ("host-network", "host-pid", "host-ipc", "host-port"),
    ),
    5: Exercise(
        5,
        "The CI deployer may do anything to anything, everywhere. It only updates Deployments in the "
        "namespace `shop`: grant exactly that.",
        """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: ci-deployer
rules:
- apiGroups: ["*"]
  resources: ["*"]
  verbs: ["*"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: ci-deployer
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ci-deployer}
subjects:
- {kind: ServiceAccount, name: deployer, namespace: ci}
""",
        """apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: ci-deployer
  namespace: shop
rules:
- apiGroups: [apps]
  resources: [deployments]
  verbs: [get, list, watch, update, patch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: ci-deployer
  namespace: shop
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: ci-deployer}
subjects:
- {kind: ServiceAccount, name: deployer, namespace: ci}
""",
        (
            "rbac-cluster-admin",
            "rbac-wildcard",
            "rbac-clusterwide-binding",
            "rbac-secrets-read",
            "rbac-escalation",
            "rbac-anonymous-binding",
        ),
    ),
    6: Exercise(
        6,
        "Make the root filesystem read-only. The app writes temporary files to /tmp: give it a "
        "small writable emptyDir there.",
        _deploy(
            "reports",
            """      containers:
      - name: reports
        image: registry.example.com/reports:3.2
""",
        ),
        _deploy(
            "reports",
            """      containers:
      - name: reports
        image: registry.example.com/reports:3.2
        securityContext:
          readOnlyRootFilesystem: true
        volumeMounts:
        - {name: tmp, mountPath: /tmp}
      volumes:
      - name: tmp
        emptyDir: {sizeLimit: 64Mi}
""",
        ),
        ("rootfs-writable",),
    ),
    7: Exercise(
        7,
        "Any pod in the cluster can reach this namespace's pods, and the Service is open on every node. "
        "Add a default-deny NetworkPolicy and make the Service internal (ClusterIP).",
        _EX7_BROKEN,
        _EX7_BROKEN.replace("type: NodePort", "type: ClusterIP")
        + """---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: workshop
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
""",
        ("net-no-policy", "net-no-default-deny", "svc-nodeport", "svc-lb-open"),
    ),
    8: Exercise(
        8,
        "This container runs privileged, as root. Make it unprivileged, block privilege escalation "
        "and run it as user 10001.",
        _deploy(
            "legacy-app",
            """      containers:
      - name: app
        image: registry.example.com/legacy-app:7
        securityContext:
          privileged: true
          runAsUser: 0
""",
        ),
        _deploy(
            "legacy-app",
            """      containers:
      - name: app
        image: registry.example.com/legacy-app:7
        securityContext:
          privileged: false
          allowPrivilegeEscalation: false
          runAsNonRoot: true
          runAsUser: 10001
""",
        ),
        ("privileged", "priv-escalation", "run-as-root"),
    ),
    9: Exercise(
        9,
        "Someone unmasked /proc while debugging a sandbox. Restore the default, masked /proc.",
        _deploy(
            "sandbox",
            """      hostUsers: false
      containers:
      - name: sandbox
        image: registry.example.com/sandbox:1.0
        securityContext:
          procMount: Unmasked
""",
        ),
        _deploy(
            "sandbox",
            """      hostUsers: false
      containers:
      - name: sandbox
        image: registry.example.com/sandbox:1.0
        securityContext:
          procMount: Default
""",
        ),
        ("proc-mount-unmasked",),
    ),
    10: Exercise(
        10,
        "Every release of the checkout service is an outage: one replica, Recreate, no readiness "
        "probe, no disruption budget. Make updates and node drains keep it serving.",
        _deploy(
            "checkout",
            """      containers:
      - name: checkout
        image: registry.example.com/checkout:5.0
""",
            replicas=1,
            spec="  strategy:\n    type: Recreate\n",
        ),
        _deploy(
            "checkout",
            """      containers:
      - name: checkout
        image: registry.example.com/checkout:5.0
        readinessProbe:
          httpGet: {path: /healthz/ready, port: 8080}
          periodSeconds: 5
""",
            replicas=3,
            spec="  strategy:\n    type: RollingUpdate\n    rollingUpdate: {maxUnavailable: 0, maxSurge: 1}\n",
        )
        + """---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: checkout
  namespace: workshop
spec:
  maxUnavailable: 1
  selector:
    matchLabels: {app: checkout}
""",
        (
            "rollout-recreate",
            "rollout-max-unavailable",
            "rollout-single-replica",
            "rollout-no-readiness",
            "rollout-no-pdb",
            "rollout-ondelete",
        ),
    ),
}

# ---------------------------------------------------------------------- what each exercise needs beyond its objects


def _mounts_secret(key: Key, container: str) -> Callable[[Manifest], bool]:
    def test(m: Manifest) -> bool:
        secret_vols = {
            v.get("name") for v in m.pod(key).get("volumes") or [] if isinstance(v, dict) and v.get("secret")
        }
        mounts = {
            v.get("name")
            for v in (m.container(key, container) or {}).get("volumeMounts") or []
            if isinstance(v, dict) and v.get("mountPath")
        }
        return bool(secret_vols & mounts)

    return test


def _writable_at(key: Key, container: str, path: str) -> Callable[[Manifest], bool]:
    def test(m: Manifest) -> bool:
        vols = {v.get("name"): v for v in m.pod(key).get("volumes") or [] if isinstance(v, dict)}
        for mnt in (m.container(key, container) or {}).get("volumeMounts") or []:
            vol = vols.get(mnt.get("name")) or {}
            if mnt.get("mountPath") == path and not mnt.get("readOnly") and ("emptyDir" in vol or "ephemeral" in vol):
                return True
        return False

    return test


def _adds_cap(key: Key, container: str, cap: str) -> Callable[[Manifest], bool]:
    return lambda m: cap in (_sget(m.container(key, container), "securityContext", "capabilities", "add") or [])


def _runs_as(key: Key, container: str, uid: int) -> Callable[[Manifest], bool]:
    def test(m: Manifest) -> bool:
        own = _sget(m.container(key, container), "securityContext", "runAsUser")
        return (own if own is not None else _sget(m.pod(key), "securityContext", "runAsUser")) == uid

    return test


def _rule_allows(rule: dict[str, Any], group: str, resource: str, verbs: set[str]) -> bool:
    return (
        bool({group, "*"} & set(rule.get("apiGroups") or []))
        and bool({resource, "*"} & set(rule.get("resources") or []))
        and bool((verbs | {"*"}) & set(rule.get("verbs") or []))
    )


def _sa_can(
    sa_ns: str, sa: str, namespace: str, group: str, resource: str, verbs: set[str]
) -> Callable[[Manifest], bool]:
    """A binding in the manifest gives ServiceAccount sa_ns/sa one of ``verbs`` on group/resource in ``namespace``."""

    def test(m: Manifest) -> bool:
        for (kind, ns, _), b in m.objects.items():
            if kind not in ("RoleBinding", "ClusterRoleBinding") or (kind == "RoleBinding" and ns != namespace):
                continue
            if not any(
                isinstance(s, dict)
                and s.get("kind") == "ServiceAccount"
                and s.get("name") == sa
                and s.get("namespace", ns) == sa_ns
                for s in b.get("subjects") or []
            ):
                continue
            ref = b.get("roleRef") or {}
            if ref.get("apiGroup") != "rbac.authorization.k8s.io":
                continue
            role = m.get((str(ref.get("kind")), ns if ref.get("kind") == "Role" else None, str(ref.get("name"))))
            if role and any(
                isinstance(r, dict) and _rule_allows(r, group, resource, verbs) for r in role.get("rules") or []
            ):
                return True
        return False

    return test


def _probes(key: Key, container: str) -> Callable[[Manifest], bool]:
    def test(m: Manifest) -> bool:
        probe = _sget(m.container(key, container), "readinessProbe") or {}
        return (
            bool(_sget(probe, "httpGet", "port"))
            or bool(_sget(probe, "tcpSocket", "port"))
            or bool(_sget(probe, "exec", "command"))
            or bool(_sget(probe, "grpc", "port"))
        )

    return test


def _pod_field(key: Key, name: str, value: object) -> Callable[[Manifest], bool]:
    return lambda m: m.get(key) is not None and m.pod(key).get(name) == value


_W = "workshop"
_EXTRAS: dict[int, dict[str, Any]] = {
    1: {
        "title": "Secrets as files",
        "hints": (
            "Both variables must go from `env`: `DB_PASSWORD` is a literal, `API_TOKEN` comes from a Secret. "
            "The app can read its credentials from files instead.",
            "Delete the whole `env:` list; add a `volumes:` entry of type `secret:` to the pod spec and a "
            "read-only `volumeMounts:` entry for it in the container.",
        ),
        "needs": (
            Need(
                "a Secret volume mounted in container `billing` (the credentials must still reach the app, as files)",
                _mounts_secret(("Deployment", _W, "billing"), "billing"),
                verb="missing",
            ),
        ),
    },
    2: {
        "title": "No token where none is needed",
        "hints": (
            "The token comes with the pod's service account; one pod-spec field turns its mounting off.",
            "Add `automountServiceAccountToken: false` to the pod spec, beside `containers:`.",
        ),
    },
    3: {
        "title": "Drop ALL capabilities",
        "hints": (
            "`drop` removes capabilities, `add` grants them. NET_ADMIN is dangerous; NET_RAW stays in the "
            "runtime's default set until it is dropped.",
            "In the container's `securityContext.capabilities`: `drop: [ALL]` and `add: [NET_BIND_SERVICE]`.",
        ),
        "needs": (
            Need(
                "NET_BIND_SERVICE from container `edge` (it listens on port 80)",
                _adds_cap(("Deployment", _W, "edge"), "edge", "NET_BIND_SERVICE"),
            ),
        ),
    },
    4: {
        "title": "The pod's own namespaces",
        "hints": (
            "Three settings reach into the node: two fields of the pod spec and one field of the container's port.",
            "Delete `hostNetwork: true`, `hostPID: true` and `hostPort: 9100` (keep `containerPort: 9100`).",
        ),
    },
    5: {
        "title": "Least privilege for the CI",
        "hints": (
            "A ClusterRoleBinding grants its role in every namespace, and `*` means every group, resource and verb.",
            "Use a Role and a RoleBinding in namespace `shop` with one rule: apiGroups `[apps]`, resources "
            "`[deployments]`, verbs `[get, list, watch, update, patch]`; keep the subject.",
        ),
        "replaceable": ("ClusterRole", "ClusterRoleBinding"),
        "needs": (
            Need(
                "the permission the CI deploys with: ServiceAccount ci/deployer must still update "
                "Deployments (apps) in namespace shop",
                _sa_can("ci", "deployer", "shop", "apps", "deployments", {"update", "patch"}),
            ),
        ),
    },
    6: {
        "title": "Read-only root filesystem",
        "hints": (
            "One `securityContext` field makes the root filesystem read-only; the app then needs another "
            "place to write /tmp.",
            "Set `readOnlyRootFilesystem: true` and mount an `emptyDir` volume at `/tmp`.",
        ),
        "needs": (
            Need(
                "a writable volume at /tmp in container `reports` (the app writes temporary files there)",
                _writable_at(("Deployment", _W, "reports"), "reports", "/tmp"),
                verb="missing",
            ),
        ),
    },
    7: {
        "title": "Default deny, internal Service",
        "hints": (
            "A NetworkPolicy whose `podSelector` is empty selects every pod of its namespace; listing a "
            "policy type without rules denies that direction.",
            "Change the Service's `type` to `ClusterIP`; add a NetworkPolicy `default-deny` in `workshop` "
            "with `podSelector: {}` and `policyTypes: [Ingress, Egress]`.",
        ),
    },
    8: {
        "title": "Unprivileged, not root",
        "hints": (
            "Three things in the container's `securityContext`: privileged mode, privilege escalation and "
            "the user it runs as.",
            "`privileged: false`, `allowPrivilegeEscalation: false`, `runAsNonRoot: true`, `runAsUser: 10001`.",
        ),
        "needs": (
            Need(
                "user 10001 (the task: run it as user 10001)",
                _runs_as(("Deployment", _W, "legacy-app"), "app", 10001),
                verb="missing",
            ),
        ),
    },
    9: {
        "title": "Masked /proc",
        "hints": (
            "The field is in the container's `securityContext`; its default value keeps /proc masked.",
            "Set `procMount: Default` (or delete the line); keep `hostUsers: false`.",
        ),
        "needs": (
            Need(
                "`hostUsers: false` of Deployment workshop/sandbox (the sandbox keeps its own user namespace)",
                _pod_field(("Deployment", _W, "sandbox"), "hostUsers", False),
            ),
        ),
    },
    10: {
        "title": "Updates without an outage",
        "hints": (
            "Four things: more than one replica, a rolling update that never takes a serving pod down "
            "first, a readiness probe so traffic waits for new pods, and a disruption budget for node drains.",
            "`replicas: 3`; `strategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 0, maxSurge: 1}}`; "
            "a `readinessProbe` (httpGet `/healthz/ready` on 8080); a PodDisruptionBudget selecting "
            "`app: checkout` with `maxUnavailable: 1`.",
        ),
        "needs": (
            Need(
                "what the readiness probe checks: container `checkout` needs a probe that probes something "
                "(httpGet or tcpSocket with a port, exec with a command, or grpc)",
                _probes(("Deployment", _W, "checkout"), "checkout"),
                verb="missing",
            ),
        ),
    },
}
EXERCISES = {p: replace(ex, **_EXTRAS.get(p, {})) for p, ex in EXERCISES.items()}


@dataclass
class Grade:
    """The judgement of one attempt: what could not be read, what was removed that must stay, what still fails."""

    practice: int
    loaded: int
    problems: list[str]
    missing: list[str]
    findings: pd.DataFrame

    @property
    def passed(self) -> bool:
        return self.loaded > 0 and not self.problems and not self.missing and self.findings.empty


def grade(practice: int, text: str, *, exercise: Exercise | None = None) -> Grade:
    """Judge ``text`` as a fix of the exercise of ``practice`` (or of ``exercise``)."""
    from .findings import audit, empty_findings
    from .notebook import open_source

    ex = exercise or EXERCISES[practice]
    with tempfile.TemporaryDirectory(prefix="k8saudit-exercise-") as tmp:
        path = Path(tmp) / "exercise.yaml"
        path.write_text(text)
        snap = open_source(str(path))
    problems = [str(r) for r in snap.skipped["reason"].head(3)] if len(snap.skipped) else []
    # nothing to audit is said by the widget; audit() refuses a snapshot with no object
    f = (
        audit(snap, practices=[ex.practice], checks=list(ex.checks) or None, default_exemptions=False)
        if len(snap)
        else empty_findings()
    )
    missing = [] if problems or not len(snap) else [n.message for n in ex.all_needs() if not n.test(Manifest(text))]
    return Grade(ex.practice, len(snap), problems, missing, f)


def exercise(practice: int) -> ManifestExercise:
    """The exercise of a practice (1-10) as a widget."""
    from .widgets import ManifestExercise

    return ManifestExercise.of(EXERCISES[practice])
