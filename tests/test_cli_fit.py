"""The command line in its users' words: errors name flags, diff says what it matched on, --all and
--max-chars, frames list in 100 columns."""

from __future__ import annotations

import io
import json
import re
import shutil
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from k8saudit.cli import EXIT_USAGE, main
from k8saudit.sources import sample_path

SAMPLE = Path(sample_path())
#: how Python, not a command line, speaks: keyword arguments, calls, tracebacks
PYTHONISH = re.compile(r"\b(kubeconfig|context|namespaces|cluster|format|max_chars)=|\w\(\)|Traceback|max_chars|Errno")


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


# --------------------------------------------------------------------------- errors speak CLI


def test_errors_name_flags_not_parameters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    nocurrent = tmp_path / "kubeconfig"
    nocurrent.write_text(
        "apiVersion: v1\nkind: Config\nclusters: []\nusers: []\n"
        "contexts:\n- name: a\n  context: {cluster: c, user: u}\n"
    )
    cases = {
        ("scan", "--context", "prod", "--kubeconfig", str(tmp_path / "missing")): "--kubeconfig FILE",
        ("scan", "sample", "-o", str(tmp_path / "findings")): "(or --format NAME)",
        ("scan", "sample", "-o", str(tmp_path / "f.md"), "--max-chars", "10"): "--max-chars 10 is too small",
        ("scan", "sample", "-o", str(tmp_path / "f.csv"), "--max-chars", "5000"): "--max-chars applies to Markdown",
        ("scan", "sample", "--max-chars", "-1", "-o", "markdown"): "--max-chars -1",
        ("diff", "sample", str(tmp_path / "nowhere")): "no such file or directory",
        ("diff", "sample", "-"): "standard input (-)",
        ("diff", str(SAMPLE), "sample:legacy", "--cluster", "x", "-o", str(tmp_path / "d.csv")): "",
        ("scan", "context:", "--kubeconfig", str(nocurrent)): "current-context",
        ("scan", "sample", "--exemptions", str(tmp_path / "waivers.yaml")): "cannot read waivers file: no such file",
        ("scan", "sample", "--config", str(tmp_path / "k8saudit.yaml")): "cannot read config: no such file",
    }
    for argv, said in cases.items():
        code, _, err = run(*argv)
        if not said:  # a valid invocation among them: it works
            assert code == 0, err
            continue
        assert code == EXIT_USAGE and said in err, (argv, err)
        assert err.startswith("k8saudit: ") and len(err.strip().splitlines()) == 1, err
        assert not PYTHONISH.search(err), (argv, err)


def test_library_words_become_flags() -> None:
    from k8saudit._cliwords import cli_words

    assert (
        cli_words("no kubeconfig at x (pass kubeconfig=, set $KUBECONFIG)")
        == "no kubeconfig at x (give --kubeconfig FILE, set $KUBECONFIG)"
    )
    assert (
        cli_words("k: no current context; pass context= (contexts: a)")
        == "k: no current context; give --context NAME (contexts: a)"
    )
    assert cli_words("use one of .csv .md (or format=...)") == "use one of .csv .md (or --format NAME)"
    assert cli_words("diff() needs findings frames") == "diff needs findings frames"
    # names that merely contain the words are the user's own: left alone
    assert cli_words("my_max_chars.yaml: context=prod is set") == "my_max_chars.yaml: context=prod is set"


# --------------------------------------------------------------------------- diff


def test_diff_of_copies_in_differently_named_folders(tmp_path: Path) -> None:
    a, b = tmp_path / "prod-2026-11-19", tmp_path / "prod-copy"
    shutil.copytree(SAMPLE, a)
    shutil.copytree(SAMPLE, b)
    code, out, err = run("diff", str(a), str(b))
    assert code == 0, err
    assert re.search(r"new\s+0\n", out) and re.search(r"resolved\s+0\n", out) and "No changes." in out
    assert "matched on: one cluster on each side (prod-2026-11-19 → prod-copy" in out
    assert "same cluster by its kube-system namespace uid" in out
    # `sample` is a source for diff too, and the same cluster
    code, out, _ = run("diff", "sample", str(b), "--fail-on-new")
    assert code == 0 and "No changes." in out
    # --cluster names it; with -o the matched-on line goes to stderr
    code, out, err = run("diff", str(a), str(b), "--cluster", "prod", "-o", str(tmp_path / "d.json"))
    assert code == 0 and "matched on: cluster prod (as asked)" in err
    assert {f["cluster"] for f in json.loads((tmp_path / "d.json").read_text())["findings"]} == {"prod"}


def test_diff_of_other_clusters_says_they_may_differ() -> None:
    code, out, _ = run("diff", "sample", "sample:legacy")
    assert code == 0 and "kube-system namespace uids differ" in out
    assert re.search(r"resolved\s+[1-9]", out)


# --------------------------------------------------------------------------- --all, --max-chars, frames list


def test_scan_all_lists_every_object(tmp_path: Path) -> None:
    code, short, _ = run("scan", "sample", "-q")
    assert code == 0 and "more (-o wide or --all lists every one)" in short
    code, every, _ = run("scan", "sample", "-q", "--all")
    assert code == 0 and "more (-o wide" not in every
    code, wide, _ = run("scan", "sample", "-q", "-o", "wide")
    assert wide == every


def test_scan_markdown_fits_and_max_chars(tmp_path: Path) -> None:
    code, _, _ = run("scan", "sample", "-q", "-o", str(tmp_path / "f.md"))
    md = (tmp_path / "f.md").read_text(encoding="utf-8")
    assert code == 0 and len(md) <= 65_536 and "Cut to fit 65,536 characters" in md
    code, out, _ = run("scan", "sample", "-q", "-o", "markdown", "--max-chars", "4000")
    assert code == 0 and len(out) <= 4000 and "Cut to fit 4,000 characters" in out
    code, out, _ = run("scan", "sample", "-q", "-o", "markdown", "--max-chars", "0")
    assert code == 0 and len(out) > 65_536 and "Cut to fit" not in out


def test_frames_list_fits_100_columns() -> None:
    code, out, _ = run("frames", "list")
    assert code == 0 and max(len(ln) for ln in out.splitlines()) <= 100
    assert "workloads (" in out and "host_ipc" in out
    code, out, _ = run("frames", "list", "-o", "json")  # the whole table, as before
    rows = json.loads(out)
    assert code == 0 and {"frame", "column", "dtype", "description"} == set(rows[0])
