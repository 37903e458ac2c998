"""`k8saudit paths`: the report, the formats, --from/--to, --fail-on-path, and user errors."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pandas as pd
import pytest

from k8saudit.cli import main

FIXTURES = Path(__file__).parent / "paths"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_text_report_of_the_sample() -> None:
    code, out, _ = run("paths", "sample", "--to", "cluster-admin", "--certain-only")
    assert code == 0
    assert "the internet → cluster-admin" in out and "fix: " in out and "gap: no check reports this step" in out
    assert "Fix these" in out and "break every breakable path" in out


def test_csv_and_json(tmp_path: Path) -> None:
    code, out, _ = run("paths", "sample", "--to", "nodes", "--format", "csv", "-k", "1")
    assert code == 0
    df = pd.read_csv(io.StringIO(out.lstrip("\ufeff")))
    assert len(df) and df["target"].str.startswith("node:").all() and df["path_id"].is_unique
    code, _, _ = run(
        "paths",
        "sample",
        "--from",
        "workload:legacy/legacy-monolith",
        "--format",
        "json",
        "-o",
        str(tmp_path / "p.json"),
    )
    rows = json.loads((tmp_path / "p.json").read_text())
    assert code == 0 and rows and {r["entry"] for r in rows} == {"workload:legacy/Deployment/legacy-monolith"}
    assert all(s["evidence"] for r in rows for s in r["steps"])


def test_fail_on_path() -> None:
    code, _, err = run("paths", "sample", "--to", "cluster-admin", "--fail-on-path")
    assert code == 1 and "attack path(s) found" in err
    # the same RBAC in a namespace enforcing baseline: no path to a node
    safe = FIXTURES / "rbac-privileged-pod" / "pass-baseline-enforced.yaml"
    code, out, _ = run("paths", str(safe), "--from", "sa:app/deployer", "--to", "nodes", "--fail-on-path", "-q")
    assert code == 0 and "0 path(s)" in out
    open_ = FIXTURES / "rbac-privileged-pod" / "fail-no-pss.yaml"
    code, out, _ = run("paths", str(open_), "--from", "sa:app/deployer", "--to", "nodes", "--fail-on-path", "-q")
    assert code == 1 and "root on a node" in out


def test_assume_breach() -> None:
    code, out, _ = run("paths", "sample", "--assume-breach", "--to", "cluster-admin", "--format", "csv", "-k", "1")
    df = pd.read_csv(io.StringIO(out.lstrip("\ufeff")))
    assert code == 0 and df["entry"].str.startswith("workload:").all() and len(df) > 5


@pytest.mark.parametrize(
    "argv, message",
    [
        (["paths", "sample", "--from", "nowhere"], "unknown entry"),
        (["paths", "sample", "--to", "the-moon"], "unknown target"),
        (["paths", "sample", "-k", "0"], "-k must be 1-100"),
        (["paths", "sample", "-k", "101"], "-k must be 1-100"),  # Yen's enumeration would not end in a day
        (["paths", "/no/such/dir"], "no such file or directory"),
        # a namespace the cluster does not have: "no path" would read as a safe namespace
        (["paths", "sample", "--to", "secrets:shpo"], "no namespace 'shpo' in bundled sample"),
        (["paths", "sample", "--to", "secrets:shop", "--to", "secrets:nowhere"], "--to secrets:nowhere: no namespace"),
        (["paths", "sample", "-o", "/proc/no/such/dir/paths.txt"], "/proc/no/such/dir/paths.txt: cannot write"),
    ],
)
def test_user_errors(argv: list[str], message: str) -> None:
    code, _, err = run(*argv)
    assert code == 2 and message in err and "Traceback" not in err


def test_a_namespace_the_cluster_has_is_a_target_with_or_without_a_path() -> None:
    code, out, err = run("paths", "sample", "--to", "secrets:shop", "--format", "csv", "-k", "1")
    assert code == 0 and len(pd.read_csv(io.StringIO(out))), err
    assert "did you mean 'secrets:shop'" in run("paths", "sample", "--to", "secrets:shpo")[2]


def test_an_incomplete_snapshot_says_so(tmp_path: Path) -> None:
    """A document that cannot be read could hold a step: the report says the paths may be incomplete."""
    src = (FIXTURES / "rbac-privileged-pod" / "fail-no-pss.yaml").read_text()
    (tmp_path / "m.yaml").write_text(src + "---\nkind: Pod\napiVersion: v1\nmetadata: {name: [broken\n")
    code, out, _ = run("paths", str(tmp_path / "m.yaml"), "--from", "sa:app/deployer", "-q")
    assert code == 0 and "INCOMPLETE: 1 item(s) could not be read" in out
    code, out, _ = run("paths", str(FIXTURES / "rbac-privileged-pod" / "fail-no-pss.yaml"), "-q")
    assert "INCOMPLETE" not in out
    # a gate on paths never passes on what it could not read: no path found there exits 3, not 0
    code, _, err = run("paths", str(tmp_path / "m.yaml"), "--from", "internet", "--fail-on-path")
    assert code == 3 and "could not be read" in err
    code, _, _ = run("paths", str(tmp_path / "m.yaml"), "--from", "internet", "--fail-on-path", "--allow-partial")
    assert code == 0
    code, _, _ = run("paths", str(tmp_path / "m.yaml"), "--from", "sa:app/deployer", "--fail-on-path", "-q")
    assert code == 1  # a path found is a path, complete snapshot or not
    code, _, _ = run(
        "paths",
        str(FIXTURES / "rbac-privileged-pod" / "fail-no-pss.yaml"),
        "--from",
        "internet",
        "--fail-on-path",
        "-q",
    )
    assert code == 0  # complete, and no path from the internet


@pytest.mark.parametrize("paths", [True, False], ids=["paths", "no-paths"])
def test_scan_with_or_without_paths_writes_every_format(paths: bool, tmp_path: Path) -> None:
    """`scan --no-paths` leaves the graph out of every output, those that carry the attack-path columns (JSON,
    Excel, HTML) included: they are written without them, not computed from objects the scan released."""
    import subprocess
    import sys

    flag = [] if paths else ["--no-paths"]
    outs = [tmp_path / f"f.{ext}" for ext in ("json", "html", "xlsx", "csv")]
    code, _, err = run("scan", "sample", "-q", *flag, *[a for o in outs for a in ("-o", str(o))])
    assert code == 0, err
    on_paths = json.loads(outs[0].read_text(encoding="utf-8"))["findings"][0]
    assert ("priority" in on_paths) is paths
    sheet = pd.read_excel(outs[2], sheet_name="2 API authn-authz", header=None)  # a practice's findings
    assert sheet.astype(str).apply(lambda c: c.str.contains("priority", case=False)).any().any() == paths
    # standard output: as text (in process) and streamed (a process whose stdout is a pipe)
    code, out, err = run("scan", "sample", "-q", *flag, "--format", "json")
    assert code == 0, err
    assert ('"priority"' in out) is paths
    p = subprocess.run(
        [
            sys.executable,
            "-c",
            "from k8saudit.cli import run; run()",
            "scan",
            "sample",
            "-q",
            *flag,
            "--format",
            "json",
        ],
        capture_output=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr.decode()
    assert (b'"priority"' in p.stdout) is paths
