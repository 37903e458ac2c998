"""ka.compliance: framework data, check mappings, and each status where it must and must not appear."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest

import k8saudit as ka
from k8saudit.checks import CHECKS
from k8saudit.checks.pss import CONTROLS as PSS_CONTROLS
from k8saudit.frameworks import FRAMEWORKS, STATUSES, controls, framework

POD = """
apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: shop
{extra}spec:
  containers:
  - name: app
    image: registry.example.com/app:1.0
    securityContext:
      privileged: {privileged}
"""


def _audit(tmp_path: Path, *pods: str, **kw: object) -> pd.DataFrame:
    (tmp_path / "m.yaml").write_text("---".join(textwrap.dedent(p) for p in pods))
    return ka.audit(ka.load(tmp_path / "m.yaml"), default_exemptions=False, **kw)  # type: ignore[arg-type]


def _row(df: pd.DataFrame, control: str) -> pd.Series:
    return df.set_index("control").loc[control]


@pytest.mark.parametrize("fid", FRAMEWORKS)
def test_framework_files_cite_sources_and_list_unique_controls(fid: str) -> None:
    doc = framework(fid)
    assert doc["id"] == fid and doc["name"] and doc["version"] and doc["sources"] and doc["scope"]
    assert all("http" in s for s in doc["sources"])
    ids = [c["id"] for c in doc["controls"]]
    assert len(ids) == len(set(ids)) and all(c["title"] for c in doc["controls"])


def test_every_mapping_names_a_known_framework_and_control() -> None:
    known = {fid: {c["id"] for c in framework(fid)["controls"]} for fid in FRAMEWORKS}
    for c in CHECKS.values():
        assert c.controls, f"{c.id} evidences no control of any framework"
        for fid, ids in c.controls.items():
            assert fid in known, (c.id, fid)
            unknown = set(ids) - known[fid]
            assert not unknown, f"{c.id}: {fid} has no control {sorted(unknown)}"


@pytest.mark.parametrize("fid", FRAMEWORKS)
def test_a_control_is_marked_unassessable_exactly_when_no_check_evidences_it(fid: str) -> None:
    ctl = controls(fid)
    mapped = ctl["checks"].str.len() > 0
    wrong = ctl[mapped == ~ctl["assessable"]]
    assert wrong.empty, wrong[["control", "assessable", "checks"]].to_string()
    assert ctl.loc[~ctl["assessable"], "why_not"].notna().all()


def test_cis_lists_every_control_of_the_sections_k8saudit_touches() -> None:
    sections = controls("cis")["section"].str.split(" ").str[0].value_counts().to_dict()
    assert sections == {"1.2": 30, "3.1": 3, "5.1": 13, "5.2": 12, "5.3": 2, "5.4": 2, "5.5": 1, "5.6": 4}


def test_pss_controls_are_the_ones_k8saudit_evaluates() -> None:
    assert set(controls("pss")["control"]) == set(PSS_CONTROLS)


def test_fail_and_pass(tmp_path: Path) -> None:
    bad = _audit(
        tmp_path, POD.format(name="a", extra="", privileged="true"), POD.format(name="b", extra="", privileged="true")
    )
    row = _row(ka.compliance(bad, "cis"), "5.2.2")
    assert (row["status"], row["failing_objects"], row["checks"]) == ("fail", 2, "privileged")
    good = _audit(tmp_path, POD.format(name="a", extra="", privileged="false"))
    assert _row(ka.compliance(good, "cis"), "5.2.2")["status"] == "pass"
    assert _row(ka.compliance(good, "pss"), "privileged")["status"] == "pass"


def test_a_control_fails_when_any_of_its_checks_fails(tmp_path: Path) -> None:
    f = _audit(tmp_path, POD.format(name="a", extra="", privileged="false"))
    row = _row(ka.compliance(f, "pss"), "host-namespaces")  # host-ipc, host-pid, host-network all pass
    assert row["status"] == "pass"
    f = _audit(
        tmp_path, POD.format(name="a", extra="", privileged="false").replace("spec:\n", "spec:\n  hostPID: true\n")
    )
    row = _row(ka.compliance(f, "pss"), "host-namespaces")
    assert (row["status"], row["failing_objects"]) == ("fail", 1)


def test_exempt_findings_do_not_fail_a_control_but_are_counted(tmp_path: Path) -> None:
    extra = "  annotations:\n    k8saudit.io/ignore: privileged\n    k8saudit.io/exempt-reason: a node agent\n"
    f = _audit(tmp_path, POD.format(name="agent", extra=extra, privileged="true"))
    row = _row(ka.compliance(f, "cis"), "5.2.2")
    assert (row["status"], row["failing_objects"], row["exempt_findings"]) == ("pass", 0, 1)


def test_not_assessable_when_a_check_behind_it_could_not_run(tmp_path: Path) -> None:
    # manifests without a kube-apiserver static pod: its flags are not visible
    f = _audit(tmp_path, POD.format(name="a", extra="", privileged="false"))
    row = _row(ka.compliance(f, "cis"), "1.2.1")
    assert row["status"] == "not_assessable" and "authn-anonymous" in row["reason"]
    # a practice left out of the audit: its controls are not known to pass
    f = _audit(tmp_path, POD.format(name="a", extra="", privileged="false"), practices=[4])
    row = _row(ka.compliance(f, "cis"), "5.2.2")
    assert row["status"] == "not_assessable" and "not run" in row["reason"]
    # a failing check wins over one that could not run
    f = _audit(tmp_path, POD.format(name="a", extra="", privileged="true"), practices=[8])
    assert _row(ka.compliance(f, "cis"), "5.2.2")["status"] == "fail"


def test_controls_no_check_evidences_are_never_pass(tmp_path: Path) -> None:
    f = _audit(tmp_path, POD.format(name="a", extra="", privileged="false"))
    for fid in FRAMEWORKS:
        df = ka.compliance(f, fid)
        uncovered = df[df["checks"] == ""]
        assert len(uncovered) and (uncovered["status"] == "not_covered").all()
        assert uncovered["reason"].notna().all()
        assert set(df["status"].astype(str)) <= set(STATUSES)
        assert list(df["control"]) == [c["id"] for c in framework(fid)["controls"]]


def test_the_sample_shows_every_status(sample_snap: ka.Snapshot) -> None:
    f = ka.audit(sample_snap)
    seen = set().union(*(set(ka.compliance(f, fid)["status"].astype(str)) for fid in FRAMEWORKS))
    assert {"fail", "pass", "not_covered"} <= seen
    summary = ka.compliance_summary(f)
    assert list(summary.columns) == ["framework", *STATUSES]
    assert (summary[list(STATUSES)].sum(axis=1) == [len(controls(fid)) for fid in FRAMEWORKS]).all()


def test_bad_calls_say_what_is_wrong(sample_snap: ka.Snapshot) -> None:
    f = ka.audit(sample_snap)
    with pytest.raises(ValueError, match="cis, nsa, pss, mitre"):
        ka.compliance(f, "iso27001")
    with pytest.raises(ValueError, match="audit"):
        ka.compliance(pd.DataFrame(f.to_dict("list")), "cis")  # a plain frame: no audit results
    assert ka.compliance(f, " CIS ")["framework"].eq("cis").all()


def test_xlsx_has_a_sheet_per_framework_and_html_a_section(sample_snap: ka.Snapshot, tmp_path: Path) -> None:
    import openpyxl

    f = ka.audit(sample_snap)
    ka.export(f, tmp_path / "r.xlsx")
    ka.export(f, tmp_path / "r.html")
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert {"CIS v1.12.0", "NSA-CISA v1.2", "PSS Kubernetes v1.34 policy", "ATT&CK v17"} <= set(wb.sheetnames)
    ws = wb["CIS v1.12.0"]
    rows = list(ws.iter_rows(min_row=6, values_only=True))
    assert rows[0][:4] == ("control", "section", "title", "status")
    got = {r[0]: r[3] for r in rows[1:] if r[0]}
    want = ka.compliance(f, "cis").set_index("control")["status"].astype(str).to_dict()
    assert got == want
    html = (tmp_path / "r.html").read_text()
    for fid in FRAMEWORKS:
        assert f'id="compliance-{fid}"' in html
    assert "not covered" in html
    # findings read back from a file carry no audit results: no compliance sheet rather than a wrong one
    back = ka.read_findings(_csv(f, tmp_path))
    ka.export(back, tmp_path / "back.xlsx")
    assert "CIS v1.12.0" not in openpyxl.load_workbook(tmp_path / "back.xlsx").sheetnames


def _csv(f: pd.DataFrame, tmp_path: Path) -> Path:
    ka.export(f, tmp_path / "f.csv")
    return tmp_path / "f.csv"


def test_a_partial_check_never_passes_a_control(tmp_path: Path) -> None:
    f = _audit(tmp_path, POD.format(name="a", extra="", privileged="false"))
    assert _row(ka.compliance(f, "cis"), "5.2.2")["status"] == "pass"
    stats = [dict(r) for r in f.attrs["stats"]]
    for r in stats:
        if r["check_id"] == "privileged":
            r["status"], r["reason"] = "partial", "Pod read in part (forbidden in namespace kube-system)"
    f.attrs["stats"] = stats
    row = _row(ka.compliance(f, "cis"), "5.2.2")
    assert row["status"] == "not_assessable" and "read in part" in row["reason"]


def test_check_references_cite_the_cis_version_of_the_compliance_data() -> None:
    """One CIS numbering everywhere: a check's CIS references are its ``controls["cis"]`` in the version of
    frameworks/cis.yaml; an older version is cited only for a control that no longer exists, and says so."""
    from k8saudit.checks import CIS

    assert CIS == f"CIS Kubernetes Benchmark {framework('cis')['version']}"
    for c in CHECKS.values():
        cited = [r.removeprefix(CIS + " ") for r in c.references if r.startswith(CIS + " ")]
        assert cited == list(c.controls.get("cis", ())), c.id
        for r in c.references:
            if r.startswith("CIS Kubernetes Benchmark") and not r.startswith(CIS + " "):
                assert "no v1.12.0 control" in r and not c.controls.get("cis"), (c.id, r)


def test_a_stale_cis_reference_is_refused() -> None:
    from k8saudit.checks import check

    for ref in ("CIS Kubernetes Benchmark v1.12.0 5.2.4", "CIS Kubernetes Benchmark v1.9 5.7.3"):
        with pytest.raises(ValueError, match="controls="):
            check(
                "x-stale-cis",
                practice=4,
                severity="low",
                on="workloads",
                title="t",
                why="w",
                remediation="r",
                references=[ref],
            )(lambda workloads: workloads)
    assert "x-stale-cis" not in CHECKS


ATTACK_ID = r"T1\d{3}(\.\d{3})?"


def test_every_attack_technique_used_is_in_the_containers_matrix() -> None:
    """Technique ids of checks and of attack-path edges: well-formed and in the vendored Containers matrix
    (frameworks/mitre.yaml)."""
    import re

    matrix = {c["id"]: c["title"] for c in framework("mitre")["controls"]}
    assert all(re.fullmatch(ATTACK_ID, t) for t in matrix)
    used = {(c.id, t) for c in CHECKS.values() for t in c.controls.get("mitre", ())}
    try:
        from k8saudit.paths import ATTACK, EDGE_KINDS  # type: ignore[attr-defined,unused-ignore]
    except ImportError:  # attack paths not in this build
        ATTACK, EDGE_KINDS = {}, {}
    assert {t: matrix.get(t) for t in ATTACK} == ATTACK  # the names the attack paths show are the matrix's
    used |= {(e.id, t) for e in EDGE_KINDS.values() for t in e.attack}
    assert used
    unknown = sorted((who, t) for who, t in used if t not in matrix)
    assert not unknown, unknown
