"""The trainer's view of a workshop: which exercises each trainee has solved.

Every re-check, hint and solution shown by an exercise widget is recorded in a
small JSON file on the trainee's machine (never in the checkout):

- ``$K8SAUDIT_PROGRESS`` when set (a file path), else
- ``$XDG_DATA_HOME/k8saudit/progress.json`` (``~/.local/share/k8saudit/progress.json``).

The trainee's name is ``$K8SAUDIT_TRAINEE``, else the login name.

>>> import k8saudit as ka
>>> ka.workshop.progress()                 # this trainee: solved, attempts, hints, solution seen
>>> ka.workshop.hand_in("/shared/class")   # copy the file to the class folder as <trainee>.json

A trainer collects the files of a class in one folder and merges them:
``k8saudit workshop report DIR`` (or ``ka.workshop.report(DIR)``). No server, nothing leaves a machine
unless a trainee copies the file.
"""

from __future__ import annotations

import getpass
import html
import json
import os
import shutil
import tempfile
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

PROGRESS_ENV = "K8SAUDIT_PROGRESS"
TRAINEE_ENV = "K8SAUDIT_TRAINEE"
FORMAT_VERSION = 1
PRACTICE_IDS = tuple(range(1, 11))
EVENTS = ("attempt", "hint", "solution")


class ProgressError(ValueError):
    """A progress file that cannot be read (the message names the file)."""


def progress_path() -> Path:
    """Where this trainee's progress is kept (see the module's documentation)."""
    env = os.environ.get(PROGRESS_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME", "").strip() or str(Path.home() / ".local" / "share")
    return Path(base) / "k8saudit" / "progress.json"


def trainee() -> str:
    name = os.environ.get(TRAINEE_ENV, "").strip()
    if name:
        return name
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "trainee"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_progress(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A progress file as a dict; ProgressError (naming the file) when it is not one."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise ProgressError(f"{p}: cannot read: {e.strerror or e}") from None
    except ValueError as e:
        raise ProgressError(f"{p}: not a k8saudit progress file (invalid JSON: {e})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("exercises"), dict) or "trainee" not in doc:
        raise ProgressError(f"{p}: not a k8saudit progress file (needs `trainee` and `exercises`)")
    for key, ex in doc["exercises"].items():
        if not (str(key).isdigit() and int(key) in PRACTICE_IDS and isinstance(ex, dict)):
            raise ProgressError(f"{p}: exercise {key!r} is not one of the practices 1-10")
    return doc


def _empty() -> dict[str, Any]:
    return {"version": FORMAT_VERSION, "trainee": trainee(), "exercises": {}}


def record(
    practice: int,
    event: str,
    *,
    passed: bool | None = None,
    level: int | None = None,
    path: str | os.PathLike[str] | None = None,
) -> dict[str, Any] | None:
    """Note one event of an exercise: ``attempt`` (with ``passed``), ``hint`` (``level``) or ``solution``.

    Never breaks the exercise: a file that cannot be written gives a warning and None."""
    if event not in EVENTS:
        raise ValueError(f"event must be one of {EVENTS}, not {event!r}")
    p = Path(path) if path is not None else progress_path()
    try:
        doc = read_progress(p) if p.exists() else _empty()
    except ProgressError as e:
        warnings.warn(f"{e}; starting a new one", stacklevel=2)
        doc = _empty()
    ex = doc["exercises"].setdefault(
        str(practice), {"attempts": 0, "hints": 0, "solution_shown": False, "solved": False, "solved_at": None}
    )
    now = _now()
    if event == "attempt":
        ex["attempts"] = int(ex.get("attempts", 0)) + 1
        ex["last_attempt_at"] = now
        if passed and not ex.get("solved"):
            ex["solved"], ex["solved_at"] = True, now
            ex["solution_seen_first"] = bool(ex.get("solution_shown"))
    elif event == "hint":
        ex["hints"] = max(int(ex.get("hints", 0)), int(level or 1))
    else:
        ex["solution_shown"] = True
    doc["updated_at"] = now
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".progress-", dir=p.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=1, sort_keys=True)
        os.replace(tmp, p)
    except OSError as e:
        warnings.warn(f"{p}: cannot save workshop progress: {e.strerror or e}", stacklevel=2)
        return None
    return doc


def _status(ex: dict[str, Any] | None) -> str:
    if not ex:
        return ""
    if ex.get("solved"):
        note = (
            "after the solution"
            if ex.get("solution_seen_first")
            else (f"{ex.get('hints')} hint(s)" if ex.get("hints") else "")
        )
        return "solved" + (f" ({note})" if note else "")
    return f"tried ({ex.get('attempts', 0)}x)" if ex.get("attempts") else "opened hints"


def _rows(doc: dict[str, Any]) -> pd.DataFrame:
    from .exercises import EXERCISES

    rows = []
    for p in PRACTICE_IDS:
        ex = doc["exercises"].get(str(p)) or {}
        rows.append(
            {
                "practice": p,
                "exercise": EXERCISES[p].title if p in EXERCISES else "",
                "solved": bool(ex.get("solved")),
                "attempts": int(ex.get("attempts", 0)),
                "hints": int(ex.get("hints", 0)),
                "solution_shown": bool(ex.get("solution_shown")),
                "solved_at": ex.get("solved_at"),
                "status": _status(ex),
            }
        )
    return pd.DataFrame(rows)


class Progress:
    """One trainee's progress: ``.frame`` (one row per exercise), shown as a table in a notebook."""

    def __init__(self, doc: dict[str, Any], path: Path) -> None:
        self.doc, self.path = doc, path
        self.trainee = str(doc.get("trainee"))
        self.frame = _rows(doc)

    @property
    def solved(self) -> list[int]:
        return [int(p) for p in self.frame.loc[self.frame["solved"], "practice"]]

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{r.practice}</td><td style='text-align:left'>{html.escape(r.exercise)}</td>"
            f"<td>{'✔' if r.solved else ''}</td><td>{r.attempts}</td><td>{r.hints}</td>"
            f"<td>{'yes' if r.solution_shown else ''}</td></tr>"
            for r in self.frame.itertuples()
        )
        return (
            f"<p><b>{html.escape(self.trainee)}</b>: {len(self.solved)} of {len(self.frame)} exercises solved "
            f"<span style='color:#6b7280'>(kept in <code>{html.escape(str(self.path))}</code>)</span></p>"
            "<table><thead><tr><th>practice</th><th style='text-align:left'>exercise</th><th>solved</th>"
            f"<th>attempts</th><th>hints</th><th>solution seen</th></tr></thead><tbody>{rows}</tbody></table>"
        )

    def __repr__(self) -> str:
        return f"{self.trainee}: {len(self.solved)} of {len(self.frame)} exercises solved ({self.path})\n" + self.frame[
            ["practice", "exercise", "status"]
        ].to_string(index=False)


def progress(path: str | os.PathLike[str] | None = None) -> Progress:
    """This trainee's progress (an empty one before the first exercise)."""
    p = Path(path) if path is not None else progress_path()
    return Progress(read_progress(p) if p.exists() else _empty(), p)


def hand_in(folder: str | os.PathLike[str], path: str | os.PathLike[str] | None = None) -> Path:
    """Copy this trainee's progress file to ``folder/<trainee>.json`` (the class folder a trainer reports on)."""
    src = Path(path) if path is not None else progress_path()
    doc = read_progress(src) if src.exists() else _empty()
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in str(doc["trainee"])) or "trainee"
    dest = Path(folder) / f"{safe}.json"
    dest.parent.mkdir(parents=True, exist_ok=True)
    if src.exists():
        shutil.copyfile(src, dest)
    else:
        dest.write_text(json.dumps(doc, indent=1, sort_keys=True), encoding="utf-8")
    return dest


def report(folder: str | os.PathLike[str]) -> tuple[pd.DataFrame, list[str]]:
    """Merge the progress files (``*.json``, searched recursively) of a class folder.

    Returns one row per trainee (a column per practice with its status, and ``solved``: how many), and the
    files that could not be read, each with the reason. Two files of the same trainee are merged."""
    root = Path(folder)
    if not root.is_dir():
        raise ProgressError(f"{root}: no such folder")
    merged: dict[str, dict[str, Any]] = {}
    errors: list[str] = []
    for f in sorted(root.rglob("*.json")):
        try:
            doc = read_progress(f)
        except ProgressError as e:
            errors.append(str(e))
            continue
        mine = merged.setdefault(str(doc["trainee"]), {})
        for key, ex in doc["exercises"].items():
            cur = mine.setdefault(key, {"attempts": 0, "hints": 0, "solution_shown": False, "solved": False})
            cur["attempts"] += int(ex.get("attempts", 0))
            cur["hints"] = max(cur["hints"], int(ex.get("hints", 0)))
            cur["solution_shown"] = cur["solution_shown"] or bool(ex.get("solution_shown"))
            if ex.get("solved") and not cur["solved"]:
                cur["solved"], cur["solution_seen_first"] = True, bool(ex.get("solution_seen_first"))
    rows = []
    for name in sorted(merged):
        row: dict[str, Any] = {"trainee": name}
        for p in PRACTICE_IDS:
            row[str(p)] = _status(merged[name].get(str(p)))
        row["solved"] = sum(bool(ex.get("solved")) for ex in merged[name].values())
        rows.append(row)
    return pd.DataFrame(rows, columns=["trainee", *map(str, PRACTICE_IDS), "solved"]), errors
