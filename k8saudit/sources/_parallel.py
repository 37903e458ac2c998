"""Decode the batches of one large JSON List in worker processes (both cores of a laptop, more on a server).

Shared-nothing: each worker is a small Python process that opens the file itself, is told the byte
range of a batch of whole items, decodes it with the same typed decoder the loader uses and sends
the typed objects back as compact MessagePack (only the fields k8saudit keeps, a few kB per pod
instead of ~40 kB of JSON). The loader turns them back into objects and keeps them exactly as it
keeps a batch it decoded itself (normalised, deduplicated, compacted: the secret rules run in the
loader's process). A batch a worker cannot decode or encode, and every batch after a worker fails
to start or dies, is decoded in the loader's own process: the result is the same, only slower.

Workers import msgspec and ``_model.py`` alone (not pandas, not the package), so they start in a
few tens of milliseconds and hold little memory: one read buffer and one batch of objects.
"""

from __future__ import annotations

import collections
import os
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from .. import _model

#: batches handed to each worker ahead of the one the loader is waiting for
AHEAD = 2
_HEADER = struct.Struct("<bQ")

_WORKER = r"""
import importlib.util, struct, sys
import msgspec
spec = importlib.util.spec_from_file_location("_k8saudit_model", sys.argv[1])
m = importlib.util.module_from_spec(spec)
sys.modules["_k8saudit_model"] = m
spec.loader.exec_module(m)
tp = m.KINDS[sys.argv[3]] if sys.argv[3] else m.AnyObject
dec, enc = msgspec.json.Decoder(list[tp]), msgspec.msgpack.Encoder()
header = struct.Struct("<bQ")
out = sys.stdout.buffer
buf = bytearray()
with open(sys.argv[2], "rb", buffering=0) as fh:
    for line in sys.stdin.buffer:
        a, b = map(int, line.split())
        n = b - a + 2
        if len(buf) < n:
            buf = bytearray(n)
        buf[0] = 0x5B
        buf[n - 1] = 0x5D
        try:
            with memoryview(buf) as mv:
                fh.seek(a)
                got = 0
                while got < b - a:  # read into the one buffer (a mapping would count the file in this RSS)
                    k = fh.readinto(mv[1 + got:n - 1])
                    if not k:
                        raise EOFError
                    got += k
                payload = enc.encode(dec.decode(mv[:n]))
        except Exception:
            out.write(header.pack(0, 0))
        else:
            out.write(header.pack(1, len(payload)))
            out.write(payload)
        out.flush()
"""


def workers_for(size: int) -> int:
    """How many worker processes decode a file of ``size`` bytes: only as many as ``K8SAUDIT_WORKERS`` asks
    (2 or more), else 0, the loader's own process.

    Not by default, whatever the CPUs: a worker hands back typed objects that the loader decodes again from
    MessagePack, and that costs the loader more than the JSON decode it is spared (a 67 MB batch of 1,563
    pods: 0.123 s against 0.098 s), so the loader, which waits for nothing else, only gets slower (README,
    "Speed and memory"). Returning columns instead of objects is what would make them pay."""
    del size  # the same for every size: the loader decodes what a worker sends back either way
    env = os.environ.get("K8SAUDIT_WORKERS", "").strip()
    try:
        n = int(env) if env else 0
    except ValueError:
        n = 0
    return n if n > 1 else 0


class Pool:
    """Worker processes decoding byte ranges of one file; results come back in the order asked for."""

    def __init__(self, path: Path, item_kind: str | None, n: int) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []
        self.broken = False
        self._queue: collections.deque[tuple[int, int, int]] = collections.deque()  # (worker, a, b) asked, in order
        self._next = 0
        model = Path(_model.__file__).resolve()
        try:
            for _ in range(n):
                self.procs.append(
                    subprocess.Popen(
                        [sys.executable, "-I", "-c", _WORKER, str(model), str(path), item_kind or ""],
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE,
                        stderr=subprocess.DEVNULL,
                        bufsize=0,
                    )
                )
        except OSError:
            self.close()
            self.broken = True

    def ask(self, a: int, b: int) -> None:
        """Queue the items in bytes [a, b) of the file (whole items, comma-separated) on the next worker."""
        w = self._next
        self._next = (self._next + 1) % len(self.procs)
        self._queue.append((w, a, b))
        if self.broken:
            return
        try:
            stdin = self.procs[w].stdin
            assert stdin is not None
            stdin.write(f"{a} {b}\n".encode())
        except (OSError, ValueError):
            self.broken = True

    def pending(self) -> int:
        return len(self._queue)

    def result(self) -> tuple[int, int, bytes | None]:
        """(a, b, MessagePack of the decoded items) of the oldest range asked; None: decode it in process."""
        w, a, b = self._queue.popleft()
        if self.broken:
            return a, b, None
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

    def close(self) -> None:
        for p in self.procs:
            for s in (p.stdin, p.stdout):
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

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


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
    """Cut a mapped List file into batches of whole items, as the loader's own reading loop does:
    ("items", a, b) for each batch (about ``chunk`` bytes, more when one item is longer), then once what
    follows the last whole item: ("trailer", a, b) when the last batch reached the end of the file,
    ("rest", a, b) when no whole item ends after ``a`` (a truncated item, or a trailer read on its own)."""
    pos = start
    while True:
        hi = min(pos + chunk, size)
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
