"""Snapshot → tidy frames: one row per thing, flat snake_case columns, documented dtypes.

``FRAMES`` maps each frame's name to its builder; ``SCHEMAS`` documents every
column (name, dtype, meaning). Frames are built lazily by the snapshot
(``snap.workloads``) and cached.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from .. import _model as _m
from ._cluster import (
    build_apiserver,
    build_config_maps,
    build_kubeconfig_users,
    build_namespaces,
    build_network_policies,
    build_nodes,
    build_objects,
    build_pdbs,
    build_secrets,
    build_service_accounts,
    build_services,
    is_public_ip,
    parse_flags,
)
from ._rbac import build_rbac, cluster_role_rules, is_system_subject
from ._schema import SCHEMAS, columns, empty, make
from ._workloads import build_containers, build_env, build_volumes, build_workloads, workload_index

FRAMES: dict[str, Callable[[Any], pd.DataFrame]] = {
    "objects": build_objects,
    "workloads": build_workloads,
    "containers": build_containers,
    "env": build_env,
    "volumes": build_volumes,
    "rbac": build_rbac,
    "nodes": build_nodes,
    "services": build_services,
    "network_policies": build_network_policies,
    "namespaces": build_namespaces,
    "apiserver": build_apiserver,
    "kubeconfig_users": build_kubeconfig_users,
    "pdbs": build_pdbs,
    "service_accounts": build_service_accounts,
    "config_maps": build_config_maps,
    "secrets": build_secrets,
}

#: kinds whose objects make a workload (a pod spec owner, or a pod rolling up to one)
WORKLOAD_KINDS: tuple[str, ...] = ("Pod", *_m.POD_TEMPLATE_KINDS)
_RBAC_KINDS = ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")

#: frame → the kinds its builder reads to make its rows (and every column not listed in COLUMN_KINDS).
#: A kind that could not be read (or only in part) makes every check reading the frame not assessable
#: (or partial): the check runner derives each check's input kinds from this table.
FRAME_KINDS: dict[str, tuple[str, ...]] = {
    "objects": tuple(_m.KINDS),
    "workloads": WORKLOAD_KINDS,
    "containers": WORKLOAD_KINDS,
    "env": WORKLOAD_KINDS,
    "volumes": WORKLOAD_KINDS,
    "rbac": _RBAC_KINDS,
    "nodes": ("Node",),
    "services": ("Service",),
    "network_policies": ("NetworkPolicy",),
    # rows: declared namespaces and those objects live in; the checks keep those running workloads
    "namespaces": ("Namespace", *WORKLOAD_KINDS),
    "apiserver": ("Pod",),  # the kube-apiserver's static (mirror) pod
    "kubeconfig_users": (),  # from the kubeconfig file, not from the cluster
    "pdbs": ("PodDisruptionBudget",),
    "service_accounts": ("ServiceAccount",),
    "config_maps": ("ConfigMap",),
    "secrets": ("Secret",),
}

#: frame → column → further kinds that only this column reads: a check reading the column depends on them
COLUMN_KINDS: dict[str, dict[str, tuple[str, ...]]] = {
    "workloads": {
        "automount_sa_token": ("ServiceAccount",), "automount_source": ("ServiceAccount",),
        "pss_enforce": ("Namespace",), "pss_rejected": ("Namespace",),
    },
    "namespaces": {
        "network_policy_count": ("NetworkPolicy",), "default_deny_ingress": ("NetworkPolicy",),
        "default_deny_egress": ("NetworkPolicy",),
    },
}

__all__ = ["FRAMES", "FRAME_KINDS", "COLUMN_KINDS", "WORKLOAD_KINDS", "SCHEMAS", "columns", "empty", "make", "is_public_ip", "parse_flags", "cluster_role_rules",
           "is_system_subject", "workload_index", "describe"]


def describe(name: str | None = None) -> pd.DataFrame:
    """The documented columns of one frame (or of all): frame, column, dtype, description."""
    rows = [(f, c, d, text) for f, cols in SCHEMAS.items() if name in (None, f) for c, d, text in cols]
    return pd.DataFrame(rows, columns=["frame", "column", "dtype", "description"])
