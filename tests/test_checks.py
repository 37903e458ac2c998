"""Every check against its fixture folder: tests/checks/<check-id>/{pass,fail}-*.yaml.

A ``fail-*`` manifest must make the check fire (``# expect: N`` on any line pins the
exact count), a ``pass-*`` manifest must not; both must be *evaluated* (at least one
object), so an empty input cannot pass.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import k8saudit as ka
from k8saudit.checks import CHECKS
from k8saudit.findings import audit, check_stats

FIXTURES = Path(__file__).parent / "checks"
CASES = sorted(p for p in FIXTURES.glob("*/*.yaml") if p.name.startswith(("pass-", "fail-")))
EXPECT = re.compile(r"^#\s*expect:\s*(\d+)\s*$", re.MULTILINE)


@pytest.mark.parametrize("case", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_check_fixture(case: Path) -> None:
    check_id = case.parent.name
    assert check_id in CHECKS, f"fixture folder {check_id} names no check"
    snap = ka.load(case)
    assert snap.skipped.empty, snap.skipped.to_string()
    findings = audit(snap, checks=[check_id], default_exemptions=False)
    stats = check_stats(findings).set_index("check_id").loc[check_id]
    assert stats["status"] in ("pass", "fail"), f"{check_id}: {stats['status']}: {stats['reason']}"
    assert stats["evaluated"] >= 1, f"{check_id} evaluated nothing in {case.name}"
    mine = findings[findings.check_id == check_id]
    if case.name.startswith("fail-"):
        assert len(mine) >= 1, f"{check_id} did not fire on {case.name}"
        m = EXPECT.search(case.read_text())
        if m:
            assert len(mine) == int(m.group(1)), mine[["kind", "namespace", "name", "container", "message"]].to_string()
    else:
        assert mine.empty, (
            f"{check_id} fired on {case.name}:\n" + mine[["kind", "name", "container", "message"]].to_string()
        )


def test_every_check_has_pass_and_fail_fixtures() -> None:
    missing = []
    for cid in CHECKS:
        names = [p.name for p in (FIXTURES / cid).glob("*.yaml")]
        if not any(n.startswith("pass-") for n in names) or not any(n.startswith("fail-") for n in names):
            missing.append(cid)
    assert not missing, f"checks without both pass-* and fail-* fixtures: {missing}"


@pytest.mark.parametrize("check_id", list(CHECKS), ids=str)
def test_a_check_over_empty_frames_finds_nothing(check_id: str, sample_snap: ka.Snapshot) -> None:
    """Checks hold no `if bad.empty: return none()` boilerplate: over empty frames each still returns
    an empty table the runner accepts (the snapshot itself, for checks that read it, is the sample's)."""
    c = CHECKS[check_id]
    if "snap" in c.params:
        pytest.skip("reads the snapshot itself")
    out = c.fn(**{p: sample_snap.frame(p).iloc[:0] for p in c.params})
    assert isinstance(out, pd.DataFrame) and len(out) == 0


CATALOG = Path(__file__).resolve().parents[1] / "CHECKS.md"


@pytest.mark.parametrize("check_id", list(CHECKS), ids=str)
def test_a_check_is_complete(check_id: str) -> None:
    """Every step of README's "Adding a check": fixtures where it fires and where it does not, a fix, a catalog entry."""
    from k8saudit.fixes import FIXES

    names = [p.name for p in (FIXTURES / check_id).glob("*.yaml")]
    missing = [
        what
        for what, ok in [
            (f"tests/checks/{check_id}/fail-*.yaml", any(n.startswith("fail-") for n in names)),
            (f"tests/checks/{check_id}/pass-*.yaml", any(n.startswith("pass-") for n in names)),
            ("a fix declared with it (check(..., fix=...))", check_id in FIXES),
            ("an entry in CHECKS.md (make catalog)", f"### `{check_id}`" in CATALOG.read_text()),
        ]
        if not ok
    ]
    assert not missing, f"{check_id} lacks: {'; '.join(missing)}"
