"""Findings → Markdown, for tickets and pull requests.

Summary first, so that it fits a pull request or issue body (65,536 characters): the
counts by severity, the scorecard with score bands, the top findings, findings per
practice, exemptions, then "Not assessed" (the checks without a complete verdict and
why, the input that could not be read, what was only noted; a partial audit also says
so at the top), then every finding in one collapsible section per practice followed by
the remediation of each check in it. ``max_chars`` cuts it to a length and says at the
top what was left out (:func:`findings_markdown`). Cell text (object names, messages, evidence come
from the cluster) is made inert by :func:`escape`: no link, image, HTML or extra cell
can come out of it, and bidi controls are shown as escapes.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Any

import pandas as pd

from .._util import visible
from ..vocab import SEVERITY_ORDER, bands_legend, practice_label
from ._common import (
    captured_at,
    check_of,
    clusters,
    exemptions,
    expired_waivers,
    not_assessed_tables,
    object_ref,
    partial_summary,
    plain,
    practice_counts,
    practice_scorecard,
    severity_counts,
    sort_findings,
    text,
    version,
)
from ._registry import Format, register

if TYPE_CHECKING:
    from ..snapshot import Snapshot

#: Markdown punctuation that could format, link, embed an image or break the table in a cell
_MD_SPECIAL = re.compile(r"[\\`*_\[\]()!<>|#~&{}]")
#: what GitHub turns into links by itself: URLs, www. names, e-mail addresses
_AUTOLINK = re.compile(r"(?i)(?<=[a-z0-9]):(?=//)|(?<=www)\.|@")


def escape(value: Any) -> str:
    """One table cell, inert: nothing in it renders as a link, an image, HTML, emphasis or a new cell.

    Characters that reorder or hide text (bidi controls) are shown as escapes (``\\u202e``),
    Markdown punctuation is backslash-escaped, ``://``, ``www.`` and ``@`` are broken so that
    GitHub does not autolink them, and newlines become ``<br>``.
    """
    s = text(value)
    if isinstance(value, (list, tuple)):
        s = ", ".join(text(x) for x in value)
    s = _MD_SPECIAL.sub(lambda mt: "\\" + mt.group(), visible(s))
    s = _AUTOLINK.sub(lambda mt: "\\" + mt.group(), s)
    return s.replace("\r\n", "<br>").replace("\n", "<br>").replace("\r", "<br>")


def table(df: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table of any frame (index dropped)."""
    cols = [str(c) for c in df.columns]
    num = [pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]) for c in df.columns]
    lines = [
        "| " + " | ".join(escape(c) for c in cols) + " |",
        "|" + "|".join("---:" if n else "---" for n in num) + "|",
    ]
    for row in df.itertuples(index=False, name=None):
        lines.append("| " + " | ".join(escape(plain(v)) for v in row) + " |")
    return "\n".join(lines) + "\n"


def _not_assessed(findings: pd.DataFrame) -> list[str]:
    gaps, lost, noted = not_assessed_tables(findings)
    if gaps.empty and lost.empty and noted.empty:
        return []
    out = ["\n## Not assessed\n"]
    if len(gaps):
        out += ["\n### Checks without a complete verdict\n", table(gaps)]
    if len(lost):
        out += ["\n### Input that could not be read\n", table(lost)]
    if len(noted):
        out += ["\n### Noted, nothing lost (not Kubernetes objects, empty files, identical duplicates)\n", table(noted)]
    return out


#: GitHub's limit on a pull request or issue body (and a comment), in characters: the Markdown default
DEFAULT_MAX_CHARS = 65_536
#: the smallest cut that still leaves room for the head of the report and the note of what was left out
MIN_MAX_CHARS = 1_000
#: open findings shown in the summary's "Top findings"
TOP = 10
_RANK = {s: i for i, s in enumerate(SEVERITY_ORDER)}


def _priority(findings: pd.DataFrame) -> pd.DataFrame:
    """The findings in the order a cut keeps them: open before exempt, worst first, then practice, check, object."""
    rank = findings["severity"].astype("string").map(_RANK).fillna(len(_RANK)).to_numpy()
    return (
        findings.assign(_x=findings["exempt"].astype(bool).to_numpy(), _r=rank)
        .sort_values(
            ["_x", "_r", "practice", "check_id", "namespace", "kind", "name", "container"],
            na_position="first",
            kind="stable",
        )
        .drop(columns=["_x", "_r"])
    )


def _counts(df: pd.DataFrame) -> str:
    """``2 high, 4 medium; 1 exempt`` (open findings by severity, then exempt ones)."""
    ex = df["exempt"].astype(bool)
    sev = df.loc[~ex, "severity"].astype("string").value_counts()
    parts = [f"{int(sev[s])} {s}" for s in SEVERITY_ORDER if sev.get(s, 0)]
    out = ", ".join(parts) or "none open"
    return out + (f"; {int(ex.sum())} exempt" if ex.any() else "")


class _Doc:
    """The report as blocks, so it can be cut to a length: the head and summary first, then the findings tables
    (kept rows worst first), with the note of what was left out near the top."""

    def __init__(self, findings: pd.DataFrame, snapshot: Snapshot | None) -> None:
        self.findings = findings
        names = clusters(findings, snapshot)
        at = captured_at(findings, snapshot)
        live = int((~findings["exempt"].astype(bool)).sum())
        meta = [f"- Cluster{'s' if len(names) > 1 else ''}: {escape(', '.join(names))}"]
        if at:
            meta.append(f"- Captured: {escape(at)}")
        meta.append(f"- Findings: {len(findings)} ({live} open, {len(findings) - live} exempt)")
        meta.append(f"- Generated by k8saudit {version()}")
        self.head = (
            f"# Kubernetes security findings: {escape(', '.join(names)) or 'no cluster'}\n\n" + "\n".join(meta) + "\n"
        )
        banner = partial_summary(findings)
        self.banner = f"> **{escape(banner)}**\n" if banner else ""
        self.multi = findings["cluster"].nunique() > 1
        # (name, rows, text): the summary's optional parts, in the order they are dropped when even no findings
        # row fits (the severity counts are never dropped)
        self.optional: list[tuple[str, int, str]] = []
        self.severity = "## Summary\n\n" + table(severity_counts(findings))
        card = practice_scorecard(findings)
        self.card = ""
        if card is not None:
            keep = ["practice", "title", "evaluated", "failing", "exempt", "score", "band", "status"]
            if len(names) > 1:
                keep.insert(0, "cluster")
            self.card = (
                f"\n### Scorecard\n\nScore: the share of evaluated objects passing; band: {bands_legend()}.\n\n"
                + table(card[keep])
            )
        self.order = _priority(findings)
        top = self.order[~self.order["exempt"].astype(bool)].head(TOP)
        self.top = ""
        if len(top):
            rows = pd.DataFrame(
                {
                    **({"cluster": top["cluster"]} if self.multi else {}),
                    "severity": top["severity"].astype("string"),
                    "check": top["check_id"],
                    "object": [object_ref(k, n, m) for k, n, m in zip(top["kind"], top["namespace"], top["name"])],
                    "container": top["container"],
                    "message": top["message"],
                }
            )
            self.top = f"\n### Top findings (the {len(top)} worst open ones)\n\n" + table(rows)
        per_practice = (
            (
                "\n### Findings per practice (open ones by severity)\n\n"
                + table(practice_counts(findings).drop(columns=["practice"]))
            )
            if len(findings)
            else ""
        )
        ex, exp = exemptions(findings), expired_waivers(findings)
        gaps, lost, noted = not_assessed_tables(findings)
        na_head = "\n## Not assessed\n" if len(gaps) or len(lost) or len(noted) else ""
        self.optional = [
            (name, rows, t)
            for name, rows, t in (
                (
                    "Noted input",
                    len(noted),
                    "\n### Noted, nothing lost (not Kubernetes objects, empty files, identical duplicates)\n\n"
                    + _details(f"{len(noted)} noted", table(noted)),
                ),
                ("Exemptions in force", len(ex), "\n### Exemptions in force\n\n" + table(ex)),
                (
                    "Input that could not be read",
                    len(lost),
                    "\n### Input that could not be read\n\n" + _details(f"{len(lost)} input item(s)", table(lost)),
                ),
                ("Expired waivers", len(exp), "\n### Expired waivers (no longer applied)\n\n" + table(exp)),
                ("Findings per practice", findings["practice"].nunique(), per_practice),
                ("Top findings", len(top), self.top),
                (
                    "Checks without a complete verdict",
                    len(gaps),
                    "\n### Checks without a complete verdict\n\n" + table(gaps),
                ),
                ("Scorecard", 0 if card is None else len(card), self.card),
            )
            if rows
        ]
        self.na_head = na_head
        self._rows: list[str] = []  # the findings rows rendered so far, in priority order
        bare = self.order.copy(deep=False)
        bare.attrs = {}  # row access below must not copy the audit's stats each time
        self._bare = bare
        self._cols = {c: bare[c].tolist() for c in bare.columns}
        # per practice (in report order): its label, the priority positions of its rows (in table order), counts
        pos = pd.Series(range(len(bare)), index=bare.index)
        self.groups = [
            (
                practice,
                html.escape(practice_label(practice, short=False)),  # the registry's text
                pos[grp.index].to_numpy(),
                f"{len(grp)} finding{'s' if len(grp) != 1 else ''} ({_counts(grp)})",
            )
            for practice, grp in sort_findings(bare).groupby("practice", sort=True)
        ]

    # -------------------------------------------------------------- the findings tables

    def _row(self, i: int) -> str:
        c = self._cols
        while len(self._rows) <= i:
            j = len(self._rows)
            cells = [
                *([c["cluster"][j]] if self.multi else []),
                text(c["severity"][j]),
                c["check_id"][j],
                object_ref(c["kind"][j], c["namespace"][j], c["name"][j]),
                c["container"][j],
                c["message"][j],
                c["evidence"][j],
                f"exempt: {text(c['exempt_reason'][j])}" if c["exempt"][j] else "",
            ]
            if "status" in c:
                cells.append(text(c["status"][j]).replace("_", " "))
            self._rows.append("| " + " | ".join(escape(plain(v)) for v in cells) + " |")
        return self._rows[i]

    def _tables(self, k: int) -> str:
        """The findings by practice, the first ``k`` rows of the priority order shown, in collapsible sections."""
        if self.findings.empty:
            return "\nNo findings.\n"
        cols = [
            *(["cluster"] if self.multi else []),
            "severity",
            "check",
            "object",
            "container",
            "message",
            "evidence",
            "exempt",
            *(["change"] if "status" in self._cols else []),
        ]
        header = "| " + " | ".join(cols) + " |\n|" + "|".join("---" for _ in cols) + "|\n"
        out = ["\n## Findings by practice\n"]
        for _, label, positions, what in self.groups:
            shown = positions[positions < k]
            if not len(shown):
                out.append(f"\n- **{label}**: {what}, none shown (cut, see the note at the top)\n")
                continue
            cut = f", {len(shown)} shown (cut, see the note at the top)" if len(shown) < len(positions) else ""
            body = [header] + [self._row(int(i)) + "\n" for i in shown]
            for cid in dict.fromkeys(self._cols["check_id"][int(i)] for i in shown):
                c = check_of(cid)
                first = next(int(i) for i in shown if self._cols["check_id"][int(i)] == cid)
                # read back from a file, a check unknown here: its title is not trusted text
                title = c.title if c is not None else escape(self._cols["title"][first])
                remedy = c.remediation if c is not None else text(self._cols["remediation"][first])
                body.append(f"\n**`{escape(cid)}`: {title}.** {remedy.strip()}\n")
            out.append("\n" + _details(f"<b>{label}</b>: {what}{cut}", "".join(body)))
        return "".join(out)

    # -------------------------------------------------------------- the whole, and the cut

    def render(self, k: int, dropped: int = 0, limit: int | None = None) -> str:
        """The report with ``k`` findings rows and the first ``dropped`` optional parts left out."""
        keep = self.optional[dropped:]
        note = self._note(k, self.optional[:dropped], limit) if limit is not None else ""
        body = [self.head, self.banner, note, self.severity]
        summary = {"Scorecard", "Top findings", "Findings per practice", "Exemptions in force", "Expired waivers"}
        na = [t for n, _, t in keep if n not in summary]
        order = ["Scorecard", "Top findings", "Findings per practice", "Exemptions in force", "Expired waivers"]
        body += [t for name in order for n, _, t in keep if n == name]
        if na:
            body += [self.na_head, *na]
        body.append(self._tables(k))
        return "\n".join(b for b in body if b).replace("\n\n\n", "\n\n")

    def _note(self, k: int, dropped: list[tuple[str, int, str]], limit: int) -> str:
        n = len(self.order)
        if k >= n and not dropped:
            return ""
        left = self._bare.iloc[k:]
        parts = []
        if len(left):
            parts.append(
                f"the findings tables show {k:,} of {n:,} findings, worst first; left out: {len(left):,} "
                f"({_counts(left)})"
            )
        parts += [f"the {name} table ({rows:,} row{'s' if rows != 1 else ''})" for name, rows, _ in dropped]
        body = " (the size of a pull request or issue body)" if limit == DEFAULT_MAX_CHARS else ""
        return (
            f"> **Cut to fit {limit:,} characters**{body}: "
            + "; ".join(parts)
            + ". The full list: `k8saudit scan ... -o findings.csv` (or .xlsx, .html), "
            "or `--max-chars 0`.\n"
        )


def _details(summary: str, body: str) -> str:
    """A collapsible section, closed (GitHub renders the Markdown inside it after a blank line)."""
    return f"<details>\n<summary>{summary}</summary>\n\n{body}\n</details>\n"


def findings_markdown(
    findings: pd.DataFrame, snapshot: Snapshot | None = None, *, max_chars: int | None = DEFAULT_MAX_CHARS
) -> str:
    """The findings as Markdown for a ticket or pull request: a summary first (counts by severity, scorecard,
    top findings, what was not assessed), then every finding by practice in collapsible sections.

    ``max_chars`` (default 65,536, GitHub's limit on a pull request or issue body; ``None`` or 0: no limit)
    cuts the report to fit: findings rows go first, the mildest and exempt ones before the worst, then the
    summary's optional tables; a note at the top says what was left out. Never longer than ``max_chars``.
    """
    doc = _Doc(findings, snapshot)
    if not max_chars:
        return doc.render(len(doc.order))
    if max_chars < MIN_MAX_CHARS:
        from ._registry import ExportError

        raise ExportError(
            f"max_chars {max_chars:,} is too small for a report: give at least {MIN_MAX_CHARS:,} (0 for no limit)"
        )
    full = doc.render(len(doc.order))
    if len(full) <= max_chars:
        return full
    for dropped in range(len(doc.optional) + 1):
        if len(doc.render(0, dropped, max_chars)) > max_chars:
            continue
        lo, hi = 0, len(doc.order)  # the most rows that fit: lo fits, hi + 1 does not
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if len(doc.render(mid, dropped, max_chars)) <= max_chars:
                lo = mid
            else:
                hi = mid - 1
        return doc.render(lo, dropped, max_chars)
    # even the head and the counts are too long (thousands of cluster names): cut the text itself
    text_ = doc.render(0, len(doc.optional), max_chars)
    tail = (
        f"\n\n> **Cut here to fit {max_chars:,} characters**: the rest of this report and every findings table "
        f"({len(doc.order):,} findings: {_counts(doc.order)}) were left out. The full list: "
        "`k8saudit scan ... -o findings.csv`.\n"
    )
    keep = text_[: max_chars - len(tail)]
    return keep[: keep.rfind("\n") + 1 if "\n" in keep else len(keep)].rstrip() + tail


register(
    Format(
        "markdown",
        (".md", ".markdown"),
        text=findings_markdown,
        aliases=("md",),
        options=("max_chars",),
        description="a summary, then every finding by practice in collapsible sections; cut to fit "
        "65,536 characters (a pull request or issue body; --max-chars)",
    )
)
