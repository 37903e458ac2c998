"""Findings → one self-contained HTML report that works offline.

Header (cluster, capture time; a partial audit says so there), counts by
severity, the scorecard per practice, what was not assessed (checks, input not
read, input only noted),
three overview charts (plotly; plotly.js is inlined once), the exemptions, and
a findings table that sorts (click a header) and filters (text box, severity,
practice, exempt) with a small script of its own; each row's evidence and
remediation open in a details toggle. Nothing is loaded from the network (a
Content-Security-Policy in the page forbids it), and every value is
HTML-escaped.
"""

from __future__ import annotations

import html
import re
from importlib import resources
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..vocab import (
    BAND_COLORS,
    EXEMPT_COLOR,
    SEVERITY_COLORS,
    SEVERITY_ORDER,
    SEVERITY_TEXT,
    STATUS_COLORS,
    bands_legend,
    practice_label,
)
from ._common import (
    captured_at,
    check_of,
    clusters,
    compliance_tables,
    exemptions,
    expired_waivers,
    generated_at,
    not_assessed_tables,
    partial_summary,
    practice_counts,
    practice_scorecard,
    severity_counts,
    text,
    version,
)
from ._registry import Format, register

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from ..snapshot import Snapshot

CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:; font-src data:"
_FENCE = re.compile(r"```[a-zA-Z0-9_-]*\n(.*?)```", re.DOTALL)
_CODE = re.compile(r"`([^`\n]+)`")


def esc(v: Any) -> str:
    return html.escape(text(v), quote=True)


def rich(v: Any) -> str:
    """Escaped text with a little Markdown: fenced blocks as ``<pre>``, code spans as ``<code>``,
    blank lines as paragraph breaks, list items on lines of their own."""
    s = html.escape(text(v).replace("\r\n", "\n"), quote=True)
    blocks: list[str] = []
    pos = 0
    for m in _FENCE.finditer(s):
        blocks.append(_paragraphs(s[pos : m.start()]))
        blocks.append("<pre><code>" + m.group(1).rstrip("\n") + "</code></pre>")
        pos = m.end()
    blocks.append(_paragraphs(s[pos:]))
    return "".join(blocks)


def _paragraphs(s: str) -> str:
    out = []
    for para in re.split(r"\n\s*\n", s.strip("\n")):
        if not para.strip():
            continue
        lines = para.split("\n")
        joined = lines[0]
        for line in lines[1:]:
            joined += ("<br>" if re.match(r"\s*([-*]|\d+\.)\s", line) else " ") + line.strip()
        out.append("<p>" + _CODE.sub(r"<code>\1</code>", joined) + "</p>")
    return "".join(out)


def inline(v: Any) -> str:
    """One line of escaped text, code spans as ``<code>``."""
    return _CODE.sub(r"<code>\1</code>", html.escape(" ".join(text(v).split()), quote=True))


def _obj(kind: Any, namespace: Any, name: Any) -> str:
    """``Kind/namespace/name`` escaped, with line-break opportunities after the slashes."""
    return "/<wbr>".join(esc(p) for p in (kind, namespace, name) if text(p))


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def _figure_js(fig: go.Figure, div_id: str) -> str:
    import plotly.io as pio

    data = pio.to_json(fig, validate=False, pretty=False)
    # JSON that cannot end the <script> element: <, > and & as \\u escapes (only ever inside strings)
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return (
        f'(function(){{var f={data};Plotly.newPlot("{div_id}",f.data,f.layout,'
        "{displaylogo:false,responsive:true});})();"
    )


def _table(df: pd.DataFrame, *, cls: str = "", fmt: dict[str, Any] | None = None) -> str:
    head = "".join(f"<th>{esc(c)}</th>" for c in df.columns)
    body = []
    for rec in df.itertuples(index=False, name=None):
        cells = []
        for c, v in zip(df.columns, rec):
            f = (fmt or {}).get(str(c))
            cells.append(f"<td>{f(v) if f else esc(v)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _badge(sev: Any) -> str:
    s = text(sev)
    return f'<span class="sev sev-{esc(s)}">{esc(s)}</span>'


def _status(s: Any) -> str:
    return f'<span class="status status-{esc(s)}">{esc(text(s).replace("_", " "))}</span>'


def _score(v: Any) -> str:
    if text(v) == "":
        return "—"
    pct = float(v)
    return f'<span class="bar"><span style="width:{pct:.0f}%"></span></span> <span class="num">{pct:.1f}</span>'


def _band(b: Any) -> str:
    return f'<span class="band band-{esc(b)}">{esc(b)}</span>' if text(b) else "—"


def _summary(findings: pd.DataFrame) -> str:
    counts = severity_counts(findings)
    cards = [
        f'<div class="card sev-{esc(r.severity)}"><div class="n">{r.open}</div>'
        f'<div class="l">{esc(r.severity)}</div></div>'
        for r in counts.itertuples()
    ]
    n_ex = int(findings["exempt"].astype(bool).sum())
    cards.append(f'<div class="card card-exempt"><div class="n">{n_ex}</div><div class="l">exempt</div></div>')
    return (
        '<section id="summary"><h2>Open findings by severity</h2><div class="cards">'
        + "".join(cards)
        + "</div></section>"
    )


def _scorecard(findings: pd.DataFrame, multi: bool) -> str:
    card = practice_scorecard(findings)
    if card is None:
        df = practice_counts(findings).drop(columns=["practice"])
        return (
            '<section id="scorecard"><h2>Findings per practice</h2>'
            + _table(df, cls="small", fmt={s: (lambda v: f'<span class="num">{esc(v)}</span>') for s in SEVERITY_ORDER})
            + "</section>"
        )
    df = pd.DataFrame(
        {
            **({"cluster": card["cluster"]} if multi else {}),
            "practice": [practice_label(p, short=False) for p in card["practice"]],
            "score": card["score"],
            "band": card["band"],
            "failing / evaluated": [f"{f} / {e}" for f, e in zip(card["failing"], card["evaluated"])],
            "exempt": card["exempt"],
            "status": card["status"],
            "not assessable": card["not_assessable"],
        }
    )
    if df["not assessable"].isna().all():
        df = df.drop(columns=["not assessable"])
    return (
        '<section id="scorecard"><h2>Scorecard per practice</h2><p class="hint">Score: share of the '
        f"evaluated objects that pass (exempt findings count as passing); band: {esc(bands_legend())}. "
        "Status <em>fail</em> means at least one object fails.</p>"
        + _table(df, cls="small", fmt={"score": _score, "band": _band, "status": _status})
        + "</section>"
    )


def _rows(findings: pd.DataFrame, multi: bool) -> str:
    rank = {s: i for i, s in enumerate(reversed(SEVERITY_ORDER))}
    ranked = "priority" in findings.columns and findings["priority"].notna().all()
    out = []
    order = findings.assign(_r=findings["severity"].astype("string").map(rank).fillna(-1).to_numpy() * -1)
    order = order.sort_values(
        ["_r", "exempt", "practice", "check_id", "namespace", "kind", "name", "container"],
        na_position="first",
        kind="stable",
    )
    for r in order.itertuples(index=False):
        ex = bool(r.exempt)
        details = [
            f"<dt>Evidence</dt><dd>{rich(r.evidence) or '—'}</dd>",
            f'<dt class="check-info" data-check="{esc(r.check_id)}" hidden></dt>',
        ]
        if ex:
            details.append(f"<dt>Exempt</dt><dd>{esc(r.exempt_reason)}</dd>")
        details.append(f"<dt>Finding id</dt><dd><code>{esc(r.finding_id)}</code></dd>")
        sev = text(r.severity)
        status = (
            f'<span class="exempt-tag" title="{esc(r.exempt_reason)}">exempt</span>'
            if ex
            else '<span class="open-tag">open</span>'
        )
        if "status" in findings.columns:  # a diff
            status += f'<br><span class="change">{esc(text(r.status).replace("_", " "))}</span>'
        out.append(
            f'<tr class="{"exempt" if ex else "open"}" data-sev="{esc(sev)}" data-practice="{esc(r.practice)}" '
            f'data-exempt="{int(ex)}"'
            + (f' data-cluster="{esc(r.cluster)}"' if multi else "")
            + ">"
            + (f"<td>{esc(r.cluster)}</td>" if multi else "")
            + f'<td data-v="{rank.get(sev, -1)}">{_badge(sev)}</td>'
            f'<td data-v="{esc(r.practice)}">{esc(practice_label(r.practice))}</td>'
            f'<td><code title="{esc(r.title)}">{esc(r.check_id)}</code></td>'
            f"<td>{_obj(r.kind, r.namespace, r.name)}</td><td>{esc(r.container)}</td>"
            f'<td class="msg"><details><summary>{inline(r.message)}</summary><dl>{"".join(details)}</dl></details></td>'
            f'<td data-v="{int(ex)}">{status}</td>'
            + (
                f'<td data-v="{int(r.priority)}">{int(r.priority)}'
                f"{' <span class=open-tag>on a path</span>' if r.on_attack_path else ''}</td>"
                if ranked
                else ""
            )
            + "</tr>"
        )
    return "".join(out)


def _check_info(findings: pd.DataFrame) -> str:
    """Why and remediation once per check, as templates the script copies into a row's details
    when it is opened (repeating them in every row would make large reports huge)."""
    out = []
    for cid, grp in findings.groupby("check_id", sort=True):
        c = check_of(str(cid))
        why = f"<dt>Why it matters</dt><dd>{rich(c.why)}</dd>" if c is not None and c.why else ""
        remedy = rich(c.remediation if c is not None else grp["remediation"].iloc[0])
        out.append(
            f'<template data-check="{esc(cid)}">{why}<dt>Remediation</dt><dd class="remedy">{remedy}</dd></template>'
        )
    return "".join(out)


def _controls(findings: pd.DataFrame, names: list[str] | None = None) -> str:
    sevs = [s for s in SEVERITY_ORDER if (findings["severity"].astype("string") == s).any()]
    # several clusters (a fleet): a cluster filter, listing every cluster audited, with findings or not
    cl = "".join(f'<option value="{esc(c)}">{esc(c)}</option>' for c in names or [])
    cluster = f'<label>Cluster <select id="f-cluster"><option value="">all</option>{cl}</select></label>' if cl else ""
    practices = sorted({int(p) for p in findings["practice"].dropna()})
    sev_opts = "".join(f'<option value="{esc(s)}">{esc(s)}</option>' for s in sevs)
    pr_opts = "".join(f'<option value="{p}">{esc(practice_label(p))}</option>' for p in practices)
    return (
        '<div class="controls">'
        '<label>Filter <input id="q" type="search" placeholder="text in any column or evidence…" '
        'autocomplete="off"></label>'
        + cluster
        + f'<label>Severity <select id="f-sev"><option value="">all</option>{sev_opts}</select></label>'
        f'<label>Practice <select id="f-practice"><option value="">all</option>{pr_opts}</select></label>'
        '<label>Exempt <select id="f-exempt"><option value="show">show</option><option value="hide">hide</option>'
        '<option value="only">only exempt</option></select></label>'
        '<span id="count" aria-live="polite"></span></div>'
    )


def _compliance(findings: pd.DataFrame) -> str:
    """A section per compliance framework: counts by status, then the controls in a collapsible table."""
    from ..frameworks import STATUSES, framework_label

    tables = compliance_tables(findings)
    if not tables:
        return ""
    out = [
        '<section id="compliance"><h2>Compliance frameworks</h2><p class="hint">Each control is '
        "<em>fail</em> when a check evidencing it found a non-exempt object, <em>not assessable</em> when one "
        "could not run on this snapshot, <em>pass</em> when every check behind it ran and found nothing, "
        "<em>not covered</em> when no k8saudit check evidences it (never counted as a pass).</p>"
    ]
    for fid, df in tables.items():
        counts = df["status"].astype(str).value_counts()
        line = ", ".join(f"{int(counts.get(s, 0))} {s.replace('_', ' ')}" for s in STATUSES)
        cols = ["control", "title", "status", "checks", "failing_objects", "exempt_findings", "reason"]
        out.append(
            f'<details class="framework" id="compliance-{esc(fid)}"><summary><strong>'
            f"{esc(framework_label(fid))}</strong>: {esc(line)}</summary>"
            + _table(
                df[cols].rename(columns={"failing_objects": "failing objects", "exempt_findings": "exempt findings"}),
                cls="small",
                fmt={"status": _status},
            )
            + "</details>"
        )
    return "".join(out) + "</section>"


def _extra_tables(findings: pd.DataFrame) -> str:
    out = []
    ex = exemptions(findings)
    if len(ex):
        out.append("<h3>Exemptions in force</h3>" + _table(ex, cls="small"))
    exp = expired_waivers(findings)
    if len(exp):
        out.append("<h3>Expired waivers (no longer applied)</h3>" + _table(exp, cls="small"))
    return '<section id="exemptions"><h2>Exemptions</h2>' + "".join(out) + "</section>" if out else ""


def _banner(findings: pd.DataFrame) -> str:
    text_ = partial_summary(findings)
    return f'<p class="partial-banner" id="partial">{esc(text_)}</p>' if text_ else ""


def _not_assessed(findings: pd.DataFrame) -> str:
    gaps, lost, noted = not_assessed_tables(findings)
    if gaps.empty and lost.empty and noted.empty:
        return ""
    out = []
    if len(gaps):
        out.append("<h3>Checks without a complete verdict</h3>" + _table(gaps, cls="small", fmt={"status": _status}))
    if len(lost):
        out.append("<h3>Input that could not be read</h3>" + _table(lost, cls="small"))
    if len(noted):
        out.append(
            "<h3>Noted, nothing lost (not Kubernetes objects, empty files, identical duplicates)</h3>"
            + _table(noted, cls="small")
        )
    return '<section id="not-assessed"><h2>Not assessed</h2>' + "".join(out) + "</section>"


def _css() -> str:
    sev = "".join(f".sev-{s}{{background:{c};color:{SEVERITY_TEXT[s]}}}" for s, c in SEVERITY_COLORS.items())
    st = "".join(f".status-{s}{{color:{c}}}" for s, c in STATUS_COLORS.items())
    st += "".join(f".band-{b}{{color:{c};font-weight:bold}}" for b, c in BAND_COLORS.items())
    return (
        _asset("report.css")
        + sev
        + st
        + f".exempt-tag{{color:{EXEMPT_COLOR}}}"
        + f".partial-banner{{border-left:4px solid {STATUS_COLORS['partial']};padding:.4em .8em;"
        "font-weight:bold}"
    )


def findings_html(findings: pd.DataFrame, snapshot: Snapshot | None = None) -> str:
    from plotly.offline import get_plotlyjs  # plotly with the first report, not with every import

    from ._charts import overview_figures

    names = clusters(findings, snapshot)
    multi = findings["cluster"].nunique() > 1 or len(names) > 1
    at = captured_at(findings, snapshot)
    figs = overview_figures(findings)
    charts = "".join(f'<div class="chart" id="chart-{i}"></div>' for i in range(len(figs)))
    fig_js = "".join(_figure_js(f, f"chart-{i}") for i, f in enumerate(figs))
    # (header, class, direction of the first click: severity sorts worst first; priority 1 is "fix first")
    heads = (
        ([("Cluster", "", "")] if multi else [])
        + [
            ("Severity", "", "descending"),
            ("Practice", "", ""),
            ("Check", "", ""),
            ("Object", "", ""),
            ("Container", "", ""),
            ("Finding", "wide", ""),
            ("Status", "", ""),
        ]
        + ([("Priority", "", "")] if "priority" in findings.columns else [])
    )
    thead = "".join(
        f'<th class="{c}" aria-sort="none"'
        + (f' data-first="{first}"' if first else "")
        + f'><button type="button">{esc(h)}</button></th>'
        for h, c, first in heads
    )
    title = f"k8saudit report: {', '.join(names) or 'no cluster'}"
    live = int((~findings["exempt"].astype(bool)).sum())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="k8saudit {esc(version())}">
<title>{esc(title)}</title>
<style>{_css()}</style>
</head><body>
<header><h1>Kubernetes security report</h1>
<p class="meta"><span>Cluster{"s" if len(names) > 1 else ""}: <strong>{esc(", ".join(names))}</strong></span>
<span>Captured: <strong>{esc(at or "unknown")}</strong></span>
<span>Findings: <strong>{len(findings)}</strong> ({live} open, {len(findings) - live} exempt)</span>
<span>Generated {esc(generated_at())} by k8saudit {esc(version())}</span></p>{_banner(findings)}</header>
<main>
{_summary(findings)}
<section id="charts"><h2>Overview</h2><div class="charts">{charts}</div></section>
{_scorecard(findings, multi)}
{_not_assessed(findings)}
{_compliance(findings)}
{_extra_tables(findings)}
<section id="findings-section"><h2>Findings</h2>
{_controls(findings, names if multi else None)}
<table id="findings" class="findings"><thead><tr>{thead}</tr></thead>
<tbody>{_rows(findings, multi)}</tbody></table>
<p id="none" hidden>No finding matches the filter.</p>
<div id="check-info" hidden>{_check_info(findings)}</div>
</section></main>
<script>{get_plotlyjs()}</script>
<script>{fig_js}</script>
<script>{_asset("report.js")}</script>
</body></html>
"""


register(
    Format(
        "html",
        (".html", ".htm"),
        text=findings_html,
        aliases=("htm",),
        stem="report",
        description="a standalone report with charts, filters and sorting",
    )
)
