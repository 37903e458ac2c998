"""k8saudit: Kubernetes security assessment in pandas frames, for Jupyter.

>>> import k8saudit as ka
>>> snap = ka.sample()            # the bundled sample cluster (ka.sample("legacy"): an old 1.15 one; or ka.load(path), ka.load_cluster(context=...))
>>> snap.workloads.head()         # tidy frames
>>> findings = ka.audit(snap)     # one findings DataFrame
>>> ka.scorecard(findings)        # per practice: evaluated, failing, score
>>> ka.export(findings, "report.html", snapshot=snap)
"""

from __future__ import annotations

from . import vocab
from .checks import CHECKS
from .diff import diff, diff_text
from .export import export, read_findings
from .findings import NoObjectsError, audit, check_stats, is_partial, load_waivers, not_assessed, scorecard
from .frames import FRAMES, SCHEMAS, describe
from .snapshot import Snapshot, SnapshotError
from .sources import kubeconfig_users, load, load_cluster, load_clusters, sample, sample_path
from .vocab import FINDINGS_COLUMNS, PRACTICES, SEVERITIES

from . import workshop  # isort: skip  (ka.workshop.progress(); imported last)

__version__ = "0.1.0"

__all__ = [
    "CHECKS", "FINDINGS_COLUMNS", "FRAMES", "PRACTICES", "SCHEMAS", "NoObjectsError", "Snapshot", "SnapshotError",
    "audit", "check_stats", "describe", "diff", "diff_text", "export", "is_partial", "kubeconfig_users", "load",
    "load_cluster", "load_clusters", "load_waivers", "not_assessed", "read_findings", "sample", "sample_path", "scorecard", "workshop",
    "SEVERITIES", "vocab", "__version__",
]
