"""Pod Security Standards: the level a pod spec satisfies and the controls it breaks.

Mirrors the checks of the Pod Security admission controller at policy version
``latest`` (kubernetes ``staging/src/k8s.io/pod-security-admission/policy``),
including the recent additions: the host probe / lifecycle hook control (v1.34),
the user-namespace relaxations (v1.35), ``image`` volumes under restricted, and
the newest safe sysctls (v1.37).

Semantics worth knowing:

- Every check is evaluated on its own and every broken one is reported, so a
  hostPath volume breaks both ``host-path-volumes`` (baseline) and
  ``volume-types`` (restricted); the level is the highest one with no broken
  control of that level or below.
- Only explicit settings count at the pod level. A pod-level
  ``runAsNonRoot: false``, ``runAsUser: 0`` or ``seccompProfile: Unconfined`` is
  a violation even when every container overrides it, exactly as upstream.
- The checks are per container: a spec with no containers at all (and ``None``)
  breaks nothing and is ``restricted``; a minimal pod (one container, no
  securityContext) is ``baseline``.
- Capability names are compared verbatim, as upstream does: ``sys_admin`` is
  not ``SYS_ADMIN`` and ``CAP_CHOWN`` is not ``CHOWN`` (a runtime may accept
  both spellings, admission accepts neither). So adding ``CAP_CHOWN`` breaks
  ``capabilities-baseline``, and only a bare ``NET_BIND_SERVICE`` may be added
  under restricted. ``drop`` must contain ``ALL`` verbatim. (The
  ``cap-dangerous-add`` check reads capabilities the way a runtime does instead.)
- A volume that names no source is the ``emptyDir`` the API server defaults it
  to, so it breaks nothing.
- ``spec.hostUsers: false`` skips ``running-as-non-root``,
  ``running-as-non-root-user`` and the baseline ``proc-mount``; restricted still
  requires the default /proc mount (``proc-mount-restricted``).
- ``spec.os.name: windows`` skips ``seccomp-restricted``,
  ``capabilities-restricted`` and ``privilege-escalation``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ._model import Container, ObjectMeta, PodSpec

LEVELS: tuple[str, ...] = ("privileged", "baseline", "restricted")
_RANK = {name: i for i, name in enumerate(LEVELS)}

BASELINE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)
SAFE_SYSCTLS = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.ip_local_reserved_ports",  # policy v1.27
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout",  # policy v1.29
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",  # policy v1.29
        "net.ipv4.tcp_rmem",
        "net.ipv4.tcp_wmem",  # policy v1.32
        "net.ipv4.tcp_slow_start_after_idle",
        "net.ipv4.tcp_notsent_lowat",  # policy v1.37
    }
)
RESTRICTED_VOLUME_TYPES = frozenset(
    {
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "image",
        "persistentVolumeClaim",
        "projected",
        "secret",
    }
)
SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"})
_PROFILE_OK = frozenset({"RuntimeDefault", "Localhost"})  # seccomp and AppArmor types
_APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"

_C = ("spec.containers[*]", "spec.initContainers[*]", "spec.ephemeralContainers[*]")


def _f(*paths: str) -> list[str]:
    """Field paths; ``{c}`` expands to the three container lists."""
    return [p.format(c=c) for p in paths for c in (_C if "{c}" in p else ("",))]


def _control(level: str, upstream: str, title: str, description: str, fields: list[str]) -> dict[str, Any]:
    return {"level": level, "title": title, "description": description, "fields": fields, "upstream": upstream}


#: every control: id -> level, title, description, restricted fields, upstream check id
CONTROLS: dict[str, dict[str, Any]] = {
    "host-process": _control(
        "baseline",
        "windowsHostProcess",
        "HostProcess",
        "Windows HostProcess containers give privileged access to the Windows node.",
        _f("spec.securityContext.windowsOptions.hostProcess", "{c}.securityContext.windowsOptions.hostProcess"),
    ),
    "host-namespaces": _control(
        "baseline",
        "hostNamespaces",
        "Host namespaces",
        "Sharing the host's network, PID or IPC namespace must be disallowed.",
        _f("spec.hostNetwork", "spec.hostPID", "spec.hostIPC"),
    ),
    "privileged": _control(
        "baseline",
        "privileged",
        "Privileged containers",
        "Privileged containers disable most security mechanisms.",
        _f("{c}.securityContext.privileged"),
    ),
    "capabilities-baseline": _control(
        "baseline",
        "capabilities_baseline",
        "Capabilities",
        "Adding capabilities beyond the default set ("
        + ", ".join(sorted(BASELINE_CAPABILITIES))
        + ") must be disallowed.",
        _f("{c}.securityContext.capabilities.add"),
    ),
    "host-path-volumes": _control(
        "baseline",
        "hostPathVolumes",
        "HostPath volumes",
        "HostPath volumes must be forbidden.",
        _f("spec.volumes[*].hostPath"),
    ),
    "host-ports": _control(
        "baseline",
        "hostPorts",
        "Host ports",
        "Host ports must be disallowed (unset or 0).",
        _f("{c}.ports[*].hostPort"),
    ),
    "host-probes": _control(
        "baseline",
        "hostProbesAndHostLifecycle",
        "Host probes / lifecycle hooks",
        "Probes and lifecycle handlers must not set a host (policy v1.34+).",
        _f(
            *(
                f"{{c}}.{p}.{a}.host"
                for p in ("livenessProbe", "readinessProbe", "startupProbe", "lifecycle.postStart", "lifecycle.preStop")
                for a in ("httpGet", "tcpSocket")
            )
        ),
    ),
    "apparmor": _control(
        "baseline",
        "appArmorProfile",
        "AppArmor",
        "The default AppArmor profile must not be disabled: type RuntimeDefault or "
        "Localhost; annotation runtime/default, localhost/* or empty.",
        _f(
            "spec.securityContext.appArmorProfile.type",
            "{c}.securityContext.appArmorProfile.type",
            "metadata.annotations['container.apparmor.security.beta.kubernetes.io/*']",
        ),
    ),
    "selinux": _control(
        "baseline",
        "seLinuxOptions",
        "SELinux",
        "The SELinux type is limited to container_t, container_init_t, container_kvm_t, "
        "container_engine_t (or empty); a custom user or role is forbidden.",
        _f(*(f"{s}.securityContext.seLinuxOptions.{k}" for k in ("type", "user", "role") for s in ("spec", "{c}"))),
    ),
    "proc-mount": _control(
        "baseline",
        "procMount_baseline",
        "/proc mount type",
        "The default /proc masks must be kept (procMount unset or Default), unless the "
        "pod runs in a user namespace (hostUsers: false).",
        _f("{c}.securityContext.procMount"),
    ),
    "seccomp-baseline": _control(
        "baseline",
        "seccompProfile_baseline",
        "Seccomp",
        "The seccomp profile must not be set to Unconfined.",
        _f("spec.securityContext.seccompProfile.type", "{c}.securityContext.seccompProfile.type"),
    ),
    "sysctls": _control(
        "baseline",
        "sysctls",
        "Sysctls",
        "Only the namespaced, isolated 'safe' sysctls are allowed: " + ", ".join(sorted(SAFE_SYSCTLS)) + ".",
        _f("spec.securityContext.sysctls[*].name"),
    ),
    "volume-types": _control(
        "restricted",
        "restrictedVolumes",
        "Volume types",
        "Only " + ", ".join(sorted(RESTRICTED_VOLUME_TYPES)) + " volumes are allowed.",
        _f("spec.volumes[*]"),
    ),
    "privilege-escalation": _control(
        "restricted",
        "allowPrivilegeEscalation",
        "Privilege escalation",
        "Every container must set allowPrivilegeEscalation: false (not checked for Windows pods).",
        _f("{c}.securityContext.allowPrivilegeEscalation"),
    ),
    "running-as-non-root": _control(
        "restricted",
        "runAsNonRoot",
        "Running as non-root",
        "runAsNonRoot must be true at pod level or in every container, and false nowhere "
        "(not checked for pods with hostUsers: false).",
        _f("spec.securityContext.runAsNonRoot", "{c}.securityContext.runAsNonRoot"),
    ),
    "running-as-non-root-user": _control(
        "restricted",
        "runAsUser",
        "Running as non-root user",
        "runAsUser must not be 0 (not checked for pods with hostUsers: false).",
        _f("spec.securityContext.runAsUser", "{c}.securityContext.runAsUser"),
    ),
    "seccomp-restricted": _control(
        "restricted",
        "seccompProfile_restricted",
        "Seccomp (restricted)",
        "The seccomp profile must be RuntimeDefault or Localhost, at pod level or in every "
        "container (not checked for Windows pods).",
        _f("spec.securityContext.seccompProfile.type", "{c}.securityContext.seccompProfile.type"),
    ),
    "capabilities-restricted": _control(
        "restricted",
        "capabilities_restricted",
        "Capabilities (restricted)",
        "Every container must drop ALL and may add only NET_BIND_SERVICE (not checked for Windows pods).",
        _f("{c}.securityContext.capabilities.drop", "{c}.securityContext.capabilities.add"),
    ),
    "proc-mount-restricted": _control(
        "restricted",
        "procMount_restricted",
        "/proc mount type (restricted)",
        "The default /proc masks must be kept even in a user namespace.",
        _f("{c}.securityContext.procMount"),
    ),
}

_BASELINE_IDS = frozenset(k for k, v in CONTROLS.items() if v["level"] == "baseline")
_USERNS_EXEMPT = ("running-as-non-root", "running-as-non-root-user", "proc-mount")
_WINDOWS_EXEMPT = ("seccomp-restricted", "capabilities-restricted", "privilege-escalation")


def level_rank(level: str) -> int:
    """0 for privileged, 1 for baseline, 2 for restricted."""
    try:
        return _RANK[level]
    except KeyError:
        raise ValueError(f"unknown Pod Security level {level!r}; expected one of {LEVELS}") from None


def _bad_handler(h: Any) -> bool:
    if h is None:
        return False
    g, t = h.http_get, h.tcp_socket
    return bool((g is not None and g.host) or (t is not None and t.host))


def _bad_selinux(o: Any) -> bool:
    return o is not None and ((o.type or "") not in SELINUX_TYPES or bool(o.user) or bool(o.role))


def _bad_profile(p: Any) -> bool:
    return p is not None and p.type not in _PROFILE_OK


def _check_container(c: Container, bad: set[str], pod_non_root: bool, pod_seccomp: bool) -> None:
    add = bad.add
    if c.ports:
        for p in c.ports:
            if p.host_port:
                add("host-ports")
    if (
        _bad_handler(c.liveness_probe)
        or _bad_handler(c.readiness_probe)
        or _bad_handler(c.startup_probe)
        or (c.lifecycle is not None and (_bad_handler(c.lifecycle.post_start) or _bad_handler(c.lifecycle.pre_stop)))
    ):
        add("host-probes")
    sc = c.security_context
    if sc is None:
        add("privilege-escalation")
        add("capabilities-restricted")
        if not pod_non_root:
            add("running-as-non-root")
        if not pod_seccomp:
            add("seccomp-restricted")
        return
    if sc.privileged:
        add("privileged")
    if sc.allow_privilege_escalation is not False:
        add("privilege-escalation")
    if sc.windows_options is not None and sc.windows_options.host_process:
        add("host-process")
    if sc.proc_mount is not None and sc.proc_mount != "Default":
        add("proc-mount")
        add("proc-mount-restricted")
    if _bad_selinux(sc.se_linux_options):
        add("selinux")
    if _bad_profile(sc.app_armor_profile):
        add("apparmor")
    if sc.run_as_non_root is False or (sc.run_as_non_root is None and not pod_non_root):
        add("running-as-non-root")
    if sc.run_as_user == 0:
        add("running-as-non-root-user")
    sp = sc.seccomp_profile
    if sp is not None:
        if sp.type not in _PROFILE_OK:
            add("seccomp-baseline")
            add("seccomp-restricted")
    elif not pod_seccomp:
        add("seccomp-restricted")
    caps = sc.capabilities
    if caps is None or not caps.drop or "ALL" not in caps.drop:
        add("capabilities-restricted")
    if caps is not None and caps.add:
        for cap in caps.add:  # verbatim, as admission compares them
            if cap not in BASELINE_CAPABILITIES:
                add("capabilities-baseline")
                add("capabilities-restricted")
            elif cap != "NET_BIND_SERVICE":
                add("capabilities-restricted")


def evaluate(spec: PodSpec | None, metadata: ObjectMeta | None = None) -> tuple[str, list[str]]:
    """The highest Pod Security level ``spec`` satisfies, and the sorted ids of the
    controls it breaks (keys of :data:`CONTROLS`). ``metadata`` (the pod or pod
    template's) is read for the legacy AppArmor annotations only."""
    bad: set[str] = set()
    if spec is None:
        spec = PodSpec()
    add = bad.add
    if spec.host_network or spec.host_pid or spec.host_ipc:
        add("host-namespaces")
    pod_non_root = pod_seccomp = False
    psc = spec.security_context
    if psc is not None:
        if psc.windows_options is not None and psc.windows_options.host_process:
            add("host-process")
        if _bad_selinux(psc.se_linux_options):
            add("selinux")
        if _bad_profile(psc.app_armor_profile):
            add("apparmor")
        if psc.run_as_non_root is False:
            add("running-as-non-root")
        pod_non_root = psc.run_as_non_root is True
        if psc.run_as_user == 0:
            add("running-as-non-root-user")
        if psc.seccomp_profile is not None:
            if psc.seccomp_profile.type in _PROFILE_OK:
                pod_seccomp = True
            else:
                add("seccomp-baseline")
                add("seccomp-restricted")
        if psc.sysctls and any(s.name not in SAFE_SYSCTLS for s in psc.sysctls):
            add("sysctls")
    for group in (spec.init_containers, spec.containers, spec.ephemeral_containers):
        if group:
            for c in group:
                _check_container(c, bad, pod_non_root, pod_seccomp)
    if spec.volumes:
        for v in spec.volumes:
            t = v.type
            if t not in RESTRICTED_VOLUME_TYPES:
                add("volume-types")
                if t == "hostPath":
                    add("host-path-volumes")
    annotations = metadata.annotations if metadata is not None else None
    if annotations:
        for k, val in annotations.items():
            if (
                k.startswith(_APPARMOR_ANNOTATION)
                and val
                and val != "runtime/default"
                and not str(val).startswith("localhost/")
            ):
                add("apparmor")
    if bad:
        if spec.host_users is False:
            bad.difference_update(_USERNS_EXEMPT)
        if spec.os is not None and spec.os.name == "windows":
            bad.difference_update(_WINDOWS_EXEMPT)
    if not bad:
        return "restricted", []
    return ("privileged" if not _BASELINE_IDS.isdisjoint(bad) else "baseline"), sorted(bad)


def evaluate_many(
    items: Iterable[tuple[PodSpec | None, ObjectMeta | None]],
) -> tuple[list[str], list[list[str]]]:
    """:func:`evaluate` over (spec, metadata) pairs: the levels and the violation lists."""
    levels: list[str] = []
    violations: list[list[str]] = []
    for spec, meta in items:
        level, bad = evaluate(spec, meta)
        levels.append(level)
        violations.append(bad)
    return levels, violations


def rejected_by(level: str, enforce: str | None) -> bool:
    """True when a pod at ``level`` would be rejected by a namespace whose
    ``pod-security.kubernetes.io/enforce`` label is ``enforce``. No label (``None``
    or a missing value such as NaN) rejects nothing; a label value that is not a
    level fails closed to ``restricted``, as the admission controller does."""
    if not isinstance(enforce, str):
        return False
    return level_rank(level) < _RANK.get(enforce, 2)
