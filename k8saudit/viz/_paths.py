"""The attack graph as an interactive network: entries on the left, targets on the right, edges coloured by technique."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from ._base import layout

#: columns of the drawing, left to right, by vertex type
COLUMNS = {
    "entry": 0,
    "workload": 1,
    "service_account": 2,
    "user": 2,
    "group": 2,
    "hub": 3,
    "node": 4,
    "secrets": 5,
    "target": 5,
}
COLUMN_TITLES = ["entries", "workloads", "identities", "hubs", "nodes", "targets"]
TYPE_COLORS = {
    "entry": "#2563eb",
    "workload": "#6b7280",
    "service_account": "#7c3aed",
    "user": "#7c3aed",
    "group": "#7c3aed",
    "hub": "#9ca3af",
    "node": "#ea580c",
    "secrets": "#dc2626",
    "target": "#b91c1c",
}
#: one colour per technique group, in registry order
PALETTE = [
    "#2563eb",
    "#dc2626",
    "#059669",
    "#d97706",
    "#7c3aed",
    "#db2777",
    "#0891b2",
    "#65a30d",
    "#9333ea",
    "#ea580c",
    "#0d9488",
    "#4f46e5",
    "#be123c",
    "#a16207",
    "#15803d",
    "#1d4ed8",
    "#c026d3",
    "#0369a1",
]


def attack_graph_figure(
    graph: Any,
    *,
    relevant: pd.Series | None = None,
    fixed: Iterable[str] = (),
    max_vertices: int = 160,
    title: str = "Attack graph",
) -> go.Figure:
    """The part of the graph that lies on some path from an entry to a target, as a plotly network.

    Edges resting on a ``fixed`` finding are drawn dashed and grey (a what-if). Hover a vertex for its
    label, an edge's midpoint for its technique, evidence and the findings that fix it. The figure
    takes the width of the page (``autosize``).
    """
    from ..paths._paths import relevant_edges

    e = graph.edges_frame
    keep = relevant if relevant is not None else relevant_edges(graph)
    e = e[keep.to_numpy()]
    if e.empty:
        from ._base import empty_figure

        return empty_figure(title, "No path from an entry to a target")
    # the busiest vertices first, when there are too many to draw
    deg = pd.concat([e["source"], e["target"]]).value_counts()
    nf = graph.nodes_frame.set_index("vertex").loc[deg.index]
    if len(nf) > max_vertices:
        must = set(nf.index[nf["is_entry"] | nf["is_target"]])
        ranked = [v for v in deg.index if v not in must][: max(0, max_vertices - len(must))]
        shown = must | set(ranked)
        e = e[e["source"].isin(shown) & e["target"].isin(shown)]
        nf = nf.loc[[v for v in deg.index if v in shown]]
    col = nf["type"].map(COLUMNS).fillna(3).astype(int)
    col[nf["is_target"] & ~nf["type"].eq("node")] = 5
    text = [chart_label(lab) for lab in nf["label"]]
    # each column as wide as its longest label (x in characters): the entries' short labels leave their room to
    # the others, and no label runs into the next column's dots
    widest = pd.Series([len(t) for t in text], index=nf.index).groupby(col).max()
    colx = [0.0]
    for c in range(1, len(COLUMN_TITLES)):
        colx.append(colx[-1] + max(float(widest.get(c - 1, 0)), _MIN_COLUMN) + _GAP)
    pos: dict[str, tuple[float, float]] = {}
    tallest = int(col.value_counts().max())
    for c, grp in nf.assign(col=col).groupby("col"):
        order = grp.sort_values(["namespace", "label"], na_position="first").index
        n = len(order)
        for i, v in enumerate(order):
            pos[v] = (colx[int(c)], (tallest - 1) / 2 - (i - (n - 1) / 2) * (tallest / max(n, 1)) * 0.9)
    fixed = set(fixed)
    fig = go.Figure()
    techniques = list(dict.fromkeys(e["technique"]))
    colors = {t: PALETTE[i % len(PALETTE)] for i, t in enumerate(techniques)}
    removed = e["finding_ids"].map(lambda ids: bool(fixed.intersection(ids))).astype(bool)
    for tech in techniques:
        for gone in (False, True):
            sub = e[(e["technique"] == tech) & (removed == gone)]
            if sub.empty:
                continue
            xs: list[float | None] = []
            ys: list[float | None] = []
            for s, t in zip(sub["source"], sub["target"]):
                xs += [pos[s][0], pos[t][0], None]
                ys += [pos[s][1], pos[t][1], None]
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="lines",
                    hoverinfo="skip",
                    legendgroup=tech,
                    showlegend=not gone,
                    name=tech,
                    line={
                        "width": 1.2 if gone else 1.8,
                        "color": "#d1d5db" if gone else colors[tech],
                        "dash": "dash" if gone else "solid",
                    },
                    opacity=0.8,
                )
            )
    mid = e.assign(
        _x=[(pos[s][0] + pos[t][0]) / 2 for s, t in zip(e["source"], e["target"])],
        _y=[(pos[s][1] + pos[t][1]) / 2 for s, t in zip(e["source"], e["target"])],
    )
    hover = (
        mid["source_label"]
        + " → "
        + mid["target_label"]
        + "<br><b>"
        + mid["technique"]
        + "</b> "
        + mid["attack"]
        + "<br>"
        + mid["evidence"].str.slice(0, 160)
        + mid["finding_ids"].map(lambda ids: f"<br>fixed by {len(ids)} finding(s)" if ids else "<br>gap: no check")
        + removed.map(lambda r: " — fixed in this what-if" if r else "")
    )
    fig.add_trace(
        go.Scatter(
            x=mid["_x"],
            y=mid["_y"],
            mode="markers",
            hovertext=hover,
            hoverinfo="text",
            marker={"size": 5, "color": [colors[t] for t in mid["technique"]], "opacity": 0.6},
            showlegend=False,
            name="steps",
        )
    )
    vx = [pos[v][0] for v in nf.index]
    vy = [pos[v][1] for v in nf.index]
    fig.add_trace(
        go.Scatter(
            x=vx,
            y=vy,
            mode="markers+text",
            text=text,
            # every column's labels to the right of its dots: a target's label on its left would run into
            # the long labels of the nodes' column
            textposition="middle right",
            textfont={"size": 10},
            hovertext=nf["label"],
            hoverinfo="text",
            showlegend=False,
            name="vertices",
            marker={
                "size": [14 if (en or ta) else 9 for en, ta in zip(nf["is_entry"], nf["is_target"])],
                "color": [TYPE_COLORS.get(t, "#6b7280") for t in nf["type"]],
                "line": {"width": 1, "color": "white"},
                "symbol": ["diamond" if ta else "circle" for ta in nf["is_target"]],
            },
        )
    )
    for c, name in enumerate(COLUMN_TITLES):
        fig.add_annotation(
            x=colx[c],
            y=1.0,
            xref="x",
            yref="paper",
            yanchor="bottom",
            text=f"<b>{name}</b>",
            showarrow=False,
            font={"size": 11, "color": "#4b5563"},
        )
    n_gaps = int((~e["structural"] & (e["finding_ids"].str.len() == 0)).sum())
    layout(
        fig,
        title,
        subtitle=f"{len(nf)} vertices and {len(e)} steps on some path from an entry to a target; "
        f"{n_gaps} step(s) rest on no finding. Hover the dots for the evidence.",
        legend="technique",
        height=max(480, min(1400, 26 * tallest + 160)),
    )
    fig.update_layout(
        width=None,
        autosize=True,
        legend={"orientation": "h", "y": -0.02, "yanchor": "top", "font": {"size": 10}},
        # room for the column titles between the subtitle and the plot
        margin={"t": fig.layout.margin.t + 24},
    )
    # the right end leaves room for the targets' labels
    fig.update_xaxes(visible=False, range=[-4.0, colx[-1] + max(float(widest.get(5, 0)), _MIN_COLUMN) + 1.0])
    fig.update_yaxes(visible=False)
    return fig


def _short(label: str, n: int = 34) -> str:
    return label if len(label) <= n else label[: n - 1] + "…"


#: kubectl's short names of the kinds a vertex label starts with: a chart label must fit its column
SHORT_KINDS = {
    "Deployment": "deploy",
    "DaemonSet": "ds",
    "StatefulSet": "sts",
    "ReplicaSet": "rs",
    "ReplicationController": "rc",
    "CronJob": "cj",
    "Job": "job",
    "Pod": "po",
    "ServiceAccount": "sa",
}
#: the longest label a chart shows (hover shows it whole): six columns of it fit a notebook's output beside
#: JupyterLab's file browser (about 940 px)
CHART_LABEL = 22
#: a column's least width and the gap after it, in characters of the labels (a label starts ~2 right of its dot)
_MIN_COLUMN, _GAP = 8.0, 4.0


def chart_label(label: str) -> str:
    """A vertex's label as the chart shows it: ``deploy shop/frontend``, ``sa legacy/legacy-admin``, cut to
    :data:`CHART_LABEL` characters."""
    kind, sep, rest = label.partition(" ")
    if sep and kind in SHORT_KINDS:
        label = f"{SHORT_KINDS[kind]} {rest}"
    return _short(label, CHART_LABEL)
