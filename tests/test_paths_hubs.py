"""The hub vertices are the product rules they replace: on random small clusters, the graph through a hub
reaches exactly the pairs the direct rule names, resting on the same findings (hypothesis)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import networkx as nx
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import k8saudit as ka
from k8saudit.paths._graph import build_edges

NAMESPACES = ["ns0", "ns1", "ns2", "ns3"]
LEVELS = [None, "privileged", "baseline", "restricted"]
IDENTITIES = ["u0", "u1", "u2"]
#: what a grant allows: (API group, resource, verb); the first three run a pod of the subject's making
RULES = [("", "pods", "create"), ("apps", "deployments", "create"), ("batch", "jobs", "patch"), ("", "pods", "get")]
CREATES_PODS = {0, 1, 2}

grant_st = st.tuples(st.sampled_from(IDENTITIES), st.sampled_from([None, *NAMESPACES]), st.integers(0, len(RULES) - 1))


def _docs(levels: dict[str, str | None], grants: list[tuple[str, str | None, int]]) -> list[dict]:
    docs: list[dict] = []
    for ns, level in levels.items():
        labels = {"pod-security.kubernetes.io/enforce": level} if level else {}
        docs.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}})
    for i, (user, where, rule) in enumerate(grants):
        group, res, verb = RULES[rule]
        role = {"apiGroups": [group], "resources": [res], "verbs": [verb]}
        name = f"g{i}"
        subj = [{"kind": "User", "name": user, "apiGroup": "rbac.authorization.k8s.io"}]
        if where is None:
            docs.append(
                {
                    "apiVersion": "rbac.authorization.k8s.io/v1",
                    "kind": "ClusterRole",
                    "metadata": {"name": name},
                    "rules": [role],
                }
            )
            docs.append(
                {
                    "apiVersion": "rbac.authorization.k8s.io/v1",
                    "kind": "ClusterRoleBinding",
                    "metadata": {"name": name},
                    "subjects": subj,
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
                }
            )
        else:
            docs.append(
                {
                    "apiVersion": "rbac.authorization.k8s.io/v1",
                    "kind": "Role",
                    "metadata": {"name": name, "namespace": where},
                    "rules": [role],
                }
            )
            docs.append(
                {
                    "apiVersion": "rbac.authorization.k8s.io/v1",
                    "kind": "RoleBinding",
                    "metadata": {"name": name, "namespace": where},
                    "subjects": subj,
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
                }
            )
    return docs


def _load(docs: list[dict]) -> ka.Snapshot:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "cluster.yaml"
        p.write_text(yaml.safe_dump_all(docs))
        return ka.load(p)


@settings(max_examples=60, deadline=None)
@given(
    levels=st.fixed_dictionaries({ns: st.sampled_from(LEVELS) for ns in NAMESPACES}),
    dropped=st.sets(st.sampled_from(NAMESPACES), max_size=2),
    grants=st.lists(grant_st, min_size=1, max_size=6),
)
def test_pods_hub_reaches_what_the_direct_rule_says(levels, dropped, grants) -> None:
    """identity → "create pods in W" → root on a node, per namespace, is the product rule it replaced:
    one step per (identity that may run a pod of its making in scope W) × (namespace in W enforcing
    neither baseline nor restricted), resting on the grant's findings and that namespace's."""
    # some namespaces have no Namespace object: RoleBindings may still name them
    snap = _load(_docs({ns: lv for ns, lv in levels.items() if ns not in dropped}, grants))
    ns = snap.frame("namespaces")
    open_ns = set(ns.loc[~ns["psa_enforce"].isin(("baseline", "restricted")), "name"])
    # the direct rule
    want = {
        (f"user:{user}", n)
        for user, where, rule in grants
        if rule in CREATES_PODS
        for n in (open_ns if where is None else {where} & open_ns)
    }
    raw = build_edges(snap)
    to_hub = raw[raw["kind"] == "rbac-privileged-pod"]
    from_hub = raw[(raw["kind"] == "psa-privileged-pod") & raw["source"].str.startswith("pods:")]
    assert set(from_hub["target"]) <= {"node:*"}
    assert set(to_hub["target"]) <= set(from_hub["source"]), "a hub leads nowhere"
    psa_ns = {(s, r[0][2]) for s, r in zip(from_hub["source"], from_hub["rests"])}
    assert all(len(r) == 1 and r[0][0] == "psa-not-enforced" for r in from_hub["rests"])
    got = {(i, n) for i, hub in zip(to_hub["source"], to_hub["target"]) for h, n in psa_ns if h == hub}
    assert got == want
    # the hub vertex stands for its scope: every namespace for pods:*, its own namespace otherwise
    for h, n in psa_ns:
        assert h == "pods:*" or h == f"pods:{n}"
    # each step to the hub rests on the findings of the grant, as the pod-creation step of that grant does
    create = raw[raw["kind"] == "rbac-create-pods"]
    sas = {
        (s, "pods:" + t.split(":", 1)[1], repr(r))
        for s, t, r in zip(create["source"], create["target"], create["rests"])
    }
    assert {(s, t, repr(r)) for s, t, r in zip(to_hub["source"], to_hub["target"], to_hub["rests"])} <= sas
    # and the whole graph agrees: an identity reaches root on a node through the hub exactly when the rule says
    g = ka.attack_graph(snap)
    reach = {i for i, _ in want}
    hops = ("rbac-privileged-pod", "psa-privileged-pod")
    sub = g.edge_subgraph([(a, b, k) for a, b, k, kind in g.edges(keys=True, data="kind") if kind in hops])
    for user in IDENTITIES:
        u = f"user:{user}"
        assert (u in sub and "node:*" in sub and nx.has_path(sub, u, "node:*")) == (u in reach)
