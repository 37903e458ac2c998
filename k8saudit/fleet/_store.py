"""Fleet results on disk: a Parquet dataset per table, partitioned by cluster and date (hive style).

::

    fleet/2026-12-06/
      fleet.json
      findings/cluster=prod-eu-1/date=2026-12-06/part-0.parquet
      scorecard/cluster=prod-eu-1/date=2026-12-06/part-0.parquet
      checks/…  skipped/…  failures/…  clusters/…

Every cluster of a run gets a file in every table but ``failures`` (empty when it has nothing),
so a clean cluster is visibly present. The partition columns live in the directory names only,
as Hive, Spark, DuckDB, pyarrow and ``dask.dataframe.read_parquet`` expect. Saving into one root
for every run (``fleet.save("fleet")``) accumulates dates in one dataset; one directory per
date (``fleet/2026-12-06``) works as well: :func:`read` takes globs over both.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

import pandas as pd

from ..findings import FINDINGS_COLUMNS, SEVERITY_DTYPE, _types
from ..snapshot import SKIPPED_COLUMNS
from ._task import FAILURE_COLUMNS

if TYPE_CHECKING:
    import dask.dataframe as dd

    from ._fleet import Fleet

FORMAT = "k8saudit-fleet"
VERSION = 1
PART = "part-0.parquet"

_S, _I, _F = "string", "int64", "float64"
#: column → dtype of every table but findings (whose dtypes are the findings schema's)
TABLES: dict[str, dict[str, Any]] = {
    "findings": {c: None for c in FINDINGS_COLUMNS},
    "scorecard": {
        "cluster": _S,
        "practice": _I,
        "title": _S,
        "checks": _I,
        "evaluated": _I,
        "failing": _I,
        "exempt": _I,
        "findings": _I,
        "score": _F,
        "status": _S,
        "not_assessable": _S,
        "partial": _S,
    },
    "checks": {
        "cluster": _S,
        "practice": _I,
        "check_id": _S,
        "severity": SEVERITY_DTYPE,
        "title": _S,
        "evaluated": _I,
        "failing": _I,
        "exempt": _I,
        "findings": _I,
        "score": _F,
        "status": _S,
        "reason": _S,
    },
    "skipped": {c: _S for c in SKIPPED_COLUMNS},
    "failures": {c: _S for c in FAILURE_COLUMNS},
    "clusters": {
        "cluster": _S,
        "source": _S,
        "status": _S,
        "captured_at": _S,
        "objects": _I,
        "findings": _I,
        "open": _I,
        "critical": _I,
        "high": _I,
        "medium": _I,
        "low": _I,
        "info": _I,
        "exempt": _I,
        "not_assessable": _I,
        "seconds": _F,
        "worker": _S,
        "peak_rss_mb": _F,
    },
}


class FleetStoreError(ValueError):
    """A saved fleet cannot be written or read as asked; the message names the path."""


def typed(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """A table's frame with its documented columns (in order) and dtypes."""
    cols = TABLES[table]
    df = df.reindex(columns=list(cols))
    if table == "findings":
        return _types(df)
    out = {}
    for c, dtype in cols.items():
        s = df[c]
        if dtype == _S:
            s = s.astype("object").where(s.notna(), None).astype("string")
        elif dtype == _I:
            s = pd.to_numeric(s).fillna(0).astype(_I)
        elif dtype == _F:
            s = pd.to_numeric(s).astype(_F)
        else:
            s = s.astype("object").where(s.notna(), None).astype(dtype)
        out[c] = s
    return pd.DataFrame(out, index=df.index)


def empty(table: str) -> pd.DataFrame:
    """The zero-row frame :func:`read` returns columns and dtypes of (``date`` included)."""
    df = typed(pd.DataFrame(), table)
    return _with_date(df, pd.Series([], dtype="datetime64[ns]"))


def _with_date(df: pd.DataFrame, date: pd.Series | pd.Timestamp) -> pd.DataFrame:
    df = df.copy()
    df["date"] = date
    df["date"] = df["date"].astype("datetime64[ns]")
    return df


def save(fleet: Fleet, root: Path, date: str) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pd.Timestamp(date)
    except ValueError:
        raise FleetStoreError(f"date {date!r} is not a date (YYYY-MM-DD)") from None
    frames = {
        "scorecard": fleet.scorecard,
        "checks": fleet.checks,
        "skipped": fleet.skipped,
        "failures": fleet.failures,
        "clusters": fleet.clusters,
    }
    names = list(fleet.clusters["cluster"])
    failed = set(fleet.failures["cluster"])

    def write(table: str, cluster: str, df: pd.DataFrame) -> None:
        d = root / table / f"cluster={quote(cluster, safe='')}" / f"date={date}"
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
        body = typed(df, table).drop(columns=["cluster"]).reset_index(drop=True)
        pq.write_table(pa.Table.from_pandas(body, preserve_index=False), d / PART)

    try:
        root.mkdir(parents=True, exist_ok=True)
        for name, part in _findings_by_cluster(fleet, names):
            write("findings", name, part)
        for table, df in frames.items():
            groups = dict(tuple(df.groupby("cluster", sort=False))) if len(df) else {}
            for name in names:
                if table == "failures" and name not in failed:
                    d = root / table / f"cluster={quote(name, safe='')}" / f"date={date}"
                    if d.exists():  # an earlier save of this date failed on this cluster; this one did not
                        shutil.rmtree(d)
                    continue
                write(table, name, groups.get(name, df.iloc[0:0]))
        meta_path = root / "fleet.json"
        meta: dict[str, Any] = {"format": FORMAT, "version": VERSION, "dates": {}}
        if meta_path.is_file():
            try:
                old = json.loads(meta_path.read_text())
                if old.get("format") == FORMAT:
                    meta["dates"] = dict(old.get("dates") or {})
            except (OSError, ValueError):
                pass
        from .. import __version__

        meta["dates"][date] = {"clusters": len(names), "failed": len(failed), "generator": f"k8saudit {__version__}"}
        meta["tables"] = list(TABLES)
        meta_path.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    except OSError as e:
        raise FleetStoreError(f"{root}: cannot write the fleet: {e.strerror or e}") from None
    return root


def _findings_by_cluster(fleet: Fleet, names: list[str]) -> Iterable[tuple[str, pd.DataFrame]]:
    if fleet.lazy:  # one partition per cluster, computed one at a time: bounded memory here
        for name, part in zip(names, fleet.findings.to_delayed()):
            yield name, part.compute()
        return
    f = fleet.findings
    assert isinstance(f, pd.DataFrame)
    groups = dict(tuple(f.groupby("cluster", sort=False, observed=True))) if len(f) else {}
    for name in names:
        yield name, groups.get(name, f.iloc[0:0])


# --------------------------------------------------------------------------- reading


def parts(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], table: str) -> list[tuple[str, str, str]]:
    """(file, cluster, date) of every part of ``table`` under the saved fleets ``paths`` match."""
    if table not in TABLES:
        raise FleetStoreError(f"no table {table!r}; tables are {', '.join(TABLES)}")
    items = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    roots: list[Path] = []
    for p in items:
        text = os.path.expanduser(os.fspath(p))
        matches = sorted(glob.glob(text)) if glob.has_magic(text) else [text]
        roots.extend(Path(m) for m in matches)
    found: list[tuple[str, str, str]] = []
    bases: list[Path] = []
    for r in roots:
        if (r / table).is_dir():
            bases.append(r / table)
        elif r.name == table and r.is_dir():
            bases.append(r)
        elif r.is_dir():  # a directory of runs, one per date (fleet/ holding fleet/2026-12-06/)
            bases.extend(sorted(c / table for c in r.iterdir() if (c / table).is_dir()))
    for base in bases:
        for f in sorted(base.rglob("*.parquet")):
            keys = dict(seg.split("=", 1) for seg in f.relative_to(base).parts[:-1] if "=" in seg)
            if "cluster" in keys and "date" in keys:
                found.append((str(f), unquote(keys["cluster"]), unquote(keys["date"])))
    if not found and table != "failures":
        shown = ", ".join(os.fspath(p) for p in items)
        raise FleetStoreError(
            f"{shown}: no saved fleet there (expected {table}/cluster=…/date=…/*.parquet; "
            "write one with fleet.save(DIR) or `k8saudit fleet scan -o DIR`)"
        )
    return sorted(found, key=lambda t: (t[2], t[1], t[0]))


def read_part(part: tuple[str, str, str], table: str) -> pd.DataFrame:
    """One partition file as a typed frame, with its ``cluster`` and ``date`` columns back."""
    import pyarrow.parquet as pq

    path, cluster, date = part
    try:
        df = pq.read_table(path).to_pandas()
    except (OSError, ValueError) as e:
        raise FleetStoreError(f"{path}: cannot read: {e}") from None
    df["cluster"] = cluster
    return _with_date(typed(df, table), pd.Timestamp(date))


def read(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], table: str = "findings") -> dd.DataFrame:
    """One table of saved fleets as a dask DataFrame, one partition per cluster and date, dates ascending.

    ``paths``: directories written by ``fleet.save`` or globs over them (``"fleet/*"``). The
    frame has the table's columns plus ``date``; nothing is read until it is computed.
    """
    import dask.dataframe as dd

    found = parts(paths, table)
    if not found:
        return dd.from_pandas(empty(table), npartitions=1)
    return dd.from_map(read_part, found, table=table, meta=empty(table), enforce_metadata=False)


def load(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], table: str = "findings") -> pd.DataFrame:
    """:func:`read` computed: one pandas frame (for small tables such as ``scorecard``)."""
    found = parts(paths, table)
    frames = [read_part(p, table) for p in found]
    return pd.concat(frames, ignore_index=True) if frames else empty(table)
