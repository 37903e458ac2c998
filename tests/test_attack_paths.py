"""attack_paths, prioritize and attack_cut: on the sample cluster, and on random graphs (hypothesis)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import k8saudit as ka
from k8saudit.paths import min_fix_set
from k8saudit.paths._cut import reachable
from k8saudit.paths._graph import build_edges
from k8saudit.paths._paths import relevant_edges


@pytest.fixture(scope="module")
def sample() -> tuple[ka.Snapshot, pd.DataFrame, ka.paths.AttackGraph]:
    snap = ka.sample()
    findings = ka.audit(snap)
    return snap, findings, ka.attack_graph(snap, findings)


def test_graph_frames_agree_with_the_graph(sample) -> None:
    _, findings, g = sample
    e, n = g.edges_frame, g.nodes_frame
    assert g.number_of_edges() == len(e) and g.number_of_nodes() == len(n)
    assert set(e["source"]) | set(e["target"]) <= set(n["vertex"])
    known = set(findings["finding_id"])
    assert all(set(ids) <= known for ids in e["finding_ids"])
    assert (e["gap"] == (~e["structural"] & (e["finding_ids"].str.len() == 0))).all()
    assert {"internet", "cluster-admin"} <= set(n["vertex"])


def test_paths_are_chains_of_graph_edges(sample) -> None:
    _, _, g = sample
    paths = ka.attack_paths(g, k=2)
    assert len(paths) and not paths.attrs["truncated"]
    assert paths.groupby(["entry", "target"]).size().max() <= 2
    for verts, steps, entry, target in zip(paths["vertices"], paths["steps"], paths["entry"], paths["target"]):
        assert verts[0] == entry and verts[-1] == target and len(set(verts)) == len(verts)
        assert [s["source"] for s in steps] == verts[:-1] and [s["target"] for s in steps] == verts[1:]
        assert all(g.has_edge(s["source"], s["target"]) for s in steps)


def test_paths_options(sample) -> None:
    _, _, g = sample
    admin = ka.attack_paths(g, targets="cluster-admin")
    assert set(admin["target"]) <= {"cluster-admin"}
    sure = ka.attack_paths(g, certain_only=True)
    assert sure["certain"].all()
    breach = ka.attack_paths(g, entries=[], assume_breach=True, k=1, targets="cluster-admin")
    assert breach["entry"].str.startswith("workload:").all() and len(breach)
    one = ka.attack_paths(g, entries="workload:legacy/legacy-monolith", k=1)
    assert set(one["entry"]) == {"workload:legacy/Deployment/legacy-monolith"}
    with pytest.raises(ValueError, match="unknown entry"):
        ka.attack_paths(g, entries="workload:nowhere/nothing")
    with pytest.raises(ValueError, match="unknown target"):
        ka.attack_paths(g, targets="the-moon")


def test_prioritize_ranks_findings_on_paths_first(sample) -> None:
    _snap, findings, g = sample
    p = ka.prioritize(findings, g)
    assert sorted(p["priority"]) == list(range(1, len(p) + 1))
    on = p[p["on_attack_path"]]
    assert len(on) and on["priority"].max() < p.loc[~p["on_attack_path"], "priority"].min()
    # a finding some enumerated path uses is on a path
    assert (p.loc[p["paths_through"] > 0, "on_attack_path"]).all()
    # the fix of an on-path finding removes an edge lying between an entry and a target
    rel = g.edges_frame[relevant_edges(g)]
    assert set(on["finding_id"]) == {f for ids in rel["finding_ids"] for f in ids}


def test_cut_breaks_every_breakable_path(sample) -> None:
    _, findings, g = sample
    for breach in (False, True):
        cut = ka.attack_cut(g, findings, assume_breach=breach)
        assert len(cut.fixes) and cut.fixes["paths_removed"].is_monotonic_decreasing
        after = ka.attack_paths(g.without(cut.finding_ids), entries=[] if breach else None, assume_breach=breach)
        assert set(after["target"]) <= set(cut.unbreakable_targets)
        # what no fix can break is reported: gap-only paths to those targets
        assert set(cut.unbreakable["target"]) == set(cut.unbreakable_targets)
        assert not cut.unbreakable["finding_ids"].map(len).any()


# --------------------------------------------------------------------------- random graphs

VERTS = [f"v{i}" for i in range(8)]
FINDINGS = [f"f{i}" for i in range(5)]
edge_st = st.tuples(
    st.sampled_from(VERTS), st.sampled_from(VERTS), st.frozensets(st.sampled_from(FINDINGS), max_size=2)
)


@settings(max_examples=300, deadline=None)
@given(
    edges=st.lists(edge_st, max_size=25),
    entries=st.sets(st.sampled_from(VERTS), min_size=1, max_size=2),
    targets=st.sets(st.sampled_from(VERTS), min_size=1, max_size=3),
)
def test_min_fix_set_breaks_all_breakable_paths_and_is_minimal(edges, entries, targets) -> None:
    cut, unbreakable = min_fix_set(edges, entries, targets)
    # what the gaps alone reach cannot be cut off, and is exactly what is reported
    assert unbreakable == reachable(edges, entries, gaps_only=True) & targets
    # after the fixes, only those targets are reached
    assert reachable(edges, entries, fixed=cut) & targets <= unbreakable
    # no fix in the set can be dropped
    for f in cut:
        assert reachable(edges, entries, fixed=cut - {f}) & (targets - unbreakable), f"{f} is not needed"
    # every fix is a finding of some edge
    assert cut <= {f for _, _, fs in edges for f in fs}


# --------------------------------------------------------------------------- the sample's chains


def _kinds(paths: pd.DataFrame) -> list[list[str]]:
    return [[s["kind"] for s in steps] for steps in paths["steps"]]


def test_sample_has_the_realistic_chains(sample) -> None:
    """The bundled sample shows the chains the attack graph is for, resting on the findings that break them."""
    snap, findings, g = sample
    by_id = findings.set_index("finding_id")
    # the storefront behind the Ingress: its token may create pods in `batch`, which enforces no Pod
    # Security level, so a privileged pod there is root on a node, where the promtail DaemonSet's
    # cluster-wide token is read
    front = ka.attack_paths(g, entries="workload:shop/frontend", targets="sa:monitoring/promtail", k=1)
    assert _kinds(front) == [
        ["token-automount", "rbac-privileged-pod", "psa-privileged-pod", "node-choice", "node-tokens"]
    ]
    assert front["vertices"].iloc[0][2] == "pods:batch"
    assert "internet" in {s for s, _ in g.in_edges("workload:shop/Deployment/frontend")}
    steps = {s["kind"]: s for s in front["steps"].iloc[0]}
    assert {by_id.loc[f, "check_id"] for f in steps["rbac-privileged-pod"]["finding_ids"]} == {"rbac-escalation"}
    assert {by_id.loc[f, "check_id"] for f in steps["psa-privileged-pod"]["finding_ids"]} == {"psa-not-enforced"}
    assert "create pods in batch" in front["summary"].iloc[0]
    assert set(g.edges_frame.loc[g.edges_frame["source"] == "sa:monitoring/promtail", "kind"]) == {"rbac-nodes-proxy"}
    # a CI user with impersonate reaches cluster-admin through system:masters
    ci = ka.attack_paths(g, entries="user:gitlab-ci", targets="cluster-admin", k=5)
    assert ["rbac-impersonate", "hub", "system-masters"] in _kinds(ci)
    # a group with bind on ClusterRoles makes itself admin of any namespace
    leads = g.edges_frame[(g.edges_frame["source"] == "group:team-leads")]
    assert set(leads["kind"]) == {"rbac-bind"} and set(leads["target"]) == {"ns-admin:*"}
    # admission-aware: the replicaset controller creates pods everywhere, but a privileged pod only
    # where no Pod Security level is enforced (not in dev: baseline, nor hardened: restricted)
    raw = build_edges(snap)
    e = raw[raw["source"] == "sa:kube-system/replicaset-controller"]
    assert set(e.loc[e["kind"] == "rbac-create-pods", "target"]) == {"sas:*"}
    assert set(e.loc[e["kind"] == "rbac-privileged-pod", "target"]) == {"pods:*"}
    hub = raw[(raw["source"] == "pods:*") & (raw["kind"] == "psa-privileged-pod")]
    where = set(hub["evidence"].str.extract(r"^namespace (\S+):")[0])
    ns = snap.frame("namespaces")
    assert where == set(ns.loc[ns["psa_enforce"].isna(), "name"]) and not where & {"dev", "hardened"}
    assert len(hub) == len(where) and set(hub["target"]) == {"node:*"}


def test_alike_edges_merge_keeping_certainty_and_count(monkeypatch) -> None:
    """Two ways to take one step that rest on the same findings are one edge: certain when either is."""
    from k8saudit.paths import _graph

    snap = ka.load(Path(__file__).parent / "paths" / "escape-privileged" / "fail-privileged.yaml")
    raw = _graph.build_edges(snap)
    first = raw[raw["kind"] == "escape-privileged"].iloc[[0]]
    twin = first.assign(certain=True, evidence="the same step, seen twice")
    other = first.assign(target="node:elsewhere", certain=False, evidence="a step of its own")
    monkeypatch.setattr(
        _graph, "build_edges", lambda s: pd.concat([raw, first.assign(certain=False), twin, other], ignore_index=True)
    )
    e = ka.attack_graph(snap).edges_frame
    mine = e[(e["kind"] == "escape-privileged") & (e["source"] == first["source"].iloc[0])]
    merged = mine[mine["target"] == first["target"].iloc[0]]
    assert len(merged) == 1 and bool(merged["certain"].iloc[0])
    assert merged["evidence"].iloc[0].endswith("(and 2 more alike)")
    alone = mine[mine["target"] == "node:elsewhere"]
    assert len(alone) == 1 and not alone["certain"].iloc[0] and alone["evidence"].iloc[0] == "a step of its own"


def test_a_cluster_without_any_step_has_an_empty_graph() -> None:
    """No edge at all (nothing an attacker can take) is an empty graph, no paths, and nothing to fix."""
    snap = ka.load(Path(__file__).parent / "paths" / "control-plane-node" / "pass-worker.yaml")
    g = ka.attack_graph(snap)
    assert g.edges_frame.empty and g.gaps.empty and "cluster-admin" in g
    assert ka.attack_paths(g).empty
    cut = ka.attack_cut(g)
    assert cut.fixes.empty and not cut.unbreakable_targets


def test_secrets_of_a_namespace_the_snapshot_does_not_have_is_an_error(sample, tmp_path: Path) -> None:
    """``targets="secrets:NS"`` naming no namespace of the snapshot is an error naming the closest one, never
    an empty table that reads as a safe namespace; a namespace that is there but that no step reaches is simply
    not reached."""
    snap, _, g = sample
    for source in (snap, g, g.without(["no-such-finding"])):
        with pytest.raises(ValueError, match=r"no namespace 'shpo' in sample-cluster \(did you mean 'secrets:shop'"):
            ka.attack_paths(source, targets="secrets:shpo")
        with pytest.raises(ValueError, match="no namespace 'nowhere'"):
            ka.attack_cut(source, targets=["secrets:shop", "secrets:nowhere"])
    assert len(ka.attack_paths(g, targets="secrets:shop"))
    # a namespace with nothing but a ConfigMap: there, nothing reaches its Secrets
    (tmp_path / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: quiet}\ndata: {mode: on}\n"
        "---\napiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\n"
        "spec: {containers: [{name: web, image: nginx:1.27}]}\n"
    )
    small = ka.load(tmp_path / "cm.yaml")
    assert ka.attack_paths(small, targets="secrets:quiet").empty
    with pytest.raises(ValueError, match=r"no namespace 'quite' .*did you mean 'secrets:quiet'"):
        ka.attack_paths(small, targets="secrets:quite")


def test_a_graph_built_after_its_objects_were_released_takes_any_namespace(sample) -> None:
    """Once a command released the loaded objects the namespaces are not known: no error can be told from a
    typo then, so a ``secrets:NS`` target is taken as given (the command line checked it before)."""
    from k8saudit.cli import _release_after_audit

    snap = ka.sample()
    findings = ka.audit(snap)
    _release_after_audit(snap)  # as `k8saudit scan` does before its graph
    g = ka.attack_graph(snap, findings)
    assert g.namespaces is None
    assert ka.attack_paths(g, targets="secrets:nowhere").empty
