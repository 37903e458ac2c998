"""What a fleet audits: source strings → one :class:`ClusterSource` per cluster, named uniquely.

A source is ``context:NAME`` (a live cluster read on the worker through a kubeconfig context),
a path (a saved snapshot directory, manifests or ``kubectl get -o json`` dumps), a glob of paths
(``snapshots/edge-*``: one cluster per match), a :class:`~k8saudit.snapshot.Snapshot` already in
memory, the word ``sample`` (the bundled fleet) or ``sample:NAME`` (one bundled sample cluster). A mapping
``{name: source}`` names the clusters itself, and so does a ``(name, source)`` pair among the sources.
"""

from __future__ import annotations

import glob
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union

from ..snapshot import Snapshot, SnapshotError, is_saved_snapshot

SourceKind = Literal["context", "path", "snapshot"]
SourceLike = Union[str, "os.PathLike[str]", Snapshot]

CONTEXT_PREFIX = "context:"


class FleetSourceError(ValueError):
    """A fleet's sources cannot be resolved (no match, duplicate names); the message says which."""


@dataclass(frozen=True)
class ClusterSource:
    """One cluster of a fleet: where a worker reads it from, and the name it gets."""

    cluster: str
    kind: SourceKind
    #: context name (``context``) or path (``path``); for ``snapshot``: where it came from
    location: str
    kubeconfig: str | None = None
    namespaces: tuple[str, ...] | None = None
    snapshot: Snapshot | None = field(default=None, compare=False, repr=False)

    @property
    def label(self) -> str:
        return f"{CONTEXT_PREFIX}{self.location}" if self.kind == "context" else self.location


def resolve(
    sources: Iterable[SourceLike] | Mapping[str, SourceLike] | SourceLike,
    *,
    all_contexts: bool = False,
    kubeconfig: str | os.PathLike[str] | None = None,
    namespaces: Iterable[str] | None = None,
) -> list[ClusterSource]:
    """Expand globs, ``context:NAME``, ``sample`` and ``all_contexts`` into named cluster sources.

    Names: a context's kubeconfig cluster (its context name when two contexts share one, as
    ``load_clusters`` does), a saved snapshot's own cluster name, else the directory or file
    name. Two sources that end up with one name are an error: pass ``{name: source}`` instead.
    """
    kc = str(kubeconfig) if kubeconfig is not None else None
    ns = tuple(dict.fromkeys(namespaces)) if namespaces else None
    named: list[tuple[str | None, SourceLike]]
    if isinstance(sources, Mapping):
        named = [(str(k), v) for k, v in sources.items()]
    elif isinstance(sources, (str, os.PathLike, Snapshot)):
        named = [(None, sources)]
    else:  # a (name, source) pair names one cluster among unnamed ones
        named = [(str(s[0]), s[1]) if isinstance(s, tuple) and len(s) == 2 else (None, s) for s in sources]
    contexts: list[tuple[str | None, str]] = []
    out: list[ClusterSource | int] = []  # an int: the place of contexts[i], named once all are known
    for name, src in named:
        if isinstance(src, Snapshot):
            if src.members:
                out.extend(ClusterSource(s.cluster, "snapshot", s.source or s.cluster, snapshot=s) for s in src.members)
            else:
                out.append(ClusterSource(name or src.cluster, "snapshot", src.source or src.cluster, snapshot=src))
            continue
        text = os.fspath(src)
        if text.startswith(CONTEXT_PREFIX):
            ctx = text[len(CONTEXT_PREFIX) :].strip()
            if not ctx:
                raise FleetSourceError(f"{text!r}: name the context (context:NAME)")
            out.append(len(contexts))
            contexts.append((name, ctx))
        elif text == "sample":
            from ._sample import sample

            out.extend(ClusterSource(p.name, "path", str(p)) for p in sample())
        elif text.startswith("sample:"):  # one bundled sample cluster (sample:main, sample:legacy)
            from ..sources import sample_path

            try:
                where = sample_path(text[len("sample:") :])
            except SnapshotError as e:
                raise FleetSourceError(f"{text}: {e}") from None
            out.append(ClusterSource(name or where.name, "path", str(where)))
        elif glob.has_magic(text):
            matches = sorted(glob.glob(os.path.expanduser(text)))
            if not matches:
                raise FleetSourceError(f"{text}: matches no file or directory")
            if name is not None and len(matches) > 1:
                raise FleetSourceError(f"{name}: {text} matches {len(matches)} paths; name one cluster per path")
            out.extend(ClusterSource(name or _path_name(p), "path", p) for p in matches)
        else:
            p = os.path.expanduser(text)
            if not Path(p).exists():
                raise FleetSourceError(f"{text}: no such file or directory")
            out.append(ClusterSource(name or _path_name(p), "path", p))
    if all_contexts:
        from ..sources import list_contexts

        known = {c for _, c in contexts}
        for c in list_contexts(kc):
            if c not in known:
                out.append(len(contexts))
                contexts.append((None, c))
    names = _context_names([c for _, c in contexts], kc) if contexts else {}
    resolved = [
        x
        if isinstance(x, ClusterSource)
        else ClusterSource(
            contexts[x][0] or names[contexts[x][1]], "context", contexts[x][1], kubeconfig=kc, namespaces=ns
        )
        for x in out
    ]
    seen: dict[str, str] = {}
    for s in resolved:
        if s.cluster in seen:
            raise FleetSourceError(
                f"two sources are both named {s.cluster!r} ({seen[s.cluster]} and {s.label}): "
                "name them with a mapping, e.g. audit({'edge-1': ..., 'edge-2': ...}), or with (name, source) pairs"
            )
        seen[s.cluster] = s.label
    if not resolved:
        raise FleetSourceError(
            "no cluster to audit: give sources (paths, globs, context:NAME, sample) or all_contexts=True"
        )
    return resolved


def _path_name(path: str) -> str:
    """A saved snapshot's own cluster name, else the directory's (or the file's parent directory's) name."""
    p = Path(path)
    if is_saved_snapshot(p):
        try:
            name = json.loads((p / "snapshot.json").read_text()).get("cluster")
        except (OSError, ValueError):
            name = None  # unreadable: the worker reports it; the directory names the cluster meanwhile
        if isinstance(name, str) and name:
            return name
    p = p.resolve()
    return (p if p.is_dir() else p.parent).name or "cluster"


def _context_names(contexts: list[str], kubeconfig: str | None) -> dict[str, str]:
    """Each context's cluster name as ``load_clusters`` gives it (the context's own name when shared)."""
    try:
        from ..sources.live import _config_path, _contexts

        known, _ = _contexts(_config_path(kubeconfig))
    except (SnapshotError, OSError, ValueError):
        return {c: c for c in contexts}  # no readable kubeconfig here: the workers may still have one
    by_name: dict[str, Any] = {c["name"]: c for c in known}
    names = {c: ((by_name.get(c) or {}).get("context") or {}).get("cluster") or c for c in contexts}
    counts: dict[str, int] = {}
    for n in names.values():
        counts[n] = counts.get(n, 0) + 1
    return {c: (n if counts[n] == 1 else c) for c, n in names.items()}
