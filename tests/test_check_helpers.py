"""The vectorised helpers of the checks (``any_in``, ``joined``, ``join_by``, ``who``, ``rows``, ``formatted``,
``concat``, ``truthy``, ``apiserver_flags``, ``image_reference``, the budgets' cover of ``rollout-no-pdb``, ``cap-net-raw``, ``priv-escalation``,
``run-as-root``) against their row-by-row definitions."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from k8saudit._model import pod_spec_keys
from k8saudit._selectors import matches
from k8saudit.checks._common import (
    any_in,
    apiserver_flags,
    audit_cache,
    bracket,
    choose,
    combine_codes,
    concat,
    first_of_groups,
    formatted,
    group_ids,
    join_by,
    joined,
    pod_spec_path,
    rows,
    truthy,
    who,
    workload_column,
)
from k8saudit.checks.p03_capabilities import cap_net_raw
from k8saudit.checks.p08_privileged import priv_escalation, run_as_root
from k8saudit.checks.p10_rollout import _IMAGE, _covered, image_reference

WORDS = st.sampled_from(["ALL", "NET_RAW", "SYS_ADMIN", "get", "*", "", "list"])
ITEM = st.one_of(WORDS, st.integers(0, 3), st.booleans(), st.none())
VALUE = st.one_of(
    st.lists(ITEM, max_size=4),
    st.lists(ITEM, max_size=3).map(tuple),
    WORDS,  # a text is no list: it holds nothing
    st.none(),
    st.just(float("nan")),
    st.sets(WORDS, max_size=2),  # nor is a set
)


def _any_in(values: list[Any], want: set[Any]) -> list[bool]:
    return [isinstance(v, (list, tuple)) and bool(v) and not want.isdisjoint(v) for v in values]


def _joined(values: list[Any], only: set[Any] | None, sep: str) -> list[str]:
    return [
        sep.join(str(x) for x in (v if isinstance(v, (list, tuple)) else ()) if only is None or x in only)
        for v in values
    ]


class Pair(tuple):  # type: ignore[type-arg]  # a named tuple's kind: a tuple, but not exactly one
    pass


class Text(str):
    def __str__(self) -> str:
        return "text"


#: lists of text alone (the Arrow path), with the values that are no list at all, and the odd few that send a
#: column back to the row-by-row path (an item that is bytes, a str subclass; a tuple subclass; an array)
TEXT_VALUE = st.one_of(
    st.lists(WORDS, max_size=4),
    st.lists(WORDS, max_size=3).map(tuple),
    WORDS,
    st.none(),
    st.just(float("nan")),
    st.just(pd.NA),
    st.sets(WORDS, max_size=2),
)
ODD_VALUE = st.one_of(
    st.just([b"ALL"]),
    st.just([Text("ALL")]),
    st.just(Pair(("ALL",))),
    st.just(np.array(["ALL"], dtype=object)),
    st.just(["ALL", None]),
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.one_of(VALUE, TEXT_VALUE, TEXT_VALUE, ODD_VALUE), max_size=12),
    st.sets(st.one_of(ITEM, WORDS), max_size=3),
    st.booleans(),
)
def test_any_in_and_joined_are_their_definitions(values: list[Any], want: set[Any], filtered: bool) -> None:
    s = pd.Series(values, index=[i * 3 + 7 for i in range(len(values))], dtype=object)
    got = any_in(s, want)
    assert got.dtype == bool and list(got.index) == list(s.index)
    assert got.tolist() == _any_in(values, want)
    only = want if filtered else None
    text = joined(s, only, sep="; ")
    assert str(text.dtype) == "string" and list(text.index) == list(s.index)
    assert text.tolist() == _joined(values, only, "; ")


def test_equal_items_of_other_types_are_joined_as_themselves() -> None:
    s = pd.Series([[1], [True], [1.0], ["1"]], dtype=object)
    assert joined(s).tolist() == ["1", "True", "1.0", "1"]
    assert any_in(s, ["1"]).tolist() == [False, False, False, True]


@settings(max_examples=100, deadline=None)
@given(st.lists(TEXT_VALUE, max_size=12), st.sets(WORDS, max_size=3), st.sampled_from([", ", "; ", ""]))
def test_lists_of_text_alone_are_their_definitions(values: list[Any], want: set[str], sep: str) -> None:
    """The Arrow path: every list holds text only (the other values are no lists)."""
    s = pd.Series(values, index=[i * 2 + 1 for i in range(len(values))], dtype=object)
    assert any_in(s, want).tolist() == _any_in(values, want)
    assert joined(s, want, sep=sep).tolist() == _joined(values, want, sep)
    assert joined(s, sep=sep).tolist() == _joined(values, None, sep)
    assert bracket(s).tolist() == [f"[{j}]" if j else "not set" for j in _joined(values, None, ", ")]


def test_items_that_are_not_exactly_text_are_shown_as_python_shows_them() -> None:
    """Arrow would take bytes for text and a str subclass for its value: each is joined as ``str()`` has it, a
    named tuple is a list, an array is not; a missing item is ``None``."""
    s = pd.Series([[b"x"], [Text("y")], Pair(("ALL", "z")), np.array(["ALL"], dtype=object), ["a", None]])
    assert joined(s).tolist() == ["b'x'", "text", "ALL, z", "", "a, None"]
    assert any_in(s, ["ALL"]).tolist() == [False, False, True, False, False]
    assert any_in(s, ["x", "y"]).tolist() == [False, True, False, False, False]


def test_an_empty_column_and_empty_lists() -> None:
    for s in (pd.Series([], dtype=object), pd.Series([[], [], None], dtype=object)):
        assert not any_in(s, ["ALL"]).any()
        assert (joined(s) == "").all() and (joined(s, ["ALL"]) == "").all()
    assert any_in(pd.Series([["ALL"]], dtype=object), []).tolist() == [False]


def test_an_empty_list_holds_not_even_none() -> None:
    """``explode`` turns ``[]`` into a missing value and ``isin`` matches a missing value to ``None``."""
    s = pd.Series([[], "ALL", [None], None], dtype=object)
    assert any_in(s, {None}).tolist() == [False, False, True, False]


TEXT = st.one_of(st.sampled_from(["a", "b", "", "a, b", "é"]), st.none())


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), TEXT), max_size=14), st.sampled_from([", ", "; "]))
def test_join_by_is_its_definition(pairs: list[tuple[int, Any]], sep: str) -> None:
    groups = pd.Series([g for g, _ in pairs], index=[i * 2 + 5 for i in range(len(pairs))])
    texts = pd.Series([t for _, t in pairs], index=groups.index, dtype="string")
    want: dict[int, list[str]] = {}
    for g, t in pairs:
        if t is not None and t != "" and t not in want.setdefault(g, []):
            want[g].append(t)
    expected = {g: sep.join(ts) for g, ts in sorted(want.items()) if ts}
    got = join_by(groups, texts, sep)
    assert got.dtype == "string" and list(got.index) == list(expected)  # sorted by group id
    assert got.tolist() == list(expected.values())


WORD = {"container": "container", "init": "init container", "ephemeral": "ephemeral container"}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["container", "init", "ephemeral", "other", None]), TEXT), max_size=8))
def test_who_is_its_definition(pairs: list[tuple[Any, Any]]) -> None:
    df = pd.DataFrame(
        {"container_type": [t for t, _ in pairs], "container": [c for _, c in pairs]}, dtype="string"
    ).set_axis([i + 3 for i in range(len(pairs))])
    got = who(df)
    want = [None if c is None else f"{WORD.get(t, 'container')} `{c}`" for t, c in pairs]
    assert list(got.index) == list(df.index)
    assert [None if v is pd.NA else v for v in got.tolist()] == want


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["Deployment", None]),
            st.sampled_from(["ns", "other", None]),
            st.sampled_from(["a", "b"]),
            st.sampled_from(["c", None]),
            st.sampled_from([None, "a-1", "old/a-0"]),
        ),
        max_size=10,
    )
)
def test_rows_keeps_a_pod_only_where_its_template_does_not_fail(recs: list[tuple[Any, ...]]) -> None:
    """A row read from a pod is dropped when the template's row of the same object fails too (missing keys are
    values); the pods that remain are named in the evidence."""
    df = pd.DataFrame(recs, columns=["kind", "namespace", "name", "container", "pod"], dtype="string")
    out = rows(df, "m", "e")
    keys = ["kind", "namespace", "name", "container"]
    template = {tuple(r[:4]) for r in recs if r[4] is None}
    kept = [r for r in recs if r[4] is None or tuple(r[:4]) not in template]
    assert {tuple(None if v is pd.NA else v for v in t) for t in out[keys].itertuples(index=False)} == {
        tuple(r[:4]) for r in kept
    }
    if any(r[4] is not None for r in recs):  # one finding per object (without pods: the rows as they are)
        assert len(out) == len({tuple(r[:4]) for r in kept})


IMAGES = st.one_of(
    st.none(),
    st.from_regex(r"\A ?([a-z0-9.:-]{1,8}/){0,2}[a-z0-9:@_.-]{1,10} ?\Z", fullmatch=True),
    st.sampled_from(["nginx", "nginx:latest", "r:5000/a/b:1@sha256:00", "x@sha256:1", ""]),
)


@settings(max_examples=80, deadline=None)
@given(st.lists(IMAGES, max_size=10))
def test_image_reference_is_each_image_parsed(images: list[Any]) -> None:
    s = pd.Series(images, index=[i * 4 + 1 for i in range(len(images))], dtype="string")
    got = image_reference(s)
    assert list(got.index) == list(s.index) and list(got.columns) == ["repo", "tag", "digest"]
    for i, img in zip(got.index, images):
        m = None if img is None else re.match(_IMAGE, img.strip())
        want = [None, None, None] if m is None else [m.group("repo"), m.group("tag"), m.group("digest")]
        assert [None if v is pd.NA else v for v in got.loc[i]] == want, img


def test_a_column_changed_between_two_audits_is_read_again() -> None:
    """Within one audit a whole column's lists are converted once; the next audit reads them again."""
    s = pd.Series([["ALL"], ["NET_RAW"], []], dtype=object)
    with audit_cache():
        assert any_in(s, ["ALL"]).tolist() == [True, False, False]
        assert joined(s, ["ALL", "NET_RAW"]).tolist() == ["ALL", "NET_RAW", ""]
    s.iloc[2] = ["ALL"]  # in place: the same memory, another list in it
    with audit_cache():
        assert any_in(s, ["ALL"]).tolist() == [True, False, True]
    assert joined(s).tolist() == ["ALL", "NET_RAW", "ALL"]


KEY = st.tuples(
    st.sampled_from(["Deployment", "Pod"]), st.sampled_from(["ns", "other", None]), st.sampled_from(["a", "b"])
)


@settings(max_examples=80, deadline=None)
@given(st.lists(KEY, max_size=8), st.lists(st.tuples(KEY, st.sampled_from([True, False, None])), max_size=6))
def test_workload_column_is_each_container_looked_up(containers: list[Any], workloads: list[Any]) -> None:
    """Each container row gets the column of the first workload with its keys (missing keys are values, as a
    merge has them; duplicate names across namespaces stay apart), missing where none; once per audit too."""
    c = pd.DataFrame([("c1", *k) for k in containers], columns=["cluster", "kind", "namespace", "name"], dtype="string")
    c.index = [i * 3 + 2 for i in range(len(c))]
    w = pd.DataFrame(
        [("c1", *k, v) for k, v in workloads], columns=["cluster", "kind", "namespace", "name", "host_users"]
    ).astype({"cluster": "string", "kind": "string", "namespace": "string", "name": "string", "host_users": "boolean"})
    first: dict[tuple[Any, ...], Any] = {}
    for k, v in workloads:
        first.setdefault(k, v)
    want = [first.get(k) for k in containers]
    for _ in range(2):
        got = workload_column(c, w, "host_users")
        assert list(got.index) == list(c.index)
        assert [None if v is pd.NA else v for v in got.tolist()] == want
    with audit_cache():
        assert [None if v is pd.NA else v for v in workload_column(c, w, "host_users").tolist()] == want
        assert [None if v is pd.NA else v for v in workload_column(c, w, "host_users").tolist()] == want


FORMAT_TEXT = st.one_of(st.none(), st.sampled_from(["a", "b", "", "ab"]))


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(FORMAT_TEXT, st.booleans(), st.sampled_from([True, False, None]), st.integers(0, 2)),
        max_size=12,
    )
)
def test_formatted_is_fn_of_each_row(recs: list[tuple[Any, ...]]) -> None:
    index = [i * 2 + 1 for i in range(len(recs))]
    cols = [
        pd.Series([r[0] for r in recs], index=index, dtype="string"),
        pd.Series([r[1] for r in recs], index=index, dtype=bool),
        pd.Series([r[2] for r in recs], index=index, dtype="boolean"),
        pd.Series([r[3] for r in recs], index=index, dtype=np.int64),
    ]

    def fn(text: Any, flag: Any, tri: Any, n: Any) -> str | None:
        return None if text == "ab" else f"{text!r}|{flag!r}|{tri!r}|{n!r}"

    calls: list[tuple[Any, ...]] = []
    got = formatted(lambda *a: calls.append(a) or fn(*a), *cols)
    want = [fn(*r) for r in recs]
    assert list(got.index) == index
    assert [None if v is pd.NA else v for v in got.tolist()] == want
    assert len(calls) == len(set(recs))  # once per distinct tuple


def test_formatted_of_empty_columns() -> None:
    got = formatted(lambda a: "x", pd.Series([], dtype="string"))
    assert got.tolist() == [] and got.dtype == "string"


LABEL_VALUE = st.one_of(st.sampled_from(["web", "db", ""]), st.integers(0, 1), st.none())
LABELS = st.one_of(st.none(), st.dictionaries(st.sampled_from(["app", "tier", "x"]), LABEL_VALUE, max_size=3))
EXPRESSION = st.fixed_dictionaries(
    {
        "key": st.sampled_from(["app", "tier"]),
        "operator": st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist", "Bogus"]),
        "values": st.lists(st.sampled_from(["web", "db"]), max_size=2),
    }
)
SELECTOR = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {
            "match_labels": st.one_of(st.none(), st.dictionaries(st.sampled_from(["app", "tier"]), LABEL_VALUE)),
            "match_expressions": st.one_of(st.none(), st.lists(EXPRESSION, max_size=2)),
        }
    ),
)
NAMESPACE = st.sampled_from(["a", "b", None])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(NAMESPACE, LABELS), max_size=8), st.lists(st.tuples(NAMESPACE, SELECTOR), max_size=6))
def test_budgets_cover_the_workloads_their_selectors_match(
    workloads: list[tuple[Any, Any]], budgets: list[tuple[Any, Any]]
) -> None:
    got = _covered(
        pd.Series([n for n, _ in workloads], dtype="string"),
        pd.Series([lab for _, lab in workloads], dtype=object),
        pd.Series([n for n, _ in budgets], dtype="string"),
        pd.Series([s for _, s in budgets], dtype=object),
    )
    # pair by pair: a missing namespace pairs with a missing namespace (as a merge on it does)
    want = [any(m == n and matches(s, lab) for m, s in budgets) for n, lab in workloads]
    assert got.tolist() == want


def _cap_net_raw_row(who_: Any, drop: Any, add: Any, privileged: Any) -> tuple[str | None, str] | None:
    """cap-net-raw for one container row: (message, evidence), or None when it passes."""
    lists = [v if isinstance(v, (list, tuple)) else [] for v in (drop, add)]
    has = [bool({"ALL", "NET_RAW"} & {x for x in v if isinstance(x, str)}) for v in lists]
    priv = privileged is True
    if has[0] and not has[1] and not priv:
        return None
    text = [f"[{', '.join(map(str, v))}]" if v else "not set" for v in lists]
    if who_ is None:
        msg = None
    elif priv:
        msg = f"{who_} is privileged: it holds NET_RAW whatever it drops"
    elif has[1]:
        msg = f"{who_} adds " + ", ".join(str(x) for x in lists[1] if x in ("ALL", "NET_RAW"))
    else:
        msg = f"{who_} does not drop NET_RAW"
    ev = f"securityContext.capabilities.drop={text[0]}; capabilities.add={text[1]}"
    return msg, ev + "; privileged=true" if priv else ev


CAPS = st.one_of(st.none(), st.lists(st.sampled_from(["ALL", "NET_RAW", "CHOWN", "SYS_ADMIN"]), max_size=3))


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["app", "side", None]),
            st.sampled_from(["container", "init", "ephemeral"]),
            CAPS,
            CAPS,
            st.sampled_from([True, False, None]),
        ),
        max_size=8,
    )
)
def test_cap_net_raw_is_its_row_by_row_definition(recs: list[tuple[Any, ...]]) -> None:
    n = len(recs)
    c = pd.DataFrame(
        {
            "kind": pd.Series(["Deployment"] * n, dtype="string"),
            "namespace": pd.Series(["ns"] * n, dtype="string"),
            "name": pd.Series([f"w{i}" for i in range(n)], dtype="string"),
            "container": pd.Series([r[0] for r in recs], dtype="string"),
            "container_type": pd.Series([r[1] for r in recs], dtype="string"),
            "caps_drop": pd.Series([r[2] for r in recs], dtype=object),
            "caps_add": pd.Series([r[3] for r in recs], dtype=object),
            "privileged": pd.Series([r[4] for r in recs], dtype="boolean"),
        }
    )
    with audit_cache():
        got = cap_net_raw(c)
    want = {}
    for i, (name, ctype, drop, add, priv) in enumerate(recs):
        w = None if name is None else f"{WORD[ctype]} `{name}`"
        r = _cap_net_raw_row(w, drop, add, priv)
        if r is not None:
            want[f"w{i}"] = r
    assert list(got["name"]) == list(want)
    for name, msg, ev in zip(got["name"], got["message"], got["evidence"]):
        assert (None if msg is pd.NA else msg, ev) == want[name]


TRI = st.sampled_from([True, False, None])


def _containers(recs: list[tuple[Any, ...]], **columns: tuple[int, str]) -> pd.DataFrame:
    """Container rows: (container name, type, ...) records, the other fields as ``column=(position, dtype)``."""
    n = len(recs)
    df = pd.DataFrame(
        {
            "cluster": pd.Series(["c"] * n, dtype="string"),
            "kind": pd.Series(["Deployment"] * n, dtype="string"),
            "namespace": pd.Series(["ns"] * n, dtype="string"),
            "name": pd.Series([f"w{i}" for i in range(n)], dtype="string"),
            "container": pd.Series([r[0] for r in recs], dtype="string"),
            "container_type": pd.Series([r[1] for r in recs], dtype="string"),
        }
    )
    for col, (at, dtype) in columns.items():
        df[col] = pd.Series([r[at] for r in recs], dtype=dtype)
    return df


def _found(got: pd.DataFrame) -> dict[str, tuple[Any, Any]]:
    return {n: (None if m is pd.NA else m, e) for n, m, e in zip(got["name"], got["message"], got["evidence"])}


NAMED = (st.sampled_from(["app", "side", None]), st.sampled_from(["container", "init", "ephemeral"]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(*NAMED, TRI, TRI), max_size=8))
def test_priv_escalation_is_its_row_by_row_definition(recs: list[tuple[Any, ...]]) -> None:
    c = _containers(recs, allow_privilege_escalation=(2, "boolean"), privileged=(3, "boolean"))
    want = {}
    for i, (name, ctype, ape, priv) in enumerate(recs):
        if ape is False:
            continue
        w = None if name is None else f"{WORD[ctype]} `{name}`"
        if w is None:
            msg = None
        elif priv is True:
            msg = f"{w} is privileged, which always allows privilege escalation: drop privileged first"
        else:
            msg = f"{w} allows privilege escalation" + (" (not set: defaults to true)" if ape is None else "")
        ev = "securityContext.allowPrivilegeEscalation=" + ("not set" if ape is None else "true")
        want[f"w{i}"] = (msg, ev + "; privileged=true" if priv is True else ev)
    got = priv_escalation(c)
    assert list(got["name"]) == list(want) and _found(got) == want


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(*NAMED, TRI, st.sampled_from([0, 1000, None]), TRI), max_size=8))
def test_run_as_root_is_its_row_by_row_definition(recs: list[tuple[Any, ...]]) -> None:
    c = _containers(recs, run_as_non_root=(2, "boolean"), run_as_user=(3, "Int64"))
    workloads = c[["cluster", "kind", "namespace", "name"]].assign(host_users=pd.array([r[4] for r in recs], "boolean"))
    want = {}
    for i, (name, ctype, nonroot, uid, host_users) in enumerate(recs):
        if host_users is False or (nonroot is True and uid != 0):
            continue
        w = None if name is None else f"{WORD[ctype]} `{name}`"
        said = "not set" if nonroot is None else str(nonroot).lower()
        msg = (
            None
            if w is None
            else f"{w} runs as root (runAsUser=0)"
            if uid == 0
            else f"{w} may run as root (runAsNonRoot {said})"
        )
        user = "not set" if uid is None else str(uid)
        want[f"w{i}"] = (msg, f"runAsNonRoot={said}; runAsUser={user} (effective: container over pod)")
    with audit_cache():
        got = run_as_root(c, workloads)
    assert list(got["name"]) == list(want) and _found(got) == want


TEXTS = st.sampled_from(["a", "", "ü/x", None])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(TEXTS, TEXTS, TEXTS), max_size=8), st.sampled_from(["", "-", "?"]))
def test_concat_is_pandas_plus(recs: list[tuple[Any, ...]], fill: str) -> None:
    """Text columns written end to end in one Arrow call, as ``+`` of the columns (``fillna`` for a pair)."""
    a, b, c = (pd.Series([r[i] for r in recs], dtype="string", index=range(10, 10 + len(recs))) for i in range(3))
    got = concat(a, " x ", (b, fill), c, "!")
    want = a + " x " + b.fillna(fill) + c + "!"
    pd.testing.assert_series_equal(got, want, check_names=False)


FLAG = st.sampled_from(["anonymous-auth", "authorization-mode", "insecure-port", "x"])


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["p1", "p2", None]), FLAG, st.sampled_from(["true", " false ", "", "\t", None])),
        max_size=8,
    ),
    st.lists(st.lists(FLAG, min_size=1, max_size=2, unique=True), max_size=4),
)
def test_apiserver_flags_in_an_audit_are_each_calls_own_table(
    recs: list[tuple[Any, ...]], asks: list[list[str]]
) -> None:
    """Within an audit the table of every flag is made once; each call's columns are what its own table of the
    flags it names holds (a flag given twice: the last; absent, empty or blank: missing)."""
    api = pd.DataFrame(
        {
            "node": pd.Series([None if r[0] is None else "n-" + r[0] for r in recs], dtype="string"),
            "pod": pd.Series([r[0] for r in recs], dtype="string"),
            "flag": pd.Series([r[1] for r in recs], dtype="string"),
            "value": pd.Series([r[2] for r in recs], dtype="string"),
        }
    )
    with audit_cache():
        got = [apiserver_flags(api, *flags) for flags in asks]
    for flags, g in zip(asks, got):
        pd.testing.assert_frame_equal(g, _flags(api, flags))
        pd.testing.assert_frame_equal(apiserver_flags(api, *flags), _flags(api, flags))


def _flags(apiserver: pd.DataFrame, flags: list[str]) -> pd.DataFrame:
    """The table of one call, as it was written before the audit shared one table of every flag."""
    pods = apiserver.drop_duplicates("pod")[["node", "pod"]]
    sel = apiserver[apiserver["flag"].isin(flags)].drop_duplicates(["pod", "flag"], keep="last")
    wide = sel.pivot(index="pod", columns="flag", values="value") if len(sel) else pd.DataFrame(index=pd.Index([]))
    out = pods.merge(wide.reindex(columns=list(flags)), left_on="pod", right_index=True, how="left")
    out = out.astype({"node": apiserver["node"].dtype, "pod": apiserver["pod"].dtype})  # an empty merge: object
    for f in flags:
        v = out[f].astype("string").str.strip()
        out[f] = v.where(v != "")
    out.insert(0, "kind", "Pod")
    out.insert(1, "namespace", "kube-system")
    out.insert(2, "name", out["pod"])
    return out.reset_index(drop=True)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(VALUE, st.just(pd.NA), st.just(np.array([1, 2]))), max_size=8))
def test_truthy_is_map_bool(values: list[Any]) -> None:
    s = pd.Series(values, dtype=object)
    try:  # the definition, value by value: a missing value is not true
        want = [not _missing(v) and bool(v) for v in values]
    except ValueError:  # an array's truth is ambiguous: the definition itself refuses it
        return
    assert truthy(s).tolist() == want


def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and v != v)


KEY = st.sampled_from(["a", "b", "", None])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(KEY, KEY, KEY), max_size=12), st.booleans())
def test_group_ids_are_ngroup(recs: list[tuple[Any, ...]], text: bool) -> None:
    """``group_ids`` numbers groups as ``groupby(dropna=False, sort=False).ngroup()`` does: a missing value is a
    value of its own (not the empty text), groups in order of first appearance; text columns or not."""
    df = pd.DataFrame(recs, columns=["x", "y", "z"], dtype="string" if text else object)
    want = df.groupby(["x", "y", "z"], dropna=False, sort=False).ngroup().to_numpy()
    got = group_ids(df, ["x", "y", "z"])
    assert got.tolist() == want.tolist()
    firsts = first_of_groups(got)
    assert firsts.tolist() == [got.tolist().index(g) for g in range(len(firsts))]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(*[st.integers(-1, 3)] * 4), min_size=1, max_size=15),
    st.sampled_from([4, 2**20, 2**31, 2**61]),
)
def test_combine_codes_numbers_distinct_tuples_in_order_of_appearance(rows_: list[tuple[int, ...]], width: int) -> None:
    """Four columns of codes (-1: missing, a value of its own) whose distinct values number ``width`` each: wide
    enough, and the packed integer would overflow, so those seen so far are numbered first. Whatever the
    width, each row gets the number of its tuple in order of first appearance."""
    columns = [(np.array([r[i] for r in rows_]), range(width)) for i in range(4)]
    order: dict[tuple[int, ...], int] = {}
    want = [order.setdefault(r, len(order)) for r in rows_]
    assert combine_codes(columns).tolist() == want


def test_rows_aligns_texts_by_label_as_assignment_does() -> None:
    """A message given as a Series is placed by index label (as ``frame["message"] = series``), a text on every
    row; a label the Series lacks gives a missing text."""
    df = pd.DataFrame({"kind": ["Pod", "Pod", "Job"], "namespace": ["a", "b", "a"], "name": ["x", "x", "y"]})
    df.index = [7, 3, 5]
    df = df.astype("string")
    msg = pd.Series(["m5", "m7"], index=[5, 7], dtype="string")
    out = rows(df, msg, "e")
    assert list(out.index) == [7, 3, 5]
    assert [None if v is pd.NA else v for v in out["message"]] == ["m7", None, "m5"]
    assert out["evidence"].tolist() == ["e", "e", "e"]
    assert out[["kind", "namespace", "name"]].equals(df)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.sampled_from(["a", "", None]), st.sampled_from(["b", None])), max_size=8))
def test_choose_is_where(recs: list[tuple[Any, ...]]) -> None:
    """``choose(cond, yes, no)`` is ``yes.where(cond, no)`` (a missing text stays missing), texts or columns."""
    index = pd.Index([i * 3 + 2 for i in range(len(recs))])
    cond = np.array([r[0] for r in recs], dtype=bool)
    yes = pd.Series([r[1] for r in recs], index=index, dtype="string")
    no = pd.Series([r[2] for r in recs], index=index, dtype="string")
    for y, n in ((yes, no), (yes, "x"), ("x", no)):
        want = (y if isinstance(y, pd.Series) else pd.Series(y, index=index, dtype="string")).where(cond, n)
        pd.testing.assert_series_equal(choose(cond, y, n, index), want.astype("string"))


@given(st.lists(st.sampled_from(["Pod", "CronJob", "Deployment", "", None]), max_size=6))
def test_pod_spec_path_is_each_kinds_path(kinds: list[Any]) -> None:
    s = pd.Series(kinds, index=[i + 10 for i in range(len(kinds))], dtype="string")
    got = pod_spec_path(s, "hostPID")
    assert list(got.index) == list(s.index)
    assert got.tolist() == [".".join(pod_spec_keys(str(k) if k is not None else "<NA>")) + ".hostPID" for k in kinds]
