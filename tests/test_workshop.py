"""The trainer's view: progress recorded by the exercise widgets, one trainee's table, a class report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import k8saudit as ka
from k8saudit.cli import main
from k8saudit.exercises import EXERCISES, exercise
from k8saudit.workshop import ProgressError, progress_path, read_progress, record, report


@pytest.fixture()
def trainee(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "home" / "progress.json"
    monkeypatch.setenv("K8SAUDIT_PROGRESS", str(path))
    monkeypatch.setenv("K8SAUDIT_TRAINEE", "alice")
    return path


def test_progress_location_is_documented_and_overridable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("K8SAUDIT_PROGRESS", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert progress_path() == tmp_path / "xdg" / "k8saudit" / "progress.json"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert progress_path() == Path.home() / ".local" / "share" / "k8saudit" / "progress.json"
    monkeypatch.setenv("K8SAUDIT_PROGRESS", str(tmp_path / "p.json"))
    assert progress_path() == tmp_path / "p.json"
    assert "K8SAUDIT_PROGRESS" in ka.workshop.__doc__ and ".local/share/k8saudit/progress.json" in ka.workshop.__doc__


def test_the_widgets_record_attempts_hints_solution_and_solving(trainee: Path) -> None:
    assert ka.workshop.progress().solved == [] and not trainee.exists()
    ex = exercise(8)
    ex.check()  # the broken manifest: an attempt, not solved
    ex.hint()
    ex.check(EXERCISES[8].solution)
    ex4 = exercise(4)
    ex4.check()
    ex4.hint(), ex4.hint(), ex4.hint()  # two hints, then the solution
    doc = read_progress(trainee)
    assert doc["trainee"] == "alice"
    assert doc["exercises"]["8"]["attempts"] == 2 and doc["exercises"]["8"]["solved"]
    assert doc["exercises"]["8"]["hints"] == 1 and not doc["exercises"]["8"]["solution_shown"]
    assert doc["exercises"]["4"] == {**doc["exercises"]["4"], "solved": False, "hints": 2, "solution_shown": True}
    p = ka.workshop.progress()
    assert p.solved == [8] and p.trainee == "alice"
    row = p.frame.set_index("practice").loc[8]
    assert row["attempts"] == 2 and row["status"] == "solved (1 hint(s))"
    assert "1 of 10 exercises solved" in p._repr_html_() and str(trainee) in p._repr_html_()
    ex4.check(EXERCISES[4].solution)
    assert ka.workshop.progress().frame.set_index("practice").loc[4, "status"] == "solved (after the solution)"


def test_a_later_failed_attempt_keeps_an_exercise_solved(trainee: Path) -> None:
    record(3, "attempt", passed=True)
    record(3, "attempt", passed=False)
    assert ka.workshop.progress().solved == [3]


def test_a_damaged_progress_file_is_named_and_replaced(trainee: Path) -> None:
    trainee.parent.mkdir(parents=True)
    trainee.write_text("{not json")
    with pytest.raises(ProgressError, match=str(trainee)):
        read_progress(trainee)
    with pytest.warns(UserWarning, match="not a k8saudit progress file"):
        record(2, "attempt", passed=True)
    assert ka.workshop.progress().solved == [2]


def test_an_unwritable_location_warns_and_never_breaks_the_exercise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("K8SAUDIT_PROGRESS", str(blocker / "sub" / "progress.json"))
    ex = exercise(2)
    with pytest.warns(UserWarning, match="cannot save workshop progress"):
        ex.check(EXERCISES[2].solution)
    assert ex.passed


def _trainee(folder: Path, name: str, solved: dict[int, dict], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("K8SAUDIT_TRAINEE", name)
    own = folder.parent / f"{name}-own.json"
    for practice, how in solved.items():
        for _ in range(how.get("hints", 0)):
            record(practice, "hint", level=1 + _, path=own)
        if how.get("solution"):
            record(practice, "solution", path=own)
        record(practice, "attempt", passed=how.get("passed", True), path=own)
    monkeypatch.setenv("K8SAUDIT_PROGRESS", str(own))
    ka.workshop.hand_in(folder)


def test_class_report_merges_every_trainee(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    room = tmp_path / "class"
    _trainee(room, "alice", {1: {}, 8: {"hints": 2}}, monkeypatch)
    _trainee(room, "bob", {8: {"solution": True}, 3: {"passed": False}}, monkeypatch)
    _trainee(room, "carol", {}, monkeypatch)
    (room / "notes.json").write_text('{"hello": 1}')  # not a progress file: named, skipped
    df, errors = report(room)
    assert list(df["trainee"]) == ["alice", "bob", "carol"]
    by = df.set_index("trainee")
    assert (
        by.loc["alice", "1"] == "solved"
        and by.loc["alice", "8"] == "solved (2 hint(s))"
        and by.loc["alice", "solved"] == 2
    )
    assert by.loc["bob", "8"] == "solved (after the solution)" and by.loc["bob", "3"] == "tried (1x)"
    assert by.loc["bob", "solved"] == 1 and by.loc["carol", "solved"] == 0 and by.loc["carol", "8"] == ""
    assert len(errors) == 1 and "notes.json" in errors[0]

    assert main(["workshop", "report", str(room)]) == 0
    out, err = capsys.readouterr()
    assert "alice" in out and "bob" in out and "3 trainees" in out and "notes.json" in err
    assert main(["workshop", "report", str(room), "--format", "csv"]) == 0
    csv = capsys.readouterr().out.splitlines()
    assert csv[0] == "trainee,1,2,3,4,5,6,7,8,9,10,solved" and csv[1].startswith("alice,solved,")


def test_two_files_of_one_trainee_are_merged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    room = tmp_path / "class"
    _trainee(room / "monday", "dana", {1: {}}, monkeypatch)
    _trainee(room / "tuesday", "dana", {2: {}, 1: {"passed": False}}, monkeypatch)
    df, errors = report(room)
    assert errors == [] and len(df) == 1 and df.iloc[0]["solved"] == 2 and df.iloc[0]["1"] == "solved"


def test_report_errors_are_clear(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["workshop", "report", str(tmp_path / "nope")]) == 2
    assert "no such folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["workshop", "report", str(tmp_path / "empty")]) == 2
    assert "no progress file found" in capsys.readouterr().err
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.json").write_text(json.dumps({"trainee": "x", "exercises": {"42": {}}}))
    _, errors = report(bad)
    assert errors and "x.json" in errors[0] and "'42'" in errors[0]
