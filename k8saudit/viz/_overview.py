"""Charts of the whole audit: practice x severity, namespaces, Pod Security levels, the scorecard."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from ..vocab import PRACTICES
from ._base import (
    EXEMPT_COLOR,
    NEUTRAL_COLOR,
    OK_COLOR,
    SEVERITY_COLORS,
    SEVERITY_ORDER,
    STATUS_COLORS,
    empty_figure,
    grid,
    layout,
    namespace_of,
    practice_label,
)

#: Pod Security Standards levels, most secure first, and their colours
PSS_LEVELS: tuple[str, ...] = ("restricted", "baseline", "privileged")
PSS_COLORS: dict[str, str] = {
    "restricted": OK_COLOR,
    "baseline": SEVERITY_COLORS["medium"],
    "privileged": SEVERITY_COLORS["high"],
}


def _live(findings: pd.DataFrame, include_exempt: bool) -> pd.DataFrame:
    return findings if include_exempt else findings[~findings["exempt"].astype(bool)]


def severity_counts(findings: pd.DataFrame, *, include_exempt: bool = False) -> pd.DataFrame:
    """Findings per practice (rows 1-10) and severity (columns, worst first)."""
    f = _live(findings, include_exempt)
    counts = pd.crosstab(f["practice"].astype(int), f["severity"].astype(str)) if len(f) else pd.DataFrame()
    return counts.reindex(index=list(PRACTICES), columns=list(SEVERITY_ORDER), fill_value=0).astype(int)


def severity_heatmap(findings: pd.DataFrame, *, include_exempt: bool = False) -> go.Figure:
    """Practice x severity: how many findings, each severity column in its own colour.

    ``fig.data[0]``: ``x`` the severities (worst first), ``y`` the practices 1-10,
    ``text`` the counts (``severity_counts`` gives them as a frame). Exempt
    findings are left out unless ``include_exempt``.
    """
    counts = severity_counts(findings, include_exempt=include_exempt)
    labels = [practice_label(p) for p in counts.index]
    top = max(1, int(counts.to_numpy().max()))
    t = [
        [None if n == 0 else 0.35 + 0.65 * math.log1p(n) / math.log1p(top) for n in row]
        for row in counts.to_numpy().tolist()
    ]
    text = [[str(n) if n else "" for n in row] for row in counts.to_numpy().tolist()]
    fig = grid(
        go.Figure(),
        list(SEVERITY_ORDER),
        labels,
        [SEVERITY_COLORS[s] for s in SEVERITY_ORDER],
        t,
        text,
        "%{y}<br>%{x}: %{text} finding(s)",
    )
    total = int(counts.to_numpy().sum())
    excluded = "" if include_exempt else f" ({int(findings['exempt'].astype(bool).sum())} exempt ones not counted)"
    layout(
        fig,
        "Findings by practice and severity",
        subtitle=f"{total} open findings{excluded}. Worst severity on the left; darker cells hold more findings; "
        "empty cells none.",
        height=560,
    )
    fig.update_yaxes(autorange="reversed", showgrid=False, ticksuffix="  ")
    fig.update_xaxes(side="top", showgrid=False)
    return fig


def findings_by_namespace(findings: pd.DataFrame, *, top: int = 20) -> go.Figure:
    """Open findings per namespace, stacked by severity; exempt findings as one grey segment.

    Traces: one per severity (``name``), then ``exempt``; ``y`` the namespaces,
    ``x`` the counts. The ``top`` namespaces with the most findings are shown.
    """
    if findings.empty:
        return empty_figure("Findings by namespace", "No findings.")
    f = findings.assign(
        ns=namespace_of(findings["namespace"]), sev=findings["severity"].astype(str), ex=findings["exempt"].astype(bool)
    )
    live = pd.crosstab(f.loc[~f.ex, "ns"], f.loc[~f.ex, "sev"]) if (~f.ex).any() else pd.DataFrame()
    live = live.reindex(columns=list(SEVERITY_ORDER), fill_value=0)
    exempt = f.loc[f.ex].groupby("ns").size()
    spaces = live.index.union(exempt.index)
    live = live.reindex(spaces, fill_value=0)
    exempt = exempt.reindex(spaces, fill_value=0)
    order = (live.sum(axis=1) * 1000 + exempt).sort_values(ascending=False).index[:top]
    fig = go.Figure()
    for sev in SEVERITY_ORDER:
        fig.add_trace(
            go.Bar(
                y=list(order),
                x=live.loc[order, sev].tolist(),
                name=sev,
                orientation="h",
                marker_color=SEVERITY_COLORS[sev],
                hovertemplate="%{y}: %{x} " + sev + " finding(s)<extra></extra>",
            )
        )
    fig.add_trace(
        go.Bar(
            y=list(order),
            x=[n or None for n in exempt.loc[order].tolist()],
            name="exempt (any severity)",
            orientation="h",
            marker={
                "color": "#ffffff",
                "line": {"color": EXEMPT_COLOR, "width": 1.5},
                "pattern": {"shape": "/", "fgcolor": EXEMPT_COLOR},
            },
            hovertemplate="%{y}: %{x} exempt finding(s)<extra></extra>",
        )
    )
    layout(
        fig,
        "Findings by namespace",
        subtitle="Open findings stacked by severity; exempt ones (waived or expected of system components) hatched.",
        x="number of findings",
        y="namespace",
        legend="severity",
        height=max(320, 120 + 26 * len(order)),
    )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(autorange="reversed")
    return fig


def pss_levels(workloads: pd.DataFrame) -> go.Figure:
    """The Pod Security Standards level each workload satisfies, per namespace.

    One bar trace per level (``restricted``, ``baseline``, ``privileged``); ``y``
    the namespaces, ``x`` the number of workloads.
    """
    if workloads.empty:
        return empty_figure("Pod Security Standards levels", "No workloads in this snapshot.")
    w = workloads.assign(ns=namespace_of(workloads["namespace"]), level=workloads["pss_level"].astype(str))
    table = pd.crosstab(w["ns"], w["level"]).reindex(columns=list(PSS_LEVELS), fill_value=0)
    order = table.sort_values(list(reversed(PSS_LEVELS)), ascending=False).index
    counts = w["level"].value_counts()
    fig = go.Figure()
    for level in PSS_LEVELS:
        fig.add_trace(
            go.Bar(
                y=list(order),
                x=table.loc[order, level].tolist(),
                name=level,
                orientation="h",
                marker_color=PSS_COLORS[level],
                hovertemplate="%{y}: %{x} workload(s) at most " + level + "<extra></extra>",
            )
        )
    summary = ", ".join(f"{int(counts.get(lv, 0))} {lv}" for lv in PSS_LEVELS)
    layout(
        fig,
        "Pod Security Standards: the strictest level each workload meets",
        subtitle=f"{len(w)} workloads: {summary}. 'privileged' means it breaks even the baseline level.",
        x="number of workloads",
        y="namespace",
        legend="level met",
        height=max(320, 120 + 26 * len(order)),
    )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(autorange="reversed")
    return fig


def scorecard_bar(scorecard: pd.DataFrame, findings: pd.DataFrame | None = None) -> go.Figure:
    """Score per practice (share of evaluated objects that pass).

    Bars are green when the practice passes, grey when it cannot be assessed, and
    otherwise red, or, given the ``findings``, the colour of the worst open
    severity. ``fig.data[0]``: ``y`` the practice labels 1-10, ``x`` the scores
    (0 when not assessable or without checks), ``text`` failing/evaluated.
    """
    sc = scorecard.drop_duplicates("practice").set_index("practice") if len(scorecard) else pd.DataFrame()
    worst: dict[int, str] = {}
    if findings is not None and len(findings):
        live = findings[~findings["exempt"].astype(bool)]
        for p, sevs in live.groupby(live["practice"].astype(int))["severity"]:
            worst[int(p)] = str(sevs.max())
    labels, scores, colors, texts, hovers = [], [], [], [], []
    for p in PRACTICES:
        labels.append(practice_label(p))
        row = sc.loc[p] if p in sc.index else None
        if row is None:
            scores.append(0.0)
            colors.append(NEUTRAL_COLOR)
            texts.append("no checks ran")
            hovers.append(PRACTICES[p])
            continue
        status = str(row["status"])
        score = row["score"]
        scores.append(float(score) if score is not None and score == score else 0.0)
        color = STATUS_COLORS.get(status, NEUTRAL_COLOR)
        if status == "fail" and p in worst:
            color = SEVERITY_COLORS[worst[p]]
        colors.append(color)
        if status == "not_assessable":
            texts.append("not assessable")
        elif status == "partial":
            texts.append(
                f"partial: {row.get('partial') or row.get('not_assessable') or 'some checks'} not fully assessed"
            )
        else:
            texts.append(f"{scores[-1]:.0f}%  ({int(row['failing'])} of {int(row['evaluated'])} failing)")
        hovers.append(f"{PRACTICES[p]}<br>status: {status}" + (f", worst open: {worst[p]}" if p in worst else ""))
    fig = go.Figure(
        go.Bar(
            y=labels,
            x=scores,
            orientation="h",
            marker_color=colors,
            text=texts,
            textposition="outside",
            cliponaxis=False,
            customdata=hovers,
            hovertemplate="%{customdata}<br>score %{x:.1f}%<extra></extra>",
            showlegend=False,
        )
    )
    keys = [("all pass", STATUS_COLORS["pass"])]
    if worst:
        keys += [(f"worst open: {s}", SEVERITY_COLORS[s]) for s in SEVERITY_ORDER if s in worst.values()]
    else:
        keys += [("some fail", STATUS_COLORS["fail"])]
    keys += [("partial", STATUS_COLORS["partial"]), ("not assessable", STATUS_COLORS["not_assessable"])]
    for name, color in keys:
        fig.add_trace(go.Bar(x=[None], y=[None], name=name, marker_color=color, orientation="h"))
    layout(
        fig,
        "Scorecard: share of checked objects that pass, per practice",
        subtitle="Bar length: % of (check, object) evaluations that pass; exempt findings count as passing.",
        x="score (% of evaluations passing)",
        y=None,
        legend="bar colour",
        height=480,
    )
    fig.update_xaxes(range=[0, 140], tickvals=[0, 25, 50, 75, 100], ticksuffix="%")
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(bargap=0.35)
    return fig
