"""Equal parts of decoded objects become one object, so a 100k-pod snapshot fits in memory.

The pods of one workload repeat the same labels, env lists, probes, volume
mounts, security contexts and images; msgspec gives each occurrence its own
objects. :class:`Sharer` replaces each such part by the first equal one it
saw (equal JSON, in a table per field, so parts of different types never mix):
about a quarter of the memory per pod, for a fraction of the decoding time.

Loaded objects are read-only views: a shared part changed through one object
would change in every object that holds it.
"""

from __future__ import annotations

from typing import Any

import msgspec

from .. import _model as m

#: container fields shared whole (when equal between containers)
_CONTAINER_PARTS = (
    "command",
    "args",
    "env",
    "env_from",
    "ports",
    "security_context",
    "readiness_probe",
    "liveness_probe",
    "startup_probe",
    "lifecycle",
    "resources",
)
#: pod templates remembered to compare later ones with
_MAX_SEEN = 100_000
#: pod spec string fields worth one object each
_SPEC_STRINGS = ("service_account_name", "service_account", "node_name", "restart_policy")


class Sharer:
    """One set of tables for one load; safe to share between threads."""

    def __init__(self) -> None:
        self.strings: dict[str, str] = {}
        self.tables: dict[str, dict[bytes, Any]] = {
            name: {}
            for name in (
                "labels",
                "annotations",
                "owners",
                "volume",
                "projected",
                "mount",
                "pod_security",
                *_CONTAINER_PARTS,
            )
        }
        self._parts = [(f, self.tables[f]) for f in _CONTAINER_PARTS]
        #: (namespace, names and images of the containers) → metadata and pod spec of the first object with
        #: such a pod template (shared already)
        self._seen: dict[tuple[Any, ...], tuple[m.ObjectMeta, m.PodSpec]] = {}
        self._encode = msgspec.json.Encoder().encode

    def share(self, objs: list[Any]) -> None:
        """Share equal parts between ``objs`` (and everything shared before), in place."""
        seen = self._seen
        for o in objs:
            md = o.metadata
            tpl = m.pod_template(o)
            spec = tpl.spec if tpl is not None else None
            # a pod template is first compared with an earlier one of the same containers (names and images,
            # in the namespace): parts equal to its are taken from it by a comparison, without encoding them
            key, prev = None, None
            if spec is not None and spec.containers:
                key = (md.namespace, *[(c.name, c.image) for c in spec.containers])
                prev = seen.get(key)
            self._meta(md, prev[0] if prev is not None else None)
            if tpl is None:
                continue
            if tpl.metadata is not None and tpl.metadata is not md:
                self._meta(tpl.metadata, None)
            if spec is not None:
                self._spec(spec, prev[1] if prev is not None else None)
                if key is not None and prev is None and len(seen) < _MAX_SEEN:
                    seen[key] = (md, spec)
            if isinstance(o, m.Pod) and o.status is not None:
                st, s = o.status, self.strings.setdefault
                if st.phase:
                    st.phase = s(st.phase, st.phase)
                if st.host_ip:
                    st.host_ip = s(st.host_ip, st.host_ip)

    def share_kept(self, objs: list[Any]) -> None:
        """Equal parts of objects as they are kept (compacted against their owners' templates): about a third of
        the loaded objects' memory. A pod shares only :meth:`share_metadata`: compacted, it keeps little else."""
        pods = [o for o in objs if type(o) is m.Pod]
        if pods:
            self.share_metadata(pods)
        if len(pods) < len(objs):
            self.share([o for o in objs if type(o) is not m.Pod] if pods else objs)

    def share_metadata(self, objs: list[Any]) -> None:
        """The cheap part of :meth:`share`: only the objects' own metadata (labels, annotations, owners) and
        a pod's status and spec strings: what a pod keeps once compacted against its owner's template (a pod
        that keeps containers or volumes, one with no owner or that differs from its template, shares them too)."""
        s = self.strings.setdefault
        for o in objs:
            self._meta(o.metadata, None)
            if isinstance(o, m.Pod):
                st, sp = o.status, o.spec
                if st is not None:
                    if st.phase:
                        st.phase = s(st.phase, st.phase)
                    if st.host_ip:
                        st.host_ip = s(st.host_ip, st.host_ip)
                if sp is not None and (sp.containers or sp.init_containers or sp.ephemeral_containers or sp.volumes):
                    self._spec(sp, None)
                elif sp is not None:
                    for f in _SPEC_STRINGS:
                        v = getattr(sp, f)
                        if v:
                            setattr(sp, f, s(v, v))

    def _one(self, table: str, value: Any) -> Any:
        return self.tables[table].setdefault(self._encode(value), value)

    def _meta(self, md: m.ObjectMeta, prev: m.ObjectMeta | None) -> None:
        s = self.strings.setdefault
        if md.namespace:
            md.namespace = s(md.namespace, md.namespace)
        if md.generate_name:
            md.generate_name = s(md.generate_name, md.generate_name)
        if md.labels:
            md.labels = prev.labels if prev is not None and md.labels == prev.labels else self._one("labels", md.labels)
        if md.annotations:
            md.annotations = (
                prev.annotations
                if prev is not None and md.annotations == prev.annotations
                else self._one("annotations", md.annotations)
            )
        if md.owner_references:
            md.owner_references = (
                prev.owner_references
                if prev is not None and md.owner_references == prev.owner_references
                else self._one("owners", md.owner_references)
            )

    def _spec(self, sp: m.PodSpec, prev: m.PodSpec | None) -> None:
        s = self.strings.setdefault
        one, enc, parts, mount = self._one, self._encode, self._parts, self.tables["mount"].setdefault
        groups = (sp.containers, sp.init_containers, sp.ephemeral_containers)
        before = (prev.containers, prev.init_containers, prev.ephemeral_containers) if prev is not None else ((),) * 3
        for group, earlier in zip(groups, before):
            n_earlier = len(earlier) if earlier else 0
            for i, c in enumerate(group or ()):
                mounts = c.volume_mounts
                same = None
                if i < n_earlier:
                    e = earlier[i]  # type: ignore[index]
                    c.volume_mounts = e.volume_mounts  # (the service account token mount differs between pods)
                    if c == e:
                        same = e
                    c.volume_mounts = mounts
                if same is not None:
                    c.name, c.image = same.name, same.image
                    for f, _ in parts:
                        setattr(c, f, getattr(same, f))
                else:
                    if c.name:
                        c.name = s(c.name, c.name)
                    if c.image:
                        c.image = s(c.image, c.image)
                    for f, table in parts:
                        v = getattr(c, f)
                        if v is not None:
                            setattr(c, f, table.setdefault(enc(v), v))
                if mounts:
                    known = same.volume_mounts if same is not None else None
                    n_known = len(known) if known else 0
                    for j, vm in enumerate(mounts):
                        if j < n_known and vm == known[j]:  # type: ignore[index]
                            mounts[j] = known[j]  # type: ignore[index]
                        else:
                            mounts[j] = mount(enc(vm), vm)
        vols = sp.volumes
        if vols:
            known_vols = prev.volumes if prev is not None else None
            n_vols = len(known_vols) if known_vols else 0
            for i, v in enumerate(vols):
                if i < n_vols and v == known_vols[i]:  # type: ignore[index]
                    vols[i] = known_vols[i]  # type: ignore[index]
                    continue
                shared = one("volume", v)
                if shared is v and v.projected is not None:  # e.g. kube-api-access-<random>: same sources
                    v.projected = one("projected", v.projected)
                vols[i] = shared
        if sp.security_context is not None:
            sp.security_context = (
                prev.security_context
                if prev is not None and sp.security_context == prev.security_context
                else one("pod_security", sp.security_context)
            )
        for f in _SPEC_STRINGS:
            v = getattr(sp, f)
            if v:
                setattr(sp, f, s(v, v))
