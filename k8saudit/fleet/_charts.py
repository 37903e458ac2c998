"""Fleet charts (plotly): the cluster × practice heatmap, the worst clusters, a practice over time.

Every figure sizes itself to its container (``autosize``, no fixed width), so it fits a notebook
or a 1280-pixel window; heights grow with the number of clusters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd
import plotly.graph_objects as go

from ..checks import PRACTICE_SHORT, PRACTICES
from ..viz._base import NEUTRAL_COLOR, SEVERITY_COLORS, empty_figure, layout
from ._analysis import score_matrix, trends, worst_clusters

#: red (0) → amber → green (100), the scorecard's reading of a score
SCORE_SCALE = [[0.0, "#b91c1c"], [0.5, "#f59e0b"], [0.8, "#fde68a"], [0.9, "#bbf7d0"], [1.0, "#15803d"]]


def _responsive(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(width=None, autosize=True, height=height)
    return fig


def heatmap(scorecard: pd.DataFrame, *, title: str = "Score per cluster and practice") -> go.Figure:
    """cluster × practice, coloured by score (0-100); grey where not assessable."""
    m = score_matrix(scorecard)
    if m.empty:
        return empty_figure(title, "no cluster was audited")
    x = [f"{p}. {PRACTICE_SHORT.get(int(p), '')}" for p in m.columns]
    text = m.round(0).astype("Int64").astype("string").fillna("n/a").to_numpy()
    hover = [
        [f"{c}<br>{PRACTICES.get(int(p), p)}<br>score {v}" for p, v in zip(m.columns, row)]
        for c, row in zip(m.index, text)
    ]
    fig = go.Figure(
        go.Heatmap(
            z=m.to_numpy(),
            x=x,
            y=list(m.index),
            zmin=0,
            zmax=100,
            colorscale=SCORE_SCALE,
            text=text,
            texttemplate="%{text}",
            textfont={"size": 10},
            hovertext=hover,
            hoverinfo="text",
            xgap=1,
            ygap=1,
            colorbar={"title": {"text": "score"}, "len": 0.6},
        )
    )
    if m.isna().any().any():  # not assessable cells: a grey layer under the coloured one
        fig.add_trace(
            go.Heatmap(
                z=m.isna().astype(float).where(m.isna()).to_numpy(),
                x=x,
                y=list(m.index),
                colorscale=[[0, NEUTRAL_COLOR], [1, NEUTRAL_COLOR]],
                showscale=False,
                hoverinfo="skip",
                xgap=1,
                ygap=1,
            )
        )
        fig.data = fig.data[::-1]
    layout(fig, title, subtitle="share of evaluated objects that pass; grey: not assessable", x="practice")
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(side="top", tickangle=-30, automargin=True, title_text="")
    # the slanted practice names stand above the cells: room for them under the title and its subtitle
    top = fig.layout.margin.t + 80
    fig.update_layout(margin_t=top, title={"y": 1, "yref": "container", "yanchor": "top", "pad": {"t": 14}})
    return _responsive(fig, 80 + top + 18 * len(m))


def worst(clusters: pd.DataFrame, n: int = 10, *, title: str | None = None) -> go.Figure:
    """The ``n`` clusters with the most open findings, stacked by severity (worst first)."""
    top = worst_clusters(clusters, n)
    title = title or f"The {len(top)} worst clusters"
    if top.empty:
        return empty_figure(title, "no cluster was audited")
    fig = go.Figure()
    for sev in ("critical", "high", "medium", "low"):
        fig.add_trace(
            go.Bar(y=top["cluster"], x=top[sev], name=sev, orientation="h", marker_color=SEVERITY_COLORS[sev])
        )
    layout(fig, title, subtitle="open findings (exempt ones apart), by severity", x="open findings", legend="severity")
    fig.update_layout(barmode="stack")
    fig.update_yaxes(autorange="reversed", automargin=True)
    return _responsive(fig, 160 + 26 * len(top))


def trend(
    scorecard: pd.DataFrame,
    practice: int,
    groups: Mapping[str, str] | Callable[[str], str] | None = None,
    *,
    title: str | None = None,
) -> go.Figure:
    """One practice's score over the saved dates: the mean of each group (dashed) and every
    cluster whose score changed (solid). ``scorecard``: ``ka.fleet.load(paths, "scorecard")``."""
    title = title or f"Practice {practice}: {PRACTICES.get(practice, '')}"
    per = trends(scorecard, practice)
    if per.empty:
        return empty_figure(title, "no saved scorecard for this practice")
    dates = [c for c in per.columns if c != "change"]
    fig = go.Figure()
    names = pd.Series(per.index, index=per.index)
    if groups is not None:
        group = names.map(groups) if callable(groups) else names.map(dict(groups)).fillna("(no group)")
        for g, idx in per.groupby(group.to_numpy()).groups.items():
            part = per.loc[idx, dates]
            fig.add_trace(
                go.Scatter(
                    x=dates,
                    y=part.mean().round(1),
                    name=f"{g} (mean of {_assessed(part)})",
                    mode="lines+markers",
                    line={"dash": "dash", "width": 2},
                )
            )
    else:
        fig.add_trace(
            go.Scatter(
                x=dates,
                y=per[dates].mean().round(1),
                name=f"fleet (mean of {_assessed(per[dates])})",
                mode="lines+markers",
                line={"dash": "dash", "width": 2},
            )
        )
    moved = per[per["change"].fillna(0) != 0]
    for cluster, row in moved.head(8).iterrows():
        fig.add_trace(go.Scatter(x=dates, y=row[dates], name=str(cluster), mode="lines+markers", line={"width": 3}))
    layout(
        fig, title, subtitle=f"score per saved date; {len(moved)} cluster(s) changed", x="date", y="score", legend=""
    )
    fig.update_yaxes(range=[0, 101])
    fig.update_xaxes(type="category")
    return _responsive(fig, 420)


def _assessed(scores: pd.DataFrame) -> int:
    """Clusters with a score on at least one date (not assessable everywhere: not averaged in)."""
    return int(scores.notna().any(axis=1).sum())
