"""Readable text: the `k8saudit scan` report and the catalog document (CHECKS.md)."""

from __future__ import annotations

import shutil
import textwrap
from typing import Any

import pandas as pd

from ._util import plural, visible
from .checks import CHECKS
from .frameworks import FRAMEWORKS, controls, framework, framework_label
from .vocab import PRACTICES, SEVERITIES, bands_legend

_SEV_MARK = {"critical": "CRIT", "high": "HIGH", "medium": "MED ", "low": "LOW ", "info": "INFO"}


#: objects listed per check in the text report (``limit=None``, ``scan -o wide`` or ``--all``, lists them all)
LIMIT = 25
#: the width of a report that goes nowhere near a terminal (a file, a pipe): lines are never cut there
UNLIMITED = 0


def terminal_width() -> int:
    """The width of the terminal the report goes to (``$COLUMNS`` first), or :data:`UNLIMITED` when it goes to
    a pipe or a file (a CI log, ``| less``): there a cut would lose what no one can widen back."""
    return shutil.get_terminal_size(fallback=(UNLIMITED, 0)).columns


def _fit(line: str, width: int, indent: int, full: bool) -> list[str]:
    """One finding's line: cut to the width with …, or (``full``) wrapped under its indent, whole."""
    pad = " " * indent
    if width <= UNLIMITED or width - indent < 20:
        return [pad + line]
    if full:
        return textwrap.wrap(
            line,
            width=width,
            initial_indent=pad,
            subsequent_indent=pad + "  ",
            break_on_hyphens=False,
            break_long_words=True,
        ) or [pad]
    return [pad + textwrap.shorten(line, width=width - indent, placeholder=" …")]


def text(
    findings: pd.DataFrame,
    snap: Any = None,
    *,
    show_exempt: bool = False,
    width: int | None = None,
    limit: int | None = LIMIT,
) -> str:
    """The scan report: findings grouped by practice, then a summary.

    ``width`` (default: the terminal's, :func:`terminal_width`; 0: no limit) cuts a finding's line to fit;
    ``limit`` objects are listed per check. ``limit=None`` (``scan -o wide`` / ``--all``) lists every object
    with its whole message, wrapped to the width.
    """
    from .findings import scorecard

    width = terminal_width() if width is None else width
    full = limit is None
    rule = width if width > UNLIMITED else 10**6
    out: list[str] = []
    clusters = findings.attrs.get("clusters") or (snap.clusters if snap is not None else [])
    head = f"k8saudit scan of {', '.join(clusters) or 'cluster'}"
    if snap is not None:
        head += f" (captured {snap.captured_at}; {plural(len(snap), 'object')})"
    out += [head, "=" * min(len(head), rule)]
    out += partial_banner(findings, rule)
    live = findings[~findings["exempt"]]
    shown = findings if show_exempt else live
    ranked = "on_attack_path" in findings.columns
    if ranked:
        out += _on_paths(shown, rule)
        shown = shown.sort_values("priority", kind="stable")  # within each check, findings on a path first
    for practice in range(1, 11):
        grp = shown[shown["practice"] == practice]
        if grp.empty:
            continue
        out.append("")
        out.append(f"[{practice}] {PRACTICES[practice]}")
        for (cid, sev), rows in grp.groupby(["check_id", "severity"], observed=True, sort=False):
            out.append(f"  {_SEV_MARK[str(sev)]} {cid}: {CHECKS[cid].title} ({len(rows)})")
            for r in (rows if limit is None else rows.head(limit)).itertuples():
                where = "/".join(str(x) for x in (r.namespace, r.name) if isinstance(x, str) and x)
                cont = f" [{r.container}]" if isinstance(r.container, str) and r.container else ""
                tag = (" (exempt)" if r.exempt else "") + (
                    " [on an attack path]" if ranked and r.on_attack_path else ""
                )
                out += _fit(f"{r.kind} {where}{cont}{tag}: {r.message}", width, 7, full)
            if limit is not None and len(rows) > limit:
                out.append(f"       … and {len(rows) - limit} more (-o wide or --all lists every one)")
    out.append("")
    out.append("Summary")
    out.append("-------")
    counts = live["severity"].value_counts()
    sev_line = ", ".join(f"{int(counts.get(s, 0))} {s}" for s in reversed(SEVERITIES))
    out.append(f"{plural(len(live), 'finding')} ({sev_line}); {int(findings['exempt'].sum())} exempt")
    if "stats" in findings.attrs:
        sc = scorecard(findings)
        out.append("")
        tw = 76 if width <= UNLIMITED else max(24, min(76, width - 34))
        out.append(f"  {'practice':<{tw}} {'evaluated':>9} {'failing':>8} {'score':>6}  band")
        for r in sc.itertuples():
            score = "n/a" if r.score is None or r.score != r.score else f"{r.score:.0f}%"
            title = f"{r.practice:>2}. {r.title}"
            if len(sc["cluster"].unique()) > 1:
                title = f"{r.cluster}: {title}"
            note = {"not_assessable": "  not assessable", "partial": "  partial"}.get(r.status, "")
            if r.status == "fail" and (isinstance(r.not_assessable, str) or isinstance(r.partial, str)):
                note = "  some checks not fully assessed"
            band = r.band if isinstance(r.band, str) else "-"
            title = title if len(title) <= tw else title[: tw - 1] + "…"
            out.append(f"  {title:<{tw}} {r.evaluated:>9} {r.failing:>8} {score:>6}  {band:<4}{note}")
        out.append(f"  band: {bands_legend()}")
    out += not_assessed_text(findings, rule)
    expired = findings.attrs.get("expired_waivers") or []
    if expired:
        out.append("")
        out.append("Expired waivers (no longer applied):")
        for w in expired:
            out.append(
                f"  {w['check']} {w['kind']}/{w['namespace']}/{w['name']} expired {w['expires']} ({w['reason']})"
            )
    return visible("\n".join(out) + "\n")  # object names and messages reach a terminal


def partial_banner(findings: pd.DataFrame, width: int = 110) -> list[str]:
    """The lines that open a partial audit's report: how many checks gave no complete verdict, and why."""
    from .findings import not_assessed

    gaps = not_assessed(findings)
    if gaps.empty:
        return []
    counts = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in gaps["status"].value_counts().items())
    return [
        "",
        f"PARTIAL AUDIT: {plural(len(gaps), 'check')} gave no complete verdict ({counts}): what they report is not "
        "a clean bill.",
        '  `scan --fail-on` exits 3 for it unless --allow-partial; see "Not assessed" below.',
    ]


def not_assessed_text(findings: pd.DataFrame, width: int = 110) -> list[str]:
    """The "Not assessed" section: checks without a complete verdict (by reason), what could not be read,
    and what was noted (files that are not Kubernetes objects, empty files, identical duplicates)."""
    from .findings import not_assessed, skipped_of
    from .vocab import NOTED

    out: list[str] = []
    gaps = not_assessed(findings)
    sk = skipped_of(findings)
    lost = sk[~sk["category"].isin(NOTED)]
    noted = sk[sk["category"].isin(NOTED)]
    multi = len(findings.attrs.get("clusters") or []) > 1 or gaps["cluster"].nunique() > 1

    def line(text: str, indent: int = 2) -> str:
        return " " * indent + textwrap.shorten(text, width=width - indent, placeholder=" …")

    if len(gaps) or len(lost):
        out += ["", "Not assessed", "------------"]
    for (cluster, status, reason), grp in gaps.groupby(["cluster", "status", "reason"], sort=False, dropna=False):
        ids = ", ".join(grp["check_id"]) if len(grp) <= 6 else f"{len(grp)} checks"
        prefix = f"{cluster}: " if multi else ""
        head = f"{prefix}{str(status).replace('_', ' ')}: {ids}"
        if len(head) + len(str(reason)) + 4 <= width:
            out.append(line(f"{head}: {reason}"))
        else:  # the reason on its own line, so a long list of checks does not cut it off
            out += [line(head + ":"), line(str(reason), 4)]
    if len(lost):
        out.append(f"  Input that could not be read ({len(lost)}):")
        for r in lost.head(20).itertuples():
            doc = f"#{r.document}" if isinstance(r.document, str) else ""
            out.append(line(f"[{r.category}] {r.source}{doc}: {r.reason}", 4))
        if len(lost) > 20:
            out.append(f"    … and {len(lost) - 20} more")
    if len(noted):
        out += ["", f"Noted, nothing lost ({len(noted)}):"]
        for r in noted.head(10).itertuples():
            doc = f"#{r.document}" if isinstance(r.document, str) else ""
            what = "not a Kubernetes object" if r.category == "not_kubernetes" else str(r.category).replace("_", " ")
            out.append(line(f"{what}: {r.source}{doc}: {r.reason}"))
        if len(noted) > 10:
            out.append(f"  … and {len(noted) - 10} more")
    return out


def _on_paths(findings: pd.DataFrame, width: int, limit: int = 15) -> list[str]:
    """The findings that sit on an attack path, in priority order: the ones to fix first."""
    on = findings[findings["on_attack_path"].fillna(False).astype(bool)].sort_values("priority")
    if on.empty:
        from .findings import is_partial

        caveat = " (among what could be assessed: the audit is partial, see above)" if is_partial(findings) else ""
        return [
            "",
            "No finding sits on an attack path from the internet or the API to cluster-admin, a node or "
            f"a namespace's Secrets{caveat}.",
        ]
    out = ["", f"On attack paths: {len(on)} finding(s) to fix first (`k8saudit paths` shows the paths)"]
    for r in on.head(limit).itertuples():
        where = "/".join(str(x) for x in (r.namespace, r.name) if isinstance(x, str) and x)
        line = f"{_SEV_MARK[str(r.severity)]} {r.check_id}: {r.kind} {where} (on {r.paths_through} listed path(s))"
        out.append("  " + textwrap.shorten(line, width=width - 2, placeholder=" …"))
    if len(on) > limit:
        out.append(f"  … and {len(on) - limit} more")
    return out


def frames_text(width: int = 100) -> str:
    """``k8saudit frames list``: every frame's columns, dtypes and descriptions, wrapped to ``width`` columns
    (a frame per block; ``--format csv|json|markdown`` gives the same as one table)."""
    from .frames import describe

    out: list[str] = []
    for frame, grp in describe().groupby("frame", sort=False):
        out += ([""] if out else []) + [f"{frame} ({len(grp)} columns)"]
        name_w = min(max(len(c) for c in grp["column"]), 28)
        type_w = max(len(d) for d in grp["dtype"])
        indent = 2 + name_w + 1 + type_w + 2
        for col, dtype, desc in zip(grp["column"], grp["dtype"], grp["description"]):
            head = f"  {col:<{name_w}} {dtype:<{type_w}}  "
            if len(head) > indent:  # a very long column name: its description starts on the next line
                out.append(head.rstrip())
                head = " " * indent
            lines = textwrap.wrap(str(desc), width=max(width - indent, 20), break_on_hyphens=False) or [""]
            out.append(head + lines[0])
            out += [" " * indent + ln for ln in lines[1:]]
    return "\n".join(out) + "\n"


def catalog_markdown() -> str:
    """CHECKS.md: the catalog, generated from the registry (a test fails when the file is stale)."""
    lines = [
        "# k8saudit checks",
        "",
        "Generated from the registry by `make catalog` (`k8saudit checks --format markdown`); do not edit by hand.",
        "",
        f"{len(CHECKS)} checks over {len(PRACTICES)} practices. Ids are stable: waivers, annotations "
        "(`k8saudit.io/ignore`) and exports name them.",
        "",
    ]
    for practice, title in PRACTICES.items():
        checks = CHECKS.for_practice(practice)
        lines += [f"## {practice}. {title}", "", "| id | severity | fires on | title |", "|---|---|---|---|"]
        lines += [f"| `{c.id}` | {c.severity} | {c.fires_on} | {c.title} |" for c in checks]
        lines.append("")
        for c in checks:
            lines += [
                f"### `{c.id}`",
                "",
                f"**{c.title}** — severity *{c.severity}*, fires on *{c.fires_on}*.",
                "",
                c.why.strip(),
                "",
                "**Remediation.** " + c.remediation.strip(),
                "",
            ]
            if c.references:
                lines += ["References: " + "; ".join(c.references), ""]
            if c.controls:
                lines += [
                    "Controls: "
                    + "; ".join(
                        f"{framework_label(f, short=True)} " + ", ".join(c.controls[f])
                        for f in FRAMEWORKS
                        if c.controls.get(f)
                    ),
                    "",
                ]
    lines += [
        "## Compliance frameworks",
        "",
        "`ka.compliance(findings, FRAMEWORK)` reads an audit as the controls of a framework; the controls "
        "each check evidences are listed above. Controls no check evidences are reported `not_covered`, "
        "never `pass`.",
        "",
        "| framework | id | controls | evidenced by a check | source |",
        "|---|---|---:|---:|---|",
    ]
    for f in FRAMEWORKS:
        ctl = controls(f)
        src = framework(f)["sources"][0].split(": ", 1)[-1]
        lines.append(
            f"| {framework_label(f)} | `{f}` | {len(ctl)} | {int((ctl['checks'].str.len() > 0).sum())} | {src} |"
        )
    return "\n".join(lines).rstrip() + "\n"
