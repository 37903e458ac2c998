"""A live cluster → Snapshot, through the official kubernetes client; read-only.

Every kind k8saudit models is listed with GET only, page by page (``limit`` /
``continue``), several kinds at once. Pages are never turned into the client's
typed models: the raw bytes are decoded with msgspec straight into the typed
structs of :mod:`k8saudit._model`, skipping every field nobody reads. Owners are
listed before what they own, and each page is admitted as it arrives (secret
rules, duplicates, compaction against its owner's template: a pod keeps only what
its template does not say) while the next one is fetched, so what is held is what
will be kept; then equal parts of what is kept (labels, env lists, probes) are
kept once: treat loaded objects as read-only. With ``K8SAUDIT_WORKERS=2`` the pods pages
are decoded and compacted by a worker process beside the loader, the snapshot the same
(see ``_podpages``). Secrets are listed as metadata
only (``PartialObjectMetadataList``), so their values never leave the cluster;
ConfigMaps go through the normaliser like every other source's.

What the credentials may not read (403), what the server does not serve (404),
and lists whose first page failed after retries (5xx, 429, a body that is not
JSON) become rows of ``snap.skipped``, and the checks that need those kinds are
reported as not assessable. A list that ended early (a later page failing, a
continue token that kept expiring, a server that stopped paging) keeps what was
read and is recorded as ``partial``. A server that
cannot be reached, a TLS failure or rejected credentials raise
:class:`~k8saudit.snapshot.SnapshotError` with a one-line message.

>>> snap = load_cluster("prod", namespaces=["shop"])
>>> both = load_clusters(["prod", "staging"])
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client as kclient
from kubernetes import config as kconfig
from kubernetes.config.config_exception import ConfigException

from .. import _model as m
from .._util import gc_paused
from ..snapshot import Snapshot, SnapshotError
from ._listing import (
    BACKOFF,
    JSON_ACCEPT,
    MAX_ATTEMPTS,
    MAX_DELAY,
    MAX_RESTARTS,
    METADATA_ACCEPT,
    RESOURCES,
    RETRY,
    RETRY_STATUS,
    USER_AGENT,
    Fatal,
    Lister,
    Resource,
    Result,
    error_text,
)
from ._progress import Progress, finish
from .kubeconfig import parse_kubeconfig

__all__ = [
    "BACKOFF",
    "JSON_ACCEPT",
    "MAX_ATTEMPTS",
    "MAX_DELAY",
    "MAX_RESTARTS",
    "METADATA_ACCEPT",
    "RESOURCES",
    "RETRY_STATUS",
    "Resource",
    "list_contexts",
    "load_cluster",
    "load_clusters",
]


_ADD_ORDER = {k: i for i, k in enumerate(dict.fromkeys(["Namespace", "Node", *m.OWNERS_FIRST, *m.KINDS]))}


# --------------------------------------------------------------------------- public API


def list_contexts(kubeconfig: str | os.PathLike[str] | None = None) -> list[str]:
    """The context names of a kubeconfig (``$KUBECONFIG`` or ``~/.kube/config`` by default)."""
    contexts, _ = _contexts(_config_path(kubeconfig))
    return [c["name"] for c in contexts]


def load_cluster(
    context: str | None = None,
    *,
    kubeconfig: str | os.PathLike[str] | None = None,
    namespaces: Sequence[str] | None = None,
    progress: Progress | None = None,
    cluster: str | None = None,
    timeout: float = 30,
    page_size: int = 500,
    workers: int = 4,
    in_cluster: bool | None = None,
) -> Snapshot:
    """Read a live cluster into a Snapshot (GET requests only).

    ``context`` defaults to the kubeconfig's current context; inside a pod with
    no kubeconfig the pod's service account is used (or pass ``in_cluster=True``).
    ``namespaces`` limits namespaced kinds to those namespaces (cluster-scoped
    kinds are still read). ``cluster`` names the cluster (default: the context's
    cluster). ``timeout`` bounds each request in seconds, ``page_size`` is the
    ``limit`` of each list request, ``workers`` how many lists run at once.
    ``progress`` receives a line per page, and ``progress.done(outcome)`` when it has one (see
    :class:`k8saudit.sources.Progress`; the notebooks pass a label widget, the command line a stderr printer).
    """
    if page_size < 1 or workers < 1 or timeout <= 0:
        raise ValueError("page_size and workers must be at least 1, timeout positive")
    if in_cluster is None:
        in_cluster = context is None and _running_in_pod(kubeconfig)
    started = time.monotonic()
    ns_filter = list(dict.fromkeys(namespaces)) if namespaces else None
    tasks = [(r, ns) for r in RESOURCES for ns in (ns_filter if r.namespaced and ns_filter else [None])]
    try:
        conn = _connect(context, kubeconfig, in_cluster, cluster, workers)
        try:
            lister = Lister(
                conn.api, conn.server, conn.cluster, timeout=timeout, page_size=page_size, progress=progress
            )
            version = lister.server_version()
            snap = lister.snap = Snapshot(
                conn.cluster,
                source=f"{conn.server} ({conn.label})",
                meta={
                    "origin": "live",
                    "context": conn.context,
                    "server": conn.server,
                    "server_version": version,
                    "in_cluster": in_cluster,
                    "namespaces": ns_filter,
                    "page_size": page_size,
                },
            )
            with gc_paused():  # millions of new objects: collections would rescan them all, page after page
                results = lister.run(tasks, workers)
                results = _namespace_fallback(lister, results, ns_filter, workers)
                _assemble(snap, results, ns_filter)
        except Fatal as e:
            raise SnapshotError(f"{conn.label}: {e}") from None
        finally:
            conn.api.close()
    except SnapshotError as e:
        finish(progress, f"k8saudit: {e}")
        raise
    snap.kubeconfig_entries = conn.entries
    snap.meta["kinds_listed"] = [r.kind for r in RESOURCES]
    snap.meta["kinds"] = dict(snap.kinds)
    snap.meta["requests"] = lister.requests
    snap.meta["duration_s"] = round(time.monotonic() - started, 3)
    finish(
        progress,
        f"{conn.cluster}: {len(snap):,} objects in {snap.meta['duration_s']:.1f}s"
        + (f"; {len(snap.skipped_records)} skipped (see snap.skipped)" if snap.skipped_records else ""),
    )
    return snap


#: beyond this many namespaces, a kind forbidden at cluster scope is not retried namespace by namespace
MAX_FALLBACK_NAMESPACES = 1000


def _forbidden(r: Result) -> bool:
    return any(s["category"] == "forbidden" for s in r.skips)


def _namespace_fallback(
    lister: Lister, results: list[Result], ns_filter: list[str] | None, workers: int
) -> list[Result]:
    """Kinds forbidden at cluster scope are listed again namespace by namespace.

    Auditors are often granted a Role per namespace rather than a ClusterRole: a 403 on
    ``list pods`` at cluster scope then hides pods that ``list pods in namespace X`` returns.
    Namespaces that still answer 403 stay recorded (and make the kind not assessable).
    """
    forbidden = [r for r in results if r.res.namespaced and r.namespace is None and _forbidden(r)]
    if not forbidden:
        return results
    names = ns_filter or sorted({o.metadata.name for r in results if r.res.kind == "Namespace" for o in r.items})
    if not names or len(names) > MAX_FALLBACK_NAMESPACES:
        return results
    more = lister.run([(r.res, ns) for r in forbidden for ns in names], workers)
    out = [r for r in results if r not in forbidden]
    for r in forbidden:
        per = [x for x in more if x.res is r.res]
        if all(_forbidden(x) for x in per):
            out.append(r)  # forbidden everywhere: the one cluster-scope row says it
        else:
            out.extend(per)
    return out


def _assemble(snap: Snapshot, results: list[Result], ns_filter: list[str] | None) -> None:
    for r in sorted(results, key=lambda r: _ADD_ORDER[r.res.kind]):  # owners before what they own
        objs = r.items
        if ns_filter and r.res.kind == "Namespace":
            keep = [i for i, o in enumerate(objs) if o.metadata.name in ns_filter]
            objs, r.sources = [objs[i] for i in keep], [r.sources[i] for i in keep]
        if objs:
            snap.keep_many(r.res.kind, objs, r.sources)  # admitted page by page as they came (Lister.snap)
        for s in r.skips:
            snap.skip(**s)
    snap.compact()  # anything admitted before its owner (a kind listed namespace by namespace), and the keys freed


def load_clusters(
    contexts: Iterable[str],
    *,
    kubeconfig: str | os.PathLike[str] | None = None,
    namespaces: Sequence[str] | None = None,
    progress: Progress | None = None,
    timeout: float = 30,
    page_size: int = 500,
    workers: int = 4,
) -> Snapshot:
    """Read several contexts into one combined snapshot (a ``cluster`` column tells them apart).

    Each member is named after its context's cluster; contexts that share a
    cluster name are named after the context instead.
    """
    contexts = list(dict.fromkeys(contexts))
    if not contexts:
        raise SnapshotError("load_clusters() needs at least one context")
    path = _config_path(kubeconfig)
    known, _ = _contexts(path)
    by_name = {c["name"]: c for c in known}
    missing = [c for c in contexts if c not in by_name]
    if missing:
        raise SnapshotError(
            f"{path}: no context {', '.join(map(repr, missing))}; contexts are: {', '.join(by_name) or 'none'}"
        )
    names = {c: (by_name[c].get("context") or {}).get("cluster") or c for c in contexts}
    counts: dict[str, int] = {}
    for n in names.values():
        counts[n] = counts.get(n, 0) + 1
    names = {c: (n if counts[n] == 1 else c) for c, n in names.items()}
    snaps: list[Snapshot] = []
    errors: list[str] = []
    for c in contexts:
        try:
            snaps.append(
                load_cluster(
                    c,
                    kubeconfig=path,
                    namespaces=namespaces,
                    progress=progress,
                    cluster=names[c],
                    timeout=timeout,
                    page_size=page_size,
                    workers=workers,
                    in_cluster=False,
                )
            )
        except SnapshotError as e:
            if len(contexts) == 1:
                raise
            # one unreachable cluster does not stop a fleet scan: it is recorded and not assessed
            failed = Snapshot(names[c], source=f"context {c}", meta={"origin": "live", "context": c, "error": str(e)})
            failed.skip(f"context {c}", str(e), category="error")
            snaps.append(failed)
            errors.append(str(e))
    if len(errors) == len(snaps):
        raise SnapshotError("no context could be read: " + "; ".join(errors))
    return Snapshot.combine(snaps) if len(snaps) > 1 else snaps[0]


# --------------------------------------------------------------------------- connecting


@dataclass
class _Conn:
    api: kclient.ApiClient
    server: str
    cluster: str
    context: str | None
    label: str
    entries: list[dict[str, Any]] = field(default_factory=list)


def _config_path(kubeconfig: str | os.PathLike[str] | None) -> str:
    """The kubeconfig path(s) to read: the argument, ``$KUBECONFIG``, or ``~/.kube/config``."""
    if kubeconfig is not None:
        raw = os.path.expanduser(os.fspath(kubeconfig))
    else:
        raw = os.environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")
    parts = [p for p in raw.split(os.pathsep) if p]
    if not parts or not any(Path(p).is_file() for p in parts):
        raise SnapshotError(f"no kubeconfig at {raw} (pass kubeconfig=, set $KUBECONFIG, or run in a pod)")
    return os.pathsep.join(parts)


def _contexts(path: str) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    try:
        contexts, active = kconfig.list_kube_config_contexts(config_file=path)
    except (ConfigException, OSError, yaml.YAMLError, TypeError, AttributeError) as e:
        raise SnapshotError(f"{path}: cannot read kubeconfig: {error_text(e)}") from None
    return list(contexts or []), active


def _running_in_pod(kubeconfig: str | os.PathLike[str] | None) -> bool:
    if kubeconfig is not None or os.environ.get("KUBECONFIG"):
        return False
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and not Path("~/.kube/config").expanduser().is_file()


def _connect(
    context: str | None, kubeconfig: str | os.PathLike[str] | None, in_cluster: bool, cluster: str | None, workers: int
) -> _Conn:
    cfg = kclient.Configuration()
    entries: list[dict[str, Any]] = []
    if in_cluster:
        try:
            kconfig.load_incluster_config(client_configuration=cfg)
        except ConfigException as e:
            raise SnapshotError(f"in-cluster configuration: {error_text(e)}") from None
        name, label, ctx_name = cluster or "in-cluster", "in-cluster service account", None
    else:
        path = _config_path(kubeconfig)
        contexts, active = _contexts(path)
        chosen: dict[str, Any] | None
        if context is None:
            if not active:
                raise SnapshotError(
                    f"{path}: no current context; pass context= (contexts: "
                    f"{', '.join(c['name'] for c in contexts) or 'none'})"
                )
            chosen = active
        else:
            chosen = next((c for c in contexts if c.get("name") == context), None)
            if chosen is None:
                raise SnapshotError(
                    f"{path}: no context {context!r}; contexts are: {', '.join(c['name'] for c in contexts) or 'none'}"
                )
        ctx_name = chosen["name"]
        try:
            kconfig.load_kube_config(config_file=path, context=ctx_name, client_configuration=cfg, persist_config=False)
        except Exception as e:  # exec plugins and auth providers fail in many ways
            raise SnapshotError(f"context {ctx_name!r}: cannot use its credentials: {error_text(e)}") from None
        name = cluster or (chosen.get("context") or {}).get("cluster") or ctx_name
        label = f"context {ctx_name!r}"
        entries = _kubeconfig_entries(path)
    cfg.retries = RETRY  # urllib3's Retry: 429/5xx (Retry-After honoured) and broken connections, bounded
    cfg.connection_pool_maxsize = workers + 1
    api = kclient.ApiClient(cfg)
    api.user_agent = USER_AGENT
    return _Conn(api, cfg.host, name, ctx_name, label, entries)


def _kubeconfig_entries(path: str) -> list[dict[str, Any]]:
    """How each user of the kubeconfig authenticates (never the credential itself)."""
    out: list[dict[str, Any]] = []
    for p in path.split(os.pathsep):
        try:
            doc = yaml.safe_load(Path(p).read_text())
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(doc, dict):
            out.extend(parse_kubeconfig(doc, p))
    return out
