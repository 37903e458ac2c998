"""audit(): run the checks → one findings DataFrame; exemptions; the scorecard.

Findings have a fixed schema (``FINDINGS_COLUMNS``) whatever the source. Exemptions
mark rows (``exempt``, ``exempt_reason``); they never delete them.
"""

from __future__ import annotations

import ast
import contextlib
import datetime as _dt
import fnmatch
import hashlib
import operator
import os
import re
import threading
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import msgspec.yaml
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from ._arrow import TEXT, as_text, encode, string
from ._util import closest, gc_paused, plural
from .checks import CHECKS, Check
from .checks._common import audit_cache
from .frames import spec as frame_spec
from .snapshot import Snapshot, SnapshotError, category_not_assessed
from .vocab import CHECK_STATUSES as STATUSES  # noqa: F401  (public here since the first release)
from .vocab import FINDINGS_COLUMNS as FINDINGS_COLUMNS  # public here since the first release
from .vocab import (
    FINDINGS_DTYPES,
    INCOMPLETE,
    NOT_ASSESSED_COLUMNS,
    PRACTICES,
    SEVERITIES,
    SKIPPED_COLUMNS,
    STATS_COLUMNS,
    score_band,
)
from .vocab import SEVERITY_DTYPE as SEVERITY_DTYPE  # public here since the first release

IGNORE_ANNOTATION = "k8saudit.io/ignore"
REASON_ANNOTATION = "k8saudit.io/exempt-reason"


class DefaultExemption(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """One built-in exemption (``k8saudit/data/default-exemptions.yaml``): the checks it covers, the object it
    matches (namespace and name are globs) and why."""

    checks: list[str]
    namespace: str
    kind: str
    name: str
    reason: str


#: the packaged defaults, well-known system components that need what the checks flag
DEFAULT_EXEMPTIONS_FILE = Path(__file__).parent / "data" / "default-exemptions.yaml"


def default_exemptions(path: str | os.PathLike[str] | None = None) -> list[DefaultExemption]:
    """The built-in exemptions (or those of ``path``), validated: every field present and typed, nothing
    unknown, every check id registered (an alias counts). A bad file is a :class:`ConfigError` naming it."""
    p = Path(path) if path is not None else DEFAULT_EXEMPTIONS_FILE
    if path is None and p in _DEFAULTS:
        return _DEFAULTS[p]
    try:
        items = msgspec.yaml.decode(p.read_bytes(), type=list[DefaultExemption])
    except OSError as e:
        raise ConfigError(f"{p}: cannot read: {e.strerror or e}") from None
    except msgspec.ValidationError as e:
        raise ConfigError(f"{p}: {e}") from None
    except msgspec.DecodeError as e:
        raise ConfigError(f"{p}: not YAML: {' '.join(str(e).split())}") from None
    known = set(CHECKS) | {a for c in CHECKS.values() for a in c.aliases}
    for i, d in enumerate(items):
        unknown = [c for c in d.checks if c not in known]
        if unknown or not d.checks:
            raise ConfigError(
                f"{p}: entry {i} ({d.kind} {d.namespace}/{d.name}): "
                + (f"unknown check id(s) {', '.join(unknown)}" if unknown else "no check ids")
            )
    if path is None:
        _DEFAULTS[p] = items
    return items


_DEFAULTS: dict[Path, list[DefaultExemption]] = {}


@dataclass
class Waiver:
    """One entry of a waivers file."""

    check: str
    namespace: str = "*"
    kind: str = "*"
    name: str = "*"
    reason: str = ""
    owner: str = ""
    expires: _dt.date | None = None
    source: str = ""

    def expired(self, today: _dt.date) -> bool:
        return self.expires is not None and self.expires < today


class ConfigError(ValueError):
    """A waivers or config file cannot be used; the message names the file and entry."""


def unknown_check(pattern: str) -> str | None:
    """None when ``pattern`` (a check id, or a glob such as ``rbac-*``) names at least one check; else the message
    "no check 'X' (did you mean 'Y'?)", the suggestion being the closest real id."""
    if pattern in CHECKS or (
        any(ch in pattern for ch in "*?[") and any(fnmatch.fnmatchcase(cid, pattern) for cid in CHECKS)
    ):
        return None
    close = closest(pattern, CHECKS, cutoff=0.5)
    hint = f" (did you mean {close!r}?)" if close else " (`k8saudit checks` lists them)"
    return f"no check {pattern!r}{hint}"


def _reason(e: OSError | yaml.YAMLError) -> str:
    """Why a file could not be read, in words: "No such file or directory", not "[Errno 2] ... '/path'"."""
    if isinstance(e, OSError):
        return e.strerror.lower() if e.strerror else str(e)
    return "not YAML: " + " ".join(str(e).split())


def load_waivers(path: str | os.PathLike[str]) -> list[Waiver]:
    """Read a waivers file: ``waivers: [{check, namespace, kind, name, reason, owner, expires}]``."""
    p = Path(path)
    try:
        doc = yaml.safe_load(p.read_text())
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"{p}: cannot read waivers file: {_reason(err)}") from None
    entries = doc.get("waivers") if isinstance(doc, dict) else doc
    if not isinstance(entries, list):
        raise ConfigError(f"{p}: expected a list under `waivers:`")
    out = []
    for i, e in enumerate(entries):
        if not isinstance(e, dict) or not e.get("check"):
            raise ConfigError(f"{p}: waiver #{i + 1} needs at least `check:`")
        if not e.get("reason"):
            raise ConfigError(f"{p}: waiver #{i + 1} ({e.get('check')}) needs a `reason:`")
        if (bad := unknown_check(str(e["check"]))) is not None:
            raise ConfigError(f"{p}: waiver #{i + 1}: {bad}")
        exp = e.get("expires")
        if exp is not None and not isinstance(exp, _dt.date):
            try:
                exp = _dt.date.fromisoformat(str(exp))
            except ValueError:
                raise ConfigError(f"{p}: waiver #{i + 1}: `expires: {exp}` is not a date (YYYY-MM-DD)") from None
        out.append(
            Waiver(
                check=str(e["check"]),
                namespace=str(e.get("namespace", "*")),
                kind=str(e.get("kind", "*")),
                name=str(e.get("name", "*")),
                reason=str(e["reason"]),
                owner=str(e.get("owner", "")),
                expires=exp,
                source=f"{p}#{i + 1}",
            )
        )
    return out


def load_config(path: str | os.PathLike[str] | None) -> dict[str, Any]:
    """Read a config file: ``severities: {check-id: level}``, ``disabled: [check-id]``."""
    if path is None:
        return {}
    p = Path(path)
    try:
        doc = yaml.safe_load(p.read_text()) or {}
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"{p}: cannot read config: {_reason(e)}") from None
    return check_config(doc, str(p))


def check_selection(
    practices: Iterable[int | str] | int | str | None, checks: Iterable[str] | str | None
) -> tuple[list[int] | None, list[str] | None]:
    """The practices and check ids an audit runs, as lists (``checks="privileged"``, ``practices=3`` and
    ``practices="3,8"`` as the command line writes them), or a :class:`ConfigError` for one that names nothing:
    selecting no check is not a clean audit (``checks=["privilegd"]`` ran nothing and reported no finding, and
    ``checks="privileged"`` was read letter by letter)."""
    from .vocab import PRACTICES

    chosen: list[int] | None = None
    if practices is not None:
        chosen = []
        for p in _listed(practices, "practices"):
            number = int(p) if isinstance(p, str) and p.strip().isdigit() else p
            if isinstance(number, bool) or number not in PRACTICES:
                raise ConfigError(f"no practice {p!r} (the practices are 1-{len(PRACTICES)})")
            chosen.append(int(number))
    ids = None if checks is None else [str(c) for c in _listed(checks, "checks")]
    for cid in ids or []:
        if cid not in CHECKS:  # an id or an alias (the registry looks both up)
            raise ConfigError(unknown_check(cid) or f"no check {cid!r}")
    return chosen, ids


def _listed(value: Any, name: str) -> list[Any]:
    """A selection as a list: text split on commas, one number as itself, any other iterable as it is; empty
    is an error (it would select no check: ``None`` selects them all)."""
    if isinstance(value, str):
        got: list[Any] = [v.strip() for v in value.split(",") if v.strip()]
    elif isinstance(value, int):
        got = [value]
    else:
        try:
            got = list(value)
        except TypeError:
            raise ConfigError(f"{name}: expected a list, not {type(value).__name__}") from None
    if not got:
        raise ConfigError(f"{name}: an empty selection runs no check (leave it out to run them all)")
    return got


#: the keys a config file may hold
CONFIG_KEYS = ("severities", "disabled")


def check_config(doc: Any, where: str = "config") -> dict[str, Any]:
    """``doc`` if it is a valid config, else a :class:`ConfigError` naming ``where`` and the bad entry.

    An unknown key is an error, not ignored: a misspelt ``disable:`` would otherwise leave the check running
    while the reader believes it off (and a misspelt ``severites:`` would drop every override)."""
    if not isinstance(doc, dict):
        raise ConfigError(f"{where}: expected a mapping")
    for key in doc:
        if key not in CONFIG_KEYS:
            close = closest(str(key), CONFIG_KEYS)
            hint = f" (did you mean {close!r}?)" if close else f" (the keys are {', '.join(CONFIG_KEYS)})"
            raise ConfigError(f"{where}: unknown key {key!r}{hint}")
    severities = doc.get("severities") or {}
    if not isinstance(severities, dict):
        raise ConfigError(f"{where}: severities: expected a mapping of check id to level")
    for cid, sev in severities.items():
        if (bad := unknown_check(str(cid))) is not None or cid not in CHECKS:
            raise ConfigError(f"{where}: severities: {bad or f'no check {cid!r}'}")
        if sev not in SEVERITIES:
            raise ConfigError(f"{where}: severities: {cid}: {sev!r} is not one of {', '.join(SEVERITIES)}")
    disabled = doc.get("disabled") or []
    if not isinstance(disabled, list):
        raise ConfigError(f"{where}: disabled: expected a list of check ids")
    for cid in disabled:
        if (bad := unknown_check(str(cid))) is not None or cid not in CHECKS:
            raise ConfigError(f"{where}: disabled: {bad or f'no check {cid!r}'}")
    return doc


#: the columns a finding's id hashes: two audits of the same cluster match findings on it
ID_COLUMNS = ("cluster", "check_id", "kind", "namespace", "name", "container")


def _id_text(v: Any) -> str:
    return "" if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v)


def finding_id(cluster: str, check_id: str, kind: str, namespace: str, name: str, container: str) -> str:
    """The stable id of a finding: a hash of ``ID_COLUMNS`` (a missing value counts as empty)."""
    return _finding_ids(
        pd.DataFrame([[cluster, check_id, kind, namespace, name, container]], columns=list(ID_COLUMNS), dtype=object)
    )[0]


def _finding_ids(rows: pd.DataFrame) -> list[str]:
    """:func:`finding_id` of every row."""
    if not len(rows):
        return []
    cols = [as_text(pd.Series([_id_text(v) for v in rows[c]], dtype=object)) for c in ID_COLUMNS]
    ids: list[str] = _id_hex(cols).astype("U16").tolist()
    return ids


def _id_hex(cols: list[pa.Array]) -> np.ndarray[Any, Any]:
    """The ids of the rows whose ``ID_COLUMNS`` are ``cols`` (Arrow text, missing counts as empty), as 16-byte
    ASCII (``S16``): the key texts are joined by Arrow in one pass, each hashed in a tight loop (no Python frame
    per row), and the first 8 bytes of each digest written out as hex at once."""
    n = len(cols[0])
    if not n:
        return np.empty(0, dtype="S16")
    keys = pc.binary_join_element_wise(*cols, _SEP, null_handling="replace", null_replacement="")
    data = keys.cast(pa.large_binary()).to_numpy(zero_copy_only=False)
    digests = b"".join(map(_DIGEST, map(hashlib.sha1, data)))
    heads = np.frombuffer(digests, dtype=np.uint8).reshape(n, 20)[:, :8]
    return np.frombuffer(heads.tobytes().hex().encode(), dtype="S16")


_DIGEST = operator.methodcaller("digest")
_SEP = pa.scalar("\x1f", TEXT)


def _fixed_text(values: np.ndarray[Any, Any]) -> pa.Array:
    """Fixed-width ASCII (``S16``, never empty) as Arrow text without a Python object per row: its bytes are the
    data buffer, every row ``itemsize`` long."""
    n, width = len(values), values.dtype.itemsize
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int64)
    data = np.ascontiguousarray(values).view(np.uint8)
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


#: the findings columns that hold a check's own text, the same in every finding of the check: categoricals whose
#: categories are the texts of every registered check (sorted), the same in every audit, so the findings of several
#: audits concatenate, merge and diff as categoricals (a value read back that no check has is kept: it becomes a
#: category too, see :func:`check_text`)
CHECK_TEXT_COLUMNS: tuple[str, ...] = ("title", "remediation")

_TEXT_DTYPES: dict[tuple[str, frozenset[str]], pd.CategoricalDtype] = {}


def check_text_dtype(column: str, extra: Iterable[str] = ()) -> pd.CategoricalDtype:
    """The dtype of ``column`` (one of :data:`CHECK_TEXT_COLUMNS`): the texts of the registered checks, and
    ``extra``, sorted (one dtype object per set of categories)."""
    texts = frozenset([getattr(c, column) for c in CHECKS._checks.values()] + list(extra))
    got = _TEXT_DTYPES.get((column, texts))
    if got is None:
        got = _TEXT_DTYPES[(column, texts)] = pd.CategoricalDtype(sorted(texts))
    return got


def check_text(values: Any, column: str) -> pd.Categorical:
    """``values`` (a column of :data:`CHECK_TEXT_COLUMNS`, as read back from a file or put together by hand) as
    that column's categorical: missing stays missing, and a text no registered check has is kept as a category
    of its own (never turned into a missing value)."""
    s = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    if isinstance(s.dtype, pd.CategoricalDtype) and s.dtype == check_text_dtype(column):
        return s.array
    obj = s.astype(object).where(s.notna(), None)
    if pd.api.types.infer_dtype(obj, skipna=True) not in ("string", "empty"):
        obj = obj.map(lambda v: None if pd.isna(v) else str(v))
    extra = [v for v in pd.unique(obj.to_numpy()) if isinstance(v, str)]
    return pd.Categorical(obj, dtype=check_text_dtype(column, extra))


def findings_dtypes() -> dict[str, Any]:
    """The dtype of every findings column (``FINDINGS_DTYPES`` with the categories of
    :data:`CHECK_TEXT_COLUMNS` spelled out)."""
    return {**FINDINGS_DTYPES, **{c: check_text_dtype(c) for c in CHECK_TEXT_COLUMNS}}


def empty_findings() -> pd.DataFrame:
    df = pd.DataFrame({c: pd.Series([], dtype="string") for c in FINDINGS_COLUMNS})
    return _types(df)


def _types(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with the findings dtypes (a text of :data:`CHECK_TEXT_COLUMNS` no check has is kept)."""
    out = df.astype({c: t for c, t in FINDINGS_DTYPES.items() if c not in CHECK_TEXT_COLUMNS})
    for c in CHECK_TEXT_COLUMNS:
        out[c] = check_text(out[c], c)
    return out


def _frames_for(
    c: Check, snap: Snapshot, cache: dict[tuple[str, str | None], tuple[pd.DataFrame, int]] | None = None
) -> tuple[dict[str, Any], int]:
    """The frames a check takes, and how many objects it evaluated: the rows of its ``on`` frame (after
    ``where``), counted by the frame's key columns when an object spans several rows. ``cache`` keeps each
    filtered frame and its count for the checks after it that read the same frame with the same ``where``."""
    args: dict[str, Any] = {}
    evaluated = 1
    for p in c.params:
        if p == "snap":
            args[p] = snap
            continue
        if p == c.on:
            key = (p, c.where)
            got = cache.get(key) if cache is not None else None
            if got is None:
                df = snap.frame(p)
                if c.where:
                    df = _rows_where(df, c.where)
                spec = frame_spec(p)
                n = len(df) if spec.one_row_per_object or not len(df) else None
                got = (df, n if n is not None else _distinct({k: as_text(df[k]) for k in spec.keys}, spec.keys))
                if cache is not None:
                    cache[key] = got
            df, evaluated = got
        else:
            df = snap.frame(p)
        args[p] = df
    if c.on == "cluster":
        evaluated = 1
    return args, evaluated


def _rows_where(df: pd.DataFrame, where: str) -> pd.DataFrame:
    """``df.query(where)`` (for a frame without duplicate column names, that is ``df.loc[df.eval(where)]``); the
    frame itself when every row is kept (``not windows`` of a cluster without Windows nodes): checks never
    change the frames they read (those without ``where`` read the snapshot's own)."""
    if df.columns.has_duplicates:
        return df.query(where)
    try:
        keep = _where_mask(df, where)
    except Exception:  # whatever query makes of it
        return df.query(where)
    every = (
        isinstance(keep, pd.Series)
        and pd.api.types.is_bool_dtype(keep.dtype)
        and keep.index.equals(df.index)
        and bool(keep.fillna(False).all())  # a missing answer: the row is not kept
    )
    if every:
        return df
    try:
        return df.loc[keep]
    except ValueError:
        return df.query(where)


def _where_mask(df: pd.DataFrame, where: str) -> Any:
    """``df.eval(where)``: a ``where`` made of column names, constants, lists of constants, ``not``/``and``/``or``
    and one comparison at a time (every ``where`` of the registered checks) is evaluated as pandas' Python engine
    does (``not`` → ``~``, ``and`` → ``&``, ``in`` → ``isin``), without parsing it again (``eval`` costs about a
    millisecond a call, more than most checks); anything else goes to ``df.eval``."""
    if where not in _WHERE:
        try:
            _WHERE[where] = _where_fn(ast.parse(where, mode="eval").body)
        except (SyntaxError, _NotSimple):
            _WHERE[where] = None
    fn = _WHERE[where]
    return df.eval(where) if fn is None else fn(df)


class _NotSimple(Exception):
    """A ``where`` :func:`_where_mask` leaves to ``DataFrame.eval``."""


#: each ``where`` seen → its function (None: ``DataFrame.eval``)
_WHERE: dict[str, Any] = {}
_COMPARE = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


def _where_fn(node: ast.AST) -> Any:
    """The function of a frame that evaluates ``node`` (see :func:`_where_mask`), or :class:`_NotSimple`."""
    if isinstance(node, ast.Name):
        name = node.id
        return lambda df: df[name]
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float, bool)):
        value = node.value
        return lambda df: value
    if isinstance(node, (ast.List, ast.Tuple)) and all(isinstance(e, ast.Constant) for e in node.elts):
        items = [e.value for e in node.elts]  # type: ignore[attr-defined]
        return lambda df: list(items)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = _where_fn(node.operand)
        return lambda df: ~inner(df)
    if isinstance(node, ast.BoolOp):
        parts = [_where_fn(v) for v in node.values]
        op = operator.and_ if isinstance(node.op, ast.And) else operator.or_

        def both(df: pd.DataFrame) -> Any:
            out = parts[0](df)
            for p in parts[1:]:
                out = op(out, p(df))
            return out

        return both
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and not _listed_text(node.left):
        left, right, kind = _where_fn(node.left), _where_fn(node.comparators[0]), type(node.ops[0])
        listed = _listed_text(node.comparators[0])
        if kind in _COMPARE and not (listed and kind in (ast.Eq, ast.NotEq)):
            f = _COMPARE[kind]
            return lambda df: f(left(df), right(df))
        # as eval rewrites them: ``in`` a list, and ``==`` a text or a list, is isin (a missing value is not in it)
        if kind in (ast.In, ast.NotIn, ast.Eq, ast.NotEq) and listed:
            negate = kind in (ast.NotIn, ast.NotEq)
            if isinstance(node.comparators[0], ast.Constant):
                one = right
                right = lambda df: [one(df)]  # noqa: E731

            def isin(df: pd.DataFrame) -> Any:
                got = left(df)
                if not isinstance(got, pd.Series):
                    raise _NotSimple
                hit = got.isin(right(df))
                return ~hit if negate else hit

            return isin
    raise _NotSimple


def _listed_text(node: ast.AST) -> bool:
    """A list (or tuple) or a text constant: what eval turns ``==``/``!=`` into ``isin`` for."""
    return isinstance(node, (ast.List, ast.Tuple)) or (isinstance(node, ast.Constant) and isinstance(node.value, str))


class NoObjectsError(SnapshotError):
    """The input holds no Kubernetes object at all: there is nothing to audit (not an empty cluster)."""


@dataclass
class Coverage:
    """What one snapshot's skipped rows mean for the checks (see ``k8saudit.snapshot.NOTED``)."""

    #: kinds whose list failed at cluster scope → reason
    missing: dict[str, str]
    #: kinds read in part (a namespace forbidden, a list that ended early, an object that failed to load) → reason
    partial: dict[str, str]
    #: not-assessed rows that name no kind (a file or document that could not be parsed): any check may miss them
    unknown: list[str]
    error: str | None = None

    @classmethod
    def of(cls, snap: Snapshot) -> Coverage:
        missing = snap.unreadable_kinds()
        partial: dict[str, str] = {}
        unknown: list[str] = []
        for r in snap.skipped_records:
            if not category_not_assessed(r["category"]):
                continue
            kind = r["kind"]
            if not kind:
                doc = f"#{r['document']}" if r.get("document") not in (None, "") else ""
                unknown.append(f"{r['source']}{doc}: {r['reason']}")
            elif kind not in missing:
                partial.setdefault(kind, _where(r) + r["reason"])
        return cls(missing, partial, unknown, snap.meta.get("error"))


def _where(r: dict[str, Any]) -> str:
    what = "/".join(str(x) for x in (r.get("namespace"), r.get("name")) if x)
    return f"{what}: " if r.get("name") else f"in namespace {r['namespace']}: " if r.get("namespace") else ""


def assessable(c: Check, snap: Snapshot, coverage: Coverage | None = None) -> tuple[str | None, str | None]:
    """(status, reason) when the check cannot give a complete verdict on this snapshot, else (None, None).

    ``not_assessable``: the cluster could not be read, one of the check's input kinds
    (:attr:`Check.inputs`) could not be listed at all, or the kube-apiserver's flags are not
    visible. ``partial``: an input kind was read in part (forbidden in some namespaces, a list
    that ended early, an object of that kind that failed to parse, validate or conflicted with
    another copy), or a document of unknown kind could not be read. Either way the check never
    reports ``pass``.
    """
    cov = coverage or Coverage.of(snap)
    if cov.error:
        return "not_assessable", f"the cluster could not be read: {cov.error}"
    # the inputs are derived from the check's source (read once per process): only a snapshot that missed
    # something needs them
    inputs = c.inputs if cov.missing or cov.partial or cov.unknown else ()
    missing = [k for k in inputs if k in cov.missing]
    if missing:
        return "not_assessable", "; ".join(f"could not read {k}: {cov.missing[k]}" for k in missing)
    if c.needs_apiserver and not snap.apiserver_visible:
        return "not_assessable", (
            "not assessable from the API: the kube-apiserver's flags are not visible (managed control plane?)"
        )
    part = [k for k in inputs if k in cov.partial]
    if part:
        return "partial", "; ".join(f"{k} read in part ({cov.partial[k]})" for k in part)
    if cov.unknown and inputs:
        more = f" (and {len(cov.unknown) - 1} more)" if len(cov.unknown) > 1 else ""
        return (
            "partial",
            f"{plural(len(cov.unknown), 'input item')} of unknown kind could not be read: {cov.unknown[0]}{more}",
        )
    return None, None


def run_checks(
    snap: Snapshot, checks: list[Check] | None = None, *, free_frames: Collection[str] = ()
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run checks on one cluster's snapshot → (raw rows, per-check stats).

    A check that is not assessable or partial (:func:`assessable`) still runs on what was read,
    when anything was, and its findings are kept: they are real. Its status stays what
    :func:`assessable` says, never ``pass`` or ``fail``. The frames named in ``free_frames`` are
    forgotten (``Snapshot.forget_frame``) once no check still to run reads them.
    """
    parts: list[dict[str, pa.Array]] = []
    ids: list[str] = []
    stats: list[dict[str, Any]] = []
    cov = Coverage.of(snap)
    frames: dict[tuple[str, str | None], tuple[pd.DataFrame, int]] = {}
    todo = checks if checks is not None else list(CHECKS.values())
    last = {f: i for i, c in enumerate(todo) for f in c.frames if f in free_frames}  # the last check reading f
    with audit_cache():  # the checks share what the helpers derive from whole columns
        _run_each(snap, todo, cov, frames, last, parts, ids, stats)
    lengths = np.array([len(p["kind"]) for p in parts], dtype=np.int64)
    check_codes = np.repeat(np.arange(len(ids), dtype=np.int32), lengths)
    cols: dict[str, Any] = {
        "cluster": pa.array([snap.cluster], type=TEXT).take(np.zeros(int(lengths.sum()), dtype=np.int32)),
        "check_id": pa.array(ids, type=TEXT).take(check_codes),
    }
    for k in _ROW_COLUMNS:
        cols[k] = pa.concat_arrays([p[k] for p in parts]) if parts else pa.array([], type=TEXT)
    # Arrow text columns: the audit gathers, sorts and types them once
    rows = pd.DataFrame({k: string(v) for k, v in cols.items()}, copy=False)
    return rows, pd.DataFrame(stats, columns=STATS_COLUMNS)


def _run_each(
    snap: Snapshot,
    todo: list[Check],
    cov: Coverage,
    frames: dict[tuple[str, str | None], tuple[pd.DataFrame, int]],
    last: dict[str, int],
    parts: list[dict[str, pa.Array]],
    ids: list[str],
    stats: list[dict[str, Any]],
) -> None:
    """Run each check of :func:`run_checks`: its rows to ``parts`` (and its id to ``ids``), its stats row."""
    for i, c in enumerate(todo):
        for f in [f for f, j in last.items() if j < i]:
            del last[f]
            snap.forget_frame(f)
            for key in [key for key in frames if key[0] == f]:
                del frames[key]
        status, reason = assessable(c, snap, cov)
        base = {"cluster": snap.cluster, "check_id": c.id, "practice": c.practice}
        if status == "not_assessable" and (cov.error or (c.needs_apiserver and not snap.apiserver_visible)):
            stats.append({**base, "evaluated": 0, "failing": 0, "status": status, "reason": reason})
            continue
        try:
            args, evaluated = _frames_for(c, snap, frames)
            out = _normalize_rows(c.fn(**args), c)
        except Exception as e:  # a broken check is reported; the others still run
            stats.append(
                {**base, "evaluated": 0, "failing": 0, "status": "error", "reason": f"{type(e).__name__}: {e}"}
            )
            error = {"kind": "CheckError", "namespace": None, "name": c.id, "container": None}
            error.update(message=f"check failed: {type(e).__name__}: {e}", evidence=None)
            parts.append({k: pa.array([v], type=TEXT) for k, v in error.items()})
            ids.append(c.id)
            continue
        # distinct failing objects: rows are one per (kind, namespace, name, container) already
        n = failing = len(out["kind"])
        if n > 1 and c.on != "containers" and out["container"].null_count < n:
            failing = _distinct(out, ("name", "namespace", "kind"))
        if status is None:
            status = "fail" if n else "pass"
        stats.append({**base, "evaluated": int(evaluated), "failing": int(failing), "status": status, "reason": reason})
        if n:
            parts.append(out)
            ids.append(c.id)


#: the columns a check's rows carry (the runner adds the rest)
_ROW_COLUMNS = ("kind", "namespace", "name", "container", "message", "evidence")


def _distinct(cols: dict[str, pa.Array], keys: tuple[str, ...]) -> int:
    """How many distinct combinations of ``keys`` the rows hold (a missing value is one value): each column
    encoded once, the codes combined into one integer per row. Once the columns so far tell every row apart
    the rest are not read (put the most telling key first)."""
    n = len(cols[keys[0]])
    combined = np.zeros(n, dtype=np.int64)
    span = 1
    for i, k in enumerate(keys):
        codes, distinct = encode(cols[k])
        width = len(distinct) + 1
        if span * width >= 2**62:  # too many combinations for one integer: count them with Arrow
            return int(pa.table({k: cols[k] for k in keys}).group_by(list(keys)).aggregate([]).num_rows)
        combined += (codes + 1) * span
        span *= width
        if i < len(keys) - 1 and width > 2 and span >= n and _count(combined) == n:
            return n
    return _count(combined)


def _count(codes: np.ndarray[Any, Any]) -> int:
    """How many distinct integers ``codes`` holds, by hashing (``np.unique`` is many times slower here: 35 ms
    against 1-2 ms for 90k codes)."""
    return len(pd.unique(codes))


def _normalize_rows(out: pd.DataFrame, c: Check) -> dict[str, pa.Array]:
    """A check's rows as Arrow text columns (``_ROW_COLUMNS``, missing → null), one row per object."""
    if not isinstance(out, pd.DataFrame):
        raise TypeError(f"check {c.id} returned {type(out).__name__}, not a DataFrame")
    n = len(out)
    cols = {col: as_text(out[col]) if col in out.columns else pa.nulls(n, TEXT) for col in _ROW_COLUMNS}
    keys = ["kind", "namespace", "name", "container"]
    if n < 2 or _distinct(cols, ("name", "container", "namespace", "kind")) == n:
        return cols
    # one finding per object (a workload and the pods that differ from it)
    df = pd.DataFrame({k: v.to_numpy(zero_copy_only=False) for k, v in cols.items()}, dtype=object, copy=False)
    g = df.groupby(keys, dropna=False, sort=False)
    first = g.first().reset_index()
    first["evidence"] = (
        g["evidence"].agg(lambda s: "; ".join(dict.fromkeys(x for x in s if isinstance(x, str))) or None).to_numpy()
    )
    return {col: as_text(first[col]) for col in _ROW_COLUMNS}


def audit(
    snap: Snapshot,
    *,
    practices: Iterable[int] | int | str | None = None,
    checks: Iterable[str] | str | None = None,
    waivers: list[Waiver] | str | os.PathLike[str] | None = None,
    default_exemptions: bool = True,
    config: dict[str, Any] | str | os.PathLike[str] | None = None,
    today: _dt.date | None = None,
    free_frames: Collection[str] = (),
) -> pd.DataFrame:
    """Run the checks over a snapshot → the findings DataFrame (schema: ``FINDINGS_COLUMNS``).

    ``findings.attrs`` holds ``stats`` (per check: evaluated, failing, status, reason),
    ``skipped`` (what the snapshot could not read, as in ``snap.skipped``) and
    ``expired_waivers``; :func:`scorecard`, :func:`not_assessed` and the exports read them.

    A check whose inputs could not be read is ``not_assessable``, one whose inputs were read
    in part ``partial``; neither is ever ``pass`` (:func:`assessable`). Such an audit is
    partial: :func:`not_assessed` lists why, and ``k8saudit scan --fail-on`` exits 3.
    A snapshot with no Kubernetes object at all (an empty directory, a file that is not a
    manifest, a dump the loader refused) raises :class:`NoObjectsError` instead of
    auditing an empty cluster.

    ``practices`` (numbers 1-10) and ``checks`` (ids) narrow what runs: a list, or text as the command line
    writes it (``checks="privileged"``, ``practices="3,8"``); one that names nothing is a :class:`ConfigError`.

    ``free_frames`` names frames to forget once no check still to run reads them (``k8saudit scan``: the
    frames only the checks read), to bound the memory of a large audit; they are built again on use.
    """
    if not isinstance(snap, Snapshot):
        raise TypeError(
            f"audit() takes a Snapshot (ka.load(...), ka.sample(), ka.load_cluster(...)), not {type(snap).__name__}"
        )
    with gc_paused(), _system_pool():  # frames built on the way and the bookkeeping: millions of objects, no cycles
        return _audit(snap, practices, checks, waivers, default_exemptions, config, today, free_frames)


_pool_lock = threading.Lock()
_pool_depth = 0
_pool_before: list[pa.MemoryPool] = []


@contextlib.contextmanager
def _system_pool() -> Iterator[None]:
    """Arrow allocates from the C library's allocator while the audit runs (nested uses and threads share one
    switch; the pool before it is restored when the outermost use ends; ``ARROW_DEFAULT_MEMORY_POOL`` set by
    the user is left alone).

    The audit makes thousands of short-lived Arrow buffers. Arrow's default pool (mimalloc) hands them fresh
    memory backed by transparent huge pages where the kernel allows them (``madvise``), so each one first
    costs the kernel a 2 MB page to zero: at 100k pods that was a third of the audit's CPU (1.1-1.4 s of
    system time), against about 0.35 s with the C allocator, which reuses what was freed.
    Buffers remember their pool: those made here are freed correctly after the switch back.
    """
    global _pool_depth
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        yield
        return
    with _pool_lock:
        _pool_depth += 1
        if _pool_depth == 1:
            _pool_before[:] = [pa.default_memory_pool()]
            pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        with _pool_lock:
            _pool_depth -= 1
            if _pool_depth == 0:
                pa.set_memory_pool(_pool_before.pop())


def _audit(
    snap: Snapshot,
    practices: Iterable[int] | int | str | None,
    checks: Iterable[str] | str | None,
    waivers: list[Waiver] | str | os.PathLike[str] | None,
    default_exemptions: bool,
    config: dict[str, Any] | str | os.PathLike[str] | None,
    today: _dt.date | None,
    free_frames: Collection[str] = (),
) -> pd.DataFrame:
    if isinstance(waivers, (str, os.PathLike)):
        waivers = load_waivers(waivers)
    practices, checks = check_selection(practices, checks)
    cfg = load_config(config) if config is None or isinstance(config, (str, os.PathLike)) else check_config(config)
    disabled = set(cfg.get("disabled") or [])
    selected = [
        c
        for c in CHECKS.values()
        if (practices is None or c.practice in practices)
        and (checks is None or c.id in checks or any(a in checks for a in c.aliases))
        and c.id not in disabled
    ]
    members = snap.members or [snap]
    # a cluster that could not be read at all (meta "error") is audited: every check not assessable
    if not any(len(s) or s.kubeconfig_entries or s.meta.get("error") for s in members):
        raise NoObjectsError(no_objects_message(snap))
    all_rows, all_stats = [], []
    for s in members:
        rows, stats = run_checks(s, selected, free_frames=free_frames)
        all_rows.append(rows)
        all_stats.append(stats)
    rows = pd.concat(all_rows, ignore_index=True) if len(all_rows) > 1 else all_rows[0]
    stats = pd.concat(all_stats, ignore_index=True)
    today = today or _dt.date.today()
    df, expired = _findings_frame(rows, snap, cfg.get("severities") or {}, waivers or [], default_exemptions, today)
    # attrs hold plain data (records), so pandas can still concat and merge findings frames
    df.attrs["stats"] = stats.astype(object).where(stats.notna(), None).to_dict("records")
    df.attrs["expired_waivers"] = [{**w.__dict__, "expires": str(w.expires) if w.expires else None} for w in expired]
    df.attrs["skipped"] = [dict(r) for r in snap.skipped_records]
    df.attrs["clusters"] = list(snap.clusters)
    df.attrs["captured_at"] = snap.captured_at
    return df


def _findings_frame(
    rows: pd.DataFrame,
    snap: Snapshot,
    severities: dict[str, str],
    waivers: list[Waiver],
    defaults: bool,
    today: _dt.date,
) -> tuple[pd.DataFrame, list[Waiver]]:
    """The raw rows of :func:`run_checks` (Arrow text columns) → the findings frame, sorted and typed.

    Column-wise throughout: what depends on the check alone (practice, severity, title, remediation) is
    computed once per check and gathered by the rows' check codes (title and remediation stay codes: categoricals,
    :data:`CHECK_TEXT_COLUMNS`); the sort is over integer codes (Arrow's dense ranks of the text columns) packed
    into as few integers as hold them (:func:`_sort_order`); the text columns stay Arrow and are gathered once, in
    their final order.
    """
    col = {c: as_text(rows[c]) for c in rows.columns}
    enc = col["check_id"].dictionary_encode()
    codes = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    uniq = enc.dictionary.to_pylist()
    meta = [_check_or_none(k) for k in uniq]
    severity_u = [severities.get(c.id, c.severity) if c else None for c in meta]
    sev_u = np.array([SEVERITIES.index(v) if v in SEVERITIES else -1 for v in severity_u] + [-1], dtype=np.int8)
    practice_u = np.array([c.practice if c else -1 for c in meta] + [-1], dtype=np.int64)
    title_u: list[str | None] = [c.title if c else None for c in meta]
    msg = col["message"]
    empty = pc.fill_null(pc.equal(msg, ""), True)
    if pc.any(empty).as_py():
        msg = pc.if_else(empty, pa.array(title_u, type=TEXT).take(codes), msg)
    ids = _id_hex([col[c] for c in ID_COLUMNS])
    reason_codes, reasons, expired = _exemptions(col, codes, uniq, snap, waivers, defaults, today)
    # the order: cluster, practice, worst severity first, check, namespace, kind, name, container; missing first
    rank_u = pd.factorize(np.asarray(uniq, dtype=object), sort=True)[0]
    keys = [_rank(col["cluster"]), practice_u[codes], -sev_u[codes].astype(np.int16), rank_u[codes]]
    keys += [_rank(col[c]) for c in ("namespace", "kind", "name", "container")]
    order = _sort_order(keys)
    codes = codes[order]
    practice = practice_u[codes]
    take = pa.array(order)
    reason_codes = reason_codes[order]
    df = pd.DataFrame(
        {
            "cluster": string(col["cluster"].take(take)),
            "check_id": _text_of(uniq, codes),
            "practice": pd.arrays.IntegerArray(practice, practice < 0),
            "severity": pd.Categorical.from_codes(sev_u[codes], dtype=SEVERITY_DTYPE),
            "title": _registry_text(meta, "title", codes),
            "kind": string(col["kind"].take(take)),
            "namespace": string(col["namespace"].take(take)),
            "name": string(col["name"].take(take)),
            "container": string(col["container"].take(take)),
            "message": string(msg.take(take)),
            "remediation": _registry_text(meta, "remediation", codes),
            "evidence": string(col["evidence"].take(take)),
            "exempt": reason_codes >= 0,
            "exempt_reason": _text_of(reasons, reason_codes),
            "finding_id": string(_fixed_text(ids[order])),
        },
        copy=False,
    )
    return df, expired


def _sort_order(keys: list[np.ndarray[Any, Any]]) -> np.ndarray[Any, Any]:
    """The stable order of rows by ``keys`` (integer arrays, the first the most significant), as ``np.lexsort``
    gives it: consecutive keys are packed into one integer while their ranges multiply to less than 2**62 (one
    stable sort of one integer per row instead of a sort per key, several times faster at 500k rows)."""
    packed: list[np.ndarray[Any, Any]] = []
    combined: np.ndarray[Any, Any] | None = None
    span = 1
    for k in reversed(keys):  # least significant first
        k = np.asarray(k, dtype=np.int64)
        lo = int(k.min()) if len(k) else 0
        width = (int(k.max()) - lo + 1) if len(k) else 1
        if combined is None or span * width >= 2**62:
            if combined is not None:
                packed.append(combined)
            combined, span = k - lo, width
            continue
        combined = combined + (k - lo) * span
        span *= width
    if combined is not None:
        packed.append(combined)
    if len(packed) == 1:
        out: np.ndarray[Any, Any] = np.argsort(packed[0], kind="stable")
        return out
    return np.lexsort(packed)


def _check_or_none(check_id: Any) -> Check | None:
    return CHECKS._checks.get(check_id) if isinstance(check_id, str) else None


def _registry_text(meta: list[Check | None], column: str, codes: np.ndarray[Any, Any]) -> pd.Categorical:
    """The ``column`` (of :data:`CHECK_TEXT_COLUMNS`) of rows whose checks are ``meta[codes]``, built from codes:
    no text is written per row (an id no registered check has: missing)."""
    dtype = check_text_dtype(column)
    at = dtype.categories.get_indexer([getattr(c, column) if c else None for c in meta])
    return pd.Categorical.from_codes(np.append(at, -1).astype(np.int32)[codes], dtype=dtype)


def _rank(values: pa.Array) -> np.ndarray[Any, Any]:
    """Integer sort keys of a text column: the rank of each value among the distinct ones (by code point, as
    Arrow compares UTF-8), missing → -1 (first). Only the distinct values are sorted."""
    codes, distinct = encode(values)
    rank = pc.rank(distinct, "ascending").to_numpy().astype(np.int64)
    out: np.ndarray[Any, Any] = np.append(rank, -1)[codes]
    return out


def _text_of(distinct: list[Any], codes: np.ndarray[Any, Any]) -> Any:
    """``distinct[codes]`` as a text column (a code of -1: missing): each distinct text converted once, the rows
    gathered by Arrow."""
    idx = pa.array(codes, mask=codes < 0) if len(codes) and codes.min() < 0 else pa.array(codes)
    try:
        arr = pa.array(distinct, type=TEXT, from_pandas=True).take(idx)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pd.array(np.array(distinct + [None], dtype=object)[codes], dtype="string")
    return string(arr)


def _annotations(
    snap: Snapshot, kinds: Collection[str] | None = None
) -> dict[tuple[str, str | None, str | None], dict[str, str]]:
    """Objects carrying k8saudit annotations: (kind, namespace, name) → annotations (of ``kinds`` only, when
    given: the kinds of the findings and ``Namespace``, whose annotation covers its objects)."""
    out: dict[tuple[str, str | None, str | None], dict[str, str]] = {}
    for kind in snap.kinds:
        if kinds is not None and kind not in kinds:
            continue
        for o in snap.items(kind):
            ann = o.metadata.annotations
            if ann and IGNORE_ANNOTATION in ann:
                out[(kind, o.metadata.namespace, o.metadata.name)] = ann
    return out


def _glob(values: pa.Array, pattern: str) -> np.ndarray[Any, Any]:
    """Vectorised fnmatch of a text column (missing counts as ""): each distinct value is matched once."""
    if pattern in ("*", ""):
        return np.ones(len(values), dtype=bool)
    # Python's re, not Arrow's: fnmatch.translate writes atomic groups that RE2 rejects
    match = re.compile(fnmatch.translate(pattern)).match
    codes, distinct = _codes(values)
    hit = np.array([match(str(v)) is not None for v in distinct] + [match("") is not None], dtype=bool)
    out: np.ndarray[Any, Any] = hit[codes]
    return out


def _codes(values: pa.Array) -> tuple[np.ndarray[Any, Any], list[Any]]:
    """:func:`k8saudit._arrow.encode`, the distinct values as a list."""
    codes, distinct = encode(values)
    return codes, distinct.to_pylist()


def _exemptions(
    col: dict[str, pa.Array],
    codes: np.ndarray[Any, Any],
    check_ids: list[Any],
    snap: Snapshot,
    waivers: list[Waiver],
    defaults: bool,
    today: _dt.date,
) -> tuple[np.ndarray[Any, Any], list[str], list[Waiver]]:
    """Mark rows exempt: annotations first, then waivers, then the built-in defaults → the reason of each row
    (a code into the reasons returned; -1: not exempt), the reasons and the expired waivers. ``codes`` are the
    rows' positions in ``check_ids``: what depends on the check alone is decided once per check."""
    n = len(codes)
    expired = [w for w in waivers if w.expired(today)]
    active = [w for w in waivers if not w.expired(today)]
    reason: np.ndarray[Any, Any] = np.full(n, -1, dtype=np.int32)
    reasons: dict[str, int] = {}
    if not n:
        return reason, [], expired
    cids = [str(c) for c in check_ids]

    def per_check(test: Any) -> np.ndarray[Any, Any]:
        out: np.ndarray[Any, Any] = np.array([bool(test(c)) for c in cids] + [False], dtype=bool)[codes]
        return out

    def code(text: str) -> int:
        return reasons.setdefault(text, len(reasons))

    kind, namespace, name = col["kind"], col["namespace"], col["name"]
    # annotations: only the rows of the few objects (or namespaces) that carry one are looked at
    ann: dict[tuple[str, str | None, str | None], dict[str, str]] = {}
    # an object of a kind no finding has cannot mark one: only those kinds' objects are read (and namespaces)
    ann_kinds = {str(k) for k in kind.unique().to_pylist() if k is not None} | {"Namespace"}
    for s in snap.members or [snap]:
        ann.update(_annotations(s, ann_kinds))
    if ann:
        by_ns = {k[2]: a for k, a in ann.items() if k[0] == "Namespace"}
        names = pa.array([k[2] for k in ann if isinstance(k[2], str)], type=TEXT)
        near = pc.or_(pc.is_in(name, value_set=names), pc.is_in(namespace, value_set=pa.array(list(by_ns), type=TEXT)))
        rows = np.flatnonzero(pc.fill_null(near, False).to_numpy(zero_copy_only=False))
        at = pa.array(rows)
        for j, k, ns, nm in zip(rows, *(c.take(at).to_pylist() for c in (kind, namespace, name))):
            note = ann.get((k, ns, nm)) or by_ns.get(ns)
            if note is None:
                continue
            ignored = {x.strip() for x in note.get(IGNORE_ANNOTATION, "").split(",") if x.strip()}
            cid = cids[codes[j]]
            if cid in ignored or "*" in ignored or "all" in ignored:
                reason[j] = code("annotation: " + note.get(REASON_ANNOTATION, f"{IGNORE_ANNOTATION} lists {cid}"))
    for w in active:
        todo = np.flatnonzero(
            (reason < 0) & per_check(lambda c, w=w: fnmatch.fnmatchcase(c, w.check) or w.check in ("*", ""))
        )
        if not len(todo):
            continue
        at = pa.array(todo)
        hit = _glob(kind.take(at), w.kind) & _glob(namespace.take(at), w.namespace) & _glob(name.take(at), w.name)
        until = f" until {w.expires}" if w.expires else ""
        owner = f" ({w.owner})" if w.owner else ""
        reason[todo[hit]] = code(f"waiver{owner}: {w.reason}{until}")
    if defaults:
        # the defaults look only at the rows of the checks and kinds they name; the globs once per distinct value
        defs = default_exemptions()
        kind_codes, kinds = _codes(kind)
        for d in defs:
            if d.kind not in kinds:
                continue
            todo = np.flatnonzero(
                (reason < 0) & per_check(lambda c, d=d: c in d.checks) & (kind_codes == kinds.index(d.kind))
            )
            if not len(todo):
                continue
            at = pa.array(todo)
            hit = todo[_glob(namespace.take(at), d.namespace) & _glob(name.take(at), d.name)]
            reason[hit] = code(f"default exemption: {d.reason}")
    return reason, list(reasons), expired


def no_objects_message(snap: Snapshot) -> str:
    """``no Kubernetes objects found in SOURCE: reasons`` (the skipped rows, the first few)."""
    recs = snap.skipped_records
    where = snap.source or snap.cluster
    if not recs:
        return f"no Kubernetes objects found in {where}: nothing to read"
    shown = [
        f"{r['source']}{'#' + str(r['document']) if r.get('document') not in (None, '') else ''}: {r['reason']}"
        for r in recs[:5]
    ]
    more = f"; … and {len(recs) - 5} more" if len(recs) > 5 else ""
    return f"no Kubernetes objects found in {where}: " + "; ".join(shown) + more


def skipped_of(findings: pd.DataFrame) -> pd.DataFrame:
    """What the audited snapshot could not read (``findings.attrs["skipped"]``), as ``snap.skipped`` has it."""
    df = pd.DataFrame(list(findings.attrs.get("skipped") or []), columns=SKIPPED_COLUMNS)
    return df.astype({c: "string" for c in SKIPPED_COLUMNS})


def not_assessed(findings: pd.DataFrame) -> pd.DataFrame:
    """The checks of the audit that gave no complete verdict: ``partial``, ``not_assessable`` or ``error``,
    with the reason. Empty when the audit is complete. (From a CSV export, which carries no
    stats, ``attrs["not_assessed"]``.)"""
    stats = check_stats(findings)
    if stats is None:
        df = pd.DataFrame(list(findings.attrs.get("not_assessed") or []), columns=NOT_ASSESSED_COLUMNS)
    else:
        df = stats[stats["status"].isin(INCOMPLETE)][NOT_ASSESSED_COLUMNS]
    return df.reset_index(drop=True)


def is_partial(findings: pd.DataFrame) -> bool:
    """True when some check of the audit behind ``findings`` is not assessable, partial or failed to run."""
    return len(not_assessed(findings)) > 0


def check_stats(findings: pd.DataFrame) -> pd.DataFrame | None:
    """Per check of the audit behind ``findings``: evaluated, failing, status (``pass``, ``fail``,
    ``partial``, ``not_assessable``, ``error``), reason."""
    raw = findings.attrs.get("stats")
    if raw is None:
        return None
    df = raw.copy() if isinstance(raw, pd.DataFrame) else pd.DataFrame(list(raw), columns=STATS_COLUMNS)
    return df.astype({"evaluated": int, "failing": int, "practice": int}) if len(df) else df


def scorecard(findings: pd.DataFrame, snap: Snapshot | None = None, *, by: str = "practice") -> pd.DataFrame:
    """Per practice (``by="practice"``), per check (``"check"``) or per namespace (``"namespace"``).

    Columns: evaluated, failing (not exempt), exempt, findings, score (0-100, share of
    evaluated objects passing), band (the score read as ``good`` >= 95, ``fair`` >= 80 or
    ``poor``: :data:`k8saudit.vocab.SCORE_BANDS`), status. Per check: ``pass``, ``fail``, ``partial``,
    ``not_assessable``, ``error``; the score is given for ``pass`` and ``fail`` only.
    Per practice: ``fail`` when any finding is open (from an incomplete check too),
    else ``not_assessable`` when no check of it was assessed, ``partial`` when some were
    not, ``pass`` when every check passed; evaluated, failing and the score count the
    completely assessed checks; ``not_assessable`` and ``partial`` name the others.
    """
    stats = check_stats(findings)
    if stats is None:
        if snap is None:
            raise ValueError("scorecard needs the findings of audit() (or pass the snapshot)")
        stats = check_stats(audit(snap))
    assert stats is not None
    live = findings[~findings["exempt"]]
    if by == "namespace":
        g = findings.assign(live=~findings["exempt"]).groupby(["cluster", "namespace"], dropna=False)
        out = g.agg(
            findings=("check_id", "size"),
            failing=("live", "sum"),
            exempt=("exempt", "sum"),
            critical=("severity", lambda s: int((s == "critical").sum())),
            high=("severity", lambda s: int((s == "high").sum())),
        ).reset_index()
        if snap is not None:  # namespaces without findings belong in the table too
            allns = pd.concat([s.namespaces[["cluster", "name"]] for s in snap.members or [snap]], ignore_index=True)
            allns = allns.rename(columns={"name": "namespace"})
            out = allns.merge(out, on=["cluster", "namespace"], how="outer")
            out = out.fillna({c: 0 for c in ("findings", "failing", "exempt", "critical", "high")})
            out = out.astype({c: int for c in ("findings", "failing", "exempt", "critical", "high")})
        return out.sort_values(["failing", "findings"], ascending=False, kind="stable").reset_index(drop=True)
    obj_fail = (
        live.drop_duplicates(["cluster", "check_id", "kind", "namespace", "name", "container"])
        .groupby(["cluster", "check_id"])
        .size()
        .rename("failing_now")
    )
    n_exempt = findings[findings["exempt"]].groupby(["cluster", "check_id"]).size().rename("exempt")
    n_find = findings.groupby(["cluster", "check_id"]).size().rename("findings")
    st = (
        stats.set_index(["cluster", "check_id"])
        .join([obj_fail, n_exempt, n_find])
        .fillna({"failing_now": 0, "exempt": 0, "findings": 0})
        .reset_index()
    )
    st["failing"] = st[["failing_now", "evaluated"]].min(axis=1).astype(int)
    st["status"] = [s if s in INCOMPLETE else ("fail" if f else "pass") for s, f in zip(st["status"], st["failing"])]
    complete = ~st["status"].isin(INCOMPLETE)
    if by == "check":
        st["severity"] = [CHECKS[c].severity for c in st["check_id"]]
        st["title"] = [CHECKS[c].title for c in st["check_id"]]
        st["score"] = [s if ok else None for s, ok in zip(_score(st["evaluated"], st["failing"]), complete)]
        st["band"] = [score_band(s) for s in st["score"]]
        return st[
            [
                "cluster",
                "practice",
                "check_id",
                "severity",
                "title",
                "evaluated",
                "failing",
                "exempt",
                "findings",
                "score",
                "band",
                "status",
                "reason",
            ]
        ].astype({"exempt": int, "findings": int})
    rows = []
    for (cluster, practice), grp in st.groupby(["cluster", "practice"]):
        ok = grp[~grp["status"].isin(INCOMPLETE)]
        evaluated, failing = int(ok["evaluated"].sum()), int(ok["failing"].sum())
        na = grp[grp["status"].isin(("not_assessable", "error"))]
        part = grp[grp["status"] == "partial"]
        # failures found by a check that is itself incomplete still make the practice fail
        any_failing = failing or int(grp["failing"].sum())
        status = (
            "fail"
            if any_failing
            else "not_assessable"
            if len(ok) == 0 and len(part) == 0
            else "partial"
            if len(ok) < len(grp)
            else "pass"
        )
        rows.append(
            {
                "cluster": cluster,
                "practice": int(practice),
                "title": PRACTICES[int(practice)],
                "checks": len(grp),
                "evaluated": evaluated,
                "failing": failing,
                "exempt": int(grp["exempt"].sum()),
                "findings": int(grp["findings"].sum()),
                "score": _score(pd.Series([evaluated]), pd.Series([failing]))[0] if len(ok) else None,
                "status": status,
                "not_assessable": ", ".join(na["check_id"]) or None,
                "partial": ", ".join(part["check_id"]) or None,
            }
        )
    out = pd.DataFrame(
        rows,
        columns=[
            "cluster",
            "practice",
            "title",
            "checks",
            "evaluated",
            "failing",
            "exempt",
            "findings",
            "score",
            "status",
            "not_assessable",
            "partial",
        ],
    )
    out.insert(out.columns.get_loc("score") + 1, "band", [score_band(s) for s in out["score"]])
    return out


def _score(evaluated: pd.Series, failing: pd.Series) -> list[float | None]:
    return [round(100.0 * (e - f) / e, 1) if e else None for e, f in zip(evaluated, failing)]
