"""attack_paths() and prioritize(): bounded path enumeration, and findings ranked by the paths they sit on.

Paths are enumerated bounded: the ``k`` shortest simple paths per (entry, target) pair (networkx
``shortest_simple_paths``), and only for pairs a breadth-first search found connected. Whether a
finding sits on *some* path is decided by reachability alone (its edge leaves a vertex an entry
reaches, towards a vertex that reaches a target), never by enumerating every path.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any

import networkx as nx
import pandas as pd

from . import _vertices as V
from ._graph import AttackGraph, attack_graph

PATH_COLUMNS = ["path_id", "entry", "entry_label", "target", "target_label", "length", "certain", "breakable",
                "techniques", "attack", "finding_ids", "summary", "steps", "vertices"]

#: ``--to`` shorthands
TARGET_SETS = ("cluster-admin", "nodes", "secrets")


def as_graph(source: Any, findings: pd.DataFrame | None = None, fixed: Iterable[str] = ()) -> AttackGraph:
    """An AttackGraph from a graph (returned as is, ``fixed`` applied) or a snapshot (built)."""
    fixed = list(fixed)
    if isinstance(source, AttackGraph):
        return source.without(fixed) if fixed else source
    return attack_graph(source, findings, fixed=fixed)


def resolve_entries(g: AttackGraph, entries: Sequence[str] | str | None, assume_breach: bool = False) -> list[str]:
    """Entry vertices: ``internet``, ``anonymous``, ``authenticated``, ``workload:NS/NAME`` (any kind) or a vertex id.

    ``assume_breach`` adds every workload of the graph ("what can a compromised pod reach?").
    """
    if isinstance(entries, str):
        entries = [entries]
    wanted = list(entries) if entries is not None else ([] if assume_breach else list(V.ENTRIES))
    out: list[str] = []
    nf = g.nodes_frame
    for spec in wanted:
        if spec in g:
            out.append(spec)
            continue
        if spec.startswith("workload:") and spec.count("/") == 1:
            ns, name = spec[len("workload:"):].split("/")
            hit = nf[nf["vertex"].str.startswith(f"workload:{ns}/") & nf["vertex"].str.endswith(f"/{name}")]
            if len(hit):
                out += hit["vertex"].tolist()
                continue
        short_workload = spec.startswith("workload:") and spec.count("/") == 1
        if spec in V.ENTRIES or (spec.partition(":")[0] in V.PREFIXES and not short_workload):
            out.append(spec)  # a vertex this graph has no edge from reaches nothing
            continue
        raise ValueError(f"unknown entry {spec!r}: use internet, anonymous, authenticated, workload:NS/NAME "
                         "or a vertex id of the graph")
    if assume_breach:
        out += nf.loc[nf["type"].eq("workload"), "vertex"].tolist()
    return list(dict.fromkeys(out))


def resolve_targets(g: AttackGraph, targets: Sequence[str] | str | None) -> list[str]:
    """Target vertices: ``cluster-admin``, ``nodes`` (root on any node), ``secrets`` (every namespace's),
    ``secrets:NS``, or any vertex id. Default: all of them."""
    if isinstance(targets, str):
        targets = [targets]
    all_targets = [v for v in g.nodes_frame["vertex"] if V.is_target(v)]
    if targets is None:
        return all_targets
    out: list[str] = []
    for spec in targets:
        if spec == "nodes":
            out += [v for v in all_targets if v.startswith("node:")]
        elif spec == "secrets":
            out += [v for v in all_targets if v.startswith("secrets:")]
        elif spec in g or spec == V.CLUSTER_ADMIN or spec.startswith("secrets:"):
            out.append(spec)  # a target the graph does not reach is simply never reached
        else:
            raise ValueError(f"unknown target {spec!r}: use cluster-admin, nodes, secrets, secrets:NS or a vertex id")
    return list(dict.fromkeys(out))


def simple_graph(g: AttackGraph, certain_only: bool = False) -> nx.DiGraph:  # type: ignore[type-arg]
    """One arc per (source, target): weight 0 for model wiring, 1 for an attacker step; ``edges``: the edge ids."""
    e = g.edges_frame
    if certain_only:
        e = e[e["certain"]]
    h: nx.DiGraph = nx.DiGraph()  # type: ignore[type-arg]
    h.add_nodes_from(g.nodes)
    if e.empty:
        return h
    agg = e.assign(w=(~e["structural"]).astype(int)).groupby(["source", "target"], sort=False).agg(
        weight=("w", "min"), edges=("edge", list))
    h.add_edges_from((s, t, {"weight": int(w), "edges": ids})
                     for (s, t), w, ids in zip(agg.index, agg["weight"], agg["edges"]))
    return h


def _step(g: AttackGraph, ids: list[int]) -> dict[str, Any]:
    rows = g.edge_rows(ids)
    order = rows.assign(_c=~rows["certain"], _g=rows["gap"]).sort_values(["_c", "_g", "edge"])
    p = order.iloc[0]
    all_ids = [f for fs in rows["finding_ids"] for f in fs]
    return {"source": p["source"], "target": p["target"], "source_label": p["source_label"],
            "target_label": p["target_label"], "kind": p["kind"], "technique": p["technique"], "attack": p["attack"],
            "certain": bool(p["certain"]), "structural": bool(p["structural"]), "evidence": p["evidence"],
            "finding_ids": list(p["finding_ids"]), "alternatives": len(rows) - 1,
            "all_finding_ids": list(dict.fromkeys(all_ids)),
            "breakable": not bool(rows["structural"].any()) and bool((rows["finding_ids"].str.len() > 0).all())}


def _row(g: AttackGraph, h: nx.DiGraph, path: list[str]) -> dict[str, Any]:  # type: ignore[type-arg]
    steps = [_step(g, h.edges[u, v]["edges"]) for u, v in zip(path, path[1:])]
    moves = [s for s in steps if not s["structural"]]
    ids = list(dict.fromkeys(f for s in steps for f in s["all_finding_ids"]))
    return {
        "entry": path[0], "entry_label": V.label(path[0]), "target": path[-1], "target_label": V.label(path[-1]),
        "length": len(moves), "certain": all(s["certain"] for s in steps),
        "breakable": any(s["breakable"] for s in moves),
        "techniques": list(dict.fromkeys(s["technique"] for s in moves)),
        "attack": list(dict.fromkeys(a for s in moves for a in s["attack"].split(", ") if a)),
        "finding_ids": ids, "summary": " → ".join(V.label(v) for v in path), "steps": steps, "vertices": path,
    }


def attack_paths(
    source: Any,
    findings: pd.DataFrame | None = None,
    *,
    entries: Sequence[str] | str | None = None,
    targets: Sequence[str] | str | None = None,
    k: int = 3,
    assume_breach: bool = False,
    certain_only: bool = False,
    fixed: Iterable[str] = (),
    max_paths: int | None = 10_000,
) -> pd.DataFrame:
    """One row per attack path: entry, target, length (attacker steps), steps (one dict per edge, with
    its evidence and finding ids), techniques, ATT&CK ids and the findings it uses.

    ``source`` is a snapshot or an :func:`attack_graph`. By default the entries are the internet,
    anonymous and authenticated API clients, and the targets cluster-admin, root on any node and
    every namespace's Secrets; both certain and possible edges are used (``certain`` says which
    paths hold only certain steps; ``certain_only=True`` drops the rest). ``k`` bounds the paths
    per (entry, target) pair; ``max_paths`` the whole (``df.attrs["truncated"]`` says when it bit).
    ``fixed`` lists finding ids to treat as fixed (a what-if).
    """
    g = as_graph(source, findings, fixed)
    ents = resolve_entries(g, entries, assume_breach)
    tgts = set(resolve_targets(g, targets))
    h = simple_graph(g, certain_only)
    rows: list[dict[str, Any]] = []
    truncated = False
    for ent in ents:
        if ent not in h:
            continue  # no edge leaves it
        dist, first = nx.single_source_dijkstra(h, ent, weight="weight")
        for t in sorted((t for t in dist if t in tgts and t != ent), key=lambda t: (dist[t], t)):
            if max_paths is not None and len(rows) >= max_paths:
                truncated = True
                break
            found = [first[t]] if k == 1 else list(islice(nx.shortest_simple_paths(h, ent, t, weight="weight"), k))
            rows += [_row(g, h, p) for p in found]
    df = pd.DataFrame(rows, columns=[c for c in PATH_COLUMNS if c != "path_id"])
    df = df.sort_values(["entry", "length", "target"], kind="stable").reset_index(drop=True)
    df.insert(0, "path_id", [f"P{i + 1:04d}" for i in range(len(df))])
    df.attrs.update({"cluster": g.cluster, "entries": ents, "targets": sorted(tgts), "k": k,
                     "certain_only": certain_only, "truncated": truncated, "fixed": sorted(g.fixed)})
    return df


def relevant_edges(g: AttackGraph, entries: Sequence[str] | None = None, targets: Sequence[str] | None = None,
                   assume_breach: bool = False) -> pd.Series:
    """Per edge of ``g.edges_frame``: does it lie on some entry → target walk? (reachability, no enumeration)"""
    ents = resolve_entries(g, entries, assume_breach)
    tgts = resolve_targets(g, targets)
    h = simple_graph(g).copy()
    src, sink = ("__entries__",), ("__targets__",)
    h.add_edges_from((src, v) for v in ents if v in h)
    h.add_edges_from((t, sink) for t in tgts if t in h)
    reach = nx.descendants(h, src) if src in h else set()
    back = nx.ancestors(h, sink) if sink in h else set()
    e = g.edges_frame
    return (e["source"].isin(reach) & e["target"].isin(back)).astype(bool)


def prioritize(findings: pd.DataFrame, source: Any, *, paths: pd.DataFrame | None = None,
               **path_options: Any) -> pd.DataFrame:
    """``findings`` plus ``on_attack_path`` (its fix removes an edge lying on some path from an entry to a
    target), ``paths_through`` (enumerated paths using it) and ``priority`` (1 = fix first: on a path,
    more paths, then severity)."""
    g = as_graph(source, findings)
    if paths is None:
        paths = attack_paths(g, **path_options)
    opts = {k: path_options[k] for k in ("entries", "targets", "assume_breach") if k in path_options}
    on = relevant_edges(g, **opts)
    hot = {f for fs in g.edges_frame.loc[on, "finding_ids"] for f in fs}
    counts = pd.Series([f for fs in paths["finding_ids"] for f in fs], dtype=object).value_counts()
    out = findings.copy()
    out["on_attack_path"] = out["finding_id"].isin(hot).astype(bool)
    out["paths_through"] = out["finding_id"].map(counts).fillna(0).astype(int)
    sev = out["severity"].cat.codes if hasattr(out["severity"], "cat") else 0
    order = out.assign(_o=~out["on_attack_path"], _p=-out["paths_through"], _s=-pd.Series(sev, index=out.index),
                       _i=range(len(out))).sort_values(["_o", "_p", "_s", "_i"]).index
    out["priority"] = pd.Series(range(1, len(out) + 1), index=order).reindex(out.index).astype(int)
    return out
