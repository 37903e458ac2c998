"""Every attack-graph edge kind against its fixture folder: tests/paths/<edge-kind>/{pass,fail}-*.yaml.

A ``fail-*`` manifest must produce at least one edge of the kind, and every ``# expect-edge:
SOURCE -> TARGET [possible]`` line names one that must be there (``possible``: not certain). A
``pass-*`` manifest must produce none of that kind, and the frame the kind reads must not be
empty, so an empty input cannot pass.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import k8saudit as ka
from k8saudit.checks import CHECKS
from k8saudit.paths import ATTACK, EDGE_KINDS
from k8saudit.paths._graph import build_edges

FIXTURES = Path(__file__).parent / "paths"
CASES = sorted(p for p in FIXTURES.glob("*/*.yaml") if p.name.startswith(("pass-", "fail-")))
EXPECT = re.compile(r"^#\s*expect-edge:\s*(\S+)\s*->\s*(\S+)(\s+possible)?\s*$", re.MULTILINE)

#: kinds with no MITRE ATT&CK for Containers technique (documented in their ``why``), and the model's wiring
NO_ATTACK = {"rbac-approve-csr", "rbac-admission-webhook", "rbac-admin"}
#: fail fixtures (or whole kinds) whose edges no check reports: gaps by design, listed so a new gap is noticed
GAP_FIXTURES = {"rbac-approve-csr", "rbac-admission-webhook", "fail-patch-named-deployment"}


@pytest.mark.parametrize("case", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_edge_fixture(case: Path) -> None:
    kind = case.parent.name
    assert kind in EDGE_KINDS, f"fixture folder {kind} names no edge kind"
    snap = ka.load(case)
    assert snap.skipped.empty, snap.skipped.to_string()
    edges = build_edges(snap)
    mine = edges[edges["kind"] == kind]
    k = EDGE_KINDS[kind]
    if case.name.startswith("fail-"):
        assert len(mine), f"{kind} produced no edge on {case.name}"
        for src, dst, possible in EXPECT.findall(case.read_text()):
            hit = mine[(mine["source"] == src) & (mine["target"] == dst)]
            assert len(hit), f"no {kind} edge {src} -> {dst} in {case.name}:\n" + mine[["source", "target"]].to_string()
            assert bool(hit["certain"].any()) is (not possible), f"{src} -> {dst}: certain={list(hit['certain'])}"
    else:
        assert mine.empty, f"{kind} fired on {case.name}:\n" + mine[["source", "target", "evidence"]].to_string()
        assert k.on, f"{kind} names no frame it reads"
        assert len(snap.frame(k.on)), f"{kind} had nothing to read in {case.name} (frame {k.on} is empty)"


def test_every_edge_kind_has_pass_and_fail_fixtures() -> None:
    missing = []
    for kid in EDGE_KINDS:
        names = [p.name for p in (FIXTURES / kid).glob("*.yaml")]
        if not any(n.startswith("pass-") for n in names) or not any(n.startswith("fail-") for n in names):
            missing.append(kid)
    assert not missing, f"edge kinds without both pass-* and fail-* fixtures: {missing}"


def test_registry_metadata() -> None:
    for kid, k in EDGE_KINDS.items():
        assert k.technique and k.title and k.why, kid
        assert all(a in ATTACK for a in k.attack), kid
        if not k.structural and kid not in NO_ATTACK:
            assert k.attack, f"{kid} has no ATT&CK id and is not listed as having none"
        assert all(c in CHECKS for c in k.rests_on), f"{kid} rests on unknown checks {k.rests_on}"
        if k.structural:
            assert not k.rests_on, kid
    assert len(set(EDGE_KINDS)) == len(EDGE_KINDS)
    assert {k.group for k in EDGE_KINDS.values()} >= {"exposure", "token", "rbac", "escape", "node"}


def test_fail_fixtures_rest_on_the_findings_they_name() -> None:
    """On the fixtures, an edge's finding ids are findings of the checks its kind declares."""
    for case in [c for c in CASES if c.name.startswith("fail-") and EDGE_KINDS[c.parent.name].rests_on]:
        snap = ka.load(case)
        declared = set(EDGE_KINDS[case.parent.name].rests_on)
        # every check may fire; only the declared ones may be joined
        findings = ka.audit(snap, default_exemptions=False)
        g = ka.attack_graph(snap, findings)
        by_id = findings.set_index("finding_id")["check_id"]
        e = g.edges_frame[g.edges_frame["kind"] == case.parent.name]
        if case.parent.name not in GAP_FIXTURES and case.stem not in GAP_FIXTURES:
            assert any(len(ids) for ids in e["finding_ids"]), (
                f"{case.name}: no {case.parent.name} edge rests on a finding"
            )
        for ids in e["finding_ids"]:
            assert {by_id[i] for i in ids} <= declared, (case.name, ids)


def test_model_page_is_current() -> None:
    from k8saudit.paths._report import model_markdown

    page = Path(__file__).parent.parent / "docs" / "attack-paths.md"
    assert page.read_text() == model_markdown(), "docs/attack-paths.md is stale: run `make catalog`"
    for kid in EDGE_KINDS:
        assert f"`{kid}`" in page.read_text()
