"""Findings ↔ CSV.

Every column of the findings schema, in its fixed order (a diff's ``status``,
``severity_before`` and ``severity_after`` follow). Files are UTF-8 *with a byte
order mark*: without it Excel guesses the legacy code page and mangles every
non-ASCII character; pandas, Python's csv module and most tools skip the mark.
Text written to stdout carries no mark.

``exempt`` is ``true``/``false``, ``practice`` a number, missing values an empty
cell (an empty string reads back as missing too).

Spreadsheet safety: a cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return would be run as a formula by Excel or LibreOffice (CSV
injection); such a cell is written with a leading ``'``. :func:`read` strips
that guard again, so a round trip gives back the original text.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

import pandas as pd

from ._common import columns, guard, is_na, typed, unguard


def _cell(v: object) -> str:
    if is_na(v):
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return guard(str(v)) if isinstance(v, str) else str(v)


def findings_csv(findings: pd.DataFrame) -> str:
    """The findings as CSV text (no byte order mark; :func:`write` adds it)."""
    cols = columns(findings)
    return table_csv(findings[cols])


def table_csv(df: pd.DataFrame) -> str:
    """Any frame as CSV text, spreadsheet-guarded; lists and dicts as their text."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([str(c) for c in df.columns])
    for row in df.itertuples(index=False, name=None):
        w.writerow([_cell(_flat(v)) for v in row])
    return buf.getvalue()


def _flat(v: Any) -> Any:
    if isinstance(v, (list, tuple)) or (hasattr(v, "tolist") and not isinstance(v, str) and bool(getattr(v, "ndim", 0))):
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
    data = {c: [unguard(r[i]) if i < len(r) and r[i] != "" else None for r in body] for i, c in enumerate(header)}
    df = pd.DataFrame(data, columns=header)
    columns(df)  # raises when a schema column is missing
    return typed(df)
