"""`scan --fail-on` end to end: 1 for open findings, 3 for a partial audit (unless --allow-partial), 2 for no objects."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
import yaml
from test_not_assessed import TINY, _no_real_sleeps, server  # noqa: F401  (fixtures: the loopback server)

import k8saudit as ka
from k8saudit.cli import EXIT_FINDINGS, EXIT_PARTIAL, EXIT_USAGE, build_parser, main
from k8saudit.testing import FakeApiServer


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


CLEAN = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "web:1"}]},
        },
    },
}
HOST_PID = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "debug", "namespace": "shop"},
    "spec": {"hostPID": True, "containers": [{"name": "sh", "image": "busybox"}]},
}


def _dir(tmp_path: Path, *docs: dict, broken: bool = False) -> Path:
    d = tmp_path / "manifests"
    d.mkdir()
    (d / "app.yaml").write_text(yaml.safe_dump_all(list(docs)))
    if broken:
        (d / "broken.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n spec: [\n")
    return d


def test_exit_codes_are_documented_in_help() -> None:
    text = build_parser().format_help()
    assert "exit status" in text and "3 scan --fail-on" in text and "--allow-partial" in text
    scan = next(a for a in build_parser()._subparsers._group_actions[0].choices.items() if a[0] == "scan")[1]
    h = scan.format_help()
    assert "exit 3" in h and "--allow-partial" in h
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert "--allow-partial" in readme and "exits 3" in readme


def test_complete_clean_audit_exits_0(tmp_path: Path) -> None:
    code, out, _ = run("scan", str(_dir(tmp_path, CLEAN)), "--practice", "4", "--fail-on", "high")
    assert code == 0 and "PARTIAL AUDIT" not in out


def test_a_document_that_does_not_parse_makes_the_gate_exit_3(tmp_path: Path) -> None:
    src = str(_dir(tmp_path, CLEAN, broken=True))
    code, out, err = run("scan", src, "--practice", "4", "--fail-on", "high")
    assert code == EXIT_PARTIAL
    assert "PARTIAL AUDIT: 6 checks gave no complete verdict (6 partial)" in out  # the checks of practice 4
    assert "Not assessed" in out and "broken.yaml" in out
    assert "partial audit" in err and f"exit {EXIT_PARTIAL}" in err and "--allow-partial" in err
    code, out, err = run("scan", src, "--practice", "4", "--fail-on", "high", "--allow-partial")
    assert code == 0 and "PARTIAL AUDIT" in out  # accepted, still reported
    code, _, _ = run("scan", src, "--practice", "4")
    assert code == 0  # no gate without --fail-on


def test_open_findings_win_over_a_partial_audit(tmp_path: Path) -> None:
    src = str(_dir(tmp_path, CLEAN, HOST_PID, broken=True))
    code, _, err = run("scan", src, "--practice", "4", "--fail-on", "high")
    assert code == EXIT_FINDINGS and f"(exit {EXIT_FINDINGS})" in err
    code, _, _ = run("scan", src, "--practice", "4", "--fail-on", "critical")
    assert code == EXIT_PARTIAL  # nothing critical found, but not everything could be read


def test_an_invalid_object_makes_the_gate_exit_3(tmp_path: Path) -> None:
    bad = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "bad", "namespace": "shop"},
        "spec": {"hostPID": "sometimes", "containers": "nope"},
    }
    code, out, _ = run("scan", str(_dir(tmp_path, CLEAN, bad)), "--practice", "4", "--fail-on", "high")
    assert code == EXIT_PARTIAL and "Pod read in part" in out


def test_not_kubernetes_files_are_noted_and_do_not_fail_the_gate(tmp_path: Path) -> None:
    d = _dir(tmp_path, CLEAN)
    (d / "values.yaml").write_text("replicaCount: 2\nimage:\n  repository: web\n")
    (d / "kustomization.yaml").write_text("resources:\n  - app.yaml\n")
    snap = ka.load(d)
    if set(snap.skipped["category"]) != {"not_kubernetes"}:
        pytest.skip(f"the file loader records these as {set(snap.skipped['category'])}, not yet as not_kubernetes")
    code, out, _ = run("scan", str(d), "--practice", "4", "--fail-on", "high")
    assert code == 0
    assert "Noted, nothing lost" in out and "not a Kubernetes object" in out and "values.yaml" in out
    assert "PARTIAL AUDIT" not in out


@pytest.mark.parametrize("content", [None, "root:x:0:0:root:/root:/bin/bash\n", "just: a map\n", "# only a comment\n"])
def test_no_kubernetes_object_at_all_is_exit_2(tmp_path: Path, content: str | None) -> None:
    if content is None:
        target = tmp_path / "empty"
        target.mkdir()
    else:
        target = tmp_path / "input.yaml"
        target.write_text(content)
    for argv in (
        ["scan", str(target), "--fail-on", "high"],
        ["scan", str(target)],
        ["snapshot", str(target), "-o", str(tmp_path / "out")],
    ):
        code, out, err = run(*argv)
        assert code == EXIT_USAGE, argv
        assert err.startswith(f"k8saudit: no Kubernetes objects found in {target}") and err.count("\n") == 1
        assert out == ""
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- live


def test_live_forbidden_pods_exit_3_not_0(server: FakeApiServer, tmp_path: Path) -> None:
    """The privileged containers are in pods only: with Pods forbidden the gate used to pass (exit 0)."""
    kc = str(server.write_kubeconfig(tmp_path / "kubeconfig", context="fake"))
    code, _, _ = run("scan", "--context", "fake", "--kubeconfig", kc, "--practice", "3,8", "--fail-on", "high", "-q")
    assert code == EXIT_FINDINGS  # everything readable: the privileged pod fails the gate
    server.forbid("pods")
    code, out, err = run("scan", "--context", "fake", "--kubeconfig", kc, "--practice", "3,8", "--fail-on", "high")
    assert code == EXIT_PARTIAL
    assert "not assessable: " in out and "privileged" in out and "could not read Pod: forbidden" in out
    assert "partial audit" in err
    code, _, _ = run(
        "scan",
        "--context",
        "fake",
        "--kubeconfig",
        kc,
        "--practice",
        "3,8",
        "--fail-on",
        "high",
        "--allow-partial",
        "-q",
    )
    assert code == 0


def test_live_unreachable_cluster_in_a_fleet_scan_exits_3(server: FakeApiServer, tmp_path: Path) -> None:
    kc = server.write_kubeconfig(tmp_path / "kubeconfig", context="prod", cluster="prod-cluster")
    doc = yaml.safe_load(kc.read_text())
    dead = FakeApiServer([]).start()
    port = dead.port
    dead.stop()
    doc["clusters"].append(
        {"name": "gone-cluster", "cluster": {**doc["clusters"][0]["cluster"], "server": f"https://127.0.0.1:{port}"}}
    )
    doc["contexts"].append({"name": "gone", "context": {**doc["contexts"][0]["context"], "cluster": "gone-cluster"}})
    kc.write_text(yaml.safe_dump(doc))
    argv = ["scan", "--context", "prod", "--context", "gone", "--kubeconfig", str(kc), "--practice", "4"]
    code, out, err = run(*argv, "--fail-on", "critical")
    assert code == EXIT_PARTIAL, err
    assert "gone-cluster: not assessable" in out and "the cluster could not be read" in out
    code, _, _ = run(*argv, "--fail-on", "critical", "--allow-partial", "-q")
    assert code == 0
