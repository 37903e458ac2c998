"""Workloads and what their pod templates hold: containers, env, volumes.

Live-style snapshots hold pods, ReplicaSets and Jobs as well as their owners;
everything rolls up to its top owner, so a Deployment with 300 pods is one
workload (``pod_count`` 300) and its containers are read once, from its template.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from .. import _model as m
from .._normalize import looks_like_credential
from ._schema import make


class WorkloadRec(NamedTuple):
    kind: str
    namespace: str | None
    name: str | None
    obj: Any  # the workload object (a representative pod for a missing controller)
    template: m.PodTemplate | None
    source: str
    pod_count: int
    #: containers found on the workload's live pods but not in its template: ephemeral ones (`kubectl debug`
    #: adds them to pods) and sidecars injected by admission webhooks, as (container, container_type)
    pod_extra: tuple[tuple[m.Container, str], ...] = ()


_CONTROLLERS = m.POD_TEMPLATE_KINDS
_SYSTEM_NODE_OWNER = "Node"


def workload_index(snap: Any) -> list[WorkloadRec]:
    """Top-level workloads of a snapshot (cached on it)."""
    cached: list[WorkloadRec] | None = snap._frames.get("_workload_index")
    if cached is not None:
        return cached
    by_uid: dict[str, tuple[str, Any]] = {}
    by_key: dict[tuple[str, str | None, str | None], Any] = {}
    for kind in _CONTROLLERS:
        for o in snap.items(kind):
            md = o.metadata
            if md.uid:
                by_uid[md.uid] = (kind, o)
            by_key[(kind, md.namespace, md.name)] = o

    def owner_of(o: Any) -> tuple[str | None, Any, Any]:
        """(owner kind, owner object or None, the ownerReference) of the controlling owner."""
        refs = o.metadata.owner_references
        if not refs:
            return None, None, None
        ref = next((r for r in refs if r.controller), refs[0])
        hit = by_uid.get(ref.uid) if ref.uid else None
        if hit is not None:
            return hit[0], hit[1], ref
        obj = by_key.get((ref.kind, o.metadata.namespace, ref.name))
        return ref.kind, obj, ref

    top_cache: dict[int, tuple[str, Any]] = {}

    def top(kind: str, o: Any) -> tuple[str, Any]:
        key = id(o)
        got = top_cache.get(key)
        if got is not None:
            return got
        seen = 0
        cur_kind, cur = kind, o
        while seen < 10:
            ok, owner, _ = owner_of(cur)
            if owner is None:
                break
            cur_kind, cur = ok, owner  # type: ignore[assignment]
            seen += 1
        top_cache[key] = (cur_kind, cur)
        return cur_kind, cur

    counts: dict[int, int] = {}
    ephemeral: dict[int, dict[tuple[str, str], tuple[m.Container, str]]] = {}
    groups: dict[tuple[str, str | None, str | None], list[Any]] = {}
    bare: list[tuple[Any, str]] = []
    pods = snap.items("Pod")
    pod_sources = snap.provenance("Pod")
    for p, (src, _line) in zip(pods, pod_sources):
        ok, owner, ref = owner_of(p)
        if owner is not None:
            _, t = top(ok, owner)  # type: ignore[arg-type]
            counts[id(t)] = counts.get(id(t), 0) + 1
            if p.spec is not None and (p.spec.ephemeral_containers or p.spec.containers or p.spec.init_containers):
                _collect_extra(ephemeral.setdefault(id(t), {}), p.spec, t)
        elif ref is not None and ref.kind != _SYSTEM_NODE_OWNER:
            groups.setdefault((ref.kind or "Unknown", p.metadata.namespace, ref.name), []).append((p, src))
        else:
            bare.append((p, src))

    out: list[WorkloadRec] = []
    for kind in _CONTROLLERS:
        for o, (src, _line) in zip(snap.items(kind), snap.provenance(kind)):
            _, owner, _ = owner_of(o)
            if owner is not None:
                continue  # rolls up to its owner
            md = o.metadata
            out.append(WorkloadRec(kind, md.namespace, md.name, o, m.pod_template(o), src, counts.get(id(o), 0),
                                   tuple(ephemeral.get(id(o), {}).values())))
    for p, src in bare:
        md = p.metadata
        out.append(WorkloadRec("Pod", md.namespace, md.name, p, m.pod_template(p), src, 1))
    for (kind, ns, name), members in groups.items():
        p, src = members[0]
        eph_g: dict[tuple[str, str], tuple[m.Container, str]] = {}
        for q, _ in members[1:]:
            if q.spec is not None:
                _collect_extra(eph_g, q.spec, p)
        out.append(WorkloadRec(kind, ns, name, p, m.pod_template(p), src, len(members), tuple(eph_g.values())))
    snap._frames["_workload_index"] = out
    return out


# --------------------------------------------------------------------------- helpers


def _collect_extra(bucket: dict[tuple[str, str], tuple[m.Container, str]], spec: m.PodSpec, top: Any) -> None:
    """Add a live pod's containers that its workload's template lacks (by name) to ``bucket``."""
    tpl = m.pod_template(top)
    tspec = tpl.spec if tpl is not None else None
    names = {c.name for c in [*(tspec.containers or ()), *(tspec.init_containers or ())]} if tspec is not None else set()
    for group, ctype in ((spec.containers, "container"), (spec.init_containers, "init"),
                         (spec.ephemeral_containers, "ephemeral")):
        for c in group or ():
            if ctype == "ephemeral" or c.name not in names:
                bucket.setdefault((ctype, c.name), (c, ctype))


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
    from ..checks.pss import evaluate, rejected_by

    recs = workload_index(snap)
    sas = {(sa.metadata.namespace, sa.metadata.name): sa.automount_service_account_token
           for sa in snap.items("ServiceAccount")}
    enforce = {ns.metadata.name: (ns.metadata.labels or {}).get("pod-security.kubernetes.io/enforce")
               for ns in snap.items("Namespace")}
    cols: dict[str, list[Any]] = {c: [] for c in (
        "cluster kind namespace name uid api_version replicas pod_count service_account automount_sa_token "
        "automount_source host_network host_pid host_ipc host_users os strategy max_unavailable "
        "max_unavailable_pods labels pod_labels selector annotations pss_level pss_violations pss_enforce "
        "pss_rejected source").split()}
    for rec in recs:
        _tpl, spec, tmeta = _spec_fields(rec)
        md = rec.obj.metadata
        sa_name = (spec.service_account_name or spec.service_account) if spec is not None else None
        sa_name = sa_name or "default"
        if spec is not None and spec.automount_service_account_token is not None:
            automount, asrc = spec.automount_service_account_token, "pod"
        elif sas.get((rec.namespace, sa_name)) is not None:
            automount, asrc = bool(sas[(rec.namespace, sa_name)]), "service_account"
        else:
            automount, asrc = True, "default"
        replicas = _replicas(rec)
        strategy, mu, mu_pods = _strategy(rec, replicas)
        level, violations = evaluate(spec, tmeta)
        ns_level = enforce.get(rec.namespace)
        obj_spec = getattr(rec.obj, "spec", None)
        sel = getattr(obj_spec, "selector", None) if rec.kind not in ("Pod",) else None
        sel_d: dict[str, Any] | None
        if isinstance(sel, dict):  # ReplicationController: a plain map
            sel_d = {"match_labels": dict(sel), "match_expressions": []}
        else:
            sel_d = _selector(sel)
        ann = dict(md.annotations or {})
        if tmeta is not None and tmeta is not md and tmeta.annotations:
            ann.update(tmeta.annotations)
        cols["cluster"].append(snap.cluster)
        cols["kind"].append(rec.kind)
        cols["namespace"].append(rec.namespace)
        cols["name"].append(rec.name)
        cols["uid"].append(md.uid if rec.kind == "Pod" or rec.kind in _CONTROLLERS else None)
        cols["api_version"].append(rec.obj.api_version if rec.kind == "Pod" or rec.kind in _CONTROLLERS else None)
        cols["replicas"].append(replicas)
        cols["pod_count"].append(rec.pod_count)
        cols["service_account"].append(sa_name)
        cols["automount_sa_token"].append(automount)
        cols["automount_source"].append(asrc)
        cols["host_network"].append(bool(spec is not None and spec.host_network))
        cols["host_pid"].append(bool(spec is not None and spec.host_pid))
        cols["host_ipc"].append(bool(spec is not None and spec.host_ipc))
        cols["host_users"].append(spec.host_users if spec is not None else None)
        cols["os"].append(spec.os.name if spec is not None and spec.os is not None else None)
        cols["strategy"].append(strategy)
        cols["max_unavailable"].append(mu)
        cols["max_unavailable_pods"].append(mu_pods)
        cols["labels"].append(dict(md.labels or {}))
        cols["pod_labels"].append(dict((tmeta.labels if tmeta is not None else None) or {}))
        cols["selector"].append(sel_d)
        cols["annotations"].append(ann)
        cols["pss_level"].append(level)
        cols["pss_violations"].append(violations)
        cols["pss_enforce"].append(ns_level)
        cols["pss_rejected"].append(rejected_by(level, ns_level))
        cols["source"].append(rec.source)
    return make("workloads", cols)


def _containers_of(spec: m.PodSpec | None, rec: WorkloadRec | None = None) -> list[tuple[m.Container, str]]:
    out: list[tuple[m.Container, str]] = []
    if spec is not None:
        out += [(c, "container") for c in spec.containers or ()]
        out += [(c, "init") for c in spec.init_containers or ()]
        out += [(c, "ephemeral") for c in spec.ephemeral_containers or ()]
    if rec is not None and rec.pod_extra:
        have = {(t, c.name) for c, t in out}
        out += [(c, t) for c, t in rec.pod_extra if (t, c.name) not in have]
    return out


def build_containers(snap: Any) -> Any:
    names = ("cluster kind namespace name container container_type sidecar injected long_running windows image privileged "
             "allow_privilege_escalation read_only_root_filesystem run_as_non_root run_as_user run_as_group "
             "proc_mount seccomp_profile caps_add caps_drop host_ports readiness_probe liveness_probe").split()
    cols: dict[str, list[Any]] = {c: [] for c in names}
    cluster = snap.cluster
    for rec in workload_index(snap):
        _, spec, _ = _spec_fields(rec)
        psc = spec.security_context if spec is not None else None
        p_nonroot = psc.run_as_non_root if psc is not None else None
        p_user = psc.run_as_user if psc is not None else None
        p_group = psc.run_as_group if psc is not None else None
        p_seccomp = psc.seccomp_profile.type if psc is not None and psc.seccomp_profile is not None else None
        windows = spec is not None and spec.os is not None and spec.os.name == "windows"
        batch = rec.kind in ("Job", "CronJob") or (
            rec.kind == "Pod" and spec is not None and spec.restart_policy in ("Never", "OnFailure"))
        tnames = {c.name for c, t in _containers_of(spec)}
        for c, ctype in _containers_of(spec, rec):
            sc = c.security_context
            sidecar = ctype == "init" and c.restart_policy == "Always"
            cols["injected"].append(ctype != "ephemeral" and c.name not in tnames)
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
                    sc.seccomp_profile.type if sc.seccomp_profile is not None and sc.seccomp_profile.type else p_seccomp)
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
    names = ("cluster kind namespace name container container_type var source value looks_like_credential "
             "secret_name secret_key config_map_name config_map_key").split()
    cols: dict[str, list[Any]] = {c: [] for c in names}
    cluster = snap.cluster
    cred_cache: dict[str, bool] = {}

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
        _, spec, _ = _spec_fields(rec)
        for c, ctype in _containers_of(spec, rec):
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
    names = "cluster kind namespace name volume type host_path host_path_type secret_name config_map_name claim_name".split()
    cols: dict[str, list[Any]] = {c: [] for c in names}
    for rec in workload_index(snap):
        _, spec, _ = _spec_fields(rec)
        for v in (spec.volumes if spec is not None else None) or ():
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
