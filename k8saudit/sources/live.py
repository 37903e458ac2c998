"""A live cluster → Snapshot, through the official kubernetes client; read-only.

Every kind k8saudit models is listed with GET only, page by page (``limit`` /
``continue``), several kinds at once. Pages are never turned into the client's
typed models: the raw bytes are decoded with msgspec straight into the typed
structs of :mod:`k8saudit._model`, skipping every field nobody reads, and equal
parts of objects (the env, probes and mounts pods of one workload repeat) are
kept once: treat loaded objects as read-only. Secrets are listed as metadata
only (``PartialObjectMetadataList``), so their values never leave the cluster;
ConfigMaps go through the normaliser like every other source's.

What the credentials may not read (403), what the server does not serve (404),
and lists that failed after retries become rows of ``snap.skipped``, and the
checks that need those kinds are reported as not assessable. A server that
cannot be reached, a TLS failure or rejected credentials raise
:class:`~k8saudit.snapshot.SnapshotError` with a one-line message.

>>> snap = load_cluster("prod", namespaces=["shop"])
>>> both = load_clusters(["prod", "staging"])
"""

from __future__ import annotations

import contextlib
import gc
import os
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import urllib3.exceptions as u3
import yaml
from kubernetes import client as kclient
from kubernetes import config as kconfig
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from .. import _model as m
from ..snapshot import Snapshot, SnapshotError
from ._share import Sharer
from .errors import describe_error, status_message
from .kubeconfig import parse_kubeconfig

__all__ = ["RESOURCES", "Resource", "list_contexts", "load_cluster", "load_clusters"]

Progress = Callable[[str], None]

#: the Accept header that makes the API server send metadata only (Secrets)
METADATA_ACCEPT = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
JSON_ACCEPT = "application/json"
#: statuses worth another try, with exponential backoff (``Retry-After`` honoured)
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
MAX_ATTEMPTS = 5
BACKOFF = 0.5  # seconds before the second attempt; doubled each time
MAX_DELAY = 30.0
#: how often an expired continue token (410 Gone) restarts a kind's list
MAX_RESTARTS = 2
USER_AGENT = "k8saudit"

_sleep = time.sleep  # replaced in tests


@dataclass(frozen=True)
class Resource:
    """One listed resource: its kind, API group/version, plural and scope."""

    kind: str
    group: str
    version: str
    plural: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str | None = None) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        return f"{base}/namespaces/{namespace}/{self.plural}" if namespace else f"{base}/{self.plural}"


#: every resource the loader lists (all GA at v1)
RESOURCES: tuple[Resource, ...] = tuple(
    Resource(kind, cls.api[0], "v1", cls.api[1], cls.api[2]) for kind, cls in m.KINDS.items()
)

#: the order kinds go into the snapshot: owners before the objects they own, so the snapshot
#: keeps only what a pod or ReplicaSet adds to its owner's template
_OWNERS_FIRST = ("CronJob", "Deployment", "StatefulSet", "DaemonSet", "ReplicationController", "Job",
                 "ReplicaSet", "Pod")
_ADD_ORDER = {k: i for i, k in enumerate(dict.fromkeys(["Namespace", "Node", *_OWNERS_FIRST, *m.KINDS]))}


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
    ``progress`` receives a line per page; in a notebook a label shows it.
    """
    if page_size < 1 or workers < 1 or timeout <= 0:
        raise ValueError("page_size and workers must be at least 1, timeout positive")
    if in_cluster is None:
        in_cluster = context is None and _running_in_pod(kubeconfig)
    started = time.monotonic()
    widget = None
    if progress is None:
        widget = _NotebookProgress.create()
        progress = widget
    ns_filter = list(dict.fromkeys(namespaces)) if namespaces else None
    tasks = [(r, ns) for r in RESOURCES for ns in (ns_filter if r.namespaced and ns_filter else [None])]
    try:
        conn = _connect(context, kubeconfig, in_cluster, cluster, workers)
        try:
            loader = _Loader(conn, timeout=timeout, page_size=page_size, progress=progress)
            version = loader.server_version()
            with _gc_paused():  # millions of new objects: collections would rescan them all, page after page
                results = loader.run(tasks, workers)
                snap = Snapshot(conn.cluster, source=f"{conn.server} ({conn.label})", meta={
                    "origin": "live", "context": conn.context, "server": conn.server,
                    "server_version": version, "in_cluster": in_cluster, "namespaces": ns_filter,
                    "page_size": page_size,
                })
                _assemble(snap, results, ns_filter)
        except _Fatal as e:
            raise SnapshotError(f"{conn.label}: {e}") from None
        finally:
            conn.api.close()
    except SnapshotError as e:
        if widget is not None:
            widget.done(f"k8saudit: {e}")
        raise
    snap.kubeconfig_entries = conn.entries
    snap.meta["kinds_listed"] = [r.kind for r in RESOURCES]
    snap.meta["kinds"] = dict(snap.kinds)
    snap.meta["requests"] = loader.requests
    snap.meta["duration_s"] = round(time.monotonic() - started, 3)
    if widget is not None:
        widget.done(f"{conn.cluster}: {len(snap):,} objects in {snap.meta['duration_s']:.1f}s"
                    + (f"; {len(snap.skipped_records)} skipped (see snap.skipped)" if snap.skipped_records else ""))
    return snap


def _assemble(snap: Snapshot, results: list[_Result], ns_filter: list[str] | None) -> None:
    for r in sorted(results, key=lambda r: _ADD_ORDER[r.res.kind]):  # owners before what they own
        objs = r.items
        if ns_filter and r.res.kind == "Namespace":
            keep = [i for i, o in enumerate(objs) if o.metadata.name in ns_filter]
            objs, r.sources = [objs[i] for i in keep], [r.sources[i] for i in keep]
        if objs:
            snap.add_many(r.res.kind, objs, r.sources)
        for s in r.skips:
            snap.skip(**s)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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
        raise SnapshotError(f"{path}: no context {', '.join(map(repr, missing))}; "
                            f"contexts are: {', '.join(by_name) or 'none'}")
    names = {c: (by_name[c].get("context") or {}).get("cluster") or c for c in contexts}
    counts: dict[str, int] = {}
    for n in names.values():
        counts[n] = counts.get(n, 0) + 1
    names = {c: (n if counts[n] == 1 else c) for c, n in names.items()}
    snaps = [load_cluster(c, kubeconfig=path, namespaces=namespaces, progress=progress, cluster=names[c],
                          timeout=timeout, page_size=page_size, workers=workers, in_cluster=False)
             for c in contexts]
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
        raise SnapshotError(f"{path}: cannot read kubeconfig: {_short(e)}") from None
    return list(contexts or []), active


def _running_in_pod(kubeconfig: str | os.PathLike[str] | None) -> bool:
    if kubeconfig is not None or os.environ.get("KUBECONFIG"):
        return False
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and not Path("~/.kube/config").expanduser().is_file()


def _connect(context: str | None, kubeconfig: str | os.PathLike[str] | None, in_cluster: bool,
             cluster: str | None, workers: int) -> _Conn:
    cfg = kclient.Configuration()
    entries: list[dict[str, Any]] = []
    if in_cluster:
        try:
            kconfig.load_incluster_config(client_configuration=cfg)
        except ConfigException as e:
            raise SnapshotError(f"in-cluster configuration: {_short(e)}") from None
        name, label, ctx_name = cluster or "in-cluster", "in-cluster service account", None
    else:
        path = _config_path(kubeconfig)
        contexts, active = _contexts(path)
        if context is None:
            if not active:
                raise SnapshotError(f"{path}: no current context; pass context= (contexts: "
                                    f"{', '.join(c['name'] for c in contexts) or 'none'})")
            chosen = active
        else:
            chosen = next((c for c in contexts if c.get("name") == context), None)
            if chosen is None:
                raise SnapshotError(f"{path}: no context {context!r}; contexts are: "
                                    f"{', '.join(c['name'] for c in contexts) or 'none'}")
        ctx_name = chosen["name"]
        try:
            kconfig.load_kube_config(config_file=path, context=ctx_name, client_configuration=cfg,
                                     persist_config=False)
        except Exception as e:  # exec plugins and auth providers fail in many ways
            raise SnapshotError(f"context {ctx_name!r}: cannot use its credentials: {_short(e)}") from None
        name = cluster or (chosen.get("context") or {}).get("cluster") or ctx_name
        label = f"context {ctx_name!r}"
        entries = _kubeconfig_entries(path)
    cfg.retries = False  # retries are ours: bounded, with backoff, and testable
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


def _short(e: BaseException) -> str:
    return describe_error(e) or " ".join(str(e).split()) or type(e).__name__


# --------------------------------------------------------------------------- listing


class _Fatal(Exception):
    """The cluster cannot be read at all (unreachable, TLS, credentials rejected)."""


class _Timeout(Exception):
    pass


class _Cancelled(Exception):
    pass


class _HTTPError(Exception):
    def __init__(self, status: int, message: str, attempts: int) -> None:
        super().__init__(f"{status}: {message}")
        self.status, self.message, self.attempts = status, message, attempts


class _ListMeta(msgspec.Struct, gc=False):
    continue_: str | None = msgspec.field(default=None, name="continue")


class _Partial(msgspec.Struct, gc=False):
    """An item of a PartialObjectMetadataList: metadata only."""

    metadata: m.ObjectMeta = msgspec.field(default_factory=m.ObjectMeta)


class _ListHead(msgspec.Struct, gc=False):
    metadata: _ListMeta = msgspec.field(default_factory=_ListMeta)


_head_decoder = msgspec.json.Decoder(_ListHead)


def _continue_of(body: bytes) -> str | None:
    """The continue token of a list page (the items are skipped, not decoded)."""
    try:
        return _head_decoder.decode(body).metadata.continue_ or None
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None  # _add_page says what is wrong with it


class _RawList(msgspec.Struct, gc=False):
    kind: str | None = None
    metadata: _ListMeta = msgspec.field(default_factory=_ListMeta)
    items: list[msgspec.Raw] | None = None


_list_decoders: dict[type, msgspec.json.Decoder] = {}


def _list_decoder(tp: type) -> msgspec.json.Decoder:
    """A decoder of one list page whose items are ``tp``."""
    dec = _list_decoders.get(tp)
    if dec is None:
        st = msgspec.defstruct(f"{tp.__name__.lstrip('_')}List", [
            ("kind", str | None, None),
            ("metadata", _ListMeta, msgspec.field(default_factory=_ListMeta)),
            ("items", list[tp] | None, None),  # type: ignore[valid-type]
        ], gc=False)
        dec = _list_decoders[tp] = msgspec.json.Decoder(st)
    return dec


@dataclass
class _Result:
    res: Resource
    namespace: str | None
    items: list[Any] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    skips: list[dict[str, Any]] = field(default_factory=list)


class _Loader:
    def __init__(self, conn: _Conn, *, timeout: float, page_size: int, progress: Progress | None) -> None:
        self.conn = conn
        self.api = conn.api
        self.timeout = timeout
        self.page_size = page_size
        self.progress = progress
        self.cancel = threading.Event()
        self.lock = threading.Lock()
        self.counts: dict[tuple[str, str | None], int] = {}
        self.done = 0
        self.total = 0
        self.requests = 0
        self.sharer = Sharer()
        self.prefetch: ThreadPoolExecutor | None = None

    # ---- requests
    def get(self, path: str, query: list[tuple[str, Any]], accept: str) -> bytes:
        """GET with bounded retries of 429/5xx and broken connections; the body of a 2xx answer."""
        attempt = 0
        while True:
            attempt += 1
            if self.cancel.is_set():
                raise _Cancelled
            with self.lock:
                self.requests += 1
            try:
                method, url, headers, _, _ = self.api.param_serialize(
                    "GET", path, query_params=list(query), header_params={"Accept": accept},
                    auth_settings=["BearerToken"])
                resp = self.api.call_api(method, url, header_params=headers, _request_timeout=self.timeout)
                body = resp.read()
            except u3.NewConnectionError as e:
                raise _Fatal(self._cause(e)) from None
            except (u3.ReadTimeoutError, u3.ConnectTimeoutError):
                raise _Timeout from None
            except (u3.ProtocolError, ConnectionError) as e:
                if attempt >= MAX_ATTEMPTS:
                    raise _HTTPError(0, self._cause(e), attempt) from None
                self._backoff(attempt, None)
                continue
            except (u3.HTTPError, ApiException) as e:
                raise _Fatal(self._cause(e)) from None
            status = resp.status
            if 200 <= status < 300:
                return body
            if status == 401:
                raise _Fatal(self._cause(ApiException(status=401, reason="Unauthorized", body=body)))
            if status in RETRY_STATUS and attempt < MAX_ATTEMPTS:
                self._backoff(attempt, resp.headers.get("Retry-After"))
                continue
            raise _HTTPError(status, status_message(body), attempt)

    def _cause(self, e: BaseException) -> str:
        return describe_error(e, self.conn.server) or _short(e)

    def _backoff(self, attempt: int, retry_after: str | None) -> None:
        delay = None
        if retry_after:
            try:
                delay = max(0.0, float(retry_after))
            except ValueError:
                delay = None
        if delay is None:
            delay = BACKOFF * 2 ** (attempt - 1) * (1 + random.random() / 4)
        _sleep(min(delay, MAX_DELAY))

    def server_version(self) -> str | None:
        try:
            body = self.get("/version", [], JSON_ACCEPT)
        except _Timeout:
            raise _Fatal(f"the API server {self.conn.server} did not answer within {self.timeout:g}s "
                         f"(timeout={self.timeout:g})") from None
        except _HTTPError:
            return None  # some servers hide /version; the lists will tell
        try:
            return msgspec.json.decode(body).get("gitVersion")
        except (msgspec.DecodeError, AttributeError):
            return None

    # ---- lists
    def run(self, tasks: list[tuple[Resource, str | None]], workers: int) -> list[_Result]:
        self.total = len(tasks)
        results: list[_Result | None] = [None] * len(tasks)
        types = [_Partial if res.kind == "Secret" else m.KINDS[res.kind] for res, _ in tasks]
        for tp in types:  # build the decoders here: msgspec's type info is not built concurrently
            _list_decoder(tp)
        # the big lists first, so they do not finish last on their own
        order = sorted(range(len(tasks)), key=lambda i: tasks[i][0].kind not in ("Pod", "ReplicaSet", "ConfigMap"))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="k8saudit-list") as ex, \
                ThreadPoolExecutor(max_workers=workers, thread_name_prefix="k8saudit-page") as self.prefetch:
            futs = {ex.submit(self.list, *tasks[i]): i for i in order}
            try:
                for f in as_completed(futs):
                    results[futs[f]] = f.result()
            except BaseException:
                self.cancel.set()
                for f in futs:
                    f.cancel()
                raise
        return [r for r in results if r is not None]

    def list(self, res: Resource, namespace: str | None) -> _Result:
        path = res.path(namespace)
        where = f'in namespace "{namespace}"' if namespace else ("at cluster scope" if res.namespaced else "")
        what = f"list {res.plural} {where}".strip()
        accept = METADATA_ACCEPT if res.kind == "Secret" else JSON_ACCEPT
        prefetch = self.prefetch
        assert prefetch is not None, "list() runs inside run()"
        restarts = 0
        while True:
            result = _Result(res, namespace)
            token: str | None = None
            try:
                body = self.get(path, self._query(None), accept)
                while True:
                    # ask for the next page now, decode this one while it comes
                    token = _continue_of(body)
                    nxt = prefetch.submit(self.get, path, self._query(token), accept) if token else None
                    self._add_page(result, body, path)
                    self._report(res.kind, namespace, len(result.items), final=nxt is None)
                    if nxt is None:
                        return result
                    body = nxt.result()
            except _HTTPError as e:
                if e.status == 410 and token and restarts < MAX_RESTARTS:
                    restarts += 1  # the continue token expired: start the list again
                    self._say(f"{self.conn.cluster}: {res.plural}: continue token expired, listing again")
                    continue
                self._skip_http(result, e, what, path, token)
                self._report(res.kind, namespace, len(result.items), final=True)
                return result
            except _Timeout:
                kept = f"; the first {len(result.items):,} kept" if result.items else ""
                self._skip(result, path, f"error: {what} timed out after {self.timeout:g}s "
                                         f"(timeout={self.timeout:g}){kept}", "error")
                self._report(res.kind, namespace, len(result.items), final=True)
                return result
            except _Cancelled:
                return result

    def _query(self, token: str | None) -> list[tuple[str, Any]]:
        return [("limit", self.page_size), ("continue", token)] if token else [("limit", self.page_size)]

    def _add_page(self, result: _Result, body: bytes, path: str) -> None:
        res = result.res
        tp: type = _Partial if res.kind == "Secret" else m.KINDS[res.kind]
        try:
            page = _list_decoder(tp).decode(body)
            items: list[Any] = page.items or []
        except msgspec.ValidationError:
            raw = msgspec.json.decode(body, type=_RawList)
            page, items = raw, self._decode_one_by_one(result, raw.items or [], tp, path)
        except msgspec.DecodeError as e:
            raise _HTTPError(200, f"the answer is not valid JSON: {e}", 1) from None
        if res.kind == "Secret":
            if page.kind != "PartialObjectMetadataList":
                raise _HTTPError(200, f"the server answered {page.kind or 'something else'} instead of "
                                      "metadata only (PartialObjectMetadataList); no Secret was kept", 1)
            items = [m.Secret(api_version=res.api_version, metadata=p.metadata) for p in items]
        else:
            api_version = res.api_version
            for o in items:  # list responses omit kind and apiVersion per item
                if o.api_version is None:
                    o.api_version = api_version
        if items:
            self.sharer.share(items)  # equal parts become one object: a 100k-pod snapshot fits in memory
            paths: dict[str | None, str] = {}
            srcs = result.sources
            for o in items:
                ns = o.metadata.namespace
                p = paths.get(ns)
                if p is None:
                    p = paths[ns] = res.path(ns) if res.namespaced and ns else path
                srcs.append(p)
            result.items.extend(items)

    def _decode_one_by_one(self, result: _Result, raws: list[msgspec.Raw], tp: type, path: str) -> list[Any]:
        out = []
        dec = m.decoder(tp)
        for raw in raws:
            try:
                out.append(dec.decode(raw))
            except msgspec.ValidationError as e:
                try:
                    md = msgspec.json.decode(raw, type=_Partial).metadata
                except (msgspec.ValidationError, msgspec.DecodeError):
                    md = m.ObjectMeta()
                self._skip(result, path, f"invalid {result.res.kind} {md.name}: {e}", "invalid",
                           namespace=md.namespace, name=md.name)
        return out

    def _skip_http(self, result: _Result, e: _HTTPError, what: str, path: str, token: str | None) -> None:
        res = result.res
        kept = f"; the first {len(result.items):,} kept" if result.items else ""
        msg = f" ({e.message})" if e.message else ""
        if e.status == 403:
            self._skip(result, path, f"forbidden: {what}{msg}", "forbidden")
        elif e.status == 404:
            self._skip(result, path, f"not served: this API server does not serve {res.plural} "
                                     f"({res.api_version})", "not_served")
        elif e.status == 410:
            self._skip(result, path, f"error: {what}: the continue token kept expiring (410 Gone) after "
                                     f"{MAX_RESTARTS} restarts{kept}", "error")
        elif e.status == 200:
            self._skip(result, path, f"error: {what}: {e.message}{kept}", "error")
        else:
            tries = f" after {e.attempts} attempts" if e.attempts > 1 else ""
            code = f"{e.status} " if e.status else ""
            self._skip(result, path, f"error: {what} failed{tries}: {code}{e.message or ''}".rstrip(": ")
                       + kept, "error")

    def _skip(self, result: _Result, path: str, reason: str, category: str, *,
              namespace: str | None = None, name: str | None = None) -> None:
        result.skips.append({"source": path, "reason": reason, "category": category, "kind": result.res.kind,
                             "namespace": namespace if name else result.namespace, "name": name})

    # ---- progress
    def _report(self, kind: str, namespace: str | None, count: int, *, final: bool) -> None:
        with self.lock:
            self.done += final
            if self.progress is None:
                return
            self.counts[(kind, namespace)] = count
            per_kind: dict[str, int] = {}
            for (k, _), n in self.counts.items():
                per_kind[k] = per_kind.get(k, 0) + n
            counts = ", ".join(f"{k} {n:,}" for k, n in per_kind.items() if n)
            self._say_locked(f"{self.conn.cluster}: {self.done}/{self.total} lists done; {counts}")

    def _say(self, msg: str) -> None:
        if self.progress is not None:
            with self.lock:
                self._say_locked(msg)

    def _say_locked(self, msg: str) -> None:
        try:
            self.progress(msg)  # type: ignore[misc]
        except Exception:  # a broken progress display never stops a load
            self.progress = None


# --------------------------------------------------------------------------- notebooks


class _NotebookProgress:
    """A label under the cell while a notebook loads a cluster (only inside a Jupyter kernel)."""

    def __init__(self, label: Any) -> None:
        self.label = label
        self.last = 0.0

    @classmethod
    def create(cls) -> _NotebookProgress | None:
        try:
            from IPython import get_ipython

            shell = get_ipython()
            if shell is None or not hasattr(shell, "kernel"):
                return None
            import ipywidgets
            from IPython.display import display
        except Exception:
            return None
        label = ipywidgets.Label("connecting…")
        display(label)
        return cls(label)

    def __call__(self, msg: str) -> None:
        now = time.monotonic()
        if now - self.last >= 0.2:
            self.last = now
            self.label.value = msg[:200]

    def done(self, msg: str) -> None:
        self.label.value = msg
