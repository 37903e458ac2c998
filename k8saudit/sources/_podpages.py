"""The pages of one live list admitted in order; a large pods list's by a worker process meanwhile.

Without workers each page is admitted as it arrives (:meth:`Lister._add_page`). A pods list whose first page
says that many more bytes of pods are to come (``_parallel.workers_for(..., live=True)``: ``K8SAUDIT_WORKERS``,
or large enough when on by default) takes the load's worker processes (``_parallel.Pool``: the files loader's
worker program, sent pages on its stdin instead of byte ranges of a file). They start at that first page and
are sent the owners' templates once the owners are in; meanwhile the pods list goes on fetching, its pages
held unread (``_listing.MAX_HELD_BYTES`` at most), and the lists of kinds that own nothing wait (the owners
are listed first, on the loader's core; the others are read while a worker has the pods). Each worker
decodes a page with the loader's typed decoder, applies the secret rules, compacts each pod against its
owner's template (``_normalize.compact_pods``) and sends back only what is kept. The fetching (retries,
faults, a list read again after its continue token expired) stays in the loader, through the kubernetes
client.

A page is a worker's only when its JSON, its kind and its metadata were checked here already, as the typed
decoding would check them (:meth:`Lister.page` decodes its head, skipping its items, and checks that it is
UTF-8: a body that is not JSON is asked for again as without workers). While the oldest page a worker has is
not back, the loader does the next pages itself the same way, ahead of their turn; once the last page is in,
it also takes back the newest pages a worker has not answered. Every page is admitted in list order
(``Snapshot.admit_compacted``: names, duplicates), so the snapshot, its skipped rows and its provenance are
those of the loader alone. A page a worker cannot do (an item that does not validate, a pod loaded before: a
duplicate is compared whole) is done in its turn by the loader from its bytes, as without workers; so is
every page after a worker died. A list that fails, or starts again, admits the pages before the failure in
order first, as without workers.
"""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING, Any

import msgspec

from .. import _model as m
from .._normalize import compact_pods
from . import _parallel

if TYPE_CHECKING:
    from ._listing import Lister, Result

#: a page whose items are not decoded yet (its JSON, kind and metadata checked): a worker's if one can take it
HEAD: Any = object()
#: pages each worker is handed before the one the loader waits for is back (beyond, the loader does the next
#: page itself, ahead of its turn)
AHEAD = 2
#: pages the loader holds done ahead of their turn while a worker's oldest is not back, at most
MAX_HELD = 6

_packed = msgspec.msgpack.Decoder(tuple[list[m.Pod], list[int]])

#: pods done ahead of their turn, and the indexes of those the snapshot admits whole (see ``compact_pods``)
Done = tuple[list[m.Pod], list[int]]
#: a page a worker was asked for, taken back, that must be done in its turn (an item does not validate)
_REDO: Done = ([], [])


class _Page:
    __slots__ = ("body", "decoded", "done", "last", "theirs")

    def __init__(self, body: bytes, decoded: Any, last: bool, theirs: bool, done: Done | None = None) -> None:
        self.body, self.decoded, self.last, self.theirs, self.done = body, decoded, last, theirs, done


class Pages:
    """Admits the pages of one list in order (one reading of it: a list read again starts a new one)."""

    def __init__(self, lister: Lister, result: Result, path: str) -> None:
        self.lister = lister
        self.result = result
        self.path = path
        #: pages admitted, and the items and skipped rows the last of them added
        self.done = 0
        self.got = 0
        self.pool: _parallel.Pool | None = None
        self.planned = False
        #: the owners are in: pages are admitted (before, they are :meth:`hold`)
        self.started = False
        #: pages read while the owners are listed (body, decoded)
        self.held: list[tuple[bytes, Any]] = []
        self._held_bytes = 0
        self._cap = 0
        self._known = -1  # the templates the workers compact against (how many the snapshot had)
        self._window: collections.deque[_Page] = collections.deque()
        self._type: type = m.KINDS.get(result.res.kind, m.Pod)

    # ---- the plan
    def plan(self, body: bytes, decoded: Any, remaining: int | None) -> None:
        """At the first page of a pods list: are the pages still to come large enough for the workers?"""
        self.planned = True
        if self.result.res.kind != "Pod" or self.lister.snap is None or not remaining:
            return
        items = len(decoded.items or []) if decoded is not None and decoded is not HEAD else self.lister.page_size
        self.pool = self.lister.take_pool(len(body) * remaining // items if items else 0)
        if self.pool is not None:
            self._cap = AHEAD * len(self.pool.procs)

    def can_hold(self) -> bool:
        return self.lister.can_hold()

    def hold(self, body: bytes, decoded: Any) -> None:
        """A page read while the owners are listed: admitted once they are in (:meth:`start`)."""
        self.held.append((body, decoded))
        self._held_bytes += len(body)
        self.lister.hold(len(body))

    def start(self) -> None:
        """The owners are in: the workers are sent their templates (once), and the pages held are admitted."""
        self.started = True
        if self.pool is not None:
            self._known = self.lister.send_templates(self.pool)
        held, self.held = self.held, []
        self._release()
        for i, (body, decoded) in enumerate(held):
            held[i] = (b"", None)  # (let go of each as it is handed on)
            self.add(body, decoded, False)

    def _release(self) -> None:
        if self._held_bytes:
            self.lister.hold(-self._held_bytes)
            self._held_bytes = 0

    def head_only(self) -> bool:
        """Should a page just fetched be left undecoded for a worker (asked by the thread that fetched it)?"""
        pool = self.pool
        return pool is not None and not pool.broken and pool.pending() < self._cap

    def _current(self) -> bool:
        """The workers' templates are the snapshot's (an owner admitted since: the loader does the rest)."""
        snap = self.lister.snap
        return snap is not None and len(snap.template_index) == self._known

    # ---- pages
    def add(self, body: bytes, decoded: Any, last: bool) -> None:
        """The next page of the list (``decoded``: its typed decoding, None when an item does not validate,
        :data:`HEAD` when only its head was); admits what is ready, in order."""
        pool, window = self.pool, self._window
        if decoded is HEAD:
            if pool is not None and not pool.broken and pool.pending() < self._cap and self._current():
                pool.ask_page(body)
                window.append(_Page(body, None, last, True))
                self._take_ready()
                return
            decoded = self.lister.decode_page(body, self._type)
        if not window:
            self._admit(body, decoded, last)  # in its turn: as without workers
            return
        window.append(_Page(body, None, last, False, self._ahead(decoded)))
        self._take_ready()
        while len(window) > MAX_HELD:
            self._take()

    def finish(self) -> None:
        """Admit every page held, in order; while a worker's oldest is not back, take back its newest."""
        window, pool = self._window, self.pool
        while window:
            first = window[0]
            if first.theirs and first.done is None and pool is not None and not pool.broken and not pool.ready():
                late = [p for p in list(window)[1:] if p.theirs and p.done is None]
                if late:
                    p = late[-1]
                    p.done = self._ahead(self.lister.decode_page(p.body, self._type)) or _REDO
                    continue
            self._take()

    def close(self) -> None:
        """This reading of the list is over: pages still held are not wanted (an error came first)."""
        if self._window and self.pool is not None:
            self.pool.abandon()
        self._window.clear()
        self.held = []
        self._release()
        if self.pool is not None:
            self.lister.release_pool()
            self.pool = None

    # ---- admitting
    def _ahead(self, decoded: Any) -> Done | None:
        """The work a worker does on a page, done here ahead of its turn (None: the page is done in its turn)."""
        if decoded is None or not self._current():
            return None
        pods = decoded.items or []
        with self.lister.admitting:
            return pods, compact_pods(pods, self.lister.snap.template_index)  # type: ignore[union-attr]

    def _take_ready(self) -> None:
        window, pool = self._window, self.pool
        while window and not (window[0].theirs and window[0].done is None and pool is not None and not pool.ready()):
            self._take()

    def _take(self) -> None:
        """Admit the oldest page held (waiting for its worker if need be)."""
        page = self._window[0]
        pool = self.pool
        done = page.done
        if page.theirs and pool is not None:
            if done is None:
                payload = pool.result()[2]
                if payload is not None:
                    try:
                        done = _packed.decode(payload)
                    except (msgspec.ValidationError, msgspec.DecodeError):
                        done = None
            else:  # taken back: the worker's answer to it, and to any later page, is not wanted
                pool.abandon()
        self._window.popleft()
        if done is not None and done is not _REDO and self._current() and self._keep(done, page.last):
            return
        try:
            self._admit(page.body, None, page.last)  # in its turn, from its bytes, as without workers
        except BaseException:
            self.close()  # the list ends here: the pages after this one are never admitted
            raise

    def _keep(self, done: Done, last: bool) -> bool:
        pods, whole = done
        lister, result = self.lister, self.result
        snap = lister.snap
        assert snap is not None
        api_version = result.res.api_version
        for p in pods:  # list responses omit kind and apiVersion per item
            if p.api_version is None:
                p.api_version = api_version
        before = len(result.items) + len(result.skips)
        if pods:
            srcs = lister.sources(result.res, pods, self.path)
            with lister.admitting:
                admitted = snap.admit_compacted(pods, srcs, whole)
            if admitted is None:
                return False  # a pod loaded before: the page in its turn, compared whole
            result.admitted.append(admitted)
            lister.sharer.share_kept(admitted.objs)
            result.sources.extend(admitted.sources)
            result.items.extend(admitted.objs)
        self._counted(before, last)
        return True

    def _admit(self, body: bytes, decoded: Any, last: bool) -> None:
        result = self.result
        before = len(result.items) + len(result.skips)
        self.lister._add_page(result, body, self.path, decoded)
        self._counted(before, last)

    def _counted(self, before: int, last: bool) -> None:
        result = self.result
        self.done += 1
        self.got = len(result.items) + len(result.skips) - before
        self.lister._report(result.res.kind, result.namespace, len(result.items), final=last)
