"""The command line: frames, snapshot, scan, checks; user errors are one line and exit 2."""

from __future__ import annotations

import io
import json
import os
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pandas as pd
import pytest

from k8saudit.cli import main
from k8saudit.sources import sample_path

SAMPLE = str(sample_path())


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_frames_csv_of_the_sample() -> None:
    code, out, _ = run("frames", "workloads", SAMPLE, "--format", "csv", "--columns", "kind,namespace,name,pss_level")
    assert code == 0
    df = pd.read_csv(io.StringIO(out.lstrip("\ufeff")))
    assert list(df.columns) == ["kind", "namespace", "name", "pss_level"] and len(df) > 40


def test_frames_json_and_markdown() -> None:
    code, out, _ = run("frames", "nodes", SAMPLE, "--format", "json")
    assert code == 0 and len(json.loads(out)) == 4
    code, out, _ = run("frames", "nodes", SAMPLE, "--format", "markdown")
    assert code == 0 and out.lstrip().startswith("|")


def test_snapshot_then_scan_the_snapshot(tmp_path: Path) -> None:
    code, out, _ = run("snapshot", SAMPLE, "-o", str(tmp_path / "snap"))
    assert code == 0 and "saved" in out
    code, out1, _ = run("scan", str(tmp_path / "snap"), "--format", "csv")
    code2, out2, _ = run("scan", SAMPLE, "--format", "csv")
    assert code == code2 == 0 and out1 == out2


def test_scan_text_report_and_fail_on() -> None:
    code, out, _ = run("scan", "sample")
    assert code == 0 and "Summary" in out and "[8]" in out
    code, _, _ = run("scan", "sample", "--practice", "8", "--fail-on", "high", "-q")
    assert code == 1
    code, _, _ = run(
        "scan",
        "sample",
        "--practice",
        "9",
        "--min-severity",
        "critical",
        "--fail-on",
        "critical",
        "-q",
        "--check",
        "proc-mount-unmasked",
        "--no-default-exemptions",
    )
    assert code in (0, 1)


def test_scan_the_legacy_sample() -> None:
    code, out, _ = run("scan", "sample:legacy", "--practice", "7", "--fail-on", "critical", "-q")
    assert code == 1 and "legacy-cluster" in out and "insecure port" in out.lower()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["scan", "/no/such/dir"], "no such file or directory"),
        (["scan", "sample", "--practice", "11"], "--practice"),
        (["scan", "sample", "--fail-on", "urgent"], "--fail-on"),
        (["scan", "sample", "--check", "no-such-check"], "no check"),
        (["scan", "sample", "--exemptions", "/no/waivers.yaml"], "waivers"),
        (["frames", "nope", "sample"], "no frame"),
        (["frames", "workloads", "sample", "--columns", "kind,bogus"], "bogus"),
        (["scan"], "no source"),
        (["scan", "sample:nope"], "no bundled sample 'nope'"),
        (["dashboard", "/no/such/snapshot"], "no such file or directory"),
        (["dashboard", "sample:nope"], "no bundled sample 'nope'"),
    ],
    ids=[
        "missing-path",
        "bad-practice",
        "bad-severity",
        "bad-check",
        "missing-waivers",
        "bad-frame",
        "bad-column",
        "no-source",
        "bad-sample",
        "dashboard-missing-path",
        "dashboard-bad-sample",
    ],
)
def test_user_errors_are_one_line_exit_2(argv: list[str], message: str) -> None:
    code, _, err = run(*argv)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("k8saudit: ") and message in err, err
    assert "Traceback" not in err


def test_checks_catalog_lists_every_practice() -> None:
    code, out, _ = run("checks")
    assert code == 0
    for n in range(1, 11):
        assert f"\n{n}. " in out


def test_checks_md_is_generated_from_the_registry() -> None:
    from k8saudit.report import catalog_markdown

    path = Path(__file__).resolve().parents[1] / "CHECKS.md"
    assert path.read_text() == catalog_markdown(), "CHECKS.md is stale: run `make catalog`"


def test_scan_writes_several_outputs_and_one_with_format(tmp_path: Path) -> None:
    code, _, err = run("scan", "sample", "-o", str(tmp_path / "a.csv"), "-o", str(tmp_path / "b.sarif"))
    assert code == 0 and (tmp_path / "a.csv").exists() and (tmp_path / "b.sarif").exists()
    code, _, _ = run("scan", "sample", "-o", str(tmp_path / "c.html"))
    assert code == 0 and (tmp_path / "c.html").read_text().lstrip().lower().startswith("<!doctype html")
    code, _, err = run("scan", "sample", "--format", "xlsx")
    assert code == 2 and "-o" in err


def test_dashboard_refuses_a_source_without_objects_before_serving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A path with no Kubernetes object is scan's one-line error (exit 2) and no server starts; a path that
    loads starts it, after reporting what could not be read."""
    import subprocess

    started: list[list[str]] = []
    monkeypatch.setattr(subprocess, "call", lambda argv, env=None: started.append(argv) or 0)
    (tmp_path / "empty").mkdir()
    (tmp_path / "values.yaml").write_text("replicas: 3\nimage: {tag: latest}\n")
    for bad in ("empty", "values.yaml"):
        code, _, err = run("dashboard", str(tmp_path / bad))
        assert code == 2 and f"no Kubernetes objects found in {tmp_path / bad}" in err, err
    code, _, err = run("dashboard", str(tmp_path / "missing"))
    assert code == 2 and "no such file or directory" in err
    assert not started
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\n"
        "spec: {containers: [{name: web, image: nginx:1.27}]}\n---\nkind: Pod\nmetadata: [oops]\n"
    )
    code, out, err = run("dashboard", str(tmp_path / "app"))
    assert code == 0 and len(started) == 1 and "1 item could not be read" in err, err
    assert "00-overview.ipynb" in out


def test_dashboard_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Voilà on loopback, code hidden, the source passed to the notebooks as $K8SAUDIT_SOURCE (paths absolute)."""
    from k8saudit.dashboard import notebooks_dir, urls, voila_command

    monkeypatch.chdir(tmp_path)
    (tmp_path / "snap").mkdir()
    argv, env = voila_command("snap", port=9999)
    assert argv[1:4] == ["-m", "voila", str(notebooks_dir())]
    assert "--port=9999" in argv and "--Voila.ip=127.0.0.1" in argv and "--strip_sources=True" in argv
    assert "--no-browser" in argv and "--template=k8saudit" in argv
    template = Path(env["JUPYTER_PATH"].split(os.pathsep)[0]) / "voila" / "templates" / "k8saudit" / "index.html.j2"
    assert template.is_file()  # what it leaves out is checked in a browser: tests/test_dashboard_browser.py
    assert env["K8SAUDIT_SOURCE"] == str(tmp_path / "snap")
    assert voila_command()[1]["K8SAUDIT_SOURCE"] == "sample"
    assert voila_command("sample:legacy")[1]["K8SAUDIT_SOURCE"] == "sample:legacy"
    assert voila_command("context:prod")[1]["K8SAUDIT_SOURCE"] == "context:prod"
    assert ("--ServerApp.allow_root=True" in argv) == (os.geteuid() == 0)
    assert urls(9999)["00-overview.ipynb"] == "http://127.0.0.1:9999/voila/render/00-overview.ipynb"
    assert len(urls()) == 11
