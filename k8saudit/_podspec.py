"""What a pod shares with its owner's template, and what it does not.

A live cluster holds every pod beside the controller whose template made it.
The API server and its admission plugins add the same things to every pod
(the service-account token volume and its mounts, a node name, defaulted
fields); webhooks and old revisions mid-rollout may change more (an image, a
security context, an added volume or container). :func:`residual` keeps what a
pod says that its template does not, so that identical pods cost almost
nothing and a pod that differs keeps its differences.

Comparisons are canonical: fields the API defaults (port protocol ``TCP``, probe
scheme ``HTTP``, ``restartPolicy: Always``, an empty ``securityContext``) compare
equal whether or not they are written, and fields no frame reads (resources,
probe timings) are not compared.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from . import _model as m

#: where the kubelet mounts the service account token (ServiceAccount admission adds the volume)
SA_TOKEN_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"

_enc = msgspec.json.Encoder()


def _sc(sc: Any) -> Any:
    """A security context, or None when it is unset or empty (``{}`` is what the API writes)."""
    if sc is None:
        return None
    return None if _enc.encode(sc) == b"{}" else sc


def _handler(h: m.Handler | None) -> Any:
    if h is None:
        return None
    hg = h.http_get
    if hg is not None and (hg.scheme or "HTTP").upper() == "HTTP" and hg.scheme is not None:
        hg = msgspec.structs.replace(hg, scheme=None)
    return (hg, h.tcp_socket, h.exec, h.grpc, h.sleep)


def sa_token_volumes(spec: m.PodSpec | None) -> frozenset[str]:
    """Names of the volumes some container mounts at the service account token path."""
    if spec is None:
        return frozenset()
    out = set()
    for group in (spec.containers, spec.init_containers, spec.ephemeral_containers):
        for c in group or ():
            for vm in c.volume_mounts or ():
                if (vm.mount_path or "").rstrip("/") == SA_TOKEN_PATH:
                    out.add(vm.name)
    return frozenset(out)


def container_key(c: m.Container) -> bytes:
    """Canonical bytes of what a container says (equal for a pod's container and its template's)."""
    mounts = [
        (vm.name, vm.mount_path, bool(vm.read_only))
        for vm in c.volume_mounts or ()
        if (vm.mount_path or "").rstrip("/") != SA_TOKEN_PATH
    ]
    ports = [
        (p.container_port, p.host_port or None, p.host_ip, None if (p.protocol or "TCP") == "TCP" else p.protocol)
        for p in c.ports or ()
    ]
    lc = c.lifecycle
    return _enc.encode(
        (
            c.name,
            c.image,
            c.command,
            c.args,
            c.env,
            c.env_from,
            ports,
            _sc(c.security_context),
            _handler(c.readiness_probe),
            _handler(c.liveness_probe),
            _handler(c.startup_probe),
            (_handler(lc.post_start), _handler(lc.pre_stop)) if lc is not None else None,
            mounts,
            c.restart_policy,
        )
    )


def _not_token(mounts: list[m.VolumeMount] | None) -> list[m.VolumeMount]:
    return [vm for vm in mounts or () if (vm.mount_path or "").rstrip("/") != SA_TOKEN_PATH]


def _equal_container(c: m.Container, t: m.Container, t_mounts: list[m.VolumeMount]) -> bool:
    """``c`` equals ``t`` field by field, the service account token mount aside (then their keys are equal too);
    ``t_mounts``: the mounts of ``t`` but that one."""
    cm, tm = c.volume_mounts, t.volume_mounts
    if cm != tm:
        if _not_token(cm) != t_mounts:
            return False
        c = msgspec.structs.replace(c, volume_mounts=tm)
    return c == t


def volume_key(v: m.Volume) -> bytes:
    return _enc.encode(v)


def pod_level_key(spec: m.PodSpec | None) -> bytes:
    """Canonical bytes of a pod spec's own fields (not its containers, volumes or node)."""
    if spec is None:
        return b"null"
    return _enc.encode(
        (
            bool(spec.host_network),
            bool(spec.host_pid),
            bool(spec.host_ipc),
            spec.host_users,
            _sc(spec.security_context),
            spec.service_account_name or spec.service_account or "default",
            spec.automount_service_account_token,
            spec.os.name if spec.os is not None else None,
            spec.restart_policy or "Always",
        )
    )


def _generated_volume(v: m.Volume, sa_vols: frozenset[str], pod_name: str | None) -> bool:
    """The service account token volume, or a StatefulSet's per-pod claim (``<claim>-<pod>``)."""
    if v.name in sa_vols:
        return True
    pvc = v.persistent_volume_claim
    return bool(pod_name and pvc is not None and pvc.claim_name == f"{v.name}-{pod_name}")


class TemplateIndex:
    """Canonical keys of one template's containers and volumes (computed once per template, when first needed)."""

    __slots__ = ("_by_name", "_containers", "_volumes", "pod_level", "spec")

    def __init__(self, spec: m.PodSpec | None) -> None:
        self.spec = spec
        self.pod_level = pod_level_key(spec)
        self._containers: dict[tuple[str, str], bytes] | None = None
        self._volumes: set[bytes] | None = None
        self._by_name: dict[tuple[str, str | None], Any] | None = None

    @property
    def by_name(self) -> dict[tuple[str, str | None], Any]:
        """(container type, name) → the template's container and its mounts but the token's, and ("volume", name)
        → its volume: a container or volume equal to these field by field says what they say, without computing
        canonical keys."""
        if self._by_name is None:
            spec = self.spec
            by: dict[tuple[str, str | None], Any] = {}
            if spec is not None:
                for ctype, group in (("container", spec.containers), ("init", spec.init_containers)):
                    for c in group or ():
                        by[(ctype, c.name)] = (c, _not_token(c.volume_mounts))  # (the last of a name: as keys)
                for v in spec.volumes or ():
                    by.setdefault(("volume", v.name), v)
            self._by_name = by
        return self._by_name

    @property
    def containers(self) -> dict[tuple[str, str], bytes]:
        if self._containers is None:
            spec = self.spec
            self._containers = (
                {}
                if spec is None
                else {
                    (ctype, c.name): container_key(c)
                    for ctype, group in (("container", spec.containers), ("init", spec.init_containers))
                    for c in group or ()
                }
            )
        return self._containers

    def release(self) -> None:
        """Forget the keys computed so far (they are computed again when needed)."""
        self._containers = None
        self._volumes = None
        self._by_name = None

    @property
    def names(self) -> frozenset[str]:
        return frozenset(n for _, n in self.containers)

    @property
    def volumes(self) -> set[bytes]:
        if self._volumes is None:
            spec = self.spec
            sa = sa_token_volumes(spec)
            self._volumes = {
                volume_key(v) for v in (spec.volumes if spec is not None else None) or () if v.name not in sa
            }
        return self._volumes

    def differs(self, ctype: str, c: m.Container) -> bool:
        """True when ``c`` is not its template's container of the same name (or has none)."""
        if ctype == "ephemeral":
            return True
        t = self.by_name.get((ctype, c.name))
        if t is None:
            return True
        if _equal_container(c, *t):
            return False
        k = self.containers.get((ctype, c.name))
        return k is None or k != container_key(c)

    def added_volumes(self, spec: m.PodSpec, pod_name: str | None) -> list[m.Volume]:
        sa = sa_token_volumes(spec)
        by = self.by_name
        return [
            v
            for v in spec.volumes or ()
            if not _generated_volume(v, sa, pod_name)
            and v != by.get(("volume", v.name))
            and volume_key(v) not in self.volumes
        ]

    def same(self, spec: m.PodSpec | None, pod_name: str | None = None) -> bool:
        """Does ``spec`` say exactly what the template says (canonically)?"""
        if spec is None or spec.ephemeral_containers:
            return False
        if pod_name is None and spec == self.spec:
            return True  # field by field: canonically too
        if pod_level_key(spec) != self.pod_level:
            return False
        keys = {
            (ctype, c.name): container_key(c)
            for ctype, group in (("container", spec.containers), ("init", spec.init_containers))
            for c in group or ()
        }
        if keys != self.containers:
            return False
        sa = sa_token_volumes(spec)
        return {volume_key(v) for v in spec.volumes or () if not _generated_volume(v, sa, pod_name)} == self.volumes


def residual(
    spec: m.PodSpec, tpl: TemplateIndex, pod_name: str | None, mask: Callable[[m.Container], None] | None = None
) -> m.PodSpec:
    """The part of a pod's spec its template does not say.

    Kept: containers (and init containers) that differ from the template's container of the
    same name or that it lacks, every ephemeral container, volumes the template lacks (the
    service account token volume and a StatefulSet's claims excepted), and the pod's own fields
    verbatim (host namespaces, security context, service account, node): they are a few bytes,
    and keeping them means a pod that *drops* a template setting is seen too.

    ``mask``, when given, applies the secret rules to each container kept (ephemeral ones included), in
    place: a container that then says what its (masked) template's says is not kept.
    """
    extra = [c for c in spec.containers or () if tpl.differs("container", c)]
    extra_init = [c for c in spec.init_containers or () if tpl.differs("init", c)]
    if mask is not None:
        for c in (*extra, *extra_init, *(spec.ephemeral_containers or ())):
            mask(c)
        extra = [c for c in extra if tpl.differs("container", c)]
        extra_init = [c for c in extra_init if tpl.differs("init", c)]
    return _residual_spec(spec, extra, extra_init, tpl, pod_name)


def _residual_spec(
    spec: m.PodSpec, containers: list[m.Container], init: list[m.Container], tpl: TemplateIndex, pod_name: str | None
) -> m.PodSpec:
    """The residual spec keeping these containers (and init containers), the pod's ephemeral containers, the
    volumes its template lacks and its own fields."""
    vols = tpl.added_volumes(spec, pod_name)
    return m.PodSpec(
        containers=containers or None,
        init_containers=init or None,
        ephemeral_containers=spec.ephemeral_containers,
        volumes=vols or None,
        service_account_name=spec.service_account_name or spec.service_account,
        automount_service_account_token=spec.automount_service_account_token,
        host_network=spec.host_network,
        host_pid=spec.host_pid,
        host_ipc=spec.host_ipc,
        host_users=spec.host_users,
        security_context=_sc(spec.security_context),
        node_name=spec.node_name,
        os=spec.os,
        restart_policy=spec.restart_policy,
    )
