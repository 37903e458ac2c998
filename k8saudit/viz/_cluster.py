"""Charts of cluster-level settings: API server flags (2), network isolation (7), rollouts (10)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go

from ._base import NEUTRAL_COLOR, OK_COLOR, STATUS_COLORS, blend, empty_figure, layout, namespace_of
from ._pods import check_color


def _modes(v: str | None) -> set[str]:
    return {m.strip() for m in (v or "").split(",") if m.strip()}


#: (setting shown, check id, what a reader should know, value shown, ok?)
_APISERVER_ROWS: list[tuple[str, str, str, Callable[[dict[str, str]], str], Callable[[dict[str, str]], bool]]] = [
    (
        "--anonymous-auth",
        "authn-anonymous",
        "requests without credentials are rejected",
        lambda f: f.get("anonymous-auth", "not set (default: true)"),
        lambda f: f.get("anonymous-auth") == "false",
    ),
    (
        "--token-auth-file",
        "authn-token-file",
        "no static, never-expiring tokens",
        lambda f: f.get("token-auth-file", "not set"),
        lambda f: "token-auth-file" not in f,
    ),
    (
        "--basic-auth-file",
        "authn-basic-auth-file",
        "no passwords in a file",
        lambda f: f.get("basic-auth-file", "not set"),
        lambda f: "basic-auth-file" not in f,
    ),
    (
        "--oidc-issuer-url / --authentication-config",
        "authn-no-external-idp",
        "people sign in through an identity provider",
        lambda f: f.get("oidc-issuer-url") or f.get("authentication-config") or "not set",
        lambda f: bool(f.get("oidc-issuer-url") or f.get("authentication-config")),
    ),
    (
        "--authorization-mode",
        "rbac-abac-enabled",
        "RBAC decides, never ABAC or AlwaysAllow",
        lambda f: f.get("authorization-mode", "not set (default: AlwaysAllow)"),
        lambda f: (
            "RBAC" in _modes(f.get("authorization-mode"))
            and not (_modes(f.get("authorization-mode")) & {"ABAC", "AlwaysAllow"})
        ),
    ),
    (
        "--insecure-port",
        "apiserver-insecure-port",
        "no unauthenticated plain-HTTP port",
        lambda f: f.get("insecure-port", "not set"),
        lambda f: f.get("insecure-port", "0").strip() == "0",
    ),
]


def apiserver_flags(apiserver: pd.DataFrame) -> go.Figure:
    """The kube-apiserver's authentication and authorization flags, judged (a table figure).

    ``fig.data[0].cells.values``: setting, node, value, verdict, what it should ensure.
    """
    title = "API server authentication and authorization settings"
    if apiserver.empty:
        return empty_figure(
            title,
            "The kube-apiserver's flags are not visible in this snapshot\n(managed control plane?): "
            "these settings cannot be judged here.",
        )
    settings, nodes, values, verdicts, means, fills = [], [], [], [], [], []
    for (node, _pod), grp in apiserver.groupby(["node", "pod"], dropna=False, sort=True):
        grp = grp[grp["flag"].notna()]  # a pod that sets no flag has one row without any
        flags = dict(zip(grp["flag"].astype(str), grp["value"].astype(str)))
        for setting, check_id, meaning, value, ok in _APISERVER_ROWS:
            good = ok(flags)
            settings.append(setting)
            nodes.append(str(node))
            values.append(value(flags))
            verdicts.append("ok" if good else "risk")
            means.append(meaning)
            fills.append(blend(OK_COLOR, 0.25) if good else blend(check_color(check_id), 0.35))
    n_risk = verdicts.count("risk")
    white = ["#ffffff"] * len(settings)
    fig = go.Figure(
        go.Table(
            columnwidth=[2.4, 0.9, 2.6, 0.7, 3.2],
            header={
                "values": [
                    "<b>setting</b>",
                    "<b>node</b>",
                    "<b>value</b>",
                    "<b>verdict</b>",
                    "<b>it should ensure</b>",
                ],
                "fill_color": "#e5e7eb",
                "align": "left",
                "font": {"size": 13},
            },
            cells={
                "values": [settings, nodes, values, verdicts, means],
                "align": "left",
                "height": 30,
                "fill_color": [white, white, white, fills, white],
                "font": {"size": 12},
            },
        )
    )
    layout(
        fig,
        title,
        subtitle=f"{n_risk} of {len(settings)} settings need attention; "
        "verdict colour: green ok, otherwise the severity of the check that fires.",
        height=150 + 32 * len(settings),
    )
    return fig


#: NetworkPolicy coverage of a namespace, best first
COVERAGE = (
    "default deny, ingress and egress",
    "default deny for ingress only",
    "some policies, no default deny",
    "no NetworkPolicy at all",
)


def network_coverage(namespaces: pd.DataFrame) -> go.Figure:
    """NetworkPolicy coverage per namespace; bar length = workloads (a namespace without any shows 0).

    One bar trace per ``COVERAGE`` category; system namespaces are left out.
    """
    title = "NetworkPolicy coverage per namespace"
    ns = namespaces[~namespaces["is_system"].astype(bool)]
    if ns.empty:
        return empty_figure(title, "No application namespaces in this snapshot.")
    din, deg = ns["default_deny_ingress"].astype(bool), ns["default_deny_egress"].astype(bool)
    some = ns["network_policy_count"].fillna(0).astype(int) > 0
    cat = pd.Series(COVERAGE[3], index=ns.index)
    cat[some] = COVERAGE[2]
    cat[din] = COVERAGE[1]
    cat[din & deg] = COVERAGE[0]
    colors = dict(
        zip(
            COVERAGE, (OK_COLOR, blend(OK_COLOR, 0.5), check_color("net-no-default-deny"), check_color("net-no-policy"))
        )
    )
    df = pd.DataFrame(
        {
            "ns": ns["name"].astype(str),
            "cat": cat,
            "w": ns["workload_count"].fillna(0).astype(int),
            "np": ns["network_policy_count"].fillna(0).astype(int),
        }
    )
    df["rank"] = df["cat"].map({c: i for i, c in enumerate(COVERAGE)})
    df = df.sort_values(["rank", "w"], ascending=[False, False])
    fig = go.Figure()
    for c in COVERAGE:
        part = df[df["cat"] == c]
        if part.empty:
            continue
        fig.add_trace(
            go.Bar(
                y=part["ns"].tolist(),
                x=part["w"].tolist(),
                name=c,
                orientation="h",
                marker_color=colors[c],
                text=[f"{w} workload(s), {n} polic{'y' if n == 1 else 'ies'}" for w, n in zip(part["w"], part["np"])],
                textposition="outside",
                cliponaxis=False,
                hovertemplate="%{y}: %{x} workload(s)<br>" + c + "<extra></extra>",
            )
        )
    busy = df[df["w"] > 0]
    exposed = int((busy["rank"] >= 2).sum())
    layout(
        fig,
        title,
        subtitle=f"{exposed} of {len(busy)} application namespaces with workloads accept traffic from any pod "
        "(no default-deny ingress). System namespaces are not shown.",
        x="workloads in the namespace",
        y="namespace",
        legend="coverage",
        height=max(340, 140 + 30 * len(df)),
    )
    fig.update_yaxes(categoryorder="array", categoryarray=df["ns"].tolist(), autorange="reversed")
    fig.update_xaxes(range=[0, max(1, int(df["w"].max())) * 1.6])
    return fig


def exposed_services(services: pd.DataFrame, nodes: pd.DataFrame | None = None) -> go.Figure:
    """Services reachable from outside the cluster (NodePort, LoadBalancer, externalIPs), as a table."""
    title = "Services reachable from outside the cluster"
    s = services
    ext = s["external_ips"].map(lambda v: bool(v))
    out = s[s["type"].isin(["NodePort", "LoadBalancer"]).fillna(False).astype(bool) | ext]
    public = []
    if nodes is not None and len(nodes):
        pub = nodes[nodes["has_public_address"].astype(bool)]
        public = [
            f"{n} ({', '.join(map(str, list(p) or list(e)))})"
            for n, p, e in zip(pub["name"], pub["public_ips"], pub["external_ips"])
        ]
    nodes_note = (
        "Nodes with a public address: " + "; ".join(public) + ". Every NodePort is open on them."
        if public
        else "No node has a public address."
    )
    if out.empty:
        return empty_figure(title, "No NodePort or LoadBalancer Service and no externalIPs.", subtitle=nodes_note)
    names, types, ports, sources, fills = [], [], [], [], []
    for _, r in out.sort_values(["type", "namespace", "name"]).iterrows():
        names.append(f"{r['namespace']}/{r['name']}")
        types.append(str(r["type"]))
        np_ = ", ".join(map(str, r["node_ports"] or [])) or "-"
        ports.append(f"{', '.join(map(str, r['ports'] or []))}  (node ports: {np_})")
        ranges = list(r["load_balancer_source_ranges"] or [])
        if r["type"] == "LoadBalancer":
            ingress = ", ".join(map(str, r["lb_ingress"] or [])) or "pending"
            if ranges and not {"0.0.0.0/0", "::/0"} & set(ranges):
                sources.append(f"only {', '.join(ranges)} (at {ingress})")
                fills.append(blend(OK_COLOR, 0.25))
            else:
                sources.append(f"any address (at {ingress})")
                fills.append(blend(check_color("svc-lb-open"), 0.35))
        else:
            sources.append("anyone who reaches a node" + (" (public nodes!)" if public else ""))
            fills.append(blend(check_color("svc-nodeport"), 0.35))
    white = ["#ffffff"] * len(names)
    fig = go.Figure(
        go.Table(
            columnwidth=[2.4, 1.1, 2.4, 3.0],
            header={
                "values": ["<b>service</b>", "<b>type</b>", "<b>ports</b>", "<b>who can connect</b>"],
                "fill_color": "#e5e7eb",
                "align": "left",
            },
            cells={
                "values": [names, types, ports, sources],
                "align": "left",
                "height": 28,
                "fill_color": [white, white, white, fills],
            },
        )
    )
    return layout(fig, title, subtitle=nodes_note, height=170 + 30 * len(names))


def rollout(workloads: pd.DataFrame, *, kinds: tuple[str, ...] = ("Deployment", "StatefulSet")) -> go.Figure:
    """Replicas that stay up vs may go down together during an update, per workload.

    ``fig.data[0]`` ("stay up"), ``fig.data[1]`` ("may be down at once"), ``fig.data[2]``
    ("updated only when deleted (OnDelete)"); ``y`` the workloads, ``x`` replicas.
    """
    title = "What an update does to each workload's replicas"
    w = workloads[workloads["kind"].isin(list(kinds)).fillna(False).astype(bool)]
    w = w[(w["replicas"].fillna(0) > 0).astype(bool)]
    if w.empty:
        return empty_figure(title, "No scaled-up Deployment or StatefulSet in this snapshot.")
    reps = w["replicas"].astype(int)
    strat = w["strategy"].astype("string").fillna("?")
    down = w["max_unavailable_pods"].astype("Int64").fillna(0).astype(int).clip(upper=reps)
    down = down.where(strat != "Recreate", reps)
    ondelete = (strat == "OnDelete").to_numpy()
    down = down.where(~ondelete, 0)
    up = (reps - down).where(~ondelete, 0)
    manual = reps.where(ondelete, 0)
    mu = w["max_unavailable"].astype("string").fillna("")
    how = strat.where(strat != "RollingUpdate", "rolling, maxUnavailable " + mu)
    labels = (namespace_of(w["namespace"]) + "/" + w["name"].astype("string") + "  · " + how).tolist()
    df = pd.DataFrame(
        {
            "label": labels,
            "up": up.to_numpy(),
            "down": down.to_numpy(),
            "manual": manual.to_numpy(),
            "reps": reps.to_numpy(),
        }
    )
    df["all_down"] = (df["down"] >= df["reps"]) & (df["manual"] == 0)
    df = df.sort_values(["all_down", "down", "manual", "label"], ascending=[False, False, False, True])
    fig = go.Figure(
        [
            go.Bar(
                y=df["label"].tolist(),
                x=df["up"].tolist(),
                name="stay up",
                orientation="h",
                marker_color=OK_COLOR,
                hovertemplate="%{y}<br>%{x} replica(s) keep serving<extra></extra>",
            ),
            go.Bar(
                y=df["label"].tolist(),
                x=df["down"].tolist(),
                name="may be down at once",
                orientation="h",
                marker_color=STATUS_COLORS["fail"],
                hovertemplate="%{y}<br>%{x} replica(s) may be down together<extra></extra>",
            ),
            go.Bar(
                y=df["label"].tolist(),
                x=df["manual"].tolist(),
                name="updated only when deleted (OnDelete)",
                orientation="h",
                marker={"color": NEUTRAL_COLOR, "pattern": {"shape": "x", "fgcolor": "#6b7280"}},
                hovertemplate="%{y}<br>%{x} replica(s) keep the old version until deleted<extra></extra>",
            ),
        ]
    )
    n_all = int(df["all_down"].sum())
    layout(
        fig,
        title,
        subtitle=f"{n_all} of {len(df)} Deployments/StatefulSets go completely down during an update "
        "(Recreate, a single replica, or maxUnavailable ≥ replicas).",
        x="replicas",
        y=None,
        legend="during an update",
        height=max(360, 150 + 22 * len(df)),
    )
    fig.update_layout(barmode="stack", legend={"orientation": "h", "y": -0.06, "x": 0, "yanchor": "top"})
    fig.update_yaxes(autorange="reversed", tickfont={"size": 11})
    fig.update_xaxes(dtick=1)
    return fig
