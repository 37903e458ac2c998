"""Charts of the whole audit: practice x severity, namespaces, Pod Security levels, the scorecard."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from ..checks import PRACTICES
from ._base import (
    EXEMPT_COLOR, NEUTRAL_COLOR, OK_COLOR, SEVERITY_COLORS, SEVERITY_ORDER, STATUS_COLORS, blend, empty_figure,
    layout, namespace_of, practice_label, text_color,
)

#: Pod Security Standards levels, most secure first, and their colours
PSS_LEVELS: tuple[str, ...] = ("restricted", "baseline", "privileged")
PSS_COLORS: dict[str, str] = {"restricted": OK_COLOR, "baseline": SEVERITY_COLORS["medium"],
                              "privileged": SEVERITY_COLORS["high"]}


def _live(findings: pd.DataFrame, include_exempt: bool) -> pd.DataFrame:
    return findings if include_exempt else findings[~findings["exempt"].astype(bool)]


def severity_counts(findings: pd.DataFrame, *, include_exempt: bool = False) -> pd.DataFrame:
    """Findings per practice (rows 1-10) and severity (columns, worst first)."""
    f = _live(findings, include_exempt)
    counts = pd.crosstab(f["practice"].astype(int), f["severity"].astype(str)) if len(f) else pd.DataFrame()
    return counts.reindex(index=list(PRACTICES), columns=list(SEVERITY_ORDER), fill_value=0).astype(int)


def severity_heatmap(findings: pd.DataFrame, *, include_exempt: bool = False) -> go.Figure:
    """Practice x severity: how many findings, each severity in its own colour.

    One heatmap trace per severity (``fig.data[i].x == (severity,)``, ``z`` the
    counts per practice, top to bottom 1-10). Exempt findings are left out unless
    ``include_exempt``.
    """
    counts = severity_counts(findings, include_exempt=include_exempt)
    labels = [practice_label(p) for p in counts.index]
    top = max(1, int(counts.to_numpy().max()))
    fig = go.Figure()
    for sev in SEVERITY_ORDER:
        col = counts[sev].tolist()
        fills = [_cell_fill(sev, n, top) for n in col]
        fig.add_trace(go.Heatmap(
            x=[sev], y=labels, z=[[n] for n in col], name=sev, showscale=False, xgap=3, ygap=3,
            zmin=0, zmax=top, colorscale=_scale(sev, top),
            hovertemplate="%{y}<br>" + sev + ": %{z} finding(s)<extra></extra>",
        ))
        for label, n, fill in zip(labels, col, fills):
            fig.add_annotation(x=sev, y=label, text=str(n) if n else "·", showarrow=False,
                               font={"color": text_color(fill), "size": 13})
    total = int(counts.to_numpy().sum())
    excluded = "" if include_exempt else f"; {int(findings['exempt'].astype(bool).sum())} exempt finding(s) not counted"
    layout(fig, "Findings by practice and severity",
           subtitle=f"{total} open finding(s){excluded}. Darker cells hold more findings.",
           x="severity (worst on the left)", y=None, height=520, width=760)
    fig.update_yaxes(autorange="reversed", showgrid=False, ticksuffix="  ")
    fig.update_xaxes(side="top", showgrid=False, title_standoff=4)
    return fig


def _cell_fill(sev: str, n: int, top: int) -> str:
    if n <= 0:
        return "#ffffff"
    return blend(SEVERITY_COLORS[sev], 0.25 + 0.75 * math.log1p(n) / math.log1p(top))


def _scale(sev: str, top: int) -> list[list[float | str]]:
    # white for 0, then a log ramp from a light tint (1 finding) to the full severity colour (``top``)
    e = 0.5 / top
    out: list[list[float | str]] = [[0.0, "#ffffff"], [e, "#ffffff"]]
    for k in range(1, 11):
        s = e + (1 - e) * k / 10
        out.append([s, _cell_fill(sev, max(1, round(s * top)), top)])
    return out


def findings_by_namespace(findings: pd.DataFrame, *, top: int = 20) -> go.Figure:
    """Open findings per namespace, stacked by severity; exempt findings as one grey segment.

    Traces: one per severity (``name``), then ``exempt``; ``y`` the namespaces,
    ``x`` the counts. The ``top`` namespaces with the most findings are shown.
    """
    if findings.empty:
        return empty_figure("Findings by namespace", "No findings.")
    f = findings.assign(ns=namespace_of(findings["namespace"]), sev=findings["severity"].astype(str),
                        ex=findings["exempt"].astype(bool))
    live = pd.crosstab(f.loc[~f.ex, "ns"], f.loc[~f.ex, "sev"]) if (~f.ex).any() else pd.DataFrame()
    live = live.reindex(columns=list(SEVERITY_ORDER), fill_value=0)
    exempt = f.loc[f.ex].groupby("ns").size()
    spaces = live.index.union(exempt.index)
    live = live.reindex(spaces, fill_value=0)
    exempt = exempt.reindex(spaces, fill_value=0)
    order = (live.sum(axis=1) * 1000 + exempt).sort_values(ascending=False).index[:top]
    fig = go.Figure()
    for sev in SEVERITY_ORDER:
        fig.add_trace(go.Bar(y=list(order), x=live.loc[order, sev].tolist(), name=sev, orientation="h",
                             marker_color=SEVERITY_COLORS[sev],
                             hovertemplate="%{y}: %{x} " + sev + " finding(s)<extra></extra>"))
    fig.add_trace(go.Bar(y=list(order), x=exempt.loc[order].tolist(), name="exempt (any severity)",
                         orientation="h", marker={"color": "#ffffff", "line": {"color": EXEMPT_COLOR, "width": 1.5},
                                                  "pattern": {"shape": "/", "fgcolor": EXEMPT_COLOR}},
                         hovertemplate="%{y}: %{x} exempt finding(s)<extra></extra>"))
    layout(fig, "Findings by namespace",
           subtitle="Open findings stacked by severity; exempt ones (waived or expected of system components) hatched.",
           x="number of findings", y="namespace", legend="severity",
           height=max(320, 120 + 26 * len(order)))
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
        fig.add_trace(go.Bar(y=list(order), x=table.loc[order, level].tolist(), name=level, orientation="h",
                             marker_color=PSS_COLORS[level],
                             hovertemplate="%{y}: %{x} workload(s) at most " + level + "<extra></extra>"))
    summary = ", ".join(f"{int(counts.get(lv, 0))} {lv}" for lv in PSS_LEVELS)
    layout(fig, "Pod Security Standards: the strictest level each workload meets",
           subtitle=f"{len(w)} workloads: {summary}. 'privileged' means it breaks even the baseline level.",
           x="number of workloads", y="namespace", legend="level met",
           height=max(320, 120 + 26 * len(order)))
    fig.update_layout(barmode="stack")
    fig.update_yaxes(autorange="reversed")
    return fig


def scorecard_bar(scorecard: pd.DataFrame) -> go.Figure:
    """Score per practice (share of evaluated objects that pass), coloured by status.

    ``fig.data[0]``: ``y`` the practice labels 1-10, ``x`` the scores (0 when
    not assessable or without checks), ``text`` failing/evaluated.
    """
    sc = scorecard.drop_duplicates("practice").set_index("practice") if len(scorecard) else pd.DataFrame()
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
        colors.append(STATUS_COLORS.get(status, NEUTRAL_COLOR))
        if status == "not_assessable":
            texts.append("not assessable")
        else:
            texts.append(f"{scores[-1]:.0f}%  ({int(row['failing'])} of {int(row['evaluated'])} failing)")
        hovers.append(f"{PRACTICES[p]}<br>status: {status}")
    fig = go.Figure(go.Bar(y=labels, x=scores, orientation="h", marker_color=colors, text=texts,
                           textposition="outside", cliponaxis=False, customdata=hovers,
                           hovertemplate="%{customdata}<br>score %{x:.1f}%<extra></extra>", showlegend=False))
    for status, color in (("pass", STATUS_COLORS["pass"]), ("fail", STATUS_COLORS["fail"]),
                          ("not assessable", STATUS_COLORS["not_assessable"])):
        fig.add_trace(go.Bar(x=[None], y=[None], name=status, marker_color=color, orientation="h"))
    layout(fig, "Scorecard: share of checked objects that pass, per practice",
           subtitle="Exempt findings count as passing. Red: some objects fail; green: all pass.",
           x="score (% of evaluated objects passing)", y=None, legend="status", height=480)
    fig.update_xaxes(range=[0, 135], tickvals=[0, 25, 50, 75, 100], ticksuffix="%")
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(bargap=0.35)
    return fig
