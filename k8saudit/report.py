"""Readable text: the `k8saudit scan` report and the catalog document (CHECKS.md)."""

from __future__ import annotations

import textwrap
from typing import Any

import pandas as pd

from .checks import CHECKS, PRACTICES, SEVERITIES

_SEV_MARK = {"critical": "CRIT", "high": "HIGH", "medium": "MED ", "low": "LOW ", "info": "INFO"}


def text(findings: pd.DataFrame, snap: Any = None, *, show_exempt: bool = False, width: int = 110) -> str:
    """The scan report: findings grouped by practice, then a summary."""
    from .findings import check_stats, scorecard

    out: list[str] = []
    clusters = findings.attrs.get("clusters") or (snap.clusters if snap is not None else [])
    head = f"k8saudit scan of {', '.join(clusters) or 'cluster'}"
    if snap is not None:
        head += f" (captured {snap.captured_at}; {len(snap):,} objects)"
    out += [head, "=" * min(len(head), width)]
    live = findings[~findings["exempt"]]
    shown = findings if show_exempt else live
    for practice in range(1, 11):
        grp = shown[shown["practice"] == practice]
        if grp.empty:
            continue
        out.append("")
        out.append(f"[{practice}] {PRACTICES[practice]}")
        for (cid, sev), rows in grp.groupby(["check_id", "severity"], observed=True, sort=False):
            out.append(f"  {_SEV_MARK[str(sev)]} {cid}: {CHECKS[cid].title} ({len(rows)})")
            for r in rows.head(25).itertuples():
                where = "/".join(str(x) for x in (r.namespace, r.name) if isinstance(x, str) and x)
                cont = f" [{r.container}]" if isinstance(r.container, str) and r.container else ""
                tag = " (exempt)" if r.exempt else ""
                line = f"{r.kind} {where}{cont}{tag}: {r.message}"
                out.append("       " + textwrap.shorten(line, width=width - 7, placeholder=" …"))
            if len(rows) > 25:
                out.append(f"       … and {len(rows) - 25} more")
    out.append("")
    out.append("Summary")
    out.append("-------")
    counts = live["severity"].value_counts()
    sev_line = ", ".join(f"{int(counts.get(s, 0))} {s}" for s in reversed(SEVERITIES))
    out.append(f"{len(live)} findings ({sev_line}); {int(findings['exempt'].sum())} exempt")
    if "stats" in findings.attrs:
        sc = scorecard(findings)
        out.append("")
        out.append(f"  {'practice':<76} {'evaluated':>9} {'failing':>8} {'score':>6}")
        for r in sc.itertuples():
            score = "n/a" if r.score is None or r.score != r.score else f"{r.score:.0f}%"
            title = f"{r.practice:>2}. {r.title}"
            if len(sc["cluster"].unique()) > 1:
                title = f"{r.cluster}: {title}"
            note = "" if r.status != "not_assessable" else "  not assessable"
            out.append(f"  {title[:76]:<76} {r.evaluated:>9} {r.failing:>8} {score:>6}{note}")
        na = check_stats(findings)
        na = na[na["status"].isin(["not_assessable", "error"])]
        if len(na):
            out.append("")
            out.append("Could not assess:")
            for (cluster, reason), grp in na.groupby(["cluster", "reason"], sort=False, dropna=False):
                ids = ", ".join(grp["check_id"]) if len(grp) <= 6 else f"{len(grp)} checks"
                prefix = f"{cluster}: " if na["cluster"].nunique() > 1 else ""
                out.append("  " + textwrap.shorten(f"{prefix}{ids}: {reason}", width=width - 2, placeholder=" …"))
    expired = findings.attrs.get("expired_waivers") or []
    if expired:
        out.append("")
        out.append("Expired waivers (no longer applied):")
        for w in expired:
            out.append(f"  {w['check']} {w['kind']}/{w['namespace']}/{w['name']} expired {w['expires']} ({w['reason']})")
    return "\n".join(out) + "\n"


def catalog_markdown() -> str:
    """CHECKS.md: the catalog, generated from the registry (a test fails when the file is stale)."""
    lines = ["# k8saudit checks", "",
             "Generated from the registry by `make catalog` (`k8saudit checks --format markdown`); do not edit by hand.",
             "", f"{len(CHECKS)} checks over {len(PRACTICES)} practices. Ids are stable: waivers, annotations "
             "(`k8saudit.io/ignore`) and exports name them.", ""]
    for practice, title in PRACTICES.items():
        checks = CHECKS.for_practice(practice)
        lines += [f"## {practice}. {title}", "", "| id | severity | fires on | title |", "|---|---|---|---|"]
        lines += [f"| `{c.id}` | {c.severity} | {c.fires_on} | {c.title} |" for c in checks]
        lines.append("")
        for c in checks:
            lines += [f"### `{c.id}`", "", f"**{c.title}** — severity *{c.severity}*, fires on *{c.fires_on}*.", "",
                      c.why.strip(), "", "**Remediation.** " + c.remediation.strip(), ""]
            if c.references:
                lines += ["References: " + "; ".join(c.references), ""]
    return "\n".join(lines).rstrip() + "\n"
