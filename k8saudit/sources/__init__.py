"""Where a Snapshot comes from: files, saved snapshots, the bundled sample, live clusters."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..snapshot import Snapshot, SnapshotError, is_saved_snapshot
from .files import Progress, load_paths
from .kubeconfig import kubeconfig_users

# the live loader (and the kubernetes client it imports) loads on first use: file scans start faster


def load_cluster(*args: Any, **kwargs: Any) -> Snapshot:
    """Read a live cluster: see :func:`k8saudit.sources.live.load_cluster`."""
    from .live import load_cluster as _load_cluster

    return _load_cluster(*args, **kwargs)


def load_clusters(*args: Any, **kwargs: Any) -> Snapshot:
    """Read several contexts into one snapshot: see :func:`k8saudit.sources.live.load_clusters`."""
    from .live import load_clusters as _load_clusters

    return _load_clusters(*args, **kwargs)


def list_contexts(*args: Any, **kwargs: Any) -> list[str]:
    """The contexts of a kubeconfig: see :func:`k8saudit.sources.live.list_contexts`."""
    from .live import list_contexts as _list_contexts

    return _list_contexts(*args, **kwargs)

__all__ = ["load", "load_cluster", "load_clusters", "list_contexts", "sample", "sample_path", "kubeconfig_users",
           "SnapshotError"]


def load(
    *paths: str | os.PathLike[str],
    cluster: str | None = None,
    progress: Progress | None = None,
) -> Snapshot:
    """Load manifests, dumps or a saved snapshot.

    ``paths`` are files or directories (YAML, JSON, ``kubectl get -o json|yaml``
    output, ``helm template`` / ``kustomize build`` output), or one directory
    written by :meth:`Snapshot.save`. ``cluster`` names the cluster (default:
    the directory's name).
    """
    if not paths:
        raise SnapshotError("load() needs at least one path")
    if len(paths) == 1 and is_saved_snapshot(paths[0]):
        snap = Snapshot.read(paths[0])
        if cluster:
            snap.cluster = cluster
        return snap
    return load_paths(list(paths), cluster=cluster, progress=progress)


def sample_path() -> Path:
    """The bundled sample cluster's directory (inside the installed package, or the checkout's data/)."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "_sample" / "sample-cluster", here.parent / "data" / "sample-cluster"):
        if candidate.is_dir():
            return candidate
    raise SnapshotError("the bundled sample cluster is missing from this installation")


#: when the bundled sample was "captured" (fixed, so outputs on the sample are reproducible)
SAMPLE_CAPTURED_AT = "2026-11-20T09:00:00Z"


def sample() -> Snapshot:
    """The bundled sample cluster: a realistic capture with deliberate misconfigurations."""
    snap = load(sample_path(), cluster="sample-cluster")
    snap.captured_at = SAMPLE_CAPTURED_AT
    snap.source = "bundled sample (data/sample-cluster)"
    return snap
