"""attack_cut(): the fewest findings whose fixes break every path from the entries to the targets.

The graph becomes a flow network in which every finding is one gadget of capacity 1 (``f_in →
f_out``): an edge resting on findings f1…fk runs ``u → f1_in → f1_out → … → fk_out → v`` (fixing
any one of them removes it), an edge resting on none has infinite capacity. A finding that sits on
many edges is still one gadget, so its fix counts once wherever it appears. networkx's minimum cut
between a super-source (the entries) and a super-sink (the targets) gives the fixes; because shared
gadgets also join edges that are not joined in the graph, the cut can hold a fix the graph does not
need, so each fix is then dropped again if every path stays broken without it (the set is minimal).

A target an entry reaches through gaps alone (edges resting on no finding) cannot be cut off by any
fix: such targets are left out of the flow and reported, never dropped.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import pandas as pd
from networkx.algorithms.flow import preflow_push

from ._paths import as_graph, attack_paths, resolve_entries, resolve_targets

Edge = tuple[str, str, frozenset[str]]


class _Adjacency:
    """Edges by source, with the findings each rests on; searches skip the edges of fixed findings."""

    def __init__(self, edges: Iterable[Edge]) -> None:
        self.out: dict[str, list[tuple[str, frozenset[str]]]] = {}
        self.back: dict[str, list[tuple[str, frozenset[str]]]] = {}
        for u, v, fs in edges:
            self.out.setdefault(u, []).append((v, fs))
            self.back.setdefault(v, []).append((u, fs))

    def reach(self, starts: Iterable[str], fixed: Collection[str] = (), gaps_only: bool = False) -> set[str]:
        fixed = set(fixed)
        seen = set(starts)
        todo = deque(seen)
        while todo:
            for v, fs in self.out.get(todo.popleft(), ()):
                if v in seen or (gaps_only and fs) or (fixed and not fixed.isdisjoint(fs)):
                    continue
                seen.add(v)
                todo.append(v)
        return seen

    def reach_back(self, ends: Iterable[str], fixed: Collection[str] = ()) -> set[str]:
        fixed = set(fixed)
        seen = set(ends)
        todo = deque(seen)
        while todo:
            for u, fs in self.back.get(todo.popleft(), ()):
                if u not in seen and not (fixed and not fixed.isdisjoint(fs)):
                    seen.add(u)
                    todo.append(u)
        return seen


def reachable(
    edges: Iterable[Edge], entries: Iterable[str], *, fixed: Collection[str] = (), gaps_only: bool = False
) -> set[str]:
    """Vertices reachable from ``entries`` once the edges resting on ``fixed`` findings are gone
    (``gaps_only``: through edges resting on no finding at all)."""
    return _Adjacency(edges).reach(entries, fixed, gaps_only)


#: the networkx maximum-flow function of the cut: at 100,000 pods (97,682 vertices, 215,002 arcs) preflow_push
#: took 13 s, boykov_kolmogorov 29 s, dinitz 36 s (benchmarks/bench_paths.py --flows compares them)
FLOW = preflow_push


def min_fix_set(edges: list[Edge], entries: Collection[str], targets: Collection[str]) -> tuple[set[str], set[str]]:
    """(findings to fix, targets no fix can cut off): after fixing the first, no entry reaches a target
    except those of the second."""
    adj = _Adjacency(edges)
    unbreakable = adj.reach(entries, gaps_only=True) & set(targets)
    sinks = set(targets) - unbreakable
    forward = adj.reach(entries)
    live = sinks & forward
    if not live:
        return set(), unbreakable
    # only the vertices on some entry → target walk matter (reached from an entry, reaching a target):
    # the flow network and the searches that make the cut minimal see nothing else
    on = forward & adj.reach_back(live)
    rel = list(dict.fromkeys((u, v, fs) for u, v, fs in edges if u in on and v in on))  # in order: deterministic
    S, T = ("s",), ("t",)
    arcs: list[tuple[Any, ...]] = [(S, ("v", x)) for x in entries if x in on]
    arcs += [(("v", x), T) for x in sorted(live)]
    gadgets = sorted({f for _, _, fs in rel for f in fs})
    arcs += [(("in", f), ("out", f), {"capacity": 1}) for f in gadgets]
    for u, v, fs in rel:
        # u → f1_in, f1_out → f2_in, …, fk_out → v: fixing any one of the findings removes the edge
        chain = [("v", u)] + [x for f in sorted(fs) for x in (("in", f), ("out", f))] + [("v", v)]
        arcs += [(a, b) for a, b in zip(chain[::2], chain[1::2]) if a != b]
    d: nx.DiGraph = nx.DiGraph()
    d.add_edges_from(arcs)
    _, (side, _) = nx.minimum_cut(d, S, T, flow_func=FLOW)
    cut = {n[1] for n in side if n[0] == "in" and ("out", n[1]) not in side}
    # drop what the graph itself does not need (fewest-used first), keeping every sink cut off. A fix is
    # needed when some edge resting on it and on no other fix joins what the entries still reach to what
    # still reaches a target: that is one search forward and one back per fix dropped, not per fix; only
    # a fix that fails this test gets a search of its own
    radj = _Adjacency(rel)
    starts = [x for x in entries if x in on]
    resting: dict[str, list[Edge]] = {f: [] for f in cut}
    for u, v, fs in rel:
        for f in fs & cut:
            resting[f].append((u, v, fs))
    ahead, behind = radj.reach(starts, cut), radj.reach_back(live, cut)
    for f in sorted(cut, key=lambda f: (len(resting[f]), f)):
        if any(u in ahead and v in behind and fs & cut == {f} for u, v, fs in resting[f]):
            continue
        if not (radj.reach(starts, cut - {f}) & live):
            cut.discard(f)
            ahead, behind = radj.reach(starts, cut), radj.reach_back(live, cut)
    assert not (radj.reach(starts, cut) & live), "the cut leaves a breakable target reachable"
    return cut, unbreakable


@dataclass
class AttackCut:
    """The result of :func:`attack_cut`."""

    fixes: pd.DataFrame
    unbreakable: pd.DataFrame
    unbreakable_targets: list[str]
    gaps: pd.DataFrame
    paths_before: int
    paths_after: int
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def finding_ids(self) -> list[str]:
        return self.fixes["finding_id"].tolist()

    def __repr__(self) -> str:
        return (
            f"<AttackCut: fix {len(self.fixes)} finding(s) to break every breakable path "
            f"({self.paths_before} enumerated paths → {self.paths_after}); "
            f"{len(self.unbreakable_targets)} target(s) reached through gaps alone>"
        )

    def _repr_html_(self) -> str:
        head = (
            f"<p><b>Fix these {len(self.fixes)} finding(s) to break every breakable path</b> "
            f"({self.paths_before} enumerated paths → {self.paths_after}).</p>"
        )
        body = self.fixes.drop(columns=["finding_id"], errors="ignore").to_html(index=False)
        tail = ""
        if self.unbreakable_targets:
            tail = (
                "<p>Reached through gaps alone (no fix breaks these paths): "
                + ", ".join(self.unbreakable_targets)
                + "</p>"
            )
        return head + body + tail


FIX_COLUMNS = [
    "finding_id",
    "check_id",
    "severity",
    "kind",
    "namespace",
    "name",
    "container",
    "title",
    "paths_removed",
    "edges_removed",
    "remediation",
]


def attack_cut(
    source: Any,
    findings: pd.DataFrame | None = None,
    *,
    entries: Any = None,
    targets: Any = None,
    assume_breach: bool = False,
    certain_only: bool = False,
    k: int = 3,
) -> AttackCut:
    """The fewest findings whose fixes break every path from the entries to the targets (a minimum cut,
    each finding counted once wherever it appears), in order of the enumerated paths each fix removes.

    Paths that no fix can break (their targets are reached through gaps alone) are reported in
    ``unbreakable``, never dropped.
    """
    if findings is None and not hasattr(source, "edges_frame"):
        from ..findings import audit

        findings = audit(source)
    g = as_graph(source, findings)
    ents = resolve_entries(g, entries, assume_breach)
    tgts = resolve_targets(g, targets)
    e = g.edges_frame[g.edges_frame["certain"]] if certain_only else g.edges_frame
    edge_list: list[Edge] = [(s, t, frozenset(f)) for s, t, f in zip(e["source"], e["target"], e["finding_ids"])]
    cut, unbreakable = min_fix_set(edge_list, ents, tgts)
    popts: dict[str, Any] = {"entries": ents, "targets": tgts, "k": k, "certain_only": certain_only}
    before = attack_paths(g, **popts)
    after = attack_paths(g.without(cut), **popts)
    parallel: dict[tuple[str, str], list[set[str]]] = {}
    for s_, t_, fs in edge_list:
        parallel.setdefault((s_, t_), []).append(set(fs))
    removed = {f: 0 for f in cut}
    for steps in before["steps"]:
        credit: set[str] = set()
        for st in steps:
            alts = parallel.get((st["source"], st["target"]), [])
            if alts and all(a & cut for a in alts):  # the fixes remove every edge of this step
                credit |= set().union(*(a & cut for a in alts))
        for f in credit:
            removed[f] += 1
    per_edge = e["finding_ids"].explode()
    edges_removed = per_edge[per_edge.isin(cut)].value_counts().to_dict()
    f = findings if findings is not None else pd.DataFrame(columns=["finding_id"])
    rows = f[f["finding_id"].isin(cut)].drop_duplicates("finding_id")
    fixes = rows.assign(
        paths_removed=rows["finding_id"].map(removed).fillna(0).astype(int),
        edges_removed=rows["finding_id"].map(edges_removed).fillna(0).astype(int),
    )
    fixes = fixes.reindex(columns=FIX_COLUMNS).sort_values(
        ["paths_removed", "edges_removed", "check_id"], ascending=[False, False, True], kind="stable"
    )
    # the paths no fix can break: through edges resting on no finding, to the targets they reach
    stuck = (
        attack_paths(g.only(g.edges_frame["finding_ids"].map(len) == 0), **{**popts, "targets": sorted(unbreakable)})
        if unbreakable
        else before.iloc[0:0].copy()
    )
    return AttackCut(
        fixes=fixes.reset_index(drop=True),
        unbreakable=stuck,
        unbreakable_targets=sorted(unbreakable),
        gaps=g.gaps,
        paths_before=len(before),
        paths_after=len(after),
        options={**popts, "assume_breach": assume_breach},
    )
