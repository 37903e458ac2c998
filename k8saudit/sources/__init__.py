"""Where a Snapshot comes from: files, saved snapshots, the bundled sample, live clusters."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..snapshot import Snapshot, SnapshotError, is_saved_snapshot, looks_like_snapshot
from ._progress import Progress
from .files import load_paths, load_stream
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


__all__ = [
    "load",
    "load_cluster",
    "load_clusters",
    "load_stream",
    "list_contexts",
    "open_source",
    "parse_source",
    "sample",
    "sample_path",
    "sample_source",
    "Progress",
    "SAMPLES",
    "Source",
    "kubeconfig_users",
    "SnapshotError",
]


def load(
    *paths: str | os.PathLike[str],
    cluster: str | None = None,
    progress: Progress | None = None,
) -> Snapshot:
    """Load manifests, dumps or a saved snapshot.

    ``paths`` are files or directories (YAML, JSON, ``kubectl get -o json|yaml``
    output, ``helm template`` / ``kustomize build`` output), or one directory
    written by :meth:`Snapshot.save`. ``cluster`` names the cluster (default:
    the directory's name). One source string works too: ``load("sample:legacy")``,
    ``load("context:prod")``, ``load("-")`` (see :func:`parse_source`).
    """
    if not paths:
        raise SnapshotError("load() needs at least one path")
    if len(paths) == 1 and isinstance(paths[0], str) and paths[0].strip():
        src = parse_source(paths[0], must_exist=False)
        if src.kind != "path":
            return open_source(src, cluster=cluster, progress=progress)
    return _load_files(paths, cluster=cluster, progress=progress)


def _load_files(
    paths: tuple[str | os.PathLike[str], ...], *, cluster: str | None, progress: Progress | None
) -> Snapshot:
    if len(paths) == 1 and is_saved_snapshot(paths[0]):
        snap = Snapshot.read(paths[0])
        if cluster:
            snap.cluster = cluster
        return snap
    for p in paths:
        if looks_like_snapshot(p):
            if is_saved_snapshot(p):
                raise SnapshotError(f"{p}: a saved snapshot is loaded on its own, not with other paths")
            raise SnapshotError(
                f"{p}: looks like a saved snapshot's object files but has no snapshot.json: "
                "not a readable snapshot (load the directory that holds snapshot.json)"
            )
    return load_paths(list(paths), cluster=cluster, progress=progress)


#: the bundled samples: name -> (directory under data/, when it was "captured"; fixed, so outputs are reproducible)
SAMPLES: dict[str, tuple[str, str]] = {
    "main": ("sample-cluster", "2026-11-20T09:00:00Z"),
    "legacy": ("legacy-cluster", "2026-11-20T09:30:00Z"),
}


def _sample_dir(name: str) -> str:
    if name not in SAMPLES:
        raise SnapshotError(f"no bundled sample {name!r}; samples: {', '.join(SAMPLES)}")
    return SAMPLES[name][0]


def sample_path(name: str = "main") -> Path:
    """A bundled sample cluster's directory (inside the installed package, or the checkout's data/)."""
    d = _sample_dir(name)
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "_sample" / d, here.parent / "data" / d):
        if candidate.is_dir():
            return candidate
    raise SnapshotError(f"the bundled sample {d} is missing from this installation")


def sample(name: str = "main") -> Snapshot:
    """A bundled sample cluster: ``"main"`` (the default: a current kubeadm cluster with deliberate
    misconfigurations) or ``"legacy"`` (an old self-managed 1.15 cluster: ABAC, AlwaysAllow, basic-auth and
    token files, the insecure port, no admission policy). data/README.md tells both stories."""
    d = _sample_dir(name)
    snap = load(sample_path(name), cluster=d)
    snap.captured_at = SAMPLES[name][1]
    snap.source = f"bundled sample (data/{d})"
    snap.meta["sample"] = d
    return snap


def sample_source(source: str) -> str | None:
    """The sample a source string names (``sample`` or ``sample:main``: "main"; ``sample:legacy``: "legacy"),
    else None; an unknown sample name raises :class:`SnapshotError`. See :func:`parse_source`."""
    src = parse_source(source, must_exist=False)
    return src.name if src.kind == "sample" else None


from .spec import Source, open_source, parse_source  # noqa: E402  (spec reads SAMPLES and load above)
