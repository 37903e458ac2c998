"""Escape: code in a container reaches root on its node.

Each reason is its own edge (fixing ``privileged`` does not close a ``hostPath: /``), from the
workload to every node its pods run on (``node:?`` with possible edges when they are not in the
snapshot; ``node:*`` when the snapshot has no nodes).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..checks._common import any_in
from ._context import Context, join_key
from ._registry import edge, edges, first_each, no_edges, text

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


def _containers(c: pd.DataFrame) -> list[tuple[Any, ...]]:
    """(kind, namespace, name, container, vertex) per row of ``c``."""
    return list(zip(*(c[k].tolist() for k in ("kind", "namespace", "name", "container", "vertex"))))


def _who(k: Any, ns: Any, n: Any, cn: Any, what: str) -> Any:
    return text(k, " ", ns, "/", n, " [", cn, "]", what)


def _to_nodes(
    ctx: Context, vertex: list[str], evidence: list[object], rests: list[object], certain: list[bool]
) -> pd.DataFrame:
    """Spread one row per (workload vertex, reason) to the nodes it runs on, in the order of the rows and then of
    its pods' nodes: certain when the row is and the placement is known (else ``node:?``, or ``node:*`` with no
    nodes in the snapshot, possible)."""
    on = ctx.placed_on
    unknown = ctx.unplaced_node
    rows = []
    for v, ev, rs, sure in zip(vertex, evidence, rests, certain):
        nodes = on.get(v)
        if nodes:
            rows += [(v, n, ev, rs, bool(sure)) for n in nodes]
        else:
            rows.append((v, unknown, ev, rs, False))
    if not rows:
        return no_edges()
    src, tgt, ev_, rests_, certain_ = zip(*rows)
    return edges(src, tgt, ev_, rests_, certain_)


def _each_container(ctx: Context, c: pd.DataFrame, check_id: str, what: list[str] | str, certain: bool) -> pd.DataFrame:
    """One edge per container row of ``c`` (and node it runs on), resting on the container's ``check_id`` finding."""
    rows = _containers(c)
    whats = [what] * len(rows) if isinstance(what, str) else what
    return _to_nodes(
        ctx,
        [r[4] for r in rows],
        [_who(r[0], r[1], r[2], r[3], w) for r, w in zip(rows, whats)],
        [[(check_id, *r[:4])] for r in rows],
        [certain] * len(rows),
    )


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
    return _each_container(ctx, c, "privileged", ": securityContext.privileged=true", True)


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
    what = [
        ": capabilities.add=[" + ", ".join(x for x in xs if x in ESCAPE_CAPABILITIES) + "]"
        for xs in c["caps_add"].tolist()
    ]
    return _each_container(ctx, c, "cap-dangerous-add", what, True)


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
    sure, maybe = _containers(c[ptrace]), _containers(c[~ptrace & root])
    rows = [
        (
            v,
            True,
            _who(k, ns, n, cn, ": hostPID=true, capabilities.add SYS_PTRACE"),
            [("host-pid", k, ns, n, None), ("cap-dangerous-add", k, ns, n, cn)],
        )
        for k, ns, n, cn, v in sure
    ] + [
        (v, False, _who(k, ns, n, cn, ": hostPID=true, runs as root"), [("host-pid", k, ns, n, None)])
        for k, ns, n, cn, v in maybe
    ]
    rows = first_each(rows, lambda r: (r[0], r[2]))  # once per (vertex, evidence)
    return _to_nodes(ctx, [r[0] for r in rows], [r[2] for r in rows], [r[3] for r in rows], [r[1] for r in rows])


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
    v = v[v["host_path"].notna().to_numpy(dtype=bool)]
    paths = v["host_path"].tolist()
    judged = {p: sensitive_host_path(p) for p in set(paths)}  # each distinct path once
    v = v[np.array([judged[p] for p in paths], dtype=bool)]
    on = ctx.running_vertices
    rows = [
        (k, ns, n, vol, hp, vertex)
        for k, ns, n, vol, hp in zip(*(v[c].tolist() for c in ("kind", "namespace", "name", "volume", "host_path")))
        for vertex in on.get((join_key(k), join_key(ns), join_key(n)), ())
    ]
    return _to_nodes(
        ctx,
        [r[5] for r in rows],
        [text(k, " ", ns, "/", n, ": volume ", vol, " hostPath.path=", hp) for k, ns, n, vol, hp, _ in rows],
        [[] for _ in rows],
        [True] * len(rows),
    )


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
    return _each_container(ctx, c, "proc-mount-unmasked", ": procMount=Unmasked", False)
