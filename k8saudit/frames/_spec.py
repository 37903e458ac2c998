"""A frame is one declarative spec: its name, what one row is, its columns (dtype, meaning, and the kinds a
column alone reads), the key columns that identify the object a row is about, the kinds that feed it, and a
builder that yields its rows in column order.

Dtypes: ``string`` (``<NA>`` when missing), ``boolean`` (tri-state: ``<NA>`` means
"not set in the manifest"), ``bool`` (always known), ``Int64`` (nullable int),
``object`` (a Python list or dict per row).

Everything else about frames is derived from the registered specs (see :mod:`k8saudit.frames`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa

S, B, TB, I, O = "string", "bool", "boolean", "Int64", "object"  # noqa: E741
DTYPES = (S, B, TB, I, O)

T = TypeVar("T")
V = TypeVar("V")

#: one row of a frame: its values in the spec's column order
Row = tuple[Any, ...]


class SnapshotView(Protocol):
    """What a frame builder reads from a snapshot (:class:`k8saudit.Snapshot` is one)."""

    cluster: str
    kubeconfig_entries: list[dict[str, Any]]

    @property
    def kinds(self) -> dict[str, int]: ...

    def items(self, kind: str) -> list[Any]: ...

    def provenance(self, kind: str) -> list[tuple[str, int]]: ...

    def frame(self, name: str) -> pd.DataFrame: ...

    def derived(self, index: Derived[T]) -> T: ...


@dataclass(frozen=True)
class Derived(Generic[T]):
    """An index several builders share (e.g. the workloads a snapshot's pods roll up to): built once per
    snapshot, kept in its cache of derived indexes under ``name``, dropped whenever its frames are."""

    name: str
    build: Callable[[SnapshotView], T]

    def of(self, snap: SnapshotView) -> T:
        return snap.derived(self)


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str
    description: str
    #: kinds only this column reads (beyond the frame's own): a check that reads the column depends on them
    kinds: tuple[str, ...] = ()


ColumnDef = Column | tuple[str, str, str] | tuple[str, str, str, tuple[str, ...]]


@dataclass(frozen=True)
class FrameSpec:
    """One frame. Calling it on a snapshot builds the frame (columns in order, with their dtypes)."""

    name: str
    #: what one row is ("One row per node."): the snapshot accessor's docstring
    doc: str
    columns: tuple[Column, ...]
    #: the columns that identify the object a row is about
    keys: tuple[str, ...]
    #: the kinds its rows are made from (and every column that names no kinds of its own)
    kinds: tuple[str, ...]
    #: the builder: rows (tuples in column order), or with ``columnar`` a sequence of columns in that order
    builder: Callable[[SnapshotView], Iterable[Any]]
    #: False when an object spans several rows (a binding x subject x rule, a flag of the API server): the
    #: objects a check evaluated are then counted by distinct keys, not by rows
    one_row_per_object: bool = True
    columnar: bool = False

    def __post_init__(self) -> None:
        names = self.column_names
        if len(set(names)) != len(names):
            raise ValueError(f"frame {self.name}: a column is named twice")
        bad = [c.name for c in self.columns if c.dtype not in DTYPES]
        if bad:
            raise ValueError(f"frame {self.name}: columns {bad} have no dtype of {DTYPES}")
        unknown = [k for k in self.keys if k not in names]
        if unknown or not self.keys:
            raise ValueError(f"frame {self.name}: key columns {unknown or '()'} are not columns")

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def column_kinds(self) -> dict[str, tuple[str, ...]]:
        """Column → the further kinds only it reads (the columns that name some)."""
        return {c.name: c.kinds for c in self.columns if c.kinds}

    @property
    def schema(self) -> list[tuple[str, str, str]]:
        return [(c.name, c.dtype, c.description) for c in self.columns]

    def __call__(self, snap: SnapshotView) -> pd.DataFrame:
        got = self.builder(snap)
        if self.columnar:
            return self.from_columns(list(got))
        return self.from_rows(got)

    def from_rows(self, rows: Iterable[Row]) -> pd.DataFrame:
        """The frame of these rows (tuples in column order)."""
        rows = rows if isinstance(rows, list) else list(rows)
        try:
            cols = columns_of(rows, len(self.columns))
        except ValueError:
            raise ValueError(f"frame {self.name}: its builder yields rows of different lengths") from None
        return self.from_columns(cols)

    def from_columns(self, cols: Sequence[Sequence[Any]]) -> pd.DataFrame:
        """The frame of these columns (in column order), with the spec's dtypes."""
        if len(cols) != len(self.columns):
            raise ValueError(
                f"frame {self.name}: its builder gives {len(cols)} values a row, the spec has "
                f"{len(self.columns)} columns"
            )
        out: dict[str, Any] = {}
        for col, values in zip(self.columns, cols, strict=True):
            if isinstance(values, pd.api.extensions.ExtensionArray) and values.dtype == col.dtype:
                out[col.name] = values  # built already (e.g. by :func:`repeat_runs`)
            elif col.dtype == O:
                out[col.name] = pd.Series(list(values), dtype=object).array
            elif col.dtype == S:
                out[col.name] = _strings(values)
            else:
                out[col.name] = pd.array(list(values), dtype=col.dtype)
        return pd.DataFrame(out)

    def empty(self) -> pd.DataFrame:
        return self.from_columns([() for _ in self.columns])


def _strings(values: Sequence[Any]) -> Any:
    """A ``string`` column: built by pyarrow in one pass when every value is a ``str`` or None (what
    pandas would store anyway), else by pandas (which turns other values into text)."""
    if pd.StringDtype().storage == "pyarrow":  # (pandas' option: python storage builds its own)
        try:
            values = values if isinstance(values, list) else list(values)  # (from a list: 3x faster than a tuple)
            # pandas stores large_string: built as string and widened it is 10-30% faster than built so
            arr = pa.array(values, type=pa.string()).cast(pa.large_string())
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            pass
        else:
            return pd.array(arr, dtype=S)
    return pd.array(list(values), dtype=S)


def columns_of(rows: Sequence[Row], width: int) -> list[Sequence[Any]]:
    """Rows (tuples of one length) as columns; ``width`` empty columns when there are no rows."""
    return list(zip(*rows, strict=True)) if rows else [() for _ in range(width)]


def repeat_runs(heads: Sequence[Row], counts: Sequence[int], width: int) -> list[Any]:
    """The ``width`` text columns of rows that come in runs sharing their first values: ``heads[i]`` (tuples of
    text or None) repeated ``counts[i]`` times, in order. Each column is built once per run and then repeated
    by Arrow, not once per row (a container's env vars: several rows each)."""
    at = np.repeat(np.arange(len(heads), dtype=np.intp), counts)
    cols = columns_of(heads, width)
    if len(cols) != width:
        raise ValueError(f"runs of {len(cols)} values, not {width}")
    return [_strings(c).take(at) for c in cols]


def frame(
    name: str,
    doc: str,
    *,
    keys: Sequence[str],
    kinds: Sequence[str],
    columns: Sequence[ColumnDef],
    one_row_per_object: bool = True,
    columnar: bool = False,
) -> Callable[[Callable[[SnapshotView], Iterable[Any]]], FrameSpec]:
    """Declare a frame around its builder (registering it is :func:`register`'s job)."""
    cols = tuple(c if isinstance(c, Column) else Column(*c) for c in columns)

    def deco(builder: Callable[[SnapshotView], Iterable[Any]]) -> FrameSpec:
        return FrameSpec(name, doc, cols, tuple(keys), tuple(kinds), builder, one_row_per_object, columnar)

    return deco


# --------------------------------------------------------------------------- the registry

_SPECS: dict[str, FrameSpec] = {}
_LISTENERS: list[Callable[[FrameSpec, bool], None]] = []


def register(*specs: FrameSpec) -> None:
    """Make frames public: they join ``FRAMES``, ``SCHEMAS``, ``describe()``, the snapshot's accessors and
    the input kinds of the checks that read them."""
    for spec in specs:
        if spec.name in _SPECS:
            raise ValueError(f"frame {spec.name!r} registered twice")
        if not spec.name.isidentifier() or spec.name.startswith("_"):
            raise ValueError(f"frame name {spec.name!r} is not a public identifier")
        _SPECS[spec.name] = spec
        try:
            for listen in _LISTENERS:
                listen(spec, True)
        except Exception:
            unregister(spec.name)
            raise


def unregister(name: str) -> FrameSpec:
    """Withdraw a frame registered by :func:`register` (for tests and extensions)."""
    spec = _SPECS.pop(name)
    for listen in _LISTENERS:
        listen(spec, False)
    return spec


def on_register(listen: Callable[[FrameSpec, bool], None]) -> None:
    """Call ``listen(spec, added)`` for every frame registered so far and every one (un)registered later."""
    _LISTENERS.append(listen)
    for spec in _SPECS.values():
        listen(spec, True)


def spec(name: str) -> FrameSpec:
    """The registered spec of a frame (KeyError naming the frames when there is none)."""
    try:
        return _SPECS[name]
    except KeyError:
        raise KeyError(f"no frame {name!r}; frames are: {', '.join(_SPECS)}") from None


class _View(Mapping[str, V]):
    """A read-only mapping frame name → something derived from its spec, live over the registry."""

    def __init__(self, get: Callable[[FrameSpec], V], what: str) -> None:
        self._get = get
        self._what = what

    def __getitem__(self, name: str) -> V:
        return self._get(_SPECS[name])

    def __iter__(self) -> Iterator[str]:
        return iter(list(_SPECS))

    def __len__(self) -> int:
        return len(_SPECS)

    def __contains__(self, name: object) -> bool:
        return name in _SPECS

    def __repr__(self) -> str:
        return f"<{self._what} of {len(self)} frames: {', '.join(_SPECS)}>"


SPECS: Mapping[str, FrameSpec] = _View(lambda s: s, "specs")
