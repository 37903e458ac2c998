"""The attack-path widgets and figure, driven without a browser; the scan report and exports carry the ranking."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import pytest

import k8saudit as ka
from k8saudit import viz
from k8saudit.widgets import FindingsExplorer, FixWhatIf, PathExplorer


@pytest.fixture(scope="module")
def sample():
    snap = ka.sample()
    findings = ka.audit(snap)
    graph = ka.attack_graph(snap, findings)
    return snap, findings, graph, ka.attack_paths(graph)


def test_path_explorer_shows_steps_with_evidence_and_fix(sample) -> None:
    _, findings, _, paths = sample
    ex = PathExplorer(paths, findings)
    ex.entry.value = "internet"
    ex.target.value = "cluster-admin"
    p = ex.value
    assert p is not None and p["entry"] == "internet" and p["target"] == "cluster-admin"
    st = ex.steps
    assert len(st) == p["length"] and st["evidence"].str.len().gt(0).all()
    assert st["fix"].str.startswith("gap").any() or st["fix"].str.contains(" on ").all()
    assert "<table" in ex.detail.value and p["path_id"] in [v for _, v in ex.path.options]
    # another target narrows the paths
    ex.target.value = next(v for _, v in ex.target.options if v.startswith("secrets:"))
    assert ex.value["target"].startswith("secrets:")


def test_fix_what_if_toggles_the_paths(sample) -> None:
    _, findings, graph, _ = sample
    wi = FixWhatIf(graph, findings)
    before = len(wi.paths)
    assert before == len(wi.before) > 0 and f"Fix these {len(wi.cut.fixes)}" in wi.fixes.value
    # targets by their labels, every one of them, never as vertex ids
    assert "root on node cp-01" in wi.result.value and "node:" not in wi.result.value
    assert wi.result.value.count("<tr><td>") == wi.before["target"].nunique()
    wi.apply.value = True
    assert len(wi.paths) == len(wi.after) < before and "with the fixes applied" in wi.result.value
    assert set(wi.paths["target"]) <= set(wi.cut.unbreakable_targets)


def test_attack_graph_figure(sample) -> None:
    _, findings, graph, _ = sample
    fig = viz.attack_graph_figure(graph)
    assert isinstance(fig, go.Figure) and fig.layout.autosize and fig.layout.width is None
    names = {t.name for t in fig.data if t.showlegend is not False}
    assert names <= set(graph.edges_frame["technique"]) and len(names) >= 3
    verts = next(t for t in fig.data if t.name == "vertices")
    xs = dict(zip(verts.hovertext, verts.x))
    assert xs["the internet"] == 0 and xs["cluster-admin"] == max(verts.x)  # entries left, targets right
    # labels sit right of their dots (a target's label on its left ran into the nodes' labels), each column as
    # wide as its longest label (x counts characters), so no label runs into the next column; the x range
    # leaves room for the targets' labels; the column titles sit above the plot, not on the subtitle
    assert verts.textposition == "middle right"
    widths = pd.Series([len(t) for t in verts.text]).groupby(list(verts.x)).max().sort_index()
    assert len(widths) == 6 and all(b - a >= w + 2 for a, b, w in zip(widths.index, widths.index[1:], widths))
    assert fig.layout.xaxis.range[1] >= widths.index[-1] + widths.iloc[-1]
    assert max(map(len, verts.text)) <= 22  # six columns beside JupyterLab's file browser (~940 px)
    assert "deploy shop/frontend" in verts.text and "Deployment shop/frontend" in verts.hovertext  # kubectl's names
    titles = [a for a in fig.layout.annotations if a.yref == "paper"]
    assert len(titles) == 6 and all(a.y == 1.0 and a.yanchor == "bottom" for a in titles)
    assert sorted(a.x for a in titles) == list(widths.index)
    cut = ka.attack_cut(graph, findings)
    dashed = viz.attack_graph_figure(graph, fixed=cut.finding_ids)
    assert any(t.line.dash == "dash" for t in dashed.data if t.mode == "lines")


def test_findings_explorer_sorts_by_priority(sample) -> None:
    snap, findings, graph, paths = sample
    ranked = ka.prioritize(findings, graph, paths=paths)
    ex = FindingsExplorer(ranked, snap=snap)
    assert ex.sort_by.value == "priority (attack paths first)"
    top = ex.filtered
    assert top["priority"].is_monotonic_increasing and top["on_attack_path"].iloc[0]
    plain = FindingsExplorer(findings, snap=snap)
    assert "priority (attack paths first)" not in plain.sort_by.options


def test_scan_text_lists_findings_on_paths_first(sample) -> None:
    from k8saudit import report
    from k8saudit.export import with_attack_paths

    snap, findings, _, _ = sample
    ranked = with_attack_paths(findings, snap)
    text = report.text(ranked, snap)
    head, rest = text.split("[1] ", 1)
    assert "On attack paths:" in head and "[on an attack path]" in rest
    assert "On attack paths" not in report.text(findings, snap)


def test_html_and_xlsx_carry_the_priority(sample, tmp_path) -> None:
    import openpyxl

    snap, findings, _, _ = sample
    html = ka.export(findings, tmp_path / "r.html", snapshot=snap).read_text()
    assert ">Priority</button>" in html and "on a path" in html
    assert ">Priority</button>" not in ka.export(findings, tmp_path / "plain.html").read_text()
    wb = openpyxl.load_workbook(ka.export(findings, tmp_path / "r.xlsx", snapshot=snap))
    ws = wb[wb.sheetnames[1]]  # the first practice sheet: its header row names the columns
    assert any(c.value == "priority" for row in ws.iter_rows(max_row=8) for c in row)
    csv = pd.read_csv(ka.export(findings, tmp_path / "f.csv", snapshot=snap), encoding="utf-8-sig")
    assert "priority" not in csv.columns


def test_export_ranks_follow_a_severity_changed_in_the_findings() -> None:
    """The ranks an export computes are kept per snapshot; findings whose severity changed (a reader raising one in
    a notebook; the same finding ids in the same order) must be ranked again, not handed the first ranks."""
    from k8saudit.export import with_attack_paths
    from k8saudit.paths import prioritize

    snap = ka.sample()
    first = ka.audit(snap)
    with_attack_paths(first, snap)  # cached on the snapshot
    raised = first.copy()
    low = raised.index[raised["severity"].astype(str).eq("low")]
    raised.loc[low, "severity"] = "critical"
    got = with_attack_paths(raised, snap)["priority"]
    want = prioritize(raised, snap)["priority"]
    pd.testing.assert_series_equal(got, want, check_names=False)
    assert not got.equals(with_attack_paths(first, snap)["priority"])
