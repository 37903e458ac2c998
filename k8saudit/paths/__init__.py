"""Attack paths: which findings chain into a cluster takeover, and the fewest fixes that break every chain.

>>> g = ka.attack_graph(snap)          # networkx.MultiDiGraph; g.nodes_frame, g.edges_frame, g.gaps
>>> paths = ka.attack_paths(snap)      # one row per path: entry, target, length, steps, techniques, finding ids
>>> ka.prioritize(findings, snap)      # findings + on_attack_path, paths_through, priority
>>> ka.attack_cut(snap)                # the fewest findings whose fixes break every breakable path

Every edge kind is a small function over frames registered with its technique, MITRE ATT&CK for
Containers id and the checks whose findings it rests on (``EDGE_KINDS``; docs/attack-paths.md).
"""

from __future__ import annotations

# importing the edge modules registers their kinds, in this order
from . import _exposure, _tokens, _escape, _rbac, _wiring  # noqa: F401  isort: skip
from ._cut import AttackCut, attack_cut, min_fix_set
from ._graph import AttackGraph, attack_graph
from ._paths import attack_paths, prioritize
from ._registry import ATTACK, EDGE_KINDS, EdgeKind

__all__ = [
    "ATTACK",
    "AttackCut",
    "AttackGraph",
    "attack_cut",
    "min_fix_set",
    "EDGE_KINDS",
    "EdgeKind",
    "attack_graph",
    "attack_paths",
    "prioritize",
]
