"""OpenReports (openreports.io/v1alpha1): every report validates against the published CRDs, findings map to
results one to one, and what was not assessed is an ``error`` result, never a ``pass``."""

from __future__ import annotations

import re
from pathlib import Path

import jsonschema
import pandas as pd
import pytest
import yaml
from _findings import make_findings, sample_rows
from test_export_partial import partial  # noqa: F401  (the fixture)

import k8saudit as ka
from k8saudit.export import export, findings_to_text
from k8saudit.findings import audit, not_assessed

# The CustomResourceDefinitions of ClusterReport and Report as published by openreports/reports-api
# (config/install.yaml at commit 79fa2f394ab7486b8d9b1cb449dfef885a0c804e, controller-gen v0.19.0), unchanged.
CRDS = Path(__file__).parent / "data" / "openreports-crds-v1alpha1.yaml"
DNS_1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def crds() -> dict[str, dict]:
    out = {}
    for crd in yaml.safe_load_all(CRDS.read_text()):
        assert crd["spec"]["group"] == "openreports.io"
        (v,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1"]
        out[crd["spec"]["names"]["kind"]] = {"scope": crd["spec"]["scope"], "schema": v["schema"]["openAPIV3Schema"]}
    assert set(out) == {"Report", "ClusterReport"}
    return out


def check(text: str) -> list[dict]:
    """Parse the file and validate every document against its CRD; returns the documents."""
    defs = crds()
    docs = [d for d in yaml.safe_load_all(text) if d is not None]
    assert docs
    for d in docs:
        assert d["apiVersion"] == "openreports.io/v1alpha1"
        crd = defs[d["kind"]]
        errors = list(jsonschema.Draft7Validator(crd["schema"]).iter_errors(d))
        assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
        assert ("namespace" in d["metadata"]) == (crd["scope"] == "Namespaced")
        assert DNS_1123.match(d["metadata"]["name"]) and len(d["metadata"]["name"]) <= 253
        assert d["summary"] == {
            k: sum(r["result"] == k for r in d["results"]) for k in ("pass", "fail", "warn", "error", "skip")
        }
        for r in d["results"]:
            assert all(isinstance(v, str) for v in r.get("properties", {}).values())
    return docs


@pytest.fixture(scope="module")
def sample() -> tuple[ka.Snapshot, pd.DataFrame]:
    snap = ka.sample()
    return snap, audit(snap)


def test_validator_rejects_what_the_crd_rejects() -> None:
    defs = crds()
    v = jsonschema.Draft7Validator(defs["Report"]["schema"])
    good = {
        "apiVersion": "openreports.io/v1alpha1",
        "kind": "Report",
        "metadata": {"name": "x", "namespace": "n"},
        "results": [{"policy": "p", "result": "fail", "severity": "high", "properties": {"a": "1"}}],
    }
    assert v.is_valid(good)
    for bad in (
        {"policy": "p", "result": "failed"},
        {"policy": "p", "severity": "severe"},
        {"result": "fail"},
        {"policy": "p", "properties": {"practice": 3}},
        {"policy": "p", "timestamp": {"seconds": 1}},
    ):
        assert not v.is_valid({**good, "results": [bad]}), bad


def test_sample_reports(sample: tuple[ka.Snapshot, pd.DataFrame], tmp_path: Path) -> None:
    snap, found = sample
    out = export(found, tmp_path / "findings.openreports.yaml", snapshot=snap)
    docs = check(out.read_text())
    kinds = [d["kind"] for d in docs]
    assert kinds[0] == "ClusterReport" and kinds.count("ClusterReport") == 1
    namespaces = sorted(found["namespace"].dropna().unique())
    assert [d["metadata"]["namespace"] for d in docs[1:]] == namespaces
    # every finding is one result, in the report of its namespace, once
    results = [(d, r) for d in docs for r in d["results"] if r["result"] in ("fail", "skip")]
    assert sorted(r["properties"]["finding_id"] for _, r in results) == sorted(found["finding_id"])
    by_id = found.set_index("finding_id")
    for d, r in results:
        f = by_id.loc[r["properties"]["finding_id"]]
        assert r["policy"] == r["rule"] == f["check_id"] and r["severity"] == f["severity"]
        assert r["result"] == ("skip" if f["exempt"] else "fail")
        assert r["resources"][0]["kind"] == f["kind"] and r["resources"][0]["name"] == f["name"]
        assert d["metadata"].get("namespace") == (None if pd.isna(f["namespace"]) else f["namespace"])
        assert r["message"].startswith(f["message"]) and r["timestamp"]["seconds"] > 0
        if f["exempt"]:
            assert r["properties"]["exempt_reason"] == f["exempt_reason"]
    # checks that evaluated objects and found nothing are passes in the ClusterReport
    passes = {r["policy"] for r in docs[0]["results"] if r["result"] == "pass"}
    assert passes and not passes & set(found["check_id"])
    assert (
        findings_to_text(found, "openreports", snapshot=snap).split("\n", 1)[1] == out.read_text().split("\n", 1)[1]
    )  # same text to stdout (the first line holds the time)


def test_not_assessed_is_an_error_never_a_pass(partial: tuple[ka.Snapshot, pd.DataFrame]) -> None:
    snap, f = partial
    docs = check(findings_to_text(f, "openreports", snapshot=snap))
    cluster = docs[0]
    gaps = not_assessed(f)
    errors = {r["policy"]: r for r in cluster["results"] if r["result"] == "error"}
    assert set(errors) == set(gaps["check_id"])
    assert "could not read Pod" in errors["privileged"]["message"]
    passes = {r["policy"] for r in cluster["results"] if r["result"] == "pass"}
    assert not passes & set(gaps["check_id"])
    assert "k8saudit.io/input-not-read" in cluster["metadata"]["annotations"]


def test_several_clusters_and_nasty_text(tmp_path: Path) -> None:
    a = make_findings(sample_rows(), cluster="prod/eu_1")
    b = make_findings(sample_rows(), cluster="Staging")
    both = pd.concat([a, b], ignore_index=True)
    both.attrs = {
        **a.attrs,
        "clusters": ["prod/eu_1", "Staging"],
        "stats": a.attrs["stats"] + [{**s, "cluster": "Staging"} for s in b.attrs["stats"]],
    }
    docs = check(findings_to_text(both, "openreports"))
    names = {(d["kind"], d["metadata"]["name"], d["metadata"].get("namespace")) for d in docs}
    assert len(names) == len(docs)  # no two reports collide
    assert {d["metadata"]["annotations"]["k8saudit.io/cluster"] for d in docs} == {"prod/eu_1", "Staging"}
    assert {n for _, n, _ in names} == {"k8saudit-prod-eu-1", "k8saudit-staging"}
    msgs = [r["message"] for d in docs for r in d["results"]]
    from _findings import NASTY

    assert any(m.startswith(NASTY["newline"]) or m.startswith(NASTY["pipe"]) for m in msgs)
    assert sum(r["result"] in ("fail", "skip") for d in docs for r in d["results"]) == len(both)


def test_format_names() -> None:
    f = make_findings(sample_rows())
    from k8saudit.export import FORMATS

    assert FORMATS["openreports"][0] == ".openreports.yaml"
    assert check(findings_to_text(f, "policyreport"))


def test_cli_writes_openreports(tmp_path: Path) -> None:
    from test_cli import run

    out = tmp_path / "findings.openreports.yaml"
    code, _, err = run("scan", "sample", "-o", str(out))
    assert f"wrote {out}" in err and code in (0, 1)
    docs = check(out.read_text())
    assert docs[0]["kind"] == "ClusterReport" and len(docs) > 1
    code, stdout, _ = run("scan", "sample", "--format", "openreports")
    assert check(stdout)[0]["summary"] == docs[0]["summary"]
