"""The words every part of k8saudit shares: severities, practices, table columns, statuses and colours.

One place for each: checks, findings, exports, charts, widgets and notebooks
import them from here (``from k8saudit.vocab import SEVERITIES, SEVERITY_COLORS``).
This module imports nothing from the rest of the package.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = [
    "SEVERITIES",
    "SEVERITY_ORDER",
    "SEVERITY_DTYPE",
    "PRACTICES",
    "PRACTICE_SHORT",
    "practice_label",
    "FINDINGS_COLUMNS",
    "FINDINGS_DTYPES",
    "STATS_COLUMNS",
    "CHECK_STATUSES",
    "CONTROL_STATUSES",
    "INCOMPLETE",
    "NOT_ASSESSED_COLUMNS",
    "DIFF_STATUSES",
    "DIFF_STATUS_DTYPE",
    "DIFF_COLUMNS",
    "DIFF_DTYPES",
    "PRIORITY_DTYPES",
    "SKIPPED_COLUMNS",
    "SKIPPED_CATEGORIES",
    "NOTED",
    "UNREADABLE",
    "SEVERITY_COLORS",
    "SEVERITY_TEXT",
    "EXEMPT_COLOR",
    "STATUS_COLORS",
    "OK_COLOR",
    "NEUTRAL_COLOR",
    "SCORE_BANDS",
    "BAND_COLORS",
    "BAND_STATUS",
    "score_band",
    "bands_legend",
]

# ---------------------------------------------------------------- severities

#: severities from the mildest up (the order of the ``severity`` categorical)
SEVERITIES: tuple[str, ...] = ("info", "low", "medium", "high", "critical")
#: severities worst first (tables, legends and charts)
SEVERITY_ORDER: tuple[str, ...] = tuple(reversed(SEVERITIES))
#: dtype of every severity column: ordered, so ``findings.severity >= "high"`` works
SEVERITY_DTYPE = pd.CategoricalDtype(list(SEVERITIES), ordered=True)

# ---------------------------------------------------------------- practices

#: practice number → title; the numbers are part of the public interface
PRACTICES: dict[int, str] = {
    1: "Secrets are not passed in environment variables",
    2: "Strong authentication and authorization at the API server",
    3: "NET_RAW dropped, no dangerous capabilities; a policy engine enforces it",
    4: "No sharing of the host's IPC, PID or network namespace",
    5: "RBAC, not ABAC; namespace-scoped over cluster-wide permissions",
    6: "Read-only root filesystem",
    7: "Nodes isolated from public networks; traffic restricted",
    8: "No privileged containers (nor privilege escalation, nor root)",
    9: "No unmasked /proc mount",
    10: "A rolling update strategy that keeps the workload available",
}

#: short practice names used in notebook titles, sheet names and charts
PRACTICE_SHORT: dict[int, str] = {
    1: "Secrets in env",
    2: "API authn/authz",
    3: "Capabilities",
    4: "Host namespaces",
    5: "RBAC",
    6: "Read-only rootfs",
    7: "Network",
    8: "Privileged",
    9: "/proc mount",
    10: "Rolling updates",
}


def practice_label(practice: Any, *, short: bool = True) -> str:
    """``3. Capabilities`` (or the practice's full title with ``short=False``); ``?`` when missing."""
    if practice is None or practice is pd.NA or (isinstance(practice, float) and practice != practice):
        return "?"
    p = int(practice)
    return f"{p}. {(PRACTICE_SHORT if short else PRACTICES).get(p, f'Practice {p}')}"


# ---------------------------------------------------------------- findings and check statistics

#: the findings schema, in its fixed order
FINDINGS_COLUMNS: list[str] = [
    "cluster",
    "check_id",
    "practice",
    "severity",
    "title",
    "kind",
    "namespace",
    "name",
    "container",
    "message",
    "remediation",
    "evidence",
    "exempt",
    "exempt_reason",
    "finding_id",
]
#: dtype of each findings column (``title`` and ``remediation``, a check's own texts, are categoricals whose
#: categories are the texts of every registered check: ``k8saudit.findings.findings_dtypes()`` spells them out)
FINDINGS_DTYPES: dict[str, Any] = {
    **{c: "string" for c in FINDINGS_COLUMNS},
    "practice": "Int64",
    "severity": SEVERITY_DTYPE,
    "title": "category",
    "remediation": "category",
    "exempt": "bool",
}

#: columns of ``check_stats(findings)``: one row per (cluster, check) of an audit
STATS_COLUMNS: list[str] = ["cluster", "check_id", "practice", "evaluated", "failing", "status", "reason"]
#: per-check statuses: ``pass`` and ``fail`` are complete verdicts; the others are not: ``partial`` (some of
#: its input could not be read), ``not_assessable`` (none of it), ``error`` (the check failed to run)
CHECK_STATUSES: tuple[str, ...] = ("pass", "fail", "partial", "not_assessable", "error")
#: the statuses that are no complete verdict (never shown as a pass)
INCOMPLETE: tuple[str, ...] = ("partial", "not_assessable", "error")
#: columns of ``not_assessed(findings)``: the checks without a complete verdict, and why
NOT_ASSESSED_COLUMNS: list[str] = ["cluster", "check_id", "practice", "status", "reason"]

# ---------------------------------------------------------------- diffs of two audits

#: ``diff()`` statuses, in the order a diff lists them
#: status of a compliance framework's control (k8saudit.frameworks.compliance), worst first
CONTROL_STATUSES: tuple[str, ...] = ("fail", "not_assessable", "pass", "not_covered")
DIFF_STATUSES: tuple[str, ...] = ("new", "severity_changed", "resolved", "unchanged")
DIFF_STATUS_DTYPE = pd.CategoricalDtype(list(DIFF_STATUSES))
#: the columns of ``diff()``: the findings schema, then what changed
DIFF_COLUMNS: list[str] = FINDINGS_COLUMNS + ["status", "severity_before", "severity_after"]
#: dtypes of the columns ``diff()`` adds (exports read them back typed)
DIFF_DTYPES: dict[str, Any] = {
    "status": DIFF_STATUS_DTYPE,
    "severity_before": SEVERITY_DTYPE,
    "severity_after": SEVERITY_DTYPE,
}

#: dtypes of the columns ``ka.prioritize`` adds (JSON, Excel and HTML exports made with the snapshot carry them)
PRIORITY_DTYPES: dict[str, Any] = {"on_attack_path": "boolean", "paths_through": "Int64", "priority": "Int64"}

# ---------------------------------------------------------------- what a source could not read

#: columns of ``snap.skipped``
SKIPPED_COLUMNS: list[str] = ["cluster", "source", "document", "kind", "namespace", "name", "category", "reason"]
#: every ``category`` of ``snap.skipped``, with what it means
SKIPPED_CATEGORIES: dict[str, str] = {
    "forbidden": "the credentials may not list this kind",
    "not_served": "the API server does not serve this kind",
    "error": "the kind (or context) could not be read: the reason says why",
    "unreadable": "the file or kind could not be read at all",
    "empty": "the file holds no documents",
    "too_large": "the file is too large to read safely",
    "parse_error": "the document is not valid YAML or JSON",
    "invalid": "the object does not fit its kind's schema",
    "partial": "a kind's list, or a compressed file, ended early: part of it was read",
    "conflict": "two differing copies of one object: the kept one is assessed, the other is not",
    "not_kubernetes": "a document that is not a Kubernetes object (a Helm values file, a kustomization.yaml)",
    "duplicate": "an identical second copy of an object already loaded",
}
#: Skipped categories noted only: nothing an audit needs is lost (an empty file, a document that is not a
#: Kubernetes object, an identical second copy of an object already loaded). Every other category, and any
#: category added later, means something that should have been assessed was not, and makes the audit partial.
NOTED = frozenset({"empty", "not_kubernetes", "duplicate"})
#: Of those, the categories that, on a row naming a kind and no object, mean the kind's list failed:
#: at cluster scope nothing of the kind was read; in one namespace, the kind was read in part.
UNREADABLE: tuple[str, ...] = ("forbidden", "not_served", "error", "unreadable")

# ---------------------------------------------------------------- the palette

#: fill colour per severity (Excel cells, HTML badges, plotly traces, widgets)
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
#: colour of each check / practice status (the scorecard)
STATUS_COLORS: dict[str, str] = {
    "pass": "#16a34a",
    "fail": "#dc2626",
    "partial": "#d97706",
    "not_assessable": "#6b7280",
    "error": "#7c3aed",
}
#: a passing / safe state (the same green as the scorecard's "pass")
OK_COLOR = STATUS_COLORS["pass"]
#: a neutral, "nothing to judge" state
NEUTRAL_COLOR = "#d1d5db"

# ---------------------------------------------------------------- score bands

#: a score (share of evaluated objects passing, 0-100) reads as a band: (band, lowest score of it), best first.
#: A practice at 98.7% has a few failing objects: it is "good", not a plain "fail".
SCORE_BANDS: tuple[tuple[str, float], ...] = (("good", 95.0), ("fair", 80.0), ("poor", 0.0))
#: colour of each band (the scorecards of the text, HTML and Excel reports)
BAND_COLORS: dict[str, str] = {
    "good": STATUS_COLORS["pass"],
    "fair": STATUS_COLORS["partial"],
    "poor": STATUS_COLORS["fail"],
}
#: the status whose colour each band shares
BAND_STATUS: dict[str, str] = {"good": "pass", "fair": "partial", "poor": "fail"}


def score_band(score: Any) -> str | None:
    """``good`` (95 and up), ``fair`` (80 and up) or ``poor``; None when there is no score."""
    if score is None or score is pd.NA or (isinstance(score, float) and score != score):
        return None
    return next(band for band, low in SCORE_BANDS if float(score) >= low)


def bands_legend() -> str:
    """``good >= 95%, fair >= 80%, poor below``: how scores read as bands, for report legends."""
    return ", ".join(f"{b} >= {low:g}%" for b, low in SCORE_BANDS[:-1]) + f", {SCORE_BANDS[-1][0]} below"
