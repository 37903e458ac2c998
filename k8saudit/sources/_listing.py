"""Listing one resource page by page, for the live loader (:mod:`k8saudit.sources.live`).

GET only, with bounded retries: the client's own ``urllib3.util.Retry`` (:data:`RETRY`)
retries 429 and 5xx answers (honouring ``Retry-After``) and connections that broke before
an answer came, with exponential backoff; what it cannot see (a body that breaks off while
it is read, or is not JSON, cut short or garbled) is asked for again here, on the same
policy. An expired
continue token restarting the list, the next page requested while this one is
decoded, and pages decoded by msgspec straight into the typed structs.

What could not be read becomes a skip row, never silence: a kind whose first page
fails is ``forbidden``, ``not_served`` or ``error``; a list that ends early (a later
page failing, a continue token that keeps expiring, a server that stops paging
while its ``remainingItemCount`` says more items remain) is ``partial``, with the
items read kept and counted in the reason.
"""

from __future__ import annotations

import builtins
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any, NoReturn

import msgspec
import urllib3.exceptions as u3
from kubernetes import client as kclient
from kubernetes.client.exceptions import ApiException
from urllib3.util.retry import RequestHistory, Retry

from .. import _model as m
from ..snapshot import Admitted, Snapshot
from . import _parallel
from ._podpages import HEAD, Pages
from ._progress import Progress
from ._share import Sharer
from .errors import describe_error, status_message

#: the Accept header that makes the API server send metadata only (Secrets)
METADATA_ACCEPT = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
JSON_ACCEPT = "application/json"
#: statuses worth another try, with exponential backoff (``Retry-After`` honoured)
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
MAX_ATTEMPTS = 5
BACKOFF = 0.5  # seconds before the second attempt; doubled each time
MAX_DELAY = 30  # seconds: the longest backoff, and the longest Retry-After honoured
#: how often an expired continue token (410 Gone) restarts a kind's list
MAX_RESTARTS = 2
USER_AGENT = "k8saudit"

_sleep = time.sleep  # replaced in tests


class _Retry(Retry):
    """urllib3's Retry as the loader uses it: a read timeout is not retried (the server is too slow,
    asking again would make the load take attempts x timeout), a ``Retry-After`` that is neither
    seconds nor a date falls back to the backoff, and every pause goes through :data:`_sleep`."""

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> _Retry:
        if isinstance(error, u3.ReadTimeoutError):
            raise error
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def sleep(self, response: Any = None) -> None:
        after = None
        if response is not None and self.respect_retry_after_header:
            try:
                after = self.get_retry_after(response)
            except u3.InvalidHeader:
                after = None
        _sleep(after if after else self.get_backoff_time())


#: the retries of every request (the kubernetes client's ``Configuration.retries``): 429 and 5xx, and a
#: connection that broke before the answer, MAX_ATTEMPTS in all; the first retry at once, then BACKOFF
#: doubled each time (plus up to a quarter of BACKOFF of jitter), at most MAX_DELAY, or the Retry-After
#: the server asks for (at most MAX_DELAY). A refused connection, a TLS failure or a redirect is not
#: retried: the caller classifies it.
RETRY = _Retry(
    total=MAX_ATTEMPTS - 1,
    connect=0,
    other=0,
    redirect=False,
    status_forcelist=RETRY_STATUS,
    allowed_methods=frozenset({"GET"}),
    backoff_factor=BACKOFF,
    backoff_jitter=BACKOFF / 4,
    backoff_max=MAX_DELAY,
    retry_after_max=MAX_DELAY,
    respect_retry_after_header=True,
    raise_on_status=False,
)


def _backoff(attempt: int) -> None:
    """The pause after ``attempt`` failed tries of something the client's Retry cannot see (a body that broke
    off or is not JSON): the pause :data:`RETRY` would make after as many."""
    RETRY.new(history=(RequestHistory("GET", None, None, None, None),) * attempt).sleep()


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


#: a kind's owners' level: its lists admit their pages once every list of a lower level is done (a ReplicaSet
#: is compacted against its Deployment's template, a pod against its ReplicaSet's, Job's, ...)
_LEVELS = (
    ("CronJob", "Deployment", "StatefulSet", "DaemonSet", "ReplicationController"),
    ("Job", "ReplicaSet"),
    ("Pod",),
)
_LEVEL = {kind: i for i, kinds in enumerate(_LEVELS) for kind in kinds}
assert set(_LEVEL) == set(m.OWNERS_FIRST)
#: the pages a pods list handed to worker processes holds while its owners are listed (read, not decoded), in
#: bytes at most: the owners' lists and the pods list go on together (on the loopback API server the pages of
#: 10k pods come in 0.7 s one after another, and their owners are listed in about as long)
MAX_HELD_BYTES = 128 * 1024**2
#: the big lists that own nothing (started first among those)
_BIG = ("ConfigMap", "Secret", "Service")


def _start_order(kind: str) -> tuple[int, int]:
    level = _LEVEL.get(kind)
    if level is not None:
        return (level, m.OWNERS_FIRST.index(kind))
    return (len(_LEVELS), _BIG.index(kind) if kind in _BIG else len(_BIG))


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
    remaining_item_count: int | None = msgspec.field(default=None, name="remainingItemCount")


class _Partial(msgspec.Struct, gc=False):
    """An item of a PartialObjectMetadataList: metadata only."""

    metadata: m.ObjectMeta = msgspec.field(default_factory=m.ObjectMeta)


class _ListHead(msgspec.Struct, gc=False):
    metadata: _ListMeta = msgspec.field(default_factory=_ListMeta)


_head_decoder = msgspec.json.Decoder(_ListHead)


class _PageHead(msgspec.Struct, gc=False):
    """A list page but its items: what is checked here of a page handed to a worker (which checks its items)."""

    kind: str | None = None
    metadata: _ListMeta = msgspec.field(default_factory=_ListMeta)


_page_head_decoder = msgspec.json.Decoder(_PageHead)


class _RawList(msgspec.Struct, gc=False):
    kind: str | None = None
    metadata: _ListMeta = msgspec.field(default_factory=_ListMeta)
    items: list[msgspec.Raw] | None = None


_list_decoders: dict[type, msgspec.json.Decoder[Any]] = {}

#: a page's items undecoded (spelled here: inside :class:`Lister`, ``list`` is its method)
RawItems = list[msgspec.Raw]
Query = list[tuple[str, Any]]


def _list_decoder(tp: type) -> msgspec.json.Decoder[Any]:
    """A decoder of one list page whose items are ``tp``."""
    dec = _list_decoders.get(tp)
    if dec is None:
        st = msgspec.defstruct(
            f"{tp.__name__.lstrip('_')}List",
            [
                ("kind", str | None, None),
                ("metadata", _ListMeta, msgspec.field(default_factory=_ListMeta)),
                ("items", list[tp] | None, None),  # type: ignore[valid-type]
            ],
            gc=False,
        )
        dec = _list_decoders[tp] = msgspec.json.Decoder(st)
    return dec


def _always() -> bool:
    return True


def _utf8(body: bytes) -> bool:
    """Is ``body`` UTF-8 (as decoding a string of it checks: skipping it does not)?"""
    if body.isascii():
        return True
    try:
        body.decode()
    except UnicodeDecodeError:
        return False
    return True


@dataclass
class Result:
    res: Resource
    namespace: str | None
    items: list[Any] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    skips: list[dict[str, Any]] = field(default_factory=list)
    #: the pages :attr:`Lister.snap` admitted (taken back if the list starts again)
    admitted: list[Admitted] = field(default_factory=list)


def error_text(e: BaseException) -> str:
    return describe_error(e) or " ".join(str(e).split()) or type(e).__name__


class Fatal(Exception):
    """The cluster cannot be read at all (unreachable, TLS, credentials rejected)."""


class Lister:
    """Lists resources of one API server for one load (see :meth:`run`)."""

    def __init__(
        self,
        api: kclient.ApiClient,
        server: str,
        cluster: str,
        *,
        timeout: float,
        page_size: int,
        progress: Progress | None,
        snap: Snapshot | None = None,
    ) -> None:
        self.api = api
        self.server = server
        self.cluster = cluster
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
        #: where each page is admitted as it arrives (normalised, compacted against its owner's template), so
        #: that what is held while the lists go on is what will be kept; None: pages are only decoded
        self.snap = snap
        self.admitting = threading.Lock()
        #: owner level → lists of that level not finished yet (see :data:`_LEVEL`)
        self.owners_left = [0] * len(_LEVELS)
        self.owners_done = threading.Condition(self.lock)
        #: the worker processes of this :meth:`run` (see ``_podpages``), whether a list has them, and how many
        #: templates they were sent (None: not yet)
        self.pool: _parallel.Pool | None = None
        self.pool_taken = False
        self.pool_templates: int | None = None
        #: bytes of the pages lists hold while their owners are listed (see :data:`MAX_HELD_BYTES`)
        self.held_bytes = 0

    # ---- requests
    def get(self, path: str, query: list[tuple[str, Any]], accept: str) -> bytes:
        """GET, retried by the client's :data:`RETRY` (429/5xx, broken connections), and here when the body
        breaks off while it is read; the body of a 2xx answer."""
        attempt = 0  # tries of this loop; the client's Retry makes some more inside each
        while True:
            attempt += 1
            if self.cancel.is_set():
                raise _Cancelled
            tries = 1
            try:
                method, url, headers, _, _ = self.api.param_serialize(
                    "GET",
                    path,
                    query_params=list(query),
                    header_params={"Accept": accept},
                    auth_settings=["BearerToken"],
                )
                resp = self.api.call_api(method, url, header_params=headers, _request_timeout=self.timeout)
                retries = getattr(resp.response, "retries", None)
                tries += len(retries.history) if retries is not None else 0
                body: bytes = resp.read()
            except u3.MaxRetryError as e:  # what the client's Retry gave up on, or does not retry
                tries = MAX_ATTEMPTS if isinstance(e.reason, u3.ProtocolError) else 1
                self._count(attempt - 1 + tries)
                cause = e.reason if e.reason is not None else e
                if isinstance(cause, u3.ProtocolError):
                    raise _HTTPError(0, self._cause(cause), attempt - 1 + tries) from None
                self._fatal_or_timeout(cause)
            except (u3.ProtocolError, ConnectionError) as e:  # the body broke off: the Retry was done by then
                self._count(tries)
                if attempt >= MAX_ATTEMPTS:
                    raise _HTTPError(0, self._cause(e), attempt) from None
                _backoff(attempt)
                continue
            except (u3.HTTPError, ApiException) as e:
                self._count(tries)
                self._fatal_or_timeout(e)
            self._count(tries)
            status = resp.status
            if 200 <= status < 300:
                return body
            if status == 401:
                raise Fatal(
                    self._cause(ApiException(status=401, reason="Unauthorized", body=body.decode("utf-8", "replace")))
                )
            raise _HTTPError(status, status_message(body), attempt - 1 + tries)

    def _count(self, requests: int) -> None:
        with self.lock:
            self.requests += requests

    def _fatal_or_timeout(self, e: BaseException) -> NoReturn:
        """A request that no retry helps: too slow (the caller says which list), else the cluster is unreadable."""
        if isinstance(e, u3.TimeoutError) and not isinstance(e, u3.NewConnectionError):
            raise _Timeout from None
        raise Fatal(self._cause(e)) from None

    def _cause(self, e: BaseException) -> str:
        return describe_error(e, self.server) or error_text(e)

    def page(
        self,
        path: str,
        query: list[tuple[str, Any]],
        accept: str,
        tp: type | None = None,
        head_only: Callable[[], bool] | None = None,
    ) -> tuple[bytes, _ListMeta, Any]:
        """One list page, its metadata, and the page decoded with items of type ``tp`` (None when an item does
        not validate: :meth:`_add_page` then reads them one by one). A body that is not JSON (garbled, or cut
        short by a proxy) is asked for again like a 5xx; one that is JSON but not a list page is an error.
        ``head_only()`` true once the body is read: the page is checked as the typed decoding would check it
        (JSON, UTF-8, its kind and metadata) but its items are left to a worker (``_podpages.HEAD``)."""
        attempt = 0
        while True:
            attempt += 1
            body = self.get(path, query, accept)
            try:
                if tp is not None and head_only is not None and head_only() and _utf8(body):
                    try:
                        return body, _page_head_decoder.decode(body).metadata, HEAD
                    except msgspec.ValidationError:
                        pass  # the typed decoding says what is wrong
                if tp is not None:
                    try:  # the whole page at once: read once, not once for its metadata and again for its items
                        decoded = _list_decoder(tp).decode(body)
                        return body, decoded.metadata, decoded
                    except msgspec.ValidationError:
                        pass  # an item that does not validate, or not a list page: the metadata alone says which
                return body, _head_decoder.decode(body).metadata, None
            except msgspec.ValidationError as e:  # (a DecodeError too: caught first)
                raise _HTTPError(200, f"the answer is not a list page: {e}", attempt) from None
            except msgspec.DecodeError as e:
                if attempt >= MAX_ATTEMPTS:
                    raise _HTTPError(200, f"the answer is not valid JSON ({e}; {len(body):,} bytes)", attempt) from None
                _backoff(attempt)

    def server_version(self) -> str | None:
        try:
            body = self.get("/version", [], JSON_ACCEPT)
        except _Timeout:
            raise Fatal(
                f"the API server {self.server} did not answer within {self.timeout:g}s (timeout={self.timeout:g})"
            ) from None
        except _HTTPError:
            return None  # some servers hide /version; the lists will tell
        try:
            version: str | None = msgspec.json.decode(body).get("gitVersion")
            return version
        except (msgspec.DecodeError, AttributeError):
            return None

    # ---- lists
    def run(self, tasks: list[tuple[Resource, str | None]], workers: int) -> list[Result]:
        """List every (resource, namespace) task, ``workers`` at a time; a Result each, in the tasks' order.

        Owners are listed before what they own (:data:`_LEVEL`): a list admits its first page into
        :attr:`snap` once every list of its owners' kinds is done, so that each page is compacted against
        its owners' templates as it arrives. Lists start in that order, so a list only ever waits for
        lists that run already.
        """
        self.total = len(tasks)
        results: list[Result | None] = [None] * len(tasks)
        types = [_Partial if res.kind == "Secret" else m.KINDS[res.kind] for res, _ in tasks]
        for tp in types:  # every decoder built once, here, before the threads start
            _list_decoder(tp)
        # owners first, then what they own, then the rest, big lists first so they do not finish last on their own
        order = sorted(range(len(tasks)), key=lambda i: _start_order(tasks[i][0].kind))
        with self.lock:
            for res, _ in tasks:
                level = _LEVEL.get(res.kind)
                if level is not None:
                    self.owners_left[level] += 1
        with (
            ThreadPoolExecutor(max_workers=workers, thread_name_prefix="k8saudit-list") as ex,
            ThreadPoolExecutor(max_workers=workers, thread_name_prefix="k8saudit-page") as self.prefetch,
        ):
            futs = {ex.submit(self._list_task, *tasks[i]): i for i in order}
            try:
                for f in as_completed(futs):
                    results[futs[f]] = f.result()
            except BaseException:
                self.cancel.set()
                with self.owners_done:
                    self.owners_done.notify_all()
                for f in futs:
                    f.cancel()
                raise
            finally:
                if self.pool is not None:  # (the lists are done, or cancelled: a worker's answer is not wanted)
                    self.pool.close()
                self.pool, self.pool_taken, self.pool_templates = None, False, None
        return [r for r in results if r is not None]

    # ---- worker processes (see ``_podpages``)
    def take_pool(self, size: int) -> _parallel.Pool | None:
        """This run's worker processes for a pods list with about ``size`` bytes still to come (started now, when
        that is large enough, see ``_parallel.workers_for``); None: none, or another list has them."""
        with self.lock:
            if self.pool_taken or self.cancel.is_set():
                return None
            if self.pool is None:
                n = _parallel.workers_for(size, live=True)
                if not n:
                    return None
                self.pool = _parallel.Pool(None, "Pod", None, n, feed=True)
            if self.pool.broken:
                return None
            self.pool_taken = True
            return self.pool

    def release_pool(self) -> None:
        with self.lock:
            self.pool_taken = False

    def send_templates(self, pool: _parallel.Pool) -> int:
        """The owners' templates, sent to the workers once (every owner is in); how many there were then."""
        assert self.snap is not None
        if self.pool_templates is None:
            with self.admitting:
                specs, uids = self.snap.owner_templates()
                self.pool_templates = len(self.snap.template_index)
            pool.send_templates(_parallel.templates_payload(specs, uids))
        return self.pool_templates

    def hold(self, n: int) -> None:
        """Count ``n`` more bytes of pages held while their owners are listed (``n`` < 0: released)."""
        with self.lock:
            self.held_bytes += n

    def can_hold(self) -> bool:
        """Are fewer than :data:`MAX_HELD_BYTES` held?"""
        with self.lock:
            return self.held_bytes < MAX_HELD_BYTES

    @staticmethod
    def decode_page(body: bytes, tp: type) -> Any:
        """A page fetched with its head only (``HEAD``), decoded here: None when an item does not validate."""
        try:
            return _list_decoder(tp).decode(body)
        except msgspec.ValidationError:
            return None

    def _list_task(self, res: Resource, namespace: str | None) -> Result:
        try:
            if res.kind not in _LEVEL and self.pool is not None:
                # the worker processes compact pods once the owners are in: the owners first, on this core; what
                # owns nothing is read while the workers have the pods
                try:
                    self._wait_for_owners("Pod")
                except _Cancelled:
                    return Result(res, namespace)
            return self.list(res, namespace)
        finally:
            level = _LEVEL.get(res.kind)
            if level is not None:
                with self.owners_done:
                    self.owners_left[level] -= 1
                    self.owners_done.notify_all()

    def _owners_pending(self, kind: str) -> bool:
        """Is a list of the kinds that own ``kind``'s objects still going on?"""
        level = _LEVEL.get(kind)
        if not level:
            return False
        with self.lock:
            return any(self.owners_left[:level])

    def _wait_for_owners(self, kind: str) -> None:
        """Wait until every list of the kinds that own ``kind``'s objects is done (their templates are known)."""
        level = _LEVEL.get(kind)
        if not level:
            return
        with self.owners_done:
            while any(self.owners_left[:level]) and not self.cancel.is_set():
                self.owners_done.wait(1)
        if self.cancel.is_set():
            raise _Cancelled

    def list(self, res: Resource, namespace: str | None) -> Result:
        path = res.path(namespace)
        where = f'in namespace "{namespace}"' if namespace else ("at cluster scope" if res.namespaced else "")
        what = f"list {res.plural} {where}".strip()
        accept = METADATA_ACCEPT if res.kind == "Secret" else JSON_ACCEPT
        tp: type = _Partial if res.kind == "Secret" else m.KINDS[res.kind]
        prefetch = self.prefetch
        assert prefetch is not None, "list() runs inside run()"
        restarts = 0
        while True:
            result = Result(res, namespace)
            pages = Pages(self, result, path)  # admitted in order: here, or by a worker process (pods)
            token: str | None = None
            announced: int | None = None  # what the previous page said remained
            try:
                try:
                    body, meta, decoded = self.page(path, self._query(None), accept, tp)
                    while True:
                        token = meta.continue_ or None
                        if token and not pages.planned:
                            pages.plan(body, decoded, meta.remaining_item_count)
                        if (
                            token
                            and pages.pool is not None
                            and not restarts
                            and not pages.started
                            and pages.can_hold()
                            and self._owners_pending(res.kind)
                        ):
                            # while the owners are listed, a list handed to workers goes on: its pages are held,
                            # unread, for them
                            pages.hold(body, decoded)
                            announced = meta.remaining_item_count
                            body, meta, decoded = self.page(path, self._query(token), accept, tp, _always)
                            continue
                        # ask for the next page now, keep this one while it comes
                        head = pages.head_only if pages.pool is not None else None
                        nxt = prefetch.submit(self.page, path, self._query(token), accept, tp, head) if token else None
                        if not pages.started:
                            if not restarts:
                                self._wait_for_owners(res.kind)  # (the next page is on its way meanwhile)
                            pages.start()
                        pages.add(body, decoded, last=nxt is None)
                        if nxt is None:
                            pages.finish()
                            self._check_complete(result, meta, announced, pages.got, pages.done, what, path)
                            return result
                        announced = meta.remaining_item_count
                        body, meta, decoded = nxt.result()
                except (_HTTPError, _Timeout) as e:
                    err: _HTTPError | _Timeout = e
                    try:  # the pages before the failing one, admitted in order as they would have been
                        if pages.held:
                            self._wait_for_owners(res.kind)
                            pages.start()
                        pages.finish()
                    except _HTTPError as earlier:
                        err = earlier  # (one of them failed first)
                    n = pages.done
                    if isinstance(err, _HTTPError):
                        if err.status == 410 and token and restarts < MAX_RESTARTS:
                            restarts += 1  # the continue token expired: start the list again
                            self._forget(result)
                            self._say(f"{self.cluster}: {res.plural}: continue token expired, listing again")
                            continue
                        if n:
                            self._skip_partial(result, self._why(err, restarts, n + 1), what, path, n)
                        else:
                            self._skip_http(result, err, what, path)
                    else:
                        why = f"timed out after {self.timeout:g}s (timeout={self.timeout:g})"
                        if n:
                            self._skip_partial(result, f"page {n + 1} {why}", what, path, n)
                        else:
                            self._skip(result, path, f"error: {what} {why}", "error")
                    self._report(res.kind, namespace, len(result.items), final=True)
                    return result
            except _Cancelled:
                return result
            finally:
                pages.close()

    def _check_complete(
        self, result: Result, meta: _ListMeta, announced: int | None, got: int, pages: int, what: str, path: str
    ) -> None:
        """The last page came without a continue token: had the server said more items remain?

        Either this page's own ``remainingItemCount`` is positive, or the previous page announced
        clearly more items than this one holds: the count is an estimate (objects created while
        the list is read move it), so a shortfall of 1% or a single item is let pass. A server that
        never sends the count cannot be caught this way.
        """
        left = meta.remaining_item_count
        if not left and announced is not None and announced - got > max(1, announced // 100):
            left = announced - got
        if left and left > 0:
            self._skip_partial(
                result,
                f"the server stopped paging after page {pages} although "
                f"{left:,} more item{'s' if left != 1 else ''} remained (remainingItemCount)",
                what,
                path,
                pages,
            )

    @staticmethod
    def _why(e: _HTTPError, restarts: int, page: int) -> str:
        if e.status == 410:
            return f"the continue token kept expiring (410 Gone), {restarts} restarts"
        tries = f" after {e.attempts} attempts" if e.attempts > 1 else ""
        code = f"{e.status} " if e.status and e.status != 200 else ""
        return f"page {page} failed{tries}: {code}{e.message or ''}".rstrip(": ")

    def _skip_partial(self, result: Result, why: str, what: str, path: str, pages: int) -> None:
        n = len(result.items)
        self._skip(
            result,
            path,
            f"partial: {what} ended early: {why}; {n:,} item{'s' if n != 1 else ''} "
            f"read from {pages} page{'s' if pages != 1 else ''}",
            "partial",
        )

    def _query(self, token: str | None) -> Query:
        return [("limit", self.page_size), ("continue", token)] if token else [("limit", self.page_size)]

    def _add_page(self, result: Result, body: bytes, path: str, decoded: Any = None) -> None:
        res = result.res
        tp: type = _Partial if res.kind == "Secret" else m.KINDS[res.kind]
        try:
            page = decoded if decoded is not None else _list_decoder(tp).decode(body)
            items: list[Any] = page.items or []
        except msgspec.ValidationError:
            try:
                raw = msgspec.json.decode(body, type=_RawList)
            except msgspec.ValidationError as e:
                raise _HTTPError(200, f"the answer is not a list page: {e}", 1) from None
            page, items = raw, self._decode_one_by_one(result, raw.items or [], tp, path)
        except msgspec.DecodeError as e:
            raise _HTTPError(200, f"the answer is not valid JSON: {e}", 1) from None
        if res.kind == "Secret":
            if page.kind != "PartialObjectMetadataList":
                raise _HTTPError(
                    200,
                    f"the server answered {page.kind or 'something else'} instead of "
                    "metadata only (PartialObjectMetadataList); no Secret was kept",
                    1,
                )
            items = [m.Secret(api_version=res.api_version, metadata=p.metadata) for p in items]
        else:
            api_version = res.api_version
            for o in items:  # list responses omit kind and apiVersion per item
                if o.api_version is None:
                    o.api_version = api_version
        if not items:
            return
        srcs = self.sources(res, items, path)
        if self.snap is not None:
            with self.admitting:
                admitted = self.snap.admit_page(items, srcs)
            result.admitted.append(admitted)
            items, srcs = admitted.objs, admitted.sources
        # equal parts become one object (a 100k-pod snapshot fits in memory), once compacted
        self.sharer.share_kept(items)
        result.sources.extend(srcs)
        result.items.extend(items)

    @staticmethod
    def sources(res: Resource, items: builtins.list[Any], path: str) -> builtins.list[str]:
        """Where each item of a page came from: the list's path in the item's namespace."""
        paths: dict[str | None, str] = {}
        srcs = []
        for o in items:
            ns = o.metadata.namespace
            p = paths.get(ns)
            if p is None:
                p = paths[ns] = res.path(ns) if res.namespaced and ns else path
            srcs.append(p)
        return srcs

    def _forget(self, result: Result) -> None:
        """A list read again from its start: what its first reading admitted is taken back."""
        if self.snap is not None:
            with self.admitting:
                for a in result.admitted:
                    self.snap.forget(a)

    def _decode_one_by_one(self, result: Result, raws: RawItems, tp: type, path: str) -> builtins.list[Any]:
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
                self._skip(
                    result,
                    path,
                    f"invalid {result.res.kind} {md.name}: {e}",
                    "invalid",
                    namespace=md.namespace,
                    name=md.name,
                )
        return out

    def _skip_http(self, result: Result, e: _HTTPError, what: str, path: str) -> None:
        """The first page of a list failed: nothing of the kind was read."""
        res = result.res
        msg = f" ({e.message})" if e.message else ""
        if e.status == 403:
            self._skip(result, path, f"forbidden: {what}{msg}", "forbidden")
        elif e.status == 404:
            self._skip(
                result,
                path,
                f"not served: this API server does not serve {res.plural} ({res.api_version})",
                "not_served",
            )
        else:
            tries = f" after {e.attempts} attempts" if e.attempts > 1 else ""
            code = f"{e.status} " if e.status and e.status != 200 else ""
            self._skip(result, path, f"error: {what} failed{tries}: {code}{e.message or ''}".rstrip(": "), "error")

    def _skip(
        self,
        result: Result,
        path: str,
        reason: str,
        category: str,
        *,
        namespace: str | None = None,
        name: str | None = None,
    ) -> None:
        result.skips.append(
            {
                "source": path,
                "reason": reason,
                "category": category,
                "kind": result.res.kind,
                "namespace": namespace if name else result.namespace,
                "name": name,
            }
        )

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
            self._say_locked(f"{self.cluster}: {self.done}/{self.total} lists done; {counts}")

    def _say(self, msg: str) -> None:
        if self.progress is not None:
            with self.lock:
                self._say_locked(msg)

    def _say_locked(self, msg: str) -> None:
        try:
            self.progress(msg)  # type: ignore[misc]
        except Exception:  # a broken progress display never stops a load
            self.progress = None
