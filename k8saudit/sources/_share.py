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
        self._encode = msgspec.json.Encoder().encode

    def share(self, objs: list[Any]) -> None:
        """Share equal parts between ``objs`` (and everything shared before), in place."""
        for o in objs:
            md = o.metadata
            self._meta(md)
            tpl = m.pod_template(o)
            if tpl is None:
                continue
            if tpl.metadata is not None and tpl.metadata is not md:
                self._meta(tpl.metadata)
            if tpl.spec is not None:
                self._spec(tpl.spec)
            if isinstance(o, m.Pod) and o.status is not None:
                st, s = o.status, self.strings.setdefault
                if st.phase:
                    st.phase = s(st.phase, st.phase)
                if st.host_ip:
                    st.host_ip = s(st.host_ip, st.host_ip)

    def _one(self, table: str, value: Any) -> Any:
        return self.tables[table].setdefault(self._encode(value), value)

    def _meta(self, md: m.ObjectMeta) -> None:
        s = self.strings.setdefault
        if md.namespace:
            md.namespace = s(md.namespace, md.namespace)
        if md.generate_name:
            md.generate_name = s(md.generate_name, md.generate_name)
        if md.labels:
            md.labels = self._one("labels", md.labels)
        if md.annotations:
            md.annotations = self._one("annotations", md.annotations)
        if md.owner_references:
            md.owner_references = self._one("owners", md.owner_references)

    def _spec(self, sp: m.PodSpec) -> None:
        s = self.strings.setdefault
        one, enc, parts, mount = self._one, self._encode, self._parts, self.tables["mount"].setdefault
        for group in (sp.containers, sp.init_containers, sp.ephemeral_containers):
            for c in group or ():
                if c.name:
                    c.name = s(c.name, c.name)
                if c.image:
                    c.image = s(c.image, c.image)
                for f, table in parts:
                    v = getattr(c, f)
                    if v is not None:
                        setattr(c, f, table.setdefault(enc(v), v))
                mounts = c.volume_mounts
                if mounts:
                    for i, vm in enumerate(mounts):
                        mounts[i] = mount(enc(vm), vm)
        vols = sp.volumes
        if vols:
            for i, v in enumerate(vols):
                shared = one("volume", v)
                if shared is v and v.projected is not None:  # e.g. kube-api-access-<random>: same sources
                    v.projected = one("projected", v.projected)
                vols[i] = shared
        if sp.security_context is not None:
            sp.security_context = one("pod_security", sp.security_context)
        for f in _SPEC_STRINGS:
            v = getattr(sp, f)
            if v:
                setattr(sp, f, s(v, v))
