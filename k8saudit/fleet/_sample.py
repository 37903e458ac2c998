"""The bundled fleet: 40 variations of the sample cluster, on four weekly dates, made on demand.

The sample cluster (``data/generate_sample.py``'s output, bundled with the package) is the base.
Each fleet member applies a deterministic set of *fixes* (what a hardened cluster changes, e.g.
``harden``: non-root, read-only root filesystem, no privilege escalation, capabilities dropped) and
*regressions* (what a careless one adds, e.g. ``debug-pod``: a privileged ``kubectl debug node``
pod left behind) to the sample's objects, chosen by its environment and a seeded random generator:

- ``prod-*`` (12): every fix, less at most two of the optional ones;
- ``staging-*`` (12): most fixes;
- ``dev-*`` (16): few fixes, and sometimes a debug pod;
- ``prod-us-3`` is the odd cluster out: a debug pod no other prod cluster has;
- ``staging-eu-2`` drifts: hardened like prod on the first date, then a debug pod, then the shop
  loses its hardening, then the legacy namespace comes back.

Nothing is stored in the repository: :func:`sample` writes the members as saved snapshots
(``Snapshot.save``) into a cache directory the first time a date is asked for (a few seconds), and
reuses them afterwards. The cache key is a hash of the base sample and of :data:`RECIPE_VERSION`,
so a changed sample or recipe makes a new cache.
"""

from __future__ import annotations

import copy
import datetime as _dt
import hashlib
import os
import random
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import msgspec

from .. import _model as m
from ..snapshot import Snapshot

__all__ = [
    "DATES",
    "ENVIRONMENTS",
    "DRIFTING",
    "ODD_ONE_OUT",
    "SEED",
    "RECIPE_VERSION",
    "Profile",
    "clusters",
    "profile",
    "sample",
    "sample_dates",
    "environment",
    "build",
    "cache_dir",
]

#: bump when a recipe below changes, so cached fleets are rebuilt
RECIPE_VERSION = 1
SEED = 20261206
#: the four weekly capture dates (the last one is the bundled fleet's "today")
DATES = ("2026-11-15", "2026-11-22", "2026-11-29", "2026-12-06")
ENVIRONMENTS = ("prod", "staging", "dev")
DRIFTING = "staging-eu-2"
ODD_ONE_OUT = "prod-us-3"

#: namespaces where the teams' applications run (fixes and regressions touch these)
APP_NAMESPACES = ("shop", "batch", "monitoring", "ingress-nginx", "dev")
#: fixes every prod cluster makes, and the ones a prod cluster may still lack
CORE_FIXES = ("drop-legacy", "apiserver", "rbac", "harden", "secrets", "netpol")
OPTIONAL_FIXES = ("psa", "rollout", "nodes", "services", "kubeconfig")
FIXES = CORE_FIXES + OPTIONAL_FIXES
REGRESSIONS = ("debug-pod",)
_DEV_TEAMS = (
    "payments",
    "search",
    "data",
    "mobile",
    "web",
    "ml",
    "platform",
    "identity",
    "growth",
    "infra",
    "qa",
    "billing",
    "ads",
    "media",
    "iot",
    "risk",
)


@dataclass(frozen=True)
class Profile:
    """What one member of the fleet changes in the sample on one date."""

    cluster: str
    date: str
    fixes: frozenset[str]
    regressions: frozenset[str] = frozenset()
    #: namespaces ``harden`` leaves alone (the drifting cluster's shop, late on)
    unhardened: frozenset[str] = frozenset()


def clusters() -> list[str]:
    """The 40 members of the bundled fleet: 12 prod, 12 staging, 16 dev."""
    regions = ("eu", "us", "ap")
    prod = [f"prod-{r}-{i}" for r in regions for i in range(1, 5)]
    staging = [f"staging-{r}-{i}" for r in regions for i in range(1, 5)]
    dev = [f"dev-{t}" for t in _DEV_TEAMS]
    return prod + staging + dev


def environment(cluster: str) -> str:
    """``prod``, ``staging`` or ``dev``: the part of a bundled fleet member's name before the first dash."""
    return cluster.split("-", 1)[0]


def sample_dates() -> list[str]:
    """The four weekly dates of the bundled fleet, oldest first."""
    return list(DATES)


def profile(cluster: str, date: str = DATES[-1]) -> Profile:
    """The fixes and regressions of one member on one date (deterministic: seeded by the name)."""
    if date not in DATES:
        raise ValueError(f"the bundled fleet has no date {date!r}; dates are {', '.join(DATES)}")
    if cluster not in clusters():
        raise ValueError(f"the bundled fleet has no cluster {cluster!r}")
    rnd = random.Random(f"{SEED}:{cluster}")
    env = environment(cluster)
    if env == "prod" or cluster == DRIFTING:
        skipped = set(rnd.sample(OPTIONAL_FIXES, rnd.choice((0, 0, 1, 2))))
        fixes = {f for f in FIXES if f not in skipped}
        regressions: set[str] = set()
    elif env == "staging":
        fixes = {f for f in CORE_FIXES if rnd.random() < 0.75} | {f for f in OPTIONAL_FIXES if rnd.random() < 0.35}
        regressions = set()
    else:
        fixes = {f for f in FIXES if rnd.random() < 0.2}
        regressions = {"debug-pod"} if rnd.random() < 0.5 else set()
    unhardened: set[str] = set()
    if cluster == ODD_ONE_OUT:
        regressions.add("debug-pod")
    if cluster == DRIFTING:
        step = DATES.index(date)
        if step >= 1:
            regressions.add("debug-pod")
        if step >= 2:
            unhardened.add("shop")
        if step >= 3:
            fixes.discard("drop-legacy")
    return Profile(cluster, date, frozenset(fixes), frozenset(regressions), frozenset(unhardened))


# --------------------------------------------------------------------------- building a member

Obj = dict[str, Any]


class _Objects:
    """The sample's objects as plain dicts (manifest field names), in load order, to be changed."""

    def __init__(self, items: list[tuple[str, Obj, str, int]]) -> None:
        self.items = items

    def of(self, kind: str, namespace: str | None = None) -> list[Obj]:
        return [
            o
            for k, o, _, _ in self.items
            if k == kind and (namespace is None or o["metadata"].get("namespace") == namespace)
        ]

    def named(self, kind: str, name: str, namespace: str | None = None) -> Obj | None:
        return next((o for o in self.of(kind, namespace) if o["metadata"].get("name") == name), None)

    def drop(self, keep: Callable[[str, Obj], bool]) -> None:
        self.items = [t for t in self.items if keep(t[0], t[1])]

    def add(self, obj: Obj, source: str) -> None:
        self.items.append((obj["kind"], obj, source, 0))

    def pod_specs(self, namespaces: Iterable[str]) -> list[Obj]:
        """Pod specs of the workloads (and bare or extra-container pods) in these namespaces."""
        out = []
        for kind, o, _, _ in self.items:
            if o["metadata"].get("namespace") not in namespaces:
                continue
            if kind not in (
                "Pod",
                "Deployment",
                "StatefulSet",
                "DaemonSet",
                "ReplicaSet",
                "Job",
                "CronJob",
                "ReplicationController",
            ):
                continue
            node: Any = o
            for key in m.pod_spec_keys(kind):
                node = node.get(key) if isinstance(node, dict) else None
            if isinstance(node, dict):
                out.append(node)
        return out


def _containers(spec: Obj) -> list[Obj]:
    return [*(spec.get("initContainers") or ()), *(spec.get("containers") or ())]


def _fix_drop_legacy(objs: _Objects) -> None:
    objs.drop(
        lambda k, o: (
            o["metadata"].get("namespace") != "legacy" and not (k == "Namespace" and o["metadata"]["name"] == "legacy")
        )
    )


def _fix_apiserver(objs: _Objects) -> None:
    for pod in objs.of("Pod", "kube-system"):
        for c in (pod.get("spec") or {}).get("containers") or ():
            if c.get("name") != "kube-apiserver":
                continue
            cmd = [a for a in c.get("command") or () if not a.startswith(("--token-auth-file", "--anonymous-auth"))]
            cmd += [
                "--anonymous-auth=false",
                "--oidc-issuer-url=https://sso.example.com",
                "--oidc-client-id=kubernetes",
                "--oidc-username-claim=email",
            ]
            c["command"] = cmd


def _fix_rbac(objs: _Objects) -> None:
    bad = {
        "ci-deployer-admin",
        "anonymous-view",
        "grafana-secret-reader",
        "oncall-debugger",
        "ci-impersonator",
        "team-leads-rolebinding-manager",
    }
    objs.drop(
        lambda k, o: (
            not (k == "ClusterRoleBinding" and o["metadata"]["name"] in bad)
            and not (k == "RoleBinding" and o["metadata"]["name"] == "shop-export-runner")
        )
    )
    promtail = objs.named("ClusterRole", "promtail")
    if promtail:  # the log shipper keeps reading, without the kubelets' exec API
        for r in promtail.get("rules") or ():
            r["resources"] = [x for x in r.get("resources") or () if x != "nodes/proxy"]


def _harden_container(c: Obj) -> None:
    sc = c.setdefault("securityContext", {})
    sc.pop("privileged", None)
    sc["allowPrivilegeEscalation"] = False
    sc["readOnlyRootFilesystem"] = True
    sc["runAsNonRoot"] = True
    if not sc.get("runAsUser"):
        sc["runAsUser"] = 10001
    caps = sc.setdefault("capabilities", {})
    caps["drop"] = ["ALL"]
    adds = [a for a in caps.get("add") or () if a.upper().removeprefix("CAP_") == "NET_BIND_SERVICE"]
    if adds:
        caps["add"] = adds
    else:
        caps.pop("add", None)
    sc.pop("procMount", None)


def _fix_harden(objs: _Objects, skip: frozenset[str] = frozenset()) -> None:
    for spec in objs.pod_specs([ns for ns in APP_NAMESPACES if ns not in skip]):
        for c in _containers(spec):
            _harden_container(c)
        psc = spec.get("securityContext") or {}
        if psc.get("runAsUser") == 0:
            psc.pop("runAsUser")
        for flag in ("hostIPC", "hostPID", "hostNetwork"):
            if spec.get(flag) and not _is_node_agent(spec):
                spec.pop(flag)


def _is_node_agent(spec: Obj) -> bool:
    """node-exporter and its kind need the host's namespaces (and are exempt by default)."""
    return any("node-exporter" in str(c.get("image", "")) for c in _containers(spec))


def _fix_secrets(objs: _Objects) -> None:
    for spec in objs.pod_specs(APP_NAMESPACES):
        for c in _containers(spec):
            env = [
                e
                for e in c.get("env") or ()
                if not (e.get("valueFrom") or {}).get("secretKeyRef")
                and not str(e.get("value", "")).startswith("<masked")
            ]
            if env:
                c["env"] = env
            else:
                c.pop("env", None)
            env_from = [e for e in c.get("envFrom") or () if not e.get("secretRef")]
            if env_from:
                c["envFrom"] = env_from
            else:
                c.pop("envFrom", None)
    for cm in objs.of("ConfigMap"):
        data = cm.get("data") or {}
        for key in [k for k, v in data.items() if str(v).startswith("<masked")]:
            del data[key]


def _fix_netpol(objs: _Objects) -> None:
    have = {
        o["metadata"]["namespace"]
        for o in objs.of("NetworkPolicy")
        if not ((o.get("spec") or {}).get("podSelector") or {})
    }
    for ns in APP_NAMESPACES:
        if ns in have or objs.named("Namespace", ns) is None:
            continue
        objs.add(
            {
                "kind": "NetworkPolicy",
                "apiVersion": "networking.k8s.io/v1",
                "metadata": {"name": "default-deny", "namespace": ns, "uid": _uid("netpol", ns)},
                "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
            },
            f"{ns}.yaml",
        )


def _fix_psa(objs: _Objects) -> None:
    for ns in objs.of("Namespace"):
        name = ns["metadata"]["name"]
        if name in APP_NAMESPACES or name in ("default", "legacy"):
            labels = ns["metadata"].setdefault("labels", {})
            level = "baseline" if name == "monitoring" else "restricted"
            labels.setdefault("pod-security.kubernetes.io/enforce", level)


def _fix_rollout(objs: _Objects) -> None:
    for ns in APP_NAMESPACES:
        for kind in ("Deployment", "StatefulSet"):
            for o in objs.of(kind, ns):
                spec = o.setdefault("spec", {})
                spec["replicas"] = max(3, spec.get("replicas") or 1)
                if kind == "Deployment":
                    spec["strategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}
                else:
                    spec["updateStrategy"] = {"type": "RollingUpdate"}
                for c in ((spec.get("template") or {}).get("spec") or {}).get("containers") or ():
                    c.setdefault("readinessProbe", {"tcpSocket": {"port": 8080}})
                name = o["metadata"]["name"]
                if objs.named("PodDisruptionBudget", name, ns) is None and (spec.get("selector") or {}):
                    objs.add(
                        {
                            "kind": "PodDisruptionBudget",
                            "apiVersion": "policy/v1",
                            "metadata": {"name": name, "namespace": ns, "uid": _uid("pdb", ns, name)},
                            "spec": {"selector": copy.deepcopy(spec["selector"]), "maxUnavailable": 1},
                        },
                        f"{ns}.yaml",
                    )


def _fix_nodes(objs: _Objects) -> None:
    for i, node in enumerate(objs.of("Node")):
        addrs = (node.get("status") or {}).get("addresses") or []
        kept = []
        for a in addrs:
            if a.get("type") == "ExternalIP":
                continue
            if a.get("type") == "InternalIP" and not str(a.get("address", "")).startswith("10."):
                a = {**a, "address": f"10.0.1.{200 + i}"}
            kept.append(a)
        if addrs:
            node["status"]["addresses"] = kept


def _fix_services(objs: _Objects) -> None:
    for svc in objs.of("Service"):
        spec = svc.get("spec") or {}
        if spec.get("type") == "NodePort":
            spec["type"] = "ClusterIP"
            for p in spec.get("ports") or ():
                p.pop("nodePort", None)
        elif spec.get("type") == "LoadBalancer":
            spec["loadBalancerSourceRanges"] = ["10.0.0.0/8"]


def _fix_kubeconfig(snap: Snapshot) -> None:
    for e in snap.kubeconfig_entries:
        if e.get("static_credential"):
            e.update(auth_type="exec", static_credential=False, exec_command="kubelogin")


def _regress_debug_pod(objs: _Objects, cluster: str) -> None:
    name = f"node-debugger-worker-01-{hashlib.sha256(cluster.encode()).hexdigest()[:5]}"
    objs.add(
        {
            "kind": "Pod",
            "apiVersion": "v1",
            "metadata": {"name": name, "namespace": "default", "uid": _uid("pod", cluster, name)},
            "spec": {
                "hostPID": True,
                "hostNetwork": True,
                "hostIPC": True,
                "nodeName": "worker-01",
                "restartPolicy": "Never",
                "containers": [
                    {
                        "name": "debugger",
                        "image": "docker.io/library/busybox:1.36",
                        "securityContext": {"privileged": True},
                        "volumeMounts": [{"name": "host-root", "mountPath": "/host"}],
                    }
                ],
                "volumes": [{"name": "host-root", "hostPath": {"path": "/"}}],
            },
        },
        "default.yaml",
    )


def _uid(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "k8saudit-fleet/" + "/".join(parts)))


_FIX_FUNCS: dict[str, Callable[[_Objects], None]] = {
    "drop-legacy": _fix_drop_legacy,
    "apiserver": _fix_apiserver,
    "rbac": _fix_rbac,
    "secrets": _fix_secrets,
    "netpol": _fix_netpol,
    "psa": _fix_psa,
    "rollout": _fix_rollout,
    "nodes": _fix_nodes,
    "services": _fix_services,
}


@lru_cache(maxsize=1)
def _base() -> tuple[tuple[tuple[str, bytes, str, int], ...], tuple[dict[str, Any], ...]]:
    """The sample's objects, encoded once: (kind, JSON, source, line), and its kubeconfig entries."""
    from ..sources import sample as load_sample

    snap = load_sample()
    enc = msgspec.json.Encoder()
    items = tuple(
        (kind, enc.encode(o), src, line)
        for kind in snap.kinds
        for o, (src, line) in zip(snap.items(kind), snap.provenance(kind))
    )
    return items, tuple(copy.deepcopy(snap.kubeconfig_entries))


def build(p: Profile) -> Snapshot:
    """One member of the bundled fleet as a Snapshot (in memory)."""
    items, kubeconfig = _base()
    objs = _Objects([(kind, msgspec.json.decode(raw), src, line) for kind, raw, src, line in items])
    for fix in sorted(p.fixes):
        if fix == "harden":
            _fix_harden(objs, p.unhardened)
        elif fix in _FIX_FUNCS:
            _FIX_FUNCS[fix](objs)
    if "debug-pod" in p.regressions:
        _regress_debug_pod(objs, p.cluster)
    snap = Snapshot(
        p.cluster,
        source=f"bundled fleet: {p.cluster} on {p.date}",
        captured_at=f"{p.date}T06:00:00Z",
        meta={
            "origin": "files",
            "fleet_sample": {
                "fixes": sorted(p.fixes),
                "regressions": sorted(p.regressions),
                "unhardened": sorted(p.unhardened),
            },
        },
    )
    snap.kubeconfig_entries = [dict(e) for e in kubeconfig]
    if "kubeconfig" in p.fixes:
        _fix_kubeconfig(snap)
    order = {k: i for i, k in enumerate(("Namespace", "Node", *m.OWNERS_FIRST))}
    for kind, obj, src, line in sorted(objs.items, key=lambda t: order.get(t[0], len(order))):
        tp = m.KINDS.get(kind, m.Generic)
        snap.add(msgspec.convert(obj, tp), src, line)
    return snap


# --------------------------------------------------------------------------- the cache


def cache_dir() -> Path:
    """Where generated fleets go: ``$K8SAUDIT_CACHE``, else ``$XDG_CACHE_HOME/k8saudit``, else ``~/.cache/k8saudit``."""
    env = os.environ.get("K8SAUDIT_CACHE")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "k8saudit"


def _key() -> str:
    from ..sources import sample_path

    h = hashlib.sha256(f"{RECIPE_VERSION}:{SEED}".encode())
    root = sample_path()
    for f in sorted(root.rglob("*")):
        if f.is_file():
            h.update(f.relative_to(root).as_posix().encode())
            h.update(f.read_bytes())
    with open(__file__, "rb") as fh:
        h.update(fh.read())
    return h.hexdigest()[:12]


def sample(
    date: str | None = None, *, environments: Iterable[str] | None = None, root: str | os.PathLike[str] | None = None
) -> list[Path]:
    """The bundled fleet on one date (default: the latest) as saved snapshot directories, one per cluster.

    Generated deterministically into the cache directory the first time (see :func:`cache_dir`);
    ``root`` puts them elsewhere. ``environments`` keeps only some of ``prod``, ``staging``, ``dev``.
    """
    date = date or DATES[-1]
    if date not in DATES:
        raise ValueError(f"the bundled fleet has no date {date!r}; dates are {', '.join(DATES)}")
    envs = set(environments) if environments is not None else set(ENVIRONMENTS)
    bad = envs - set(ENVIRONMENTS)
    if bad:
        raise ValueError(
            f"no environment {', '.join(sorted(bad))} in the bundled fleet; environments are {', '.join(ENVIRONMENTS)}"
        )
    base = Path(root) if root is not None else cache_dir() / f"fleet-sample-{_key()}"
    day = base / date
    if not (day / ".complete").is_file():
        day.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{date}-", dir=day.parent))
        try:
            for name in clusters():
                build(profile(name, date)).save(tmp / name)
            (tmp / ".complete").write_text(_dt.datetime.now(_dt.UTC).isoformat() + "\n")
            if day.exists():  # a run that stopped half-way
                shutil.rmtree(day, ignore_errors=True)
            try:
                tmp.rename(day)
            except OSError:  # another process finished the same date first: theirs is identical
                if not (day / ".complete").is_file():
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return [day / name for name in clusters() if environment(name) in envs]
