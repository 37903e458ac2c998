"""``fix_for(finding)``: the change that resolves one finding, as YAML at the right path.

Workload and container findings get a strategic-merge patch (``kubectl patch
--patch-file``) whose path follows the kind (``spec.template.spec`` for a
Deployment, ``spec.jobTemplate.spec.template.spec`` for a CronJob, ``spec`` for
a Pod) and the container's list (``containers``, ``initContainers``,
``ephemeralContainers``). Cluster settings get the manifest fragment to edit, or
the command to run. Given the snapshot, the fix uses what is there (the Secret
names, the capabilities to keep, the pod labels).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import yaml

from ._model import pod_spec_keys
from .checks import CHECKS
from .checks.p03_capabilities import DANGEROUS_CAPABILITIES
from .checks.p04_host_namespaces import sensitive_host_path
from .checks.p05_rbac import PUBLIC_GROUPS
from .snapshot import Snapshot

Row = Mapping[str, Any]
_LISTS = {"container": "containers", "init": "initContainers", "ephemeral": "ephemeralContainers"}
_PLURAL = {"Deployment": "deployment", "StatefulSet": "statefulset", "DaemonSet": "daemonset", "Job": "job",
           "CronJob": "cronjob", "ReplicaSet": "replicaset", "ReplicationController": "replicationcontroller",
           "Pod": "pod", "Service": "service", "Namespace": "namespace", "ConfigMap": "configmap"}


def _s(v: Any) -> str | None:
    return None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v)


def _true(v: Any) -> bool:
    return v is not None and v is not pd.NA and bool(v)


def _dump(doc: Any) -> str:
    return yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, width=100).rstrip() + "\n"


def pod_path(kind: str) -> list[str]:
    """Keys from the object's root to its pod spec."""
    return list(pod_spec_keys(kind))


def _nest(path: list[str], leaf: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = leaf
    for key in reversed(path):
        out = {key: out}
    return out


class _Ctx:
    """One finding and what the snapshot knows about its object."""

    def __init__(self, f: Row, snap: Snapshot | None) -> None:
        self.f, self.snap = f, snap
        self.check = str(f["check_id"])
        self.kind = _s(f.get("kind")) or "?"
        self.ns = _s(f.get("namespace"))
        self.name = _s(f.get("name")) or "?"
        self.container = _s(f.get("container"))

    def _rows(self, frame: str) -> pd.DataFrame:
        if self.snap is None:
            return pd.DataFrame()
        df = self.snap.frame(frame)
        m = (df["kind"] == self.kind) & (df["name"] == self.name)
        m &= (df["namespace"] == self.ns) if self.ns is not None else df["namespace"].isna()
        if self.container is not None and "container" in df.columns:
            m &= df["container"] == self.container
        return df[m.fillna(False).astype(bool)]

    @property
    def container_row(self) -> Row | None:
        rows = self._rows("containers")
        return rows.iloc[0] if len(rows) else None

    @property
    def list_key(self) -> str:
        row = self.container_row
        return _LISTS.get(str(row["container_type"]) if row is not None else "container", "containers")

    def header(self, how: str | None = None) -> str:
        where = f"{self.ns}/{self.name}" if self.ns else self.name
        line = f"# {self.check}: {self.kind} {where}" + (f", container {self.container}" if self.container else "")
        if how is None and self.kind in _PLURAL:
            ns = f" -n {self.ns}" if self.ns else ""
            how = f"kubectl{ns} patch {_PLURAL[self.kind]} {self.name} --patch-file fix.yaml"
            if self.kind == "Pod":
                how = "edit the Pod's manifest and recreate the Pod (pod specs are mostly immutable)"
        return line + "\n" + (f"# apply: {how}\n" if how else "")

    def pod(self, leaf: dict[str, Any], how: str | None = None) -> str:
        return self.header(how) + _dump(_nest(pod_path(self.kind), leaf))

    def container_patch(self, fields: dict[str, Any], pod_extra: dict[str, Any] | None = None) -> str:
        c = {"name": self.container or "<container>", **fields}
        return self.pod({self.list_key: [c], **(pod_extra or {})})

    def security(self, ctx: dict[str, Any]) -> str:
        return self.container_patch({"securityContext": ctx})


def _caps(c: _Ctx) -> str:
    row = c.container_row
    keep = [] if row is None else [x for x in (row["caps_add"] or []) if x not in DANGEROUS_CAPABILITIES and x != "NET_RAW"]
    caps: dict[str, Any] = {"drop": ["ALL"]}
    if keep:
        caps["add"] = sorted(keep)
    sc: dict[str, Any] = {"capabilities": caps}
    if row is not None and _true(row["privileged"]):
        sc["privileged"] = False
    return c.security(sc)


def _secrets(c: _Ctx) -> str:
    names: list[str] = []
    env_vars: list[str] = []
    rows = c._rows("env")
    if len(rows):
        refs = rows[rows["source"].isin(["secret_key_ref", "env_from_secret"]).fillna(False).astype(bool)]
        names = sorted({str(x) for x in refs["secret_name"].dropna()})
        env_vars = [str(v) for v in refs["var"] if v]
    if c.check == "secret-env-literal":
        var = str(c.f.get("evidence") or "").replace("env ", "").split("=")[0] or "<VAR>"
        secret = f"{c.name}-credentials"
        new = _dump({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": secret, "namespace": c.ns},
                     "type": "Opaque", "stringData": {var.lower(): "<from your secret store; rotate the old value>"}})
        names, env_vars = [secret], [var]
        ns = f" -n {c.ns}" if c.ns else ""
        pre = (f"# 1. create the Secret (kubectl apply), rotating the leaked value:\n{new}---\n"
               f"# 2. mount it: kubectl{ns} patch {_PLURAL.get(c.kind, c.kind.lower())} {c.name} --patch-file fix.yaml\n")
    else:
        pre = ""
    names = names or ["<secret-name>"]
    mounts = [{"name": f"secret-{n}", "mountPath": f"/etc/secrets/{n}", "readOnly": True} for n in names]
    volumes = [{"name": f"secret-{n}", "secret": {"secretName": n}} for n in names]
    drop = (f"# remove from env/envFrom: {', '.join(env_vars) or 'the envFrom secretRef'}; the app reads "
            f"/etc/secrets/<secret>/<key> instead\n")
    return c.header(how="" if pre else None) + pre + drop + _dump(_nest(pod_path(c.kind), {
        c.list_key: [{"name": c.container or "<container>", "volumeMounts": mounts}], "volumes": volumes}))


def _apiserver(flag_line: str, note: str) -> Callable[[_Ctx], str]:
    def fix(c: _Ctx) -> str:
        body = _dump({"spec": {"containers": [{"name": "kube-apiserver", "command": ["kube-apiserver", flag_line]}]}})
        return (f"# {c.check}: kube-apiserver ({c.name})\n# edit /etc/kubernetes/manifests/kube-apiserver.yaml on the "
                f"control-plane node; the kubelet restarts the API server\n# {note}\n" + body)
    return fix


def _rbac_subjects(c: _Ctx) -> tuple[str, list[dict[str, Any]]]:
    role, subjects = "<role>", [{"kind": "Group", "name": "<who>", "apiGroup": "rbac.authorization.k8s.io"}]
    if c.snap is not None:
        r = c.snap.rbac
        rows = r[(r["binding"] == c.name) & (r["binding_kind"] == c.kind)]
        if len(rows):
            role = str(rows["role"].iloc[0])
            subjects = []
            for kind, name, sns in rows[["subject_kind", "subject", "subject_namespace"]].drop_duplicates().itertuples(index=False):
                s: dict[str, Any] = {"kind": str(kind), "name": str(name)}
                if kind == "ServiceAccount":
                    s["namespace"] = str(sns)
                else:
                    s["apiGroup"] = "rbac.authorization.k8s.io"
                subjects.append(s)
    return role, subjects


def _namespaced_binding(c: _Ctx, role: str | None = None, note: str = "") -> str:
    bound, subjects = _rbac_subjects(c)
    if any(s["name"] in PUBLIC_GROUPS for s in subjects):
        return FIXES["rbac-anonymous-binding"](c)
    ns = next((s["namespace"] for s in subjects if s["kind"] == "ServiceAccount"), c.ns or "<namespace>")
    doc = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
           "metadata": {"name": c.name, "namespace": ns},
           "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role or bound},
           "subjects": subjects}
    scope = "-n " + c.ns + " " if c.ns else ""
    return (f"# {c.check}: {c.kind} {c.name}\n# grant it in the one namespace that needs it, then: "
            f"kubectl {scope}delete {c.kind.lower()} {c.name}\n" + (f"# {note}\n" if note else "") + _dump(doc))


def _default_deny(c: _Ctx) -> str:
    ns = c.ns or c.name
    doc = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "default-deny", "namespace": ns},
           "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}
    return (f"# {c.check}: namespace {ns}\n# apply: kubectl apply -f fix.yaml, then allow the flows each app needs "
            "(and DNS egress) with narrower policies\n" + _dump(doc))


def _pod_labels(c: _Ctx) -> dict[str, Any]:
    """The workload's selector labels (else its pod labels, else ``app: <name>``)."""
    rows = c._rows("workloads")
    if len(rows):
        sel = rows["selector"].iloc[0] or {}
        return dict(sel.get("match_labels") or {}) or dict(rows["pod_labels"].iloc[0] or {}) or {"app": c.name}
    return {"app": c.name}


def _pdb(c: _Ctx) -> str:
    labels = _pod_labels(c)
    doc = {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": c.name, "namespace": c.ns},
           "spec": {"maxUnavailable": 1, "selector": {"matchLabels": labels}}}
    return f"# {c.check}: {c.kind} {c.ns}/{c.name}\n# apply: kubectl apply -f fix.yaml\n" + _dump(doc)


def _strategy(c: _Ctx) -> str:
    if c.kind == "Deployment":
        spec = {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}}
    else:
        spec = {"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}}}
    return c.header() + _dump({"spec": spec})


def _host_paths(c: _Ctx) -> str:
    """Delete the hostPath volumes (strategic merge ``$patch: delete``) and their mounts; say what to use instead."""
    vols = c._rows("volumes")
    sensitive = c.check == "host-path-sensitive"
    names = [] if vols.empty else [str(v) for v, p in zip(vols["volume"], vols["host_path"])
                                   if isinstance(p, str) and (sensitive_host_path(p) is not None) == sensitive]
    if not names:
        names = ["<volume>"]
    note = ("# then remove the volumeMounts of these volumes from each container; give the workload an emptyDir,\n"
            "# a ConfigMap/Secret or a PersistentVolumeClaim instead (or exempt a node agent explicitly)\n")
    return c.header() + note + _dump(_nest(pod_path(c.kind), {
        "volumes": [{"name": n, "$patch": "delete"} for n in names]}))


def _pin_image(c: _Ctx) -> str:
    row = c.container_row
    image = _s(row["image"]) if row is not None else None
    repo = "<image>"
    if image:
        repo = image.split("@", 1)[0]
        last = repo.rsplit("/", 1)
        if ":" in last[-1]:
            repo = repo[: len(repo) - len(last[-1]) + last[-1].index(":")]
    return c.header() + "# find the digest: crane digest " + repo + ":<version>\n" + _dump(_nest(pod_path(c.kind), {
        c.list_key: [{"name": c.container or "<container>", "image": f"{repo}:<version>@sha256:<digest>"}]}))


def _comment(*lines: str) -> Callable[[_Ctx], str]:
    return lambda c: c.header(how="") + "".join(f"# {line.format(c=c)}\n" for line in lines)


FIXES: dict[str, Callable[[_Ctx], str]] = {
    "privileged": lambda c: c.security({"privileged": False}),
    "priv-escalation": lambda c: c.security({"allowPrivilegeEscalation": False} | (
        {"privileged": False} if (c.container_row is not None and _true(c.container_row["privileged"])) else {})),
    "run-as-root": lambda c: c.security({"runAsNonRoot": True, "runAsUser": 10001}),
    "rootfs-writable": lambda c: c.container_patch(
        {"securityContext": {"readOnlyRootFilesystem": True}, "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}]},
        {"volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}]}),
    "cap-net-raw": _caps,
    "cap-dangerous-add": _caps,
    "proc-mount-unmasked": lambda c: c.security({"procMount": "Default"}),
    "host-path-sensitive": _host_paths,
    "host-path-volume": _host_paths,
    "seccomp-unconfined": lambda c: c.header() + _dump(_nest(pod_path(c.kind), {
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
        c.list_key: [{"name": c.container or "<container>",
                      "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}}]})),
    "seccomp-not-set": lambda c: c.pod({"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}}),
    "apparmor-unconfined": lambda c: c.security({"appArmorProfile": {"type": "RuntimeDefault"}}),
    "image-mutable-tag": _pin_image,
    "host-ipc": lambda c: c.pod({"hostIPC": False}),
    "host-pid": lambda c: c.pod({"hostPID": False}),
    "host-network": lambda c: c.pod({"hostNetwork": False}),
    "host-port": lambda c: c.header(how="") + (
        "# remove `hostPort` from the container's ports (keep containerPort) and reach the pods through a Service:\n"
        + _dump({"apiVersion": "v1", "kind": "Service", "metadata": {"name": c.name, "namespace": c.ns},
                 "spec": {"selector": _pod_labels(c), "ports": [{"port": 80, "targetPort": "<containerPort>"}]}})),
    "authn-sa-token-automount": lambda c: c.pod({"automountServiceAccountToken": False}),
    "rollout-no-readiness": lambda c: c.container_patch(
        {"readinessProbe": {"httpGet": {"path": "/healthz/ready", "port": 8080}, "periodSeconds": 5}}),
    "rollout-recreate": _strategy,
    "rollout-max-unavailable": _strategy,
    "rollout-ondelete": _strategy,
    "rollout-single-replica": lambda c: c.header() + _dump({"spec": {"replicas": 2}}),
    "rollout-no-pdb": _pdb,
    "secret-env-ref": _secrets,
    "secret-envfrom": _secrets,
    "secret-env-literal": _secrets,
    "secret-configmap-credential": _comment(
        "move the key into a Secret (rotate the value: it has been exposed), mount that Secret as a file,",
        "then remove the key: kubectl -n {c.ns} edit configmap {c.name}"),
    "psa-not-enforced": lambda c: (f"# {c.check}: namespace {c.name}\n# apply: kubectl label namespace {c.name} "
                                   "pod-security.kubernetes.io/enforce=baseline (or use this patch)\n"
                                   + _dump({"metadata": {"labels": {"pod-security.kubernetes.io/enforce": "baseline",
                                                                    "pod-security.kubernetes.io/warn": "restricted",
                                                                    "pod-security.kubernetes.io/audit": "restricted"}}})),
    "net-no-policy": _default_deny,
    "net-no-default-deny": _default_deny,
    "svc-nodeport": lambda c: c.header() + "# and publish it through an Ingress or Gateway\n" + _dump({"spec": {"type": "ClusterIP"}}),
    "svc-lb-open": lambda c: c.header() + _dump({"spec": {"loadBalancerSourceRanges": ["<office or VPN CIDR, e.g. 203.0.113.0/24>"]}}),
    "node-external-ip": _comment("move node {c.name} to a private subnet (no public IP), or firewall its public",
                                 "address so only load balancers and a bastion reach it"),
    "authn-anonymous": _apiserver("--anonymous-auth=false", "health checks that relied on anonymous access need credentials"),
    "authn-token-file": _apiserver("--oidc-issuer-url=https://issuer.example.com",
                                   "delete the --token-auth-file line; people sign in through the identity provider"),
    "authn-basic-auth-file": _apiserver("--oidc-issuer-url=https://issuer.example.com", "delete the --basic-auth-file line"),
    "authn-no-external-idp": _apiserver("--oidc-issuer-url=https://issuer.example.com",
                                        "also --oidc-client-id, --oidc-username-claim=email, --oidc-groups-claim=groups"),
    "rbac-abac-enabled": _apiserver("--authorization-mode=Node,RBAC", "no ABAC, no AlwaysAllow"),
    "apiserver-insecure-port": _apiserver("--insecure-port=0", "and delete --insecure-bind-address; then upgrade"),
    "authn-kubeconfig-static": lambda c: (f"# {c.check}: kubeconfig user {c.name}\n# replace the stored token/key "
                                          "with an exec plugin that fetches short-lived credentials\n" + _dump(
        {"users": [{"name": c.name, "user": {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1", "command": "kubectl",
            "args": ["oidc-login", "get-token", "--oidc-issuer-url=https://issuer.example.com", "--oidc-client-id=kubernetes"]}}}]})),
    "authn-legacy-sa-token-secret": _comment("kubectl -n {c.ns} delete secret {c.name}",
                                             "where a token is needed: kubectl create token <service-account> --duration=1h"),
    "rbac-anonymous-binding": _comment("kubectl delete {c.kind} {c.name}   # nobody anonymous needs these permissions"),
    "rbac-cluster-admin": lambda c: _namespaced_binding(c, "admin", "cluster-admin replaced by `admin` in one namespace"),
    "rbac-clusterwide-binding": lambda c: _namespaced_binding(c),
    "rbac-wildcard": _comment("list the resources and verbs the subject uses instead of *, e.g. rules:",
                              "- {{apiGroups: [apps], resources: [deployments], verbs: [get, list, watch, update]}}"),
    "rbac-secrets-read": _comment("drop `secrets` from the role's rules, or name the Secrets it may read:",
                                  "- {{apiGroups: [''], resources: [secrets], resourceNames: [<name>], verbs: [get]}}"),
    "rbac-escalation": _comment("remove bind, escalate, impersonate, pods/exec, pods/attach and create pods from the "
                                "role bound by {c.kind} {c.name};", "grant them, if at all, for a limited time"),
    "policy-engine-absent": lambda c: (f"# {c.check}: install an admission policy engine (Kyverno, Gatekeeper) and "
                                       "enforce, e.g.:\n" + _dump({
        "apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy", "metadata": {"name": "require-drop-all"},
        "spec": {"validationFailureAction": "Enforce", "rules": [{
            "name": "drop-all", "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
            "validate": {"message": "containers must drop ALL capabilities",
                         "pattern": {"spec": {"containers": [{"securityContext": {"capabilities": {"drop": ["ALL"]}}}]}}}}]}})),
}


#: what applying a fix would break, by the kind of component an exemption covers (found in its reason)
EXEMPT_BREAKS: list[tuple[str, str]] = [
    ("API server", "the add-on: it can no longer authenticate to the API server"),
    ("CNI", "the pod network: the agent can no longer set up interfaces, routes and iptables rules on its node, "
            "so new pods get no network and existing ones lose it"),
    ("kube-proxy", "Service routing: the node's iptables/IPVS rules stop being programmed, so Services no longer "
                   "reach their pods"),
    ("control-plane", "the control plane: the static pod no longer starts on its node (API server, etcd, "
                      "controller manager or scheduler down)"),
    ("node-exporter", "node monitoring: the exporter can no longer read the host's network and processes"),
]


def exempt_warning(finding: Row) -> str | None:
    """For an exempt finding: why it is exempt and what applying its fix would break (None when not exempt)."""
    if not _true(finding.get("exempt")):
        return None
    reason = _s(finding.get("exempt_reason")) or "exempt"
    ns, name = _s(finding.get("namespace")), _s(finding.get("name")) or "?"
    where = f"{_s(finding.get('kind')) or ''} {ns + '/' if ns else ''}{name}".strip()
    breaks = next((b for key, b in EXEMPT_BREAKS if key.lower() in reason.lower()),
                  "what the exemption protects: the component relies on exactly this setting (see the reason)")
    return (f"This finding is exempt ({reason}). Do not apply this fix to {where}: the component needs what it "
            f"takes away, and applying it would break {breaks}. Shown for reference only.")


def fix_for(finding: Row, snap: Snapshot | None = None) -> str:
    """The YAML (or command) that resolves one finding row; with ``snap``, filled in from the cluster.

    For an exempt finding the text starts with a warning (comment lines): why it is exempt and what
    applying the fix would break."""
    c = _Ctx(finding, snap)
    warning = exempt_warning(finding)
    head = "".join(f"# WARNING: {line}\n" for line in textwrap.wrap(warning, 100)) if warning else ""
    fix = FIXES.get(c.check)
    if fix is not None:
        return head + fix(c)
    rem = CHECKS[c.check].remediation if c.check in CHECKS else str(finding.get("remediation") or "")
    return head + c.header(how="") + "".join(f"# {line}\n" for line in rem.splitlines())
