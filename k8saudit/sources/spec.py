"""One reading of a source string, shared by the command line, the notebooks, the dashboard and ``ka.load``.

A source string is one of:

- ``sample`` (or ``sample:NAME``): a bundled sample cluster (``sample:legacy``: the old 1.15 one);
- ``context:NAME``: a live cluster through a kubeconfig context (``context:`` alone: the current one);
- ``-``: manifests on standard input (YAML or JSON);
- anything else: a path (manifests, a ``kubectl get -o json|yaml`` dump, a saved snapshot directory).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

from ..snapshot import Snapshot, SnapshotError
from ._progress import Progress

Kind = Literal["sample", "context", "stdin", "path"]

#: how a bad source is explained
FORMS = "'sample', 'sample:NAME', 'context:NAME', a path or '-' (standard input)"


@dataclass(frozen=True)
class Source:
    """A parsed source string: ``kind`` and its ``name`` (the sample, the context (None: the current one),
    or the path)."""

    kind: Kind
    name: str | None = None

    def __str__(self) -> str:
        if self.kind == "stdin":
            return "-"
        if self.kind == "path":
            return str(self.name)
        if self.kind == "sample" and self.name == "main":
            return "sample"
        return f"{self.kind}:{self.name or ''}"


def parse_source(
    text: str | os.PathLike[str], *, root: str | os.PathLike[str] | None = None, must_exist: bool = True
) -> Source:
    """Read a source string; a bad one raises :class:`SnapshotError` naming it and the forms a source takes.

    A relative path that does not exist here is also looked up under ``root`` (the notebooks pass the
    checkout's root). With ``must_exist=False`` a missing path is returned as is (``ka.load`` records it as
    skipped).
    """
    from . import SAMPLES

    if isinstance(text, os.PathLike):
        return _path(Path(text), str(text), root, must_exist)
    s = text.strip()
    if s in ("", "sample"):
        return Source("sample", "main")
    head, sep, rest = s.partition(":")
    if sep and head == "sample":
        name = rest.strip() or "main"
        if name not in SAMPLES:
            raise SnapshotError(f"{s}: no bundled sample {name!r}; samples: {', '.join(SAMPLES)}")
        return Source("sample", name)
    if sep and head == "context":
        return Source("context", rest.strip() or None)
    if s == "-":
        return Source("stdin")
    return _path(Path(s).expanduser(), s, root, must_exist)


def _path(path: Path, text: str, root: str | os.PathLike[str] | None, must_exist: bool) -> Source:
    if not path.exists() and not path.is_absolute() and root is not None and (Path(root) / path).exists():
        path = Path(root) / path
    if must_exist and not path.exists():
        raise SnapshotError(f"{text}: no such file or directory (a source is {FORMS})")
    return Source("path", str(path))


def open_source(
    source: str | os.PathLike[str] | Source,
    *,
    cluster: str | None = None,
    progress: Progress | None = None,
    root: str | os.PathLike[str] | None = None,
    stdin: IO[bytes] | None = None,
    **live: Any,
) -> Snapshot:
    """Load what a source string names (see :func:`parse_source`); ``live`` goes to
    :func:`k8saudit.sources.live.load_cluster` (``kubeconfig``, ``namespaces``, ...)."""
    from . import _load_files, load_stream, sample

    src = source if isinstance(source, Source) else parse_source(source, root=root)
    if src.kind == "sample":
        snap = sample(src.name or "main")
        if cluster:
            snap.cluster = cluster
        return snap
    if src.kind == "context":
        try:
            from .live import load_cluster
        except ImportError as e:
            raise SnapshotError(f"cannot read a live cluster: {e}") from None
        return load_cluster(context=src.name, cluster=cluster, progress=progress, **live)
    if src.kind == "stdin":
        return load_stream(stdin if stdin is not None else sys.stdin.buffer, cluster=cluster, progress=progress)
    return _load_files((src.name or "",), cluster=cluster, progress=progress)
