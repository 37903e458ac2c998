"""Workloads and what their pod templates hold: containers, env, volumes.

Live-style snapshots hold pods, ReplicaSets and Jobs as well as their owners;
everything rolls up to its top owner, so a Deployment with 300 pods is one
workload (``pod_count`` 300) and its containers are read once, from its template.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import msgspec

from .. import _model as m
from .._normalize import looks_like_credential
from .._pss import evaluate, rejected_by
from .._podspec import TemplateIndex, container_key, pod_level_key, sa_token_volumes, volume_key
from ._schema import make


class Variant(NamedTuple):
    """What some of a workload's pods (or an older revision's ReplicaSet) run that its template does not say."""

    member: str  # the first pod with these differences (or ``ReplicaSet/<name>`` of an older revision)
    count: int  # type: ignore[assignment]  # how many pods (or controllers) share them
    spec: m.PodSpec  # the effective spec: the template's overlaid with the pod's own
    containers: tuple[tuple[m.Container, str], ...]  # containers that differ from the template's or that it lacks
    volumes: tuple[m.Volume, ...]  # volumes the template lacks
    pod_level: bool  # the pod's own fields (host namespaces, security context, service account) differ


class WorkloadRec(NamedTuple):
    kind: str
    namespace: str | None
    name: str | None
    obj: Any  # the workload object (a representative pod for a missing controller)
    template: m.PodTemplate | None
    source: str
    pod_count: int
    #: differences found on the workload's live pods (and older revisions): mutated or injected
    #: containers, added volumes, changed pod fields, each with the first pod that shows them
    variants: tuple[Variant, ...] = ()
    #: the controller is not in the snapshot: this row stands for it (inferred from its pods)
    synthetic: bool = False


_CONTROLLERS = m.POD_TEMPLATE_KINDS
_SYSTEM_NODE_OWNER = "Node"
_HASH_LABEL = "pod-template-hash"


def workload_index(snap: Any) -> list[WorkloadRec]:
    """Top-level workloads of a snapshot (cached on it)."""
    cached: list[WorkloadRec] | None = snap._frames.get("_workload_index")
    if cached is not None:
        return cached
    out = _WorkloadIndex(snap).build()
    snap._frames["_workload_index"] = out
    return out


class _Variants:
    """The distinct differences of one workload's members from its template."""

    __slots__ = ("found", "index")

    def __init__(self, template_spec: m.PodSpec | None) -> None:
        self.index = TemplateIndex(template_spec)
        self.found: dict[bytes, list[Any]] = {}

    def add(self, member: str, spec: m.PodSpec, pod_name: str | None) -> None:
        idx = self.index
        diff = [(c, ctype) for ctype, group in (("container", spec.containers), ("init", spec.init_containers),
                                                ("ephemeral", spec.ephemeral_containers))
                for c in group or () if idx.differs(ctype, c)]
        vols = idx.added_volumes(spec, pod_name)
        plk = pod_level_key(spec)
        pod_level = plk != idx.pod_level
        if not diff and not vols and not pod_level:
            return
        key = b"\x00".join([plk if pod_level else b"", *(t.encode() + container_key(c) for c, t in diff),
                             *(volume_key(v) for v in vols)])
        got = self.found.get(key)
        if got is not None:
            got[1] += 1
            return
        self.found[key] = [member, 1, spec, tuple(diff), tuple(vols), pod_level]

    def result(self) -> tuple[Variant, ...]:
        return tuple(Variant(*v) for v in self.found.values())


def effective(base: m.PodSpec | None, own: m.PodSpec) -> m.PodSpec:
    """A pod's spec as it runs: its template's containers overlaid with its own (same name wins), its
    template's volumes and its own, and its own pod fields (a compacted pod keeps them verbatim)."""
    if base is None:
        return own

    def overlay(tpl: list[Any] | None, mine: list[Any] | None) -> list[Any] | None:
        if not mine:
            return tpl
        by_name = {x.name: x for x in mine}
        merged = [by_name.pop(x.name, x) for x in tpl or ()]
        return merged + list(by_name.values())

    return msgspec.structs.replace(
        own, containers=overlay(base.containers, own.containers),
        init_containers=overlay(base.init_containers, own.init_containers),
        volumes=overlay(base.volumes, own.volumes))


class _WorkloadIndex:
    def __init__(self, snap: Any) -> None:
        self.snap = snap
        self.by_uid: dict[str, tuple[str, Any]] = {}
        self.by_key: dict[tuple[str, str | None, str | None], Any] = {}
        for kind in _CONTROLLERS:
            for o in snap.items(kind):
                md = o.metadata
                if md.uid:
                    self.by_uid[md.uid] = (kind, o)
                self.by_key[(kind, md.namespace, md.name)] = o
        self.top_cache: dict[int, tuple[str, Any, m.PodSpec | None]] = {}

    def owner_of(self, o: Any) -> tuple[str | None, Any, Any]:
        """(owner kind, owner object or None, the ownerReference) of the controlling owner."""
        ref = m.controller_ref(o.metadata.owner_references)
        if ref is None:
            return None, None, None
        hit = self.by_uid.get(ref.uid) if ref.uid else None
        if hit is not None:
            return hit[0], hit[1], ref
        obj = self.by_key.get((ref.kind or "", o.metadata.namespace, ref.name))
        return ref.kind, obj, ref

    def top(self, kind: str, o: Any) -> tuple[str, Any, m.PodSpec | None]:
        """(top kind, top object, the nearest template spec on the way: what pods below ``o`` were made from)."""
        key = id(o)
        got = self.top_cache.get(key)
        if got is not None:
            return got
        cur_kind, cur = kind, o
        tpl = m.pod_template(o)
        nearest = tpl.spec if tpl is not None else None
        for _ in range(10):
            ok, owner, _ = self.owner_of(cur)
            if owner is None:
                break
            cur_kind, cur = ok, owner  # type: ignore[assignment]
            if nearest is None:
                tpl = m.pod_template(cur)
                nearest = tpl.spec if tpl is not None else None
        got = self.top_cache[key] = (cur_kind, cur, nearest)
        return got

    def build(self) -> list[WorkloadRec]:
        snap = self.snap
        counts: dict[int, int] = {}
        variants: dict[int, _Variants] = {}
        orphans: dict[tuple[str, str | None, str | None], list[tuple[Any, str]]] = {}
        bare: list[tuple[Any, str]] = []

        def variants_of(t: Any) -> _Variants:
            v = variants.get(id(t))
            if v is None:
                tpl = m.pod_template(t)
                v = variants[id(t)] = _Variants(tpl.spec if tpl is not None else None)
            return v

        for p, (src, _line) in zip(snap.items("Pod"), snap.provenance("Pod")):
            ok, owner, ref = self.owner_of(p)
            if owner is None and ref is not None and ref.kind == "ReplicaSet":
                dep = _deployment_of(p, ref)  # `kubectl get pods` without the ReplicaSets: the name says it
                if dep is not None:
                    owner = self.by_key.get(("Deployment", p.metadata.namespace, dep))
                    if owner is not None:
                        ok = "Deployment"
                    else:
                        orphans.setdefault(("Deployment", p.metadata.namespace, dep), []).append((p, src))
                        continue
            if owner is not None:
                _, t, base = self.top(ok, owner)  # type: ignore[arg-type]
                counts[id(t)] = counts.get(id(t), 0) + 1
                if p.spec is not None:
                    self._member(variants_of(t), t, base, p.spec, p.metadata.name, p.metadata.name)
            elif ref is not None and ref.kind != _SYSTEM_NODE_OWNER:
                orphans.setdefault((ref.kind or "Unknown", p.metadata.namespace, ref.name), []).append((p, src))
            else:
                bare.append((p, src))

        out: list[WorkloadRec] = []
        tops: list[tuple[str, Any, str]] = []
        for kind in _CONTROLLERS:
            for o, (src, _line) in zip(snap.items(kind), snap.provenance(kind)):
                ok, owner, _ = self.owner_of(o)
                if owner is None:
                    tops.append((kind, o, src))
                    continue
                # an owned controller that keeps its own template differs from its owner's: an older revision
                tpl = m.pod_template(o)
                if tpl is not None and tpl.spec is not None and _active(o):
                    _, t, _ = self.top(ok, owner)  # type: ignore[arg-type]
                    self._member(variants_of(t), t, None, tpl.spec, f"{kind}/{o.metadata.name}", None)
        for kind, o, src in tops:
            md = o.metadata
            v = variants.get(id(o))
            out.append(WorkloadRec(kind, md.namespace, md.name, o, m.pod_template(o), src, counts.get(id(o), 0),
                                   v.result() if v is not None else ()))
        for p, src in bare:
            md = p.metadata
            out.append(WorkloadRec("Pod", md.namespace, md.name, p, m.pod_template(p), src, 1))
        for (kind, ns, name), members in orphans.items():
            out.append(_synthetic(kind, ns, name, members))
        return out

    @staticmethod
    def _member(v: _Variants, top: Any, base: m.PodSpec | None, spec: m.PodSpec, member: str,
                pod_name: str | None) -> None:
        tpl = m.pod_template(top)
        tspec = tpl.spec if tpl is not None else None
        if base is tspec and not (spec.containers or spec.init_containers or spec.ephemeral_containers
                                  or spec.volumes) and pod_level_key(spec) == v.index.pod_level:
            return  # a compacted pod identical to its template: the common case, kept cheap
        v.add(member, effective(base if base is not None else tspec, spec), pod_name)


def _deployment_of(pod: Any, ref: m.OwnerReference) -> str | None:
    """The Deployment a pod's missing ReplicaSet belongs to, from ``<deployment>-<pod-template-hash>``."""
    h = (pod.metadata.labels or {}).get(_HASH_LABEL)
    name = ref.name or ""
    if h and name.endswith("-" + h) and len(name) > len(h) + 1:
        return name[: -len(h) - 1]
    return None


def _active(o: Any) -> bool:
    """A ReplicaSet (or other owned controller) that runs pods: an older revision scaled to 0 does not."""
    spec = getattr(o, "spec", None)
    r = getattr(spec, "replicas", None)
    return r is None or r > 0


def _synthetic(kind: str, ns: str | None, name: str | None, members: list[tuple[Any, str]]) -> WorkloadRec:
    """A workload row for a controller that is not in the snapshot, made from its pods.

    The pods most of them look like stand for its template; the others are its variants.
    """
    by_spec: dict[bytes, list[tuple[Any, str]]] = {}
    for p, src in members:
        by_spec.setdefault(_spec_key(p.spec), []).append((p, src))
    groups = sorted(by_spec.values(), key=len, reverse=True)
    rep, src = groups[0][0]
    v = _Variants(rep.spec)
    for group in groups[1:]:
        for p, _ in group:
            if p.spec is not None:
                v.add(p.metadata.name, p.spec, p.metadata.name)
    return WorkloadRec(kind, ns, name, rep, m.PodTemplate(metadata=rep.metadata, spec=rep.spec), src,
                       len(members), v.result(), synthetic=True)


def _spec_key(spec: m.PodSpec | None) -> bytes:
    if spec is None:
        return b""
    sa = sa_token_volumes(spec)
    return b"\x00".join([pod_level_key(spec), *(container_key(c) for g in (
        spec.containers, spec.init_containers, spec.ephemeral_containers) for c in g or ()),
        *sorted(volume_key(v) for v in spec.volumes or () if v.name not in sa)])


# --------------------------------------------------------------------------- helpers


def _caps(values: list[str] | None) -> list[str]:
    if not values:
        return []
    out = []
    for v in values:
        c = str(v).strip().upper()
        if c.startswith("CAP_"):
            c = c[4:]
        out.append(c)
    return out


def _pct(value: Any, replicas: int | None) -> int | None:
    if value is None or replicas is None:
        return None
    if isinstance(value, int):
        return value
    s = str(value).strip()
    if s.endswith("%"):
        try:
            return int(replicas * float(s[:-1]) / 100)  # rounds down, as the controller does
        except ValueError:
            return None
    try:
        return int(s)
    except ValueError:
        return None


def _selector(sel: m.LabelSelector | None) -> dict[str, Any] | None:
    if sel is None:
        return None
    return {
        "match_labels": dict(sel.match_labels or {}),
        "match_expressions": [
            {"key": e.key, "operator": e.operator, "values": list(e.values or [])}
            for e in sel.match_expressions or []
        ],
    }


def _spec_fields(rec: WorkloadRec) -> tuple[Any, Any, Any]:
    tpl = rec.template
    spec = tpl.spec if tpl is not None else None
    tmeta = tpl.metadata if tpl is not None else None
    return tpl, spec, tmeta


def _strategy(rec: WorkloadRec, replicas: int | None) -> tuple[str | None, str | None, int | None]:
    if rec.synthetic:  # the controller is not in the snapshot: its strategy is unknown
        return None, None, None
    o = rec.obj
    spec = getattr(o, "spec", None)
    if rec.kind == "Deployment":
        st = spec.strategy if spec is not None else None
        typ = (st.type if st is not None else None) or "RollingUpdate"
        if typ != "RollingUpdate":
            return typ, None, None
        ru = st.rolling_update if st is not None else None
        mu = ru.max_unavailable if ru is not None and ru.max_unavailable is not None else "25%"
        return typ, str(mu), _pct(mu, replicas)
    if rec.kind in ("StatefulSet", "DaemonSet"):
        st = spec.update_strategy if spec is not None else None
        typ = (st.type if st is not None else None) or "RollingUpdate"
        if typ != "RollingUpdate":
            return typ, None, None
        ru = st.rolling_update if st is not None else None
        mu = ru.max_unavailable if ru is not None and ru.max_unavailable is not None else 1
        return typ, str(mu), _pct(mu, replicas if replicas is not None else 1)
    return None, None, None


def _replicas(rec: WorkloadRec) -> int | None:
    if rec.synthetic:  # the controller is not in the snapshot: its desired replicas are unknown
        return None
    spec = getattr(rec.obj, "spec", None)
    if rec.kind in ("Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"):
        r = spec.replicas if spec is not None else None
        return 1 if r is None else r
    if rec.kind == "Job":
        r = spec.parallelism if spec is not None else None
        return 1 if r is None else r
    if rec.kind == "Pod":
        return 1
    if rec.kind in ("DaemonSet", "CronJob"):
        return None
    return rec.pod_count or None


# --------------------------------------------------------------------------- frames


def build_workloads(snap: Any) -> Any:
    recs = workload_index(snap)
    sas = {(sa.metadata.namespace, sa.metadata.name): sa.automount_service_account_token
           for sa in snap.items("ServiceAccount")}
    enforce = {ns.metadata.name: (ns.metadata.labels or {}).get("pod-security.kubernetes.io/enforce")
               for ns in snap.items("Namespace")}
    cols: dict[str, list[Any]] = {c: [] for c in (
        "cluster kind namespace name pod synthetic uid api_version replicas pod_count service_account "
        "automount_sa_token automount_source host_network host_pid host_ipc host_users os strategy max_unavailable "
        "max_unavailable_pods labels pod_labels selector annotations pss_level pss_violations pss_enforce "
        "pss_rejected source").split()}

    def pod_fields(rec: WorkloadRec, spec: m.PodSpec | None, tmeta: Any) -> dict[str, Any]:
        sa_name = (spec.service_account_name or spec.service_account) if spec is not None else None
        sa_name = sa_name or "default"
        if spec is not None and spec.automount_service_account_token is not None:
            automount, asrc = spec.automount_service_account_token, "pod"
        elif sas.get((rec.namespace, sa_name)) is not None:
            automount, asrc = bool(sas[(rec.namespace, sa_name)]), "service_account"
        else:
            automount, asrc = True, "default"
        level, violations = evaluate(spec, tmeta)
        return {
            "service_account": sa_name, "automount_sa_token": automount, "automount_source": asrc,
            "host_network": bool(spec is not None and spec.host_network),
            "host_pid": bool(spec is not None and spec.host_pid),
            "host_ipc": bool(spec is not None and spec.host_ipc),
            "host_users": spec.host_users if spec is not None else None,
            "os": spec.os.name if spec is not None and spec.os is not None else None,
            "pss_level": level, "pss_violations": violations,
        }

    for rec in recs:
        _tpl, spec, tmeta = _spec_fields(rec)
        md = rec.obj.metadata
        replicas = _replicas(rec)
        strategy, mu, mu_pods = _strategy(rec, replicas)
        ns_level = enforce.get(rec.namespace)
        obj_spec = getattr(rec.obj, "spec", None)
        sel = getattr(obj_spec, "selector", None) if rec.kind in _CONTROLLERS and not rec.synthetic else None
        sel_d: dict[str, Any] | None
        if isinstance(sel, dict):  # ReplicationController: a plain map
            sel_d = {"match_labels": dict(sel), "match_expressions": []}
        else:
            sel_d = _selector(sel)
        ann = dict(md.annotations or {})
        if tmeta is not None and tmeta is not md and tmeta.annotations:
            ann.update(tmeta.annotations)
        real = not rec.synthetic and (rec.kind == "Pod" or rec.kind in _CONTROLLERS)
        base = pod_fields(rec, spec, tmeta)
        # the template's row, then one row per distinct variant whose own pod fields change the outcome
        entries: list[tuple[str | None, int, dict[str, Any]]] = [(None, rec.pod_count, base)]
        for v in rec.variants:
            if not v.pod_level:  # differing containers have rows in containers (and are audited there)
                continue
            fields = pod_fields(rec, v.spec, tmeta)
            if fields != base:
                entries.append((v.member, v.count, fields))
        for pod, count, fields in entries:
            variant = pod is not None
            cols["cluster"].append(snap.cluster)
            cols["kind"].append(rec.kind)
            cols["namespace"].append(rec.namespace)
            cols["name"].append(rec.name)
            cols["pod"].append(pod)
            cols["synthetic"].append(rec.synthetic)
            cols["uid"].append(md.uid if real else None)
            cols["api_version"].append(rec.obj.api_version if real else None)
            cols["replicas"].append(None if variant else replicas)
            cols["pod_count"].append(count)
            for k, val in fields.items():
                cols[k].append(val)
            cols["strategy"].append(None if variant else strategy)
            cols["max_unavailable"].append(None if variant else mu)
            cols["max_unavailable_pods"].append(None if variant else mu_pods)
            cols["labels"].append(dict(md.labels or {}))
            cols["pod_labels"].append(dict((tmeta.labels if tmeta is not None else None) or {}))
            cols["selector"].append(sel_d)
            cols["annotations"].append(ann)
            cols["pss_enforce"].append(ns_level)
            cols["pss_rejected"].append(rejected_by(fields["pss_level"], ns_level))
            cols["source"].append(rec.source)
    return make("workloads", cols)


class _Spec(NamedTuple):
    """One pod spec a workload's rows are read from: its template (``pod`` None) or one of its variants."""

    spec: m.PodSpec | None
    pod: str | None
    containers: list[tuple[m.Container, str]]  # the containers to emit rows for
    volumes: list[m.Volume]


def _specs(rec: WorkloadRec, *, all_containers_on_pod_change: bool = False) -> list[_Spec]:
    """The template's spec and every variant's, each with the containers and volumes that have rows."""
    _, spec, _ = _spec_fields(rec)
    out = [_Spec(spec, None, _containers_of(spec), list((spec.volumes if spec is not None else None) or ()))]
    for v in rec.variants:
        cs = list(v.containers)
        if all_containers_on_pod_change and v.pod_level:
            # the pod's own security context changes what every container runs as: all of them have rows
            cs = _containers_of(v.spec)
        out.append(_Spec(v.spec, v.member, cs, list(v.volumes)))
    return out


def _containers_of(spec: m.PodSpec | None) -> list[tuple[m.Container, str]]:
    out: list[tuple[m.Container, str]] = []
    if spec is not None:
        out += [(c, "container") for c in spec.containers or ()]
        out += [(c, "init") for c in spec.init_containers or ()]
        out += [(c, "ephemeral") for c in spec.ephemeral_containers or ()]
    return out


#: the annotations that set seccomp and AppArmor profiles before the fields existed (deprecated)
SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod"
SECCOMP_CONTAINER_ANNOTATION = "container.seccomp.security.alpha.kubernetes.io/"
APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"


def _profile_type(p: Any) -> str | None:
    return p.type if p is not None and p.type else None


def apparmor_annotation_type(value: Any) -> str | None:
    """The field's type for a legacy AppArmor annotation value (``runtime/default``, ``localhost/x``, ``unconfined``)."""
    if not isinstance(value, str) or not value:
        return None
    if value == "runtime/default":
        return "RuntimeDefault"
    if value.startswith("localhost/"):
        return "Localhost"
    if value == "unconfined":
        return "Unconfined"
    return value  # unknown: kept verbatim, so a check can name it


def build_containers(snap: Any) -> Any:
    names = ("cluster kind namespace name container pod container_type differs_from_template sidecar injected "
             "long_running windows image privileged allow_privilege_escalation read_only_root_filesystem "
             "run_as_non_root run_as_user run_as_group proc_mount seccomp_profile seccomp_annotation apparmor_profile "
             "caps_add caps_drop host_ports readiness_probe liveness_probe").split()
    cols: dict[str, list[Any]] = {c: [] for c in names}
    cluster = snap.cluster
    for rec in workload_index(snap):
        _, tspec, tmeta = _spec_fields(rec)
        ann = (tmeta.annotations if tmeta is not None else None) or {}  # the legacy profile annotations
        p_seccomp_ann = ann.get(SECCOMP_POD_ANNOTATION) if ann else None
        tidx = TemplateIndex(tspec) if rec.variants else None
        for spec, pod, containers, _ in _specs(rec, all_containers_on_pod_change=True):
            psc = spec.security_context if spec is not None else None
            p_nonroot = psc.run_as_non_root if psc is not None else None
            p_user = psc.run_as_user if psc is not None else None
            p_group = psc.run_as_group if psc is not None else None
            p_seccomp = psc.seccomp_profile.type if psc is not None and psc.seccomp_profile is not None else None
            p_apparmor = _profile_type(psc.app_armor_profile if psc is not None else None)
            windows = spec is not None and spec.os is not None and spec.os.name == "windows"
            batch = rec.kind in ("Job", "CronJob") or (
                rec.kind == "Pod" and spec is not None and spec.restart_policy in ("Never", "OnFailure"))
            for c, ctype in containers:
                sc = c.security_context
                sidecar = ctype == "init" and c.restart_policy == "Always"
                in_tpl = pod is None or (tidx is not None and ctype != "ephemeral" and c.name in tidx.names)
                cols["injected"].append(ctype != "ephemeral" and not in_tpl)
                cols["differs_from_template"].append(
                    pod is not None and in_tpl and tidx is not None and tidx.differs(ctype, c))
                cols["pod"].append(pod)
                cols["cluster"].append(cluster)
                cols["kind"].append(rec.kind)
                cols["namespace"].append(rec.namespace)
                cols["name"].append(rec.name)
                cols["container"].append(c.name)
                cols["container_type"].append(ctype)
                cols["sidecar"].append(sidecar)
                cols["long_running"].append(not batch and (ctype == "container" or sidecar))
                cols["windows"].append(windows)
                cols["image"].append(c.image)
                cols["seccomp_annotation"].append(
                    (ann.get(SECCOMP_CONTAINER_ANNOTATION + c.name) or p_seccomp_ann) if ann else None)
                c_apparmor = _profile_type(sc.app_armor_profile if sc is not None else None)
                if c_apparmor is None and ann:
                    c_apparmor = apparmor_annotation_type(ann.get(APPARMOR_ANNOTATION + c.name))
                cols["apparmor_profile"].append(c_apparmor or p_apparmor)
                if sc is not None:
                    caps = sc.capabilities
                    cols["privileged"].append(sc.privileged)
                    cols["allow_privilege_escalation"].append(sc.allow_privilege_escalation)
                    cols["read_only_root_filesystem"].append(sc.read_only_root_filesystem)
                    cols["run_as_non_root"].append(sc.run_as_non_root if sc.run_as_non_root is not None else p_nonroot)
                    cols["run_as_user"].append(sc.run_as_user if sc.run_as_user is not None else p_user)
                    cols["run_as_group"].append(sc.run_as_group if sc.run_as_group is not None else p_group)
                    cols["proc_mount"].append(sc.proc_mount)
                    cols["seccomp_profile"].append(
                        sc.seccomp_profile.type if sc.seccomp_profile is not None and sc.seccomp_profile.type
                        else p_seccomp)
                    cols["caps_add"].append(_caps(caps.add if caps is not None else None))
                    cols["caps_drop"].append(_caps(caps.drop if caps is not None else None))
                else:
                    cols["privileged"].append(None)
                    cols["allow_privilege_escalation"].append(None)
                    cols["read_only_root_filesystem"].append(None)
                    cols["run_as_non_root"].append(p_nonroot)
                    cols["run_as_user"].append(p_user)
                    cols["run_as_group"].append(p_group)
                    cols["proc_mount"].append(None)
                    cols["seccomp_profile"].append(p_seccomp)
                    cols["caps_add"].append([])
                    cols["caps_drop"].append([])
                cols["host_ports"].append([p.host_port for p in c.ports or () if p.host_port])
                cols["readiness_probe"].append(c.readiness_probe is not None)
                cols["liveness_probe"].append(c.liveness_probe is not None)
    return make("containers", cols)


def build_env(snap: Any) -> Any:
    names = ("cluster kind namespace name container pod container_type var source value looks_like_credential "
             "secret_name secret_key config_map_name config_map_key").split()
    cols: dict[str, list[Any]] = {c: [] for c in names}
    cluster = snap.cluster
    cred_cache: dict[str, bool] = {}

    pod: str | None = None

    def row(rec: WorkloadRec, c: m.Container, ctype: str, var: str, source: str, value: Any = None,
            sname: Any = None, skey: Any = None, cname: Any = None, ckey: Any = None) -> None:
        cred = cred_cache.get(var)
        if cred is None:
            cred = cred_cache[var] = looks_like_credential(var)
        cols["cluster"].append(cluster)
        cols["kind"].append(rec.kind)
        cols["namespace"].append(rec.namespace)
        cols["name"].append(rec.name)
        cols["container"].append(c.name)
        cols["pod"].append(pod)
        cols["container_type"].append(ctype)
        cols["var"].append(var)
        cols["source"].append(source)
        cols["value"].append(None if value is None else str(value) if not isinstance(value, bool) else str(value).lower())
        cols["looks_like_credential"].append(cred)
        cols["secret_name"].append(sname)
        cols["secret_key"].append(skey)
        cols["config_map_name"].append(cname)
        cols["config_map_key"].append(ckey)

    for rec in workload_index(snap):
        for _, _pod, containers, _ in _specs(rec):
            for c, ctype in containers:
                for e in c.env or ():
                    vf = e.value_from
                    if vf is None:
                        row(rec, c, ctype, e.name, "literal", e.value if e.value is not None else "")
                    elif vf.secret_key_ref is not None:
                        row(rec, c, ctype, e.name, "secret_key_ref", sname=vf.secret_key_ref.name, skey=vf.secret_key_ref.key)
                    elif vf.config_map_key_ref is not None:
                        row(rec, c, ctype, e.name, "config_map_key_ref", cname=vf.config_map_key_ref.name,
                            ckey=vf.config_map_key_ref.key)
                    elif vf.field_ref is not None:
                        row(rec, c, ctype, e.name, "field_ref", vf.field_ref.field_path)
                    elif vf.resource_field_ref is not None:
                        row(rec, c, ctype, e.name, "resource_field_ref", vf.resource_field_ref.resource)
                    else:
                        row(rec, c, ctype, e.name, "unset")
                for ef in c.env_from or ():
                    if ef.secret_ref is not None:
                        row(rec, c, ctype, ef.prefix or "", "env_from_secret", sname=ef.secret_ref.name)
                    elif ef.config_map_ref is not None:
                        row(rec, c, ctype, ef.prefix or "", "env_from_config_map", cname=ef.config_map_ref.name)
    return make("env", cols)


def build_volumes(snap: Any) -> Any:
    names = ("cluster kind namespace name volume pod type host_path host_path_type secret_name config_map_name "
             "claim_name").split()
    cols: dict[str, list[Any]] = {c: [] for c in names}
    for rec in workload_index(snap):
        for _, pod, _, volumes in _specs(rec):
            for v in volumes:
                cols["pod"].append(pod)
                cols["cluster"].append(snap.cluster)
                cols["kind"].append(rec.kind)
                cols["namespace"].append(rec.namespace)
                cols["name"].append(rec.name)
                cols["volume"].append(v.name)
                cols["type"].append(v.type)
                cols["host_path"].append(v.host_path.path if v.host_path is not None else None)
                cols["host_path_type"].append(v.host_path.type if v.host_path is not None else None)
                cols["secret_name"].append(v.secret.secret_name if v.secret is not None else None)
                cols["config_map_name"].append(v.config_map.name if v.config_map is not None else None)
                cols["claim_name"].append(v.persistent_volume_claim.claim_name if v.persistent_volume_claim is not None else None)
    return make("volumes", cols)
