"""Small vectorised helpers the practice modules share: list columns, tri-state values, messages."""

from __future__ import annotations

import contextlib
import contextvars
import itertools
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._arrow import TEXT, as_text, encode, string
from .._model import pod_spec_keys

T = TypeVar("T")

_CONTAINER_WORD = {"container": "container", "init": "init container", "ephemeral": "ephemeral container"}


def any_in(lists: pd.Series, values: Iterable[str]) -> pd.Series:
    """Per row: does the list hold any of ``values``? (Only a list or tuple holds anything.)

    Vectorised: lists of text are matched in Arrow (the items flattened once, ``is_in``, the hits counted per
    row); a column with items of other types is exploded once and matched by ``isin``, and the few rows that
    hit are then checked to be non-empty lists or tuples (``explode`` also opens sets and arrays, keeps a text
    whole, and turns an empty list into a missing value that ``isin`` takes for ``None``).
    """
    want = set(values)
    arr = lists.to_numpy(dtype=object)
    hit = np.zeros(len(arr), dtype=bool)
    texts = _text_lists(arr) if all(type(v) is str for v in want) else None
    if texts is not None:
        if len(want):
            found = pc.is_in(pc.list_flatten(texts), value_set=pa.array(sorted(want), type=TEXT))
            hit[pc.list_parent_indices(texts).filter(found).to_numpy()] = True
    elif len(arr):
        items = pd.Series(arr, dtype=object, copy=False).explode()
        hit[items.index.to_numpy()[items.isin(want).to_numpy(dtype=bool)]] = True
        for i in np.flatnonzero(hit):  # an empty list explodes to a missing value, which isin matches to None
            if not isinstance(arr[i], (list, tuple)) or not arr[i]:
                hit[i] = False
    return pd.Series(hit, index=lists.index, dtype=bool)


_SEQUENCES = frozenset({list, tuple})


def _text_lists(arr: np.ndarray[Any, Any]) -> pa.LargeListArray | None:
    """An object column whose values are lists or tuples of ``str`` (anything else is no list: a missing row)
    as one Arrow list array, or None when some list holds an item that is not exactly a ``str`` (``str()`` of
    it is what a row shows: ``1``, ``True``, ``b'x'``), which Arrow would convert or refuse.

    Within one audit (:func:`audit_cache`) each column converted is remembered by the memory it views (the
    array is kept, so that memory cannot be another column's meanwhile): checks read the same whole column
    (``caps_drop``) again and again, and frames do not change while the checks run.
    """
    memo = _MEMO.get()
    if memo is None:
        return _convert_text_lists(arr)
    key = ("text_lists", arr.__array_interface__["data"][0], arr.shape, arr.strides)
    got = memo.get(key)
    if got is None:
        got = memo[key] = (arr, _convert_text_lists(arr))
    out: pa.LargeListArray | None = got[1]
    return out


_MEMO: contextvars.ContextVar[dict[tuple[Any, ...], Any] | None] = contextvars.ContextVar("_MEMO", default=None)


@contextlib.contextmanager
def audit_cache() -> Iterator[None]:
    """While the checks of one audit run: what the helpers derive from a whole frame column is kept for the
    checks after (forgotten at the end, so a frame changed between two audits is read again)."""
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def _convert_text_lists(arr: np.ndarray[Any, Any]) -> pa.LargeListArray | None:
    kinds = set(map(type, arr))
    if any(issubclass(k, (list, tuple)) and k not in _SEQUENCES for k in kinds):
        return None  # a subclass (a named tuple): a list, but not one Arrow takes as such
    lists = arr
    if not kinds <= _SEQUENCES:  # texts, sets, arrays, missing values: no list (not opened)
        seq = np.fromiter(map(_is_sequence, arr), dtype=bool, count=len(arr))
        lists = arr[seq]
        arr = arr.copy()
        arr[~seq] = None
    items = set(map(type, itertools.chain.from_iterable(lists)))
    if not items <= {str}:
        return None
    out: pa.LargeListArray = pa.array(arr, type=pa.large_list(TEXT))
    return out


def _is_sequence(v: Any) -> bool:
    return type(v) in _SEQUENCES


def joined(lists: pd.Series, only: Iterable[str] | None = None, sep: str = ", ") -> pd.Series:
    """Per row: the list's items (or only those in ``only``) joined by ``sep``; "" for none.

    Lists of text are joined by Arrow (``binary_join``; ``only`` filters the flattened items first); otherwise
    each distinct list is joined once (rows repeat the same few lists: ``[]``, ``["ALL"]``, ...).
    """
    keep = None if only is None else set(only)
    arr = lists.to_numpy(dtype=object)
    texts = _text_lists(arr)
    if texts is not None:
        if keep is not None:
            flat = pc.list_flatten(texts)
            found = pc.is_in(flat, value_set=pa.array(sorted(x for x in keep if type(x) is str), type=TEXT))
            parents = pc.list_parent_indices(texts).filter(found).to_numpy()
            offsets = np.zeros(len(arr) + 1, dtype=np.int64)
            np.cumsum(np.bincount(parents, minlength=len(arr)), out=offsets[1:])
            texts = pa.LargeListArray.from_arrays(pa.array(offsets), flat.filter(found), mask=texts.is_null())
        out = pc.fill_null(pc.binary_join(texts, pa.scalar(sep, TEXT)), "")
        return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([out])), index=lists.index, dtype="string")
    done: dict[Any, str] = {}
    rows = []
    for v in arr:
        if not isinstance(v, (list, tuple)) or not v:
            rows.append("")
            continue
        key: tuple[Any, ...] = (type(v), *v, *map(type, v))  # 1 and True are equal keys, but not equal texts
        try:
            text = done.get(key)
            known = True
        except TypeError:  # an unhashable item: joined as it is, not remembered
            text, known = None, False
        if text is None:
            text = sep.join(str(x) for x in v if keep is None or x in keep)
            if known:
                done[key] = text
        rows.append(text)
    return pd.Series(rows, index=lists.index, dtype="string")


def truthy(values: pd.Series) -> np.ndarray[Any, Any]:
    """Per row: is the value true (a non-empty list, a text, ...)? A missing value is not. As
    ``values.map(bool, na_action="ignore").fillna(False)``, without a Python call per row."""
    arr = values.to_numpy(dtype=object)
    na = pd.isna(arr)
    out = np.zeros(len(arr), dtype=bool)
    try:
        out[~na] = arr[~na].astype(bool)
    except (TypeError, ValueError):  # a value whose truth cannot be told (an array): each asked by itself
        got: np.ndarray[Any, Any] = values.map(bool, na_action="ignore").fillna(False).astype(bool).to_numpy()
        return got
    return out


def bracket(lists: pd.Series) -> pd.Series:
    """``[A, B]``, or ``not set`` for an empty list."""
    j = as_text(joined(lists))  # never missing
    got = pc.if_else(pc.equal(j, ""), pa.scalar("not set", TEXT), pc.binary_join_element_wise(_OPEN, j, _CLOSE, _EMPTY))
    return pd.Series(string(got), index=lists.index, dtype="string")


_OPEN, _CLOSE, _EMPTY = (pa.scalar(t, TEXT) for t in ("[", "]", ""))


def tri(values: pd.Series) -> pd.Series:
    """A tri-state ``boolean`` column as text: ``true``, ``false`` or ``not set``."""
    return values.astype("string").str.lower().fillna("not set")


def who(containers: pd.DataFrame) -> pd.Series:
    """``container `app```, ``init container `setup```, ``ephemeral container `debugger```.

    Written by Arrow in one pass (the word of each distinct type looked up once); a missing name gives a
    missing text."""
    got = who_text(as_text(containers["container_type"]), as_text(containers["container"]))
    return pd.Series(string(got), index=containers.index, dtype="string")


def who_text(types: pa.Array, names: pa.Array) -> pa.Array:
    """:func:`who` of Arrow text columns (container types and names)."""
    word = text_per_value(types, lambda t: _CONTAINER_WORD.get(t, "container"))
    return pc.binary_join_element_wise(word, pa.scalar(" `", TEXT), names, pa.scalar("`", TEXT), pa.scalar("", TEXT))


def formatted(fn: Callable[..., str | None], *columns: pd.Series) -> pd.Series:
    """Per row: ``fn(*values)`` of the row's values in ``columns`` (aligned Series of equal length, at least
    one; a missing value is passed as ``None``), as text (``None`` gives a missing text).

    ``fn`` is called once per distinct tuple of values, on that tuple's first row, and the texts are gathered
    by code: a message or evidence made of a few columns with a few values each costs a handful of Python
    calls, not a string operation over every row. Values are told apart as ``pd.factorize`` tells them.
    """
    at = combine_codes(pd.factorize(col, use_na_sentinel=True) for col in columns)  # in order of first appearance
    first = np.flatnonzero(~pd.Series(at).duplicated().to_numpy())
    args = []
    for col in columns:
        got = col.iloc[first]
        missing = got.isna().to_numpy(dtype=bool)
        args.append([None if m else v for v, m in zip(got.tolist(), missing)])
    texts = [fn(*a) for a in zip(*args)]
    out = pa.array(texts, type=TEXT).take(pa.array(at.astype(np.int64)))
    return pd.Series(string(out), index=columns[0].index, dtype="string")


def concat(*parts: pd.Series | pa.Array | str | tuple[pd.Series | pa.Array, str]) -> pd.Series:
    """Per row: the parts written end to end, as ``+`` of text columns gives it, in one Arrow call (not one
    pandas operation per ``+``). A part is a text, a text column (a Series aligned with the others, or Arrow
    text; its missing value makes the row's text missing), or ``(column, text)`` for ``column.fillna(text)``.
    The result has the index of the first Series part (none: positions)."""
    index = next(
        (p.index for p in (q[0] if isinstance(q, tuple) else q for q in parts) if isinstance(p, pd.Series)), None
    )
    return pd.Series(string(concat_text(*parts)), index=index, dtype="string")


def concat_text(*parts: pd.Series | pa.Array | str | tuple[pd.Series | pa.Array, str]) -> pa.Array:
    """:func:`concat` as Arrow text."""
    args: list[pa.Array | pa.Scalar] = []
    for part in parts:
        if isinstance(part, str):
            args.append(pa.scalar(part, TEXT))
            continue
        col, fill = part if isinstance(part, tuple) else (part, None)
        if isinstance(col, pd.Series):
            arr = as_text(col)
        else:
            arr = col.cast(TEXT)
        args.append(arr if fill is None else pc.fill_null(arr, pa.scalar(fill, TEXT)))
    out: pa.Array = pc.binary_join_element_wise(*args, pa.scalar("", TEXT))
    return out


def choose(cond: Any, yes: pd.Series | pa.Array | str, no: pd.Series | pa.Array | str, index: pd.Index) -> pd.Series:
    """Per row: ``yes`` where ``cond`` (booleans, none missing) holds, else ``no`` (texts, text columns aligned
    with ``cond``): ``yes.where(cond, no)`` in one Arrow call."""
    parts = [
        pa.scalar(v, TEXT) if isinstance(v, str) else as_text(v) if isinstance(v, pd.Series) else v for v in (yes, no)
    ]
    got = pc.if_else(pa.array(np.asarray(cond, dtype=bool)), *parts)
    return pd.Series(string(got), index=index, dtype="string")


def pod_spec_path(kinds: pd.Series, field: str) -> pd.Series:
    """Where a pod-spec field sits in each kind: ``spec.hostPID``, ``spec.template.spec.hostPID``, ..."""
    paths = text_per_value(as_text(kinds), lambda k: ".".join(pod_spec_keys(str(k))) + "." + field)  # once a kind
    return pd.Series(string(paths), index=kinds.index, dtype="string")


def workload_column(containers: pd.DataFrame, workloads: pd.DataFrame, column: str) -> pd.Series:
    """A workloads column aligned to each container row (e.g. ``host_network``, ``host_users``).

    The join (each container row's workload, the first of equal keys) is made once per audit for a pair of
    frames and shared by the checks that ask for a column of it (:func:`audit_cache`)."""
    at = shared("workload_rows", (containers, workloads), lambda: _workload_rows(containers, workloads))
    got = workloads[column].reset_index(drop=True).reindex(at)  # -1 (no workload): missing
    return pd.Series(got.array, index=containers.index, name=column)


_WORKLOAD_KEYS = ["cluster", "kind", "namespace", "name"]


def _workload_rows(containers: pd.DataFrame, workloads: pd.DataFrame) -> np.ndarray[Any, Any]:
    """Per row of ``containers`` (any frame with the workload keys): the position of the first workload with its
    keys, -1 for none (a missing key is a value, as a merge has it). The keys of both frames are encoded together
    by Arrow, as text."""
    n = len(containers)
    cols = [pa.concat_arrays([as_text(containers[k]), as_text(workloads[k])]) for k in _WORKLOAD_KEYS]
    codes = group_codes(cols)
    first = np.full(int(codes.max()) + 1 if len(codes) else 0, -1, dtype=np.int64)
    distinct, at = np.unique(codes[n:], return_index=True)
    first[distinct] = at
    out: np.ndarray[Any, Any] = first[codes[:n]]
    return out


def shared(name: str, frames: tuple[Any, ...], build: Callable[[], T]) -> T:
    """``build()``, made once per audit (:func:`audit_cache`) for these very objects (``frames``, held weakly:
    a frame freed and another built at its address is not taken for it); outside an audit, every time."""
    memo = _MEMO.get()
    if memo is None:
        return build()
    key = (name, *map(id, frames))
    got = memo.get(key)
    if got is not None and all(ref() is f for ref, f in zip(got[0], frames)):
        value: T = got[1]
        return value
    value = build()
    memo[key] = ([weakref.ref(f) for f in frames], value)
    return value


def pod_note(df: pd.DataFrame) -> pd.Series:
    """`` (seen in pod `x`, which differs from the template)`` for rows read from a pod (``pod`` column), else ""."""
    if "pod" not in df.columns:
        return pd.Series("", index=df.index, dtype="string")
    return pd.Series(string(pod_note_text(as_text(df["pod"]))), index=df.index, dtype="string")


def pod_note_text(pods: pa.Array) -> pa.Array:
    """:func:`pod_note` of Arrow text (each distinct pod's note written once)."""
    return text_per_value(pods, _note_of)


def text_per_value(values: pa.Array, fn: Callable[[Any], str]) -> pa.Array:
    """Per row of an Arrow column: ``fn`` of its value (``None`` for a missing one) as Arrow text, ``fn`` called
    once per distinct value and the texts gathered by code."""
    codes, distinct = encode(values)  # missing: -1, the last text
    texts = pa.array([fn(v) for v in distinct.to_pylist()] + [fn(None)], type=TEXT)
    return texts.take(pa.array(np.where(codes < 0, len(distinct), codes)))


def _note_of(pod: str | None) -> str:
    """:func:`pod_note` of one row's ``pod``: ``pod `x``` or, for a name with a ``/``, ``older revision x``."""
    if pod is None:
        return ""
    where = f"older revision {pod}" if "/" in pod else f"pod `{pod}`"
    return f" (seen in {where}, which differs from the template)"


def rows(df: pd.DataFrame, message: pd.Series | str, evidence: pd.Series | str) -> pd.DataFrame:
    """The offending rows in the shape the runner wants (``container`` when the frame has one).

    Rows read from a pod that differs from its workload's template (a ``pod`` column) stay the
    workload's findings, with the pod named in the evidence; when the template fails the same way
    the template's row says it, and several differing pods give one finding.
    """
    keys = [c for c in ("kind", "namespace", "name", "container") if c in df.columns]
    if "pod" not in df.columns or not df["pod"].notna().any():
        # the columns as they are (no copy: frames are not changed), the texts aligned as assignment aligns them
        data = {k: df[k].array for k in keys}
        data["message"], data["evidence"] = _aligned(message, df.index), _aligned(evidence, df.index)
        return pd.DataFrame(data, index=df.index, copy=False)
    out = df[keys].copy()
    out["message"] = message
    out["evidence"] = evidence
    from_pod = df["pod"].notna().to_numpy()
    k = out.groupby(keys, dropna=False, sort=False).ngroup().to_numpy()  # one id per object (missing: a value)
    out = out[~from_pod | ~np.isin(k, k[~from_pod])]
    out["evidence"] = out["evidence"].astype("string").fillna("") + pod_note(df.loc[out.index])
    if not out.duplicated(keys).any():
        return out
    g = out.groupby(keys, dropna=False, sort=False)
    first = g.first().reset_index()
    first["evidence"] = (
        g["evidence"].agg(lambda s: "; ".join(dict.fromkeys(x for x in s if isinstance(x, str)))).to_numpy()
    )
    return first[keys + ["message", "evidence"]]


def group_ids(df: pd.DataFrame, keys: list[str]) -> np.ndarray[Any, Any]:
    """Each row's group of equal ``keys``, numbered in order of first appearance, a missing value a value of its
    own: ``df.groupby(keys, dropna=False, sort=False).ngroup()`` as an array. Text columns are encoded by Arrow
    (:func:`group_codes`: a fraction of groupby's cost on a small frame)."""
    if not all(isinstance(df[k].array, pd.arrays.ArrowStringArray) for k in keys):
        out: np.ndarray[Any, Any] = df.groupby(keys, dropna=False, sort=False).ngroup().to_numpy()
        return out
    return group_codes([as_text(df[k]) for k in keys])


def group_codes(columns: list[pa.Array]) -> np.ndarray[Any, Any]:
    """:func:`group_ids` of Arrow text columns: each encoded by Arrow, the codes combined (:func:`combine_codes`)."""
    return combine_codes(encode(col) for col in columns)


def combine_codes(encoded: Iterable[tuple[np.ndarray[Any, Any], Any]]) -> np.ndarray[Any, Any]:
    """Each row's number among the distinct tuples of its columns' values, 0.. in order of first appearance.

    ``encoded``: per column, its codes (-1 for a missing value, which is a value of its own) and its distinct
    values (at least one column). The codes are packed into one integer per row; when the combinations would
    outgrow one, those seen so far are numbered first."""
    combined: np.ndarray[Any, Any] | None = None
    span = 1
    for codes, distinct in encoded:
        if combined is None:
            combined = np.zeros(len(codes), dtype=np.int64)
        width = len(distinct) + 1
        if span * width >= 2**62:  # too many combinations for one integer: number those so far
            combined = pd.factorize(combined)[0].astype(np.int64)
            span = int(combined.max()) + 1
        combined += (np.asarray(codes, dtype=np.int64) + 1) * span
        span *= width
    assert combined is not None, "combine_codes needs at least one column"
    got: np.ndarray[Any, Any] = pd.factorize(combined)[0].astype(np.int64)
    return got


def first_of_groups(groups: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """The position of each group's first row, in group order (groups numbered 0.. in order of appearance)."""
    out: np.ndarray[Any, Any] = np.unique(groups, return_index=True)[1]
    return out


def _aligned(values: pd.Series | str, index: pd.Index) -> Any:
    """``values`` as ``frame[column] = values`` puts them in a frame of this ``index``: a Series by label."""
    if not isinstance(values, pd.Series):
        return values
    return (values if values.index.equals(index) else values.reindex(index)).array


def join_by(groups: pd.Series, texts: pd.Series, sep: str) -> pd.Series:
    """Per group id: its distinct non-empty texts joined by ``sep``, in order of appearance (indexed by group id).

    Vectorised: the texts are sorted by group (stable), the first row of each distinct (group, text) pair kept,
    and each group's texts joined by Arrow (``binary_join`` over a list per group), so 100k groups cost no
    per-group Python call.
    """
    t = texts.astype("string")
    keep = (t.notna() & (t != "")).to_numpy(dtype=bool)
    ids, out = _join_groups(groups.to_numpy()[keep], as_text(t[keep]), sep)
    return pd.Series(string(out), index=ids, dtype="string")


def joined_per_group(groups: np.ndarray[Any, Any], texts: pa.Array, sep: str, n: int) -> pa.Array:
    """:func:`join_by` of Arrow texts and integer groups ``0..n-1``, as Arrow text indexed by group (a group
    without a text: missing)."""
    keep = pc.fill_null(pc.not_equal(texts, pa.scalar("", TEXT)), False)
    ids, out = _join_groups(groups[keep.to_numpy(zero_copy_only=False)], texts.filter(keep), sep)
    at = np.full(n, -1, dtype=np.int64)
    at[ids] = np.arange(len(ids))
    return out.take(pa.array(at, mask=at < 0))


def _join_groups(g: np.ndarray[Any, Any], values: pa.Array, sep: str) -> tuple[np.ndarray[Any, Any], pa.Array]:
    """The groups that have texts (``values``: non-empty, one per row of ``g``) and each one's distinct texts
    joined by ``sep`` in order of appearance."""
    if len(g) == 0:
        return np.array([], dtype=np.int64), pa.array([], type=TEXT)
    order = np.argsort(g, kind="stable")
    g = g[order]
    values = values.take(pa.array(order))
    first = np.r_[True, g[1:] != g[:-1]]
    group = np.cumsum(first) - 1
    enc = pc.dictionary_encode(values)
    text = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    # each pair's first row, in row order (by hashing: np.unique sorts, many times slower on a large frame)
    at = np.flatnonzero(~pd.Series(group * len(enc.dictionary) + text).duplicated().to_numpy())
    starts = np.flatnonzero(np.r_[True, group[at][1:] != group[at][:-1]])
    offsets = pa.array(np.append(starts, len(at)).astype(np.int64))
    lists = pa.LargeListArray.from_arrays(offsets, values.take(pa.array(at)))
    return g[first], pc.binary_join(lists, pa.scalar(sep, TEXT))


def apiserver_flags(apiserver: pd.DataFrame, *flags: str) -> pd.DataFrame:
    """One row per kube-apiserver pod with ``kind``/``namespace``/``name`` and one column per flag.

    A flag given twice keeps its last value (as the flag parser does); an absent or
    empty flag is ``<NA>``. Within an audit (:func:`audit_cache`) the frame's flags are read once and each
    check's table is written from them. A flag named like a key column (``node``) is a ValueError.
    """
    if clash := set(flags) & set(_FLAG_KEYS):
        raise ValueError(f"apiserver_flags: {', '.join(sorted(clash))} names a key column, not a flag")
    return _flag_table(shared("apiserver_flags", (apiserver,), lambda: _FlagValues(apiserver)), flags)


_FLAG_KEYS = ("kind", "namespace", "name", "node", "pod")


class _FlagValues:
    """The flags of the apiserver frame, read row by row: the frame holds a row per flag of each kube-apiserver
    pod (a few dozen whatever the size of the cluster), and a pivot of it cost more than the checks reading it."""

    def __init__(self, apiserver: pd.DataFrame) -> None:
        node, pod, flag = (apiserver[c].to_numpy(dtype=object, na_value=None) for c in ("node", "pod", "flag"))
        value = apiserver["value"].astype("string").str.strip().to_numpy(dtype=object, na_value=None)
        self.dtypes = apiserver["node"].dtype, apiserver["pod"].dtype
        self.nodes: dict[Any, Any] = {}  # each pod's node: that of its first row
        self.values: dict[tuple[Any, Any], Any] = {}  # a flag given twice: the last
        for n, p, f, v in zip(node, pod, flag, value):
            self.nodes.setdefault(p, n)
            self.values[(p, f)] = v


def _flag_table(flags_of: _FlagValues, flags: tuple[str, ...]) -> pd.DataFrame:
    """:func:`apiserver_flags` of ``flags``."""
    pods = list(flags_of.nodes)
    out = pd.DataFrame(
        {
            "node": pd.array([flags_of.nodes[p] for p in pods], dtype=flags_of.dtypes[0]),
            "pod": pd.array(pods, dtype=flags_of.dtypes[1]),
            # an empty or blank value: missing
            **{f: pd.array([flags_of.values.get((p, f)) or None for p in pods], dtype="string") for f in flags},
        }
    )
    out.insert(0, "kind", "Pod")
    out.insert(1, "namespace", "kube-system")
    out.insert(2, "name", out["pod"])
    return out
