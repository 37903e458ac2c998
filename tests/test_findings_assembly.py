"""The audit assembles its findings column-wise (codes, one lexsort, Arrow text at the end); this holds it to the
plain definition, computed row by row here: every column, value, dtype and the row order must be identical,
on the bundled samples, with waivers (globs, an expired one), annotations and the built-in exemptions."""

from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import k8saudit as ka
from k8saudit.checks import CHECKS
from k8saudit.findings import (
    IGNORE_ANNOTATION,
    REASON_ANNOTATION,
    audit,
    default_exemptions,
    findings_dtypes,
    load_waivers,
    run_checks,
)
from k8saudit.vocab import FINDINGS_COLUMNS, SEVERITIES

TODAY = dt.date(2026, 6, 1)

WAIVERS = """
waivers:
  - {check: "host-*", namespace: "kube-*", reason: "node agents", owner: ops}
  - {check: "privileged", name: "a*", reason: "gone", expires: 2020-01-01}
  - {check: "*", kind: Deployment, namespace: shop, name: "pay?ents", reason: "payments team", expires: 2030-01-01}
  - {check: "run-as-root", reason: "everywhere"}
"""

#: a workload and a namespace that carry the ignore annotation (the namespace's covers its objects)
ANNOTATED = """
apiVersion: v1
kind: Namespace
metadata:
  name: lab
  annotations: {k8saudit.io/ignore: "privileged, host-pid", k8saudit.io/exempt-reason: "lab namespace"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: tool, namespace: lab, annotations: {k8saudit.io/ignore: host-network}}
spec:
  selector: {matchLabels: {app: tool}}
  template:
    metadata: {labels: {app: tool}}
    spec:
      hostNetwork: true
      hostPID: true
      containers: [{name: c, image: "busybox:1.36", securityContext: {privileged: true}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: other, namespace: lab, annotations: {team: lab, k8saudit.io/exempt-reason: "not read without ignore"}}
spec:
  selector: {matchLabels: {app: other}}
  template:
    metadata: {labels: {app: other}}
    spec:
      hostIPC: true
      containers: [{name: c, image: "busybox:1.36", securityContext: {privileged: true}}]
---
apiVersion: v1
kind: Pod
metadata: {name: agent, namespace: kube-system, annotations: {k8saudit.io/ignore: all}}
spec:
  hostNetwork: true
  containers: [{name: a, image: "busybox:1.36"}]
"""


def _text(v: Any) -> str:
    return "" if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v)


def _match(value: Any, pattern: str) -> bool:
    return pattern in ("*", "") or fnmatch.fnmatchcase(_text(value), pattern)


def _annotations(snap: ka.Snapshot) -> dict[tuple[Any, Any, Any], dict[str, str]]:
    out = {}
    for s in snap.members or [snap]:
        for kind in s.kinds:
            for o in s.items(kind):
                ann = o.metadata.annotations
                if ann and IGNORE_ANNOTATION in ann:
                    out[(kind, o.metadata.namespace, o.metadata.name)] = ann
    return out


def _reason(r: dict[str, Any], ann: dict, waivers: list, defaults: bool) -> str | None:
    note = ann.get((r["kind"], r["namespace"], r["name"])) or ann.get(("Namespace", None, r["namespace"]))
    if note is not None:
        ignored = {x.strip() for x in note.get(IGNORE_ANNOTATION, "").split(",") if x.strip()}
        if r["check_id"] in ignored or "*" in ignored or "all" in ignored:
            return "annotation: " + note.get(REASON_ANNOTATION, f"{IGNORE_ANNOTATION} lists {r['check_id']}")
    for w in waivers:
        if w.expired(TODAY):
            continue
        wanted = (("check_id", w.check), ("kind", w.kind), ("namespace", w.namespace), ("name", w.name))
        if all(_match(r[c], p) for c, p in wanted):
            owner = f" ({w.owner})" if w.owner else ""
            until = f" until {w.expires}" if w.expires else ""
            return f"waiver{owner}: {w.reason}{until}"
    for d in default_exemptions() if defaults else []:
        wanted = (("namespace", d.namespace), ("name", d.name))
        if r["check_id"] in d.checks and r["kind"] == d.kind and all(_match(r[c], p) for c, p in wanted):
            return f"default exemption: {d.reason}"
    return None


def reference(snap: ka.Snapshot, waivers: list, defaults: bool) -> pd.DataFrame:
    """The findings frame by its definition, one row at a time."""
    ann = _annotations(snap)
    recs = []
    for s in snap.members or [snap]:
        rows, _ = run_checks(s, list(CHECKS.values()))
        for r in rows.to_dict("records"):
            c = CHECKS[r["check_id"]]
            r.update(practice=c.practice, severity=c.severity, title=c.title, remediation=c.remediation)
            if pd.isna(r["message"]) or r["message"] == "":
                r["message"] = c.title
            ids = "\x1f".join(_text(r[k]) for k in ("cluster", "check_id", "kind", "namespace", "name", "container"))
            r["finding_id"] = hashlib.sha1(ids.encode()).hexdigest()[:16]
            r["exempt_reason"] = _reason(r, ann, waivers, defaults)
            r["exempt"] = r["exempt_reason"] is not None
            r["_r"] = -SEVERITIES.index(c.severity)
            recs.append(r)
    df = pd.DataFrame(recs, columns=[*FINDINGS_COLUMNS, "_r"], dtype=object)
    keys = ["cluster", "practice", "_r", "check_id", "namespace", "kind", "name", "container"]
    df = df.sort_values(keys, na_position="first", kind="stable").drop(columns="_r").reset_index(drop=True)
    return df.astype(findings_dtypes())


@pytest.fixture(scope="module")
def waivers(tmp_path_factory: pytest.TempPathFactory) -> list:
    p = tmp_path_factory.mktemp("waivers") / "waivers.yaml"
    p.write_text(WAIVERS)
    return load_waivers(p)


@pytest.fixture(scope="module")
def annotated(tmp_path_factory: pytest.TempPathFactory) -> ka.Snapshot:
    p = tmp_path_factory.mktemp("annotated") / "m.yaml"
    p.write_text(ANNOTATED)
    return ka.load(Path(p))


@pytest.mark.parametrize("defaults", [True, False])
@pytest.mark.parametrize("with_waivers", [False, True])
def test_the_sample_findings_are_their_definition(
    sample_snap: ka.Snapshot, waivers: list, defaults: bool, with_waivers: bool
) -> None:
    used = waivers if with_waivers else []
    got = audit(sample_snap, waivers=used, default_exemptions=defaults, today=TODAY)
    pd.testing.assert_frame_equal(got, reference(sample_snap, used, defaults), check_exact=True)
    if with_waivers:  # the waivers do something: globbed, dated, expired
        assert got["exempt_reason"].str.startswith("waiver (ops): node agents").any()
        assert got["exempt_reason"].str.endswith("until 2030-01-01").any()
        assert not got["exempt_reason"].str.contains("gone", regex=False).any()


def test_the_legacy_sample_findings_are_their_definition() -> None:
    snap = ka.sample("legacy")
    pd.testing.assert_frame_equal(audit(snap, today=TODAY), reference(snap, [], True), check_exact=True)


def test_annotated_findings_are_their_definition(annotated: ka.Snapshot, waivers: list) -> None:
    got = audit(annotated, waivers=waivers, today=TODAY)
    pd.testing.assert_frame_equal(got, reference(annotated, waivers, True), check_exact=True)
    reasons = dict(zip(zip(got["check_id"], got["name"]), got["exempt_reason"]))
    assert reasons[("privileged", "other")] == "annotation: lab namespace"  # from its namespace
    assert reasons[("host-network", "tool")] == "annotation: k8saudit.io/ignore lists host-network"  # its own
    assert reasons[("host-pid", "tool")] is pd.NA  # its own annotation wins over the namespace's: not listed
    assert reasons[("host-network", "agent")] == "annotation: k8saudit.io/ignore lists host-network"


@settings(max_examples=120, deadline=None)
@given(
    st.lists(
        st.tuples(*(st.sampled_from(["a", "b", "", None]) for _ in range(4))),
        max_size=12,
    ),
    st.permutations(["kind", "namespace", "name", "container"]),
)
def test_distinct_counts_the_rows_key_combinations(recs: list[tuple[Any, ...]], order: list[str]) -> None:
    """The runner's count of distinct (kind, namespace, name, container): a missing value is one value, "" is
    another; the order of the keys (and the early stop once rows are told apart) changes nothing."""
    import pyarrow as pa

    from k8saudit.findings import _distinct

    keys = ["kind", "namespace", "name", "container"]
    cols = {k: pa.array([r[i] for r in recs], type=pa.large_string()) for i, k in enumerate(keys)}
    assert _distinct(cols, tuple(order)) == len(set(recs))
    assert _distinct(cols, tuple(order[:2])) == len({tuple(r[keys.index(k)] for k in order[:2]) for r in recs})


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 6).flatmap(
        lambda k: st.lists(
            st.tuples(*(st.integers(-3, 3) | st.integers(-(2**40), 2**40) for _ in range(k))), max_size=30
        )
    )
)
def test_the_sort_order_is_lexsorts(recs: list[tuple[int, ...]]) -> None:
    """The findings' order: the keys packed into few integers sort the rows as ``np.lexsort`` of the keys does
    (stable: equal rows keep their order), small and huge ranges mixed (the packing splits where they overflow)."""
    import numpy as np

    from k8saudit.findings import _sort_order

    if not recs:
        return
    keys = [np.array([r[i] for r in recs], dtype=np.int64) for i in range(len(recs[0]))]
    assert _sort_order(keys).tolist() == np.lexsort(keys[::-1]).tolist()


def test_a_checks_own_texts_are_categoricals_of_the_registry(tmp_path: Path) -> None:
    from k8saudit.diff import diff
    from k8saudit.export import export, read_findings
    from k8saudit.findings import CHECK_TEXT_COLUMNS, check_text, check_text_dtype

    f, g = audit(ka.sample()), audit(ka.sample("legacy"))
    for c in CHECK_TEXT_COLUMNS:
        # the same categories in every audit: every registered check's text, whatever fired
        assert f[c].dtype == g[c].dtype == check_text_dtype(c)
        assert set(f[c].cat.categories) == {getattr(x, c) for x in CHECKS.values()}
        assert f[c].tolist() == [getattr(CHECKS[k], c) for k in f["check_id"]]
        # so two audits' findings concatenate and diff as categoricals
        assert pd.concat([f, g], ignore_index=True)[c].dtype == check_text_dtype(c)
        assert diff(g, f)[c].dtype == check_text_dtype(c)
    # a text no registered check has (an older export, a hand-made file) is kept, never made missing
    edited = f.head(3).astype({"title": "string"})
    edited.loc[1, "title"] = "A title of an older release"
    edited.loc[2, "title"] = None
    back = read_findings(export(edited.assign(title=check_text(edited["title"], "title")), tmp_path / "f.csv"))
    assert back["title"].iloc[:2].tolist() == [f["title"].iloc[0], "A title of an older release"]
    assert set(back["title"].cat.categories) == set(check_text_dtype("title").categories) | {
        "A title of an older release"
    }
    assert check_text(pd.Series([None, pd.NA, 3], dtype=object), "title").tolist()[2] == "3"
    assert check_text(pd.Series([None, pd.NA], dtype=object), "title").isna().all()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.sampled_from(["Deployment", "Job", None])), max_size=8))
def test_a_checks_where_keeps_the_rows_query_keeps(recs: list[tuple[Any, ...]]) -> None:
    """The rows a check's ``where`` passes it are those of ``DataFrame.query``; when that is every row, the frame
    itself (not a copy of each column)."""
    from k8saudit.findings import _rows_where

    df = pd.DataFrame(
        {
            "windows": pd.Series([r[0] for r in recs], dtype=bool),
            "kind": pd.Series([r[1] for r in recs], dtype="string"),
        }
    )
    for where in ("not windows", "kind == 'Deployment'", "kind in ['Deployment', 'Job']", "kind == kind"):
        got = _rows_where(df, where)
        pd.testing.assert_frame_equal(got, df.query(where))
        if len(df):
            assert (got is df) == (len(df.query(where)) == len(df))


WHERE_ROW = st.tuples(
    st.sampled_from([True, False]),
    st.sampled_from([True, False, None]),
    st.sampled_from(["Deployment", "StatefulSet", "DaemonSet", "", None]),
    st.sampled_from([0, 1, 2, 3, None]),
    st.sampled_from(["RollingUpdate", "Recreate", None]),
    st.sampled_from(["LoadBalancer", "ClusterIP", None]),
)


@settings(max_examples=80, deadline=None)
@given(st.lists(WHERE_ROW, max_size=8))
def test_a_where_is_evaluated_as_eval_does(recs: list[tuple[Any, ...]]) -> None:
    """Every registered check's ``where`` (and the forms eval rewrites: ``==``/``!=`` a text or a list is ``isin``,
    so a missing value is not equal to a text but unequal to it) gives what ``DataFrame.eval`` gives, value and
    dtype, missing values included; a form it does not know is left to eval."""
    from k8saudit.findings import _WHERE, _where_mask

    df = pd.DataFrame(
        {
            "windows": pd.Series([r[0] for r in recs], dtype=bool),
            "is_system": pd.Series([r[1] for r in recs], dtype="boolean"),
            "kind": pd.Series([r[2] for r in recs], dtype="string"),
            "image": pd.Series([r[2] for r in recs], dtype="string"),
            "replicas": pd.Series([r[3] for r in recs], dtype="Int64"),
            "workload_count": pd.Series([r[3] for r in recs], dtype="Int64"),
            "strategy": pd.Series([r[4] for r in recs], dtype="string"),
            "type": pd.Series([r[5] for r in recs], dtype=object),
            "long_running": pd.Series([r[0] for r in recs], dtype=bool),
        }
    )
    wheres = {c.where for c in CHECKS.values() if c.where} | {
        "kind != 'Deployment'",
        "kind not in ['Deployment', '']",
        "kind == ['Job', 'DaemonSet']",
        "'Deployment' == kind",
        "type != 'LoadBalancer'",
        "replicas != 2 or windows",
        "not (is_system or replicas < 1)",
        "replicas + 1 > 2",  # arithmetic: left to eval
    }
    for where in sorted(wheres):
        pd.testing.assert_series_equal(_where_mask(df, where), df.eval(where), check_names=False, obj=where)
    assert _WHERE["replicas + 1 > 2"] is None and _WHERE["not windows"] is not None
