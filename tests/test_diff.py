"""diff(): new, resolved, unchanged and severity-changed findings, matched by a stable identity (cluster, check,
object, container), which cluster being the same one not decided by a folder's name."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pandas as pd
import pytest
from _findings import check_for, make_findings, sample_rows

import k8saudit as ka
from k8saudit.cli import main
from k8saudit.diff import DIFF_COLUMNS, STATUSES, diff, diff_text
from k8saudit.export import export, read_findings
from k8saudit.findings import FINDINGS_COLUMNS, SEVERITY_DTYPE, audit


def _before_after() -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = sample_rows()
    before = make_findings(rows)
    after_rows = [dict(r) for r in rows[1:]]  # rows[0] resolved
    after_rows[2]["severity"] = "critical"  # was medium: severity changed
    after_rows.append(
        {
            "check_id": check_for(6),
            "kind": "Deployment",
            "namespace": "shop",
            "name": "cart",
            "container": "cart",
            "severity": "medium",
            "message": "new one",
        }
    )
    return before, make_findings(after_rows)


def test_statuses() -> None:
    before, after = _before_after()
    changes = diff(before, after)
    assert list(changes.columns) == DIFF_COLUMNS == FINDINGS_COLUMNS + ["status", "severity_before", "severity_after"]
    assert list(changes["status"].cat.categories) == list(STATUSES)
    counts = changes["status"].value_counts()
    assert (counts["new"], counts["resolved"], counts["severity_changed"], counts["unchanged"]) == (1, 1, 1, 6)
    assert len(changes) == len(set(before["finding_id"]) | set(after["finding_id"]))
    new = changes[changes["status"] == "new"].iloc[0]
    assert new["message"] == "new one" and pd.isna(new["severity_before"]) and new["severity_after"] == "medium"
    gone = changes[changes["status"] == "resolved"].iloc[0]
    assert gone["finding_id"] == before["finding_id"][0] and gone["severity_before"] == "critical"
    assert pd.isna(gone["severity_after"])
    changed = changes[changes["status"] == "severity_changed"].iloc[0]
    assert (changed["severity_before"], changed["severity_after"], changed["severity"]) == (
        "medium",
        "critical",
        "critical",
    )
    same = changes[changes["status"] == "unchanged"]
    assert (same["severity_before"] == same["severity_after"]).all()
    assert changes["severity"].dtype == SEVERITY_DTYPE and changes["severity_before"].dtype == SEVERITY_DTYPE
    assert list(changes["status"]) == sorted(changes["status"], key=STATUSES.index)  # new first, unchanged last


def test_identical_audits_are_unchanged() -> None:
    f = make_findings(sample_rows())
    changes = diff(f, f)
    assert set(changes["status"]) == {"unchanged"} and len(changes) == len(f)
    assert "No changes." in diff_text(changes)


def test_empty_sides() -> None:
    f = make_findings(sample_rows())
    empty = make_findings([])
    assert set(diff(empty, f)["status"]) == {"new"}
    assert set(diff(f, empty)["status"]) == {"resolved"}
    assert diff(empty, empty).empty


def test_duplicate_ids_are_paired_in_order() -> None:
    row = {"check_id": check_for(5), "kind": "ClusterRoleBinding", "namespace": None, "name": "admins"}
    before = make_findings([{**row, "message": "rule 1"}, {**row, "message": "rule 2"}])
    after = make_findings([{**row, "message": "rule 1"}, {**row, "message": "rule 2"}, {**row, "message": "rule 3"}])
    changes = diff(before, after)
    assert changes["status"].value_counts()["unchanged"] == 2
    assert list(changes.loc[changes["status"] == "new", "message"]) == ["rule 3"]


def test_diff_text() -> None:
    before, after = _before_after()
    text = diff_text(diff(before, after))
    lines = text.splitlines()
    assert lines[0] == "k8saudit diff: test-cluster → test-cluster"
    assert any(line.split() == ["new", "1"] for line in lines)
    assert any(line.split() == ["severity", "changed", "1"] for line in lines)
    assert "New findings (1)" in text and "Resolved findings (1)" in text and "Severity changed (1)" in text
    assert "(medium → critical)" in text
    new_at = lines.index("New findings (1)")
    assert lines[new_at + 1].strip() == "6. Read-only root filesystem"
    assert "Deployment/shop/cart [cart]: new one" in lines[new_at + 2]
    resolved_at = lines.index("Resolved findings (1)")
    assert lines[resolved_at + 1].strip().startswith("1. ")


def test_bad_inputs() -> None:
    with pytest.raises(TypeError):
        diff("a", "b")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lacks"):
        diff(pd.DataFrame({"x": [1]}), make_findings([]))


@pytest.mark.parametrize("ext", [".csv", ".json"])
def test_diff_exports_round_trip(tmp_path: Path, ext: str) -> None:
    changes = diff(*_before_after())
    back = read_findings(export(changes, tmp_path / f"changes{ext}"))
    changes.attrs = {}
    back.attrs = {}
    pd.testing.assert_frame_equal(back, changes)


def test_diff_in_the_other_formats(tmp_path: Path) -> None:
    changes = diff(*_before_after())
    sarif = json.loads(export(changes, tmp_path / "changes.sarif").read_text())
    schema = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft7Validator(schema).validate(sarif)
    states = [r["baselineState"] for r in sarif["runs"][0]["results"]]
    expected = {"new": "new", "severity_changed": "updated", "resolved": "absent", "unchanged": "unchanged"}
    assert states == [expected[s] for s in changes["status"]]
    junit = ET.parse(export(changes, tmp_path / "changes.xml")).getroot()
    gone = changes[changes["status"] == "resolved"].iloc[0]
    cases = {(c.get("classname"), c.get("name")) for c in junit.iter("testcase")}
    assert (f"k8saudit.{gone['check_id']}", f"{gone['kind']}/{gone['namespace']}/{gone['name']}") not in cases
    kept = changes[changes["status"] == "new"].iloc[0]
    assert (f"k8saudit.{kept['check_id']}", f"{kept['kind']}/{kept['namespace']}/{kept['name']}") in cases
    md = export(changes, tmp_path / "changes.md").read_text()
    assert "| change |" in md and "| severity changed |" in md
    page = export(changes, tmp_path / "changes.html").read_text()
    assert page.count('<span class="change">') == len(changes)


BROKEN = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: app
          image: nginx:1.27
          securityContext: {privileged: %s}
"""


def test_snapshots_are_audited(tmp_path: Path) -> None:
    (tmp_path / "before").mkdir()
    (tmp_path / "after").mkdir()
    (tmp_path / "before" / "web.yaml").write_text(BROKEN % "true")
    (tmp_path / "after" / "web.yaml").write_text(BROKEN % "false")
    before = ka.load(tmp_path / "before", cluster="shop")
    after = ka.load(tmp_path / "after", cluster="shop")
    changes = ka.diff(before, after)
    resolved = set(changes.loc[changes["status"] == "resolved", "check_id"])
    assert "privileged" in resolved
    assert not (changes["status"] == "new").any()
    # a snapshot on one side, findings on the other
    mixed = diff(audit(before), after)
    pd.testing.assert_series_equal(mixed["status"], changes["status"])


def test_cli_diff_of_exports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before, after = _before_after()
    export(before, tmp_path / "before.json")
    export(after, tmp_path / "after.csv")
    assert main(["diff", str(tmp_path / "before.json"), str(tmp_path / "after.csv")]) == 0
    assert "New findings (1)" in capsys.readouterr().out
    assert main(["diff", str(tmp_path / "before.json"), str(tmp_path / "after.csv"), "--fail-on-new"]) == 1


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("cols.csv", "a,b\n1,2\n", "not a findings table"),
        ("empty.csv", "", "empty file"),
        ("garbage.json", "garbage", "not a readable JSON findings export"),
        ("odd.json", '{"findings": 5}', "`findings` must be a list"),
        ("other.json", '{"generator": "something else"}', "no `findings` list"),
    ],
)
def test_cli_diff_of_a_file_that_is_no_export_names_it(
    name: str, content: str, said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / name).write_text(content)
    assert main(["diff", str(tmp_path / name), "sample"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"k8saudit: {tmp_path / name}: ") and said in err and "Traceback" not in err


def _pod_json(privileged: bool, first_key: str) -> str:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": "app"},
        "spec": {"containers": [{"name": "c", "image": "nginx:1", "securityContext": {"privileged": privileged}}]},
    }
    if first_key == "items":
        return json.dumps({"items": [pod], "apiVersion": "v1", "kind": "List"}, indent=4)
    return json.dumps({first_key: pod.pop(first_key), **pod})


@pytest.mark.parametrize("first_key", ["apiVersion", "kind", "metadata", "items"])
def test_cli_diff_of_two_json_dumps_loads_them(
    first_key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``kubectl get -o json`` dumps (or JSON manifests) are sources, not findings exports, whatever key comes first."""
    (tmp_path / "before").mkdir()
    (tmp_path / "after").mkdir()
    (tmp_path / "before" / "pods.json").write_text(_pod_json(True, first_key))
    (tmp_path / "after" / "pods.json").write_text("\ufeff" + _pod_json(False, first_key), encoding="utf-8")
    before, after = tmp_path / "before" / "pods.json", tmp_path / "after" / "pods.json"
    assert main(["diff", str(before), str(after), "--cluster", "prod"]) == 0
    out = capsys.readouterr().out
    assert "Resolved findings" in out and "privileged" in out


# --------------------------------------------------------------------------- which cluster is the same one


def _copy(tmp_path: Path, name: str) -> Path:
    import shutil

    dst = tmp_path / name
    shutil.copytree(Path(__file__).resolve().parent.parent / "data" / "sample-cluster", dst)
    return dst


def test_copies_of_one_cluster_in_differently_named_folders_diff_as_no_change(tmp_path: Path) -> None:
    a, b = ka.load(_copy(tmp_path, "prod-monday")), ka.load(_copy(tmp_path, "prod-copy"))
    assert (a.cluster, b.cluster) == ("prod-monday", "prod-copy")  # the names differ, so do the finding ids
    changes = diff(a, b)
    assert set(changes["status"]) == {"unchanged"} and len(changes) == len(audit(a))
    said = changes.attrs["matched_on"]
    assert "prod-monday → prod-copy" in said and "same cluster by its kube-system namespace uid" in said
    assert f"matched on: {said}" in diff_text(changes)
    # the bundled sample is that cluster too
    assert set(diff(a, ka.sample())["status"]) == {"unchanged"}


def test_a_fix_in_a_renamed_copy_is_still_seen(tmp_path: Path) -> None:
    src = _copy(tmp_path, "before")
    after = _copy(tmp_path, "after-fix")
    for f in after.rglob("*.yaml"):  # drop hostIPC everywhere in the copy
        f.write_text(f.read_text().replace("hostIPC: true", "hostIPC: false"))
    changes = diff(ka.load(src), ka.load(after))
    gone = changes[changes["status"] == "resolved"]
    assert len(gone) and set(gone["check_id"]) == {"host-ipc"} and not (changes["status"] == "new").any()


def test_other_clusters_say_so_and_fleets_match_by_name() -> None:
    f1 = make_findings(sample_rows(), cluster="east")
    f2 = make_findings(sample_rows(), cluster="west")
    one = diff(f1, f2)  # one cluster each: compared as one, and said
    assert set(one["status"]) == {"unchanged"} and "east → west" in one.attrs["matched_on"]
    fleet_a = pd.concat([f1, f2], ignore_index=True)
    fleet_a.attrs = {"clusters": ["east", "west"]}
    fleet_b = f2.copy()
    fleet_b.attrs = {"clusters": ["west"]}
    by_name = diff(fleet_a, fleet_b)  # several clusters: by name; east's findings are gone, west's unchanged
    assert by_name.attrs["matched_on"].startswith("cluster name")
    assert set(by_name.loc[by_name["cluster"] == "east", "status"]) == {"resolved"}
    assert set(by_name.loc[by_name["cluster"] == "west", "status"]) == {"unchanged"}
    # --cluster picks one out of a fleet and names the result
    west = diff(fleet_a, f1, cluster="west")
    assert set(west["status"]) == {"unchanged"} and set(west["cluster"]) == {"west"}
    assert west.attrs["clusters_before"] == ["west"] and "as asked" in west.attrs["matched_on"]
    with pytest.raises(ValueError, match="before holds no cluster 'north' \\(it holds east, west\\)"):
        diff(fleet_a, f1, cluster="north")
