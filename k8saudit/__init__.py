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

from . import vocab
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

from . import workshop  # isort: skip  (ka.workshop.progress(); imported last)

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """``ka.fleet`` is imported on first use: it brings Dask, which a single-cluster audit never needs."""
    if name == "fleet":
        import importlib

        return importlib.import_module(".fleet", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
