"""Command-line habits: `-n` filters every source, `scan -` reads standard input, a mistyped check id is named
with its closest real one, counts speak in the right number."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pandas as pd
import pytest
import yaml
from test_not_assessed import TINY  # the loopback server's objects

from k8saudit.cli import EXIT_USAGE, main
from k8saudit.sources import sample_path
from k8saudit.testing import FakeApiServer

SAMPLE = str(sample_path())
CLUSTER_SCOPED = {"Node", "ClusterRole", "ClusterRoleBinding", "KubeconfigUser", "Cluster"}


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def _findings(*argv: str) -> pd.DataFrame:
    code, out, err = run("scan", *argv, "--format", "json", "-q")
    assert code == 0, err
    return pd.DataFrame(json.loads(out)["findings"] if out.lstrip().startswith("{") else json.loads(out))


def _frame(*argv: str) -> pd.DataFrame:
    code, out, err = run("frames", *argv, "--format", "json", "-q")
    assert code == 0, err
    return pd.DataFrame(json.loads(out))


# --------------------------------------------------------------------------- -n / --namespace


@pytest.mark.parametrize("source", ["sample", SAMPLE, "snapshot"])
def test_namespace_filters_files_samples_and_snapshots(source: str, tmp_path: Path) -> None:
    if source == "snapshot":
        assert run("snapshot", SAMPLE, "-o", str(tmp_path / "snap"), "-q")[0] == 0
        source = str(tmp_path / "snap")
    everything = _findings(source)
    assert {"shop", "dev", "kube-system"} <= set(everything["namespace"].dropna())
    shop = _findings(source, "-n", "shop")
    namespaced = shop[shop["namespace"].notna()]
    assert set(namespaced["namespace"]) == {"shop"}
    # the stated rule: findings on cluster-scoped objects are kept, whatever -n says
    assert {"ClusterRoleBinding", "Node"} <= set(shop.loc[shop["namespace"].isna(), "kind"])
    # nothing of shop is lost by filtering
    key = ["check_id", "kind", "namespace", "name"]
    before = everything[everything["namespace"] == "shop"][key].astype(str).drop_duplicates()
    after = namespaced[key].astype(str).drop_duplicates()
    assert len(before) and before.merge(after, how="left", indicator=True)["_merge"].eq("both").all()
    # repeatable and comma-separated, like kubectl
    two = _findings(source, "-n", "shop,dev")
    assert set(two["namespace"].dropna()) == {"shop", "dev"}
    assert set(_findings(source, "-n", "shop", "--namespace", "dev")["namespace"].dropna()) == {"shop", "dev"}


def test_namespace_filters_frames() -> None:
    workloads = _frame("workloads", SAMPLE, "-n", "dev")
    assert len(workloads) and set(workloads["namespace"]) == {"dev"}
    namespaces = _frame("namespaces", "sample", "-n", "dev", "-n", "shop")
    assert set(namespaces["name"]) == {"dev", "shop"}
    nodes = _frame("nodes", "sample", "-n", "dev")
    assert len(nodes) == len(_frame("nodes", "sample"))  # cluster-scoped: kept
    objects = _frame("objects", "sample", "-n", "kube-node-lease")  # a namespace holding only itself
    assert set(objects.loc[objects["namespace"].isna(), "kind"]) >= {"Namespace", "Node", "ClusterRole"}


@pytest.mark.parametrize(
    "command", [["scan", "SRC"], ["frames", "objects", "SRC"], ["paths", "SRC"], ["snapshot", "SRC", "-o", "OUT"]]
)
@pytest.mark.parametrize("source", ["sample", "snapshot"])
def test_a_namespace_the_source_does_not_have_is_an_error_not_a_clean_audit(
    command: list[str], source: str, tmp_path: Path
) -> None:
    if source == "snapshot":
        assert run("snapshot", SAMPLE, "-o", str(tmp_path / "snap"), "-q")[0] == 0
        source = str(tmp_path / "snap")
    argv = [{"SRC": source, "OUT": str(tmp_path / "out")}.get(a, a) for a in command]
    code, out, err = run(*argv, "-n", "shpo", "-q")
    assert code == EXIT_USAGE and out == "", err
    assert "--namespace 'shpo' (did you mean 'shop'?): nothing in" in err and "its namespaces: batch, default" in err
    assert not (tmp_path / "out").exists()
    code, _out, err = run(*argv, "-n", "shop,nowhere,elsewhere", "-q")
    assert code == EXIT_USAGE and "--namespace 'nowhere', 'elsewhere': nothing in" in err and "in them" in err
    assert run(*argv, "-n", "shop", "-q")[0] == 0


def test_a_namespace_named_only_by_what_could_not_be_read_is_no_error(tmp_path: Path) -> None:
    """A namespace whose objects failed to parse is there: the audit is partial, and says so, but not empty."""
    (tmp_path / "broken.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: team}\nspec: {containers: nginx}\n"
    )
    (tmp_path / "ok.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: q, namespace: other}\nspec: {containers: [{name: c, image: n}]}\n"
        "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\nrules: []\n"
    )
    code, out, err = run("scan", str(tmp_path), "-n", "team", "--format", "json", "-q")
    assert code == 0, err
    assert json.loads(out)["partial"] is True


def test_namespace_filters_a_live_cluster(tmp_path: Path) -> None:
    with FakeApiServer(TINY) as server:
        kc = str(server.write_kubeconfig(tmp_path / "kubeconfig", context="fake"))
        objects = _frame("objects", "--context", "fake", "--kubeconfig", kc, "-n", "shop")
        code, _out, err = run("scan", "--context", "fake", "--kubeconfig", kc, "-n", "shpo", "-q")
    assert code == EXIT_USAGE and "--namespace 'shpo': nothing in the cluster is in it" in err
    assert set(objects["namespace"].dropna()) == {"shop"}
    assert set(objects.loc[objects["kind"] == "Namespace", "name"]) == {"shop"}
    assert {"Node", "ClusterRole"} <= set(objects["kind"])


def test_namespace_rule_is_in_the_help() -> None:
    out = io.StringIO()
    with redirect_stdout(out), pytest.raises(SystemExit):
        main(["scan", "--help"])
    text = " ".join(out.getvalue().split())
    assert "only these namespaces, for every source" in text and "Cluster-scoped objects" in text


# --------------------------------------------------------------------------- standard input

PIPED = """\
# Source: shop/templates/api.yaml
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
        image: api:1
        securityContext: {privileged: true}
        env:
        - name: DB_PASSWORD
          value: hunter2-piped-secret
---
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: shop}
stringData: {token: s3cr3t-piped-token}
"""


def _cli(*argv: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import sys; from k8saudit.cli import main; sys.exit(main())", *argv],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_scan_reads_standard_input_through_a_pipe() -> None:
    p = _cli("scan", "-", "--format", "json", "-q", stdin=PIPED)
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    rows = pd.DataFrame(doc["findings"] if isinstance(doc, dict) else doc)
    priv = rows[(rows["check_id"] == "privileged") & (rows["name"] == "api")]
    assert len(priv) == 1
    assert "hunter2-piped-secret" not in p.stdout and "s3cr3t-piped-token" not in p.stdout
    assert "secret-env-literal" in set(rows["check_id"])


def test_frames_of_standard_input_keep_provenance_and_mask_secrets() -> None:
    p = _cli("frames", "objects", "-", "--format", "json", "-q", stdin=PIPED)
    assert p.returncode == 0, p.stderr
    objects = pd.DataFrame(json.loads(p.stdout)).set_index("kind")
    # like a file's: the document, helm's `# Source:` comment, the line where the object starts
    assert objects.loc["Deployment", "source"] == "<stdin>#0 (shop/templates/api.yaml)"
    assert objects.loc["Secret", "source"] == "<stdin>#1"
    assert (objects.loc["Deployment", "line"], objects.loc["Secret", "line"]) == (2, 20)
    assert objects.loc["Deployment", "cluster"] == "stdin"
    p = _cli("frames", "env", "-", "--format", "json", "-q", stdin=PIPED)
    assert p.returncode == 0 and "hunter2-piped-secret" not in p.stdout
    p = _cli("frames", "secrets", "-", "--format", "json", "-q", stdin=PIPED)
    assert p.returncode == 0 and "s3cr3t-piped-token" not in p.stdout


def test_standard_input_and_the_namespace_filter() -> None:
    p = _cli("frames", "objects", "-", "-n", "dev", "--format", "json", "-q", stdin=PIPED)
    assert p.returncode == EXIT_USAGE and p.stdout == ""  # every object of the input is in shop
    assert "--namespace 'dev': nothing in <stdin> is in it" in p.stderr and "its namespaces: shop" in p.stderr
    p = _cli("frames", "objects", "-", "-n", "shop", "--format", "json", "-q", stdin=PIPED)
    assert set(pd.DataFrame(json.loads(p.stdout))["name"]) == {"api", "creds"}


@pytest.mark.parametrize(
    "stdin, message", [("", "no Kubernetes objects found"), ("kind: [\n", "no Kubernetes objects found")]
)
def test_empty_or_broken_standard_input_is_a_clear_error(stdin: str, message: str) -> None:
    p = _cli("scan", "-", stdin=stdin)
    assert p.returncode == EXIT_USAGE and message in p.stderr and "Traceback" not in p.stderr


def test_standard_input_once_only() -> None:
    code, _, err = run("scan", "-", "-")
    assert code == EXIT_USAGE and "stand alone" in err


# --------------------------------------------------------------------------- unknown check ids


def test_waiver_with_a_mistyped_check_names_the_closest(tmp_path: Path) -> None:
    w = tmp_path / "waivers.yaml"
    w.write_text(yaml.safe_dump({"waivers": [{"check": "privilegd", "name": "x", "reason": "r"}]}))
    code, out, err = run("scan", "sample", "--exemptions", str(w))
    assert code == EXIT_USAGE and out == ""
    assert "no check 'privilegd' (did you mean 'privileged'?)" in err and str(w) in err and "#1" in err
    w.write_text(
        yaml.safe_dump({"waivers": [{"check": "rbac-*", "reason": "r"}, {"check": "nosuch-*", "reason": "r"}]})
    )
    code, _, err = run("scan", "sample", "--exemptions", str(w))
    assert code == EXIT_USAGE and "waiver #2" in err and "'nosuch-*'" in err
    w.write_text(yaml.safe_dump({"waivers": [{"check": "rbac-*", "reason": "r"}]}))
    assert run("scan", "sample", "--exemptions", str(w), "-q")[0] == 0  # a glob that matches is fine


def test_check_option_with_a_typo_names_the_closest() -> None:
    code, _, err = run("scan", "sample", "--check", "privileged,host-pidd")
    assert code == EXIT_USAGE and "--check: no check 'host-pidd'" in err and "did you mean" in err
    assert err.count("\n") == 1


def test_config_severities_and_disabled_with_a_typo(tmp_path: Path) -> None:
    c = tmp_path / "config.yaml"
    c.write_text(yaml.safe_dump({"severities": {"privilegd": "low"}}))
    code, _, err = run("scan", "sample", "--config", str(c))
    assert code == EXIT_USAGE and "severities: no check 'privilegd' (did you mean 'privileged'?)" in err
    c.write_text(yaml.safe_dump({"disabled": ["privilegd"]}))
    code, _, err = run("scan", "sample", "--config", str(c))
    assert code == EXIT_USAGE and "disabled: no check 'privilegd' (did you mean 'privileged'?)" in err
    c.write_text(yaml.safe_dump({"severities": {"privileged": "low"}, "disabled": ["host-pid"]}))
    assert run("scan", "sample", "--config", str(c), "-q")[0] == 0


# --------------------------------------------------------------------------- plurals


def test_counts_speak_in_the_right_number(tmp_path: Path) -> None:
    one = tmp_path / "one.yaml"
    one.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "p", "namespace": "a"},
                "spec": {"hostPID": True, "containers": [{"name": "c", "image": "i:1"}]},
            }
        )
    )
    code, out, err = run("scan", str(one), "--check", "host-pid", "--fail-on", "high")
    assert code == 1 and "1 finding (" in out and "1 findings" not in out
    assert "1 finding at or above high is not exempt" in err
    code, out, _ = run("snapshot", str(one), "-o", str(tmp_path / "s"))
    assert code == 0 and "1 object (" in out
    _code, out, _ = run("scan", "sample", "-q")
    assert re.search(r"^\d[\d,]* findings \(", out, re.MULTILINE)


# --------------------------------------------------------------------------- -o FORMAT, -o -


def test_bare_format_names_print_to_stdout_like_kubectl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = run("scan", "sample", "-o", "json", "-q")
    doc = json.loads(out)
    assert code == 0 and doc
    code, out_y, _ = run("scan", "sample", "-o", "yaml", "-q")
    as_yaml = yaml.safe_load(out_y)
    as_yaml.pop("generated_at", None)
    doc.pop("generated_at", None)
    assert code == 0 and as_yaml == doc
    code, out, _ = run("scan", "sample", "-o", "csv", "-q")
    assert code == 0 and "check_id" in out.splitlines()[0]
    code, out, _ = run("scan", "sample", "-o", "sarif", "-q")
    assert code == 0 and json.loads(out)["version"] == "2.1.0"
    code, text, _ = run("scan", "sample", "-q")
    code, dash, _ = run("scan", "sample", "-o", "-", "-q")
    assert code == 0 and dash == text and "more (-o wide or --all lists every one)" in text
    code, wide, _ = run("scan", "sample", "-o", "wide", "-q")
    assert code == 0 and "more (-o wide" not in wide and len(wide.splitlines()) > len(text.splitlines())
    assert run("scan", "sample", "-o", "-", "--format", "csv", "-q")[1].startswith(("check_id", "\ufeff", "cluster"))
    assert list(tmp_path.iterdir()) == []  # nothing written to a file named json, yaml, ...


def test_files_still_written_and_a_file_named_like_a_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run("scan", "sample", "-o", "report.csv", "-o", "json")
    assert code == 0 and json.loads(out) and "wrote report.csv" in err and (tmp_path / "report.csv").exists()
    code, out, _ = run("scan", "sample", "-o", "./json", "--format", "json", "-q")
    assert code == 0 and out == "" and json.loads((tmp_path / "json").read_text())
    code, _, err = run("scan", "sample", "-o", "json", "-o", "yaml")
    assert code == EXIT_USAGE and "one format on standard output" in err
    code, _, err = run("scan", "sample", "-o", "-", "--format", "xlsx")
    assert code == EXIT_USAGE and "binary" in err


def test_frames_output_format_names() -> None:
    code, out, _ = run("frames", "nodes", "sample", "-o", "json", "-q")
    nodes = json.loads(out)
    assert code == 0 and len(nodes) == 4
    code, out, _ = run("frames", "nodes", "sample", "-o", "yaml", "-q")
    assert code == 0 and yaml.safe_load(out) == nodes
    code, out, _ = run("frames", "nodes", "sample", "-o", "-", "--format", "csv", "-q")
    assert code == 0 and len(out.strip().splitlines()) == 5
