"""attack_graph(): run every edge kind over a snapshot's frames → a networkx MultiDiGraph, with tidy frames."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from .._util import gc_paused
from . import _vertices as V
from ._context import Context, join_key
from ._registry import EDGE_KINDS, EdgeKind, object_array

#: edge kinds that wire what the others built (they read ``ctx.sources`` / ``ctx.targets``), in this order
LATE = ("hub", "system-masters", "member-of", "anonymous-access", "node-kubelet-credentials", "node-choice")

EDGES_FRAME_COLUMNS = [
    "edge",
    "source",
    "target",
    "kind",
    "group",
    "technique",
    "attack",
    "certain",
    "structural",
    "gap",
    "evidence",
    "checks",
    "finding_ids",
    "source_label",
    "target_label",
]
NODES_FRAME_COLUMNS = ["vertex", "type", "label", "namespace", "is_entry", "is_target", "out_degree", "in_degree"]


class AttackGraph(nx.MultiDiGraph):
    """The attack graph: a ``networkx.MultiDiGraph`` whose vertices are entries, workloads, identities,
    hubs, nodes and targets, and whose edges are attacker steps (key: the ``edge`` id of ``edges_frame``).

    ``nodes_frame`` and ``edges_frame`` hold the same as tidy DataFrames; ``gaps`` the steps no check
    reports; ``entries`` and ``targets`` the vertex ids the paths start and end at.
    """

    nodes_frame: pd.DataFrame
    edges_frame: pd.DataFrame
    cluster: str
    fixed: frozenset[str]
    #: what could not be read (see :func:`incomplete`): empty when the graph saw everything
    incomplete: Sequence[str] = ()
    #: the namespaces of the snapshot the graph was built from (None: not known), so that a target such as
    #: ``secrets:NS`` naming no namespace of it is an error rather than a target no path reaches
    namespaces: frozenset[str] | None = None

    @property
    def entries(self) -> list[str]:
        return [v for v in V.ENTRIES if v in self]

    @property
    def targets(self) -> list[str]:
        return [v for v in self.nodes if V.is_target(v)]

    @property
    def gaps(self) -> pd.DataFrame:
        """Edges an attacker can take that rest on no finding (no check reports them)."""
        return self.edges_frame[self.edges_frame["gap"]].reset_index(drop=True)

    def without(self, finding_ids: Iterable[str]) -> AttackGraph:
        """The graph with every edge resting on one of ``finding_ids`` removed (those findings fixed)."""
        fixed = frozenset(finding_ids)
        keep = ~self.edges_frame["finding_ids"].map(lambda ids: bool(fixed.intersection(ids))).astype(bool)
        g = _assemble(self.edges_frame[keep].reset_index(drop=True), self.cluster, self.fixed | fixed)
        g.incomplete, g.namespaces = self.incomplete, self.namespaces
        return g

    def only(self, mask: pd.Series) -> AttackGraph:
        """The graph with only the edges where ``mask`` (aligned to ``edges_frame``) holds."""
        g = _assemble(self.edges_frame[mask.to_numpy()].reset_index(drop=True), self.cluster, self.fixed)
        g.incomplete, g.namespaces = self.incomplete, self.namespaces
        return g

    def edge_rows(self, ids: list[int]) -> pd.DataFrame:
        """Rows of ``edges_frame`` by edge id."""
        by_id = getattr(self, "_by_id", None)
        if by_id is None:
            by_id = self._by_id = self.edges_frame.set_index(self.edges_frame["edge"].to_numpy())
        return by_id.loc[ids]

    def __repr__(self) -> str:
        e = self.edges_frame
        note = f"; incomplete: {len(self.incomplete)} item(s) could not be read" if self.incomplete else ""
        return (
            f"<AttackGraph of {self.cluster}: {self.number_of_nodes()} vertices, {len(e)} edges "
            f"({int(e['gap'].sum())} gaps){note}>"
        )


def _run(kind: EdgeKind, ctx: Context) -> pd.DataFrame:
    try:
        out = kind.fn(ctx)
    except Exception as e:  # a broken edge kind is named, never silently empty
        raise RuntimeError(f"attack-graph edge kind {kind.id} failed: {type(e).__name__}: {e}") from e
    return out.assign(kind=kind.id)


def build_edges(snap: Any, kinds: Iterable[str] | None = None) -> pd.DataFrame:
    """Every edge of every kind (or of ``kinds``) over ``snap``: source, target, certain, evidence, rests, kind."""
    ctx = Context(snap)
    wanted = set(kinds) if kinds is not None else set(EDGE_KINDS)
    parts = [(k.id, _run(k, ctx)) for k in EDGE_KINDS.values() if k.id not in LATE and k.id in wanted]
    for _, p in parts:
        ctx.sources.update(p["source"].tolist())
        ctx.targets.update(p["target"].tolist())
    for kid in LATE:
        if kid not in wanted:
            continue
        p = _run(EDGE_KINDS[kid], ctx)
        parts.append((kid, p))
        ctx.sources.update(p["source"].tolist())
        ctx.targets.update(p["target"].tolist())
    parts = [(kid, p) for kid, p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=["source", "target", "certain", "evidence", "rests", "kind"])
    out = pd.concat([p for _, p in parts], ignore_index=True)
    # the kind of each row, once for the whole frame (not a copy of every part to add it)
    kind = np.repeat(np.array([kid for kid, _ in parts], dtype=object), [len(p) for _, p in parts])
    out["kind"] = pd.array(kind, dtype="str")
    return out


def _norm_value(x: Any) -> str:
    """One key value as the findings' columns hold it: missing (None, NaN, NA) is ``""``, anything else its text."""
    k = join_key(x)
    return "" if k is None else k if type(k) is str else str(k)


def columns_of(df: pd.DataFrame, names: Iterable[str]) -> dict[str, pd.Series]:
    """Columns of ``df`` without a copy of ``df.attrs`` per column (the findings' per-check stats and
    skipped items: pandas deep-copies them into every Series taken from the frame)."""
    if df.attrs:
        df = df.copy(deep=False)  # one copy of the attrs, then none
        df.attrs = {}
    return {c: df[c] for c in names}


_KEY_COLUMNS = ("check_id", "kind", "namespace", "name")


def _finding_index(findings: pd.DataFrame, checks: set[str]) -> dict[tuple[str, ...], list[tuple[str, Any]]]:
    """(check_id, kind, namespace, name) → the (container, finding id) of each finding of ``checks`` with that key,
    in the findings' order (missing values as ``""``)."""
    bare = columns_of(findings, (*_KEY_COLUMNS, "container", "finding_id"))
    check = bare["check_id"]
    mask = check.isin(list(checks)).to_numpy(dtype=bool)
    if "" in checks:  # a key naming no check matches the findings without one
        mask |= check.isna().to_numpy()
    keep = np.flatnonzero(mask)
    cols = [bare[c].to_numpy()[keep].tolist() for c in (*_KEY_COLUMNS, "container", "finding_id")]
    index: dict[tuple[str, ...], list[tuple[str, Any]]] = {}
    for c, k, ns, n, cn, fid in zip(*cols):
        key = (_norm_value(c), _norm_value(k), _norm_value(ns), _norm_value(n))
        index.setdefault(key, []).append((_norm_value(cn), fid))
    return index


def _join(rests: list[list[tuple[Any, ...]]], findings: pd.DataFrame) -> tuple[list[list[Any]], list[list[str]]]:
    """Per edge: the ids of the findings matching its ``rests`` keys (a key with a container matches that
    container's finding only), each once, in the order of the keys and then of the findings; and their checks."""
    ids: list[list[Any]] = [[] for _ in rests]
    checks: list[list[str]] = [[] for _ in rests]
    wanted = {_norm_value(r[0]) for rs in rests for r in rs}
    if not wanted or not len(findings):
        return ids, checks
    index = _finding_index(findings, wanted)
    for rs, got, cids in zip(rests, ids, checks):
        for r in rs:
            hits = index.get((_norm_value(r[0]), _norm_value(r[1]), _norm_value(r[2]), _norm_value(r[3])))
            if not hits:
                continue
            container = _norm_value(r[4])
            for fc, fid in hits:
                if (not container or container == fc) and fid not in got:
                    got.append(fid)
                    if r[0] not in cids:
                        cids.append(r[0])
    return ids, checks


def join_findings(raw: pd.DataFrame, findings: pd.DataFrame) -> pd.DataFrame:
    """Add ``finding_ids`` and ``checks`` to raw edges: the findings matching each edge's ``rests`` keys."""
    ids, checks = _join(raw["rests"].tolist(), findings)
    out = raw.drop(columns=["rests"]).copy()
    out["finding_ids"] = _objects(ids).set_axis(out.index)
    out["checks"] = _objects(checks).set_axis(out.index)
    return out


def _objects(values: list[Any]) -> pd.Series:
    """``values`` as an object column (lists stay elements, never a second dimension; text is not made Arrow text)."""
    return pd.Series(object_array(values, len(values)), dtype=object, copy=False)


def merge_alike(keys: list[tuple[Any, ...]], certain: list[Any], evidence: list[Any]) -> list[int]:
    """The same step resting on the same findings (two rules, two bindings without findings) is one edge:
    certain when any of them is, its evidence the first one's and how many more say the same.

    ``keys`` identify the step (source, target, kind, findings); ``certain`` and ``evidence`` are updated in
    place at the first of each; returns the positions kept (the first of each key), in order."""
    first: dict[tuple[Any, ...], int] = {}
    twins: dict[int, int] = {}
    keep: list[int] = []
    for i, key in enumerate(keys):
        at = first.setdefault(key, i)
        if at == i:
            keep.append(i)
        else:
            twins[at] = twins.get(at, 0) + 1
            certain[at] = bool(certain[at]) or bool(certain[i])
    for at, n in twins.items():
        evidence[at] = evidence[at] + f" (and {n} more alike)"
    return keep


def attack_graph(snap: Any, findings: pd.DataFrame | None = None, *, fixed: Iterable[str] = ()) -> AttackGraph:
    """The attack graph of one cluster's snapshot.

    ``findings`` (default: ``audit(snap)``) are joined to the edges: each edge lists the ids of the
    findings whose fix removes it. ``fixed`` removes the edges resting on those finding ids (a
    what-if: the graph once they are fixed).
    """
    if getattr(snap, "members", None):
        raise ValueError("attack_graph works on one cluster at a time: pass one member of the fleet snapshot")
    if findings is None:
        from ..findings import audit

        findings = audit(snap)
    with gc_paused():  # tens of thousands of small lists and dicts, no cycles
        return _attack_graph(snap, findings, fixed)


def _attack_graph(snap: Any, findings: pd.DataFrame, fixed: Iterable[str]) -> AttackGraph:
    raw = build_edges(snap)
    cols: list[list[Any]] = [raw[c].tolist() for c in ("source", "target", "kind", "certain", "evidence")]
    ids, checks = _join(raw["rests"].tolist(), findings)
    src, tgt, kind, certain, evidence = cols
    keep = merge_alike(list(zip(src, tgt, kind, ("|".join(sorted(x)) for x in ids))), certain, evidence)
    src, tgt, kind, certain, evidence, ids, checks = ([c[i] for i in keep] for c in (*cols, ids, checks))
    meta = {k.id: k for k in EDGE_KINDS.values()}
    structural = [meta[k].structural for k in kind]
    labels = {v: V.label(v) for v in dict.fromkeys(src + tgt)}
    e = pd.DataFrame(
        {
            "edge": np.arange(len(src), dtype=np.int64),
            "source": _objects(src),
            "target": _objects(tgt),
            "kind": pd.array(kind, dtype="str"),
            "group": pd.array([meta[k].group for k in kind], dtype="str"),
            "technique": pd.array([meta[k].technique for k in kind], dtype="str"),
            "attack": pd.array([", ".join(meta[k].attack) for k in kind], dtype="str"),
            "certain": np.array([bool(c) for c in certain], dtype=bool),
            "structural": np.array(structural, dtype=bool),
            "gap": np.array([not s and not f for s, f in zip(structural, ids)], dtype=bool),
            "evidence": _objects(evidence),
            "checks": _objects(checks),
            "finding_ids": _objects(ids),
            "source_label": pd.array([labels[v] for v in src], dtype="str"),
            "target_label": pd.array([labels[v] for v in tgt], dtype="str"),
        },
        columns=EDGES_FRAME_COLUMNS,
    )
    g = _assemble(e, snap.cluster, frozenset())
    g = g.without(fixed) if fixed else g
    g.incomplete = incomplete(snap)
    g.namespaces = _namespaces(snap, g)
    return g


def _namespaces(snap: Any, g: AttackGraph) -> frozenset[str] | None:
    """The namespaces of the snapshot: of every object while they are loaded, else (``k8saudit scan`` releases
    them) None, unknown."""
    from ..snapshot import SnapshotError

    try:
        return frozenset(snap.namespaces_named())
    except (SnapshotError, AttributeError):
        return None


def incomplete(snap: Any) -> list[str]:
    """What the snapshot could not read (kinds, objects, documents): steps through them are missing from the
    graph, so a path not found there is no proof that none exists."""
    out = []
    for r in snap.skipped_records:
        if r["category"] == "not_served":
            continue  # the server has no such kind: nothing is missing
        what = " ".join(
            str(x) for x in (r.get("kind"), "/".join(str(y) for y in (r.get("namespace"), r.get("name")) if y)) if x
        ) or str(r.get("source") or "a document")
        out.append(f"{what}: {r['reason']}")
    return out


def _assemble(e: pd.DataFrame, cluster: str, fixed: frozenset[str]) -> AttackGraph:
    g = AttackGraph()
    src, tgt = e["source"].tolist(), e["target"].tolist()
    verts = list(dict.fromkeys([*V.ENTRIES, V.CLUSTER_ADMIN, *src, *tgt]))
    types = [V.vtype(v) for v in verts]
    labels = [V.label(v) for v in verts]
    out_deg, in_deg = Counter(src), Counter(tgt)
    nf = pd.DataFrame(
        {
            "vertex": pd.array(verts, dtype="str"),
            "type": pd.array(types, dtype="str"),
            "label": pd.array(labels, dtype="str"),
            "namespace": pd.Series([V.namespace_of(v) for v in verts]),  # text, or nothing but missing values
            "is_entry": np.array([v in V.ENTRIES for v in verts], dtype=bool),
            "is_target": np.array([V.is_target(v) for v in verts], dtype=bool),
            "out_degree": np.array([out_deg[v] for v in verts], dtype=np.int64),
            "in_degree": np.array([in_deg[v] for v in verts], dtype=np.int64),
        },
        columns=NODES_FRAME_COLUMNS,
    )
    g.add_nodes_from((v, {"type": t, "label": lab}) for v, t, lab in zip(verts, types, labels))
    # the attributes live in edges_frame (g.edge_rows(ids)); the graph keeps the kind for quick filters
    g.add_edges_from((s, t, i, {"kind": k}) for s, t, i, k in zip(src, tgt, e["edge"].tolist(), e["kind"].tolist()))
    g.nodes_frame = nf
    g.edges_frame = e
    g.cluster = cluster
    g.fixed = fixed
    return g
