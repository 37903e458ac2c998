"""Findings → Excel workbook (xlsxwriter).

A *Summary* sheet (cluster, capture time, whether the audit is partial, counts by
severity, the scorecard per practice, exemptions in force, expired waivers), then
one sheet per practice ("1 Secrets in env", ...) with a frozen header row, an
autofilter, coloured severity cells and exempt findings greyed (kept, never
hidden), and last a *Not assessed* sheet: the checks without a complete verdict
and why, the input that could not be read, and what was only noted (it says
"Everything was assessed." when that is so).

Every text cell is written as a string cell, never as a formula, and shows its
text unchanged (no ``'`` added as the CSV export must). A cell that begins with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return also carries Excel's
*quote prefix* style (what typing a leading ``'`` does in Excel: the apostrophe
is not part of the value), so editing or re-saving it cannot turn it into a formula.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..findings import check_stats
from ..vocab import (
    BAND_STATUS,
    EXEMPT_COLOR,
    PRACTICE_SHORT,
    PRACTICES,
    SEVERITY_COLORS,
    SEVERITY_ORDER,
    SEVERITY_TEXT,
    STATUS_COLORS,
    bands_legend,
)
from . import _registry
from ._common import (
    captured_at,
    clusters,
    compliance_tables,
    exemptions,
    expired_waivers,
    formula_like,
    generated_at,
    is_na,
    not_assessed_tables,
    partial_summary,
    plain,
    practice_counts,
    practice_scorecard,
    severity_counts,
    sort_findings,
    version,
)

if TYPE_CHECKING:
    import xlsxwriter
    from xlsxwriter.format import Format
    from xlsxwriter.worksheet import Worksheet

    from ..snapshot import Snapshot

#: per-practice sheet columns and their maximum widths (characters)
SHEET_COLUMNS: dict[str, int] = {
    "severity": 10,
    "check_id": 26,
    "title": 45,
    "kind": 16,
    "namespace": 18,
    "name": 32,
    "container": 18,
    "message": 70,
    "evidence": 50,
    "remediation": 50,
    "exempt": 8,
    "exempt_reason": 45,
    "finding_id": 18,
}
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def sheet_name(practice: int, part: int = 1) -> str:
    """``3 Capabilities``: at most 31 characters, none of Excel's forbidden ones; ``3 Capabilities (2)`` for the
    second sheet of a practice with more findings than a sheet has rows."""
    short = PRACTICE_SHORT.get(practice, f"Practice {practice}")
    short = re.sub(r"(?<=\w)/(?=\w)", "-", short)
    short = " ".join(_BAD_SHEET_CHARS.sub(" ", short).split())
    if part == 1:
        return f"{practice} {short}"[:31]
    suffix = f" ({part})"
    return f"{practice} {short}"[: 31 - len(suffix)].rstrip() + suffix


#: the findings one sheet holds: Excel's 1,048,576 rows less the header; a practice with more goes on in
#: ``NAME (2)``, ``NAME (3)``, ... (xlsxwriter would drop the rows beyond without a word)
ROWS_PER_SHEET = 1_048_575


def framework_sheet_name(fid: str) -> str:
    """``CIS v1.12.0``, ``NSA-CISA v1.2``: a compliance framework's sheet."""
    from ..frameworks import framework_label

    return _BAD_SHEET_CHARS.sub("-", framework_label(fid, short=True).split(" (")[0])[:31]


class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        self._wb = wb
        self._props: dict[int, dict[str, Any]] = {}
        self._quoted: dict[int, Format] = {}
        self.title = self._add({"bold": True, "font_size": 16})
        self.h2 = self._add({"bold": True, "font_size": 12})
        self.header = self._add({"bold": True, "bg_color": "#1f2937", "font_color": "#ffffff", "border": 1})
        self.label = self._add({"bold": True})
        self.cell = self._add({"valign": "top"})
        self.exempt = self._add({"valign": "top", "font_color": EXEMPT_COLOR, "italic": True})
        self.sev = {
            s: self._add({"bold": True, "valign": "top", "bg_color": c, "font_color": SEVERITY_TEXT[s]})
            for s, c in SEVERITY_COLORS.items()
        }
        self.sev_exempt = self._add(
            {"valign": "top", "italic": True, "bg_color": "#f3f4f6", "font_color": EXEMPT_COLOR}
        )
        self.status = {s: self._add({"bold": True, "font_color": c}) for s, c in STATUS_COLORS.items()}
        self.pct = self._add({"num_format": "0.0"})

    def _add(self, props: dict[str, Any]) -> Format:
        fmt = self._wb.add_format(props)
        self._props[id(fmt)] = props
        return fmt

    def quoted(self, fmt: Format | None) -> Format:
        """``fmt`` with Excel's quote prefix (the cell stays text when edited), made once per format."""
        key = id(fmt)
        if key not in self._quoted:
            self._quoted[key] = self._wb.add_format({**self._props.get(key, {}), "quote_prefix": True})
        return self._quoted[key]


def _put(ws: Worksheet, f: _Formats, r: int, c: int, v: Any, fmt: Format | None = None) -> None:
    v = plain(v)
    if is_na(v):
        ws.write_blank(r, c, None, fmt)
    elif isinstance(v, bool):
        ws.write_boolean(r, c, v, fmt)
    elif isinstance(v, (int, float)):
        ws.write_number(r, c, v, fmt)
    else:
        if isinstance(v, list):
            v = ", ".join(str(x) for x in v)
        s = str(v)[:32767]
        ws.write_string(r, c, s, f.quoted(fmt) if formula_like(s) else fmt)


def _table(ws: Worksheet, row: int, df: pd.DataFrame, f: _Formats, *, fmt_col: dict[str, Any] | None = None) -> int:
    """Write a small table at ``row``; returns the next free row."""
    for j, c in enumerate(df.columns):
        ws.write_string(row, j, str(c), f.header)
    for i, rec in enumerate(df.itertuples(index=False, name=None), start=row + 1):
        for j, (c, v) in enumerate(zip(df.columns, rec)):
            pick = (fmt_col or {}).get(str(c))
            _put(ws, f, i, j, v, pick(v) if callable(pick) else pick)
    return row + len(df) + 2


def _summary(wb: xlsxwriter.Workbook, findings: pd.DataFrame, snapshot: Snapshot | None, f: _Formats) -> None:
    ws = wb.add_worksheet("Summary")
    names = clusters(findings, snapshot)
    live = int((~findings["exempt"].astype(bool)).sum())
    ws.write_string(0, 0, "Kubernetes security findings", f.title)
    facts = [
        ("Cluster" + ("s" if len(names) > 1 else ""), ", ".join(names)),
        ("Captured", captured_at(findings, snapshot) or "unknown"),
        ("Generated", f"{generated_at()} by k8saudit {version()}"),
        ("Findings", f"{len(findings)} ({live} open, {len(findings) - live} exempt)"),
        ("Assessed", partial_summary(findings) or "completely: every check gave a verdict"),
    ]
    for i, (k, v) in enumerate(facts, start=2):
        ws.write_string(i, 0, k, f.label)
        _put(ws, f, i, 1, v)
    row = 2 + len(facts) + 1
    sev_fmt = {"severity": lambda s: f.sev.get(str(s))}
    ws.write_string(row, 0, "Findings by severity", f.h2)
    row = _table(ws, row + 1, severity_counts(findings), f, fmt_col=sev_fmt)
    card = practice_scorecard(findings)
    if card is not None:
        ws.write_string(
            row, 0, f"Scorecard per practice (score: share of evaluated objects passing; band: {bands_legend()})", f.h2
        )
        keep = [
            "practice",
            "title",
            "checks",
            "evaluated",
            "failing",
            "exempt",
            "findings",
            "score",
            "band",
            "status",
            "not_assessable",
        ]
        if len(names) > 1:
            keep.insert(0, "cluster")
        row = _table(
            ws,
            row + 1,
            card[keep],
            f,
            fmt_col={
                "status": lambda s: f.status.get(str(s)),
                "score": f.pct,
                "band": lambda b: f.status.get(BAND_STATUS.get(str(b), "")),
            },
        )
    else:
        ws.write_string(row, 0, "Findings per practice (open, by severity)", f.h2)
        row = _table(ws, row + 1, practice_counts(findings), f)
    ws.write_string(row, 0, "Exemptions in force", f.h2)
    ex = exemptions(findings)
    if len(ex):
        row = _table(ws, row + 1, ex, f)
    else:
        ws.write_string(row + 1, 0, "none")
        row += 3
    ws.write_string(row, 0, "Expired waivers (no longer applied: renew or remove them)", f.h2)
    exp = expired_waivers(findings)
    if len(exp):
        _table(ws, row + 1, exp, f)
    else:
        ws.write_string(row + 1, 0, "none")
    ws.set_column(0, 0, 22)
    ws.set_column(1, 1, 40)
    ws.set_column(2, 10, 12)


def _practice_sheet(
    wb: xlsxwriter.Workbook,
    practice: int,
    grp: pd.DataFrame,
    status: str | None,
    f: _Formats,
    multi: bool,
    extras: list[str],
    part: int = 1,
) -> None:
    ws = wb.add_worksheet(sheet_name(practice, part))
    cols = (["cluster"] if multi else []) + list(SHEET_COLUMNS) + extras
    for j, c in enumerate(cols):
        ws.write_string(0, j, c, f.header)
    ws.freeze_panes(1, 0)
    if grp.empty:
        note = {"not_assessable": "Not assessable on this snapshot (see the Summary sheet)."}.get(
            status or "", "No findings for this practice."
        )
        ws.write_string(1, 0, f"{practice}. {PRACTICES.get(practice, '')}: {note}")
        ws.set_column(0, len(cols) - 1, 14)
        return
    for i, rec in enumerate(grp[cols].itertuples(index=False, name=None), start=1):
        ex = bool(rec[cols.index("exempt")])
        for j, (c, v) in enumerate(zip(cols, rec)):
            if c == "severity":
                fmt = f.sev_exempt if ex else f.sev.get(str(v), f.cell)
            else:
                fmt = f.exempt if ex else f.cell
            _put(ws, f, i, j, v, fmt)
    ws.autofilter(0, 0, len(grp), len(cols) - 1)
    for j, c in enumerate(cols):
        sample = grp[c].head(500)
        longest = max((len(str(plain(v)).split("\n", 1)[0]) for v in sample if not is_na(v)), default=0)
        ws.set_column(j, j, max(len(c) + 3, min(SHEET_COLUMNS.get(c, 24), longest + 2)))


NOT_ASSESSED_SHEET = "Not assessed"


def _not_assessed_sheet(wb: xlsxwriter.Workbook, findings: pd.DataFrame, f: _Formats) -> None:
    ws = wb.add_worksheet(NOT_ASSESSED_SHEET)
    gaps, lost, noted = not_assessed_tables(findings)
    row = 0
    if gaps.empty and lost.empty and noted.empty:
        ws.write_string(0, 0, "Everything was assessed.")
        return
    for title, df, fmt in (
        ("Checks without a complete verdict", gaps, {"status": lambda s: f.status.get(str(s))}),
        ("Input that could not be read", lost, None),
        ("Noted, nothing lost (not Kubernetes objects, empty files, identical duplicates)", noted, None),
    ):
        if df.empty:
            continue
        ws.write_string(row, 0, title, f.h2)
        row = _table(ws, row + 1, df, f, fmt_col=fmt)
    ws.set_column(0, 1, 22)
    ws.set_column(2, 6, 18)
    ws.set_column(7, 7, 80)


def cluster_table(findings: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """One row per cluster (every cluster audited, with findings or not): open findings per severity,
    exempt, checks not assessable, and why a cluster could not be audited."""
    live = findings[~findings["exempt"].astype(bool)]
    sev = live.groupby([live["cluster"].astype(str), live["severity"].astype(str)]).size()
    exempt = findings[findings["exempt"].astype(bool)].groupby(findings["cluster"].astype(str)).size()
    stats = check_stats(findings)
    na = (
        stats[stats["status"] == "not_assessable"].groupby("cluster").size()
        if stats is not None and len(stats)
        else pd.Series(dtype=int)
    )
    failed = {str(f.get("cluster")): str(f.get("reason")) for f in findings.attrs.get("failures") or []}
    rows = []
    for c in names:
        counts = {s: int(sev.get((c, s), 0)) for s in SEVERITY_ORDER}
        rows.append(
            {
                "cluster": c,
                "status": "failed" if c in failed else "audited",
                "open": sum(counts.values()),
                **counts,
                "exempt": int(exempt.get(c, 0)),
                "not_assessable": int(na.get(c, 0)),
                "reason": failed.get(c),
            }
        )
    return pd.DataFrame(rows)


def _clusters_sheet(wb: xlsxwriter.Workbook, findings: pd.DataFrame, names: list[str], f: _Formats) -> None:
    ws = wb.add_worksheet("Clusters")
    ws.write_string(0, 0, "Clusters: open findings by severity (the practice sheets have a cluster column)", f.h2)
    table = cluster_table(findings, names)
    _table(ws, 1, table, f)
    ws.freeze_panes(2, 1)
    ws.autofilter(1, 0, 1 + len(table), len(table.columns) - 1)
    ws.set_column(0, 0, max(12, min(40, max((len(n) for n in names), default=10) + 2)))
    ws.set_column(1, len(table.columns) - 2, 11)
    ws.set_column(len(table.columns) - 1, len(table.columns) - 1, 60)


def write(findings: pd.DataFrame, path: Path, snapshot: Snapshot | None = None) -> None:
    import xlsxwriter  # with the first workbook, not with every import

    from ..findings import FINDINGS_COLUMNS
    from ._common import columns

    extras = [c for c in columns(findings) if c not in FINDINGS_COLUMNS]
    wb = xlsxwriter.Workbook(
        str(path), {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    )
    f = _Formats(wb)
    _summary(wb, findings, snapshot, f)
    stats = check_stats(findings)
    status: dict[int, str] = {}
    if stats is not None and len(stats):
        for key, grp in stats.groupby("practice"):
            p: Any = key
            st = set(grp["status"])
            status[int(p)] = "not_assessable" if st <= {"not_assessable"} else "run"
    practices = sorted(set(status) | {int(p) for p in findings["practice"].dropna()})
    names = clusters(findings, snapshot)
    multi = findings["cluster"].nunique() > 1 or len(names) > 1
    if multi:
        _clusters_sheet(wb, findings, names, f)
    ordered = sort_findings(findings)
    for p in practices:
        rows = ordered[ordered["practice"].eq(p).fillna(False).astype(bool)]
        for part, start in enumerate(range(0, max(len(rows), 1), ROWS_PER_SHEET), start=1):
            chunk = rows.iloc[start : start + ROWS_PER_SHEET]
            _practice_sheet(wb, p, chunk, status.get(p), f, multi, extras, part)
    for fid, table in (compliance_tables(findings) or {}).items():
        _framework_sheet(wb, fid, table, f)
    _not_assessed_sheet(wb, findings, f)
    wb.close()


def _framework_sheet(wb: xlsxwriter.Workbook, fid: str, table: pd.DataFrame, f: _Formats) -> None:
    """One sheet per compliance framework: a row per control, its status, the checks behind it."""
    from ..frameworks import framework, framework_label

    ws = wb.add_worksheet(framework_sheet_name(fid))
    ws.write_string(0, 0, framework_label(fid), f.title)
    _put(ws, f, 1, 0, framework(fid)["scope"])
    ws.write_string(2, 0, "Sources: " + "; ".join(framework(fid)["sources"]))
    ws.write_string(
        3,
        0,
        "Status: fail (a check found a non-exempt object), not_assessable (a check behind it could "
        "not run here), pass (every check behind it ran and found nothing), not_covered (no check "
        "evidences it).",
    )
    cols = ["control", "section", "title", "status", "checks", "failing_objects", "exempt_findings", "reason"]
    top = 5
    _table(ws, top, table[cols], f, fmt_col={"status": lambda s: f.status.get(str(s))})
    ws.freeze_panes(top + 1, 0)
    ws.autofilter(top, 0, top + len(table), len(cols) - 1)
    for j, w in enumerate((10, 28, 60, 15, 40, 15, 15, 60)):
        ws.set_column(j, j, w)


_registry.register(
    _registry.Format(
        "xlsx",
        (".xlsx",),
        write=write,
        aliases=("excel",),
        description="Excel workbook: a summary sheet and one sheet per practice",
    )
)
