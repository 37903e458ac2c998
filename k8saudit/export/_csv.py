"""Findings ↔ CSV.

Every column of the findings schema, in its fixed order (a diff's ``status``,
``severity_before`` and ``severity_after`` follow). Files are UTF-8 *with a byte
order mark*: without it Excel guesses the legacy code page and mangles every
non-ASCII character; pandas, Python's csv module and most tools skip the mark.
Text written to stdout carries no mark.

``exempt`` is ``true``/``false``, ``practice`` a number, missing values an empty
cell (an empty string reads back as missing too).

What was not assessed travels in the same file, as rows a reader cannot miss
(a sidecar file or a comment line would be lost by CSV tools), after the findings:

- ``kind`` ``(not assessed)``: one row per check without a complete verdict;
  ``name`` is its status (``not_assessable``, ``partial``, ``error``), ``message``
  the reason; ``severity`` is empty (it is not a finding).
- ``kind`` ``(skipped)``: one row per input the snapshot could not read or only
  noted; ``title`` is the category (``forbidden``, ``parse_error``,
  ``not_kubernetes``, ...), ``namespace``/``name`` the object when known,
  ``message`` the reason, ``evidence`` a JSON object with ``source``, ``document``
  and ``kind``.

No Kubernetes kind has parentheses, so ``df[~df.kind.str.startswith("(")]`` keeps
the findings; :func:`read` moves these rows back into ``attrs`` (``not_assessed``,
``skipped``), so the findings read back are exactly the findings written.

Spreadsheet safety: a cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return would be run as a formula by Excel or LibreOffice (CSV
injection); such a cell is written with a leading ``'``. :func:`read` strips
that guard again, so a round trip gives back the original text.

Characters that reorder or hide text (bidirectional controls such as U+202E, zero-width
characters) and control characters are written as visible escapes (``\\u202e``);
:func:`read` turns them back.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

from .._util import unvisible, visible
from ..checks import CHECKS
from ..findings import finding_id
from ..vocab import SKIPPED_COLUMNS
from ._common import columns, guard, is_na, not_assessed_checks, skipped_input, text, typed, unguard
from ._registry import Format, register

NOT_ASSESSED_KIND = "(not assessed)"
SKIPPED_KIND = "(skipped)"


def _cell(v: object) -> str:
    if is_na(v):
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return guard(visible(v)) if isinstance(v, str) else str(v)


def findings_csv(findings: pd.DataFrame) -> str:
    """The findings as CSV text (no byte order mark; :func:`write` adds it)."""
    cols = columns(findings)
    extra = _coverage_rows(findings, cols)
    return table_csv(
        pd.concat([findings[cols].astype(object), extra], ignore_index=True) if len(extra) else findings[cols]
    )


def _coverage_rows(findings: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """The ``(not assessed)`` and ``(skipped)`` rows (see the module docstring)."""
    rows: list[dict[str, Any]] = []
    g: Any
    for g in not_assessed_checks(findings).itertuples(index=False):
        cid = text(g.check_id)
        c = CHECKS.get(cid)
        rows.append(
            {
                "cluster": g.cluster,
                "check_id": cid,
                "practice": None if is_na(g.practice) else int(g.practice),
                "title": c.title if c is not None else None,
                "kind": NOT_ASSESSED_KIND,
                "name": g.status,
                "message": g.reason,
                "exempt": False,
                "finding_id": finding_id(text(g.cluster), cid, NOT_ASSESSED_KIND, "", text(g.status), ""),
            }
        )
    r: Any
    for r in skipped_input(findings).itertuples(index=False):
        ev = {"source": r.source, "document": r.document, "kind": r.kind}
        ev = {k: (None if is_na(v) else str(v)) for k, v in ev.items()}
        rows.append(
            {
                "cluster": r.cluster,
                "title": r.category,
                "kind": SKIPPED_KIND,
                "namespace": r.namespace,
                "name": r.name,
                "message": r.reason,
                "evidence": json.dumps(ev, ensure_ascii=False),
                "exempt": False,
                "finding_id": finding_id(
                    text(r.cluster), "", SKIPPED_KIND, text(r.namespace), text(r.name), json.dumps(ev) + text(r.reason)
                ),
            }
        )
    return pd.DataFrame(rows, columns=cols, dtype=object)


def table_csv(df: pd.DataFrame) -> str:
    """Any frame as CSV text, spreadsheet-guarded; lists and dicts as their text."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([visible(str(c)) for c in df.columns])
    for row in df.itertuples(index=False, name=None):
        w.writerow([_cell(_flat(v)) for v in row])
    return buf.getvalue()


def _flat(v: Any) -> Any:
    if isinstance(v, (list, tuple)) or (
        hasattr(v, "tolist") and not isinstance(v, str) and bool(getattr(v, "ndim", 0))
    ):
        items = v.tolist() if hasattr(v, "tolist") else list(v)
        return ", ".join(str(x) for x in items)
    if isinstance(v, dict):
        return ", ".join(f"{k}={x}" for k, x in v.items())
    return v


def write(findings: pd.DataFrame, path: Path) -> None:
    path.write_text(findings_csv(findings), encoding="utf-8-sig", newline="")


def read(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A CSV export back into the findings DataFrame (dtypes included)."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        from . import ExportError

        raise ExportError(f"{path}: empty file, not a findings export")
    header, body = rows[0], rows[1:]
    data = {
        c: [unvisible(unguard(r[i])) if i < len(r) and r[i] != "" else None for r in body] for i, c in enumerate(header)
    }
    df = pd.DataFrame(data, columns=header)
    columns(df)  # raises when a schema column is missing
    gaps = df["kind"] == NOT_ASSESSED_KIND
    lost = df["kind"] == SKIPPED_KIND
    out = typed(df[~(gaps | lost)].reset_index(drop=True))
    if gaps.any():
        out.attrs["not_assessed"] = [
            {
                "cluster": r["cluster"],
                "check_id": r["check_id"],
                "practice": None if r["practice"] is None else int(r["practice"]),
                "status": r["name"],
                "reason": r["message"],
            }
            for r in df[gaps].to_dict("records")
        ]
    if lost.any():
        recs = []
        for r in df[lost].to_dict("records"):
            try:
                ev = json.loads(r["evidence"] or "{}")
            except ValueError:
                ev = {"source": r["evidence"]}
            recs.append(
                {
                    "cluster": r["cluster"],
                    "source": ev.get("source"),
                    "document": ev.get("document"),
                    "kind": ev.get("kind"),
                    "namespace": r["namespace"],
                    "name": r["name"],
                    "category": r["title"],
                    "reason": r["message"],
                }
            )
        out.attrs["skipped"] = [{c: x.get(c) for c in SKIPPED_COLUMNS} for x in recs]
    return out


register(
    Format(
        "csv",
        (".csv",),
        text=lambda findings, snapshot: findings_csv(findings),
        write=lambda findings, path, snapshot: write(findings, path),
        read=read,
        description="one row per finding; reads back with read_findings",
    )
)
