"""audit(): schema, registry integrity, exemptions (annotations, waivers, defaults), errors, config."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import k8saudit as ka
from k8saudit.checks import CHECKS, PRACTICES, SEVERITIES, check
from k8saudit.checks._registry import Registry
from k8saudit.findings import (
    FINDINGS_COLUMNS,
    ID_COLUMNS,
    ConfigError,
    audit,
    check_stats,
    finding_id,
    load_waivers,
    scorecard,
)

HOSTNET = """
apiVersion: v1
kind: Namespace
metadata: {name: ops}
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
  namespace: ops
  annotations: {k8saudit.io/ignore: "host-network, host-pid", k8saudit.io/exempt-reason: "reads host metrics"}
spec:
  template:
    spec: {hostNetwork: true, hostPID: true, hostIPC: true, containers: [{name: a, image: a}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ops}
spec:
  template:
    spec: {hostNetwork: true, containers: [{name: w, image: w}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: kube-proxy, namespace: kube-system}
spec:
  template:
    spec: {hostNetwork: true, containers: [{name: kube-proxy, image: kube-proxy}]}
"""


@pytest.fixture
def snap(tmp_path: Path) -> ka.Snapshot:
    (tmp_path / "m.yaml").write_text(HOSTNET)
    return ka.load(tmp_path / "m.yaml")


def _row(f: pd.DataFrame, check_id: str, name: str) -> pd.Series:
    hit = f[(f.check_id == check_id) & (f.name == name)]
    assert len(hit) == 1, hit
    return hit.iloc[0]


def test_findings_schema_and_dtypes(sample_snap: ka.Snapshot) -> None:
    f = audit(sample_snap)
    assert list(f.columns) == FINDINGS_COLUMNS
    assert f.severity.cat.ordered and list(f.severity.cat.categories) == list(SEVERITIES)
    assert str(f.practice.dtype) == "Int64" and f.exempt.dtype == bool
    assert f.finding_id.is_unique
    assert len(f.query("practice == 8 and severity >= 'high'")) > 0
    for r in f.head(50).itertuples():
        assert r.finding_id == finding_id(r.cluster, r.check_id, r.kind, r.namespace, r.name, r.container), r


def _reference_id(*values: object) -> str:
    """The documented definition of a finding id, row by row."""
    import hashlib
    import math

    text = ["" if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else str(v) for v in values]
    return hashlib.sha1("\x1f".join(text).encode()).hexdigest()[:16]


def test_finding_ids_are_the_documented_hash() -> None:
    from k8saudit.findings import _finding_ids

    assert finding_id("prod", "privileged", "Deployment", "shop", "web", "app") == "9f2df340cb57fb45"
    assert _reference_id("prod", "privileged", "Deployment", "shop", "web", "app") == "9f2df340cb57fb45"
    rows = pd.DataFrame(
        [
            ["c", "x", "Pod", None, "p", pd.NA],
            ["c", "x", "Pod", float("nan"), 7, "é\u202e"],
            ["c", "x", "Pod", "", "p", ""],
        ],
        columns=list(ID_COLUMNS),
        dtype=object,
    )
    assert _finding_ids(rows) == [_reference_id(*r) for r in rows.itertuples(index=False)]
    assert _finding_ids(rows.iloc[:0]) == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(*[st.one_of(st.none(), st.text(max_size=12)) for _ in range(6)]), min_size=1, max_size=20))
def test_finding_ids_vectorised_match_the_definition(values: list[tuple]) -> None:
    from k8saudit.findings import _finding_ids

    rows = pd.DataFrame(values, columns=list(ID_COLUMNS)).astype("string")
    assert _finding_ids(rows) == [_reference_id(*r) for r in values]


def test_finding_ids_are_stable_across_loads(sample_snap: ka.Snapshot) -> None:
    a = set(audit(sample_snap).finding_id)
    b = set(audit(ka.sample()).finding_id)
    assert a == b


def test_annotation_exempts_only_the_listed_checks(snap: ka.Snapshot) -> None:
    f = audit(snap, practices=[4])
    assert _row(f, "host-network", "agent").exempt
    assert _row(f, "host-network", "agent").exempt_reason == "annotation: reads host metrics"
    assert _row(f, "host-pid", "agent").exempt
    assert not _row(f, "host-ipc", "agent").exempt  # not listed: still open
    assert not _row(f, "host-network", "web").exempt


def test_default_exemptions_can_be_turned_off(snap: ka.Snapshot) -> None:
    on = _row(audit(snap, practices=[4]), "host-network", "kube-proxy")
    assert on.exempt and on.exempt_reason.startswith("default exemption:")
    off = _row(audit(snap, practices=[4], default_exemptions=False), "host-network", "kube-proxy")
    assert not off.exempt and pd.isna(off.exempt_reason)


def test_waivers_with_owner_and_expiry(snap: ka.Snapshot, tmp_path: Path) -> None:
    w = tmp_path / "waivers.yaml"
    w.write_text(
        textwrap.dedent("""
        waivers:
          - {check: "host-*", namespace: ops, kind: Deployment, name: "we*", reason: migrating, owner: sre, expires: 2027-01-31}
          - {check: host-ipc, name: agent, reason: old exception, owner: sec, expires: 2026-01-01}
        """)
    )
    f = audit(snap, practices=[4], waivers=w, today=dt.date(2026, 11, 26))
    web = _row(f, "host-network", "web")
    assert web.exempt and web.exempt_reason == "waiver (sre): migrating until 2027-01-31"
    assert not _row(f, "host-ipc", "agent").exempt  # expired: stops applying...
    expired = f.attrs["expired_waivers"]
    assert [e["check"] for e in expired] == ["host-ipc"]  # ...and is reported
    later = audit(snap, practices=[4], waivers=w, today=dt.date(2027, 2, 1))
    assert not _row(later, "host-network", "web").exempt


@pytest.mark.parametrize(
    "text, message",
    [
        ("waivers: [{check: host-ipc}]", "needs a `reason:`"),
        ("waivers: [{reason: x}]", "needs at least `check:`"),
        ("waivers: [{check: host-ipc, reason: x, expires: someday}]", "is not a date"),
        ("waivers: 3", "expected a list"),
    ],
    ids=["no-reason", "no-check", "bad-date", "not-a-list"],
)
def test_bad_waivers_file_names_the_entry(tmp_path: Path, text: str, message: str) -> None:
    p = tmp_path / "w.yaml"
    p.write_text(text)
    with pytest.raises(ConfigError, match=message) as e:
        load_waivers(p)
    assert str(p) in str(e.value)


def test_severity_override_and_disabled_checks(snap: ka.Snapshot, tmp_path: Path) -> None:
    cfg = tmp_path / "k8saudit.yaml"
    cfg.write_text("severities: {host-network: critical}\ndisabled: [host-ipc]\n")
    f = audit(snap, practices=[4], config=cfg)
    assert set(f[f.check_id == "host-network"].severity) == {"critical"}
    assert "host-ipc" not in set(f.check_id)
    cfg.write_text("severities: {host-network: urgent}\n")
    with pytest.raises(ConfigError, match="urgent"):
        audit(snap, config=cfg)


@pytest.mark.parametrize(
    "text, message",
    [
        ("disable: [host-ipc]\n", "unknown key 'disable' \\(did you mean 'disabled'\\?\\)"),
        ("severites: {host-ipc: low}\n", "unknown key 'severites' \\(did you mean 'severities'\\?\\)"),
        ("exemptions: []\n", "unknown key 'exemptions' \\(the keys are severities, disabled\\)"),
        ("disabled: host-ipc\n", "disabled: expected a list"),
        ("severities: [host-ipc]\n", "severities: expected a mapping"),
        ("- host-ipc\n", "expected a mapping"),
    ],
    ids=["disable", "severites", "other-key", "disabled-not-list", "severities-not-map", "not-a-mapping"],
)
def test_a_config_with_an_unknown_key_or_shape_is_an_error_naming_it(
    snap: ka.Snapshot, tmp_path: Path, text: str, message: str
) -> None:
    # a misspelt key must not leave a check on (or an override off) while the reader believes otherwise
    cfg = tmp_path / "k8saudit.yaml"
    cfg.write_text(text)
    with pytest.raises(ConfigError, match=message) as e:
        audit(snap, practices=[4], config=cfg)
    assert str(cfg) in str(e.value)
    # the same rule for a config given as a mapping
    import yaml

    doc = yaml.safe_load(text)
    with pytest.raises(ConfigError, match=message):
        audit(snap, practices=[4], config=doc)


@pytest.mark.parametrize(
    "kw, want",
    [
        ({"checks": "privileged"}, {"checks": ["privileged"]}),
        ({"checks": "privileged, host-ipc"}, {"checks": ["privileged", "host-ipc"]}),
        ({"checks": ("privileged",)}, {"checks": ["privileged"]}),
        ({"practices": 8}, {"practices": [8]}),
        ({"practices": "3,8"}, {"practices": [3, 8]}),
        ({"practices": ["4"]}, {"practices": [4]}),
    ],
    ids=["one-id", "ids-text", "tuple", "one-practice", "practices-text", "practice-text-in-list"],
)
def test_a_selection_written_as_text_or_one_value_is_that_selection(kw: dict, want: dict) -> None:
    sample = ka.sample()
    got, expected = audit(sample, **kw), audit(sample, **want)
    assert len(got) and list(got["finding_id"]) == list(expected["finding_id"])
    ran = set(ka.check_stats(got)["check_id"])
    assert ran == set(ka.check_stats(expected)["check_id"]) and len(ran) < len(ka.CHECKS)


def test_audit_of_what_is_not_a_snapshot_says_what_it_takes() -> None:
    with pytest.raises(TypeError, match=r"audit\(\) takes a Snapshot .*not str"):
        audit("sample")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"checks": ["privilegd"]}, "no check 'privilegd' \\(did you mean 'privileged'\\?\\)"),
        ({"checks": ["host-ipc", "nothing-like-it-at-all"]}, "no check 'nothing-like-it-at-all'"),
        ({"practices": [0]}, "no practice 0 \\(the practices are 1-10\\)"),
        ({"practices": [4, 99]}, "no practice 99"),
        ({"checks": []}, "checks: an empty selection runs no check"),
        ({"practices": ""}, "practices: an empty selection runs no check"),
        ({"checks": "privilegd"}, "no check 'privilegd'"),  # text is one id, not its letters
        ({"practices": "3,eight"}, "no practice 'eight'"),
        ({"practices": [True]}, "no practice True"),
        ({"checks": 5.0}, "checks: expected a list, not float"),
    ],
    ids=[
        "misspelt-check",
        "unknown-check",
        "practice-0",
        "practice-99",
        "no-checks",
        "no-practices",
        "text-id",
        "text-practice",
        "bool",
        "not-a-list",
    ],
)
def test_selecting_a_check_or_practice_that_does_not_exist_is_an_error(
    snap: ka.Snapshot, kw: dict, message: str
) -> None:
    # selecting nothing is not a clean audit: it must not return an empty findings frame
    with pytest.raises(ConfigError, match=message):
        audit(snap, **kw)


def test_a_check_that_raises_is_an_error_row_and_the_others_run(
    snap: ka.Snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    broken = dataclasses.replace(CHECKS["host-ipc"], fn=lambda workloads: 1 / 0)
    monkeypatch.setitem(CHECKS._checks, "host-ipc", broken)
    f = audit(snap, practices=[4])
    err = f[f.kind == "CheckError"]
    assert err[["check_id", "name"]].values.tolist() == [["host-ipc", "host-ipc"]]
    assert "ZeroDivisionError" in err.message.iloc[0]
    assert (f.check_id == "host-network").any()
    stats = check_stats(f).set_index("check_id")
    assert stats.loc["host-ipc", "status"] == "error"
    sc = scorecard(f, by="check").set_index("check_id")
    assert sc.loc["host-ipc", "status"] == "error"


def test_unreadable_kinds_make_checks_not_assessable(snap: ka.Snapshot) -> None:
    snap.skip("/api/v1/secrets", "forbidden: list secrets at cluster scope", category="forbidden", kind="Secret")
    f = audit(snap)
    stats = check_stats(f).set_index("check_id")
    assert stats.loc["authn-legacy-sa-token-secret", "status"] == "not_assessable"
    assert "forbidden" in stats.loc["authn-legacy-sa-token-secret", "reason"]
    # no static kube-apiserver pod (a managed control plane): the flag checks say so instead of passing
    assert stats.loc["authn-anonymous", "status"] == "not_assessable"
    assert "not assessable from the API" in stats.loc["authn-anonymous", "reason"]
    sc = scorecard(f).set_index("practice")
    assert "authn-anonymous" in sc.loc[2, "not_assessable"]


def test_findings_frames_concat_and_merge(sample_snap: ka.Snapshot) -> None:
    a, b = audit(sample_snap), audit(sample_snap)
    both = pd.concat([a, b], ignore_index=True)
    assert len(both) == 2 * len(a)
    assert len(a.merge(b[["finding_id"]], on="finding_id")) == len(a)


def test_registry_integrity() -> None:
    ids = list(CHECKS)
    assert len(ids) == len(set(ids)) == 49
    assert {c.practice for c in CHECKS.values()} == set(PRACTICES)
    for c in CHECKS.values():
        assert c.title and c.why.strip() and c.remediation.strip(), c.id
        assert c.severity in SEVERITIES and c.references, c.id
        assert c.on == "cluster" or c.on in ka.FRAMES, c.id
        for p in c.params:
            assert p == "snap" or p in ka.FRAMES, (c.id, p)
    reg = Registry()

    @check("x-one", practice=1, severity="low", on="workloads", title="t", why="w", remediation="r")
    def _one(workloads: pd.DataFrame) -> pd.DataFrame:  # pragma: no cover
        return workloads

    one = CHECKS._checks.pop("x-one")
    reg.add(one)
    with pytest.raises(ValueError, match="twice"):
        reg.add(one)


def test_namespace_annotation_exempts_its_objects_unless_they_carry_their_own(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(
        textwrap.dedent("""
        apiVersion: v1
        kind: Namespace
        metadata: {name: lab, annotations: {k8saudit.io/ignore: host-network, k8saudit.io/exempt-reason: lab cluster}}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: a, namespace: lab}
        spec: {hostNetwork: true, containers: [{name: c, image: c}]}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: b, namespace: lab, annotations: {k8saudit.io/ignore: host-pid}}
        spec: {hostNetwork: true, hostPID: true, containers: [{name: c, image: c}]}
        """)
    )
    f = audit(ka.load(tmp_path / "m.yaml"), practices=[4])
    assert _row(f, "host-network", "a").exempt_reason == "annotation: lab cluster"
    assert not _row(f, "host-network", "b").exempt  # its own annotation decides
    assert _row(f, "host-pid", "b").exempt


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (100.0, "good"),
        (98.7, "good"),
        (95.0, "good"),
        (94.9, "fair"),
        (80.0, "fair"),
        (79.99, "poor"),
        (0.0, "poor"),
        (None, None),
        (float("nan"), None),
    ],
)
def test_a_score_reads_as_a_band(score: float | None, band: str | None) -> None:
    from k8saudit.vocab import score_band

    assert score_band(score) == band
