"""The text report follows the terminal: its width cuts lines there, a pipe gets them whole, and --all lists
every object with its whole message."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest

import k8saudit as ka
from k8saudit import report
from k8saudit.report import LIMIT, frames_text


@pytest.fixture(scope="module")
def findings(sample_snap: ka.Snapshot) -> pd.DataFrame:
    return ka.audit(sample_snap)


def _finding_lines(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln.startswith("       ") and not ln.startswith("       …")]


@pytest.mark.parametrize("width", [60, 80, 132, 200])
def test_lines_fit_the_width_given(findings: pd.DataFrame, sample_snap: ka.Snapshot, width: int) -> None:
    out = report.text(findings, sample_snap, width=width)
    lines = _finding_lines(out)
    assert lines and all(len(ln) <= width for ln in lines), max(lines, key=len)
    scorecard = [ln for ln in out.splitlines() if ln.startswith(("   1. ", "  10. "))]
    assert len(scorecard) == 2 and all(len(ln) <= max(width, 24 + 34) for ln in scorecard)
    # wider terminals show more of each message: nothing is cut at a fixed ~100 characters
    if width == 200:
        longest = max(findings["message"].str.len())
        assert longest > 110 and any(len(ln) > 110 for ln in lines)


def test_the_terminal_width_is_the_default(findings: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "72")
    assert report.terminal_width() == 72
    assert all(len(ln) <= 72 for ln in _finding_lines(report.text(findings)))
    monkeypatch.setenv("COLUMNS", "180")
    assert max(len(ln) for ln in _finding_lines(report.text(findings))) > 110


def test_a_pipe_gets_whole_lines(findings: pd.DataFrame) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    out = subprocess.run(
        [sys.executable, "-c", "import sys; from k8saudit.cli import main; sys.exit(main())", "scan", "sample", "-q"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    ).stdout
    assert "…" not in "\n".join(_finding_lines(out))  # no line cut for a terminal that is not there
    longest = findings.loc[~findings["exempt"], "message"].map(len).idxmax()
    assert findings.loc[longest, "message"] in out


def test_all_lists_every_object_with_its_whole_message(findings: pd.DataFrame) -> None:
    live = findings[~findings["exempt"]]
    per_check = live.groupby("check_id").size()
    assert per_check.max() > LIMIT  # the sample has a check with more objects than a page shows
    short = report.text(findings, width=80)
    assert "more (-o wide or --all lists every one)" in short
    every = report.text(findings, width=80, limit=None)
    assert "more (--all" not in every and all(len(ln) <= 80 for ln in every.splitlines() if ln.startswith("       "))
    flat = " ".join(every.split())
    for msg in live["message"]:  # every message is there whole, wrapped over lines
        assert " ".join(str(msg).split()) in flat, msg


def test_frames_list_fits_100_columns() -> None:
    out = frames_text()
    assert max(len(ln) for ln in out.splitlines()) <= 100
    for frame, grp in ka.describe().groupby("frame"):  # every column and every word of its description is there
        assert f"{frame} ({len(grp)} columns)" in out
    flat = " ".join(out.split())
    for desc in ka.describe()["description"]:
        assert " ".join(str(desc).split()) in flat
