"""One palette for every output that shows severities: Excel cells, the HTML report, the charts."""

from __future__ import annotations

#: fill colour per severity (Excel cells, HTML badges, plotly traces)
SEVERITY_COLORS: dict[str, str] = {
    "critical": "#7f1d1d",
    "high": "#dc2626",
    "medium": "#f59e0b",
    "low": "#3b82f6",
    "info": "#9ca3af",
}

#: text colour readable on each severity's fill
SEVERITY_TEXT: dict[str, str] = {
    "critical": "#ffffff",
    "high": "#ffffff",
    "medium": "#1f2937",
    "low": "#ffffff",
    "info": "#1f2937",
}

#: colour of exempt findings (greyed, never hidden)
EXEMPT_COLOR = "#9ca3af"

#: status colours of the scorecard
STATUS_COLORS: dict[str, str] = {
    "pass": "#16a34a",
    "fail": "#dc2626",
    "partial": "#d97706",
    "not_assessable": "#6b7280",
    "error": "#7c3aed",
}
