"""Workloads and what their pod templates hold: containers, env, volumes.

Live-style snapshots hold pods, ReplicaSets and Jobs as well as their owners;
everything rolls up to its top owner, so a Deployment with 300 pods is one
workload (``pod_count`` 300) and its containers are read once, from its template.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

import msgspec

from .. import _model as m
from .._normalize import looks_like_credential
from .._podspec import TemplateIndex, container_key, pod_level_key, sa_token_volumes, volume_key
from .._pss import evaluate, rejected_by
from ._spec import TB, B, Derived, I, O, Row, S, SnapshotView, columns_of, frame, repeat_runs


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


#: the top-level workloads of a snapshot, each with what its pods run that its template does not say
WORKLOADS_INDEX: Derived[list[WorkloadRec]] = Derived("workloads", lambda snap: _WorkloadIndex(snap).build())


def workload_index(snap: SnapshotView) -> list[WorkloadRec]:
    """Top-level workloads of a snapshot (built once per snapshot: see :data:`WORKLOADS_INDEX`)."""
    return WORKLOADS_INDEX.of(snap)


class _Variants:
    """The distinct differences of one workload's members from its template."""

    __slots__ = ("found", "index")

    def __init__(self, template_spec: m.PodSpec | None) -> None:
        self.index = TemplateIndex(template_spec)
        self.found: dict[bytes, list[Any]] = {}

    def add(self, member: str, spec: m.PodSpec, pod_name: str | None) -> None:
        idx = self.index
        diff = [
            (c, ctype)
            for ctype, group in (
                ("container", spec.containers),
                ("init", spec.init_containers),
                ("ephemeral", spec.ephemeral_containers),
            )
            for c in group or ()
            if idx.differs(ctype, c)
        ]
        vols = idx.added_volumes(spec, pod_name)
        plk = pod_level_key(spec)
        pod_level = plk != idx.pod_level
        if not diff and not vols and not pod_level:
            return
        key = b"\x00".join(
            [
                plk if pod_level else b"",
                *(t.encode() + container_key(c) for c, t in diff),
                *(volume_key(v) for v in vols),
            ]
        )
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
        own,
        containers=overlay(base.containers, own.containers),
        init_containers=overlay(base.init_containers, own.init_containers),
        volumes=overlay(base.volumes, own.volumes),
    )


class _WorkloadIndex:
    def __init__(self, snap: SnapshotView) -> None:
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
            out.append(
                WorkloadRec(
                    kind,
                    md.namespace,
                    md.name,
                    o,
                    m.pod_template(o),
                    src,
                    counts.get(id(o), 0),
                    v.result() if v is not None else (),
                )
            )
        for p, src in bare:
            md = p.metadata
            out.append(WorkloadRec("Pod", md.namespace, md.name, p, m.pod_template(p), src, 1))
        for (kind, ns, name), members in orphans.items():
            out.append(_synthetic(kind, ns, name, members))
        return out

    @staticmethod
    def _member(
        v: _Variants, top: Any, base: m.PodSpec | None, spec: m.PodSpec, member: str, pod_name: str | None
    ) -> None:
        tpl = m.pod_template(top)
        tspec = tpl.spec if tpl is not None else None
        if (
            base is tspec
            and not (spec.containers or spec.init_containers or spec.ephemeral_containers or spec.volumes)
            and pod_level_key(spec) == v.index.pod_level
        ):
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
    return WorkloadRec(
        kind,
        ns,
        name,
        rep,
        m.PodTemplate(metadata=rep.metadata, spec=rep.spec),
        src,
        len(members),
        v.result(),
        synthetic=True,
    )


def _spec_key(spec: m.PodSpec | None) -> bytes:
    if spec is None:
        return b""
    sa = sa_token_volumes(spec)
    return b"\x00".join(
        [
            pod_level_key(spec),
            *(
                container_key(c)
                for g in (spec.containers, spec.init_containers, spec.ephemeral_containers)
                for c in g or ()
            ),
            *sorted(volume_key(v) for v in spec.volumes or () if v.name not in sa),
        ]
    )


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
            {"key": e.key, "operator": e.operator, "values": list(e.values or [])} for e in sel.match_expressions or []
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


#: a workload's identity, first in every frame about what a workload runs
WORKLOAD_KEYS: list[tuple[str, str, str]] = [
    ("cluster", S, "cluster name"),
    (
        "kind",
        S,
        "workload kind (Deployment, StatefulSet, DaemonSet, Job, CronJob, ReplicaSet, ReplicationController, Pod, or the kind of a controller not in the snapshot)",
    ),
    ("namespace", S, "namespace"),
    ("name", S, "workload name"),
]
_WK = ("cluster", "kind", "namespace", "name")
#: kinds whose objects make a workload (a pod spec owner, or a pod rolling up to one)
WORKLOAD_KINDS: tuple[str, ...] = ("Pod", *m.POD_TEMPLATE_KINDS)


@frame(
    "workloads",
    "One row per top-level pod-spec owner.",
    keys=(*_WK, "pod"),
    kinds=WORKLOAD_KINDS,
    columns=[
        *WORKLOAD_KEYS,
        (
            "pod",
            S,
            "<NA> for the workload's own row (its template); else the first pod whose own fields (host namespaces, security context, service account) give it another outcome than its template (count workloads with `pod.isna()`), or `ReplicaSet/<name>` of an older revision still running",
        ),
        (
            "synthetic",
            B,
            "the controller is not in the snapshot (e.g. `kubectl get pods` alone, or ReplicaSets not readable): this row stands for it and is read from its pods; a Deployment is inferred from the pod-template-hash naming",
        ),
        ("uid", S, "uid of the workload object"),
        ("api_version", S, "apiVersion"),
        ("replicas", I, "desired replicas (Deployment/StatefulSet/ReplicaSet/RC: default 1; Job: parallelism; Pod: 1)"),
        ("pod_count", I, "pods in the snapshot that roll up to this workload"),
        ("service_account", S, "effective service account name"),
        (
            "automount_sa_token",
            B,
            "is the service account token mounted (pod field, else ServiceAccount's, else true)",
            ("ServiceAccount",),
        ),
        (
            "automount_source",
            S,
            "where automount_sa_token comes from: pod, service_account, default",
            ("ServiceAccount",),
        ),
        ("host_network", B, "spec.hostNetwork"),
        ("host_pid", B, "spec.hostPID"),
        ("host_ipc", B, "spec.hostIPC"),
        ("host_users", TB, "spec.hostUsers (false: user namespace)"),
        ("os", S, "spec.os.name"),
        ("strategy", S, "Deployment strategy / StatefulSet, DaemonSet updateStrategy type (defaults filled)"),
        ("max_unavailable", S, "rollingUpdate.maxUnavailable as written, or its default"),
        ("max_unavailable_pods", I, "maxUnavailable resolved against replicas (percentages round down)"),
        ("labels", O, "metadata.labels"),
        ("pod_labels", O, "labels of the pods (template labels)"),
        ("selector", O, "spec.selector as {match_labels, match_expressions}"),
        ("annotations", O, "metadata.annotations and pod template annotations (merged)"),
        ("pss_level", S, "highest Pod Security Standards level satisfied: restricted, baseline, privileged"),
        ("pss_violations", O, "PSS controls broken (list of control ids)"),
        ("pss_enforce", S, "the namespace's pod-security.kubernetes.io/enforce level", ("Namespace",)),
        ("pss_rejected", B, "would the namespace's enforce level reject these pods", ("Namespace",)),
        ("source", S, "where the workload object was read"),
    ],
)
def build_workloads(snap: SnapshotView) -> Iterator[Row]:
    recs = workload_index(snap)
    cluster = snap.cluster
    sas = {
        (sa.metadata.namespace, sa.metadata.name): sa.automount_service_account_token
        for sa in snap.items("ServiceAccount")
    }
    enforce = {
        ns.metadata.name: (ns.metadata.labels or {}).get("pod-security.kubernetes.io/enforce")
        for ns in snap.items("Namespace")
    }

    def pod_fields(rec: WorkloadRec, spec: m.PodSpec | None, tmeta: Any) -> tuple[Any, ...]:
        """service_account … os, then pss_level and pss_violations: what a pod's own fields decide."""
        sa_name = (spec.service_account_name or spec.service_account) if spec is not None else None
        sa_name = sa_name or "default"
        if spec is not None and spec.automount_service_account_token is not None:
            automount, asrc = spec.automount_service_account_token, "pod"
        elif sas.get((rec.namespace, sa_name)) is not None:
            automount, asrc = bool(sas[(rec.namespace, sa_name)]), "service_account"
        else:
            automount, asrc = True, "default"
        level, violations = evaluate(spec, tmeta)
        return (
            sa_name,
            automount,
            asrc,
            bool(spec is not None and spec.host_network),
            bool(spec is not None and spec.host_pid),
            bool(spec is not None and spec.host_ipc),
            spec.host_users if spec is not None else None,
            spec.os.name if spec is not None and spec.os is not None else None,
            level,
            violations,
        )

    for rec in recs:
        _, spec, tmeta = _spec_fields(rec)
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
        entries: list[tuple[str | None, int, tuple[Any, ...]]] = [(None, rec.pod_count, base)]
        for v in rec.variants:
            if not v.pod_level:  # differing containers have rows in containers (and are audited there)
                continue
            fields = pod_fields(rec, v.spec, tmeta)
            if fields != base:
                entries.append((v.member, v.count, fields))
        uid = md.uid if real else None
        api_version = rec.obj.api_version if real else None
        pod_labels = (tmeta.labels if tmeta is not None else None) or {}
        for pod, count, fields in entries:
            variant = pod is not None
            yield (
                cluster,
                rec.kind,
                rec.namespace,
                rec.name,
                pod,
                rec.synthetic,
                uid,
                api_version,
                None if variant else replicas,
                count,
                *fields[:8],
                None if variant else strategy,
                None if variant else mu,
                None if variant else mu_pods,
                dict(md.labels or {}),
                dict(pod_labels),
                sel_d,
                ann,
                fields[8],
                fields[9],
                ns_level,
                rejected_by(fields[8], ns_level),
                rec.source,
            )


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


@frame(
    "containers",
    "One row per container (init, ephemeral too).",
    keys=(*_WK, "pod", "container"),
    kinds=WORKLOAD_KINDS,
    columns=[
        *WORKLOAD_KEYS,
        ("container", S, "container name"),
        (
            "pod",
            S,
            "<NA> for a container of the workload's template; else the first pod running this container as it is (a container its template lacks or says otherwise, or any container of a pod whose own security context differs), or `ReplicaSet/<name>` of an older revision",
        ),
        ("container_type", S, "container, init or ephemeral"),
        (
            "differs_from_template",
            B,
            "a pod's container that its template also names, but with other settings (image, security context, ...): mutated by a webhook, edited, or an older revision",
        ),
        ("sidecar", B, "an init container with restartPolicy Always"),
        ("injected", B, "found on the workload's live pods but not in its template (added by an admission webhook)"),
        ("long_running", B, "expected to keep running (not a Job's, not a plain init container)"),
        ("windows", B, "the pod runs on Windows (spec.os.name): Linux-only settings do not apply"),
        ("image", S, "image reference"),
        ("privileged", TB, "securityContext.privileged"),
        ("allow_privilege_escalation", TB, "securityContext.allowPrivilegeEscalation"),
        ("read_only_root_filesystem", TB, "securityContext.readOnlyRootFilesystem"),
        ("run_as_non_root", TB, "effective runAsNonRoot (container over pod)"),
        ("run_as_user", I, "effective runAsUser (container over pod)"),
        ("run_as_group", I, "effective runAsGroup (container over pod)"),
        ("proc_mount", S, "securityContext.procMount"),
        ("seccomp_profile", S, "effective seccompProfile.type (container over pod)"),
        (
            "seccomp_annotation",
            S,
            "legacy seccomp annotation value (container.seccomp.security.alpha.kubernetes.io/<c> "
            "over seccomp.security.alpha.kubernetes.io/pod), e.g. runtime/default, unconfined",
        ),
        (
            "apparmor_profile",
            S,
            "effective AppArmor profile type: container appArmorProfile, else the legacy "
            "container.apparmor.security.beta.kubernetes.io/<c> annotation (runtime/default → "
            "RuntimeDefault, localhost/* → Localhost, unconfined → Unconfined), else the pod's",
        ),
        ("caps_add", O, "capabilities.add, upper case, CAP_ prefix removed"),
        ("caps_drop", O, "capabilities.drop, upper case, CAP_ prefix removed"),
        ("host_ports", O, "non-zero hostPorts"),
        ("readiness_probe", B, "has a readinessProbe"),
        ("liveness_probe", B, "has a livenessProbe"),
    ],
)
def build_containers(snap: SnapshotView) -> Iterator[Row]:
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
                rec.kind == "Pod" and spec is not None and spec.restart_policy in ("Never", "OnFailure")
            )
            for c, ctype in containers:
                sc = c.security_context
                sidecar = ctype == "init" and c.restart_policy == "Always"
                in_tpl = pod is None or (tidx is not None and ctype != "ephemeral" and c.name in tidx.names)
                seccomp_ann = (ann.get(SECCOMP_CONTAINER_ANNOTATION + c.name) or p_seccomp_ann) if ann else None
                c_apparmor = _profile_type(sc.app_armor_profile if sc is not None else None)
                if c_apparmor is None and ann:
                    c_apparmor = apparmor_annotation_type(ann.get(APPARMOR_ANNOTATION + c.name))
                if sc is not None:
                    caps = sc.capabilities
                    security: tuple[Any, ...] = (
                        sc.privileged,
                        sc.allow_privilege_escalation,
                        sc.read_only_root_filesystem,
                        sc.run_as_non_root if sc.run_as_non_root is not None else p_nonroot,
                        sc.run_as_user if sc.run_as_user is not None else p_user,
                        sc.run_as_group if sc.run_as_group is not None else p_group,
                        sc.proc_mount,
                        sc.seccomp_profile.type
                        if sc.seccomp_profile is not None and sc.seccomp_profile.type
                        else p_seccomp,
                    )
                    caps_add = _caps(caps.add if caps is not None else None)
                    caps_drop = _caps(caps.drop if caps is not None else None)
                else:
                    security = (None, None, None, p_nonroot, p_user, p_group, None, p_seccomp)
                    caps_add, caps_drop = [], []
                yield (
                    cluster,
                    rec.kind,
                    rec.namespace,
                    rec.name,
                    c.name,
                    pod,
                    ctype,
                    pod is not None and in_tpl and tidx is not None and tidx.differs(ctype, c),
                    sidecar,
                    ctype != "ephemeral" and not in_tpl,
                    not batch and (ctype == "container" or sidecar),
                    windows,
                    c.image,
                    *security,
                    seccomp_ann,
                    c_apparmor or p_apparmor,
                    caps_add,
                    caps_drop,
                    [p.host_port for p in c.ports or () if p.host_port],
                    c.readiness_probe is not None,
                    c.liveness_probe is not None,
                )


@frame(
    "env",
    "One row per env var or envFrom entry.",
    keys=(*_WK, "pod", "container", "var"),
    kinds=WORKLOAD_KINDS,
    columns=[
        *WORKLOAD_KEYS,
        ("container", S, "container name"),
        ("pod", S, "<NA> for the template's containers; else the pod whose own container this is (see containers.pod)"),
        ("container_type", S, "container, init or ephemeral"),
        ("var", S, "variable name (envFrom: the prefix, or empty)"),
        (
            "source",
            S,
            "literal, secret_key_ref, config_map_key_ref, field_ref, resource_field_ref, env_from_secret, env_from_config_map, unset",
        ),
        ("value", S, "literal value; masked when the name looks like a credential"),
        ("looks_like_credential", B, "the name looks like it holds a credential"),
        ("secret_name", S, "Secret referenced"),
        ("secret_key", S, "key of the Secret referenced"),
        ("config_map_name", S, "ConfigMap referenced"),
        ("config_map_key", S, "key of the ConfigMap referenced"),
    ],
    columnar=True,
)
def build_env(snap: SnapshotView) -> list[Any]:
    # a container's rows share its workload and container columns: those are built once per container
    cluster = snap.cluster

    def text(value: Any) -> str | None:
        return None if value is None else str(value).lower() if isinstance(value, bool) else str(value)

    heads: list[Row] = []
    counts: list[int] = []
    # var, source, value, looks_like_credential, secret name and key, config map name and key
    rows: list[Row] = []
    add = rows.append
    for rec in workload_index(snap):
        for _, pod, containers, _ in _specs(rec):
            for c, ctype in containers:
                before = len(rows)
                for e in c.env or ():
                    vf, var = e.value_from, e.name
                    cred = looks_like_credential(var)
                    if vf is None:
                        v = e.value
                        add(
                            (
                                var,
                                "literal",
                                v if v.__class__ is str else text("" if v is None else v),
                                cred,
                                None,
                                None,
                                None,
                                None,
                            )
                        )
                    elif vf.secret_key_ref is not None:
                        ref = vf.secret_key_ref
                        add((var, "secret_key_ref", None, cred, ref.name, ref.key, None, None))
                    elif vf.config_map_key_ref is not None:
                        cm = vf.config_map_key_ref
                        add((var, "config_map_key_ref", None, cred, None, None, cm.name, cm.key))
                    elif vf.field_ref is not None:
                        add((var, "field_ref", text(vf.field_ref.field_path), cred, None, None, None, None))
                    elif vf.resource_field_ref is not None:
                        res = text(vf.resource_field_ref.resource)
                        add((var, "resource_field_ref", res, cred, None, None, None, None))
                    else:
                        add((var, "unset", None, cred, None, None, None, None))
                for ef in c.env_from or ():
                    var = ef.prefix or ""
                    cred = looks_like_credential(var)
                    if ef.secret_ref is not None:
                        add((var, "env_from_secret", None, cred, ef.secret_ref.name, None, None, None))
                    elif ef.config_map_ref is not None:
                        add((var, "env_from_config_map", None, cred, None, None, ef.config_map_ref.name, None))
                if len(rows) > before:
                    heads.append((cluster, rec.kind, rec.namespace, rec.name, c.name, pod, ctype))
                    counts.append(len(rows) - before)
    return [*repeat_runs(heads, counts, 7), *columns_of(rows, 8)]


@frame(
    "volumes",
    "One row per pod volume.",
    keys=(*_WK, "pod", "volume"),
    kinds=WORKLOAD_KINDS,
    columns=[
        *WORKLOAD_KEYS,
        ("volume", S, "volume name"),
        (
            "pod",
            S,
            "<NA> for the template's volumes; else the first pod that adds this volume (the service account token volume and StatefulSet claims are not counted)",
        ),
        ("type", S, "volume type as in the API (hostPath, secret, configMap, ...)"),
        ("host_path", S, "hostPath.path"),
        ("host_path_type", S, "hostPath.type"),
        ("secret_name", S, "secret.secretName"),
        ("config_map_name", S, "configMap.name"),
        ("claim_name", S, "persistentVolumeClaim.claimName"),
    ],
)
def build_volumes(snap: SnapshotView) -> Iterator[Row]:
    cluster = snap.cluster
    for rec in workload_index(snap):
        for _, pod, _, volumes in _specs(rec):
            for v in volumes:
                hp = v.host_path
                yield (
                    cluster,
                    rec.kind,
                    rec.namespace,
                    rec.name,
                    v.name,
                    pod,
                    v.type,
                    hp.path if hp is not None else None,
                    hp.type if hp is not None else None,
                    v.secret.secret_name if v.secret is not None else None,
                    v.config_map.name if v.config_map is not None else None,
                    v.persistent_volume_claim.claim_name if v.persistent_volume_claim is not None else None,
                )
