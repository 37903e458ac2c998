"""The pods of one large Pod List admitted in worker processes beside the loader (both cores of a laptop).

The same worker program serves the live loader, which sends it the pods pages it fetched instead of byte
ranges of a file (see ``_podpages``); what follows is the files loader's use.

Shared-nothing: each worker is a small Python process started afresh (``subprocess``: fork and exec in C,
never a bare fork: no thread of the loader, nor of a Jupyter kernel, is copied into it, whatever threads
run) that opens the file itself. It is first sent the pod templates of the owners loaded so far (the secret
rules applied to them already), then the byte ranges of batches of whole pods (the very batches the
loader reads on its own); it decodes each with the loader's typed decoder and does the per-pod work
the loader would do (``_normalize.compact_pods``: the secret rules, then compaction against the
owner's template), and sends back only what is kept, as MessagePack: metadata, status and what the
template does not say (at 10k pods 7.8 MB for 427 MB of JSON). While the oldest batch a worker has
is not back, the loader does the next batch the same way itself, and once nothing is left to hand
out, the last batches a worker has not answered; every batch is admitted in file order
(``Snapshot.keep_compacted``: names, duplicates) and its equal parts shared, so the snapshot, its
skipped rows and its provenance are those of the loader alone.

A pod the loader must name (``generateName`` only, or a name holding ``*``, its mark of a generated
name) comes back masked but not compacted, and is admitted as any other. A batch a worker cannot
decode (a malformed item, which the loader then reports with its file and item), one holding other
kinds than pods (after one that brought an owner, the loader reads every later batch itself: the
workers' templates are out of date), one with a pod loaded before (a duplicate is compared whole),
and every batch after a worker fails to start or dies, is read in its turn by the loader as without
workers: the result is the same, only slower.

Workers import msgspec and the three modules the per-pod work needs (``_model``, ``_normalize``,
``_podspec``: not pandas, not the package): they start in about 0.15 s of CPU and hold the owners'
templates as the MessagePack they were sent, decoding one when a pod first asks for it (the latest
:data:`TEMPLATES_KEPT` used stay decoded), one read buffer and one batch of pods: a worker's peak was
176 MB at 10k pods and 266 MB at 100k (567 MB with every template decoded at once; a live page of
500 pods: about 30 MB).
"""

from __future__ import annotations

import collections
import contextlib
import os
import queue
import select
import struct
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import msgspec

from .. import _model

#: batches handed to each worker ahead of the one the loader is waiting for
AHEAD = 2
#: below this size a Pod List is admitted in process (starting workers costs more than they save)
MIN_BYTES = 128 * 1024**2
#: workers are started without being asked (see :func:`workers_for`) when a core is left free: beside an idle
#: core one worker shortened a whole scan by a sixth at 10k pods and a fifth at 100k (docs/speed.md, "One worker by
#: default"); on a machine with other work on both cores it only added CPU time (at 100k pods 38 s against 32 s in
#: process, wall no better), hence the machine's load has its say
BY_DEFAULT = True
#: at most this many when not asked: the one measured beside an idle core (a worker's peak at 100k pods: 266 MB)
DEFAULT_WORKERS = 1
#: a live pods list whose pages still to come hold this many bytes (by its first page) is handed to workers
LIVE_MIN_BYTES = 24 * 1024**2
#: and they are started without being asked: see README, "Speed and memory"
LIVE_BY_DEFAULT = False
#: the owners' templates a worker keeps decoded at once, the latest used; the others stay as the MessagePack
#: they came in (at 100k pods 33,349 templates: 74 MB so, 387 MB decoded)
TEMPLATES_KEPT = 1024
_HEADER = struct.Struct("<bQ")

_WORKER = r"""
import functools, gc, struct, sys, types
import msgspec
gc.disable()  # as the loader's own reading: the objects of a batch hold no cycles, and go with it
pkg = types.ModuleType("_k8saudit_worker")
pkg.__path__ = [sys.argv[1]]
sys.modules["_k8saudit_worker"] = pkg
from _k8saudit_worker import _model as m, _normalize as nz, _podspec as ps
item = m.Pod if sys.argv[3] else m.AnyObject
dec = msgspec.json.Decoder(list[item])  # the loader's decoder
Page = msgspec.defstruct("Page", [("items", list[item] | None, None)])
page_dec = msgspec.json.Decoder(Page)  # the items of a list page (the loader checked the rest of it)
enc = msgspec.msgpack.Encoder()
header = struct.Struct("<bQ")
out = sys.stdout.buffer
inp = sys.stdin.buffer
blobs, uids = msgspec.msgpack.decode(inp.read(int(inp.readline())), type=tuple[list[bytes], dict[str, int]])
spec_dec = msgspec.msgpack.Decoder(m.PodSpec | None)
@functools.lru_cache(maxsize=int(sys.argv[4]))
def template(i):  # decoded when a pod first asks for it; the latest used stay decoded (one owner's pods come together)
    return ps.TemplateIndex(spec_dec.decode(blobs[i]))
class Templates:  # owner's uid -> its template, as compact_pods asks for it
    def get(self, uid, default=None):
        i = uids.get(uid)
        return default if i is None else template(i)
templates = Templates()
buf = bytearray()
fh = open(sys.argv[2], "rb", buffering=0) if sys.argv[2] else None
for line in inp:
    try:
        if line[:1] == b"p":  # "p <n>": a list page of n bytes follows
            body = inp.read(int(line[1:]))
            pods = page_dec.decode(body).items or []
            del body
        else:  # "<a> <b>": the items in bytes [a, b) of the file
            a, b = map(int, line.split())
            n = b - a + 2
            if len(buf) < n:
                buf = bytearray(n)
            buf[0] = 0x5B
            buf[n - 1] = 0x5D
            with memoryview(buf) as mv:
                fh.seek(a)
                got = 0
                while got < b - a:  # read into the one buffer (a mapping would count the file in this RSS)
                    k = fh.readinto(mv[1 + got:n - 1])
                    if not k:
                        raise EOFError
                    got += k
                pods = dec.decode(mv[:n])
        if any(type(p) is not m.Pod for p in pods):
            raise TypeError("not only pods: the loader admits them")
        payload = enc.encode((pods, nz.compact_pods(pods, templates)))
        del pods
    except Exception:
        out.write(header.pack(0, 0))
    else:
        out.write(header.pack(1, len(payload)))
        out.write(payload)
    out.flush()
"""


def workers_for(size: int, *, live: bool = False) -> int:
    """How many worker processes admit pods beside the loader for a Pod List of ``size`` bytes (``live``: a live
    pods list of about ``size`` bytes still to come).

    ``K8SAUDIT_WORKERS=N`` says how many processes share the work, the loader counted: N - 1 workers (0 or
    1: the loader alone). Unset, from :data:`MIN_BYTES` on (:data:`LIVE_MIN_BYTES`), when :data:`BY_DEFAULT`
    (:data:`LIVE_BY_DEFAULT`): one per CPU this process may use but the loader's own and those other work keeps
    busy (:func:`_busy_cpus`: the tasks running beside this one), at most :data:`DEFAULT_WORKERS`; else none.
    None where the system lacks what they use (``os.preadv``, ``select`` on pipes: Windows): the loader reads
    alone there."""
    if not hasattr(os, "preadv") or os.name != "posix":  # they read with preadv and poll pipes with select
        return 0
    env = os.environ.get("K8SAUDIT_WORKERS", "").strip()
    if env:
        try:
            return max(int(env) - 1, 0)
        except ValueError:
            warnings.warn(
                f"K8SAUDIT_WORKERS={env!r} is not a number of processes (e.g. 2): the loader reads alone", stacklevel=2
            )
            return 0
    if not (LIVE_BY_DEFAULT if live else BY_DEFAULT) or size < (LIVE_MIN_BYTES if live else MIN_BYTES):
        return 0
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    busy = _busy_cpus()
    if busy is None:  # nothing says how busy the machine is: the loader reads alone
        return 0
    return max(min(cpus - 1 - busy, DEFAULT_WORKERS), 0)


def _busy_cpus() -> int | None:
    """How many CPUs other work keeps busy. Where the system says how many tasks are running (Linux:
    ``/proc/loadavg``), those running beside this one at this moment, the most of a few looks 5 ms apart: the
    last minute's load average would still count a scan that has just ended, and not yet count loaders that have
    just started beside this one (a fleet's). Elsewhere the whole part of the last minute's load average. None:
    neither to read."""
    looks = []
    for i in range(3):
        if i:
            time.sleep(0.005)
        now = _running_now()
        if now is None:
            break
        looks.append(now - 1)
    if looks:
        return max(max(looks), 0)
    try:
        return int(os.getloadavg()[0])
    except (AttributeError, OSError):
        return None


def _running_now() -> int | None:
    """Tasks running or ready to run at this moment, this one counted (``/proc/loadavg``'s fourth field)."""
    try:
        with open("/proc/loadavg", "rb") as f:
            return int(f.read().split()[3].split(b"/")[0])
    except (OSError, ValueError, IndexError):
        return None


def templates_payload(specs: list[Any], uids: dict[str, int]) -> bytes:
    """What each worker is sent first: the owners' pod templates (see ``Snapshot.owner_templates``), each
    encoded apart, so that a worker decodes only those its pods ask for (at most :data:`TEMPLATES_KEPT` at once)."""
    enc = msgspec.msgpack.Encoder()
    return enc.encode(([enc.encode(s) for s in specs], uids))


class Pool:
    """Worker processes admitting byte ranges of one Pod List, or pages of a live pods list; results come back in
    the order asked for.

    Ranges of a file are asked for on each worker's stdin at once (a line each). Pages (``feed=True``) are bytes
    the workers are sent whole: a thread per worker writes them, so that the caller never waits for a worker
    still busy with the page before (and ``templates`` may come later, :meth:`send_templates`, once the owners
    are loaded: a worker starts before it has work)."""

    def __init__(
        self, path: Path | None, item_kind: str | None, templates: bytes | None, n: int, *, feed: bool = False
    ) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []
        self.broken = False
        self._queue: collections.deque[tuple[int, int, int]] = collections.deque()  # (worker, a, b) asked, in order
        self._next = 0
        self._feeds: list[queue.SimpleQueue[tuple[bytes, ...] | None]] = []
        self._feeders: list[threading.Thread] = []
        package = Path(_model.__file__).resolve().parent
        try:
            for _ in range(n):
                p = subprocess.Popen(
                    [
                        sys.executable,
                        "-I",
                        "-c",
                        _WORKER,
                        str(package),
                        str(path or ""),
                        item_kind or "",
                        str(TEMPLATES_KEPT),
                    ],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    bufsize=0,
                )
                self.procs.append(p)
                if feed:
                    q: queue.SimpleQueue[tuple[bytes, ...] | None] = queue.SimpleQueue()
                    t = threading.Thread(target=_feed, args=(p, q), name="k8saudit-feed", daemon=True)
                    t.start()
                    self._feeds.append(q)
                    self._feeders.append(t)
            if templates is not None:
                self.send_templates(templates)
        except (OSError, ValueError, RuntimeError):
            self.close()
            self.broken = True

    def send_templates(self, templates: bytes) -> None:
        """The owners' templates (:func:`templates_payload`), sent once, before anything is asked."""
        for w in range(len(self.procs)):
            self._send(w, b"%d\n" % len(templates), templates)

    def _send(self, w: int, *parts: bytes) -> None:
        if self.broken:
            return
        if self._feeds:
            self._feeds[w].put(parts)
            return
        try:
            stdin = self.procs[w].stdin
            assert stdin is not None
            stdin.write(b"".join(parts))
        except (OSError, ValueError):
            self.broken = True

    def _take_turn(self, a: int, b: int) -> int:
        w = self._next
        self._next = (self._next + 1) % len(self.procs)
        self._queue.append((w, a, b))
        return w

    def ask(self, a: int, b: int) -> None:
        """Queue the items in bytes [a, b) of the file (whole items, comma-separated) on the next worker."""
        self._send(self._take_turn(a, b), f"{a} {b}\n".encode())

    def ask_page(self, body: bytes) -> None:
        """Queue a list page (its items Pods; the rest of it checked already) on the next worker: its
        :meth:`result` is (0, len(body), payload)."""
        self._send(self._take_turn(0, len(body)), b"p%d\n" % len(body), body)

    def pending(self) -> int:
        return len(self._queue)

    def ready(self) -> bool:
        """Has the oldest range asked begun to come back (:meth:`result` will not wait for its worker)?"""
        if self.broken:
            return True
        stdout = self.procs[self._queue[0][0]].stdout
        assert stdout is not None
        try:
            return bool(select.select([stdout], [], [], 0)[0])
        except (OSError, ValueError):
            return True  # :meth:`result` finds out what happened

    def result(self) -> tuple[int, int, bytes | None]:
        """(a, b, MessagePack of the admitted pods and of the indexes of those left to the loader to admit) of
        the oldest range asked; None: do it in process."""
        if self.broken:
            a, b = self._queue.popleft()[1:] if self._queue else (0, 0)
            return a, b, None
        w, a, b = self._queue.popleft()
        stdout = self.procs[w].stdout
        assert stdout is not None
        try:
            head = _read(stdout, _HEADER.size)
            ok, n = _HEADER.unpack(head)
            payload = _read(stdout, n) if n else b""
        except (OSError, EOFError, struct.error):
            self.broken = True  # a worker died: this range and every later one in process
            return a, b, None
        return a, b, payload if ok else None

    def abandon(self) -> None:
        """The results not taken yet are not wanted (the loader did those batches itself): stop the workers."""
        for p in self.procs:
            p.kill()
        self._queue.clear()
        self.broken = True

    def close(self) -> None:
        if self._queue:  # results nobody will read: a worker may be blocked writing one (and its feeder with it)
            self.abandon()
        for q in self._feeds:
            q.put(None)  # the feeder closes the worker's stdin: the worker ends
        for t in self._feeders:
            t.join(timeout=5)
        for p in self.procs:
            for s in (p.stdin, p.stdout) if not self._feeds else (p.stdout,):
                try:
                    if s is not None:
                        s.close()
                except OSError:
                    pass
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs = []
        self._feeds, self._feeders = [], []

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _feed(p: subprocess.Popen[bytes], q: queue.SimpleQueue[tuple[bytes, ...] | None]) -> None:
    """Write what is queued for one worker to its stdin, in order, until None; then close it (the worker ends).
    A worker that died stops taking anything: what it was asked comes back as a failure (:meth:`Pool.result`)."""
    stdin = p.stdin
    assert stdin is not None
    try:
        while (parts := q.get()) is not None:
            for part in parts:
                stdin.write(part)
    except (OSError, ValueError):
        pass
    finally:
        with contextlib.suppress(OSError):
            stdin.close()


def _read(stream: IO[bytes], n: int) -> bytes:
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = stream.readinto(view[got:])  # type: ignore[attr-defined]
        if not k:
            raise EOFError
        got += k
    return bytes(buf) if n < 1024 else buf  # type: ignore[return-value]


def regions(mm: Any, start: int, size: int, end_pat: bytes, chunk: int) -> Iterator[tuple[str, int, int]]:
    """Cut a mapped List file into the very batches of whole items the loader's own reading loop makes (it reads
    ``chunk`` bytes at a time from ``start`` and cuts after the last whole item read: a batch that fails is read
    item by item, and what a batch holds decides the order its kinds are admitted in): ("items", a, b) for each
    batch, then once what follows the last whole item: ("trailer", a, b) when the last batch reached the end of
    the file, ("rest", a, b) when no whole item ends after ``a`` (a truncated item, or a trailer read on its own)."""
    pos = hi = start
    while True:
        hi = min(hi + chunk, size)
        cut = mm.rfind(end_pat, pos, hi)
        while cut < 0 and hi < size:  # an item longer than a chunk
            hi = min(hi + chunk, size)
            cut = mm.rfind(end_pat, pos, hi)
        if cut < 0:
            yield "rest", pos, size
            return
        end = cut + len(end_pat)
        yield "items", pos, end
        pos = end
        if hi >= size:
            yield "trailer", pos, size
            return
        while pos < size and mm[pos : pos + 1] in (b",", b" ", b"\t", b"\r", b"\n"):
            pos += 1
