"""The notebooks as files: the shared skeleton, stored outputs only where nbval checks them, and the
helpers of ``k8saudit.notebook`` they call."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

import k8saudit as ka
from k8saudit.checks import CHECKS, PRACTICES
from k8saudit.findings import audit
from k8saudit.notebook import (
    NOTEBOOKS,
    at_a_glance,
    check_summary,
    open_source,
    practice_header,
    source_from_env,
    top_findings,
)

ROOT = Path(__file__).resolve().parent.parent
NB_DIR = ROOT / "notebooks"
PATHS = sorted(NB_DIR.glob("*.ipynb"))

_spec = importlib.util.spec_from_file_location("nbhygiene", ROOT / "scripts" / "nbhygiene.py")
assert _spec is not None and _spec.loader is not None
nbhygiene = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nbhygiene)


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def code_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [c for c in nb.cells if c.cell_type == "code"]


def test_the_notebooks_are_the_numbered_set() -> None:
    assert [p.name for p in PATHS] == [NOTEBOOKS[n] for n in sorted(NOTEBOOKS)]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_hygiene(path: Path) -> None:
    """kernelspec python3, a parameters cell, checked cells stored with outputs, nothing else stored."""
    nb = read(path)
    assert nbhygiene.hygiene(nb) == []
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert "widgets" not in nb.metadata


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_parameters_then_env_override(path: Path) -> None:
    cells = code_cells(read(path))
    i = next(i for i, c in enumerate(cells) if "parameters" in c.metadata.get("tags", []))
    assert re.match(r'SOURCE = "sample"', cells[i].source)
    assert "source_from_env(SOURCE)" in cells[i + 1].source


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_checked_cells_print_plain_text(path: Path) -> None:
    for cell in code_cells(read(path)):
        if not nbhygiene.is_checked(cell):
            continue
        assert "print(" in cell.source
        assert not re.search(r"viz\.|Explorer|Picker|exercise\(", cell.source), "charts and widgets are never checked"
        assert all(o.output_type == "stream" and o.name == "stdout" for o in cell.outputs)
        assert cell.outputs[0].text.strip()


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_cells_stay_short(path: Path) -> None:
    for cell in code_cells(read(path)):
        assert cell.source.count("\n") < 12, cell.source


@pytest.mark.parametrize("practice", list(PRACTICES), ids=lambda p: f"practice-{p}")
def test_practice_notebooks_share_the_skeleton(practice: int) -> None:
    nb = read(NB_DIR / NOTEBOOKS[practice])
    text = "\n".join(c.source for c in nb.cells)
    headings = [
        line for c in nb.cells if c.cell_type == "markdown" for line in c.source.splitlines() if line.startswith("#")
    ]
    assert headings[0] == f"# {practice}. {PRACTICES[practice]}"
    for h in (
        "## Why it matters",
        "## Parameters",
        "## What k8saudit checks",
        "## The findings",
        "## The picture",
        "## Investigate",
        "## Fix",
        "## Exercise",
    ):
        assert h in headings, h
    for call in (
        f"practice_header({practice})",
        f"check_summary(findings, {practice})",
        f"FindingsExplorer(findings, snap=snap, practice={practice})",
        "fix_for(",
        f"exercise({practice})",
        "viz.",
    ):
        assert call in text, call


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_links_between_notebooks_resolve(path: Path) -> None:
    for cell in read(path).cells:
        if cell.cell_type == "markdown":
            for target in re.findall(r"\]\(([^)#]+\.ipynb)\)", cell.source):
                assert (NB_DIR / target).is_file(), target


# ---------------------------------------------------------------------- k8saudit.notebook


def test_source_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("K8SAUDIT_SOURCE", raising=False)
    assert source_from_env() == "sample" and source_from_env("x") == "x"
    monkeypatch.setenv("K8SAUDIT_SOURCE", " context:prod ")
    assert source_from_env() == "context:prod"


def test_open_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample_snap: ka.Snapshot) -> None:
    assert open_source("sample").cluster == sample_snap.cluster
    assert open_source(" sample:legacy ").cluster == "legacy-cluster"
    with pytest.raises(ka.SnapshotError, match="samples: main, legacy"):
        open_source("sample:nope")
    assert len(open_source("data/sample-cluster")) == len(sample_snap)  # relative to the checkout
    sample_snap.save(tmp_path / "snap")
    assert len(open_source(str(tmp_path / "snap"))) == len(sample_snap)
    with pytest.raises(ka.SnapshotError, match="no such file"):
        open_source(str(tmp_path / "missing"))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-kubeconfig"))
    with pytest.raises(ka.SnapshotError, match="kubeconfig"):
        open_source("context:prod")


@pytest.mark.parametrize("practice", list(PRACTICES), ids=lambda p: f"practice-{p}")
def test_practice_header_comes_from_the_registry(practice: int) -> None:
    header = practice_header(practice)
    ids = [c.id for c in CHECKS.for_practice(practice)]
    html, md = header._repr_html_(), header._repr_markdown_()
    assert all(f"<code>{i}</code>" in html and f"`{i}`" in md for i in ids)
    assert list(header.frame["check"]) == ids


def test_practice_header_rejects_unknown_practice() -> None:
    with pytest.raises(ValueError):
        practice_header(0)


def test_check_summary_and_top_findings(sample_snap: ka.Snapshot) -> None:
    findings = audit(sample_snap)
    s = check_summary(findings, 4)
    assert list(s["check"]) == [c.id for c in CHECKS.for_practice(4)]
    f4 = findings[findings["practice"] == 4]
    assert s["open"].sum() + s["exempt"].sum() == len(f4)
    assert s.set_index("check").loc["host-network", "status"] == "pass (all exempt)"
    top = top_findings(findings, 5)
    assert len(top) == 5 and (top["severity"] == "critical").iloc[0]
    glance = at_a_glance(sample_snap)
    assert glance["workloads"] == len(sample_snap.workloads) and glance["nodes"] == 4
    assert isinstance(glance, pd.Series)


def test_examples_elsewhere_shows_where_quiet_checks_fire(sample_snap: ka.Snapshot) -> None:
    """Practice by practice: the checks that raise nothing on the audited cluster, on the other bundled sample."""
    from k8saudit.findings import audit
    from k8saudit.notebook import examples_elsewhere

    main = audit(sample_snap)
    got = examples_elsewhere(main, 7)
    assert list(got["check"]) == ["apiserver-insecure-port"] and set(got["source"]) == {"sample:legacy"}
    assert examples_elsewhere(main, 8).empty  # every check of practice 8 fires on the main sample
    legacy = audit(ka.sample("legacy"))
    back = examples_elsewhere(legacy, 2)
    assert set(back["check"]) == {"authn-anonymous", "authn-no-external-idp"} and set(back["source"]) == {"sample"}
