"""A Kubernetes-API-speaking HTTPS server on 127.0.0.1 for tests and benchmarks.

Discovery, paginated lists (full or ``PartialObjectMetadataList``) and single
GETs over TLS with bearer-token auth, shaped like the real API server's
responses; every request recorded. Objects come from a ``Store``
(``MemoryStore``, or any generator-backed one).

Faults are injected per resource with :meth:`FakeApiServer.fault`: an HTTP
status (403, 404, 410, 429, 5xx, with ``Retry-After``), a broken body
(``garbage``, ``truncated``, ``stop_paging``) or a delay, for a number of
requests or for ever, on every request or on one page of a list::

    with FakeApiServer(objects) as api:
        api.fault("pods", status=503, times=2, retry_after=1)   # two 503s, then answers
        api.fault("configmaps", body="truncated", page=2)        # the second page cut short
        api.fault("secrets", status=403, times=None)             # forbidden for ever
"""

from __future__ import annotations

import base64
import contextlib
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socketserver import TCPServer
from typing import Any, NamedTuple, Protocol, runtime_checkable
from urllib.parse import parse_qsl, unquote, urlsplit

import orjson
import yaml

__all__ = [
    "BUILTIN_TYPES",
    "FAULT_BODIES",
    "FakeApiServer",
    "Fault",
    "MemoryStore",
    "RequestRecord",
    "ResourceType",
    "Store",
]


class ResourceType(NamedTuple):
    """One served resource: API group, version, plural name, kind and scope."""

    group: str
    version: str
    resource: str
    kind: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


_IRREGULAR = {"Endpoints": "endpoints"}


def plural(kind: str) -> str:
    """Lower-cased plural of a kind, the way most resources are named."""
    if kind in _IRREGULAR:
        return _IRREGULAR[kind]
    low = kind.lower()
    if low.endswith("y") and low[-2:-1] not in ("a", "e", "i", "o", "u"):
        return low[:-1] + "ies"
    if low.endswith(("s", "x", "z", "ch", "sh")):
        return low + "es"
    return low + "s"


# apiVersion -> kinds it serves; a leading "-" marks a cluster-scoped kind.
_BUILTIN = {
    "v1": "-ComponentStatus ConfigMap Endpoints Event LimitRange -Namespace -Node -PersistentVolume "
    "PersistentVolumeClaim Pod PodTemplate ReplicationController ResourceQuota Secret Service ServiceAccount",
    "apps/v1": "ControllerRevision DaemonSet Deployment ReplicaSet StatefulSet",
    "batch/v1": "CronJob Job",
    "rbac.authorization.k8s.io/v1": "-ClusterRole -ClusterRoleBinding Role RoleBinding",
    "networking.k8s.io/v1": "Ingress -IngressClass NetworkPolicy",
    "policy/v1": "PodDisruptionBudget",
    "admissionregistration.k8s.io/v1": "-MutatingWebhookConfiguration -ValidatingAdmissionPolicy "
    "-ValidatingAdmissionPolicyBinding -ValidatingWebhookConfiguration",
    "apiextensions.k8s.io/v1": "-CustomResourceDefinition",
}
BUILTIN_TYPES: tuple[ResourceType, ...] = tuple(
    ResourceType(gv.rpartition("/")[0], gv.rpartition("/")[2], plural(k.lstrip("-")), k.lstrip("-"), k[0] != "-")
    for gv, kinds in _BUILTIN.items()
    for k in kinds.split()
)
_BY_KIND = {t.kind: t for t in BUILTIN_TYPES}
_BY_RESOURCE = {t.resource: t for t in BUILTIN_TYPES}


def resolve_type(spec: ResourceType | str) -> ResourceType:
    """A ``ResourceType`` from itself, a built-in plural ("pods") or a built-in kind ("Pod")."""
    if isinstance(spec, ResourceType):
        return spec
    found = _BY_RESOURCE.get(spec) or _BY_KIND.get(spec)
    if found is None:
        raise ValueError(f"unknown resource {spec!r}: return a ResourceType from Store.kinds() for it")
    return found


@runtime_checkable
class Store(Protocol):
    """Where objects come from. ``kinds()``: the resources held (``ResourceType``s, or
    built-in plurals/kinds). ``list(resource, namespace, start, limit)``: JSON bytes
    of items (without kind/apiVersion, as in list responses) from offset ``start``
    of a stable order (namespace None = all, limit None = to the end), and the
    total count. An optional ``get(resource, namespace, name) -> bytes | None``
    serves single GETs; without it they scan ``list``."""

    def kinds(self) -> Iterable[ResourceType | str]: ...

    def list(self, resource: str, namespace: str | None, start: int, limit: int | None) -> tuple[list[bytes], int]: ...


class MemoryStore:
    """Objects held in memory, each encoded once, sorted by (namespace, name) per resource."""

    def __init__(self, objects: Iterable[Mapping[str, Any]]) -> None:
        rows: dict[str, list[tuple[str, str, bytes]]] = {}
        self._types: dict[str, ResourceType] = {}
        for o in objects:
            t = self._type_of(o)
            t = self._types.setdefault(t.resource, t)
            md = o.get("metadata") or {}
            ns = (md.get("namespace") or "default") if t.namespaced else ""
            body = {k: v for k, v in o.items() if k not in ("kind", "apiVersion")}
            rows.setdefault(t.resource, []).append((ns, str(md.get("name") or ""), orjson.dumps(body)))
        self._items: dict[str, list[bytes]] = {}
        self._ranges: dict[str, dict[str, tuple[int, int]]] = {}
        self._index: dict[tuple[str, str, str], int] = {}
        for res, group in rows.items():
            group.sort(key=lambda r: (r[0], r[1]))
            self._items[res] = [r[2] for r in group]
            ranges = self._ranges[res] = {}
            for i, (ns, name, _) in enumerate(group):
                ranges[ns] = (ranges.get(ns, (i, i))[0], i + 1)
                self._index.setdefault((res, ns, name), i)

    @staticmethod
    def _type_of(o: Mapping[str, Any]) -> ResourceType:
        """Built-in kinds by the table; others by apiVersion, a guessed plural, and metadata.namespace."""
        kind = o.get("kind")
        if not kind:
            raise ValueError(f"object without kind: {dict(o.get('metadata') or {})!r}")
        group, _, version = str(o.get("apiVersion") or "v1").rpartition("/")
        builtin = _BY_KIND.get(kind)
        if builtin is not None and ("." not in group or group.endswith(".k8s.io")):
            return builtin
        return ResourceType(group, version, plural(kind), kind, bool((o.get("metadata") or {}).get("namespace")))

    def kinds(self) -> list[ResourceType]:
        return list(self._types.values())

    def list(self, resource: str, namespace: str | None, start: int, limit: int | None) -> tuple[list[bytes], int]:
        items = self._items.get(resource)
        if items is None:
            return [], 0
        lo, hi = (0, len(items)) if namespace is None else self._ranges[resource].get(namespace, (0, 0))
        a = lo + start
        b = hi if limit is None else min(hi, a + limit)
        return items[a:b], hi - lo

    def get(self, resource: str, namespace: str | None, name: str) -> bytes | None:
        i = self._index.get((resource, namespace or "", name))
        return None if i is None else self._items[resource][i]


@dataclass(frozen=True)
class RequestRecord:
    """One request the server received, with the status it answered."""

    method: str
    path: str
    query: dict[str, str]
    accept: str
    status: int
    resource: str | None = None
    namespace: str | None = None
    name: str | None = None
    metadata_only: bool = False
    page: int | None = None  # 1 for the first page of a list, 2 for the first continue request, ...
    fault: str | None = None  # the injected fault this request met ("status 503", "body truncated", ...)


#: what a broken body can be: bytes that are not JSON, a JSON document cut in the middle, or a
#: list page that drops its continue token before the end (keeping ``remainingItemCount``)
FAULT_BODIES = ("garbage", "truncated", "stop_paging")


@dataclass
class Fault:
    """One injected fault (see :meth:`FakeApiServer.fault`); ``times`` None means for ever."""

    resource: str
    status: int | None = None
    body: str | None = None
    times: int | None = 1
    page: int | None = None
    namespace: str | None = None
    retry_after: int | None = None
    delay: float = 0.0
    continued_only: bool = False  # only requests that carry a continue token

    def matches(self, resource: str, namespace: str | None, page: int | None) -> bool:
        if self.resource != resource or self.times == 0:
            return False
        if self.namespace is not None and namespace not in (None, self.namespace):
            return False
        if self.page is not None and page != self.page:
            return False
        if self.continued_only and (page is None or page < 2):
            return False
        return not (self.body == "stop_paging" and page is None)  # only lists page

    def describe(self) -> str:
        parts = [
            f"status {self.status}" if self.status else "",
            f"body {self.body}" if self.body else "",
            f"delay {self.delay:g}s" if self.delay else "",
        ]
        return ", ".join(p for p in parts if p)


@dataclass
class _Reply:
    status: int
    body: bytes
    ctype: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    page: int | None = None
    fault: str | None = None


@dataclass
class _Route:
    endpoint: str  # version, api, apis, group, resources, list, get, other
    group: str = ""
    version: str = ""
    resource: str | None = None
    namespace: str | None = None
    name: str | None = None


def _parse_route(path: str) -> _Route:
    parts = [unquote(p) for p in path.split("/") if p]
    if parts in (["version"], ["api"], ["apis"]):
        return _Route(parts[0])
    if len(parts) == 2 and parts[0] == "apis":
        return _Route("group", group=parts[1])
    if len(parts) >= 2 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return _Route("other")
    namespace = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    if not rest:
        return _Route("resources", group, version)
    if len(rest) > 2:
        return _Route("other", group, version, rest[0], namespace, rest[1])
    return _Route(
        "list" if len(rest) == 1 else "get", group, version, rest[0], namespace, rest[1] if len(rest) == 2 else None
    )


def _negotiate(accept: str, is_list: bool) -> str | None:
    """'json' for a full object, 'meta.k8s.io/vX' for partial metadata, None if nothing acceptable."""
    if not accept.strip():
        return "json"
    want = "PartialObjectMetadataList" if is_list else "PartialObjectMetadata"
    for rng in accept.split(","):
        mtype, *params = (p.strip() for p in rng.split(";"))
        if mtype.lower() not in ("application/json", "application/*", "*/*"):
            continue
        opts = {k.strip().lower(): v.strip() for k, _, v in (p.partition("=") for p in params)}
        if "as" not in opts:
            return "json"
        if opts["as"] == want and opts.get("g") == "meta.k8s.io" and opts.get("v") in ("v1", "v1beta1"):
            return f"meta.k8s.io/{opts['v']}"
    return None


_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    410: "Expired",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}
_FAILURE_MESSAGES = {
    429: "Too many requests, please try again later.",
    500: "Internal error occurred: injected failure",
    503: "The server is currently unable to handle the request",
    504: "Timeout: request did not complete within requested timeout",
}
_EXPIRED = (
    "The provided continue parameter is too old to display a consistent list result. You can start a new "
    "list without the continue parameter, or use the continue token in this response to retrieve the "
    "remainder of the results. Continuing with the provided token results in an inconsistent list - objects "
    "that were created, modified, or deleted between the time the first chunk was returned and now may show "
    "up in the list."
)


def _status(
    code: int,
    message: str,
    details: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> _Reply:
    reason = _REASONS.get(code) or HTTPStatus(code).phrase.replace(" ", "")
    doc: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": metadata or {},
        "status": "Failure",
        "message": message,
        "reason": reason,
    }
    if details:
        doc["details"] = details
    doc["code"] = code
    return _Reply(code, orjson.dumps(doc), headers=headers or {})


def _details(t: ResourceType, name: str | None) -> dict[str, str]:
    return {**({"name": name} if name else {}), **({"group": t.group} if t.group else {}), "kind": t.resource}


_NOT_FOUND_PAGE = _Reply(404, b"404 page not found\n", "text/plain; charset=utf-8")

#: what a broken proxy in front of an API server may send with a 200
_GARBAGE = b"\x1f\x8b\x08\x00<html><body>upstream connect error</body></html>\xff\xfe{[\x00"


def _with_type(item: bytes, t: ResourceType) -> bytes:
    prefix = orjson.dumps({"kind": t.kind, "apiVersion": t.api_version})
    item = item.strip()
    return prefix if item == b"{}" else prefix[:-1] + b"," + item[1:]


def _page_of(token: str | None) -> int:
    """Which page of a list a request asks for: 1 without a continue token, else what the token says."""
    if not token:
        return 1
    try:
        return int(orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))).get("page", 2))
    except (ValueError, TypeError, AttributeError):
        return 2


def _broken(body: bytes, fault: str | None) -> bytes:
    """A 200 answer's body as a fault leaves it: not JSON at all, or cut in the middle."""
    if fault == "garbage":
        return _GARBAGE
    if fault == "truncated":
        return body[: max(1, len(body) // 2)]
    return body


def _partial(item: bytes, api_version: str) -> bytes:
    md = orjson.loads(item).get("metadata") or {}
    return orjson.dumps({"kind": "PartialObjectMetadata", "apiVersion": api_version, "metadata": md})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-kube-apiserver"
    sys_version = ""
    timeout = 120
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.server.api._handle(self)

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET  # 405, and recorded


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, api: FakeApiServer) -> None:
        self.api = api
        self.conns: set[ssl.SSLSocket] = set()
        self.conns_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def server_bind(self) -> None:
        TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", self.server_address[1]

    def finish_request(self, request: Any, client_address: Any) -> None:
        # as the kube-apiserver (Go sets it on every connection): without it, the body sent after the headers waits
        # for the client's delayed acknowledgement of them, 40 ms for a small answer
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        tls = self.api._ssl.wrap_socket(request, server_side=True)
        with self.conns_lock:
            self.conns.add(tls)
        try:
            super().finish_request(tls, client_address)
        finally:
            with self.conns_lock:
                self.conns.discard(tls)
            tls.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients hanging up, failed handshakes

    def close_connections(self) -> None:
        with self.conns_lock:
            conns = list(self.conns)
        for c in conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)


class FakeApiServer:
    """A read-only Kubernetes API server over HTTPS on 127.0.0.1 (use as a context manager).

    ``page_size_cap`` shrinks the pages of requests that send ``limit``; a list
    without ``limit`` returns every item at once, as the real server does."""

    user = "system:serviceaccount:audit:k8saudit"
    resource_version = "184467"

    def __init__(
        self,
        objects: Iterable[Mapping[str, Any]] | Store = (),
        token: str = "test-token",
        page_size_cap: int | None = None,
        *,
        git_version: str = "v1.31.2",
    ) -> None:
        self.store: Store = objects if isinstance(objects, Store) else MemoryStore(objects)
        self.token = token
        self.page_size_cap = page_size_cap
        self.git_version = git_version
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []
        self._forbidden: set[tuple[str, str | None]] = set()
        self._not_served: set[str] = set()
        self._faults: list[Fault] = []
        self._delay: dict[str, float] = {}
        self._types: dict[tuple[str, str, str], ResourceType] = {}
        for t in (*BUILTIN_TYPES, *(resolve_type(k) for k in self.store.kinds())):
            self._types.setdefault((t.group, t.version, t.resource), t)
        import trustme  # the test extra's: imported when a server is made, not with k8saudit.testing

        self._ca = trustme.CA()
        self._ssl = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._ca.issue_cert("127.0.0.1", "localhost").configure_cert(self._ssl)
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # ---- fault injection -------------------------------------------------
    def forbid(self, resource: str, namespace: str | None = None) -> None:
        """403 for list/get of ``resource`` (in ``namespace`` and at cluster scope, or everywhere)."""
        with self._lock:
            self._forbidden.add((resource, namespace))

    def not_served(self, resource: str) -> None:
        """Answer 404 for ``resource`` and leave it out of discovery."""
        with self._lock:
            self._not_served.add(resource)

    def fault(
        self,
        resource: ResourceType | str,
        status: int | None = None,
        *,
        body: str | None = None,
        times: int | None = 1,
        page: int | None = None,
        namespace: str | None = None,
        retry_after: int | None = None,
        delay: float = 0.0,
    ) -> Fault:
        """Inject a fault into the next ``times`` matching requests for ``resource`` (None: every one).

        ``resource`` is a plural ("pods"), a built-in kind ("Pod") or a ``ResourceType``.
        ``status`` answers with that HTTP status and a ``Status`` body (403 Forbidden, 404
        NotFound, 410 Expired with a continue token, 429/5xx, with ``Retry-After`` when
        ``retry_after`` is given). ``body`` breaks a 200 answer instead: ``"garbage"`` (bytes that
        are not JSON), ``"truncated"`` (the JSON cut in the middle) or ``"stop_paging"`` (a list
        page without its continue token although items remain). ``page`` limits the fault to one
        page of a list (1 is the first request, 2 the first continue request, ...); ``namespace``
        to requests in that namespace (and cluster-scope ones). ``delay`` (seconds) slows every
        matching answer. Faults are tried in the order given; each matching request uses up one
        of ``times``. Returns the fault, whose ``times`` counts down.
        """
        if status is None and body is None and not delay:
            raise ValueError("fault() needs a status, a body or a delay")
        if status is not None and body is not None:
            raise ValueError("fault() takes a status or a body, not both")
        if status is not None and not 400 <= status <= 599:
            raise ValueError(f"status {status} is not an error status (400-599)")
        if body is not None and body not in FAULT_BODIES:
            raise ValueError(f"unknown body fault {body!r}; expected one of {FAULT_BODIES}")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1, or None for ever")
        if page is not None and page < 1:
            raise ValueError("page counts from 1 (the first page of a list)")
        name = resolve_type(resource).resource if not isinstance(resource, str) or resource in _BY_KIND else resource
        return self._add_fault(Fault(name, status, body, times, page, namespace, retry_after, delay))

    def _add_fault(self, f: Fault) -> Fault:
        with self._lock:
            self._faults.append(f)
        return f

    def clear_faults(self) -> None:
        """Remove every fault injected with :meth:`fault`, :meth:`fail_next` or :meth:`expire_continue`."""
        with self._lock:
            self._faults.clear()

    def fail_next(self, resource: str, status: int = 500, times: int = 1, retry_after: int | None = None) -> None:
        """The next ``times`` requests for ``resource`` fail with ``status`` (Retry-After header if given)."""
        self.fault(resource, status, times=times, retry_after=retry_after)

    def expire_continue(self, resource: str, times: int = 1) -> None:
        """The next ``times`` continue-token requests for ``resource`` get 410 Gone (reason Expired)."""
        self._add_fault(Fault(resource, 410, times=times, continued_only=True))

    def slow(self, resource: str, delay: float) -> None:
        """Delay every response for ``resource`` by ``delay`` seconds."""
        with self._lock:
            self._delay[resource] = delay

    # ---- lifecycle and client configuration ------------------------------
    def start(self) -> FakeApiServer:
        if self._httpd is None:
            self._httpd = _Server(self)
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-apiserver", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.close_connections()
            httpd.server_close()
            if self._thread is not None:
                self._thread.join(5)

    def __enter__(self) -> FakeApiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the server is not running; use it as a context manager or call start()")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def ca_pem(self) -> bytes:
        return self._ca.cert_pem.bytes()

    def write_kubeconfig(
        self,
        path: str | Path,
        context: str = "fake",
        cluster: str = "fake-cluster",
        *,
        user: str = "fake-user",
        namespace: str | None = None,
        token: str | None = None,
    ) -> Path:
        """Write a kubeconfig (server, CA data, bearer token) whose current context is ``context``."""
        ctx: dict[str, str] = {"cluster": cluster, "user": user}
        if namespace:
            ctx["namespace"] = namespace
        doc = {
            "apiVersion": "v1",
            "kind": "Config",
            "preferences": {},
            "current-context": context,
            "clusters": [
                {
                    "name": cluster,
                    "cluster": {
                        "server": self.url,
                        "certificate-authority-data": base64.b64encode(self.ca_pem).decode(),
                    },
                }
            ],
            "users": [{"name": user, "user": {"token": self.token if token is None else token}}],
            "contexts": [{"name": context, "context": ctx}],
        }
        p = Path(path)
        p.write_text(yaml.safe_dump(doc, sort_keys=False))
        return p

    # ---- request log -----------------------------------------------------
    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def clear_requests(self) -> None:
        with self._lock:
            self._records.clear()

    def assert_read_only(self) -> None:
        """Fail if any request was not a GET or asked for Secrets in full rather than as metadata."""
        bad = [r for r in self.requests if r.method != "GET" or (r.resource == "secrets" and not r.metadata_only)]
        if bad:
            lines = "\n".join(f"  {r.method} {r.path} -> {r.status} (Accept: {r.accept!r})" for r in bad)
            raise AssertionError(f"{len(bad)} request(s) were not read-only metadata-safe reads:\n{lines}")

    # ---- request handling ------------------------------------------------
    def _handle(self, h: _Handler) -> None:
        if length := int(h.headers.get("Content-Length") or 0):
            h.rfile.read(length)
        split = urlsplit(h.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        accept = h.headers.get("Accept", "")
        route = _parse_route(split.path)
        mode = _negotiate(accept, route.name is None)
        reply = self._respond(h, route, query, mode)
        record = RequestRecord(
            h.command,
            split.path,
            query,
            accept,
            reply.status,
            route.resource,
            route.namespace,
            route.name,
            mode is not None and mode != "json",
            reply.page,
            reply.fault,
        )
        with self._lock:
            self._records.append(record)
        h.send_response(reply.status)
        h.send_header("Content-Type", reply.ctype)
        h.send_header("Content-Length", str(len(reply.body)))
        h.send_header("Cache-Control", "no-cache, private")
        h.send_header("Audit-Id", str(uuid.uuid4()))
        for k, v in reply.headers.items():
            h.send_header(k, v)
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(reply.body)

    def _respond(self, h: _Handler, route: _Route, query: dict[str, str], mode: str | None) -> _Reply:
        scheme, _, token = h.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token != self.token:  # the scheme is case-insensitive (RFC 7235)
            return _status(401, "Unauthorized")
        if h.command != "GET":
            return _status(405, "the server does not allow this method on the requested resource")
        if route.endpoint == "version":
            major, minor = self.git_version.lstrip("v").split(".")[:2]
            return _Reply(
                200,
                orjson.dumps(
                    {
                        "major": major,
                        "minor": minor,
                        "gitVersion": self.git_version,
                        "gitCommit": "5864a4677267e6adeae276ad85882a8714d69d9d",
                        "gitTreeState": "clean",
                        "buildDate": "2024-10-22T20:28:14Z",
                        "goVersion": "go1.22.8",
                        "compiler": "gc",
                        "platform": "linux/amd64",
                    }
                ),
            )
        served = self._served()
        if route.endpoint == "api":
            return _Reply(
                200,
                orjson.dumps(
                    {
                        "kind": "APIVersions",
                        "versions": ["v1"],
                        "serverAddressByClientCIDRs": [
                            {"clientCIDR": "0.0.0.0/0", "serverAddress": f"127.0.0.1:{self.port}"}
                        ],
                    }
                ),
            )
        if route.endpoint in ("apis", "group"):
            groups: dict[str, list[dict[str, str]]] = {}
            for g, v in served:
                if g:
                    groups.setdefault(g, []).append({"groupVersion": f"{g}/{v}", "version": v})
            docs = [{"name": g, "versions": vs, "preferredVersion": vs[0]} for g, vs in groups.items()]
            if route.endpoint == "apis":
                return _Reply(200, orjson.dumps({"kind": "APIGroupList", "apiVersion": "v1", "groups": docs}))
            doc = next((d for d in docs if d["name"] == route.group), None)
            return (
                _NOT_FOUND_PAGE
                if doc is None
                else _Reply(200, orjson.dumps({"kind": "APIGroup", "apiVersion": "v1", **doc}))
            )
        gv = (route.group, route.version)
        if gv not in served:
            return _NOT_FOUND_PAGE
        if route.endpoint == "resources":
            rl: dict[str, Any] = {"kind": "APIResourceList", "groupVersion": "/".join(filter(None, gv))}
            if route.group:
                rl["apiVersion"] = "v1"
            rl["resources"] = [
                {
                    "name": t.resource,
                    "singularName": t.kind.lower(),
                    "namespaced": t.namespaced,
                    "kind": t.kind,
                    "verbs": ["get", "list", "watch"],
                }
                for t in sorted(served[gv], key=lambda t: t.resource)
            ]
            return _Reply(200, orjson.dumps(rl))
        t = self._types.get((route.group, route.version, route.resource or ""))
        if (
            route.endpoint == "other"
            or t is None
            or t.resource in self._not_served
            or (route.namespace is not None and not t.namespaced)
            or (route.endpoint == "get" and t.namespaced and route.namespace is None)
        ):
            return _status(404, "the server could not find the requested resource", {})
        return self._serve(t, route, query, mode)

    def _served(self) -> dict[tuple[str, str], list[ResourceType]]:
        out: dict[tuple[str, str], list[ResourceType]] = {}
        with self._lock:
            hidden = set(self._not_served)
        for t in self._types.values():
            if t.resource not in hidden:
                out.setdefault((t.group, t.version), []).append(t)
        return out

    def _serve(self, t: ResourceType, route: _Route, query: dict[str, str], mode: str | None) -> _Reply:
        res, ns, name = t.resource, route.namespace, route.name
        page = None if name else _page_of(query.get("continue"))
        with self._lock:
            delay = self._delay.get(res, 0.0)
            fault = next((f for f in self._faults if f.matches(res, ns, page)), None)
            if fault is not None and fault.times is not None:
                fault.times -= 1
            forbidden = (res, None) in self._forbidden or any(
                r == res and (ns is None or n == ns) for r, n in self._forbidden
            )
        delay += fault.delay if fault is not None else 0.0
        if delay:
            time.sleep(delay)
        if fault is not None and fault.status is not None:
            reply = self._failure(fault, t, route, query)
        else:
            reply = self._answer(t, route, query, mode, forbidden, fault.body if fault is not None else None)
            if fault is not None and reply.status == 200:
                reply.body = _broken(reply.body, fault.body)
        reply.page = page
        reply.fault = fault.describe() if fault is not None else None
        return reply

    def _failure(self, fault: Fault, t: ResourceType, route: _Route, query: dict[str, str]) -> _Reply:
        code, retry_after, name = fault.status or 500, fault.retry_after, route.name
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        details: dict[str, Any] = {} if retry_after is None else {"retryAfterSeconds": retry_after}
        if code == 403:
            return self._forbidden_reply(t, route, query)
        if code == 404:
            return _status(
                404,
                f'{t.resource} "{name}" not found' if name else "the server could not find the requested resource",
                _details(t, name) if name else {},
            )
        if code == 410:
            token = query.get("continue")
            if token:
                return _status(410, _EXPIRED, metadata={"continue": token})
            return _status(410, f"too old resource version: 1 ({self.resource_version})", _details(t, name))
        return _status(code, _FAILURE_MESSAGES.get(code, "injected failure"), details, headers=headers)

    def _forbidden_reply(self, t: ResourceType, route: _Route, query: dict[str, str]) -> _Reply:
        res, ns, name = t.resource, route.namespace, route.name
        verb = "get" if name else ("watch" if query.get("watch") in ("true", "1") else "list")
        subject = f'{res} "{name}"' if name else res
        scope = f'in the namespace "{ns}"' if ns else "at the cluster scope"
        return _status(
            403,
            f'{subject} is forbidden: User "{self.user}" cannot {verb} resource "{res}" '
            f'in API group "{t.group}" {scope}',
            _details(t, name),
        )

    def _answer(
        self,
        t: ResourceType,
        route: _Route,
        query: dict[str, str],
        mode: str | None,
        forbidden: bool,
        body_fault: str | None,
    ) -> _Reply:
        res, ns, name = t.resource, route.namespace, route.name
        if forbidden:
            return self._forbidden_reply(t, route, query)
        if query.get("watch") in ("true", "1") and not name:  # no watch streams
            return _status(400, "watch is not supported by this server")
        if mode is None:
            return _status(
                406,
                "only the following media types are accepted: application/json, "
                "application/json;as=PartialObjectMetadata[List];g=meta.k8s.io;v=v1",
            )
        if name is not None:
            item = self._get_item(t, ns, name)
            if item is None:
                return _status(404, f'{res} "{name}" not found', _details(t, name))
            if mode == "json":
                return _Reply(200, _with_type(item, t))
            return _Reply(
                200,
                _partial(item, mode),
                f"application/json;as=PartialObjectMetadata;g=meta.k8s.io;v={mode.split('/')[1]}",
            )
        return self._list(t, ns, query, mode, stop_paging=body_fault == "stop_paging")

    def _list(
        self, t: ResourceType, ns: str | None, query: dict[str, str], mode: str, *, stop_paging: bool = False
    ) -> _Reply:
        try:
            limit = max(int(query.get("limit") or 0), 0)
        except ValueError:
            return _status(400, f"invalid limit {query.get('limit')!r}")
        if limit and self.page_size_cap:
            limit = min(limit, self.page_size_cap)
        key = f"/{t.group}/{t.resource}/{ns or ''}"
        start, page = 0, 1
        if token := query.get("continue"):
            try:
                doc = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
                start, page = int(doc["start"]), int(doc.get("page", 2))
                if doc.get("key") != key or start < 0:
                    raise ValueError("continue token does not match this request")
            except (ValueError, KeyError, TypeError) as err:
                return _status(400, f"continue key is not valid: {err}")
        items, total = self.store.list(t.resource, ns, start, limit or None)
        end = start + len(items)
        meta: dict[str, Any] = {"resourceVersion": self.resource_version}
        if limit and end < total:
            if not stop_paging:  # a server that stops paging loses the token, not the count
                meta["continue"] = self._token(key, end, page + 1)
            meta["remainingItemCount"] = total - end
        if mode == "json":
            kind, api_version, ctype = f"{t.kind}List", t.api_version, "application/json"
        else:
            kind, api_version = "PartialObjectMetadataList", mode
            ctype = f"application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v={mode.split('/')[1]}"
            items = [_partial(i, mode) for i in items]
        head = orjson.dumps({"kind": kind, "apiVersion": api_version, "metadata": meta})[:-1]
        return _Reply(200, b"".join((head, b',"items":[', b",".join(items), b"]}")), ctype)

    def _token(self, key: str, start: int, page: int) -> str:
        doc = {"v": "meta.k8s.io/v1", "rv": int(self.resource_version), "key": key, "start": start, "page": page}
        return base64.urlsafe_b64encode(orjson.dumps(doc)).rstrip(b"=").decode()

    def _get_item(self, t: ResourceType, ns: str | None, name: str) -> bytes | None:
        getter = getattr(self.store, "get", None)
        if callable(getter):
            found: bytes | None = getter(t.resource, ns, name)
            return found
        start, total = 0, 1
        while start < total:
            items, total = self.store.list(t.resource, ns, start, 1000)
            start = start + len(items) if items else total
            hits = [i for i in items if (orjson.loads(i).get("metadata") or {}).get("name") == name]
            if hits:
                return hits[0]
        return None
