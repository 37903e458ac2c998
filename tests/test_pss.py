"""Pod Security Standards evaluator: every control, the relaxations, the overrides."""

from __future__ import annotations

import time
from typing import Any

import msgspec
import pytest

import k8saudit._model
from k8saudit.checks.pss import (
    CONTROLS,
    LEVELS,
    evaluate,
    evaluate_many,
    level_rank,
    rejected_by,
)

PodSpec = k8saudit._model.PodSpec
ObjectMeta = k8saudit._model.ObjectMeta

# --------------------------------------------------------------------------- builders

RESTRICTED_CTR_SC: dict[str, Any] = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
}
RESTRICTED_POD_SC: dict[str, Any] = {
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}


def _merge(base: dict[str, Any], over: dict[str, Any] | None) -> dict[str, Any]:
    """``base`` updated with ``over``; a ``None`` value removes the key."""
    merged = {**base, **(over or {})}
    return {k: v for k, v in merged.items() if v is not None}


def ctr(name: str = "app", sc: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """A container that meets restricted, with ``sc`` merged into its securityContext."""
    return {"name": name, "image": "nginx:1.27", "securityContext": _merge(RESTRICTED_CTR_SC, sc), **extra}


def bare(name: str = "app", **extra: Any) -> dict[str, Any]:
    """A container with no securityContext at all."""
    return {"name": name, "image": "nginx:1.27", **extra}


def pod(*containers: dict[str, Any], psc: dict[str, Any] | None = None, **spec: Any) -> dict[str, Any]:
    """A pod spec that meets restricted unless told otherwise."""
    return {"containers": list(containers) or [ctr()], "securityContext": _merge(RESTRICTED_POD_SC, psc), **spec}


def probe(kind: str, host: str) -> dict[str, Any]:
    return {kind: {"host": host, "port": 8080}}


R, B, P = "restricted", "baseline", "privileged"
MINIMAL = ["capabilities-restricted", "privilege-escalation", "running-as-non-root", "seccomp-restricted"]

# (id, spec, metadata annotations, expected level, expected violations)
CASES: list[tuple[str, dict[str, Any] | None, dict[str, str] | None, str, list[str]]] = [
    # ---- whole pods
    ("fully-restricted", pod(), None, R, []),
    ("minimal-pod", {"containers": [bare()]}, None, B, MINIMAL),
    ("no-containers", {}, None, R, []),
    ("none-spec", None, None, R, []),
    (
        "none-lists-everywhere",
        {
            "containers": [
                {
                    "name": "a",
                    "ports": None,
                    "securityContext": {"capabilities": {"add": None, "drop": None}, "seLinuxOptions": {}},
                }
            ],
            "initContainers": None,
            "ephemeralContainers": None,
            "volumes": None,
            "securityContext": {"sysctls": None},
        },
        None,
        B,
        MINIMAL,
    ),
    # ---- host-process
    ("host-process-pod", pod(psc={"windowsOptions": {"hostProcess": True}}), None, P, ["host-process"]),
    ("host-process-container", pod(ctr(sc={"windowsOptions": {"hostProcess": True}})), None, P, ["host-process"]),
    (
        "host-process-false",
        pod(ctr(sc={"windowsOptions": {"hostProcess": False}}), psc={"windowsOptions": {"hostProcess": False}}),
        None,
        R,
        [],
    ),
    # ---- host-namespaces
    ("host-network", pod(hostNetwork=True), None, P, ["host-namespaces"]),
    ("host-pid", pod(hostPID=True), None, P, ["host-namespaces"]),
    ("host-ipc", pod(hostIPC=True), None, P, ["host-namespaces"]),
    ("host-namespaces-false", pod(hostNetwork=False, hostPID=False, hostIPC=False), None, R, []),
    # ---- privileged
    ("privileged", pod(ctr(sc={"privileged": True})), None, P, ["privileged"]),
    ("privileged-false", pod(ctr(sc={"privileged": False})), None, R, []),
    # ---- capabilities (baseline and restricted)
    (
        "cap-add-sys-admin",
        pod(ctr(sc={"capabilities": {"drop": ["ALL"], "add": ["SYS_ADMIN"]}})),
        None,
        P,
        ["capabilities-baseline", "capabilities-restricted"],
    ),
    (
        "cap-add-net-raw",
        pod(ctr(sc={"capabilities": {"drop": ["ALL"], "add": ["NET_RAW"]}})),
        None,
        P,
        ["capabilities-baseline", "capabilities-restricted"],
    ),
    (
        "cap-add-cap-prefixed-sys-admin",
        pod(ctr(sc={"capabilities": {"drop": ["ALL"], "add": ["CAP_SYS_ADMIN"]}})),
        None,
        P,
        ["capabilities-baseline", "capabilities-restricted"],
    ),
    (
        "cap-add-lowercase-is-not-default",
        pod(ctr(sc={"capabilities": {"drop": ["ALL"], "add": ["chown"]}})),
        None,
        P,
        ["capabilities-baseline", "capabilities-restricted"],
    ),
    (
        "cap-add-default-chown",
        pod(ctr(sc={"capabilities": {"drop": ["ALL"], "add": ["CHOWN"]}})),
        None,
        B,
        ["capabilities-restricted"],
    ),
    # admission compares names verbatim: CAP_CHOWN is not in the default set, so not baseline
    (
        "cap-add-cap-prefixed-chown",
        pod(ctr(sc={"capabilities": {"drop": ["ALL"], "add": ["CAP_CHOWN"]}})),
        None,
        P,
        ["capabilities-baseline", "capabilities-restricted"],
    ),
    (
        "cap-add-cap-prefixed-chown-in-init-container",
        pod(ctr(), initContainers=[ctr("init", sc={"capabilities": {"drop": ["ALL"], "add": ["CAP_SETUID"]}})]),
        None,
        P,
        ["capabilities-baseline", "capabilities-restricted"],
    ),
    (
        "cap-add-chown-and-cap-chown",
        pod(ctr(sc={"capabilities": {"drop": ["ALL"], "add": ["CHOWN", "CAP_CHOWN"]}})),
        None,
        P,
        ["capabilities-baseline", "capabilities-restricted"],
    ),
    (
        "cap-add-net-bind-service",
        pod(ctr(sc={"capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}})),
        None,
        R,
        [],
    ),
    # restricted allows exactly "NET_BIND_SERVICE"; the prefixed name is not a default one either
    (
        "cap-add-cap-net-bind-service",
        pod(ctr(sc={"capabilities": {"drop": ["ALL"], "add": ["CAP_NET_BIND_SERVICE"]}})),
        None,
        P,
        ["capabilities-baseline", "capabilities-restricted"],
    ),
    (
        "cap-add-lowercase-net-bind-service",
        pod(ctr(sc={"capabilities": {"drop": ["ALL"], "add": ["net_bind_service"]}})),
        None,
        P,
        ["capabilities-baseline", "capabilities-restricted"],
    ),
    ("cap-no-capabilities", pod(ctr(sc={"capabilities": None})), None, B, ["capabilities-restricted"]),
    ("cap-drop-some", pod(ctr(sc={"capabilities": {"drop": ["NET_RAW"]}})), None, B, ["capabilities-restricted"]),
    ("cap-drop-lowercase-all", pod(ctr(sc={"capabilities": {"drop": ["all"]}})), None, B, ["capabilities-restricted"]),
    # ---- volumes
    (
        "host-path-volume",
        pod(volumes=[{"name": "h", "hostPath": {"path": "/var/run"}}]),
        None,
        P,
        ["host-path-volumes", "volume-types"],
    ),
    ("nfs-volume", pod(volumes=[{"name": "n", "nfs": {"server": "x", "path": "/"}}]), None, B, ["volume-types"]),
    ("git-repo-volume", pod(volumes=[{"name": "g", "gitRepo": {"repository": "r"}}]), None, B, ["volume-types"]),
    # the API server defaults a volume with no source to emptyDir before admission sees it
    ("volume-without-source", pod(volumes=[{"name": "v"}]), None, R, []),
    ("volume-with-null-empty-dir", pod(volumes=[{"name": "v", "emptyDir": None}]), None, R, []),
    (
        "volume-without-source-beside-host-path",
        pod(volumes=[{"name": "v"}, {"name": "h", "hostPath": {"path": "/"}}]),
        None,
        P,
        ["host-path-volumes", "volume-types"],
    ),
    (
        "allowed-volumes",
        pod(
            volumes=[
                {"name": "a", "configMap": {"name": "c"}},
                {"name": "b", "secret": {"secretName": "s"}},
                {"name": "c", "emptyDir": {}},
                {"name": "d", "persistentVolumeClaim": {"claimName": "p"}},
                {"name": "e", "projected": {"sources": []}},
                {"name": "f", "downwardAPI": {"items": []}},
                {"name": "g", "csi": {"driver": "d"}},
                {"name": "h", "ephemeral": {}},
                {"name": "i", "image": {"reference": "quay.io/x:1"}},
            ]
        ),
        None,
        R,
        [],
    ),
    # ---- host ports
    ("host-port", pod(ctr(ports=[{"containerPort": 80, "hostPort": 8080}])), None, P, ["host-ports"]),
    ("host-port-zero", pod(ctr(ports=[{"containerPort": 80, "hostPort": 0}])), None, R, []),
    ("container-port-only", pod(ctr(ports=[{"containerPort": 80}])), None, R, []),
    # ---- host probes / lifecycle hooks
    ("liveness-http-host", pod(ctr(livenessProbe=probe("httpGet", "10.0.0.1"))), None, P, ["host-probes"]),
    ("readiness-tcp-host", pod(ctr(readinessProbe=probe("tcpSocket", "node"))), None, P, ["host-probes"]),
    ("startup-http-host", pod(ctr(startupProbe=probe("httpGet", "169.254.169.254"))), None, P, ["host-probes"]),
    ("post-start-http-host", pod(ctr(lifecycle={"postStart": probe("httpGet", "h")})), None, P, ["host-probes"]),
    ("pre-stop-tcp-host", pod(ctr(lifecycle={"preStop": probe("tcpSocket", "h")})), None, P, ["host-probes"]),
    (
        "probes-without-host",
        pod(
            ctr(
                livenessProbe={"httpGet": {"port": 80, "path": "/"}},
                readinessProbe=probe("tcpSocket", ""),
                lifecycle={"preStop": {"exec": {"command": ["x"]}}},
            )
        ),
        None,
        R,
        [],
    ),
    # ---- AppArmor
    ("apparmor-pod-unconfined", pod(psc={"appArmorProfile": {"type": "Unconfined"}}), None, P, ["apparmor"]),
    ("apparmor-container-unconfined", pod(ctr(sc={"appArmorProfile": {"type": "Unconfined"}})), None, P, ["apparmor"]),
    (
        "apparmor-allowed-types",
        pod(
            ctr(sc={"appArmorProfile": {"type": "Localhost", "localhostProfile": "p"}}),
            psc={"appArmorProfile": {"type": "RuntimeDefault"}},
        ),
        None,
        R,
        [],
    ),
    (
        "apparmor-annotation-unconfined",
        pod(),
        {"container.apparmor.security.beta.kubernetes.io/app": "unconfined"},
        P,
        ["apparmor"],
    ),
    (
        "apparmor-annotation-allowed",
        pod(),
        {
            "container.apparmor.security.beta.kubernetes.io/app": "runtime/default",
            "container.apparmor.security.beta.kubernetes.io/b": "localhost/custom",
            "container.apparmor.security.beta.kubernetes.io/c": "",
        },
        R,
        [],
    ),
    ("legacy-seccomp-annotation-ignored", pod(), {"seccomp.security.alpha.kubernetes.io/pod": "unconfined"}, R, []),
    # ---- SELinux
    ("selinux-type-spc", pod(ctr(sc={"seLinuxOptions": {"type": "spc_t"}})), None, P, ["selinux"]),
    ("selinux-pod-user", pod(psc={"seLinuxOptions": {"user": "system_u"}}), None, P, ["selinux"]),
    ("selinux-role", pod(ctr(sc={"seLinuxOptions": {"role": "system_r"}})), None, P, ["selinux"]),
    (
        "selinux-allowed",
        pod(
            ctr(sc={"seLinuxOptions": {"type": "container_engine_t"}}),
            psc={"seLinuxOptions": {"type": "container_t", "level": "s0:c1,c2"}},
        ),
        None,
        R,
        [],
    ),
    # ---- /proc mount
    ("proc-mount-unmasked", pod(ctr(sc={"procMount": "Unmasked"})), None, P, ["proc-mount", "proc-mount-restricted"]),
    ("proc-mount-default", pod(ctr(sc={"procMount": "Default"})), None, R, []),
    (
        "proc-mount-unmasked-user-namespace",
        pod(ctr(sc={"procMount": "Unmasked"}), hostUsers=False),
        None,
        B,
        ["proc-mount-restricted"],
    ),
    # ---- seccomp
    (
        "seccomp-container-unconfined",
        pod(ctr(sc={"seccompProfile": {"type": "Unconfined"}})),
        None,
        P,
        ["seccomp-baseline", "seccomp-restricted"],
    ),
    (
        "seccomp-pod-unconfined",
        pod(psc={"seccompProfile": {"type": "Unconfined"}}),
        None,
        P,
        ["seccomp-baseline", "seccomp-restricted"],
    ),
    (
        "seccomp-pod-unconfined-containers-override",
        pod(
            ctr("a", sc={"seccompProfile": {"type": "RuntimeDefault"}}),
            ctr("b", sc={"seccompProfile": {"type": "Localhost", "localhostProfile": "p.json"}}),
            psc={"seccompProfile": {"type": "Unconfined"}},
        ),
        None,
        P,
        ["seccomp-baseline", "seccomp-restricted"],
    ),
    ("seccomp-unset", pod(psc={"seccompProfile": None}), None, B, ["seccomp-restricted"]),
    (
        "seccomp-every-container-sets-it",
        pod(
            ctr("a", sc={"seccompProfile": {"type": "RuntimeDefault"}}),
            ctr("b", sc={"seccompProfile": {"type": "Localhost", "localhostProfile": "p.json"}}),
            psc={"seccompProfile": None},
        ),
        None,
        R,
        [],
    ),
    (
        "seccomp-one-container-missing",
        pod(ctr("a", sc={"seccompProfile": {"type": "RuntimeDefault"}}), ctr("b"), psc={"seccompProfile": None}),
        None,
        B,
        ["seccomp-restricted"],
    ),
    (
        "seccomp-pod-ok-container-unconfined",
        pod(ctr(sc={"seccompProfile": {"type": "Unconfined"}})),
        None,
        P,
        ["seccomp-baseline", "seccomp-restricted"],
    ),
    # ---- sysctls
    ("sysctl-unsafe", pod(psc={"sysctls": [{"name": "kernel.msgmax", "value": "65536"}]}), None, P, ["sysctls"]),
    ("sysctl-ip-forward", pod(psc={"sysctls": [{"name": "net.ipv4.ip_forward", "value": "1"}]}), None, P, ["sysctls"]),
    (
        "sysctl-safe",
        pod(
            psc={
                "sysctls": [
                    {"name": n, "value": "1"}
                    for n in (
                        "kernel.shm_rmid_forced",
                        "net.ipv4.ip_unprivileged_port_start",
                        "net.ipv4.ip_local_reserved_ports",
                        "net.ipv4.tcp_keepalive_time",
                        "net.ipv4.tcp_rmem",
                        "net.ipv4.tcp_notsent_lowat",
                    )
                ]
            }
        ),
        None,
        R,
        [],
    ),
    # ---- privilege escalation
    (
        "allow-privilege-escalation-unset",
        pod(ctr(sc={"allowPrivilegeEscalation": None})),
        None,
        B,
        ["privilege-escalation"],
    ),
    (
        "allow-privilege-escalation-true",
        pod(ctr(sc={"allowPrivilegeEscalation": True})),
        None,
        B,
        ["privilege-escalation"],
    ),
    # ---- runAsNonRoot
    ("run-as-non-root-unset", pod(psc={"runAsNonRoot": None}), None, B, ["running-as-non-root"]),
    (
        "run-as-non-root-every-container",
        pod(ctr("a", sc={"runAsNonRoot": True}), ctr("b", sc={"runAsNonRoot": True}), psc={"runAsNonRoot": None}),
        None,
        R,
        [],
    ),
    (
        "run-as-non-root-container-overrides-false",
        pod(ctr(sc={"runAsNonRoot": False})),
        None,
        B,
        ["running-as-non-root"],
    ),
    (
        "run-as-non-root-pod-false-containers-true",
        pod(ctr(sc={"runAsNonRoot": True}), psc={"runAsNonRoot": False}),
        None,
        B,
        ["running-as-non-root"],
    ),
    # ---- runAsUser
    ("run-as-user-pod-zero", pod(psc={"runAsUser": 0}), None, B, ["running-as-non-root-user"]),
    ("run-as-user-container-zero", pod(ctr(sc={"runAsUser": 0})), None, B, ["running-as-non-root-user"]),
    (
        "run-as-user-pod-zero-container-override",
        pod(ctr(sc={"runAsUser": 1000}), psc={"runAsUser": 0}),
        None,
        B,
        ["running-as-non-root-user"],
    ),
    ("run-as-user-non-zero", pod(ctr(sc={"runAsUser": 1000}), psc={"runAsUser": 1000}), None, R, []),
    # ---- relaxations
    (
        "windows-exempt",
        {"os": {"name": "windows"}, "securityContext": {"runAsNonRoot": True}, "containers": [bare()]},
        None,
        R,
        [],
    ),
    (
        "windows-still-needs-non-root",
        {"os": {"name": "windows"}, "containers": [bare()]},
        None,
        B,
        ["running-as-non-root"],
    ),
    (
        "windows-still-baseline-seccomp",
        {
            "os": {"name": "windows"},
            "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "Unconfined"}},
            "containers": [bare()],
        },
        None,
        P,
        ["seccomp-baseline"],
    ),
    ("linux-os-not-exempt", {"os": {"name": "linux"}, "containers": [bare()]}, None, B, MINIMAL),
    (
        "user-namespace-exempt",
        pod(
            ctr(sc={"runAsUser": 0, "runAsNonRoot": False}), psc={"runAsNonRoot": None, "runAsUser": 0}, hostUsers=False
        ),
        None,
        R,
        [],
    ),
    (
        "host-users-true-not-exempt",
        pod(ctr(sc={"runAsUser": 0}), psc={"runAsNonRoot": None}, hostUsers=True),
        None,
        B,
        ["running-as-non-root", "running-as-non-root-user"],
    ),
    (
        "user-namespace-keeps-capabilities",
        pod(ctr(sc={"capabilities": None}), hostUsers=False),
        None,
        B,
        ["capabilities-restricted"],
    ),
    # ---- init and ephemeral containers count
    ("init-container-privileged", pod(initContainers=[ctr("init", sc={"privileged": True})]), None, P, ["privileged"]),
    (
        "init-container-no-drop",
        pod(initContainers=[ctr("init", sc={"capabilities": None})]),
        None,
        B,
        ["capabilities-restricted"],
    ),
    (
        "init-container-run-as-non-root-false",
        pod(initContainers=[ctr("init", sc={"runAsNonRoot": False})]),
        None,
        B,
        ["running-as-non-root"],
    ),
    (
        "init-container-host-probe",
        pod(initContainers=[ctr("sidecar", restartPolicy="Always", readinessProbe=probe("httpGet", "h"))]),
        None,
        P,
        ["host-probes"],
    ),
    (
        "ephemeral-container-bare",
        pod(ephemeralContainers=[bare("debug")]),
        None,
        B,
        ["capabilities-restricted", "privilege-escalation"],
    ),
    (
        "ephemeral-container-bare-no-pod-defaults",
        pod(ephemeralContainers=[bare("debug")], securityContext={}),
        None,
        B,
        MINIMAL,
    ),
    (
        "ephemeral-container-unmasked",
        pod(ephemeralContainers=[ctr("debug", sc={"procMount": "Unmasked"})]),
        None,
        P,
        ["proc-mount", "proc-mount-restricted"],
    ),
]


@pytest.mark.parametrize(
    ("spec", "annotations", "level", "violations"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_evaluate(
    spec: dict[str, Any] | None, annotations: dict[str, str] | None, level: str, violations: list[str]
) -> None:
    typed = None if spec is None else msgspec.convert(spec, PodSpec)
    meta = ObjectMeta(name="p", annotations=annotations)
    got_level, got = evaluate(typed, meta)
    assert (got_level, got) == (level, violations)
    assert got == sorted(set(got)) and set(got) <= set(CONTROLS)
    # the level is exactly the one the broken controls imply
    worst = min((level_rank(CONTROLS[v]["level"]) for v in got), default=3)
    assert got_level == LEVELS[worst - 1]


def test_case_ids_unique_and_every_control_fails_and_passes() -> None:
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids))
    failing = {v for c in CASES for v in c[4]}
    assert failing == set(CONTROLS)
    assert sum(1 for c in CASES if c[3] == R) >= 15


def test_metadata_optional() -> None:
    spec = msgspec.convert(pod(), PodSpec)
    assert evaluate(spec) == ("restricted", [])
    assert evaluate(spec, None) == ("restricted", [])
    assert evaluate(spec, ObjectMeta(annotations=None)) == ("restricted", [])


def test_controls_shape() -> None:
    assert LEVELS == ("privileged", "baseline", "restricted")
    for cid, c in CONTROLS.items():
        assert c["level"] in ("baseline", "restricted"), cid
        assert c["title"] and c["description"] and c["upstream"], cid
        assert c["fields"] and all(isinstance(f, str) for f in c["fields"]), cid
    fields = CONTROLS["privileged"]["fields"]
    assert "spec.ephemeralContainers[*].securityContext.privileged" in fields


@pytest.mark.parametrize(
    ("level", "rank"),
    [("privileged", 0), ("baseline", 1), ("restricted", 2)],
    ids=["privileged", "baseline", "restricted"],
)
def test_level_rank(level: str, rank: int) -> None:
    assert level_rank(level) == rank


def test_level_rank_unknown() -> None:
    with pytest.raises(ValueError, match="unknown"):
        level_rank("Restricted")


@pytest.mark.parametrize(
    ("level", "enforce", "rejected"),
    [
        ("baseline", "restricted", True),
        ("privileged", "baseline", True),
        ("baseline", "baseline", False),
        ("restricted", "restricted", False),
        ("restricted", "privileged", False),
        ("privileged", None, False),
        ("privileged", float("nan"), False),
        ("baseline", "bogus", True),
        ("restricted", "bogus", False),
        ("baseline", "", True),
    ],
    ids=[
        "baseline-in-restricted",
        "privileged-in-baseline",
        "baseline-in-baseline",
        "restricted-in-restricted",
        "restricted-in-privileged",
        "no-label",
        "nan-label",
        "invalid-label-fails-closed",
        "restricted-in-invalid",
        "empty-label-fails-closed",
    ],
)
def test_rejected_by(level: str, enforce: Any, rejected: bool) -> None:
    assert rejected_by(level, enforce) is rejected


def test_evaluate_many() -> None:
    items = [(None if c[1] is None else msgspec.convert(c[1], PodSpec), ObjectMeta(annotations=c[2])) for c in CASES]
    levels, violations = evaluate_many(items)
    assert levels == [c[3] for c in CASES]
    assert violations == [c[4] for c in CASES]
    assert evaluate_many([]) == ([], [])


def test_speed() -> None:
    spec = msgspec.convert(
        pod(
            ctr("a", ports=[{"containerPort": 80}], livenessProbe={"httpGet": {"port": 80}}),
            ctr("b", sc={"runAsUser": 1000}),
            initContainers=[bare("init")],
            volumes=[
                {"name": "c", "configMap": {"name": "c"}},
                {"name": "s", "secret": {}},
                {"name": "t", "emptyDir": {}},
            ],
            psc={"sysctls": [{"name": "net.ipv4.tcp_syncookies", "value": "1"}]},
        ),
        PodSpec,
    )
    meta = ObjectMeta(annotations={"app": "x", "container.apparmor.security.beta.kubernetes.io/a": "runtime/default"})
    start = time.perf_counter()
    for _ in range(10_000):
        evaluate(spec, meta)
    assert time.perf_counter() - start < 1.0


# --------------------------------------------------------------------------- through the frames

_NS_AND_POD = """
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {pod-security.kubernetes.io/enforce: baseline}
---
apiVersion: v1
kind: Pod
metadata: {name: chowner, namespace: shop}
spec:
  volumes: [{name: scratch}]
  containers:
    - name: app
      image: registry.example.com/app:1.0
      securityContext:
        capabilities: {add: [%s]}
"""


@pytest.mark.parametrize(
    ("cap", "level", "rejected"),
    [
        ("CAP_CHOWN", "privileged", True),  # admission rejects the prefixed spelling
        ("CHOWN", "baseline", False),
    ],
)
def test_prefixed_capability_through_frames(tmp_path: Any, cap: str, level: str, rejected: bool) -> None:
    import k8saudit as ka

    (tmp_path / "pod.yaml").write_text(_NS_AND_POD % cap)
    snap = ka.load(tmp_path)
    w = snap.frame("workloads").set_index("name").loc["chowner"]
    assert (w["pss_level"], bool(w["pss_rejected"])) == (level, rejected)
    assert "volume-types" not in w["pss_violations"]  # the sourceless volume is an emptyDir
    assert snap.frame("volumes").set_index("volume").loc["scratch", "type"] == "emptyDir"
    # the capability checks keep the runtime's reading: CHOWN is a default capability either way
    findings = ka.audit(snap, checks=["cap-dangerous-add"], default_exemptions=False)
    assert findings.empty
