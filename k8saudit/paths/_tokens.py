"""Token theft: a workload, a node or a readable Secret yields a service account's credentials."""

from __future__ import annotations

import pandas as pd

from ..checks.p02_authn import _static_pod
from . import _vertices as V
from ._context import Context
from ._registry import edge, edges, no_edges, text


def _token_holders(ctx: Context) -> pd.DataFrame:
    """Running workloads with their service account token mounted (static pods never get one)."""
    return ctx.derive("token-holders", _find_token_holders)


def _find_token_holders(ctx: Context) -> pd.DataFrame:
    w = ctx.workloads
    w = w[w["running"] & w["automount_sa_token"].astype(bool)]
    w = w[~_static_pod(w)]
    sa = w["service_account"].fillna("default")
    how = w["automount_source"].fillna("default")
    return w.assign(sa_vertex="sa:" + w["namespace"].fillna("") + "/" + sa, sa=sa, automount_source=how)


@edge(
    "token-automount",
    group="token",
    technique="Steal the pod's service account token",
    attack=("T1528",),
    rests_on=("authn-sa-token-automount",),
    on="workloads",
    title="workload → its service account (token mounted)",
    why="Code running in the pod reads /var/run/secrets/kubernetes.io/serviceaccount/token and acts as the "
    "service account.",
)
def token_automount(ctx: Context) -> pd.DataFrame:
    w = _token_holders(ctx)
    if w.empty:
        return no_edges()
    rows = list(zip(*(w[c].tolist() for c in ("kind", "namespace", "name", "sa", "automount_source"))))
    ev = [
        text(
            k,
            " ",
            ns,
            "/",
            n,
            ": token of ServiceAccount ",
            sa,
            " mounted (automountServiceAccountToken from ",
            how,
            ")",
        )
        for k, ns, n, sa, how in rows
    ]
    rests = [[("authn-sa-token-automount", k, ns, n, None)] for k, ns, n, _, _ in rows]
    return edges(w["vertex"], w["sa_vertex"], ev, rests)


@edge(
    "token-secret-mount",
    group="token",
    technique="Steal a mounted long-lived token",
    attack=("T1552.001",),
    rests_on=("authn-legacy-sa-token-secret",),
    on="volumes",
    title="workload → the service account whose legacy token Secret it mounts",
    why="A Secret of type kubernetes.io/service-account-token mounted as a volume puts a never-expiring "
    "token of that account in the pod's filesystem.",
)
def token_secret_mount(ctx: Context) -> pd.DataFrame:
    vol = ctx.frame("volumes")
    sec = ctx.frame("secrets")
    tok = sec[sec["is_sa_token"] & sec["service_account"].notna()][["namespace", "name", "service_account"]]
    if tok.empty:
        return no_edges()
    v = vol[vol["secret_name"].notna()].merge(
        tok.rename(columns={"name": "secret_name"}), on=["namespace", "secret_name"]
    )
    v = v.merge(
        ctx.workloads[ctx.workloads["running"]][["kind", "namespace", "name", "vertex"]],
        on=["kind", "namespace", "name"],
    )
    if v.empty:
        return no_edges()
    ev = (
        v["kind"]
        + " "
        + v["namespace"]
        + "/"
        + v["name"]
        + ": volume "
        + v["volume"]
        + " mounts Secret "
        + v["secret_name"]
        + " (service-account-token of "
        + v["service_account"]
        + ")"
    )
    rests = [
        [("authn-legacy-sa-token-secret", "Secret", ns, s, None)] for ns, s in zip(v["namespace"], v["secret_name"])
    ]
    return edges(v["vertex"], "sa:" + v["namespace"] + "/" + v["service_account"], ev, rests)


@edge(
    "legacy-token-secret",
    group="token",
    technique="Read a long-lived token from the API",
    attack=("T1552.007",),
    rests_on=("authn-legacy-sa-token-secret",),
    on="secrets",
    title="Secrets of a namespace → service accounts with a legacy token Secret there",
    why="Whoever reads a namespace's Secrets reads the never-expiring tokens stored in them, and becomes "
    "those service accounts.",
)
def legacy_token_secret(ctx: Context) -> pd.DataFrame:
    sec = ctx.frame("secrets")
    tok = sec[sec["is_sa_token"] & sec["service_account"].notna()]
    if tok.empty:
        return no_edges()
    ev = "Secret " + tok["namespace"] + "/" + tok["name"] + " holds a token of ServiceAccount " + tok["service_account"]
    rests = [[("authn-legacy-sa-token-secret", "Secret", ns, n, None)] for ns, n in zip(tok["namespace"], tok["name"])]
    return edges("secrets:" + tok["namespace"], "sa:" + tok["namespace"] + "/" + tok["service_account"], ev, rests)


@edge(
    "node-tokens",
    group="node",
    technique="Read the tokens of every pod on the node",
    attack=("T1552.001",),
    rests_on=("authn-sa-token-automount",),
    on="workloads",
    certainty="either",
    title="root on a node → the service accounts of the pods running there",
    why="Root on a node reads every pod's projected token under /var/lib/kubelet/pods. Certain for the pods "
    "the snapshot places on the node; with no Node objects, DaemonSets' tokens are certain (they run "
    "everywhere) and other workloads' possible.",
)
def node_tokens(ctx: Context) -> pd.DataFrame:
    w = _token_holders(ctx)
    if w.empty:
        return no_edges()
    on = ctx.placed_on
    placed, unplaced = [], []
    for v, k, ns, n, sa_v, sa in zip(
        *(w[c].tolist() for c in ("vertex", "kind", "namespace", "name", "sa_vertex", "sa"))
    ):
        nodes = on.get(v)
        if nodes:
            placed += [(node, sa_v, True, k, ns, n, sa) for node in nodes]
        else:  # with no Node objects, a DaemonSet runs on every node: its tokens are on the one taken
            unplaced.append((V.ANY_NODE, sa_v, type(k) is str and k == "DaemonSet", k, ns, n, sa))
    rows = placed + (unplaced if not ctx.nodes_known else [])
    if not rows:
        return no_edges()
    ev = [
        text(
            "token of ServiceAccount ",
            ns,
            "/",
            sa,
            " mounted by ",
            k,
            " ",
            ns,
            "/",
            n,
            " on ",
            "the node" if node == V.ANY_NODE else node[5:],
        )
        for node, _, _, k, ns, n, sa in rows
    ]
    rests = [[("authn-sa-token-automount", k, ns, n, None)] for _, _, _, k, ns, n, _ in rows]
    return edges([r[0] for r in rows], [r[1] for r in rows], ev, rests, [r[2] for r in rows])
