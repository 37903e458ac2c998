"""The exact findings on the bundled sample clusters (golden files), and what the samples promise.

Regenerate after an intended change: K8SAUDIT_UPDATE_GOLDEN=1 pytest tests/test_sample_findings.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

import k8saudit as ka
from k8saudit.checks import CHECKS
from k8saudit.findings import audit, check_stats, scorecard

DATA = Path(__file__).resolve().parents[1] / "data"
GOLDEN = {"main": DATA / "expected-findings.csv", "legacy": DATA / "expected-findings-legacy.csv"}
KEY = ["check_id", "severity", "kind", "namespace", "name", "container", "exempt", "finding_id"]

#: cluster-level checks that can only go one way on a cluster with one API server
ONE_WAY = {
    "authn-anonymous",
    "authn-token-file",
    "authn-no-external-idp",
    "authn-basic-auth-file",
    "rbac-abac-enabled",
    "apiserver-insecure-port",
    "policy-engine-absent",
}
#: checks the main sample cannot show: only the legacy sample fires them
ONLY_LEGACY = {"authn-basic-auth-file", "rbac-abac-enabled", "apiserver-insecure-port", "policy-engine-absent"}


def _table(findings: pd.DataFrame) -> pd.DataFrame:
    t = findings[KEY].astype("object").where(findings[KEY].notna(), "")
    return t.astype(str).sort_values(KEY).reset_index(drop=True)


@pytest.fixture(scope="module")
def legacy_snap() -> ka.Snapshot:
    return ka.sample("legacy")


@pytest.mark.parametrize("name", list(GOLDEN))
def test_sample_findings_match_the_golden_file(name: str, sample_snap: ka.Snapshot, legacy_snap: ka.Snapshot) -> None:
    got = _table(audit(sample_snap if name == "main" else legacy_snap))
    if os.environ.get("K8SAUDIT_UPDATE_GOLDEN") == "1":
        got.to_csv(GOLDEN[name], index=False)
    want = pd.read_csv(GOLDEN[name], dtype=str, keep_default_na=False)
    diff = got.merge(want, how="outer", indicator=True)
    changed = diff[diff["_merge"] != "both"]
    assert changed.empty, f"findings on the {name} sample changed:\n" + changed.to_string()


def test_every_check_fires_on_a_bundled_sample(sample_snap: ka.Snapshot, legacy_snap: ka.Snapshot) -> None:
    """Every check of the registry has a live example: it fires on at least one bundled sample, and
    the one-way checks (one API server, one cluster) go the other way on the other sample."""
    stats = {
        name: check_stats(audit(snap, default_exemptions=False)).set_index("check_id")
        for name, snap in (("main", sample_snap), ("legacy", legacy_snap))
    }
    for name, st in stats.items():
        assert set(st.index) == set(CHECKS), name
        assert not st.status.isin(["error", "not_assessable"]).any(), st[st.status.isin(["error", "not_assessable"])]
    never = [cid for cid in CHECKS if all(st.loc[cid, "failing"] == 0 for st in stats.values())]
    assert not never, f"checks that fire on no bundled sample: {never}"
    for cid in ONE_WAY - {"authn-token-file"}:  # both API servers read a token file: no sample passes it
        assert sorted(st.loc[cid, "status"] for st in stats.values()) == ["fail", "pass"], cid
    assert {cid for cid in CHECKS if stats["main"].loc[cid, "failing"] == 0} == ONLY_LEGACY


def test_legacy_sample_loads_every_object(legacy_snap: ka.Snapshot) -> None:
    """Old group/versions load as their kinds; PodSecurityPolicies load as objects no check judges."""
    assert legacy_snap.skipped.empty, legacy_snap.skipped.to_string()
    objs = legacy_snap.objects.set_index(["kind", "name"])
    assert objs.loc[("Deployment", "wordpress"), "api_version"] == "extensions/v1beta1"
    assert objs.loc[("CronJob", "mysql-backup"), "api_version"] == "batch/v1beta1"
    assert sorted(objs.loc["PodSecurityPolicy"].api_version) == ["policy/v1beta1"] * 2
    wl = legacy_snap.workloads.set_index(["namespace", "name"])
    assert wl.loc[("default", "wordpress"), "kind"] == "Deployment"
    assert wl.loc[("kube-system", "kube-flannel-ds-amd64"), "strategy"] == "OnDelete"
    assert legacy_snap.cluster == "legacy-cluster" and legacy_snap.kinds["Pod"] > 20


def test_every_check_finds_something_and_passes_something_on_the_sample(sample_snap: ka.Snapshot) -> None:
    findings = audit(sample_snap, default_exemptions=False)
    stats = check_stats(findings).set_index("check_id")
    assert not (stats.status == "error").any(), stats[stats.status == "error"]
    assert not (stats.status == "not_assessable").any()
    for cid in CHECKS:
        if cid in ONE_WAY:
            continue
        assert stats.loc[cid, "failing"] >= 1, f"{cid} finds nothing on the sample"
        assert stats.loc[cid, "evaluated"] > stats.loc[cid, "failing"], f"{cid} passes nothing on the sample"


def test_scorecard_of_the_sample(sample_snap: ka.Snapshot) -> None:
    sc = scorecard(audit(sample_snap))
    assert list(sc.practice) == list(range(1, 11))
    assert (sc.evaluated > 0).all() and (sc.status != "not_assessable").all()
    assert sc.score.between(0, 100).all()
    by_ns = scorecard(audit(sample_snap), sample_snap, by="namespace").set_index("namespace")
    assert by_ns.loc["hardened", "failing"] == 0
    assert by_ns.loc["legacy", "failing"] > by_ns.loc["hardened", "failing"]
