"""Every export format records what was skipped and which checks were not assessable or partial."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml
from test_export import _validate_sarif
from test_not_assessed import TINY

import k8saudit as ka
from k8saudit.export import export, findings_to_text, read_findings
from k8saudit.findings import audit, check_stats, not_assessed, skipped_of


@pytest.fixture(scope="module")
def partial(tmp_path_factory: pytest.TempPathFactory) -> tuple[ka.Snapshot, pd.DataFrame]:
    """Pods not listed, a document that does not parse, a Helm values file noted."""
    d = tmp_path_factory.mktemp("partial")
    (d / "cluster.yaml").write_text(yaml.safe_dump_all([o for o in TINY if o["kind"] != "Pod"]))
    snap = ka.load(d / "cluster.yaml", cluster="tiny")
    snap.skip("/api/v1/pods", "forbidden: list pods at cluster scope", category="forbidden", kind="Pod")
    snap.skip("chart/values.yaml", "not a Kubernetes object: no apiVersion/kind", category="not_kubernetes", document=0)
    snap.skip("broken.yaml", "malformed YAML: bad indentation (line 4)", category="parse_error", document=1)
    return snap, audit(snap)


@pytest.fixture(scope="module")
def complete(tmp_path_factory: pytest.TempPathFactory) -> tuple[ka.Snapshot, pd.DataFrame]:
    d = tmp_path_factory.mktemp("complete")
    (d / "cluster.yaml").write_text(yaml.safe_dump_all(TINY))
    snap = ka.load(d / "cluster.yaml", cluster="tiny")
    return snap, audit(snap)


def test_the_fixture_is_partial(partial: tuple[ka.Snapshot, pd.DataFrame]) -> None:
    _, f = partial
    gaps = not_assessed(f).set_index("check_id")
    assert gaps.loc["privileged", "status"] == "not_assessable"
    assert gaps.loc["svc-nodeport", "status"] == "partial"  # the unparsed document could have been a Service
    assert len(skipped_of(f)) == 3


def test_json_round_trips_what_was_not_assessed(tmp_path: Path, partial: tuple[ka.Snapshot, pd.DataFrame]) -> None:
    snap, f = partial
    p = export(f, tmp_path / "f.json", snapshot=snap)
    doc = json.loads(p.read_text())
    assert doc["partial"] is True
    assert {r["check_id"] for r in doc["not_assessed"]} == set(not_assessed(f)["check_id"])
    assert [r["category"] for r in doc["skipped"]] == ["forbidden", "not_kubernetes", "parse_error"]
    back = read_findings(p)
    # with the snapshot, JSON also carries the attack-path columns (on_attack_path, paths_through, priority)
    pd.testing.assert_frame_equal(back[list(f.columns)], f)
    pd.testing.assert_frame_equal(not_assessed(back), not_assessed(f))
    pd.testing.assert_frame_equal(skipped_of(back), skipped_of(f))
    pd.testing.assert_frame_equal(check_stats(back), check_stats(f))


def test_csv_carries_rows_a_reader_cannot_miss_and_round_trips(
    tmp_path: Path, partial: tuple[ka.Snapshot, pd.DataFrame]
) -> None:
    _, f = partial
    p = export(f, tmp_path / "f.csv")
    rows = list(csv.DictReader(io.StringIO(p.read_text(encoding="utf-8-sig"))))
    assert len(rows) == len(f) + len(not_assessed(f)) + 3
    gaps = [r for r in rows if r["kind"] == "(not assessed)"]
    priv = next(r for r in gaps if r["check_id"] == "privileged")
    assert priv["name"] == "not_assessable" and "could not read Pod: forbidden" in priv["message"]
    assert priv["severity"] == ""  # not a finding of any severity
    skipped = [r for r in rows if r["kind"] == "(skipped)"]
    assert [r["title"] for r in skipped] == ["forbidden", "not_kubernetes", "parse_error"]
    assert json.loads(skipped[0]["evidence"]) == {"source": "/api/v1/pods", "document": None, "kind": "Pod"}
    back = read_findings(p)
    pd.testing.assert_frame_equal(back, f.reset_index(drop=True), check_like=False)
    pd.testing.assert_frame_equal(not_assessed(back), not_assessed(f))
    pd.testing.assert_frame_equal(skipped_of(back), skipped_of(f))


def test_csv_of_a_complete_audit_has_findings_only(tmp_path: Path, complete: tuple[ka.Snapshot, pd.DataFrame]) -> None:
    _, f = complete
    text = findings_to_text(f, "csv")
    assert "(not assessed)" not in text and "(skipped)" not in text
    assert len(list(csv.DictReader(io.StringIO(text)))) == len(f)


def test_sarif_invocation_notifications(
    partial: tuple[ka.Snapshot, pd.DataFrame], complete: tuple[ka.Snapshot, pd.DataFrame]
) -> None:
    snap, f = partial
    doc = json.loads(findings_to_text(f, "sarif", snapshot=snap))
    _validate_sarif(doc)
    inv = doc["runs"][0]["invocations"][0]
    assert inv["executionSuccessful"] is False
    notes = inv["toolExecutionNotifications"]
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    priv = next(n for n in notes if n.get("associatedRule", {}).get("id") == "privileged")
    assert priv["level"] == "error" and "could not read Pod" in priv["message"]["text"]
    assert rules[priv["associatedRule"]["index"]]["id"] == "privileged"
    part = next(n for n in notes if n.get("associatedRule", {}).get("id") == "svc-nodeport")
    assert part["level"] == "warning" and part["properties"]["status"] == "partial"
    inputs = [n for n in notes if n["properties"]["kind"] == "input"]
    assert [(n["level"], n["properties"]["category"]) for n in inputs] == [
        ("warning", "forbidden"),
        ("note", "not_kubernetes"),
        ("warning", "parse_error"),
    ]
    csnap, cf = complete
    cdoc = json.loads(findings_to_text(cf, "sarif", snapshot=csnap))
    _validate_sarif(cdoc)
    assert cdoc["runs"][0]["invocations"] == [{"executionSuccessful": True, "toolExecutionNotifications": []}]


def test_junit_properties_and_errors(
    partial: tuple[ka.Snapshot, pd.DataFrame], complete: tuple[ka.Snapshot, pd.DataFrame]
) -> None:
    _, f = partial
    root = ET.fromstring(findings_to_text(f, "junit"))
    for suite in root.findall("testsuite"):
        props = {p.get("name"): p.get("value") for p in suite.findall("properties/property")}
        assert props == {"k8saudit.partial": "true", "k8saudit.not_assessed": str(len(not_assessed(f)))}
        assert int(suite.get("tests")) == len(suite.findall("testcase"))
    errors = {
        (c.get("classname"), e.get("type")): e.get("message") for c in root.iter("testcase") for e in c.findall("error")
    }
    assert "could not read Pod" in errors[("k8saudit.privileged", "not_assessable")]
    assert ("k8saudit.svc-nodeport", "partial") in errors
    inputs = next(s for s in root.findall("testsuite") if s.get("name") == "Input not assessed")
    kinds = [(c.get("classname"), [x.tag for x in c]) for c in inputs.findall("testcase")]
    assert kinds == [
        ("k8saudit.input.forbidden", ["error"]),
        ("k8saudit.input.not_kubernetes", ["skipped"]),
        ("k8saudit.input.parse_error", ["error"]),
    ]
    assert int(root.get("errors")) == len(root.findall("testsuite/testcase/error"))
    croot = ET.fromstring(findings_to_text(complete[1], "junit"))
    assert not croot.findall("testsuite/testcase/error")
    assert {p.get("value") for p in croot.iter("property") if p.get("name") == "k8saudit.partial"} == {"false"}


def test_markdown_and_html_sections(
    partial: tuple[ka.Snapshot, pd.DataFrame], complete: tuple[ka.Snapshot, pd.DataFrame]
) -> None:
    snap, f = partial
    md = findings_to_text(f, "markdown", snapshot=snap)
    assert "> **Partial audit:" in md and "## Not assessed" in md
    assert "### Checks without a complete verdict" in md and "could not read Pod: forbidden" in md
    assert "### Input that could not be read" in md and "broken.yaml" in md
    assert "### Noted, nothing lost" in md and "chart/values.yaml" in md
    html = findings_to_text(f, "html", snapshot=snap)
    assert 'class="partial-banner"' in html and 'id="not-assessed"' in html
    assert "could not read Pod: forbidden" in html and "chart/values.yaml" in html
    csnap, cf = complete
    assert "Not assessed" not in findings_to_text(cf, "markdown", snapshot=csnap)
    chtml = findings_to_text(cf, "html", snapshot=csnap)
    assert 'id="not-assessed"' not in chtml and 'class="partial-banner"' not in chtml


def test_xlsx_not_assessed_sheet(
    tmp_path: Path, partial: tuple[ka.Snapshot, pd.DataFrame], complete: tuple[ka.Snapshot, pd.DataFrame]
) -> None:
    snap, f = partial
    wb = openpyxl.load_workbook(export(f, tmp_path / "p.xlsx", snapshot=snap))
    assert wb.sheetnames[-1] == "Not assessed"
    cells = [str(c) for row in wb["Not assessed"].iter_rows(values_only=True) for c in row if c is not None]
    assert "Checks without a complete verdict" in cells and "privileged" in cells
    assert any("could not read Pod: forbidden" in c for c in cells)
    assert "Input that could not be read" in cells and "broken.yaml" in cells and "chart/values.yaml" in cells
    summary = [str(c) for row in wb["Summary"].iter_rows(values_only=True) for c in row if c is not None]
    assert any(c.startswith("Partial audit:") for c in summary)
    csnap, cf = complete
    cwb = openpyxl.load_workbook(export(cf, tmp_path / "c.xlsx", snapshot=csnap))
    assert cwb["Not assessed"]["A1"].value == "Everything was assessed."
