"""Escape: code in a container reaches root on its node.

Each reason is its own edge (fixing ``privileged`` does not close a ``hostPath: /``), from the
workload to every node its pods run on (``node:?`` with possible edges when they are not in the
snapshot; ``node:*`` when the snapshot has no nodes).
"""

from __future__ import annotations

import pandas as pd

from ..checks._common import any_in
from ._context import Context
from ._registry import edge, edges, no_edges

#: capabilities that break out on their own (SYS_PTRACE needs the host's PID namespace: escape-host-pid)
ESCAPE_CAPABILITIES = ("ALL", "SYS_ADMIN", "SYS_MODULE", "DAC_READ_SEARCH")
#: hostPath directories (and everything under them) that hand over the node
SENSITIVE_DIRS = (
    "/etc",
    "/var/lib/kubelet",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/run/containerd",
    "/var/run/containerd",
    "/run/crio",
    "/var/run/crio",
    "/root",
    "/opt/cni/bin",
    "/boot",
    "/dev",
)
#: hostPath directories that are sensitive as a whole (they hold the ones above, or the runtime's socket)
SENSITIVE_EXACT = ("/", "/var", "/var/lib", "/run", "/var/run", "/usr", "/opt")
_SOCKETS = ("docker.sock", "containerd.sock", "crio.sock", "cri-dockerd.sock", "dockershim.sock")


def sensitive_host_path(path: str) -> bool:
    """A hostPath that gives root on the node: ``/``, ``/etc/...``, the kubelet's or the runtime's state, a runtime socket."""
    p = "/" + path.strip().strip("/") if path and path.strip() else ""
    if not p:
        return False
    if p in SENSITIVE_EXACT or any(p == d or p.startswith(d + "/") for d in SENSITIVE_DIRS):
        return True
    return p.rsplit("/", 1)[-1] in _SOCKETS


def _container_rests(c: pd.DataFrame, check_id: str) -> list[list[tuple[object, ...]]]:
    """Per container row: the one finding of ``check_id`` on that container that the step rests on."""
    return [[(check_id, k, ns, n, cn)] for k, ns, n, cn in zip(c["kind"], c["namespace"], c["name"], c["container"])]


def _to_nodes(ctx: Context, src: pd.DataFrame) -> pd.DataFrame:
    """Spread one row per (workload vertex, reason) to the nodes it runs on; ``certain`` is and-ed with placement."""
    if src.empty:
        return no_edges()
    where = ctx.node_of(src[["vertex"]].drop_duplicates().assign(running=True))
    x = src.merge(where.rename(columns={"certain": "placed"}), left_on="vertex", right_on="workload")
    certain = x["certain"].astype(bool) & x["placed"].astype(bool)
    return edges(x["vertex"], x["node"], x["evidence"], x["rests"], certain)


def _who(c: pd.DataFrame) -> pd.Series:
    return c["kind"] + " " + c["namespace"] + "/" + c["name"] + " [" + c["container"] + "]"


@edge(
    "escape-privileged",
    group="escape",
    technique="Escape from a privileged container",
    attack=("T1611",),
    rests_on=("privileged",),
    on="containers",
    title="workload → root on its node (privileged container)",
    why="A privileged container sees every host device and may mount the host's disk or load kernel "
    "modules: root on the node is one command away.",
)
def escape_privileged(ctx: Context) -> pd.DataFrame:
    c = ctx.running_containers
    c = c[c["privileged"].fillna(False).astype(bool)]
    src = pd.DataFrame(
        {
            "vertex": c["vertex"],
            "evidence": _who(c) + ": securityContext.privileged=true",
            "certain": True,
            "rests": _container_rests(c, "privileged"),
        }
    )
    return _to_nodes(ctx, src)


@edge(
    "escape-capability",
    group="escape",
    technique="Escape with a dangerous capability",
    attack=("T1611",),
    rests_on=("cap-dangerous-add",),
    on="containers",
    title="workload → root on its node (CAP_SYS_ADMIN, SYS_MODULE, DAC_READ_SEARCH or ALL added)",
    why="CAP_SYS_ADMIN mounts filesystems and abuses cgroups (release_agent), CAP_SYS_MODULE loads kernel "
    "modules, CAP_DAC_READ_SEARCH opens host files by handle: each is a known way out of the container.",
)
def escape_capability(ctx: Context) -> pd.DataFrame:
    c = ctx.running_containers
    c = c[any_in(c["caps_add"], ESCAPE_CAPABILITIES)]
    caps = c["caps_add"].map(lambda xs: ", ".join(x for x in xs if x in ESCAPE_CAPABILITIES))
    src = pd.DataFrame(
        {
            "vertex": c["vertex"],
            "evidence": _who(c) + ": capabilities.add=[" + caps + "]",
            "certain": True,
            "rests": _container_rests(c, "cap-dangerous-add"),
        }
    )
    return _to_nodes(ctx, src)


@edge(
    "escape-host-pid",
    group="escape",
    technique="Escape through the host's PID namespace",
    attack=("T1611",),
    rests_on=("host-pid", "cap-dangerous-add"),
    on="workloads",
    certainty="either",
    title="workload → root on its node (hostPID with host processes it can ptrace)",
    why="With hostPID a container sees the node's processes; with CAP_SYS_PTRACE it enters them "
    "(nsenter -t 1) and is root on the node. Running as root without that capability it can still "
    "read their environment and files through /proc: possible.",
)
def escape_host_pid(ctx: Context) -> pd.DataFrame:
    c = ctx.running_containers
    c = c[c["host_pid"].astype(bool)]
    if c.empty:
        return no_edges()
    ptrace = any_in(c["caps_add"], ("SYS_PTRACE", "ALL"))
    root = c["run_as_user"].fillna(0).eq(0) & ~c["run_as_non_root"].fillna(False).astype(bool)
    sure = c[ptrace]
    maybe = c[~ptrace & root]
    src = pd.concat(
        [
            pd.DataFrame(
                {
                    "vertex": sure["vertex"],
                    "certain": True,
                    "evidence": _who(sure) + ": hostPID=true, capabilities.add SYS_PTRACE",
                    "rests": [
                        [("host-pid", k, ns, n, None), ("cap-dangerous-add", k, ns, n, cn)]
                        for k, ns, n, cn in zip(sure["kind"], sure["namespace"], sure["name"], sure["container"])
                    ],
                }
            ),
            pd.DataFrame(
                {
                    "vertex": maybe["vertex"],
                    "certain": False,
                    "evidence": _who(maybe) + ": hostPID=true, runs as root",
                    "rests": [
                        [("host-pid", k, ns, n, None)]
                        for k, ns, n in zip(maybe["kind"], maybe["namespace"], maybe["name"])
                    ],
                }
            ),
        ],
        ignore_index=True,
    )
    return _to_nodes(ctx, src.drop_duplicates(subset=["vertex", "evidence"]))


@edge(
    "escape-host-path",
    group="escape",
    technique="Escape through a host path mount",
    attack=("T1611",),
    on="volumes",
    title="workload → root on its node (hostPath of /, /etc, /var/run, the runtime socket, the kubelet's state)",
    why="Such a hostPath hands over the node: the runtime socket starts privileged containers, /etc and "
    "/var/lib/kubelet hold the node's credentials and every pod's tokens, / holds all of it. No check "
    "reports hostPath volumes on their own (Pod Security baseline forbids them): these edges are gaps.",
)
def escape_host_path(ctx: Context) -> pd.DataFrame:
    v = ctx.frame("volumes")
    v = v[v["host_path"].notna()]
    v = v[v["host_path"].map(sensitive_host_path).astype(bool)]
    v = v.merge(
        ctx.workloads[ctx.workloads["running"]][["kind", "namespace", "name", "vertex"]],
        on=["kind", "namespace", "name"],
    )
    src = pd.DataFrame(
        {
            "vertex": v["vertex"],
            "certain": True,
            "rests": [[] for _ in range(len(v))],
            "evidence": v["kind"]
            + " "
            + v["namespace"]
            + "/"
            + v["name"]
            + ": volume "
            + v["volume"]
            + " hostPath.path="
            + v["host_path"],
        }
    )
    return _to_nodes(ctx, src)


@edge(
    "escape-unmasked-proc",
    group="escape",
    technique="Escape through an unmasked /proc",
    attack=("T1611",),
    rests_on=("proc-mount-unmasked",),
    on="containers",
    certainty="possible",
    title="workload → root on its node (procMount: Unmasked)",
    why="An unmasked /proc exposes /proc/sys and /proc/sysrq-trigger, known escape routes; the user "
    "namespace Kubernetes requires alongside it makes it harder, so the edge is possible.",
)
def escape_unmasked_proc(ctx: Context) -> pd.DataFrame:
    c = ctx.running_containers
    c = c[c["proc_mount"].eq("Unmasked").fillna(False)]
    src = pd.DataFrame(
        {
            "vertex": c["vertex"],
            "certain": False,
            "evidence": _who(c) + ": procMount=Unmasked",
            "rests": _container_rests(c, "proc-mount-unmasked"),
        }
    )
    return _to_nodes(ctx, src)
