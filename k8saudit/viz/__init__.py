"""Plotly figures of findings and frames: pure functions returning ``go.Figure``.

Every chart uses the same severity colours (``SEVERITY_COLORS``, shared with the
exports): a bad state is drawn in the colour of the severity of the check that
reports it, a good state in green.

>>> from k8saudit import viz
>>> viz.severity_heatmap(findings).show()
>>> viz.practice_chart(5, snap).show()      # the main chart of practice 5
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go

from ..snapshot import Snapshot
from ._base import CLUSTER_SCOPED, OK_COLOR, SEVERITY_COLORS, SEVERITY_ORDER, practice_label
from ._cluster import COVERAGE, apiserver_flags, exposed_services, network_coverage, rollout
from ._overview import (
    PSS_COLORS,
    PSS_LEVELS,
    findings_by_namespace,
    pss_levels,
    scorecard_bar,
    severity_counts,
    severity_heatmap,
)
from ._paths import attack_graph_figure
from ._pods import (
    SECRET_PATHS,
    capabilities,
    check_color,
    exempt_objects,
    host_namespaces,
    keeps_net_raw,
    privilege_matrix,
    proc_mount,
    rootfs_by_namespace,
    secrets_sources,
)
from ._rbac import CLUSTER_WIDE_LINK, NAMESPACED_LINK, PERMISSIONS, permissions_of, rbac_permissions, rbac_sankey

#: the main chart of each practice, drawn from a snapshot (and its findings, to mark exempt objects)
PRACTICE_CHARTS: dict[int, Callable[[Snapshot, pd.DataFrame | None], go.Figure]] = {
    1: lambda s, f: secrets_sources(s.env, s.volumes),
    2: lambda s, f: apiserver_flags(s.apiserver),
    3: lambda s, f: capabilities(s.containers),
    4: lambda s, f: host_namespaces(s.workloads, s.containers, f),
    5: lambda s, f: rbac_sankey(s.rbac),
    6: lambda s, f: rootfs_by_namespace(s.containers),
    7: lambda s, f: network_coverage(s.namespaces),
    8: lambda s, f: privilege_matrix(s.containers, f),
    9: lambda s, f: proc_mount(s.containers),
    10: lambda s, f: rollout(s.workloads),
}


def practice_chart(practice: int, snap: Snapshot, findings: pd.DataFrame | None = None) -> go.Figure:
    """The main chart of one practice (1-10) for a snapshot; ``findings`` marks exempt objects where it helps."""
    try:
        chart = PRACTICE_CHARTS[practice]
    except KeyError:
        raise ValueError(f"practice must be 1-10, not {practice!r}") from None
    return chart(snap, findings)


__all__ = [
    "SEVERITY_COLORS",
    "SEVERITY_ORDER",
    "OK_COLOR",
    "CLUSTER_SCOPED",
    "PSS_LEVELS",
    "PSS_COLORS",
    "SECRET_PATHS",
    "COVERAGE",
    "PERMISSIONS",
    "CLUSTER_WIDE_LINK",
    "NAMESPACED_LINK",
    "PRACTICE_CHARTS",
    "practice_chart",
    "practice_label",
    "check_color",
    "severity_heatmap",
    "severity_counts",
    "findings_by_namespace",
    "pss_levels",
    "scorecard_bar",
    "secrets_sources",
    "apiserver_flags",
    "capabilities",
    "keeps_net_raw",
    "host_namespaces",
    "rbac_sankey",
    "rbac_permissions",
    "permissions_of",
    "exempt_objects",
    "rootfs_by_namespace",
    "network_coverage",
    "exposed_services",
    "privilege_matrix",
    "proc_mount",
    "rollout",
    "attack_graph_figure",
]
