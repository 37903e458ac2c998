"""k8saudit: Kubernetes security assessment in pandas frames, for Jupyter.

>>> import k8saudit as ka
>>> snap = ka.sample()            # the bundled sample cluster (ka.sample("legacy"): an old 1.15 one; or ka.load(path), ka.load_cluster(context=...))
>>> snap.workloads.head()         # tidy frames
>>> findings = ka.audit(snap)     # one findings DataFrame
>>> ka.scorecard(findings)        # per practice: evaluated, failing, score
>>> ka.compliance(findings, "cis")  # per control of a framework (cis, nsa, pss, mitre): status, checks, failing objects
>>> ka.export(findings, "report.html", snapshot=snap)
>>> ka.attack_paths(snap)        # which findings chain into a takeover; ka.attack_cut(snap): the fewest fixes
>>> fleet = ka.fleet.audit(ka.fleet.sample())   # many clusters on Dask (imported on first use)
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name → the module that defines it. Nothing is imported until a name is first used (PEP 562), so
#: ``import k8saudit`` is cheap and a command loads only what it needs: pandas with the first frame,
#: networkx with the first attack graph, plotly with the first chart, Dask with the first fleet.
_LAZY: dict[str, str] = {
    "CHECKS": ".checks",
    "diff": ".diff",
    "diff_text": ".diff",
    "export": ".export",
    "read_findings": ".export",
    "NoObjectsError": ".findings",
    "audit": ".findings",
    "check_stats": ".findings",
    "is_partial": ".findings",
    "load_waivers": ".findings",
    "not_assessed": ".findings",
    "scorecard": ".findings",
    "FRAMES": ".frames",
    "SCHEMAS": ".frames",
    "describe": ".frames",
    "FRAMEWORKS": ".frameworks",
    "compliance": ".frameworks",
    "compliance_summary": ".frameworks",
    "EDGE_KINDS": ".paths",
    "attack_cut": ".paths",
    "attack_graph": ".paths",
    "attack_paths": ".paths",
    "prioritize": ".paths",
    "Snapshot": ".snapshot",
    "SnapshotError": ".snapshot",
    "kubeconfig_users": ".sources",
    "load": ".sources",
    "load_cluster": ".sources",
    "load_clusters": ".sources",
    "sample": ".sources",
    "sample_path": ".sources",
    "FINDINGS_COLUMNS": ".vocab",
    "PRACTICES": ".vocab",
    "SEVERITIES": ".vocab",
}
#: submodules that are public names themselves (``ka.workshop.progress()``, ``ka.fleet.audit(...)``)
_SUBMODULES = ("vocab", "workshop", "fleet")

if TYPE_CHECKING:  # what the names are, for type checkers and editors
    from . import fleet as fleet
    from . import vocab, workshop
    from .checks import CHECKS
    from .diff import diff, diff_text
    from .export import export, read_findings
    from .findings import NoObjectsError, audit, check_stats, is_partial, load_waivers, not_assessed, scorecard
    from .frames import FRAMES, SCHEMAS, describe
    from .frameworks import FRAMEWORKS, compliance, compliance_summary
    from .paths import EDGE_KINDS, attack_cut, attack_graph, attack_paths, prioritize
    from .snapshot import Snapshot, SnapshotError
    from .sources import kubeconfig_users, load, load_cluster, load_clusters, sample, sample_path
    from .vocab import FINDINGS_COLUMNS, PRACTICES, SEVERITIES


def __getattr__(name: str) -> Any:
    """The public names, imported on first use (``ka.fleet`` brings Dask, ``ka.attack_graph`` networkx)."""
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    elif name in _SUBMODULES:
        value = importlib.import_module("." + name, __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | set(_SUBMODULES))


class _Package(types.ModuleType):
    """``ka.export`` and ``ka.diff`` are functions named like the submodules that define them: importing the
    submodule (``from k8saudit.export import ...``) must not replace the function by the module."""

    def __setattr__(self, name: str, value: object) -> None:
        if name in _LAZY and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

__all__ = [
    "CHECKS",
    "EDGE_KINDS",
    "FINDINGS_COLUMNS",
    "FRAMES",
    "FRAMEWORKS",
    "PRACTICES",
    "SCHEMAS",
    "NoObjectsError",
    "Snapshot",
    "SnapshotError",
    "attack_cut",
    "attack_graph",
    "attack_paths",
    "audit",
    "check_stats",
    "compliance",
    "compliance_summary",
    "describe",
    "diff",
    "diff_text",
    "export",
    "is_partial",
    "kubeconfig_users",
    "load",
    "load_cluster",
    "load_clusters",
    "load_waivers",
    "not_assessed",
    "prioritize",
    "read_findings",
    "sample",
    "sample_path",
    "scorecard",
    "workshop",
    "SEVERITIES",
    "vocab",
    "__version__",
]
