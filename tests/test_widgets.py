"""Widgets driven without a browser: set the controls' ``.value``, assert on ``.filtered`` / results."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

import k8saudit as ka
from k8saudit.checks import CHECKS, PRACTICES, SEVERITIES
from k8saudit.exercises import EXERCISES, exercise
from k8saudit.findings import audit
from k8saudit.fixes import FIXES, fix_for, pod_path
from k8saudit.widgets import ALL, FindingsExplorer, ManifestExercise, SourcePicker, source_options


@pytest.fixture(scope="module")
def findings(sample_snap: ka.Snapshot) -> pd.DataFrame:
    return audit(sample_snap)


@pytest.fixture()
def explorer(findings: pd.DataFrame, sample_snap: ka.Snapshot) -> FindingsExplorer:
    return FindingsExplorer(findings, snap=sample_snap)


# ---------------------------------------------------------------------- FindingsExplorer


def test_explorer_starts_with_everything(explorer: FindingsExplorer, findings: pd.DataFrame) -> None:
    assert len(explorer.filtered) == len(findings)
    assert list(explorer.filtered.columns) == list(findings.columns)
    first_open = explorer.filtered[~explorer.filtered["exempt"]]["finding_id"].iloc[0]  # it starts on an open finding
    assert explorer.value is not None and explorer.value["finding_id"] == first_open
    assert explorer.filtered["severity"].iloc[0] == "critical"  # worst first


def test_explorer_filters_by_practice_and_check(explorer: FindingsExplorer, findings: pd.DataFrame) -> None:
    explorer.practice.value = 8
    assert set(explorer.filtered["practice"]) == {8}
    assert list(explorer.check_id.options) == [
        ALL,
        *[c.id for c in CHECKS.for_practice(8) if c.id in set(findings["check_id"])],
    ]
    explorer.check_id.value = "privileged"
    assert set(explorer.filtered["check_id"]) == {"privileged"}
    assert len(explorer.filtered) == int((findings["check_id"] == "privileged").sum())
    explorer.practice.value = 3  # the check no longer applies: back to all checks of practice 3
    assert explorer.check_id.value == ALL and set(explorer.filtered["practice"]) == {3}


def test_explorer_minimum_severity_namespace_and_exempt(explorer: FindingsExplorer, findings: pd.DataFrame) -> None:
    explorer.severity.value = "high"
    assert set(explorer.filtered["severity"].astype(str)) <= {"high", "critical"}
    assert len(explorer.filtered) == int(findings["severity"].astype(str).isin(["high", "critical"]).sum())
    explorer.severity.value = "info"
    explorer.namespace.value = "(cluster-scoped)"
    assert explorer.filtered["namespace"].isna().all() and len(explorer.filtered) > 0
    explorer.namespace.value = "kube-system"
    n_kube = len(explorer.filtered)
    explorer.show_exempt.value = False
    assert not explorer.filtered["exempt"].any() and len(explorer.filtered) < n_kube


def test_explorer_sorts_and_selects(explorer: FindingsExplorer) -> None:
    explorer.sort_by.value = "namespace"
    ns = explorer.filtered["namespace"].dropna().tolist()
    assert ns == sorted(ns)
    target = explorer.filtered.query("check_id == 'secret-env-literal'").iloc[0]
    explorer.select(target["finding_id"])
    assert explorer.value["name"] == "payments"
    assert "STRIPE_API_KEY" in explorer.detail.value and "payments-credentials" in explorer.detail.value
    assert "sk_live" not in explorer.detail.value  # the value is masked


def test_explorer_table_is_capped(findings: pd.DataFrame) -> None:
    ex = FindingsExplorer(findings, max_rows=5)
    assert ex.table.value.count("<tr style=") == 5
    assert f"showing the first 5 of {len(findings)}" in ex.table.value
    ex.check_id.value = "rbac-anonymous-binding"
    assert ex.table.value.count("<tr style=") == len(ex.filtered) == 1


def test_explorer_preselects_a_practice(findings: pd.DataFrame) -> None:
    ex = FindingsExplorer(findings, practice=5)
    assert set(ex.filtered["practice"]) == {5}
    assert ex.value["practice"] == 5


# ---------------------------------------------------------------------- SourcePicker

KUBECONFIG = """
apiVersion: v1
kind: Config
current-context: dev
clusters:
- {name: c1, cluster: {server: "https://127.0.0.1:6443"}}
users:
- {name: u1, user: {token: not-a-real-token}}
contexts:
- {name: dev, context: {cluster: c1, user: u1}}
- {name: prod, context: {cluster: c1, user: u1}}
"""


def test_source_picker_lists_contexts_when_a_kubeconfig_exists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "config"
    cfg.write_text(KUBECONFIG)
    monkeypatch.setenv("KUBECONFIG", str(cfg))
    values = [v for _, v in source_options(tmp_path / "none")]
    assert values == ["context:dev", "context:prod", "sample", "sample:legacy"]
    picker = SourcePicker("context:prod", snapshots_dir=tmp_path / "none")
    assert picker.value == "context:prod"


def test_source_picker_without_kubeconfig_offers_sample_and_snapshots(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample_snap: ka.Snapshot
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    sample_snap.save(tmp_path / "snapshots" / "sample-copy")
    picker = SourcePicker(snapshots_dir=tmp_path / "snapshots")
    values = [v for _, v in picker.choice.options]
    assert values == ["sample", "sample:legacy", str(tmp_path / "snapshots" / "sample-copy")]
    assert picker.value == "sample"
    picker.choice.value = values[2]
    snap = picker.load()
    assert snap is not None and len(snap) == len(sample_snap)
    assert "loaded" in picker.status.value


def test_source_picker_path_and_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    picker = SourcePicker(snapshots_dir=tmp_path)
    picker.value = str(tmp_path / "nope")
    assert picker.path.value == str(tmp_path / "nope") and picker.value == str(tmp_path / "nope")
    assert picker.load() is None and "cannot load" in picker.status.value
    picker.value = "sample"
    assert picker.path.value == "" and picker.load() is not None


# ---------------------------------------------------------------------- ManifestExercise


@pytest.mark.parametrize("practice", list(PRACTICES), ids=lambda p: f"practice-{p}")
def test_exercise_broken_fails_and_solution_passes(practice: int) -> None:
    ex = exercise(practice)
    broken = ex.check()
    assert len(broken) > 0 and not ex.passed
    assert set(broken["check_id"]) <= set(EXERCISES[practice].checks)
    ex.editor.value = ex.solution
    assert ex.check().empty and ex.passed
    assert "No findings left" in ex.result.value


def test_exercise_checks_are_registered() -> None:
    for ex in EXERCISES.values():
        assert all(CHECKS[c].practice == ex.practice for c in ex.checks)


def test_exercise_reports_unreadable_or_empty_text() -> None:
    ex = exercise(8)
    assert ex.check("kind: [broken").empty and not ex.passed
    assert "could not be read" in ex.result.value
    assert ex.check("").empty and not ex.passed
    assert "empty file" in ex.result.value


def test_exercise_solution_toggle_and_reset() -> None:
    ex = ManifestExercise(6, "kind: Pod\n", "kind: Pod # fixed\n")
    assert ex.solution_view.layout.display == "none"
    ex.show_solution.value = True
    assert ex.solution_view.layout.display == "block" and "fixed" in ex.solution_view.value
    ex.editor.value = "changed"
    ex.reset.click()
    assert ex.editor.value == "kind: Pod\n"


# ---------------------------------------------------------------------- fix_for


def test_every_check_has_a_fix() -> None:
    assert set(CHECKS) <= set(FIXES)


def test_fix_for_every_sample_finding_is_yaml(findings: pd.DataFrame, sample_snap: ka.Snapshot) -> None:
    for _, row in findings.drop_duplicates("check_id").iterrows():
        text = fix_for(row, sample_snap)
        body = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("# WARNING: "))
        assert body.startswith(f"# {row['check_id']}: ")
        assert text.startswith("# WARNING: ") == bool(row["exempt"])
        assert row["name"] in text
        list(yaml.safe_load_all(text))  # parses


def _patch(text: str) -> dict:
    docs = [d for d in yaml.safe_load_all(text) if d]
    return docs[-1]


@pytest.mark.parametrize(
    ("check_id", "kind", "name", "container", "path", "expected"),
    [
        (
            "privileged",
            "CronJob",
            "report-nightly",
            "fetch-data",
            ["spec", "jobTemplate", "spec", "template", "spec", "initContainers", 0],
            {"name": "fetch-data", "securityContext": {"privileged": False}},
        ),
        (
            "priv-escalation",
            "Deployment",
            "legacy-monolith",
            "monolith",
            ["spec", "template", "spec", "containers", 0],
            {"name": "monolith", "securityContext": {"allowPrivilegeEscalation": False, "privileged": False}},
        ),
        (
            "proc-mount-unmasked",
            "Deployment",
            "legacy-sandbox",
            "sandbox",
            ["spec", "template", "spec", "containers", 0],
            {"name": "sandbox", "securityContext": {"procMount": "Default"}},
        ),
        (
            "cap-dangerous-add",
            "Deployment",
            "legacy-api",
            "api",
            ["spec", "template", "spec", "containers", 0],
            {"name": "api", "securityContext": {"capabilities": {"drop": ["ALL"]}}},
        ),
        ("host-ipc", "Deployment", "legacy-ipc-cache", None, ["spec", "template", "spec"], {"hostIPC": False}),
    ],
    ids=["cronjob-init", "deployment", "proc-mount", "caps", "pod-level"],
)
def test_fix_for_puts_the_patch_at_the_right_path(
    findings: pd.DataFrame,
    sample_snap: ka.Snapshot,
    check_id: str,
    kind: str,
    name: str,
    container: str | None,
    path: list,
    expected: dict,
) -> None:
    row = findings[(findings["check_id"] == check_id) & (findings["kind"] == kind) & (findings["name"] == name)].iloc[0]
    doc = _patch(fix_for(row, sample_snap))
    for key in path:
        doc = doc[key]
    assert doc == expected


def test_fix_for_without_a_snapshot_uses_placeholders(findings: pd.DataFrame) -> None:
    row = findings[findings["check_id"] == "secret-envfrom"].iloc[0]
    text = fix_for(row)
    assert "<secret-name>" in text and "kubectl -n shop patch deployment payments" in text


def test_fix_for_pod_paths() -> None:
    assert pod_path("Pod") == ["spec"]
    assert pod_path("StatefulSet") == ["spec", "template", "spec"]
    assert pod_path("CronJob")[:3] == ["spec", "jobTemplate", "spec"]


def test_fix_for_anonymous_clusterwide_binding_deletes_it(findings: pd.DataFrame, sample_snap: ka.Snapshot) -> None:
    row = findings[(findings["check_id"] == "rbac-clusterwide-binding") & (findings["name"] == "anonymous-view")].iloc[
        0
    ]
    assert "kubectl delete ClusterRoleBinding anonymous-view" in fix_for(row, sample_snap)


def test_severities_offered_by_the_explorer_are_all_known(explorer: FindingsExplorer) -> None:
    assert [v for _, v in explorer.severity.options] == list(SEVERITIES)


# ---------------------------------------------------------------------- exempt findings: no harmful fix


def test_explorer_starts_on_the_first_finding_that_is_not_exempt(
    findings: pd.DataFrame, sample_snap: ka.Snapshot
) -> None:
    ex = FindingsExplorer(findings, snap=sample_snap, practice=3)
    first = ex.filtered.iloc[0]
    assert first["exempt"] and first["name"] == "calico-node"  # the worst finding of practice 3 is the exempt CNI
    assert ex.value is not None and not ex.value["exempt"]
    assert ex.value["finding_id"] == ex.filtered.loc[~ex.filtered["exempt"], "finding_id"].iloc[0]
    assert "Do not apply" not in ex.detail.value
    ex.check_id.value = "cap-dangerous-add"  # a filter change keeps the rule
    assert not ex.value["exempt"]


def test_explorer_falls_back_to_an_exempt_finding_with_a_warning(
    findings: pd.DataFrame, sample_snap: ka.Snapshot
) -> None:
    only_exempt = findings[findings["exempt"] & (findings["name"] == "calico-node")]
    ex = FindingsExplorer(only_exempt, snap=sample_snap)
    assert ex.value is not None and ex.value["exempt"]
    detail = ex.detail.value
    assert "Do not apply this fix" in detail and "CNI agent" in detail and "pod network" in detail
    fix_at = detail.index("Suggested fix")
    assert fix_at < detail.index("Do not apply") < detail.index("<pre", fix_at)  # the warning comes before the patch


def test_fix_for_an_exempt_cni_finding_warns_what_it_breaks(findings: pd.DataFrame, sample_snap: ka.Snapshot) -> None:
    row = findings[(findings["check_id"] == "cap-dangerous-add") & (findings["name"] == "calico-node")].iloc[0]
    assert row["exempt"]
    text = fix_for(row, sample_snap)
    head = text.split("# cap-dangerous-add:")[0]
    assert "exempt (default exemption: CNI agent" in head.replace("\n# WARNING: ", " ")
    assert "Do not apply this fix to DaemonSet kube-system/calico-node" in head.replace("\n# WARNING: ", " ")
    assert "pod network" in head
    assert _patch(text)["spec"]["template"]["spec"]["containers"][0]["securityContext"]["capabilities"] == {
        "drop": ["ALL"]
    }
    live = row.copy()
    live["exempt"] = False
    assert "WARNING" not in fix_for(live, sample_snap)


@pytest.mark.parametrize(
    ("reason", "breaks"),
    [
        (
            "default exemption: CNI controller that talks to the API server: it needs its token",
            "authenticate to the API server",
        ),
        (
            "default exemption: kube-proxy programs the node's network: it needs hostNetwork and privileges",
            "Service routing",
        ),
        ("default exemption: control-plane static pod (kubeadm)", "the control plane"),
        ("annotation: our log shipper needs the host's PID namespace", "the component relies on exactly this setting"),
    ],
)
def test_exempt_warning_names_what_breaks(reason: str, breaks: str) -> None:
    from k8saudit.fixes import exempt_warning

    row = {
        "check_id": "host-pid",
        "kind": "DaemonSet",
        "namespace": "ops",
        "name": "agent",
        "exempt": True,
        "exempt_reason": reason,
    }
    text = exempt_warning(row)
    assert text is not None and breaks in text and reason in text and "ops/agent" in text
    assert exempt_warning({**row, "exempt": False}) is None
