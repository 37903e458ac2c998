"""The vectorised list helpers of the checks (``any_in``, ``joined``) against their row-by-row definitions."""

from __future__ import annotations

from typing import Any

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from k8saudit.checks._common import any_in, joined

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
    return [bool(v) and isinstance(v, (list, tuple)) and not want.isdisjoint(v) for v in values]


def _joined(values: list[Any], only: set[Any] | None, sep: str) -> list[str]:
    return [
        sep.join(str(x) for x in (v if isinstance(v, (list, tuple)) else ()) if only is None or x in only)
        for v in values
    ]


@settings(max_examples=80, deadline=None)
@given(st.lists(VALUE, max_size=12), st.sets(ITEM, max_size=3), st.booleans())
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


def test_an_empty_list_holds_not_even_none() -> None:
    """``explode`` turns ``[]`` into a missing value and ``isin`` matches a missing value to ``None``."""
    s = pd.Series([[], "ALL", [None], None], dtype=object)
    assert any_in(s, {None}).tolist() == [False, False, True, False]
