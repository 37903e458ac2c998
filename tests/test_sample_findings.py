"""The exact findings on the bundled sample cluster (a golden file), and what the sample promises.

Regenerate after an intended change: K8SAUDIT_UPDATE_GOLDEN=1 pytest tests/test_sample_findings.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

import k8saudit as ka
from k8saudit.checks import CHECKS
from k8saudit.findings import audit, check_stats, scorecard

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "expected-findings.csv"
KEY = ["check_id", "severity", "kind", "namespace", "name", "container", "exempt", "finding_id"]

#: cluster-level checks that can only go one way on a cluster with one API server
ONE_WAY = {"authn-anonymous", "authn-token-file", "authn-no-external-idp", "authn-basic-auth-file",
           "rbac-abac-enabled", "apiserver-insecure-port", "policy-engine-absent"}


def _table(findings: pd.DataFrame) -> pd.DataFrame:
    t = findings[KEY].astype("object").where(findings[KEY].notna(), "")
    return t.astype(str).sort_values(KEY).reset_index(drop=True)


def test_sample_findings_match_the_golden_file(sample_snap: ka.Snapshot) -> None:
    got = _table(audit(sample_snap))
    if os.environ.get("K8SAUDIT_UPDATE_GOLDEN") == "1":
        got.to_csv(GOLDEN, index=False)
    want = pd.read_csv(GOLDEN, dtype=str, keep_default_na=False)
    diff = got.merge(want, how="outer", indicator=True)
    changed = diff[diff["_merge"] != "both"]
    assert changed.empty, "findings on the sample changed:\n" + changed.to_string()


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
