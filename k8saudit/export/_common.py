"""What every format shares: column order, the spreadsheet guard, report metadata, counts."""

from __future__ import annotations

import datetime as _dt
import math
import re
from typing import TYPE_CHECKING, Any

import pandas as pd

from .._util import plural
from ..checks import CHECKS, Check
from ..findings import CHECK_TEXT_COLUMNS, check_stats, check_text, not_assessed, scorecard, skipped_of
from ..vocab import (
    DIFF_DTYPES,
    FINDINGS_COLUMNS,
    NOTED,
    PRIORITY_DTYPES,
    SEVERITY_DTYPE,
    SEVERITY_ORDER,
    practice_label,
)

if TYPE_CHECKING:
    from ..snapshot import Snapshot

_FORMULA_START = re.compile(r"^'*[=+\-@\t\r]")
_GUARDED = re.compile(r"^'+[=+\-@\t\r]")


def version() -> str:
    from .. import __version__

    return __version__


def columns(df: pd.DataFrame) -> list[str]:
    """The schema's columns in their fixed order, then any extra ones (``status`` of a diff) as they come."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected the findings DataFrame (ka.audit(...)), not {type(df).__name__}")
    missing = [c for c in FINDINGS_COLUMNS if c not in df.columns]
    if missing:
        from . import ExportError

        raise ExportError(f"not a findings table: missing column(s) {', '.join(missing)}")
    return FINDINGS_COLUMNS + [c for c in df.columns if c not in FINDINGS_COLUMNS]


def guard(text: str) -> str:
    """Neutralise a spreadsheet formula: a cell starting with = + - @ tab or CR gets a leading ``'``.

    A value that already starts with quotes before such a character gets one more,
    so :func:`unguard` gives back exactly the original text.
    """
    return "'" + text if _FORMULA_START.match(text) else text


def formula_like(text: str) -> bool:
    """Whether a spreadsheet could take ``text`` for a formula (it starts with = + - @ tab or CR)."""
    return text[:1] in ("=", "+", "-", "@", "\t", "\r")


def unguard(text: str) -> str:
    return text[1:] if _GUARDED.match(text) else text


def is_na(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, float) and math.isnan(v)


def text(v: Any) -> str:
    """A cell as text: missing → ``""``."""
    return "" if is_na(v) else str(v)


def plain(v: Any) -> Any:
    """A value as a JSON-able Python object (numpy scalars, timestamps, dates, lists)."""
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if hasattr(v, "tolist") and not isinstance(v, (str, bytes)):  # numpy scalars and arrays
        return plain(v.tolist())
    if is_na(v):
        return None
    if isinstance(v, (pd.Timestamp, _dt.datetime, _dt.date)):
        return v.isoformat()
    if isinstance(v, (str, int, float, bool)):
        return v
    return str(v)


#: what ``infer_dtype`` calls a column whose values are JSON-able as they are (with None for missing)
_PLAIN_KINDS = frozenset({"string", "integer", "boolean", "floating", "mixed-integer-float", "empty"})


def column_values(s: pd.Series) -> list[Any]:
    """A column's values as JSON-able Python objects (:func:`plain` of each), missing → None: one conversion per
    column (text, numbers, booleans, categoricals pass as they are), :func:`plain` per value only for the rest."""
    values = s.to_numpy(dtype=object, na_value=None)
    if pd.api.types.infer_dtype(values, skipna=True) in _PLAIN_KINDS:
        out: list[Any] = values.tolist()
        if s.dtype.kind == "f":  # NaN (a float column's missing value) → None, as plain() has it
            out = [None if v != v else v for v in out]
        return out
    return [plain(v) for v in values]


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows as dicts of JSON-able values (:func:`plain`), built column by column."""
    cols = [str(c) for c in df.columns]
    data = pd.DataFrame(df, copy=False)  # the same columns without the attrs pandas deep-copies into each one taken
    values = [column_values(data.iloc[:, i]) for i in range(data.shape[1])]
    return [dict(zip(cols, row)) for row in zip(*values)] if cols else [{} for _ in range(len(df))]


def check_of(check_id: str) -> Check | None:
    try:
        return CHECKS[check_id]
    except KeyError:
        return None


def object_ref(kind: Any, namespace: Any, name: Any) -> str:
    """``Kind/namespace/name``, or ``Kind/name`` for cluster-scoped objects."""
    parts = [text(kind), text(namespace), text(name)]
    return "/".join(p for p in parts if p)


def clusters(findings: pd.DataFrame, snapshot: Snapshot | None = None) -> list[str]:
    if snapshot is not None:
        return list(snapshot.clusters)
    named = findings.attrs.get("clusters")
    if named:
        return [str(c) for c in named]
    return sorted({str(c) for c in findings["cluster"].dropna()}) if "cluster" in findings else []


def captured_at(findings: pd.DataFrame, snapshot: Snapshot | None = None) -> str | None:
    if snapshot is not None:
        return snapshot.captured_at
    at = findings.attrs.get("captured_at")
    return str(at) if at else None


def generated_at() -> str:
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def severity_counts(findings: pd.DataFrame) -> pd.DataFrame:
    """Per severity, worst first: findings, open (not exempt), exempt."""
    sev = findings["severity"].astype("string")
    ex = findings["exempt"].astype(bool)
    rows = [
        {
            "severity": s,
            "findings": int((sev == s).sum()),
            "open": int(((sev == s) & ~ex).sum()),
            "exempt": int(((sev == s) & ex).sum()),
        }
        for s in SEVERITY_ORDER
    ]
    return pd.DataFrame(rows, columns=["severity", "findings", "open", "exempt"])


def practice_counts(findings: pd.DataFrame) -> pd.DataFrame:
    """Per practice that has findings: open findings per severity, exempt, total."""
    rows = []
    for p, grp in findings.groupby("practice", dropna=False, sort=True):
        live = grp[~grp["exempt"].astype(bool)]
        sev = live["severity"].astype("string")
        row: dict[str, Any] = {"practice": p, "title": practice_label(p)}
        row.update({s: int((sev == s).sum()) for s in SEVERITY_ORDER})
        row.update({"exempt": int(grp["exempt"].astype(bool).sum()), "findings": len(grp)})
        rows.append(row)
    return pd.DataFrame(rows, columns=["practice", "title", *SEVERITY_ORDER, "exempt", "findings"])


def practice_scorecard(findings: pd.DataFrame) -> pd.DataFrame | None:
    """``scorecard(findings)`` when the findings carry the audit's stats, else None."""
    stats = check_stats(findings)
    if stats is None or stats.empty:
        return None
    return scorecard(findings)


def compliance_tables(findings: pd.DataFrame) -> dict[str, pd.DataFrame] | None:
    """Per framework id, ``ka.compliance`` of the audit behind ``findings`` (None without its per-check results)."""
    from ..frameworks import FRAMEWORKS, compliance

    if findings.attrs.get("stats") is None:
        return None
    return {fid: compliance(findings, fid) for fid in FRAMEWORKS}


def exemptions(findings: pd.DataFrame) -> pd.DataFrame:
    """The exemptions in force: per reason, how many findings and which checks."""
    ex = findings[findings["exempt"].astype(bool)]
    rows = [
        {
            "reason": text(reason) or "(no reason given)",
            "findings": len(grp),
            "checks": ", ".join(sorted({text(c) for c in grp["check_id"]})),
        }
        for reason, grp in ex.groupby("exempt_reason", dropna=False, sort=True)
    ]
    return (
        pd.DataFrame(rows, columns=["reason", "findings", "checks"])
        .sort_values("findings", ascending=False, kind="stable")
        .reset_index(drop=True)
    )


def expired_waivers(findings: pd.DataFrame) -> pd.DataFrame:
    cols = ["check", "namespace", "kind", "name", "reason", "owner", "expires", "source"]
    rows = [{c: plain(w.get(c)) for c in cols} for w in findings.attrs.get("expired_waivers") or []]
    return pd.DataFrame(rows, columns=cols)


# --------------------------------------------------------------------------- what was not assessed
#
# Every format records it: the checks of the audit without a complete verdict (``not_assessed``: partial,
# not_assessable, error, with the reason) and what the snapshot could not read (``skipped``), both carried
# in ``findings.attrs`` like the stats.


def not_assessed_checks(findings: pd.DataFrame) -> pd.DataFrame:
    """cluster, check_id, practice, status, reason of every check without a complete verdict."""
    return not_assessed(findings)


def skipped_input(findings: pd.DataFrame, *, noted: bool | None = None) -> pd.DataFrame:
    """What the audited snapshot could not read (``noted=False``), or only noted (``True``: not Kubernetes,
    empty, identical duplicates), or both (``None``)."""
    sk = skipped_of(findings)
    if noted is None:
        return sk
    mask = sk["category"].isin(NOTED)
    return sk[mask if noted else ~mask].reset_index(drop=True)


def partial_summary(findings: pd.DataFrame) -> str | None:
    """One sentence for the top of a report when the audit is partial, else None."""
    gaps = not_assessed_checks(findings)
    if gaps.empty:
        return None
    counts = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in gaps["status"].value_counts().items())
    lost = len(skipped_input(findings, noted=False))
    read = f"; {plural(lost, 'input item')} could not be read" if lost else ""
    return (
        f"Partial audit: {plural(len(gaps), 'check')} gave no complete verdict ({counts}){read}. "
        "What those checks report is not a clean bill (see Not assessed)."
    )


def not_assessed_tables(findings: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(checks without a complete verdict, input not read, input only noted) for report tables."""
    gaps = not_assessed_checks(findings)[["cluster", "check_id", "practice", "status", "reason"]]
    cols = ["cluster", "category", "source", "document", "kind", "namespace", "name", "reason"]
    return gaps, skipped_input(findings, noted=False)[cols], skipped_input(findings, noted=True)[cols]


def sort_findings(findings: pd.DataFrame) -> pd.DataFrame:
    """Practice, then the worst severity first, then check and object."""
    rank = {s: i for i, s in enumerate(SEVERITY_ORDER)}
    key = findings["severity"].astype("string").map(rank).fillna(len(rank))
    return (
        findings.assign(_r=key.to_numpy())
        .sort_values(
            ["practice", "_r", "check_id", "namespace", "kind", "name", "container"], na_position="first", kind="stable"
        )
        .drop(columns="_r")
    )


def help_uri(c: Check | None) -> str | None:
    """The first URL among a check's references."""
    for ref in c.references if c is not None else ():
        m = re.search(r"https?://\S+", ref)
        if m:
            return m.group(0).rstrip(").,;")
    return None


def typed(df: pd.DataFrame) -> pd.DataFrame:
    """Text columns read back from a file → the findings dtypes (and the diff's extra columns)."""
    out = df.copy()
    for c in out.columns:
        if c == "practice":
            out[c] = pd.array([None if is_na(v) or v == "" else int(v) for v in out[c]], dtype="Int64")
        elif c == "exempt":
            out[c] = [v if isinstance(v, bool) else str(v).strip().lower() in ("true", "1", "yes") for v in out[c]]
            out[c] = out[c].astype(bool)
        elif c == "severity":
            out[c] = out[c].astype("object").where(out[c].notna(), None).astype(SEVERITY_DTYPE)
        elif c in CHECK_TEXT_COLUMNS:
            out[c] = check_text(out[c], c)
        elif c in DIFF_DTYPES or c in PRIORITY_DTYPES:
            dtype = DIFF_DTYPES.get(c) or PRIORITY_DTYPES[c]
            out[c] = out[c].astype("object").where(out[c].notna(), None).astype(dtype)
        else:
            out[c] = out[c].astype("object").where(out[c].notna(), None).astype("string")
    return out
