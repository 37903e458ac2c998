"""attack_paths() and prioritize(): bounded path enumeration, and findings ranked by the paths they sit on.

Paths are enumerated bounded: the ``k`` shortest simple paths per (entry, target) pair (networkx
``shortest_simple_paths``), and only for pairs a breadth-first search found connected. Whether a
finding sits on *some* path is decided by reachability alone (its edge leaves a vertex an entry
reaches, towards a vertex that reaches a target), never by enumerating every path.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import islice, pairwise
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from .._util import closest, gc_paused
from . import _vertices as V
from ._graph import AttackGraph, attack_graph, columns_of

PATH_COLUMNS = [
    "path_id",
    "entry",
    "entry_label",
    "target",
    "target_label",
    "length",
    "certain",
    "breakable",
    "techniques",
    "attack",
    "finding_ids",
    "summary",
    "steps",
    "vertices",
]

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
            ns, name = spec[len("workload:") :].split("/")
            hit = nf[nf["vertex"].str.startswith(f"workload:{ns}/") & nf["vertex"].str.endswith(f"/{name}")]
            if len(hit):
                out += hit["vertex"].tolist()
                continue
        short_workload = spec.startswith("workload:") and spec.count("/") == 1
        if spec in V.ENTRIES or (spec.partition(":")[0] in V.PREFIXES and not short_workload):
            out.append(spec)  # a vertex this graph has no edge from reaches nothing
            continue
        raise ValueError(
            f"unknown entry {spec!r}: use internet, anonymous, authenticated, workload:NS/NAME "
            "or a vertex id of the graph"
        )
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
        elif spec.startswith("secrets:") and spec not in g:
            _require_namespace(g, spec)
            out.append(spec)  # a namespace's Secrets the graph does not reach are simply never reached
        elif spec in g or spec == V.CLUSTER_ADMIN:
            out.append(spec)
        else:
            raise ValueError(f"unknown target {spec!r}: use cluster-admin, nodes, secrets, secrets:NS or a vertex id")
    return list(dict.fromkeys(out))


def _require_namespace(g: AttackGraph, spec: str) -> None:
    if g.namespaces is not None and (why := unknown_namespace(spec, g.namespaces, g.cluster)):
        raise ValueError(f"unknown target {spec!r}: {why}")


def unknown_namespace(spec: str, namespaces: Iterable[str], where: str) -> str | None:
    """Why ``secrets:NS`` is no target when NS is not one of ``namespaces`` (else None): "no path" to the Secrets
    of a namespace that is not there would read as a safe namespace (a typo, or the wrong cluster)."""
    ns = spec.partition(":")[2]
    known = set(namespaces)
    if ns in known or ns == V.ALL:
        return None
    close = closest(ns, sorted(known))
    return (
        f"no namespace {ns!r} in {where}"
        + (f" (did you mean 'secrets:{close}'?)" if close else "")
        + ": no path to it would read as a safe namespace"
    )


def simple_graph(g: AttackGraph, certain_only: bool = False) -> nx.DiGraph:
    """One arc per (source, target): weight 0 for model wiring, 1 for an attacker step; ``edges``: the edge ids."""
    cache = g.__dict__.setdefault("_simple", {})
    if certain_only not in cache:
        cache[certain_only] = _simple(g, certain_only)
    return cache[certain_only]


def _simple(g: AttackGraph, certain_only: bool) -> nx.DiGraph:
    e = g.edges_frame
    if certain_only:
        e = e[e["certain"]]
    h: nx.DiGraph = nx.DiGraph()
    h.add_nodes_from(g.nodes)
    if e.empty:
        return h
    # one pass over the columns (a groupby collecting lists costs a Python call per arc)
    arcs: dict[tuple[str, str], tuple[int, list[int]]] = {}
    for s, t, structural, i in zip(
        e["source"].tolist(), e["target"].tolist(), e["structural"].tolist(), e["edge"].tolist()
    ):
        w, ids = arcs.setdefault((s, t), (1, []))
        ids.append(i)
        if structural and w:
            arcs[s, t] = (0, ids)
    h.add_edges_from((s, t, {"weight": w, "edges": ids}) for (s, t), (w, ids) in arcs.items())
    return h


_STEP_FIELDS = (
    "source",
    "target",
    "source_label",
    "target_label",
    "kind",
    "technique",
    "attack",
    "certain",
    "structural",
    "evidence",
    "finding_ids",
    "gap",
)


def _edge_records(g: AttackGraph, ids: Iterable[int] = ()) -> dict[int, dict[str, Any]]:
    """edge id → its fields as a dict, for ``ids`` and those asked before (kept on the graph: steps are read edge
    by edge, and only the edges of the paths are read)."""
    rec: dict[int, dict[str, Any]] = g.__dict__.setdefault("_records", {})
    missing = [i for i in dict.fromkeys(ids) if i not in rec]
    if missing:
        e = g.edges_frame
        at = pd.Index(e["edge"]).get_indexer(missing)  # one lookup for all of them, one row selection
        rows = e.take(at)
        cols = [rows[c].tolist() for c in _STEP_FIELDS]
        rec.update((i, dict(zip(_STEP_FIELDS, vals))) for i, vals in zip(missing, zip(*cols)))
    return rec


def _step(g: AttackGraph, ids: list[int]) -> dict[str, Any]:
    rec = _edge_records(g)
    rows = [rec[i] for i in ids]
    p = min(rows, key=lambda r: (not r["certain"], r["gap"]))
    all_ids = list(dict.fromkeys(f for r in rows for f in r["finding_ids"]))
    step = {k: p[k] for k in _STEP_FIELDS if k != "gap"}
    step.update(
        certain=bool(p["certain"]),
        structural=bool(p["structural"]),
        finding_ids=list(p["finding_ids"]),
        alternatives=len(rows) - 1,
        all_finding_ids=all_ids,
        breakable=not any(r["structural"] for r in rows) and all(len(r["finding_ids"]) for r in rows),
    )
    return step


def _step_of(
    g: AttackGraph, h: nx.DiGraph, u: str, v: str, seen: dict[tuple[str, str], dict[str, Any]]
) -> dict[str, Any]:
    """The step along the arc u → v, worked out once per arc (a hub's arc holds many edges) and given to each path
    as its own dict (its lists its own)."""
    step = seen.get((u, v))
    if step is None:
        step = seen[u, v] = _step(g, h.edges[u, v]["edges"])
    return {**step, "finding_ids": list(step["finding_ids"]), "all_finding_ids": list(step["all_finding_ids"])}


def _row(g: AttackGraph, h: nx.DiGraph, path: list[str], seen: dict[tuple[str, str], dict[str, Any]]) -> dict[str, Any]:
    steps = [_step_of(g, h, u, v, seen) for u, v in pairwise(path)]
    moves = [s for s in steps if not s["structural"]]
    ids = list(dict.fromkeys(f for s in steps for f in s["all_finding_ids"]))
    return {
        "entry": path[0],
        "entry_label": V.label(path[0]),
        "target": path[-1],
        "target_label": V.label(path[-1]),
        "length": len(moves),
        "certain": all(s["certain"] for s in steps),
        "breakable": any(s["breakable"] for s in moves),
        "techniques": list(dict.fromkeys(s["technique"] for s in moves)),
        "attack": list(dict.fromkeys(a for s in moves for a in s["attack"].split(", ") if a)),
        "finding_ids": ids,
        "summary": " → ".join(V.label(v) for v in path),
        "steps": steps,
        "vertices": path,
    }


#: below this many arcs, the k shortest simple paths are exact (Yen's algorithm, networkx shortest_simple_paths);
#: above, the k paths are taken among the shortest ones (equal length), which costs one search per entry
EXACT_LIMIT = 5_000


def _dag_paths(pred: dict[str, list[str]], start: str, root: str, k: int) -> list[list[str]]:
    """Up to ``k`` paths from ``start`` back to ``root`` along shortest-path predecessors (``start`` first)."""
    out: list[list[str]] = []
    stack = [(start, [start])]
    while stack and len(out) < k:
        v, acc = stack.pop()
        if v == root:
            out.append(acc)
            continue
        for u in reversed(pred.get(v, ())):
            if u not in acc:
                stack.append((u, acc + [u]))
    return out


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
    every namespace's Secrets (``secrets:NS`` naming no namespace of the snapshot is a ValueError, never
    an empty table); both certain and possible edges are used (``certain`` says which
    paths hold only certain steps; ``certain_only=True`` drops the rest). ``k`` bounds the paths
    per (entry, target) pair: the k shortest simple paths on graphs of up to ``EXACT_LIMIT`` arcs,
    else k among the shortest (``df.attrs["method"]``); ``max_paths`` bounds the whole
    (``df.attrs["truncated"]`` says when it bit). ``fixed`` lists finding ids to treat as fixed.
    """
    with gc_paused():
        return _attack_paths(
            as_graph(source, findings, fixed), entries, targets, k, assume_breach, certain_only, max_paths
        )


def _attack_paths(
    g: AttackGraph, entries: Any, targets: Any, k: int, assume_breach: bool, certain_only: bool, max_paths: int | None
) -> pd.DataFrame:
    ents = resolve_entries(g, entries, assume_breach)
    tgts = resolve_targets(g, targets)
    h = simple_graph(g, certain_only)
    exact = h.number_of_edges() <= EXACT_LIMIT
    found: list[list[str]] = []
    truncated = False
    tset, eset = set(tgts), set(ents)
    if len(ents) <= len(tgts):  # one search from each entry
        for ent in ents:
            if ent not in h:
                continue
            pred, dist = nx.dijkstra_predecessor_and_distance(h, ent, weight="weight")
            for t in sorted((t for t in dist if t in tset and t != ent), key=lambda t: (dist[t], t)):
                if exact and k > 1:
                    found += list(islice(nx.shortest_simple_paths(h, ent, t, weight="weight"), k))
                else:
                    found += [p[::-1] for p in _dag_paths(pred, t, ent, k)]
                if max_paths is not None and len(found) >= max_paths:
                    truncated = True
                    break
            if truncated:
                break
    else:  # many entries (assume breach): one search back from each target
        r = h.reverse(copy=False)
        for t in tgts:
            if t not in r:
                continue
            pred, dist = nx.dijkstra_predecessor_and_distance(r, t, weight="weight")
            for ent in sorted((e for e in dist if e in eset and e != t), key=lambda e: (dist[e], e)):
                if exact and k > 1:
                    found += list(islice(nx.shortest_simple_paths(h, ent, t, weight="weight"), k))
                else:
                    found += _dag_paths(pred, ent, t, k)
                if max_paths is not None and len(found) >= max_paths:
                    truncated = True
                    break
            if truncated:
                break
    if max_paths is not None:
        found = found[:max_paths]
    arcs = dict.fromkeys(arc for p in found for arc in pairwise(p))  # each arc once: a hub's arc holds many edges
    _edge_records(g, (i for u, v in arcs for i in h.edges[u, v]["edges"]))
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    rows = [_row(g, h, p, seen) for p in found]
    df = pd.DataFrame(rows, columns=[c for c in PATH_COLUMNS if c != "path_id"])
    df = df.sort_values(["entry", "length", "target"], kind="stable").reset_index(drop=True)
    df.insert(0, "path_id", [f"P{i + 1:04d}" for i in range(len(df))])
    df.attrs.update(
        {
            "cluster": g.cluster,
            "entries": ents,
            "targets": sorted(tset),
            "k": k,
            "certain_only": certain_only,
            "truncated": truncated,
            "fixed": sorted(g.fixed),
            "method": "k shortest simple paths" if exact else "k among the shortest paths",
            "incomplete": list(g.incomplete),
        }
    )
    return df


def relevant_edges(
    g: AttackGraph,
    entries: Sequence[str] | None = None,
    targets: Sequence[str] | None = None,
    assume_breach: bool = False,
) -> pd.Series:
    """Per edge of ``g.edges_frame``: does it lie on some entry → target walk? (reachability, no enumeration)"""
    ents = resolve_entries(g, entries, assume_breach)
    tgts = resolve_targets(g, targets)
    h = simple_graph(g)
    # what some entry reaches, and what reaches some target: one breadth-first search from all of them at once
    starts, ends = [v for v in dict.fromkeys(ents) if v in h], [t for t in dict.fromkeys(tgts) if t in h]
    reach = {v for layer in nx.bfs_layers(h, starts) for v in layer} if starts else set()
    back = {v for layer in nx.bfs_layers(h.reverse(copy=False), ends) for v in layer} if ends else set()
    e = g.edges_frame
    return (e["source"].isin(reach) & e["target"].isin(back)).astype(bool)


def prioritize(
    findings: pd.DataFrame, source: Any, *, paths: pd.DataFrame | None = None, **path_options: Any
) -> pd.DataFrame:
    """``findings`` plus ``on_attack_path`` (its fix removes an edge lying on some path from an entry to a
    target), ``paths_through`` (enumerated paths using it) and ``priority`` (1 = fix first: on a path,
    more paths, then severity)."""
    g = as_graph(source, findings)
    if paths is None:
        paths = attack_paths(g, **path_options)
    opts = {k: path_options[k] for k in ("entries", "targets", "assume_breach") if k in path_options}
    on = relevant_edges(g, **opts)
    hot = {f for fs in g.edges_frame.loc[on, "finding_ids"] for f in fs}
    counts = Counter(f for fs in paths["finding_ids"] for f in fs)
    cols = columns_of(findings, ("finding_id", "severity"))
    fids = cols["finding_id"].tolist()
    on_path = np.fromiter((f in hot for f in fids), dtype=bool, count=len(fids))
    through = np.fromiter((counts.get(f, 0) for f in fids), dtype=np.int64, count=len(fids))
    sev = cols["severity"]
    codes = sev.cat.codes.to_numpy(dtype=np.int64) if isinstance(sev.dtype, pd.CategoricalDtype) else 0
    # on a path first, then more paths, then higher severity, then the findings' own order (lexsort: last key first)
    n = len(fids)
    order = np.lexsort((np.arange(n), -np.broadcast_to(codes, n), -through, ~on_path))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(1, n + 1)
    # a shallow copy: the findings' columns are shared (copy on write), only the three new ones are allocated
    out = findings.copy(deep=False)
    out["on_attack_path"] = on_path
    out["paths_through"] = through
    out["priority"] = rank
    return out
