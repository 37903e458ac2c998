"""What every chart shares: the severity palette, labels, layout and the empty-chart placeholder."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

import pandas as pd
import plotly.graph_objects as go

from ..vocab import (
    EXEMPT_COLOR,
    NEUTRAL_COLOR,
    OK_COLOR,
    SEVERITY_COLORS,
    SEVERITY_ORDER,
    STATUS_COLORS,
    practice_label,
)

#: the label of findings and rows without a namespace
CLUSTER_SCOPED = "(cluster-scoped)"

FONT = "Inter, Segoe UI, Helvetica Neue, Arial, sans-serif"

__all__ = [
    "SEVERITY_COLORS",
    "SEVERITY_ORDER",
    "STATUS_COLORS",
    "EXEMPT_COLOR",
    "OK_COLOR",
    "NEUTRAL_COLOR",
    "CLUSTER_SCOPED",
    "practice_label",
    "layout",
    "wrap",
    "empty_figure",
    "blend",
    "namespace_of",
    "intensity",
    "segmented_scale",
    "grid",
    "legend_below",
    "integer_axis",
    "ordered",
]


def layout(
    fig: go.Figure,
    title: str,
    *,
    subtitle: str | None = None,
    x: str | None = None,
    y: str | None = None,
    height: int | None = None,
    legend: str | None = None,
) -> go.Figure:
    """Title, subtitle, axis titles and the house style.

    No fixed width: the figure fills its container (a notebook's output area, the HTML report's column),
    so nothing is clipped in a narrow JupyterLab; only the height is set."""
    sub = wrap(subtitle or "")
    fig.update_layout(
        template="plotly_white",
        font={"family": FONT, "size": 13, "color": "#1f2937"},
        title={
            "text": f"<b>{title}</b>",
            "x": 0.01,
            "xanchor": "left",
            "font": {"size": 17},
            "subtitle": {"text": sub, "font": {"size": 12, "color": "#4b5563"}},
        },
        margin={"l": 10, "r": 20, "t": (90 + 15 * sub.count("<br>")) if sub else 60, "b": 10},
        autosize=True,
        height=height or 460,
        legend={"title": {"text": legend or ""}, "traceorder": "normal"},
        hoverlabel={"font": {"family": FONT}},
    )
    if x is not None:
        fig.update_xaxes(title_text=x, automargin=True)
    if y is not None:
        fig.update_yaxes(title_text=y, automargin=True)
    return fig


def wrap(text: str, width: int = 110) -> str:
    """Plotly does not wrap titles: break a long plain-text subtitle into lines (``<br>``) so that a
    narrow output area (a 1280-px JupyterLab with its file browser open) shows all of it."""
    if len(text) <= width or "<" in text:
        return text
    return "<br>".join(textwrap.wrap(text, width))


def empty_figure(title: str, message: str, *, subtitle: str | None = None) -> go.Figure:
    """A figure without traces that says why there is nothing to draw."""
    fig = go.Figure()
    fig.add_annotation(
        text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False, font={"size": 15, "color": "#4b5563"}
    )
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


def namespace_of(values: pd.Series) -> pd.Series:
    """Namespaces with ``(cluster-scoped)`` for missing ones."""
    return values.astype("string").fillna(CLUSTER_SCOPED)


def ordered(values: Iterable[str], first: Iterable[str]) -> list[str]:
    """``values`` with those in ``first`` first (in that order), the rest sorted."""
    vals = list(dict.fromkeys(values))
    head = [v for v in first if v in vals]
    return head + sorted(v for v in vals if v not in head)


def intensity(color: str, t: float) -> str:
    """The fill of a cell of ``color`` at intensity ``t`` (0: a light tint, 1: the full colour)."""
    return blend(color, 0.2 + 0.8 * max(0.0, min(1.0, t)))


BLANK = "#f3f4f6"


def segmented_scale(colors: list[str]) -> list[list[float | str]]:
    """A colorscale for ``z = column + u`` on ``zmin=0, zmax=len(colors)``: in column j, u=0 is a blank cell,
    u from 0.05 to 0.99 ramps from a light tint to the full ``colors[j]``."""
    k = len(colors)
    out: list[list[float | str]] = []
    for j, c in enumerate(colors):
        out += [
            [j / k, BLANK],
            [(j + 0.02) / k, BLANK],
            [(j + 0.05) / k, intensity(c, 0.0)],
            [(j + 0.99) / k, intensity(c, 1.0)],
        ]
    out[-1][0] = 1.0
    return out


def grid(
    fig: go.Figure,
    x: list[str],
    y: list[str],
    colors: list[str],
    t: list[list[float | None]],
    text: list[list[str]],
    hover: str,
) -> go.Figure:
    """A rows x columns grid, column j drawn in ``colors[j]`` at intensity ``t[i][j]`` (None: blank cell).

    One heatmap trace: ``x``, ``y``, ``text`` as given; ``z`` encodes column and intensity.
    """
    z = [[j + (0.0 if v is None else 0.05 + 0.94 * min(max(v, 0.0), 1.0)) for j, v in enumerate(row)] for row in t]
    fig.add_trace(
        go.Heatmap(
            x=x,
            y=y,
            z=z,
            zmin=0,
            zmax=len(x),
            colorscale=segmented_scale(colors),
            showscale=False,
            xgap=3,
            ygap=3,
            text=text,
            texttemplate="%{text}",
            textfont={"size": 12},
            hovertemplate=hover + "<extra></extra>",
        )
    )
    return fig


def legend_below(fig: go.Figure, rows: int = 1, *, gap: int = 78) -> go.Figure:
    """A horizontal legend under the x-axis title (``rows``: how many lines it takes)."""
    m = fig.layout.margin
    height = fig.layout.height or 460
    bottom = gap + 24 * rows
    plot = max(100, height - (m.t or 60) - bottom)
    fig.update_layout(
        margin={"b": bottom},
        legend={"orientation": "h", "x": 0, "xanchor": "left", "yanchor": "top", "y": -gap / plot + 0.02},
    )
    return fig


def integer_axis(fig: go.Figure, top: float, axis: str = "x") -> go.Figure:
    """Counts: whole-number ticks."""
    upd = fig.update_xaxes if axis == "x" else fig.update_yaxes
    if top <= 10:
        upd(dtick=1, tick0=0)
    else:
        upd(tickformat="d")
    return upd(rangemode="tozero")
