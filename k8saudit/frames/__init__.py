"""Snapshot → tidy frames: one row per thing, flat snake_case columns, documented dtypes.

Each frame is one declarative spec (:class:`FrameSpec`, see :mod:`k8saudit.frames._spec`): its
columns with their dtypes and meaning, the key columns of the object a row is about, the kinds that
feed it, and its builder. The specs below are the one list; everything else is read from it:
``FRAMES`` (name → builder of the DataFrame), ``SCHEMAS`` (name → documented columns),
:func:`describe`, the snapshot's accessors (``snap.workloads``), the input kinds of each check, and
the runner's count of the objects a check evaluated. Frames are built lazily by the snapshot and cached.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from .._network import is_public_ip
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
    parse_flags,
)
from ._rbac import build_rbac, cluster_role_rules, is_system_subject
from ._spec import (
    SPECS,
    Column,
    Derived,
    FrameSpec,
    SnapshotView,
    _View,
    frame,
    on_register,
    register,
    spec,
    unregister,
)
from ._workloads import (
    WORKLOAD_KINDS,
    WORKLOADS_INDEX,
    build_containers,
    build_env,
    build_volumes,
    build_workloads,
    workload_index,
)

# the one list of frames, in the order they are documented and listed
register(
    build_objects,
    build_workloads,
    build_containers,
    build_env,
    build_volumes,
    build_rbac,
    build_nodes,
    build_services,
    build_network_policies,
    build_namespaces,
    build_apiserver,
    build_kubeconfig_users,
    build_pdbs,
    build_service_accounts,
    build_config_maps,
    build_secrets,
)

#: frame → its builder (snapshot → DataFrame)
FRAMES: Mapping[str, Callable[[Any], pd.DataFrame]] = _View(lambda s: s, "builders")
#: frame → its documented columns: (name, dtype, description)
SCHEMAS: Mapping[str, list[tuple[str, str, str]]] = _View(lambda s: s.schema, "schemas")
#: frame → the kinds its builder reads to make its rows (and every column that names none of its own).
#: A kind that could not be read (or only in part) makes every check reading the frame not assessable
#: (or partial): the check runner derives each check's input kinds from it.
FRAME_KINDS: Mapping[str, tuple[str, ...]] = _View(lambda s: s.kinds, "kinds")
#: frame → column → further kinds that only this column reads: a check reading the column depends on them
COLUMN_KINDS: Mapping[str, dict[str, tuple[str, ...]]] = _View(lambda s: s.column_kinds, "column kinds")

__all__ = [
    "FRAMES",
    "SPECS",
    "FRAME_KINDS",
    "COLUMN_KINDS",
    "WORKLOAD_KINDS",
    "SCHEMAS",
    "Column",
    "Derived",
    "FrameSpec",
    "SnapshotView",
    "WORKLOADS_INDEX",
    "columns",
    "empty",
    "frame",
    "register",
    "unregister",
    "on_register",
    "spec",
    "is_public_ip",
    "parse_flags",
    "cluster_role_rules",
    "is_system_subject",
    "workload_index",
    "describe",
]


def columns(name: str) -> list[str]:
    """The column names of a frame, in order."""
    return spec(name).column_names


def empty(name: str) -> pd.DataFrame:
    """A frame with no rows (its columns and dtypes)."""
    return spec(name).empty()


def describe(name: str | None = None) -> pd.DataFrame:
    """The documented columns of one frame (or of all): frame, column, dtype, description."""
    rows = [
        (s.name, c.name, c.dtype, c.description) for s in SPECS.values() if name in (None, s.name) for c in s.columns
    ]
    return pd.DataFrame(rows, columns=["frame", "column", "dtype", "description"])
