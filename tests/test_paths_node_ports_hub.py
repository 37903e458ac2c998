"""The ``node-ports:*`` hub is the product rule it replaced: on random small clusters, the internet reaches
through it exactly the (workload behind a NodePort Service, node with a public address) pairs the direct
rule names, each pair resting on that Service's svc-nodeport finding and that node's node-external-ip
finding (hypothesis)."""

from __future__ import annotations

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st
from test_paths_hubs import _load

import k8saudit as ka
from k8saudit.paths import _vertices as V
from k8saudit.paths._graph import build_edges

NAMESPACES = ["ns0", "ns1"]
APPS = ["a", "b", "c"]
#: a node's addresses, and whether they make it a node with a public address: an ExternalIP counts even
#: when private; an InternalIP only when it is routable on the internet
ADDRESSES = {
    "private": ([("InternalIP", "10.0.0.{i}")], False),
    "external": ([("InternalIP", "10.0.0.{i}"), ("ExternalIP", "10.9.0.{i}")], True),
    "public-internal": ([("InternalIP", "35.1.0.{i}")], True),
    "none": ([], False),
}

workload_st = st.tuples(st.sampled_from(NAMESPACES), st.sampled_from(APPS), st.integers(0, 1))
service_st = st.tuples(
    st.sampled_from(NAMESPACES),
    st.sampled_from(["NodePort", "ClusterIP", "LoadBalancer"]),
    st.sampled_from([None, *APPS]),
)


def _docs(nodes: list[str], workloads: list[tuple[str, str, int]], services: list[tuple[str, str, str | None]]):
    docs: list[dict] = []
    for i, kind in enumerate(nodes):
        addrs = [{"type": t, "address": a.format(i=i + 1)} for t, a in ADDRESSES[kind][0]]
        docs.append({"apiVersion": "v1", "kind": "Node", "metadata": {"name": f"n{i}"}, "status": {"addresses": addrs}})
    for i, (ns, app, replicas) in enumerate(workloads):
        docs.append(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": f"d{i}", "namespace": ns},
                "spec": {
                    "replicas": replicas,
                    "selector": {"matchLabels": {"app": app}},
                    "template": {
                        "metadata": {"labels": {"app": app, "tier": "web"}},
                        "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
                    },
                },
            }
        )
    for i, (ns, typ, app) in enumerate(services):
        spec: dict = {"type": typ, "ports": [{"port": 80}]}
        if app is not None:
            spec["selector"] = {"app": app}
        docs.append(
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"s{i}", "namespace": ns}, "spec": spec}
        )
    return docs


@settings(max_examples=40, deadline=None)
@given(
    nodes=st.lists(st.sampled_from(list(ADDRESSES)), max_size=3),
    workloads=st.lists(workload_st, min_size=1, max_size=5),
    services=st.lists(service_st, min_size=1, max_size=4),
)
def test_node_ports_hub_reaches_what_the_direct_rule_says(nodes, workloads, services) -> None:
    snap = _load(_docs(nodes, workloads, services))
    # the direct rule: every running workload a NodePort Service selects × every node with a public address
    public = {f"n{i}" for i, kind in enumerate(nodes) if ADDRESSES[kind][1]}
    behind: dict[str, set[str]] = {}  # workload vertex → the NodePort Services selecting it
    for si, (ns, typ, app) in enumerate(services):
        if typ != "NodePort" or app is None:
            continue
        for wi, (wns, wapp, replicas) in enumerate(workloads):
            if wns == ns and wapp == app and replicas > 0:
                behind.setdefault(V.workload(ns, "Deployment", f"d{wi}"), set()).add(f"{ns}/s{si}")
    want = {(w, n) for w in behind for n in public}

    raw = build_edges(snap)
    e = raw[raw["kind"] == "exposed-node-port"]
    into = e[e["target"] == V.PUBLIC_PORTS]
    out = e[e["source"] == V.PUBLIC_PORTS]
    direct = e[(e["source"] == "internet") & (e["target"] != V.PUBLIC_PORTS)]
    if not nodes:
        # no Node objects: the addresses are unknown, so the step is possible and goes straight to the workload
        assert into.empty and out.empty
        assert set(direct["target"]) == set(behind)
        assert not direct["certain"].astype(bool).any()
        return
    assert direct.empty
    # into the hub: one step per public node, resting on that node's node-external-ip finding
    nodes_in = {r[0][3] for r in into["rests"]}
    assert all(len(r) == 1 and r[0][:2] == ("node-external-ip", "Node") for r in into["rests"])
    assert len(into) == len(nodes_in)
    # out of the hub: one step per (Service, workload it selects), resting on that Service's svc-nodeport
    outs = {(t, f"{r[0][2]}/{r[0][3]}") for t, r in zip(out["target"], out["rests"])}
    assert all(len(r) == 1 and r[0][:2] == ("svc-nodeport", "Service") for r in out["rests"])
    if want:
        assert nodes_in == public
        assert outs == {(w, s) for w, ss in behind.items() for s in ss}
    else:
        # no public node, or no workload behind a NodePort: no step at all (a hub leading nowhere is noise)
        assert into.empty and out.empty
    got = {(w, n) for w, _ in outs for n in nodes_in}
    assert got == want
    # and the whole graph agrees: the internet reaches a workload through the hub exactly when the rule says
    g = ka.attack_graph(snap)
    sub = g.edge_subgraph(
        [(a, b, k) for a, b, k, kind in g.edges(keys=True, data="kind") if kind == "exposed-node-port"]
    )
    for wi, (ns, _, _) in enumerate(workloads):
        w = V.workload(ns, "Deployment", f"d{wi}")
        reached = "internet" in sub and w in sub and nx.has_path(sub, "internet", w)
        assert reached == any(w == x for x, _ in want), w
