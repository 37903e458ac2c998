"""Findings ↔ JSON.

The file is one object with stable keys::

    {"generator": "k8saudit", "version": "0.1.0", "format": "k8saudit-findings",
     "generated_at": "...", "clusters": ["prod"], "captured_at": "...",
     "findings": [{"cluster": ..., "check_id": ..., ..., "finding_id": ...}],
     "stats": [{"cluster": ..., "check_id": ..., "evaluated": 12, "failing": 1, ...}],
     "partial": false,
     "not_assessed": [{"cluster": ..., "check_id": ..., "status": "not_assessable", "reason": ...}],
     "skipped": [{"cluster": ..., "source": ..., "kind": ..., "category": "forbidden", "reason": ...}],
     "expired_waivers": [...]}

``partial`` is true when some check gave no complete verdict; ``not_assessed`` lists
those checks and why, ``skipped`` what the snapshot could not read (or only noted).

An envelope rather than bare records, so the file says what produced it and
carries what the scorecard needs (``stats``): :func:`read` restores them into
``findings.attrs``. Each finding has every column of the schema in its fixed
order; ``practice`` is a number, ``exempt`` a boolean, missing values ``null``.
:func:`read` also accepts a bare list of such records.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import pandas as pd

from ..findings import check_stats
from ..vocab import FINDINGS_COLUMNS, NOT_ASSESSED_COLUMNS, SKIPPED_COLUMNS, STATS_COLUMNS
from ._common import (
    captured_at,
    clusters,
    column_values,
    columns,
    generated_at,
    not_assessed_checks,
    plain,
    records,
    skipped_input,
    typed,
    version,
)
from ._registry import Format, register

if TYPE_CHECKING:
    from ..snapshot import Snapshot

FORMAT = "k8saudit-findings"


def document(findings: pd.DataFrame, snapshot: Snapshot | None = None) -> dict[str, Any]:
    doc = _envelope(findings, snapshot)
    doc["findings"] = records(findings[columns(findings)])
    return doc


def _envelope(findings: pd.DataFrame, snapshot: Snapshot | None) -> dict[str, Any]:
    """The document with an empty ``findings`` list: what the file says besides the findings."""
    columns(findings)
    stats = check_stats(findings)
    gaps = not_assessed_checks(findings)
    return {
        "generator": "k8saudit",
        "version": version(),
        "format": FORMAT,
        "generated_at": generated_at(),
        "clusters": clusters(findings, snapshot),
        "captured_at": captured_at(findings, snapshot),
        "findings": [],
        "stats": records(stats) if stats is not None else [],
        "partial": bool(len(gaps)),
        "not_assessed": records(gaps),
        "skipped": records(skipped_input(findings)),
        "expired_waivers": [plain(w) for w in findings.attrs.get("expired_waivers") or []],
    }


#: findings are encoded this many at a time, so a 400k-finding export never holds every record as dicts at once
_CHUNK = 20_000
#: orjson's two-space indentation is the layout of ``json.dumps(doc, indent=2, ensure_ascii=False)``
_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY
_EMPTY = b'"findings": []'
_NESTED_OPEN, _NESTED_CLOSE = b"[\n  [", b"\n  ]\n]"
_LIST_OPEN, _LIST_CLOSE = b"[\n  ", b"\n]"


def chunks(findings: pd.DataFrame, snapshot: Snapshot | None = None) -> Iterator[bytes]:
    """The JSON document as UTF-8 pieces: the envelope around the findings, encoded ``_CHUNK`` at a time and
    indented as inside the whole document (each piece is the chunk's list without its brackets, encoded one level in)."""
    head = orjson.dumps(_envelope(findings, snapshot), option=_OPTIONS)
    before, sep, after = head.partition(_EMPTY)
    assert sep, "the envelope has a findings list"
    if findings.empty:
        yield head + b"\n"
        return
    yield before + b'"findings": ['
    table = pd.DataFrame(findings, copy=False)[columns(findings)]  # (without the attrs: see records())
    for start in range(0, len(table), _CHUNK):
        yield (b"," if start else b"") + _records_in_document(table.iloc[start : start + _CHUNK])
    yield b"\n  ]" + after + b"\n"


def _records_in_document(table: pd.DataFrame) -> bytes:
    """The rows as the document's findings list holds them, brackets off: b'\\n    {...},\\n    {...}'.

    Column by column: orjson encodes each column's values once, as a list, and the records are stitched from
    the pieces (no dict per row). A column holding a value that is not one line (a non-empty list or dict) is
    not cut so: then the rows are encoded as records."""
    keys = [orjson.dumps(str(c)) for c in table.columns]
    values = [_one_line_values(column_values(table.iloc[:, i])) for i in range(table.shape[1])]
    if any(v is None for v in values):
        # the chunk's list inside another list is indented as inside the document: b'[\n  [\n    {...},\n    {...}\n
        # ]\n]' → b'\n    {...},\n    {...}' (both brackets off; no line written again to shift it)
        part = orjson.dumps([records(table)], option=_OPTIONS)
        return part[len(_NESTED_OPEN) : -len(_NESTED_CLOSE)]
    # each row: b'\n    {\n      "k1": v1,\n      "k2": v2\n    }', the rows joined by b','
    row = b"\n    {" + b",".join(b"\n      " + k.replace(b"%", b"%%") + b": %s" for k in keys) + b"\n    }"
    return b",".join([row % r for r in zip(*values, strict=True)])


def _one_line_values(values: list[Any]) -> list[bytes] | None:
    """Each value's JSON, cut from one orjson list (b'[\\n  v1,\\n  v2\\n]'): None when a value spans lines."""
    body = orjson.dumps(values, option=_OPTIONS)[len(_LIST_OPEN) : -len(_LIST_CLOSE)]
    if body.count(b"\n") != len(values) - 1:  # a text's newline is written \\n: the lines are the separators alone
        return None
    return body.split(b",\n  ")


def findings_json(findings: pd.DataFrame, snapshot: Snapshot | None = None) -> str:
    return b"".join(chunks(findings, snapshot)).decode("utf-8")


def table_json(df: pd.DataFrame) -> str:
    """Any frame as a JSON list of records (index dropped)."""
    return orjson.dumps(records(df), option=_OPTIONS).decode("utf-8") + "\n"


def read(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A JSON export (envelope or bare records) back into the findings DataFrame."""
    from . import ExportError

    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as e:
        raise ExportError(f"{path}: not a readable JSON findings export ({e})") from None
    if isinstance(doc, dict):
        if "findings" not in doc:
            raise ExportError(f"{path}: JSON has no `findings` list; not a k8saudit findings export")
        recs = doc["findings"]
    else:
        doc, recs = {}, doc
    if not isinstance(recs, list) or not all(isinstance(r, dict) for r in recs):
        raise ExportError(f"{path}: `findings` must be a list of objects")
    order = list(dict.fromkeys(k for r in recs for k in r))
    missing = [c for c in FINDINGS_COLUMNS if c not in order]
    if recs and missing:
        raise ExportError(f"{path}: findings lack column(s) {', '.join(missing)}")
    cols = FINDINGS_COLUMNS + [c for c in order if c not in FINDINGS_COLUMNS]
    df = typed(pd.DataFrame([[r.get(c) for c in cols] for r in recs], columns=cols))
    if doc.get("clusters"):
        df.attrs["clusters"] = list(doc["clusters"])
    if doc.get("captured_at"):
        df.attrs["captured_at"] = doc["captured_at"]
    if doc.get("stats"):
        df.attrs["stats"] = [{c: r.get(c) for c in STATS_COLUMNS} for r in doc["stats"]]
    if doc.get("skipped"):
        df.attrs["skipped"] = [{c: r.get(c) for c in SKIPPED_COLUMNS} for r in doc["skipped"]]
    if doc.get("not_assessed"):
        df.attrs["not_assessed"] = [{c: r.get(c) for c in NOT_ASSESSED_COLUMNS} for r in doc["not_assessed"]]
    if doc.get("expired_waivers"):
        df.attrs["expired_waivers"] = list(doc["expired_waivers"])
    return df


register(
    Format(
        "json",
        (".json",),
        text=findings_json,
        chunks=chunks,
        read=read,
        description="findings, check statistics and metadata; reads back with read_findings",
    )
)
