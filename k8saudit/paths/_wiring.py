"""Identities, hubs and nodes: anonymous access, group membership, "any X of a namespace", node roots.

These kinds run after the others (the graph builder fills ``ctx.sources`` and ``ctx.targets``
first), so they wire only what some edge uses: a group gets member edges only when it holds a
permission that leads somewhere, a hub fans out only when something reaches it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..checks._common import apiserver_flags
from . import _vertices as V
from ._context import Context
from ._registry import edge, edges, first_each, no_edges

_FALSE = ("false", "0", "f")


def _rows(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    """Edges from (source, target, evidence, rests, certain) rows, the first of each (source, target)."""
    rows = first_each(rows, lambda r: (r[0], r[1]))
    if not rows:
        return no_edges()
    src, tgt, ev, rests, certain = zip(*rows)
    return edges(src, tgt, ev, rests, certain)


@edge(
    "anonymous-access",
    group="identity",
    technique="Use the API without credentials",
    attack=("T1078.001",),
    rests_on=("authn-anonymous",),
    on="apiserver",
    certainty="either",
    title="anonymous → system:anonymous and system:unauthenticated",
    why="With --anonymous-auth on (the default), a request without credentials is served as user "
    "system:anonymous in group system:unauthenticated, with whatever RBAC grants them. Possible when the "
    "API server's flags are not visible (managed control planes); no edge when it is turned off.",
)
def anonymous_access(ctx: Context) -> pd.DataFrame:
    wanted = [v for v in ("user:system:anonymous", "group:system:unauthenticated") if v in ctx.sources]
    if not wanted:
        return no_edges()
    api = ctx.frame("apiserver")
    if not ctx.snap.apiserver_visible or api.empty:
        return _rows(
            [
                ("anonymous", v, "kube-apiserver flags not visible: --anonymous-auth defaults to true", [], False)
                for v in wanted
            ]
        )
    f = apiserver_flags(api, "anonymous-auth")
    on = f[~f["anonymous-auth"].str.lower().isin(_FALSE).fillna(False)]
    return _rows(
        [
            (
                "anonymous",
                v,
                f"kube-apiserver {pod}: --anonymous-auth={val if isinstance(val, str) else '<not set>'}",
                [("authn-anonymous", "Pod", "kube-system", pod, None)],
                True,
            )
            for pod, val in zip(on["pod"], on["anonymous-auth"])
            for v in wanted
        ]
    )


@edge(
    "member-of",
    group="structural",
    technique="Group membership",
    structural=True,
    on="rbac",
    title="identity → the groups it belongs to (system:authenticated, system:serviceaccounts[:ns])",
    why="Every authenticated identity is in system:authenticated; a service account also in "
    "system:serviceaccounts and system:serviceaccounts:<namespace>. Wired only for groups that hold "
    "a permission leading somewhere.",
)
def member_of(ctx: Context) -> pd.DataFrame:
    groups = {v for v in ctx.sources if v.startswith("group:system:")}
    if not groups:
        return no_edges()
    rows: list[tuple[Any, ...]] = []
    auth = "group:system:authenticated"
    if auth in groups:
        rows.append(("authenticated", auth, "every authenticated request", [], True))
        users = sorted(v for v in ctx.sources | ctx.targets if v.startswith("user:") and v != "user:system:anonymous")
        rows += [(u, auth, "a user is authenticated", [], True) for u in users]
    sas = ctx.service_accounts
    for ns, sa_v in zip(sas["namespace"], sas["vertex"]):
        for gname in (auth, "group:system:serviceaccounts", f"group:system:serviceaccounts:{ns}"):
            if gname in groups:
                rows.append((sa_v, gname, f"{sa_v[3:]} is a service account", [], True))
    return _rows(rows)


@edge(
    "system-masters",
    group="structural",
    technique="system:masters is cluster-admin",
    structural=True,
    on="rbac",
    title="group system:masters → cluster-admin",
    why="Members of system:masters pass every authorization check, whatever RBAC says.",
)
def system_masters(ctx: Context) -> pd.DataFrame:
    if "group:system:masters" not in ctx.targets and "groups:*" not in ctx.targets:
        return no_edges()
    return edges("group:system:masters", V.CLUSTER_ADMIN, "built in: system:masters bypasses authorization", [])


@edge(
    "hub",
    group="structural",
    technique="Pick one",
    structural=True,
    on="namespaces",
    title="hub → each thing it stands for (any service account of a namespace → each of them, ...)",
    why='Hubs keep the graph small: "any service account of shop" is one vertex with an edge to each '
    "account, rather than an edge from every identity that may create pods in shop to each account.",
)
def hub(ctx: Context) -> pd.DataFrame:
    want = set(ctx.targets)
    rows: list[tuple[Any, ...]] = []
    namespaces = ctx.namespaces["name"].dropna().tolist()
    if "ns-admin:*" in want:
        rows += [("ns-admin:*", f"ns-admin:{ns}", "every namespace", [], True) for ns in namespaces]
        want |= {f"ns-admin:{ns}" for ns in namespaces}
    for v in sorted(x for x in want if x.startswith("ns-admin:") and x != "ns-admin:*"):
        ns = v.split(":", 1)[1]
        for h in ("sas", "workloads", "secrets"):
            rows.append((v, f"{h}:{ns}", f"admin of {ns} may create pods, exec and read Secrets there", [], True))
            want.add(f"{h}:{ns}")
    for h in ("sas", "workloads", "secrets"):
        if f"{h}:*" in want:
            rows += [(f"{h}:*", f"{h}:{ns}", "every namespace", [], True) for ns in namespaces]
            want |= {f"{h}:{ns}" for ns in namespaces}
    # the namespaces whose hub something reaches: only their accounts and workloads are read
    wanted = {h: {v.split(":", 1)[1] for v in want if v.startswith(h + ":")} for h in ("sas", "workloads")}
    sas = ctx.service_accounts
    hit = sas[sas["namespace"].isin(wanted["sas"]).to_numpy(dtype=bool)]
    rows += [
        (f"sas:{ns}", v, f"ServiceAccount {ns}/{n}", [], True)
        for ns, n, v in zip(hit["namespace"].tolist(), hit["name"].tolist(), hit["vertex"].tolist())
    ]
    w = ctx.workloads
    hit = w[(w["running"] & w["namespace"].isin(wanted["workloads"])).to_numpy(dtype=bool)]
    rows += [
        (f"workloads:{ns}", v, f"{k} {ns}/{n}", [], True)
        for ns, k, n, v in zip(*(hit[c].tolist() for c in ("namespace", "kind", "name", "vertex")))
    ]
    if "users:*" in want:
        rows += [("users:*", u, u[5:], [], True) for u in sorted(ctx.sources) if u.startswith("user:")]
    if "groups:*" in want:
        rows += [
            ("groups:*", g, g[6:], [], True)
            for g in sorted(ctx.sources | {"group:system:masters"})
            if g.startswith("group:")
        ]
    return _rows(rows)


@edge(
    "node-choice",
    group="structural",
    technique="Choose the node",
    structural=True,
    on="nodes",
    certainty="either",
    title="root on a node of one's choosing → each node; the node a workload will land on → each schedulable node",
    why="A pod may name its node (spec.nodeName skips the scheduler, taints and cordons), so whoever "
    "starts a privileged pod picks the node. A workload whose pods are not in the snapshot lands on "
    "some schedulable worker: possible edges.",
)
def node_choice(ctx: Context) -> pd.DataFrame:
    n = ctx.nodes
    rows: list[tuple[Any, ...]] = []
    if V.ANY_NODE in ctx.targets:
        rows += [(V.ANY_NODE, v, f"spec.nodeName: {name}", [], True) for v, name in zip(n["vertex"], n["name"])]
    if V.SCHEDULED_NODE in ctx.targets:
        ok = n[~n["unschedulable"].astype(bool) & ~n["control_plane"]]
        rows += [
            (V.SCHEDULED_NODE, v, f"may be scheduled on {name}", [], False) for v, name in zip(ok["vertex"], ok["name"])
        ]
    return _rows(rows)


@edge(
    "control-plane-node",
    group="node",
    technique="Take the control plane's credentials",
    attack=("T1552.001",),
    on="nodes",
    title="root on a control-plane node → cluster-admin",
    why="A control-plane node holds the cluster's keys: /etc/kubernetes/admin.conf, the CA and service "
    "account signing keys, etcd's data. No check reports it (it is what such a node is): a gap, broken "
    "only before the node is reached.",
)
def control_plane_node(ctx: Context) -> pd.DataFrame:
    n = ctx.nodes[ctx.nodes["control_plane"]]
    return edges(
        n["vertex"], V.CLUSTER_ADMIN, "node " + n["name"] + " is a control-plane node", [[] for _ in range(len(n))]
    )


@edge(
    "node-kubelet-credentials",
    group="node",
    technique="Use the kubelet's credentials",
    attack=("T1552.001",),
    on="nodes",
    title="root on a node → the kubelet's identity (system:node:<name>, group system:nodes)",
    why="Root on a node reads the kubelet's client certificate. The Node authorizer gives it the Secrets "
    "and tokens of its own pods (already edges); an edge is added only when RBAC grants system:nodes or "
    "the node's user something more.",
)
def node_kubelet_credentials(ctx: Context) -> pd.DataFrame:
    n = ctx.nodes
    rows: list[tuple[Any, ...]] = []
    for v, name in zip(n["vertex"], n["name"]):
        for ident in ("group:system:nodes", f"user:system:node:{name}"):
            if ident in ctx.sources:
                rows.append((v, ident, f"/var/lib/kubelet/pki on {name}", [], True))
    return _rows(rows)
