"""Small vectorised helpers the practice modules share: list columns, tri-state values, messages."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from .._model import pod_spec_keys

_CONTAINER_WORD = {"container": "container", "init": "init container", "ephemeral": "ephemeral container"}


def any_in(lists: pd.Series, values: Iterable[str]) -> pd.Series:
    """Per row: does the list hold any of ``values``? (Only a list or tuple holds anything.)

    Vectorised: the lists are exploded once and matched by ``isin``; the few rows that hit are then checked
    to be non-empty lists or tuples (``explode`` also opens sets and arrays, keeps a text whole, and turns an
    empty list into a missing value that ``isin`` takes for ``None``).
    """
    arr = lists.to_numpy(dtype=object)
    hit = np.zeros(len(arr), dtype=bool)
    if len(arr):
        items = pd.Series(arr, dtype=object, copy=False).explode()
        hit[items.index.to_numpy()[items.isin(set(values)).to_numpy(dtype=bool)]] = True
        for i in np.flatnonzero(hit):  # an empty list explodes to a missing value, which isin matches to None
            if not isinstance(arr[i], (list, tuple)) or not arr[i]:
                hit[i] = False
    return pd.Series(hit, index=lists.index, dtype=bool)


def joined(lists: pd.Series, only: Iterable[str] | None = None, sep: str = ", ") -> pd.Series:
    """Per row: the list's items (or only those in ``only``) joined by ``sep``; "" for none.

    Each distinct list is joined once (rows repeat the same few lists: ``[]``, ``["ALL"]``, ...).
    """
    keep = None if only is None else set(only)
    done: dict[Any, str] = {}
    out = []
    for v in lists:
        if not isinstance(v, (list, tuple)) or not v:
            out.append("")
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
        out.append(text)
    return pd.Series(out, index=lists.index, dtype="string")


def bracket(lists: pd.Series) -> pd.Series:
    """``[A, B]``, or ``not set`` for an empty list."""
    j = joined(lists)
    return ("[" + j + "]").where(j != "", "not set")


def tri(values: pd.Series) -> pd.Series:
    """A tri-state ``boolean`` column as text: ``true``, ``false`` or ``not set``."""
    return values.astype("string").str.lower().fillna("not set")


def who(containers: pd.DataFrame) -> pd.Series:
    """``container `app```, ``init container `setup```, ``ephemeral container `debugger```."""
    codes, types = pd.factorize(containers["container_type"])  # a few distinct types: each looked up once
    words = np.array([_CONTAINER_WORD.get(t, "container") for t in types] + ["container"], dtype=object)
    word = pd.Series(words[codes], index=containers.index, dtype="string")
    return word + " `" + containers["container"].astype("string") + "`"


def pod_spec_path(kinds: pd.Series, field: str) -> pd.Series:
    """Where a pod-spec field sits in each kind: ``spec.hostPID``, ``spec.template.spec.hostPID``, ..."""
    prefix = kinds.map(lambda k: ".".join(pod_spec_keys(str(k)))).astype("string")
    return prefix + "." + field


def workload_column(containers: pd.DataFrame, workloads: pd.DataFrame, column: str) -> pd.Series:
    """A workloads column aligned to each container row (e.g. ``host_network``, ``host_users``)."""
    keys = ["cluster", "kind", "namespace", "name"]
    right = workloads[keys + [column]].drop_duplicates(keys)
    got = containers[keys].merge(right, on=keys, how="left")[column]
    return pd.Series(got.array, index=containers.index, name=column)


def pod_note(df: pd.DataFrame) -> pd.Series:
    """`` (seen in pod `x`, which differs from the template)`` for rows read from a pod (``pod`` column), else ""."""
    if "pod" not in df.columns:
        return pd.Series("", index=df.index, dtype="string")
    pod = df["pod"].astype("string")
    where = ("pod `" + pod + "`").mask(pod.str.contains("/", regex=False).fillna(False), "older revision " + pod)
    return (" (seen in " + where + ", which differs from the template)").fillna("")


def rows(df: pd.DataFrame, message: pd.Series | str, evidence: pd.Series | str) -> pd.DataFrame:
    """The offending rows in the shape the runner wants (``container`` when the frame has one).

    Rows read from a pod that differs from its workload's template (a ``pod`` column) stay the
    workload's findings, with the pod named in the evidence; when the template fails the same way
    the template's row says it, and several differing pods give one finding.
    """
    keys = [c for c in ("kind", "namespace", "name", "container") if c in df.columns]
    out = df[keys].copy()
    out["message"] = message
    out["evidence"] = evidence
    if "pod" not in df.columns or not df["pod"].notna().any():
        return out
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


def join_by(groups: pd.Series, texts: pd.Series, sep: str) -> pd.Series:
    """Per group id: its distinct non-empty texts joined by ``sep``, in order of appearance (indexed by group id).

    Vectorised: the texts are sorted by group; a group with one text keeps it as it is, and only the groups
    with several are deduplicated and concatenated with ``np.add.reduceat``, so 100k groups cost no
    per-group Python call.
    """
    t = texts.astype("string")
    keep = (t.notna() & (t != "")).to_numpy(dtype=bool)
    g = groups.to_numpy()[keep]
    if len(g) == 0:
        return pd.Series([], dtype="string")
    order = np.argsort(g, kind="stable")
    g = g[order]
    t = t[keep].iloc[order]
    first = np.r_[True, g[1:] != g[:-1]]
    single = first & np.r_[first[1:], True]  # the only text of its group
    out = pd.Series(t[single].array, index=g[single], dtype="string")
    if single.all():
        return out
    d = pd.DataFrame({"g": g[~single], "t": t[~single].to_numpy(dtype=object)}).drop_duplicates()
    gm = d["g"].to_numpy()
    starts = np.flatnonzero(np.r_[True, gm[1:] != gm[:-1]])
    joined = np.add.reduceat((d["t"] + sep).to_numpy(dtype=object), starts)
    many = pd.Series(joined, index=gm[starts], dtype="string").str.slice(stop=-len(sep))
    return pd.concat([out, many]).sort_index(kind="stable")


def apiserver_flags(apiserver: pd.DataFrame, *flags: str) -> pd.DataFrame:
    """One row per kube-apiserver pod with ``kind``/``namespace``/``name`` and one column per flag.

    A flag given twice keeps its last value (as the flag parser does); an absent or
    empty flag is ``<NA>``.
    """
    pods = apiserver.drop_duplicates("pod")[["node", "pod"]]
    sel = apiserver[apiserver["flag"].isin(flags)].drop_duplicates(["pod", "flag"], keep="last")
    wide = (
        sel.pivot(index="pod", columns="flag", values="value")
        if len(sel)
        else pd.DataFrame(index=pd.Index([], name="pod"))
    )
    out = pods.merge(wide.reindex(columns=list(flags)), left_on="pod", right_index=True, how="left")
    for f in flags:
        v = out[f].astype("string").str.strip()
        out[f] = v.where(v != "")
    out.insert(0, "kind", "Pod")
    out.insert(1, "namespace", "kube-system")
    out.insert(2, "name", out["pod"])
    return out.reset_index(drop=True)
