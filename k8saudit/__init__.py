"""k8saudit: Kubernetes security assessment in pandas frames, for Jupyter.

>>> import k8saudit as ka
>>> snap = ka.sample()            # the bundled sample cluster
>>> snap.workloads.head()         # tidy frames
>>> findings = ka.audit(snap)     # one findings DataFrame
"""

from __future__ import annotations

from .diff import diff, diff_text
from .frames import FRAMES, SCHEMAS, describe
from .snapshot import Snapshot, SnapshotError
from .sources import kubeconfig_users, load, load_cluster, load_clusters, sample, sample_path

__version__ = "0.1.0"

__all__ = [
    "FRAMES", "SCHEMAS", "Snapshot", "SnapshotError", "describe", "diff", "diff_text", "kubeconfig_users", "load", "load_cluster",
    "load_clusters", "sample",
    "sample_path", "__version__",
]
