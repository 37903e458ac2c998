"""Notebook cells run in-process as a reader would run them: the overview's source picker drives the
notebook; the export notebook leaves its explorer as the reader set it and says what each export holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import pytest

import k8saudit as ka
from k8saudit.export import read_findings
from k8saudit.notebook import output_dir
from k8saudit.widgets import SourcePicker

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
MANIFEST = """apiVersion: v1
kind: Namespace
metadata: {name: tiny}
---
apiVersion: v1
kind: Pod
metadata: {name: solo, namespace: tiny}
spec:
  containers:
  - {name: app, image: registry.example.com/app:1, securityContext: {privileged: true}}
"""


def cells(name: str) -> list[str]:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    return ["".join(c.source) for c in nb.cells if c.cell_type == "code" and "NBVAL_SKIP" not in "".join(c.source)]


def run(sources: list[str], ns: dict[str, Any]) -> dict[str, Any]:
    for src in sources:
        exec(compile(src, "<cell>", "exec"), ns)
    return ns


@pytest.fixture()
def no_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.delenv("K8SAUDIT_SOURCE", raising=False)
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-kubeconfig"))
    monkeypatch.setenv("K8SAUDIT_OUT", str(tmp_path / "out"))
    return tmp_path


def _picker_cells() -> tuple[list[str], str]:
    src = cells("00-overview.ipynb")
    i = next(i for i, s in enumerate(src) if "SourcePicker(SOURCE)" in s)
    assert "picker.current()" in src[i + 1]  # the cell after the picker loads what it shows
    return src[: i + 1], src[i + 1]


def test_overview_audits_what_the_picker_shows(no_env: Path) -> None:
    (no_env / "tiny.yaml").write_text(MANIFEST)
    head, load = _picker_cells()
    ns = run(head, {})
    picker: SourcePicker = ns["picker"]
    assert picker.value == "sample"
    picker.value = str(no_env / "tiny.yaml")  # the reader types a path and does not press Load
    run([load], ns)
    assert len(ns["snap"]) == 2 and set(ns["findings"]["name"]) >= {"solo"}
    picker.value = "sample"
    picker.button.click()  # the reader presses Load: the next cell reuses that snapshot
    loaded = picker.snapshot
    run([load], ns)
    assert ns["snap"] is loaded and len(loaded) > 100


def test_overview_without_touching_the_picker_uses_source(no_env: Path, sample_snap: ka.Snapshot) -> None:
    head, load = _picker_cells()
    ns = run(head + [load], {})
    assert ns["snap"].cluster == sample_snap.cluster and len(ns["snap"]) == len(sample_snap)


def test_picker_current_reports_an_unreadable_choice(no_env: Path) -> None:
    picker = SourcePicker(str(no_env / "missing"), snapshots_dir=no_env)
    with pytest.raises(ka.SnapshotError, match="missing"):
        picker.current()
    assert "cannot load" in picker.status.value


def test_output_dir_follows_k8saudit_out(no_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert output_dir() == no_env / "out" and (no_env / "out").is_dir()
    monkeypatch.delenv("K8SAUDIT_OUT")
    assert output_dir("out").name == "out" and (output_dir().parent / "pyproject.toml").is_file()


def test_export_notebook_leaves_its_explorer_as_set_and_says_what_it_wrote(
    no_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = cells("11-export-findings.ipynb")
    ns = run(src, {})
    findings: pd.DataFrame = ns["findings"]
    live = int((~findings["exempt"]).sum())
    assert len(ns["explorer"].filtered) == live  # Run All does not leave the explorer on practice 8 / high
    out = capsys.readouterr().out
    assert (
        f"findings.csv: {live} of {len(findings)} findings (all namespaces, all practices, every severity, exempt hidden)"
        in out
    )
    team = ns["team"].filtered
    assert (
        f"practice-08-high.xlsx: {len(team)} of {len(findings)} findings (all namespaces, practice 8, high and worse, exempt hidden)"
        in out
    )
    assert set(team["practice"]) == {8} and 0 < len(team) < live
    export_cell = next(s for s in src if "explorer.export(" in s)
    (no_env / "out" / "findings.csv").unlink()
    run([export_cell], ns)  # exporting again after Run All writes the same selection
    assert len(read_findings(no_env / "out" / "findings.csv")) == live


def test_notebook_tests_write_to_a_temporary_folder() -> None:
    """Under nbval (notebooks/conftest.py) exports and progress never land in the checkout nor the home folder."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    code = (
        "import os, runpy; runpy.run_path('notebooks/conftest.py');"
        "print(os.environ['K8SAUDIT_OUT']); print(os.environ['K8SAUDIT_PROGRESS'])"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True).stdout
    for line in out.split():
        p = Path(line).resolve()
        assert root not in p.parents and Path.home() not in p.parents, p
