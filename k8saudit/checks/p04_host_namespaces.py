"""Practice 4: no sharing of the host's IPC, PID or network namespace, no host ports, no host paths."""

from __future__ import annotations

import posixpath

import numpy as np
import pandas as pd
import pyarrow as pa

from .._arrow import string
from ._common import (
    _workload_rows,
    concat,
    concat_text,
    joined,
    joined_per_group,
    pod_spec_path,
    rows,
    shared,
    who,
    workload_column,
)
from ._fix import FixContext, dump, nest, pod_path
from ._registry import NSA_CISA, PSS_BASELINE, check

_NS_DOC = "Kubernetes docs, Pod spec (hostNetwork, hostPID, hostIPC): https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#security-context"


def _host_namespace(workloads: pd.DataFrame, column: str, field: str, what: str) -> pd.DataFrame:
    bad = workloads[workloads[column].to_numpy(dtype=bool, na_value=False)]
    msg = concat(bad["kind"], " `", bad["name"], f"` shares the host's {what} namespace ({field}: true)")
    return rows(bad, msg, concat(pod_spec_path(bad["kind"], field), "=true"))


def _host_port_fix(c: FixContext) -> str:
    return c.header(how="") + (
        "# remove `hostPort` from the container's ports (keep containerPort) and reach the pods through a Service:\n"
        + dump(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": c.name, "namespace": c.ns},
                "spec": {"selector": c.pod_labels(), "ports": [{"port": 80, "targetPort": "<containerPort>"}]},
            }
        )
    )


def _host_paths_fix(c: FixContext) -> str:
    """Delete the hostPath volumes (strategic merge ``$patch: delete``) and their mounts; say what to use instead."""
    vols = c.rows("volumes")
    sensitive = c.check == "host-path-sensitive"
    names = (
        []
        if vols.empty
        else [
            str(v)
            for v, p in zip(vols["volume"], vols["host_path"], strict=True)
            if isinstance(p, str) and (sensitive_host_path(p) is not None) == sensitive
        ]
    )
    if not names:
        names = ["<volume>"]
    note = (
        "# then remove the volumeMounts of these volumes from each container; give the workload an emptyDir,\n"
        "# a ConfigMap/Secret or a PersistentVolumeClaim instead (or exempt a node agent explicitly)\n"
    )
    return (
        c.header() + note + dump(nest(pod_path(c.kind), {"volumes": [{"name": n, "$patch": "delete"} for n in names]}))
    )


@check(
    "host-ipc",
    practice=4,
    severity="high",
    on="workloads",
    fires_on="workload",
    title="Pod shares the host's IPC namespace",
    why=(
        "With hostIPC a container sees the node's System V shared memory and message queues and "
        "/dev/shm: it can read or corrupt data that other processes on the node, including other pods, "
        "exchange there."
    ),
    remediation="Remove `hostIPC: true` from the pod spec (or set it to false).",
    references=[PSS_BASELINE, NSA_CISA, _NS_DOC],
    controls={"cis": ["5.2.4"], "nsa": ["pod.privileged"], "pss": ["host-namespaces"], "mitre": ["T1611"]},
    fix=lambda c: c.pod({"hostIPC": False}),
)
def host_ipc(workloads: pd.DataFrame) -> pd.DataFrame:
    return _host_namespace(workloads, "host_ipc", "hostIPC", "IPC")


@check(
    "host-pid",
    practice=4,
    severity="high",
    on="workloads",
    fires_on="workload",
    title="Pod shares the host's PID namespace",
    why=(
        "With hostPID a container sees every process on the node, their command lines and environment "
        "(secrets included); as root it can signal or ptrace them and reach their filesystems through "
        "/proc/<pid>/root: a short path to owning the node."
    ),
    remediation="Remove `hostPID: true` from the pod spec (or set it to false).",
    references=[PSS_BASELINE, NSA_CISA, _NS_DOC],
    controls={"cis": ["5.2.3"], "nsa": ["pod.privileged"], "pss": ["host-namespaces"], "mitre": ["T1611"]},
    fix=lambda c: c.pod({"hostPID": False}),
)
def host_pid(workloads: pd.DataFrame) -> pd.DataFrame:
    return _host_namespace(workloads, "host_pid", "hostPID", "PID")


@check(
    "host-network",
    practice=4,
    severity="high",
    on="workloads",
    fires_on="workload",
    title="Pod shares the host's network namespace",
    why=(
        "With hostNetwork a container uses the node's interfaces: it can reach services bound to "
        "localhost on the node (kubelet, etcd, metadata endpoints), sniff node traffic with NET_RAW, and "
        "every port it opens is open on the node. NetworkPolicies no longer apply to it."
    ),
    remediation="Remove `hostNetwork: true` from the pod spec; expose the workload through a Service instead.",
    references=[PSS_BASELINE, NSA_CISA, _NS_DOC],
    controls={"cis": ["5.2.5"], "nsa": ["pod.privileged"], "pss": ["host-namespaces"], "mitre": ["T1611", "T1046"]},
    fix=lambda c: c.pod({"hostNetwork": False}),
)
def host_network(workloads: pd.DataFrame) -> pd.DataFrame:
    return _host_namespace(workloads, "host_network", "hostNetwork", "network")


@check(
    "host-port",
    practice=4,
    severity="medium",
    on="containers",
    fires_on="container",
    title="Container binds a port on the node",
    why=(
        "A hostPort opens the port on the node's own address, around Services and NetworkPolicies, "
        "and ties the pod to nodes where the port is free. A hostNetwork pod is not reported here: the "
        "API sets its hostPorts to its containerPorts, and host-network already reports it."
    ),
    remediation=(
        "Remove `hostPort` from the container's `ports` and expose the workload with a Service "
        "(ClusterIP, or a LoadBalancer/Ingress with source ranges when it must be reached from "
        "outside)."
    ),
    references=[PSS_BASELINE, NSA_CISA],
    controls={"cis": ["5.2.12"], "nsa": ["pod.privileged"], "pss": ["host-ports"], "mitre": ["T1133"]},
    fix=_host_port_fix,
)
def host_port(containers: pd.DataFrame, workloads: pd.DataFrame) -> pd.DataFrame:
    on_host = workload_column(containers, workloads, "host_network").fillna(False).astype(bool)
    bad = containers[(containers["host_ports"].str.len() > 0) & ~on_host]
    ports = joined(bad["host_ports"])
    return rows(bad, concat(who(bad), " binds host port(s) ", ports), concat("ports[].hostPort=[", ports, "]"))


# -- hostPath volumes -----------------------------------------------------------------------------------------

#: host paths whose mount hands a container the node: the whole filesystem, its configuration and
#: credentials (/etc: kubeconfigs, PKI, shadow), the kubelet's state (every pod's Secrets and service
#: account tokens, the kubelet's client certificate), the kernel's interfaces (/proc, /sys)
SENSITIVE_HOST_PATHS: tuple[str, ...] = ("/", "/etc", "/var/lib/kubelet", "/proc", "/sys")
#: container runtime sockets: whoever can connect runs a privileged container on the node
RUNTIME_SOCKETS: tuple[str, ...] = (
    "/run/docker.sock",
    "/run/containerd/containerd.sock",
    "/run/crio/crio.sock",
    "/run/cri-dockerd.sock",
    "/run/k3s/containerd/containerd.sock",
    "/run/dockershim.sock",
)
_WHAT = {
    "/etc": "the node's configuration and keys",
    "/var/lib/kubelet": "every pod's Secrets and tokens",
    "/proc": "the host's processes",
    "/sys": "the kernel's settings",
}
_RUNTIME_DIRS = tuple(sorted({p.rsplit("/", 1)[0] for p in RUNTIME_SOCKETS} - {"/run"}))
_SOCKET_NAMES = frozenset(p.rsplit("/", 1)[1] for p in RUNTIME_SOCKETS)
#: single files under /etc that are mounted for the time zone only
_HARMLESS = frozenset({"/etc/localtime", "/etc/timezone"})
_HOSTPATH_DOC = "Kubernetes docs, hostPath volumes: https://kubernetes.io/docs/concepts/storage/volumes/#hostpath"


def _canonical(path: str) -> str:
    """``/var/run/./docker.sock/`` → ``/run/docker.sock`` (/var/run is a link to /run on every current distribution)."""
    p = posixpath.normpath("/" + path.strip())
    p = "/" + p.lstrip("/")  # normpath keeps a leading "//"
    if p == "/var/run" or p.startswith("/var/run/"):
        p = "/run" + p[len("/var/run") :]
    return p


def _under(path: str, root: str) -> bool:
    return root == "/" or path == root or path.startswith(root + "/")


def sensitive_host_path(path: str | None) -> str | None:
    """Why a hostPath is sensitive (``None`` when it is not): it is, lies under or contains a sensitive path or
    a container runtime socket. Mounting a parent (``/var``, ``/run``) exposes what lies below it."""
    if not path:
        return None
    p = _canonical(path)
    if p in _HARMLESS:
        return None
    if p == "/":
        return "the node's whole filesystem"
    if p.rsplit("/", 1)[1] in _SOCKET_NAMES:
        return "container runtime socket"
    for sock in RUNTIME_SOCKETS:
        if _under(sock, p):
            return f"contains the container runtime socket {sock}"
    for d in _RUNTIME_DIRS:
        if _under(p, d):
            return f"under {d}: the container runtime's sockets and state"
    for root in SENSITIVE_HOST_PATHS[1:]:
        if _under(p, root):
            return _WHAT[root] if p == root else f"under {root}: {_WHAT[root]}"
        if _under(root, p):
            return f"contains {root}: {_WHAT[root]}"
    return None


class _HostPaths:
    """The hostPath volumes of the workloads, derived once per audit for both host-path checks (``shared``): each
    volume's reason to be sensitive (``None``: it is not), its texts, its object (the group of volumes of one
    workload, keys read as text with missing as empty) and whether that workload is in the frame."""

    def __init__(self, workloads: pd.DataFrame, volumes: pd.DataFrame) -> None:
        hp = volumes[(volumes["type"] == "hostPath").to_numpy(dtype=bool, na_value=False)]
        path = hp["host_path"]
        codes, distinct = pd.factorize(path)  # missing: -1, never sensitive
        why = np.array([sensitive_host_path(p) for p in distinct] + [None], dtype=object)[codes]
        self.hp = hp
        self.sensitive = pd.notna(why)
        self.texts = {
            False: concat_text("`", (path, ""), "`"),
            True: concat_text("`", (path, ""), "` (", pd.Series(why, index=hp.index, dtype="string"), ")"),
        }
        self.evidence = concat_text("volumes[", hp["volume"], "].hostPath.path=", (path, ""))
        sep = "\x1f"
        g = concat(*[part for k in _KEYS for part in ((hp[k], ""), sep)][:-1])
        self.group = pd.factorize(g)[0]
        self.object = hp.groupby(_KEYS, dropna=False, sort=False).ngroup().to_numpy()
        self.known = _workload_rows(hp, workloads) >= 0

    def rows(self, sensitive: bool) -> pd.DataFrame:
        sel = np.flatnonzero(self.sensitive == sensitive)
        group, n = self.group[sel], int(self.group.max()) + 1 if len(self.group) else 0
        paths = joined_per_group(group, self.texts[sensitive].take(pa.array(sel)), ", ", n)
        evs = joined_per_group(group, self.evidence.take(pa.array(sel)), "; ", n)
        # the first volume of each workload (keys as they are) whose workload is in the frame
        first = sel[np.sort(np.unique(self.object[sel], return_index=True)[1])]
        first = first[self.known[first]]
        bad = self.hp.take(first)
        at = pa.array(self.group[first])
        word = "sensitive host path(s) " if sensitive else "host path(s) "
        msg = concat(bad["kind"], " `", bad["name"], "` mounts " + word, paths.take(at))
        return rows(bad, msg, pd.Series(string(evs.take(at)), index=bad.index))


_KEYS = ["cluster", "kind", "namespace", "name"]


def _host_paths(workloads: pd.DataFrame, volumes: pd.DataFrame, sensitive: bool) -> pd.DataFrame:
    return shared("host_paths", (workloads, volumes), lambda: _HostPaths(workloads, volumes)).rows(sensitive)


@check(
    "host-path-sensitive",
    practice=4,
    severity="critical",
    on="workloads",
    fires_on="workload",
    title="Pod mounts a sensitive path of the node",
    why=(
        "A hostPath volume on `/`, `/etc`, `/var/lib/kubelet`, `/proc`, `/sys` or a container runtime socket "
        "(docker.sock, containerd.sock, crio.sock) hands the container the node: the runtime socket starts a "
        "privileged container on request, `/var/lib/kubelet` holds every pod's Secrets and tokens and the "
        "kubelet's credentials, `/etc` the node's kubeconfigs and keys, `/proc` and `/sys` the host's "
        "processes and kernel settings. A read-only mount still reads every credential and still connects to "
        "a socket. A path under one of these (`/etc/kubernetes/pki`) or above one (`/var`, `/run`) counts "
        "too; `/var/run` is read as `/run`. Only `/etc/localtime` and `/etc/timezone` are left to "
        "host-path-volume."
    ),
    remediation=(
        "Remove the hostPath volume. Read metrics and logs through the kubelet's API or a node agent "
        "that is exempted explicitly; build images with a rootless builder (BuildKit rootless, kaniko) "
        "instead of the runtime socket; mount Secrets and ConfigMaps instead of host files:\n"
        "```yaml\nvolumes:\n- name: config\n  configMap:\n    name: app-config\n```"
    ),
    references=[PSS_BASELINE, NSA_CISA, _HOSTPATH_DOC],
    controls={
        "cis": ["5.2.11"],
        "nsa": ["pod.privileged"],
        "pss": ["host-path-volumes", "volume-types"],
        "mitre": ["T1611", "T1610", "T1552.001", "T1612"],
    },
    fix=_host_paths_fix,
)
def host_path_sensitive(workloads: pd.DataFrame, volumes: pd.DataFrame) -> pd.DataFrame:
    return _host_paths(workloads, volumes, sensitive=True)


@check(
    "host-path-volume",
    practice=4,
    severity="medium",
    on="workloads",
    fires_on="workload",
    title="Pod mounts a path of the node",
    why=(
        "Any hostPath volume ties the pod to what is on one node and gives it a view of the node's "
        "filesystem around the container's: a log directory holds other pods' logs, a writable path lets it "
        "plant files other processes trust, and symlinks or a later change of path widen it. The Pod "
        "Security Standards forbid hostPath volumes at baseline. Sensitive paths are reported by "
        "host-path-sensitive instead, so a volume is reported once."
    ),
    remediation=(
        "Use a volume type that does not reach into the node (emptyDir, a PersistentVolumeClaim, "
        "a ConfigMap or Secret); when a node agent truly needs the path, mount it read-only in "
        "that container only and record an exemption:\n```yaml\nvolumeMounts:\n- name: varlog\n"
        "  mountPath: /var/log\n  readOnly: true\n```"
    ),
    references=[PSS_BASELINE, NSA_CISA, _HOSTPATH_DOC],
    controls={
        "cis": ["5.2.11"],
        "nsa": ["pod.privileged"],
        "pss": ["host-path-volumes", "volume-types"],
        "mitre": ["T1611"],
    },
    fix=_host_paths_fix,
)
def host_path_volume(workloads: pd.DataFrame, volumes: pd.DataFrame) -> pd.DataFrame:
    return _host_paths(workloads, volumes, sensitive=False)
