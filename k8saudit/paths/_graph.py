"""attack_graph(): run every edge kind over a snapshot's frames → a networkx MultiDiGraph, with tidy frames."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from .._util import gc_paused
from . import _vertices as V
from ._context import Context
from ._registry import EDGE_KINDS, EdgeKind

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
    parts = [_run(k, ctx) for k in EDGE_KINDS.values() if k.id not in LATE and k.id in wanted]
    ctx.sources = set().union(*(set(p["source"]) for p in parts)) if parts else set()
    ctx.targets = set().union(*(set(p["target"]) for p in parts)) if parts else set()
    for kid in LATE:
        if kid not in wanted:
            continue
        p = _run(EDGE_KINDS[kid], ctx)
        parts.append(p)
        ctx.sources |= set(p["source"])
        ctx.targets |= set(p["target"])
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=["source", "target", "certain", "evidence", "rests", "kind"])
    return pd.concat(parts, ignore_index=True)


def _norm(s: pd.Series) -> pd.Series:
    return s.astype(object).where(s.notna(), "").astype(str)


def columns_of(df: pd.DataFrame, names: Iterable[str]) -> dict[str, pd.Series]:
    """Columns of ``df`` without a copy of ``df.attrs`` per column (the findings' per-check stats and
    skipped items: pandas deep-copies them into every Series taken from the frame)."""
    if df.attrs:
        df = df.copy(deep=False)  # one copy of the attrs, then none
        df.attrs = {}
    return {c: df[c] for c in names}


def join_findings(raw: pd.DataFrame, findings: pd.DataFrame) -> pd.DataFrame:
    """Add ``finding_ids`` and ``checks`` to raw edges: the findings matching each edge's ``rests`` keys."""
    n = len(raw)
    rests = raw["rests"].tolist()
    counts = [len(rs) for rs in rests]
    flat = [r for rs in rests for r in rs]
    ids: list[list[str]] = [[] for _ in range(n)]
    checks: list[list[str]] = [[] for _ in range(n)]
    if flat and len(findings):
        k = pd.DataFrame(flat, columns=["check_id", "kind", "namespace", "name", "container"], dtype=object)
        k["_e"] = np.repeat(np.arange(n), counts)
        # a bare copy of the columns: findings.attrs (per-check stats) would be deep-copied by every operation;
        # only the findings of the checks some edge rests on (the merge matches check_id exactly)
        bare = columns_of(findings, ("check_id", "kind", "namespace", "name", "container", "finding_id"))
        wanted = _norm(bare["check_id"]).isin(set(_norm(k["check_id"]))).to_numpy()
        f = pd.DataFrame({c: v.to_numpy()[wanted] for c, v in bare.items()})
        on = ["check_id", "kind", "namespace", "name"]
        left = k.assign(**{c: _norm(k[c]) for c in on}, container=_norm(k["container"]))
        right = f.assign(**{c: _norm(f[c]) for c in on}, _fc=_norm(f["container"]))[on + ["_fc", "finding_id"]]
        m = left.merge(right, on=on)
        m = m[(m["container"] == "") | (m["container"] == m["_fc"])].drop_duplicates(["_e", "finding_id"])
        for e, fid, cid in zip(m["_e"].tolist(), m["finding_id"].tolist(), m["check_id"].tolist()):
            ids[e].append(fid)
            if cid not in checks[e]:
                checks[e].append(cid)
    out = raw.drop(columns=["rests"]).copy()
    out["finding_ids"] = pd.Series(ids, index=out.index, dtype=object)
    out["checks"] = pd.Series(checks, index=out.index, dtype=object)
    return out


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
    e = join_findings(raw, findings)
    # the same step resting on the same findings (two rules, two bindings without findings) is one edge:
    # certain when any of them is, its evidence the first one's and how many more say the same
    e = e.assign(_f=e["finding_ids"].map(lambda x: "|".join(sorted(x))))
    key = ["source", "target", "kind", "_f"]
    dup = e.duplicated(key, keep=False).to_numpy()
    if dup.any():  # only the rows that have twins are grouped
        d = e[dup]
        grp = d.groupby(key, sort=False)["certain"]
        first = ~d.duplicated(key).to_numpy()
        rows = d.index[first]
        e.loc[rows, "certain"] = grp.transform("any").to_numpy()[first].astype(bool)
        extra = grp.transform("size").to_numpy()[first] - 1
        e.loc[rows, "evidence"] = d["evidence"].to_numpy()[first] + [f" (and {n} more alike)" for n in extra]
        keep = ~dup
        keep[np.flatnonzero(dup)[first]] = True
        e = e[keep]
    e = e.drop(columns=["_f"]).reset_index(drop=True)
    kinds = EDGE_KINDS.values()
    e["group"] = e["kind"].map({k.id: k.group for k in kinds})
    e["technique"] = e["kind"].map({k.id: k.technique for k in kinds})
    e["attack"] = e["kind"].map({k.id: ", ".join(k.attack) for k in kinds})
    e["structural"] = e["kind"].map({k.id: k.structural for k in kinds}).astype(bool)
    e["gap"] = (~e["structural"] & (e["finding_ids"].map(len) == 0)).astype(bool)
    e["certain"] = e["certain"].astype(bool)
    labels = {v: V.label(v) for v in pd.unique(pd.concat([e["source"], e["target"]], ignore_index=True))}
    e["source_label"] = e["source"].map(labels)
    e["target_label"] = e["target"].map(labels)
    e["edge"] = range(len(e))
    e = e[EDGES_FRAME_COLUMNS]
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
    verts = pd.unique(
        pd.concat(
            [pd.Series(list(V.ENTRIES) + [V.CLUSTER_ADMIN], dtype=object), e["source"], e["target"]], ignore_index=True
        )
    )
    nf = pd.DataFrame({"vertex": verts})
    nf["type"] = nf["vertex"].map(V.vtype)
    nf["label"] = nf["vertex"].map(V.label)
    nf["namespace"] = nf["vertex"].map(V.namespace_of)
    nf["is_entry"] = nf["vertex"].isin(V.ENTRIES)
    nf["is_target"] = nf["vertex"].map(V.is_target).astype(bool)
    nf["out_degree"] = nf["vertex"].map(e["source"].value_counts()).fillna(0).astype(int)
    nf["in_degree"] = nf["vertex"].map(e["target"].value_counts()).fillna(0).astype(int)
    g.add_nodes_from((v, {"type": t, "label": lab}) for v, t, lab in zip(nf["vertex"], nf["type"], nf["label"]))
    # the attributes live in edges_frame (g.edge_rows(ids)); the graph keeps the kind for quick filters
    g.add_edges_from(
        (s, t, i, {"kind": k})
        for s, t, i, k in zip(e["source"].tolist(), e["target"].tolist(), e["edge"].tolist(), e["kind"].tolist())
    )
    g.nodes_frame = nf[NODES_FRAME_COLUMNS]
    g.edges_frame = e
    g.cluster = cluster
    g.fixed = fixed
    return g
