"""Token theft: a workload, a node or a readable Secret yields a service account's credentials."""

from __future__ import annotations

import pandas as pd

from ..checks.p02_authn import _static_pod
from ._context import Context
from ._registry import edge, edges, no_edges


def _token_holders(ctx: Context) -> pd.DataFrame:
    """Running workloads with their service account token mounted (static pods never get one)."""
    return ctx.derive("token-holders", _find_token_holders)


def _find_token_holders(ctx: Context) -> pd.DataFrame:
    w = ctx.workloads
    w = w[w["running"] & w["automount_sa_token"].astype(bool)]
    w = w[~_static_pod(w)]
    return w.assign(sa_vertex="sa:" + w["namespace"].fillna("") + "/" + w["service_account"].fillna("default"))


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
    src = w["automount_source"].fillna("default")
    ev = (
        w["kind"]
        + " "
        + w["namespace"]
        + "/"
        + w["name"]
        + ": token of ServiceAccount "
        + w["service_account"].fillna("default")
        + " mounted (automountServiceAccountToken from "
        + src
        + ")"
    )
    rests = [[("authn-sa-token-automount", k, ns, n, None)] for k, ns, n in zip(w["kind"], w["namespace"], w["name"])]
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
    where = ctx.node_of(w)
    x = where.merge(
        w[["vertex", "kind", "namespace", "name", "sa_vertex", "service_account"]],
        left_on="workload",
        right_on="vertex",
    )
    placed = x[x["certain"].astype(bool)]
    parts = []
    if len(placed):
        parts.append(
            pd.DataFrame(
                {
                    "source": placed["node"],
                    "target": placed["sa_vertex"],
                    "certain": True,
                    "kind": placed["kind"],
                    "namespace": placed["namespace"],
                    "name": placed["name"],
                    "sa": placed["service_account"].fillna("default"),
                }
            )
        )
    if not ctx.nodes_known:
        u = x[~x["certain"].astype(bool)]
        parts.append(
            pd.DataFrame(
                {
                    "source": "node:*",
                    "target": u["sa_vertex"],
                    "certain": u["kind"].eq("DaemonSet"),
                    "kind": u["kind"],
                    "namespace": u["namespace"],
                    "name": u["name"],
                    "sa": u["service_account"].fillna("default"),
                }
            )
        )
    if not parts:
        return no_edges()
    d = pd.concat(parts, ignore_index=True)
    ev = (
        "token of ServiceAccount "
        + d["namespace"]
        + "/"
        + d["sa"]
        + " mounted by "
        + d["kind"]
        + " "
        + d["namespace"]
        + "/"
        + d["name"]
        + " on "
        + d["source"].str.slice(5).replace("*", "the node")
    )
    rests = [[("authn-sa-token-automount", k, ns, n, None)] for k, ns, n in zip(d["kind"], d["namespace"], d["name"])]
    return edges(d["source"], d["target"], ev, rests, d["certain"])
