"""What every chart shares: the severity palette, labels, layout and the empty-chart placeholder."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import plotly.graph_objects as go

from ..checks import PRACTICE_SHORT, PRACTICES, SEVERITIES
from ..export._style import EXEMPT_COLOR, SEVERITY_COLORS, STATUS_COLORS

#: severities from the worst down: the order of legends, columns and stacks
SEVERITY_ORDER: tuple[str, ...] = tuple(reversed(SEVERITIES))

#: a passing / safe state (the same green as the scorecard's "pass")
OK_COLOR = STATUS_COLORS["pass"]
#: a neutral, "nothing to judge" state
NEUTRAL_COLOR = "#d1d5db"
#: the label of findings and rows without a namespace
CLUSTER_SCOPED = "(cluster-scoped)"

FONT = "Inter, Segoe UI, Helvetica Neue, Arial, sans-serif"

__all__ = ["SEVERITY_COLORS", "SEVERITY_ORDER", "STATUS_COLORS", "EXEMPT_COLOR", "OK_COLOR", "NEUTRAL_COLOR",
           "CLUSTER_SCOPED", "practice_label", "layout", "empty_figure", "blend", "text_color", "namespace_of"]


def practice_label(n: int) -> str:
    """``3. Capabilities``: the practice number and its short name."""
    return f"{n}. {PRACTICE_SHORT.get(n, PRACTICES.get(n, '?'))}"


def layout(
    fig: go.Figure,
    title: str,
    *,
    subtitle: str | None = None,
    x: str | None = None,
    y: str | None = None,
    height: int | None = None,
    legend: str | None = None,
    width: int = 900,
) -> go.Figure:
    """Title, subtitle, axis titles and the house style."""
    fig.update_layout(
        template="plotly_white",
        font={"family": FONT, "size": 13, "color": "#1f2937"},
        title={"text": f"<b>{title}</b>", "x": 0.01, "xanchor": "left", "font": {"size": 17},
               "subtitle": {"text": subtitle or "", "font": {"size": 12, "color": "#4b5563"}}},
        margin={"l": 10, "r": 20, "t": 90 if subtitle else 60, "b": 10},
        width=width,
        height=height or 460,
        legend={"title": {"text": legend or ""}, "traceorder": "normal"},
        hoverlabel={"font": {"family": FONT}},
    )
    if x is not None:
        fig.update_xaxes(title_text=x, automargin=True)
    if y is not None:
        fig.update_yaxes(title_text=y, automargin=True)
    return fig


def empty_figure(title: str, message: str, *, subtitle: str | None = None) -> go.Figure:
    """A figure without traces that says why there is nothing to draw."""
    fig = go.Figure()
    fig.add_annotation(text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                       font={"size": 15, "color": "#4b5563"})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return layout(fig, title, subtitle=subtitle, height=260)


def _rgb(color: str) -> tuple[int, int, int]:
    c = color.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def blend(color: str, t: float, base: str = "#ffffff") -> str:
    """``color`` mixed into ``base``: t=0 gives base, t=1 gives color."""
    a, b = _rgb(base), _rgb(color)
    mixed = [round(x + (y - x) * max(0.0, min(1.0, t))) for x, y in zip(a, b)]
    return "#{:02x}{:02x}{:02x}".format(*mixed)


def text_color(fill: str) -> str:
    """Dark or white text, whichever reads better on ``fill``."""
    r, g, b = _rgb(fill)
    luminance = (0.299 * r + 0.587 * g + 0.114 * b) / 255
    return "#111827" if luminance > 0.55 else "#ffffff"


def namespace_of(values: pd.Series) -> pd.Series:
    """Namespaces with ``(cluster-scoped)`` for missing ones."""
    return values.astype("string").fillna(CLUSTER_SCOPED)


def ordered(values: Iterable[str], first: Iterable[str]) -> list[str]:
    """``values`` with those in ``first`` first (in that order), the rest sorted."""
    vals = list(dict.fromkeys(values))
    head = [v for v in first if v in vals]
    return head + sorted(v for v in vals if v not in head)
