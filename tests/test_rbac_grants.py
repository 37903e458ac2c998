"""The RBAC checks' shared view of the ``rbac`` frame (:class:`k8saudit.checks.p05_rbac.Grants`): what it gathers per
binding against its row-by-row definition (bindings in order of appearance among the chosen rows, a missing key
one value, each binding's distinct texts joined in order, a rule's text the same as that row's own), on frames
with missing values, equal names in two namespaces, rules shared by several bindings, and no row at all."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from k8saudit.checks._common import any_in, joined_per_group
from k8saudit.checks.p05_rbac import (
    ESCALATION,
    Grants,
    _allows,
    _asks,
    _can,
    _escalations,
    _role_text,
    _rule_text,
    _subject_text,
    _where_text,
    _wildcards,
)

ROW = st.tuples(
    st.sampled_from([("ClusterRoleBinding", None), ("RoleBinding", "a"), ("RoleBinding", "b"), (None, "a")]),
    st.sampled_from(["x", "y", None]),  # binding names, equal across namespaces
    st.sampled_from(["cluster", "a", None]),
    st.sampled_from(
        [("ServiceAccount", "a", "sa"), ("ServiceAccount", "", "sa"), ("Group", None, "g"), (None, None, None)]
    ),
    st.sampled_from([("ClusterRole", "view"), ("Role", "r"), ("Role", None), (None, None)]),
    st.sampled_from([0, 1, None]),
    st.booleans(),  # chosen
)


def _frame(recs: list[tuple[Any, ...]]) -> pd.DataFrame:
    def col(values: list[Any], dtype: str = "string") -> pd.Series:
        return pd.Series(values, dtype=dtype)

    return pd.DataFrame(
        {
            "binding_kind": col([r[0][0] for r in recs]),
            "binding_namespace": col([r[0][1] for r in recs]),
            "binding": col([r[1] for r in recs]),
            "scope": col([r[2] for r in recs]),
            "subject_kind": col([r[3][0] for r in recs]),
            "subject_namespace": col([r[3][1] for r in recs]),
            "subject": col([r[3][2] for r in recs]),
            "role_kind": col([r[4][0] for r in recs]),
            "role": col([r[4][1] for r in recs]),
            # a rule's fields follow from its role and index, as in a real frame
            "rule_index": col([r[5] for r in recs], "Int64"),
            "verbs": col(
                [{0: ["get"], 1: ["*", "list"]}.get(r[5], []) + (["x"] if r[4][1] == "r" else []) for r in recs],
                "object",
            ),
            "api_groups": col([[""] if r[4][1] == "view" else ["apps"] for r in recs], "object"),
            "resources": col([["pods"] for _ in recs], "object"),
            "resource_names": col([[] if r[5] is None else ["n"] for r in recs], "object"),
            "is_system_subject": col([r[6] for r in recs], "bool"),
        }
    )


def _none(v: Any) -> Any:
    return None if v is pd.NA else v


@settings(max_examples=60, deadline=None)
@given(st.lists(ROW, max_size=10), st.booleans())
def test_per_binding_is_its_row_by_row_definition(recs: list[tuple[Any, ...]], rules: bool) -> None:
    df = _frame(recs)
    hit = np.array([r[6] for r in recs], dtype=bool)
    extra = pd.Series([["bind, x", "y"][i % 2] for i in range(len(recs))], dtype="string")
    got = Grants(df).per_binding(hit, rules=rules, what=extra)
    # the definition: each row's own texts, grouped by binding in order of appearance among the chosen rows
    texts = {
        "roles": _role_text(df),
        "where": _where_text(df),
        "subjects": _subject_text(df),
        "rules": pd.Series([_rule_text(df.iloc[[i]]).iloc[0] for i in range(len(df))], dtype="string"),
        "what": extra,
    }
    groups: dict[tuple[Any, ...], list[int]] = {}
    for i in np.flatnonzero(hit):
        groups.setdefault(
            tuple(_none(df.at[i, c]) for c in ("binding_kind", "binding_namespace", "binding")), []
        ).append(i)
    want: dict[str, list[Any]] = {
        c: [] for c in ["kind", "namespace", "name", "label", "roles", "where", "subjects", "what"]
    }
    want.update({"rules": []} if rules else {})
    for (kind, ns, name), rows in groups.items():
        want["kind"].append(kind)
        want["namespace"].append(ns)
        want["name"].append(name)
        want["label"].append(
            None if kind is None or name is None else f"{kind} `{'' if ns is None else ns + '/'}{name}`"
        )
        for c in ("roles", "where"):
            want[c].append(_none(texts[c][rows[0]]))
        for c, sep in (("subjects", ", "), ("rules", "; "), ("what", ", ")):
            if c in want:
                items = [_none(texts[c][i]) for i in rows]
                want[c].append(sep.join(dict.fromkeys(x for x in items if x)) or None)
    assert {k: v.to_pylist() for k, v in got.items()} == want


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.sampled_from(["a", "b", "", None])), max_size=12))
def test_joined_per_group_is_its_definition(pairs: list[tuple[int, Any]]) -> None:
    groups = np.array([g for g, _ in pairs], dtype=np.int64)
    got = joined_per_group(groups, pa.array([t for _, t in pairs], type=pa.large_string()), "; ", 6).to_pylist()
    want = ["; ".join(dict.fromkeys(t for g, t in pairs if g == k and t)) or None for k in range(6)]
    assert got == want


RULE_LIST = st.one_of(
    st.lists(
        st.sampled_from(["*", "", "get", "create", "pods", "pods/exec", "*/exec", "secrets", "apps", 1]), max_size=3
    ),
    st.lists(st.sampled_from(["*", "get"]), max_size=2).map(tuple),
    st.none(),
    st.just("*"),  # a text is no list: it holds nothing (but has a length)
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(RULE_LIST, RULE_LIST, RULE_LIST), max_size=6))
def test_rule_matching_is_any_in_over_the_rules(recs: list[tuple[Any, ...]]) -> None:
    """A rule judged by itself (``_allows``, which ``_escalations`` uses once per distinct rule) allows what
    ``_can`` finds with :func:`any_in` over the rules' list columns, and ``_wildcards`` is its definition: only a
    non-empty list or tuple holds anything, ``*`` matches any group, resource and verb, ``*/x`` that subresource of
    any resource; any verb is a verbs value of non-zero length."""
    rules = pd.DataFrame(
        {c: pd.Series([r[i] for r in recs], dtype=object) for i, c in enumerate(("api_groups", "resources", "verbs"))}
    )
    for label, verbs, resources, group, _ in ESCALATION + (("read secrets", ("get",), ("secrets",), "", False),):
        res = set(resources) | {"*"} | {"*/" + r.split("/", 1)[1] for r in resources if "/" in r}
        verb_ok = (rules["verbs"].str.len() > 0) if verbs is None else any_in(rules["verbs"], verbs + ("*",))
        want = any_in(rules["api_groups"], (group, "*")) & any_in(rules["resources"], tuple(res)) & verb_ok
        asks = _asks(verbs, resources, group)
        judged = [_allows(rule, asks) for rule in zip(rules["api_groups"], rules["resources"], rules["verbs"])]
        assert judged == want.astype(bool).tolist() == _can(rules, verbs, resources, group).tolist(), label
    for scoped in (False, True):
        want = [
            "".join(
                label + ", "
                for label, verbs, resources, group, only in ESCALATION
                if only == scoped and _can(rules.iloc[[i]], verbs, resources, group).iloc[0]
            )
            for i in range(len(rules))
        ]
        assert _escalations(rules, cluster_scoped=scoped).tolist() == want
    stars = [
        ", ".join(
            n
            for n, c in (("verbs", "verbs"), ("resources", "resources"), ("apiGroups", "api_groups"))
            if any_in(rules[c], ("*",))[i]
        )
        for i in range(len(rules))
    ]
    assert _wildcards(rules).tolist() == stars


def _or(v: Any, missing: str) -> Any:
    return missing if v is None else v


@settings(max_examples=80, deadline=None)
@given(st.lists(ROW, max_size=10))
def test_the_texts_of_a_row_are_their_definitions(recs: list[tuple[Any, ...]]) -> None:
    """A row's role, scope, subject and binding texts (what :class:`Grants` gathers), written row by row: a
    missing value shown as ``?`` (or left out: namespaces), a missing binding kind or name a missing label."""
    df = _frame(recs)
    roles, wheres, subjects = [], [], []
    for (_, bns), _, scope, (skind, sns, subject), (rkind, role), _, _ in recs:
        roles.append(f"{_or(rkind, '?')} {_or(bns, '') + '/' if rkind == 'Role' else ''}{_or(role, '?')}")
        wheres.append("across the whole cluster" if scope == "cluster" else f"in namespace {_or(scope, '?')}")
        ns = f"{sns}/" if skind == "ServiceAccount" and sns else ""
        subjects.append(f"{_or(skind, '?')} {ns}{_or(subject, '?')}")
    assert _role_text(df).tolist() == roles

    def listed(xs: list[Any]) -> str:
        return "[" + ", ".join(str(x) if x != "" else '""' for x in xs) + "]"

    rules = []
    for i, role in enumerate(roles):
        names = listed(df.at[i, "resource_names"])
        rules.append(
            f"{role} rule {_or(_none(df.at[i, 'rule_index']), '?')}: apiGroups={listed(df.at[i, 'api_groups'])} "
            f"resources={listed(df.at[i, 'resources'])} verbs={listed(df.at[i, 'verbs'])}"
            + ("" if names == "[]" else f" resourceNames={names}")
        )
    assert _rule_text(df).tolist() == rules
    assert _where_text(df).tolist() == wheres
    assert _subject_text(df).tolist() == subjects
    labels = [
        None if bkind is None or name is None else f"{bkind} `{_or(bns, '') and bns + '/'}{name}`"
        for (bkind, bns), name, *_ in recs
    ]
    assert Grants(df).label.to_pylist() == labels
