"""Exposure edges: the internet reaches code running in a workload."""

from __future__ import annotations

import pandas as pd

from ..checks import CHECKS
from ..checks._common import joined
from . import _vertices as V
from ._context import Context
from ._registry import edge, edges, no_edges


def _selected(ctx: Context, services: pd.DataFrame) -> pd.DataFrame:
    """(service namespace, service name, workload vertex) for the running workloads each service selects."""
    by_ns = ctx.pod_labels_by_namespace
    rows: list[tuple[str, str, str]] = []
    for ns, name, sel in zip(services["namespace"], services["name"], services["selector"]):
        if not sel or ns not in by_ns:
            continue
        items = dict(sel).items()
        rows += [(ns, name, v) for v, labels in by_ns[ns] if items <= labels.items()]
    return pd.DataFrame(rows, columns=["namespace", "service", "workload"], dtype=object)


def _public_nodes(ctx: Context) -> pd.DataFrame:
    n = ctx.nodes
    return n[n["has_public_address"].astype(bool)]


@edge(
    "exposed-load-balancer",
    group="exposure",
    technique="Exploit a public-facing application",
    attack=("T1190",),
    rests_on=("svc-lb-open",),
    on="services",
    title="internet → workload behind a LoadBalancer open to any address",
    why="A LoadBalancer Service without loadBalancerSourceRanges (and not internal) takes traffic from the "
    "whole internet to the pods it selects; a flaw in the application is then code execution in the pod.",
)
def exposed_load_balancer(ctx: Context) -> pd.DataFrame:
    svc = ctx.frame("services")
    lb = svc[svc["type"].eq("LoadBalancer").fillna(False)]
    if lb.empty:
        return no_edges()
    open_ = CHECKS["svc-lb-open"].fn(lb)
    hit = lb.merge(open_[["namespace", "name"]], on=["namespace", "name"])
    sel = _selected(ctx, hit)
    if sel.empty:
        return no_edges()
    ing = hit.set_index(["namespace", "name"])["lb_ingress"]
    ev = [
        f"Service {ns}/{s}: type=LoadBalancer, no loadBalancerSourceRanges; ingress="
        f"[{', '.join(map(str, ing.get((ns, s)) or []))}]"
        for ns, s in zip(sel["namespace"], sel["service"])
    ]
    rests = [[("svc-lb-open", "Service", ns, s, None)] for ns, s in zip(sel["namespace"], sel["service"])]
    return edges("internet", sel["workload"], ev, rests)


def _through_public_nodes(ctx: Context, what: str) -> pd.DataFrame:
    """internet → the hub "an open port on a node with a public address", one edge per public node (each rests
    on that node's node-external-ip finding); the workloads listening there hang off the hub."""
    pub = _public_nodes(ctx)
    ev = "node " + pub["name"] + " has public address(es) " + joined(pub["public_ips"]) + what
    rests = [[("node-external-ip", "Node", None, n, None)] for n in pub["name"]]
    return edges("internet", V.PUBLIC_PORTS, ev, rests)


@edge(
    "exposed-node-port",
    group="exposure",
    technique="Exploit a public-facing application",
    attack=("T1190",),
    rests_on=("svc-nodeport", "node-external-ip"),
    on="services",
    certainty="either",
    title="internet → an open port on a node with a public address (one edge per such node) → workload behind "
    "a NodePort",
    why="A NodePort Service opens its port on every node; on a node with a public address that is the "
    "internet. The step runs through a hub: the internet reaches the ports of the public nodes (one edge "
    "per node, resting on its node-external-ip finding), and from there each workload a NodePort Service "
    "selects (resting on its svc-nodeport finding), so closing the node port or taking every public "
    "address away each removes it, and the graph grows with services plus nodes, not their product. "
    "With no Node objects in the snapshot the edge is possible and goes straight to the workload.",
)
def exposed_node_port(ctx: Context) -> pd.DataFrame:
    svc = ctx.frame("services")
    np_ = svc[svc["type"].eq("NodePort").fillna(False)]
    sel = _selected(ctx, np_)
    if sel.empty:
        return no_edges()
    ports = np_.assign(p=joined(np_["node_ports"])).set_index(["namespace", "name"])["p"]
    rests = [[("svc-nodeport", "Service", ns, s, None)] for ns, s in zip(sel["namespace"], sel["service"])]
    if not ctx.nodes_known:
        ev = [
            f"Service {ns}/{s}: type=NodePort, nodePort=[{ports.get((ns, s))}]; node addresses unknown"
            for ns, s in zip(sel["namespace"], sel["service"])
        ]
        return edges("internet", sel["workload"], ev, rests, certain=False)
    if _public_nodes(ctx).empty:
        return no_edges()
    ev = [
        f"Service {ns}/{s}: type=NodePort, nodePort=[{ports.get((ns, s))}] open on every node"
        for ns, s in zip(sel["namespace"], sel["service"])
    ]
    hub = _through_public_nodes(ctx, ", where NodePort Services listen")
    return pd.concat([hub, edges(V.PUBLIC_PORTS, sel["workload"], ev, rests)], ignore_index=True)


@edge(
    "exposed-host-port",
    group="exposure",
    technique="Exploit a public-facing application",
    attack=("T1190",),
    rests_on=("host-port", "host-network", "node-external-ip"),
    on="containers",
    certainty="either",
    title="internet → workload listening on its node's address (hostPort or hostNetwork) on a public node",
    why="A hostPort, or a pod on the host's network, listens on the node's own addresses. On a node with a "
    "public address the internet reaches it directly. Certain for the nodes its pods run on with a "
    "declared port; possible for a pod on the host's network that declares none, or when its pods "
    "(or the nodes) are not in the snapshot; a workload whose pods are not placed reaches the internet "
    "through the hub of the public nodes' ports (one edge per public node into it, one per workload out).",
)
def exposed_host_port(ctx: Context) -> pd.DataFrame:
    if ctx.nodes_known and _public_nodes(ctx).empty:
        return no_edges()  # every such step ends on a node with a public address: there is none
    w = ctx.workloads[ctx.workloads["running"]]
    c = ctx.frame("containers")
    declared = c[c["host_ports"].str.len() > 0]
    hn = w[w["host_network"].astype(bool)]
    if declared.empty and hn.empty:
        return no_edges()
    hp = declared.merge(w[["kind", "namespace", "name", "vertex", "host_network"]], on=["kind", "namespace", "name"])
    hp = hp[~hp["host_network"].astype(bool)]
    parts = []
    if len(hp):
        parts.append(
            pd.DataFrame(
                {
                    "vertex": hp["vertex"],
                    "kind": hp["kind"],
                    "namespace": hp["namespace"],
                    "name": hp["name"],
                    "container": hp["container"],
                    "check": "host-port",
                    "sure": True,
                    "what": "container " + hp["container"] + " hostPort=[" + joined(hp["host_ports"]) + "]",
                }
            )
        )
    if len(hn):
        # on the host's network a declared port is a host port (the API server fills hostPort in); without
        # one the pod may still listen on the node's addresses: possible
        ports = declared.groupby(["kind", "namespace", "name"])["host_ports"].agg(
            lambda s: sorted({p for ps in s for p in ps})
        )
        listed = hn.set_index(["kind", "namespace", "name"]).index.map(lambda k: ports.get(k, []))
        parts.append(
            pd.DataFrame(
                {
                    "vertex": hn["vertex"],
                    "kind": hn["kind"],
                    "namespace": hn["namespace"],
                    "name": hn["name"],
                    "container": None,
                    "check": "host-network",
                    "sure": [bool(p) for p in listed],
                    "what": [
                        "hostNetwork=true, ports " + ", ".join(map(str, p))
                        if p
                        else "hostNetwork=true, no port declared"
                        for p in listed
                    ],
                }
            )
        )
    if not parts:
        return no_edges()
    src = pd.concat(parts, ignore_index=True).astype(object)
    where = ctx.node_of(src.drop_duplicates("vertex").assign(running=True))
    x = src.merge(where, left_on="vertex", right_on="workload")
    pub = _public_nodes(ctx)
    pub_names = set(pub["vertex"])
    known = x[x["node"].isin(pub_names)]
    rows = [
        (
            v,
            f"{k} {ns}/{n}: {what}; runs on {node[5:]}, a node with a public address",
            [(chk, k, ns, n, cn), ("node-external-ip", "Node", None, node[5:], None)],
            bool(sure),
        )
        for v, k, ns, n, cn, chk, what, node, sure in zip(
            known["vertex"],
            known["kind"],
            known["namespace"],
            known["name"],
            known["container"],
            known["check"],
            known["what"],
            known["node"],
            known["sure"],
        )
    ]
    unplaced = x[~x["certain"].astype(bool)]
    hub: list[tuple[object, ...]] = []
    for v, k, ns, n, cn, chk, what in zip(
        unplaced["vertex"],
        unplaced["kind"],
        unplaced["namespace"],
        unplaced["name"],
        unplaced["container"],
        unplaced["check"],
        unplaced["what"],
    ):
        if not ctx.nodes_known:
            rows.append((v, f"{k} {ns}/{n}: {what}; node addresses unknown", [(chk, k, ns, n, cn)], False))
        if len(pub):  # through the hub of the public nodes' ports: one edge per workload, not per node
            hub.append(
                (v, f"{k} {ns}/{n}: {what}; may be scheduled on a node with a public address", [(chk, k, ns, n, cn)])
            )
    parts = []
    if rows:
        d = pd.DataFrame(rows, columns=["target", "evidence", "rests", "certain"])
        parts.append(edges("internet", d["target"], d["evidence"], d["rests"], d["certain"]))
    if hub:
        d = pd.DataFrame(hub, columns=["target", "evidence", "rests"])
        parts.append(_through_public_nodes(ctx, ", where pods on the host's ports may be scheduled"))
        parts.append(edges(V.PUBLIC_PORTS, d["target"], d["evidence"], d["rests"], False))
    return pd.concat(parts, ignore_index=True) if parts else no_edges()


@edge(
    "exposed-ingress",
    group="exposure",
    technique="Exploit a public-facing application",
    attack=("T1190",),
    on="services",
    title="internet → workload behind an Ingress",
    why="An Ingress routes outside traffic to a Service's pods. Often intended, and no check reports it: "
    "such edges are gaps, and paths through them are cut further on (the token, the escape).",
)
def exposed_ingress(ctx: Context) -> pd.DataFrame:
    rows = []
    for ing in ctx.snap.items("Ingress"):
        sp = ing.spec
        if sp is None:
            continue
        backends = [("defaultBackend", sp.default_backend)] + [
            (f"rules[{i}] host={r.host or '*'} path={p.path or '/'}", p.backend)
            for i, r in enumerate(sp.rules or ())
            if r.http is not None
            for p in r.http.paths or ()
        ]
        for where, b in backends:
            if b is not None and b.service is not None and b.service.name:
                rows.append(
                    (
                        ing.metadata.namespace,
                        b.service.name,
                        f"Ingress {ing.metadata.namespace}/{ing.metadata.name} {where} → Service {b.service.name}",
                    )
                )
    if not rows:
        return no_edges()
    routes = pd.DataFrame(rows, columns=["namespace", "name", "evidence"], dtype=object)
    svc = ctx.frame("services").astype({"namespace": object, "name": object})
    hit = svc.merge(routes.drop_duplicates(["namespace", "name"]), on=["namespace", "name"])
    sel = _selected(ctx, hit).merge(routes.rename(columns={"name": "service"}), on=["namespace", "service"])
    sel = sel.drop_duplicates(["workload", "evidence"])
    return edges("internet", sel["workload"], sel["evidence"], [[] for _ in range(len(sel))])
