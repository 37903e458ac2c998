"""SARIF where it lands: locations that resolve to the manifest, the official 2.1.0 schema with its URI formats,
and the rules GitHub code scanning applies to an upload (docs.github.com: "SARIF support for code scanning",
"SARIF results exceed one or more limits", "SARIF file is too large")."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import url2pathname

import jsonschema
import pandas as pd
import pytest
from _findings import many_findings

import k8saudit as ka
from k8saudit.export import export, findings_to_text
from k8saudit.export._sarif import MAX_GZIP_BYTES, MAX_RESULTS, relative_uri
from k8saudit.findings import audit

SARIF_SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
#: GitHub's documented limits on one upload
GITHUB = {"runs": 20, "results": MAX_RESULTS, "rules": 25_000, "tags": 20, "locations": 10, "gzip": 10 * 1024**2}
PRECISIONS = {"very-high", "high", "medium", "low"}
LEVELS = {"none", "note", "warning", "error"}


def validate(doc: dict) -> None:
    """The official schema, with its ``uri`` and ``uri-reference`` formats checked (jsonschema ignores formats
    unless asked)."""
    schema = json.loads(SARIF_SCHEMA.read_text())
    checker = jsonschema.Draft7Validator.FORMAT_CHECKER
    assert {"uri", "uri-reference"} <= set(checker.checkers), "install jsonschema[format-nongpl]"
    errors = sorted(
        jsonschema.Draft7Validator(schema, format_checker=checker).iter_errors(doc), key=lambda e: list(e.path)
    )
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def github_problems(raw: str) -> list[str]:
    """What GitHub code scanning would refuse or lose in this upload, one line each."""
    doc = json.loads(raw)
    out = []
    if doc.get("version") != "2.1.0" or "$schema" not in doc:
        out.append("version must be 2.1.0 with $schema")
    if len(gzip.compress(raw.encode())) > GITHUB["gzip"]:
        out.append("larger than 10 MB gzip-compressed")
    runs = doc.get("runs")
    if not isinstance(runs, list) or len(runs) > GITHUB["runs"]:
        out.append("runs: a list of at most 20")
        return out
    for run in runs:
        driver = run["tool"]["driver"]
        if not driver.get("name"):
            out.append("tool.driver.name is required")
        rules = {r["id"]: r for r in driver.get("rules", [])}
        if len(rules) != len(driver.get("rules", [])) or len(rules) > GITHUB["rules"]:
            out.append("rule ids must be unique, at most 25,000")
        for rid, r in rules.items():
            for prop in ("shortDescription", "fullDescription", "help"):
                if not (r.get(prop) or {}).get("text"):
                    out.append(f"rule {rid}: {prop}.text is required")
            props = r.get("properties", {})
            tags = props.get("tags", [])
            if len(tags) > GITHUB["tags"] or not all(isinstance(t, str) and t for t in tags):
                out.append(f"rule {rid}: at most 20 tags, strings")
            if "security-severity" in props:
                if "security" not in tags:  # else GitHub ignores security-severity
                    out.append(f"rule {rid}: security-severity needs the tag 'security'")
                sev = props["security-severity"]
                if not (isinstance(sev, str) and 0.0 <= float(sev) <= 10.0):
                    out.append(f"rule {rid}: security-severity must be a string score 0.0-10.0")
            if props.get("precision", "high") not in PRECISIONS:
                out.append(f"rule {rid}: precision {props.get('precision')!r}")
            if r.get("defaultConfiguration", {}).get("level", "warning") not in LEVELS:
                out.append(f"rule {rid}: level")
        results = run.get("results", [])
        if len(results) > GITHUB["results"]:
            out.append(f"{len(results)} results in a run (at most 25,000)")
        bases = run.get("originalUriBaseIds", {})
        for i, res in enumerate(results):
            if res.get("ruleId") not in rules:
                out.append(f"result {i}: ruleId names no rule")
            if not (res.get("message") or {}).get("text"):
                out.append(f"result {i}: message.text is required")
            if not res.get("partialFingerprints") or not all(
                isinstance(v, str) and v for v in res["partialFingerprints"].values()
            ):
                out.append(f"result {i}: partialFingerprints")
            locs = res.get("locations") or []
            if not 1 <= len(locs) <= GITHUB["locations"]:
                out.append(f"result {i}: 1 to 10 locations")
            for loc in locs:
                phys = loc.get("physicalLocation")
                if phys is None:
                    continue
                art = phys["artifactLocation"]
                uri, base = art.get("uri", ""), art.get("uriBaseId")
                if urlsplit(uri).scheme or uri.startswith("/") or ".." in uri.split("/") or " " in uri:
                    out.append(f"result {i}: uri {uri!r} is not a relative URI")
                if base != "%SRCROOT%" and base not in bases:
                    out.append(f"result {i}: uriBaseId {base!r} is not declared")
                if not isinstance(phys.get("region", {}).get("startLine"), int) or phys["region"]["startLine"] < 1:
                    out.append(f"result {i}: region.startLine is required")
    return out


def resolve(run: dict, phys: dict) -> Path:
    """The file a physical location names, through ``originalUriBaseIds``."""
    art = phys["artifactLocation"]
    base = run["originalUriBaseIds"][art["uriBaseId"]]["uri"]
    assert base.startswith("file:///") and base.endswith("/")
    return Path(url2pathname(urlsplit(urljoin(base, art["uri"])).path))


@pytest.fixture(scope="module")
def sample() -> tuple[ka.Snapshot, pd.DataFrame]:
    snap = ka.sample()
    return snap, audit(snap)


@pytest.mark.parametrize("where", ["checkout", "elsewhere"])
def test_sample_locations_resolve_to_the_manifest_line(
    sample: tuple[ka.Snapshot, pd.DataFrame], where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snap, found = sample
    if where == "elsewhere":  # the sample is not below the current directory: its own base, SAMPLE
        monkeypatch.chdir(tmp_path)
    raw = findings_to_text(found, "sarif", snapshot=snap)
    doc = json.loads(raw)
    validate(doc)
    assert github_problems(raw) == []
    run = doc["runs"][0]
    assert set(run["originalUriBaseIds"]) == ({"SAMPLE"} if where == "elsewhere" else {"%SRCROOT%"})
    sample_dir = ka.sources.sample_path() if hasattr(ka, "sources") else None
    from_files = {
        (k, "" if pd.isna(ns) else ns, n)
        for k, ns, n in zip(snap.objects["kind"], snap.objects["namespace"], snap.objects["name"])
    }
    phys_count = 0
    for res, f_row in zip(run["results"], found.itertuples()):
        loc = res["locations"][0]
        in_file = (f_row.kind, "" if pd.isna(f_row.namespace) else f_row.namespace, f_row.name) in from_files
        # a finding on an object read from a file points at it; one on the cluster as a whole has no file
        assert ("physicalLocation" in loc) == in_file, (res["ruleId"], loc)
        if not in_file:
            continue
        phys = loc["physicalLocation"]
        phys_count += 1
        uri = phys["artifactLocation"]["uri"]
        assert "%20" not in uri and "(" not in uri and "bundled" not in uri
        f = resolve(run, phys)
        assert f.is_file(), f
        if sample_dir is not None:
            assert f.resolve().is_relative_to(sample_dir.resolve())
        # the region starts at the object's document: its kind and name are in the lines that follow
        kind, _, name = loc["logicalLocations"][0]["fullyQualifiedName"].partition("/")
        lines = f.read_text().splitlines()[phys["region"]["startLine"] - 1 :]
        doc_lines = lines[: next((i for i, ln in enumerate(lines[1:], 1) if ln.startswith("---")), len(lines))]
        assert any(ln.strip() == f"kind: {kind}" for ln in doc_lines)
        assert any(name.rsplit("/", 1)[-1] in ln for ln in doc_lines)
    assert phys_count > 0.9 * len(found)
    if where == "checkout":
        assert all(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith("data/sample-cluster/")
            for r in run["results"]
            if "physicalLocation" in r["locations"][0]
        )


def test_awkward_file_names_are_percent_encoded_and_resolve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "repo"
    d = root / "my manifests" / "team #1 (prod)"
    d.mkdir(parents=True)
    (d / "web ü%.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\n"
        "spec:\n  hostPID: true\n  containers: [{name: c, image: nginx, securityContext: {privileged: true}}]\n"
    )
    monkeypatch.chdir(root)
    snap = ka.load("my manifests")
    found = audit(snap)
    assert len(found)
    raw = findings_to_text(found, "sarif", snapshot=snap)
    doc = json.loads(raw)
    validate(doc)
    assert github_problems(raw) == []
    run = doc["runs"][0]
    pods = [
        r for r in run["results"] if r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "Pod/shop/web"
    ]
    assert len(pods) >= 2
    for res in pods:
        phys = res["locations"][0]["physicalLocation"]
        uri = phys["artifactLocation"]["uri"]
        assert uri == "my%20manifests/team%20%231%20(prod)/web%20%C3%BC%25.yaml"
        assert phys["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert unquote(uri) == "my manifests/team #1 (prod)/web ü%.yaml"
        assert resolve(run, phys) == d.resolve() / "web ü%.yaml"
        assert phys["region"]["startLine"] == 1
    # outside the current directory: the scan root becomes a declared base, paths stay relative to it
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    doc = json.loads(findings_to_text(found, "sarif", snapshot=snap))
    run = doc["runs"][0]
    assert set(run["originalUriBaseIds"]) == {"ROOT"}
    phys = next(
        r["locations"][0]["physicalLocation"] for r in run["results"] if "physicalLocation" in r["locations"][0]
    )
    assert phys["artifactLocation"] == {"uri": "team%20%231%20(prod)/web%20%C3%BC%25.yaml", "uriBaseId": "ROOT"}
    assert resolve(run, phys) == d.resolve() / "web ü%.yaml"


@pytest.mark.parametrize(
    "path,uri",
    [
        ("a b/c.yaml", "a%20b/c.yaml"),
        ("x:y.yaml", "./x:y.yaml"),
        ("ü/#?.yaml", "%C3%BC/%23%3F.yaml"),
        ("./a//b.yaml", "a/b.yaml"),
    ],
)
def test_relative_uri(path: str, uri: str) -> None:
    from pathlib import PurePosixPath

    assert relative_uri(PurePosixPath(path)) == uri
    checker = jsonschema.Draft7Validator.FORMAT_CHECKER
    checker.check(uri, "uri-reference")
    assert not urlsplit(uri).scheme


@pytest.mark.parametrize("path", ["/etc/x.yaml", "../x.yaml", "a/../../b.yaml", "."])
def test_relative_uri_refuses_what_leaves_its_base(path: str) -> None:
    from pathlib import PurePosixPath

    with pytest.raises(ValueError):
        relative_uri(PurePosixPath(path))


def test_a_live_snapshot_has_logical_locations_only(sample: tuple[ka.Snapshot, pd.DataFrame]) -> None:
    snap, found = sample
    live = ka.Snapshot(snap.cluster, source="context prod", meta={"origin": "live"})
    raw = findings_to_text(found, "sarif", snapshot=live)
    doc = json.loads(raw)
    validate(doc)
    assert github_problems(raw) == []
    assert "originalUriBaseIds" not in doc["runs"][0]
    assert all(list(r["locations"][0]) == ["logicalLocations"] for r in doc["runs"][0]["results"])


def test_github_problems_catches_what_it_should() -> None:
    """The rule checker itself fires on each broken upload."""
    f = many_findings(3)
    good = json.loads(findings_to_text(f, "sarif"))
    assert github_problems(json.dumps(good)) == []

    def broken(edit) -> list[str]:
        doc = json.loads(json.dumps(good))
        edit(doc)
        return github_problems(json.dumps(doc))

    run = lambda d: d["runs"][0]  # noqa: E731
    assert broken(lambda d: run(d)["tool"]["driver"]["rules"][0]["properties"]["tags"].remove("security"))
    assert broken(lambda d: run(d)["tool"]["driver"]["rules"][0]["properties"].update({"security-severity": 9.5}))
    assert broken(lambda d: run(d)["tool"]["driver"]["rules"][0]["properties"].update({"tags": ["t"] * 21}))
    assert broken(lambda d: run(d)["tool"]["driver"]["rules"][0].pop("help"))
    assert broken(lambda d: run(d)["results"][0].pop("partialFingerprints"))
    assert broken(lambda d: run(d)["results"][0].update({"locations": []}))
    assert broken(
        lambda d: run(d)["results"][0]["locations"][0].update(
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": "bundled sample (data/x.yaml"},
                    "region": {"startLine": 1},
                }
            }
        )
    )
    assert broken(
        lambda d: run(d)["results"][0]["locations"][0].update(
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": "x.yaml", "uriBaseId": "NOWHERE"},
                    "region": {"startLine": 1},
                }
            }
        )
    )
    assert broken(lambda d: d.update({"runs": [run(d)] * 21}))


def test_beyond_25000_results_the_worst_are_kept_and_the_cut_is_said(tmp_path: Path) -> None:
    n = MAX_RESULTS + 1_500
    f = many_findings(n)
    out = export(f, tmp_path / "big.sarif")
    raw = out.read_text()
    assert github_problems(raw) == []
    assert len(gzip.compress(raw.encode())) <= MAX_GZIP_BYTES
    run = json.loads(raw)["runs"][0]
    assert len(run["results"]) == MAX_RESULTS
    assert run["properties"]["findings"] == n and run["properties"]["results_left_out"] == 1_500
    notes = [x for x in run["invocations"][0]["toolExecutionNotifications"] if x["properties"]["kind"] == "limit"]
    assert len(notes) == 1 and "1,500 of 26,500 findings left out" in notes[0]["message"]["text"]
    kept = {r["partialFingerprints"]["k8sauditFindingId/v1"] for r in run["results"]}
    dropped = f[~f["finding_id"].isin(kept)]
    assert len(dropped) == 1_500
    # what was left out is never worse than what was kept: exempt ones go first, then the least severe
    order = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
    rank = lambda df: df["exempt"].astype(int) * 5 + df["severity"].astype(str).map(order)  # noqa: E731
    assert rank(dropped).min() >= rank(f[f["finding_id"].isin(kept)]).max()
    # at or under the limit, nothing is left out
    small = json.loads(findings_to_text(many_findings(40), "sarif"))["runs"][0]
    assert small["properties"]["results_left_out"] == 0 and len(small["results"]) == 40
    assert not any(x["properties"]["kind"] == "limit" for x in small["invocations"][0]["toolExecutionNotifications"])
