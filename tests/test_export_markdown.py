"""Markdown for tickets and pull requests: summary first, tables in collapsible sections, cut to fit a body."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from _findings import NASTY, make_findings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import k8saudit as ka
from k8saudit.checks import CHECKS
from k8saudit.export import ExportError, export, findings_to_text
from k8saudit.export._markdown import DEFAULT_MAX_CHARS, MIN_MAX_CHARS
from k8saudit.vocab import SEVERITY_ORDER

SHOWN = re.compile(r"the findings tables show ([\d,]+) of ([\d,]+) findings")


def _rows(md: str) -> list[str]:
    """The findings rows of the per-practice tables (inside the collapsible sections)."""
    body = md[md.index("## Findings by practice") :] if "## Findings by practice" in md else ""
    return [
        ln
        for ln in body.splitlines()
        if ln.startswith("| ") and not ln.startswith("| severity |") and not ln.startswith("| cluster |")
    ]


def _num(s: str) -> int:
    return int(s.replace(",", ""))


@pytest.fixture(scope="module")
def sample(sample_snap: ka.Snapshot) -> pd.DataFrame:
    return ka.audit(sample_snap)


def test_the_sample_fits_a_pull_request_body_summary_first(sample: pd.DataFrame, sample_snap: ka.Snapshot) -> None:
    md = findings_to_text(sample, "markdown", snapshot=sample_snap)
    full = findings_to_text(sample, "markdown", snapshot=sample_snap, max_chars=0)
    assert len(full) > DEFAULT_MAX_CHARS >= len(md)  # the sample needs the cut, and gets it
    # summary first: counts, scorecard with bands, top findings, then the tables in closed <details>
    at = [md.index(s) for s in ("## Summary", "### Scorecard", "### Top findings", "## Findings by practice")]
    assert at == sorted(at)
    assert md.count("<details>") == md.count("</details>") > 0 and "<details open" not in md
    assert re.search(
        r"\| 4 \| No sharing of the host's IPC, PID or network namespace \|.*\| 98\.2 \| good \| fail \|", md
    )
    # what was cut is said at the top, and adds up
    note = md[: md.index("## Summary")]
    shown, total = (_num(x) for x in SHOWN.search(note).groups())  # type: ignore[union-attr]
    assert "Cut to fit 65,536 characters" in note and total == len(sample) and shown == len(_rows(md)) < total
    # the worst are kept: every open critical and high finding is in the tables
    worst = sample[sample["severity"].isin(["critical", "high"]) & ~sample["exempt"]]
    assert len(_rows(md)) >= len(worst)
    for msg in worst["message"]:
        assert sum(r.count("|") > 0 and msg.split("`")[0].replace("(", "\\(") in r for r in _rows(md)) >= 1, msg
    # without a limit, every finding has its row
    assert len(_rows(full)) == len(sample) and "Cut to fit" not in full


def test_export_and_max_chars(sample: pd.DataFrame, tmp_path) -> None:  # type: ignore[no-untyped-def]
    p = export(sample, tmp_path / "f.md")
    assert len(p.read_text(encoding="utf-8")) <= DEFAULT_MAX_CHARS
    small = export(sample, tmp_path / "s.md", max_chars=8_000).read_text(encoding="utf-8")
    assert len(small) <= 8_000 and "Cut to fit 8,000 characters" in small
    with pytest.raises(ExportError, match="at least 1,000"):
        export(sample, tmp_path / "t.md", max_chars=200)
    with pytest.raises(ExportError, match="max_chars applies to markdown, not csv"):
        export(sample, tmp_path / "f.csv", max_chars=8_000)
    assert not (tmp_path / "f.csv").exists()


# open-ended input: any number of findings, any text in them, any limit
_TEXT = st.one_of(st.sampled_from(list(NASTY.values())), st.text(min_size=0, max_size=400))
_ROW = st.fixed_dictionaries(
    {
        "check_id": st.sampled_from(list(CHECKS)),
        "name": st.text(min_size=1, max_size=60),
        "namespace": st.sampled_from(["shop", "kube-system", "a" * 63]),
        "message": _TEXT,
        "evidence": _TEXT,
        "exempt": st.booleans(),
        "severity": st.sampled_from(SEVERITY_ORDER),
    }
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    rows=st.lists(_ROW, max_size=150),
    extra=st.integers(0, 1500),
    limit=st.integers(MIN_MAX_CHARS, 40_000),
    clusters=st.integers(1, 400),
)
def test_never_longer_than_the_limit_and_always_says_what_was_cut(
    rows: list[dict[str, object]], extra: int, limit: int, clusters: int
) -> None:
    many = [
        {
            "check_id": "rootfs-writable",
            "kind": "Deployment",
            "name": f"app-{i}",
            "severity": "low",
            "message": "container `app` may write its root filesystem " + "x" * (i % 90),
        }
        for i in range(extra)
    ]
    f = make_findings(
        [{"kind": "Deployment", "exempt_reason": "waived" if r["exempt"] else None, **r} for r in rows] + many
    )
    # a fleet: thousands of cluster names in the head alone can exceed the limit
    f.attrs["clusters"] = [f"cluster-{i:04d}-" + "n" * 20 for i in range(clusters)]
    md = findings_to_text(f, "markdown", max_chars=limit)
    full = findings_to_text(f, "markdown", max_chars=0)
    assert len(md) <= limit
    if md == full:
        assert "Cut" not in md[: md.find("## Summary")]
        return
    assert "Cut to fit" in md or "Cut here to fit" in md
    m = SHOWN.search(md)
    if "Cut here to fit" in md:  # the text itself was cut: the tail says how many findings were left out
        assert f"({len(f):,} findings" in md[-400:]
    elif m:
        assert _num(m.group(2)) == len(f) and _num(m.group(1)) == len(_rows(md))
    else:  # every findings row fits, only summary tables were left out (and named)
        assert len(_rows(md)) == len(f) and re.search(r"the [A-Z][\w ]+ table \([\d,]+ rows?\)", md)
    assert md.count("<details>") == md.count("</details>")


def test_the_cut_keeps_the_worst_first() -> None:
    rows = (
        [
            {"check_id": "privileged", "kind": "Deployment", "name": f"crit-{i}", "severity": "critical"}
            for i in range(5)
        ]
        + [
            {
                "check_id": "rootfs-writable",
                "kind": "Deployment",
                "name": f"low-{i}",
                "severity": "low",
                "message": "m" * 300,
            }
            for i in range(400)
        ]
        + [
            {
                "check_id": "privileged",
                "kind": "Deployment",
                "name": f"waived-{i}",
                "severity": "critical",
                "exempt": True,
                "exempt_reason": "ok",
            }
            for i in range(20)
        ]
    )
    md = findings_to_text(make_findings(rows), "markdown", max_chars=20_000)
    shown = _rows(md)
    assert all(any(f"Deployment/default/crit-{i} " in r for r in shown) for i in range(5))
    assert not any("waived-" in r for r in shown)  # exempt ones go before any open one
    assert "left out:" in md and "20 exempt" in md
