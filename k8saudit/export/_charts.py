"""The HTML report's overview figures of a findings frame (plotly); the notebooks' charts are in k8saudit.viz.

Each function takes the findings DataFrame and returns a ``go.Figure``; colours
come from :data:`k8saudit.vocab.SEVERITY_COLORS`. Open findings are
coloured by severity; exempt ones are counted apart, in grey.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ..vocab import EXEMPT_COLOR, SEVERITY_COLORS, SEVERITY_ORDER, practice_label

_LAYOUT = dict(
    template="plotly_white",
    margin=dict(l=10, r=10, t=44, b=10),
    barmode="stack",
    legend=dict(orientation="h", yanchor="top", y=-0.08, xanchor="left", x=0, title_text="", traceorder="normal"),
    title=dict(x=0.02, xanchor="left", font=dict(size=15)),
    font=dict(family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", size=12),
)


def _counts(findings: pd.DataFrame, by: pd.Series) -> pd.DataFrame:
    """Rows: values of ``by``; columns: each severity (open findings) and ``exempt``."""
    sev = findings["severity"].astype("string").where(~findings["exempt"].astype(bool), "exempt")
    t = pd.crosstab(by, sev)
    return t.reindex(columns=[*SEVERITY_ORDER, "exempt"], fill_value=0)


def _bars(t: pd.DataFrame, labels: list[str], title: str, *, horizontal: bool = True) -> go.Figure:
    fig = go.Figure()
    for s in [*SEVERITY_ORDER, "exempt"]:
        vals = t[s].tolist() if s in t else [0] * len(labels)
        if not any(vals):
            continue
        color = SEVERITY_COLORS.get(s, EXEMPT_COLOR)
        kw = dict(x=vals, y=labels, orientation="h") if horizontal else dict(x=labels, y=vals)
        fig.add_trace(
            go.Bar(
                name=s,
                marker_color=color,
                hovertemplate=f"%{{{'y' if horizontal else 'x'}}}<br>"
                f"{s}: %{{{'x' if horizontal else 'y'}}}<extra></extra>",
                **kw,
            )
        )
    fig.update_layout(**_LAYOUT)
    fig.update_layout(title_text=title)
    if horizontal:
        fig.update_yaxes(autorange="reversed", automargin=True)
        fig.update_layout(height=max(300, 110 + 26 * len(labels)))
    return fig


def findings_by_practice(findings: pd.DataFrame) -> go.Figure:
    """Stacked bars: findings per practice, by severity (exempt in grey)."""
    if findings.empty:
        return _empty("Findings by practice")
    t = _counts(findings, findings["practice"].astype("Int64").rename("practice")).sort_index()
    return _bars(t, [practice_label(p) for p in t.index], "Findings by practice")


def findings_by_namespace(findings: pd.DataFrame, top: int = 15) -> go.Figure:
    """Stacked bars: the ``top`` namespaces with the most open findings (cluster-scoped objects as "(cluster)")."""
    if findings.empty:
        return _empty("Findings by namespace")
    ns = findings["namespace"].astype("string").fillna("(cluster)")
    if findings["cluster"].nunique() > 1:
        ns = findings["cluster"].astype("string") + "/" + ns
    t = _counts(findings, ns.rename("namespace"))
    t = t.assign(_open=t[list(SEVERITY_ORDER)].sum(axis=1), _all=t.sum(axis=1))
    t = t.sort_values(["_open", "_all"], ascending=False).head(top).drop(columns=["_open", "_all"])
    title = "Findings by namespace" + (f" (top {top})" if ns.nunique() > top else "")
    return _bars(t, [str(i) for i in t.index], title)


def severity_donut(findings: pd.DataFrame) -> go.Figure:
    """Donut: open findings by severity, with exempt ones as a grey slice."""
    if findings.empty:
        return _empty("Findings by severity")
    t = _counts(findings, pd.Series("all", index=findings.index, name="all")).iloc[0]
    t = t[t > 0]
    fig = go.Figure(
        go.Pie(
            labels=list(t.index),
            values=t.tolist(),
            hole=0.55,
            sort=False,
            marker=dict(colors=[SEVERITY_COLORS.get(s, EXEMPT_COLOR) for s in t.index]),
            textinfo="value",
            hovertemplate="%{label}: %{value}<extra></extra>",
        )
    )
    open_n = int(t.drop("exempt", errors="ignore").sum())
    fig.update_layout(**{k: v for k, v in _LAYOUT.items() if k != "barmode"})
    fig.update_layout(
        title_text="Findings by severity",
        height=380,
        annotations=[dict(text=f"{open_n}<br>open", showarrow=False, font=dict(size=18))],
        legend=dict(orientation="v", yanchor="middle", y=0.5, xanchor="left", x=1.02),
    )
    return fig


def _empty(title: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(**{k: v for k, v in _LAYOUT.items() if k != "barmode"})
    fig.update_layout(
        title_text=title,
        annotations=[dict(text="No findings", showarrow=False, font=dict(size=16))],
        xaxis=dict(visible=False),
        yaxis=dict(visible=False),
        height=260,
    )
    return fig


def overview_figures(findings: pd.DataFrame) -> list[go.Figure]:
    """The report's overview: severity donut, findings by practice, findings by namespace."""
    return [severity_donut(findings), findings_by_practice(findings), findings_by_namespace(findings)]
