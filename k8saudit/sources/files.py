"""Manifests and dumps on disk → Snapshot.

Reads a file or a directory tree of YAML (multi-document, ``helm template`` and
``kustomize build`` output), JSON objects, and ``kind: List`` / ``*List`` objects
as ``kubectl get -o json|yaml`` writes them. Every problem becomes a row of
``snap.skipped`` naming the file, the document and the reason; the rest loads.

Large ``kubectl get -o json`` dumps are streamed: the file is read in chunks,
cut at item boundaries, and each batch is decoded straight into the typed
objects (fields nobody reads are skipped, never materialised).

JSON documents one after another (JSON Lines, ``jq '.items[]'``) are read one by
one. Compressed files (gzip, bzip2, xz: ``kubectl get -o json | gzip >
dump.json.gz``) are decompressed into a private temporary file and read as any
other, under their own name; an archive (tar, zip) named as a path is read
member by member, as a directory.
"""

from __future__ import annotations

import bz2
import codecs
import collections
import functools
import gzip
import itertools
import json
import lzma
import mmap
import os
import re
import shutil
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import msgspec
import numpy as np
import yaml

from .. import _model as m
from .._normalize import compact_pods, convert
from .._util import gc_paused
from ..snapshot import Snapshot, SnapshotError
from . import _parallel
from ._progress import Progress
from ._share import Sharer
from .kubeconfig import parse_kubeconfig

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json", ".jsonl", ".ndjson")
#: compressed manifests a directory's walk reads too (``dump.json.gz``), by the codec that opens each
COMPRESSIONS: dict[str, tuple[bytes, Any]] = {
    ".gz": (b"\x1f\x8b", gzip.open),
    ".bz2": (b"BZh", bz2.open),
    ".xz": (b"\xfd7zXZ\x00", lzma.open),
}
#: what a compressed file may expand to: this share of the temporary directory's free space at most (a small
#: file that expands without bound must not fill the disk)
DECOMPRESS_SHARE = 0.9
#: YAML is parsed whole; beyond this size it is refused with a message
MAX_YAML_BYTES = 256 * 1024**2
#: JSON that is not a streamable List is parsed whole up to this size
MAX_WHOLE_JSON_BYTES = 512 * 1024**2
#: a YAML document whose aliases expand to more nodes than this is refused
MAX_YAML_NODES = 2_000_000
#: a document nested deeper than this is refused (real objects nest a few dozen levels; parsers
#: recurse, and one of them crashes the process on a few hundred kB of ``- - - -``)
MAX_DEPTH = 512
CHUNK = 64 * 1024**2

_LEADING_SPACE = re.compile(rb"[ \t\n\r\x0b\x0c]*")  # what bytes.lstrip() strips
_DOC_SEP = re.compile(r"^(?:---|\.\.\.)(?:[ \t].*)?$", re.MULTILINE)
_HELM_SOURCE = re.compile(r"^# Source: (.+)$", re.MULTILINE)


class _AliasBomb(Exception):
    pass


def load_paths(
    paths: list[str | os.PathLike[str]],
    *,
    cluster: str | None = None,
    progress: Progress | None = None,
) -> Snapshot:
    """Load files and directories into one snapshot."""
    roots = [Path(p) for p in paths]
    if cluster is None:
        first = roots[0].resolve()
        cluster = (first if first.is_dir() else first.parent).name or "cluster"
    # "roots": the absolute directory each object's ``source`` label is relative to (SARIF locations use it)
    bases = [str((r if r.is_dir() else r.parent).resolve()) for r in roots]
    snap = Snapshot(cluster, source=", ".join(str(p) for p in roots), meta={"origin": "files", "roots": bases})
    with gc_paused():
        _load_roots(snap, roots, progress)
        snap.compact()  # objects read before their owners
    return snap


def _load_roots(snap: Snapshot, roots: list[Path], progress: Progress | None) -> None:
    for root in roots:
        if root.is_symlink() and not root.exists():
            snap.skip(str(root), f"broken symbolic link (to {os.readlink(root)})", category="unreadable")
            continue
        if not root.exists():
            snap.skip(str(root), "no such file or directory", category="unreadable")
            continue
        if root.is_dir():
            files = _walk(snap, root)
            base = root
        else:
            files, base = [root], root.parent
        files.sort(key=_owners_first)
        for f in files:
            rel = f.relative_to(base).as_posix()
            if progress:
                progress(f"reading {rel}")
            load_file(snap, f, rel, progress=progress)


def _walk(snap: Snapshot, root: Path) -> list[Path]:
    """The manifest files under ``root`` (hidden entries skipped); what cannot be listed or followed is a skipped row."""
    files: list[Path] = []

    def unreadable(e: OSError) -> None:
        where = Path(e.filename).relative_to(root).as_posix() if e.filename else str(root)
        snap.skip(where + "/", f"cannot list directory: {e.strerror or e}", category="unreadable")

    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable, followlinks=False):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or not _is_manifest_name(name):  # an archive is read when named, not found
                continue
            p = here / name
            if p.is_symlink() and not p.exists():
                target = os.readlink(p)
                snap.skip(p.relative_to(root).as_posix(), f"broken symbolic link (to {target})", category="unreadable")
                continue
            if p.is_file():
                files.append(p)
            elif not p.is_dir():  # a FIFO, a socket, a device: reading it could block or never end
                snap.skip(p.relative_to(root).as_posix(), "not a regular file: not read", category="unreadable")
    return files


def _is_manifest_name(name: str) -> bool:
    """``x.yaml``, ``x.yml``, ``x.json`` (``.jsonl``, ``.ndjson``), and those compressed (``x.json.gz``,
    ``x.yaml.bz2``, ``x.yml.xz``). Archives (``.tar.gz``, ``.zip``) are read when named, not when a walk finds
    them: a repository's ``charts/*.tgz`` are Helm packages, templates and not manifests."""
    low = name.lower()
    for ext in COMPRESSIONS:
        if low.endswith(ext):
            low = low[: -len(ext)]
            break
    return low.endswith(MANIFEST_SUFFIXES)


def _compression(head: bytes) -> str | None:
    """The suffix of the codec whose magic bytes ``head`` starts with (``.gz``, ``.bz2``, ``.xz``), else None."""
    return next((ext for ext, (magic, _) in COMPRESSIONS.items() if head.startswith(magic)), None)


#: what a compressed stream that is corrupt or cut short raises as it is read
_BROKEN_STREAM = (OSError, EOFError, lzma.LZMAError, zlib.error)


def _text_head(path: Path, head: bytes, n: int) -> bytes:
    """The first ``n`` bytes of the file's text: of ``head`` (its first bytes), or decompressed when it is
    compressed (:data:`_BROKEN_STREAM` when it cannot be)."""
    ext = _compression(head)
    if ext is None:
        return head[:n]
    with COMPRESSIONS[ext][1](path, "rb") as fh:
        return bytes(fh.read(n))


#: owners load before what they own, so owned objects can be compacted as they are decoded
_KIND_ORDER = {
    k: i
    for i, k in enumerate(
        ("CronJob", "Deployment", "StatefulSet", "DaemonSet", "ReplicationController", "Job", "ReplicaSet", "Pod")
    )
}
_FIRST_KIND = re.compile(rb'"kind"\s*:\s*"(\w+)"|^\s*-?\s*kind:\s*["\']?(\w+)', re.MULTILINE)


def _owners_first(path: Path) -> tuple[int, str]:
    """Sort key: files whose first object is a Pod last, ReplicaSets and Jobs just before, other kinds first."""
    try:
        with open(path, "rb") as fh:
            head = _text_head(path, fh.read(65536), 65536)
    except _BROKEN_STREAM:  # a corrupt stream: reading it says so, in its turn
        return (0, str(path))
    mt = _FIRST_KIND.search(head)
    kind = (mt.group(1) or mt.group(2)).decode() if mt else ""
    kind = kind[:-4] if kind.endswith("List") and kind != "List" else kind
    return (_KIND_ORDER.get(kind, -1) + 1, str(path))


def load_stream(
    stream: IO[bytes], *, cluster: str | None = None, progress: Progress | None = None, label: str = "<stdin>"
) -> Snapshot:
    """Manifests from a stream (``-``: standard input): YAML or JSON, spooled to a temporary file so the
    same limits and streaming apply as to a file. A stream beyond :data:`DECOMPRESS_SHARE` of the temporary
    directory's free space is not spooled (the disk is not filled): a ``too_large`` row names it."""
    snap = Snapshot(cluster or "stdin", source=label, meta={"origin": "files"})
    with tempfile.TemporaryDirectory(prefix="k8saudit-stdin-") as tmp:
        path = Path(tmp) / "stdin"
        try:
            _unpack(stream, path)
        except _TooLarge as e:
            _too_large(snap, label, e.args[0], tmp, "save it to a file and name that file instead", what="is")
            return snap
        except OSError as e:
            raise SnapshotError(f"{label}: cannot read: {e.strerror or e}") from None
        with gc_paused():
            if progress:
                progress(f"reading {label}")
            load_file(snap, path, label, progress=progress)
            snap.compact()
    return snap


def _first_byte(head: bytes) -> bytes:
    """The first byte of ``head`` that is not white space, or b"" (``lstrip()`` would copy all of it)."""
    mt = _LEADING_SPACE.match(head)
    at = mt.end() if mt else 0
    return head[at : at + 1]


def load_file(
    snap: Snapshot, path: Path, label: str, *, progress: Progress | None = None, in_archive: bool = False
) -> None:
    """Read one file into ``snap``; problems become rows of ``snap.skipped``. ``in_archive``: the file is a member
    of an archive, which may not hold another archive (nesting is not followed)."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(1 << 20)
    except OSError as e:
        snap.skip(label, f"cannot read file: {e.strerror or e}", category="unreadable")
        return
    if size == 0 or not head or head.isspace():  # (strip() would copy the megabyte read)
        snap.skip(label, "empty file: no documents", category="empty")
        return
    if (encoding := _wide_encoding(head)) is not None:
        _load_transcoded(snap, path, label, encoding, progress)
        return
    if head.startswith(b"PK\x03\x04") or _is_tar(path, head):
        if in_archive:
            snap.skip(label, "an archive inside an archive: not followed; unpack it first", category="unreadable")
            return
        _load_archive(snap, path, label, progress)
        return
    if (ext := _compression(head)) is not None:
        _load_decompressed(snap, path, label, ext, progress, in_archive=in_archive)
        return
    if b"\x00" in head[:8192]:
        snap.skip(label, "binary file (contains NUL bytes): not a manifest", category="unreadable")
        return
    lead = _first_byte(head)
    is_json = lead in (b"{", b"[") or path.suffix.lower() == ".json"
    if (is_json and size > MAX_WHOLE_JSON_BYTES) or (is_json and size > CHUNK and _list_header(head)):
        _stream_json_list(snap, path, label, size, head, progress)
        return
    limit = MAX_WHOLE_JSON_BYTES if is_json else MAX_YAML_BYTES
    if size > limit:
        snap.skip(
            label,
            f"file too large to parse whole ({size / 1024**2:,.0f} MB > {limit / 1024**2:,.0f} MB); "
            "export it as `kubectl get -o json` (streamed) or split it",
            category="too_large",
        )
        return
    if is_json and lead == b"{" and head[:1] != b"\xef" and _typed_list(snap, path, label):
        return
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        snap.skip(label, f"not UTF-8 text (byte {e.start}): binary or wrongly encoded file", category="unreadable")
        return
    except OSError as e:
        snap.skip(label, f"cannot read file: {e.strerror or e}", category="unreadable")
        return
    if is_json and lead in (b"{", b"["):
        try:
            doc = msgspec.json.decode(raw)
        except msgspec.DecodeError as e:
            # a file named YAML that is not one JSON document is YAML: its flow style ({kind: Pod, ...}, as Helm 4
            # renders toJson), documents between --- lines; unless it is JSON documents one after another
            yaml_named = path.suffix.lower() in (".yaml", ".yml")
            if yaml_named and ("trailing characters" not in str(e) or _DOC_SEP.search(text)):
                _load_yaml_text(snap, text, label)
                return
            # more than one document (JSON Lines, or documents one after another): each is read, or named, alone
            first = len(text) - len(text.lstrip())
            if "trailing characters" in str(e) or _NEXT_TOP.search(text, first + 1):
                _load_json_stream(snap, text, label)
                return
            snap.skip(label, f"malformed JSON: {e}", category="parse_error", document=0)
            return
        except RecursionError:
            snap.skip(label, _TOO_DEEP, category="parse_error", document=0)
            return
        if (dup := _duplicate_json_key(text, doc)) is not None:
            snap.skip(
                label,
                f"malformed JSON: duplicate key {dup!r} (kubectl refuses it too)",
                category="parse_error",
                document=0,
            )
            return
        _add_document(snap, doc, f"{label}#0", 0, 0, label=label)
        return
    _load_yaml_text(snap, text, label)


_JSON_DOC = json.JSONDecoder()
_SPACE = re.compile(r"\s*")
#: where ``jq`` starts each document it prints: an opening brace or bracket at the first column
_NEXT_TOP = re.compile(r"^[{\[]", re.MULTILINE)


def _load_json_stream(snap: Snapshot, text: str, label: str) -> None:
    """JSON documents one after another, as kubectl reads them: JSON Lines (``jq -c '.items[]'``), objects printed
    one after another (``jq '.items[]'``), or several dumps in one file (``kubectl get deploy -o json; kubectl get
    pods -o json``). Each is a document of its own. A malformed one is a row naming its index and line, and
    reading goes on at the next line that opens a document at its first column."""
    pos, index, line, end = 0, 0, 0, len(text)
    while True:
        start = _SPACE.match(text, pos).end()  # type: ignore[union-attr]
        if start >= end:
            return
        line += text.count("\n", pos, start)
        try:
            doc, stop = _JSON_DOC.raw_decode(text, start)
        except (json.JSONDecodeError, RecursionError) as e:
            why = _TOO_DEEP if isinstance(e, RecursionError) else f"malformed JSON: {e.msg}"
            snap.skip(label, f"document {index} (line {line + 1}): {why}", category="parse_error", document=index)
            nl = text.find("\n", start)
            nxt = _NEXT_TOP.search(text, nl + 1) if nl >= 0 else None
            if nxt is None:
                return
            line += text.count("\n", start, nxt.start())
            pos, index = nxt.start(), index + 1
            continue
        if (dup := _duplicate_json_key(text[start:stop], doc)) is not None:
            snap.skip(
                label,
                f"document {index} (line {line + 1}): malformed JSON: duplicate key {dup!r} (kubectl refuses it too)",
                category="parse_error",
                document=index,
            )
        else:
            _add_document(snap, doc, f"{label}#{index}", index, line, label=label)
        line += text.count("\n", start, stop)
        pos, index = stop, index + 1


class _DuplicateKey(Exception):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise _DuplicateKey(k)
            seen.add(k)
    return out


def _duplicate_json_key(text: str, doc: Any) -> str | None:
    """The first key a JSON manifest gives twice in one object, else None. A decoder keeps the last value, where
    kubectl and the API server's strict decoding refuse the document: ``"privileged": true, "privileged": false``
    must not read as unprivileged. Lists (``kind: *List``), which the API server writes, are not checked again:
    they are dumps, and large."""
    if isinstance(doc, dict) and str(doc.get("kind", "")).endswith("List"):
        return None
    try:
        json.loads(text, object_pairs_hook=_no_duplicates)
    except _DuplicateKey as e:
        return str(e.args[0])
    except (ValueError, RecursionError):  # what the JSON decoder took, this one may word otherwise: not ours to add
        return None
    return None


#: byte-order marks of the encodings that put NUL bytes in plain text (UTF-32 first: its LE mark starts as UTF-16's)
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _wide_encoding(head: bytes) -> str | None:
    """``utf-16`` or ``utf-32`` for a file that starts with that encoding's byte-order mark, else None."""
    return next((enc for bom, enc in _WIDE_BOMS if head.startswith(bom)), None)


def _load_transcoded(snap: Snapshot, path: Path, label: str, encoding: str, progress: Progress | None) -> None:
    """A file in UTF-16 or UTF-32 with a byte-order mark, as Windows PowerShell 5 writes ``kubectl get -o yaml >
    pods.yaml``: transcoded to UTF-8 into a temporary file, 4 MB at a time, then read as any other file (under
    its own name, so every problem still names it)."""
    with tempfile.TemporaryDirectory(prefix="k8saudit-utf8-") as tmp:
        utf8 = Path(tmp) / path.name  # the suffix tells JSON from YAML
        done = 0
        try:
            with open(path, "rb") as src, open(utf8, "wb") as dst:
                decoder = codecs.getincrementaldecoder(encoding)()
                while chunk := src.read(1 << 22):
                    dst.write(decoder.decode(chunk).encode())
                    done += len(chunk)
                dst.write(decoder.decode(b"", final=True).encode())
        except UnicodeDecodeError as e:
            snap.skip(
                label,
                f"not {encoding.upper()} text, though it starts with that encoding's byte-order mark (near byte {done + e.start:,}): "
                "binary or wrongly encoded file",
                category="unreadable",
            )
            return
        except OSError as e:
            snap.skip(label, f"cannot read file: {e.strerror or e}", category="unreadable")
            return
        load_file(snap, utf8, label, progress=progress)


def _is_tar(path: Path, head: bytes) -> bool:
    """A tar archive, compressed or not (``ustar`` at byte 257 of its first header)."""
    try:
        return _text_head(path, head, 262)[257:262] == b"ustar"
    except _BROKEN_STREAM:
        return False


def _load_archive(snap: Snapshot, path: Path, label: str, progress: Progress | None) -> None:
    """A tar (plain, gzip, bzip2, xz) or zip archive of manifests, read member by member as the files of a
    directory (``dump.tar.gz/ns/pods.json``): each manifest member is copied into a private temporary directory,
    read, and removed. Hidden members and those not named as manifests are passed over, as a walk does; a
    member that would fill the temporary directory is a row naming it; an archive that is corrupt or cut short
    is a row naming the member it stopped at (the members before it are read, that one and those after are not)."""
    import tarfile
    import zipfile

    def members() -> Iterator[tuple[str, IO[bytes]]]:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                for info in zf.infolist():
                    if not info.is_dir() and _member_wanted(info.filename):
                        with zf.open(info) as src:
                            yield info.filename, src
            return
        with tarfile.open(path, "r:*") as tf:
            for ti in tf:  # in archive order, streamed
                if ti.isfile() and _member_wanted(ti.name) and (member := tf.extractfile(ti)) is not None:
                    with member:
                        yield ti.name, member

    def helm_chart(name: str) -> bool:  # what `helm package` writes first: CHART/Chart.yaml
        parts = name.strip("/").split("/")
        return len(parts) == 2 and parts[1] == "Chart.yaml"

    name = None
    try:
        for i, (name, src) in enumerate(members()):
            if i == 0 and helm_chart(name):
                snap.skip(
                    label,
                    "a Helm chart package (templates, not manifests): not read; scan what `helm template` renders",
                    category="not_kubernetes",
                )
                return
            where = f"{label}/{name.lstrip('./')}"
            with tempfile.TemporaryDirectory(prefix="k8saudit-unpacked-") as tmp:
                dst = Path(tmp) / Path(name).name
                try:
                    _unpack(src, dst)
                except _TooLarge as e:
                    _too_large(snap, where, e.args[0], tmp)
                    continue
                if progress:
                    progress(f"reading {where}")
                load_file(snap, dst, where, progress=progress, in_archive=True)
    except OSError as e:
        if e.errno is not None:
            snap.skip(label, f"cannot read archive: {e.strerror or e}", category="unreadable")
            return
        _archive_broken(snap, label, name, e)
    except (EOFError, tarfile.TarError, zipfile.BadZipFile, zlib.error, lzma.LZMAError, RuntimeError) as e:
        _archive_broken(snap, label, name, e)


def _archive_broken(snap: Snapshot, label: str, member: str | None, e: BaseException) -> None:
    at = f"at member {member}" if member else "before its first manifest"
    why = str(e) or type(e).__name__
    snap.skip(label, f"archive corrupt or cut short ({why}) {at}: it and what follows are not read", category="partial")


def _member_wanted(name: str) -> bool:
    """An archive member read as a directory's walk reads a file: a manifest's name, no hidden part."""
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    return bool(parts) and not any(p.startswith(".") for p in parts) and _is_manifest_name(parts[-1])


class _TooLarge(Exception):
    pass


def _unpack(src: IO[bytes], dst: Path) -> None:
    """Copy ``src`` (a decompressing reader, an archive's member, standard input) into ``dst`` 4 MB at a time
    (``read1`` where the stream has it: what a cut stream gave before it ended is kept); :class:`_TooLarge` beyond :data:`DECOMPRESS_SHARE` of the free space where ``dst`` is."""
    limit = int(shutil.disk_usage(dst.parent).free * DECOMPRESS_SHARE)
    read = getattr(src, "read1", src.read)
    done = 0
    with open(dst, "wb") as out:
        while chunk := read(1 << 22):
            done += len(chunk)
            if done > limit:
                raise _TooLarge(limit)
            out.write(chunk)


def _too_large(
    snap: Snapshot,
    label: str,
    limit: int,
    tmp: str,
    advice: str = "unpack it where there is room",
    what: str = "expands to",
) -> None:
    snap.skip(
        label,
        f"{what} more than {limit / 1024**3:,.1f} GB, {DECOMPRESS_SHARE:.0%} of the free space of the temporary "
        f"directory ({Path(tmp).parent}): not read; {advice}",
        category="too_large",
    )


def _load_decompressed(
    snap: Snapshot, path: Path, label: str, ext: str, progress: Progress | None, *, in_archive: bool = False
) -> None:
    """A compressed file, decompressed 4 MB at a time into a private temporary directory (removed at once), then
    read as any other file under its own name. What it cannot give is a row of ``skipped`` naming it: a corrupt
    stream, or one that ends early (what came before is read, and the row says the rest is missing); one that
    would expand beyond :data:`DECOMPRESS_SHARE` of the temporary directory's free space; one compressed twice."""
    inner = path.name[: -len(ext)] if path.name.lower().endswith(ext) else path.name
    with tempfile.TemporaryDirectory(prefix="k8saudit-unpacked-") as tmp:
        plain = Path(tmp) / (inner or "manifest")  # the inner suffix tells JSON from YAML
        broken = None
        try:
            with COMPRESSIONS[ext][1](path, "rb") as src:
                _unpack(src, plain)
        except _TooLarge as e:
            _too_large(snap, label, e.args[0], tmp)
            return
        except EOFError:
            broken = "the compressed data ends early (a cut copy?)"
        except OSError as e:
            if e.errno is not None:  # the file, or the disk the text is written to
                snap.skip(label, f"cannot decompress: {e.strerror or e}", category="unreadable")
                return
            broken = f"the compressed data is corrupt ({e})"
        except (zlib.error, lzma.LZMAError) as e:
            broken = f"the compressed data is corrupt ({e})"
        done = plain.stat().st_size if plain.exists() else 0
        if broken is not None:
            done = _whole_documents(plain, done) if done else 0
            where = f"after {done:,} bytes of text" if done else "before any text"
            snap.skip(label, f"{broken}: read {where}; what follows is missing", category="partial")
        if done == 0:
            if broken is None:
                snap.skip(label, "empty file: no documents (once decompressed)", category="empty")
            return
        with open(plain, "rb") as fh:
            if _compression(fh.read(8)) is not None:
                snap.skip(label, "compressed twice: decompress it once first", category="unreadable")
                return
        load_file(snap, plain, label, progress=progress, in_archive=in_archive)


_DOC_SEP_BYTES = re.compile(_DOC_SEP.pattern.encode(), re.MULTILINE)


def _whole_documents(path: Path, size: int) -> int:
    """How much of a cut YAML text to read: up to its last document separator, since a cut block mapping still
    parses (a Pod cut before its ``securityContext`` would read as one without). JSON is kept whole: a cut
    object does not parse, and a streamed List's complete items load before the error naming the cut."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
        if head.lstrip()[:1] in (b"{", b"[") or size > MAX_YAML_BYTES:
            return size  # JSON, or YAML too large to be read at all (a row says so)
        fh.seek(0)
        text = fh.read()
    keep = max((sep.start() for sep in _DOC_SEP_BYTES.finditer(text)), default=0)
    os.truncate(path, keep)
    return keep


class _ListDoc(msgspec.Struct, rename="camel"):
    """A ``kind: List`` / ``*List`` document whose every item is a modelled kind (as ``kubectl get -o json`` writes)."""

    items: list[m.AnyObject]  # type: ignore[valid-type]
    kind: str = ""
    api_version: Any = None


_LIST_DOC = msgspec.json.Decoder(_ListDoc)


def _ascii(buf: mmap.mmap) -> bool:
    """``bytes.isascii()`` of a file's mapping, eight bytes at a time (no copy of it)."""
    n = len(buf) // 8
    high = int(np.bitwise_or.reduce(np.frombuffer(buf, np.uint64, count=n))) if n else 0
    return not high & 0x8080808080808080 and buf[n * 8 :].isascii()


def _typed_list(snap: Snapshot, path: Path, label: str) -> bool:
    """Load a JSON List straight into typed objects, in one pass (no dicts, no text); False when the file is
    anything else (another document, an item of a kind k8saudit does not model, a field that does not
    validate strictly, an item without ``apiVersion`` or name), and nothing was added: the general path
    then reads it, and words any problem, exactly as for any other file."""
    try:
        # decoded from the file's pages where they lie: reading it into a fresh buffer first cost more than
        # the decoding of what is kept (a 40 MB pods.json: 0.03 s, against 0.005 s mapped)
        with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as raw:
            if not _ascii(raw):
                str(raw, "utf-8")  # the typed decoder does not look inside the fields it skips
            doc = _LIST_DOC.decode(raw)
    except (OSError, ValueError, msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return False  # ValueError: not UTF-8, or a file emptied since it was looked at (nothing to map)
    api = doc.api_version
    if not doc.kind.endswith("List") or (isinstance(api, str) and api.startswith("kustomize.config.k8s.io/")):
        return False
    items: list[m.K8sObject] = doc.items
    for o in items:
        md = o.metadata
        if not o.api_version or (md.name is None and not md.generate_name):
            return False
    for i, o in enumerate(items):
        snap.add(o, f"{label}#0/items/{i}", 0)
    Sharer().share_kept(items)  # once compacted: what an owned object repeats of its owner's template is gone
    return True


# --------------------------------------------------------------------------- YAML


def _load_yaml_text(snap: Snapshot, text: str, label: str) -> None:
    """Split a multi-document YAML text and load each document on its own."""
    bounds = [0]
    for mt in _DOC_SEP.finditer(text):
        bounds.append(mt.start())
    bounds.append(len(text))
    doc_index = 0
    loaded_any = False
    line_at, pos = 1, 0  # line numbers are counted incrementally: one pass over the text in all
    for a, b in itertools.pairwise(bounds):
        chunk = text[a:b]
        line_at += text.count("\n", pos, a)
        pos = a
        start_line = line_at
        body = chunk
        if _DOC_SEP.match(chunk):  # drop the separator line itself
            nl = chunk.find("\n")
            first = chunk[:nl] if nl >= 0 else chunk
            if first.startswith("..."):
                continue
            body = chunk[len("---") :]
            start_line -= 0
        if not _has_content(body):
            continue
        helm = _HELM_SOURCE.search(body)
        where = f"{label}#{doc_index}" + (f" ({helm.group(1).strip()})" if helm else "")
        if _too_deep(body):
            snap.skip(label, _TOO_DEEP, category="parse_error", document=doc_index)
            doc_index += 1
            continue
        fast = _fast_yaml(body)
        if fast is not None:
            doc, first_line = fast
            _add_document(
                snap,
                doc,
                where,
                doc_index,
                start_line + first_line,
                label=label,
                item_lines=_list_item_lines(body, start_line) if isinstance(doc, dict) else None,
            )
            loaded_any = True
            doc_index += 1
            continue

        try:
            doc, node = _safe_yaml(body)
        except _AliasBomb as e:
            snap.skip(label, str(e), category="parse_error", document=doc_index)
        except RecursionError:
            snap.skip(label, _TOO_DEEP, category="parse_error", document=doc_index)
        except yaml.YAMLError as e:
            snap.skip(label, f"malformed YAML: {_yaml_msg(e, start_line)}", category="parse_error", document=doc_index)
        else:
            if doc is not None:
                _add_document(
                    snap,
                    doc,
                    where,
                    doc_index,
                    start_line + node.start_mark.line,
                    label=label,
                    item_lines=_item_lines(node, start_line),
                )
                loaded_any = True
        doc_index += 1
    if doc_index == 0 and not loaded_any:
        snap.skip(label, "empty file: no documents (only comments or separators)", category="empty")


# YAML documents go through yaml_rs first (a Rust parser, about 4x faster than libyaml through PyYAML).
# It reads YAML 1.2 where Kubernetes reads 1.1: the two differ on unquoted yes/no/on/off, octal 0755 and
# merge keys. Documents with anchors or merge keys take the PyYAML path (which also bounds alias
# expansion), and so do documents with octal-looking numbers (``defaultMode: 0644``); a single
# object that does not validate after yaml_rs (``privileged: yes`` is a string in 1.2) is read
# with PyYAML instead, so it means what kubectl makes of it. Any refusal by yaml_rs also
# falls back to PyYAML, which words the error messages.
_OCTAL = re.compile(
    r"[:\-,\[][ \t]*0[0-7]+[ \t]*(?:$|[,}\]#])", re.MULTILINE
)  # 0644: octal in YAML 1.1, decimal in 1.2
_FIRST_CONTENT = re.compile(r"^[ \t]*[^#\s]", re.MULTILINE)
_LIST_ITEM = re.compile(r"^- ", re.MULTILINE)


@functools.cache
def _yaml_rs() -> Any:
    """The yaml_rs module, imported with the first YAML document (a load of JSON files never needs it), or
    None without it: every document then takes the PyYAML path."""
    try:
        import yaml_rs
    except ImportError:  # pragma: no cover
        return None
    return yaml_rs


def _fast_yaml(body: str) -> tuple[Any, int] | None:
    """(document, line of its first content) through yaml_rs, or None to take the PyYAML path."""
    if "&" in body or "<<" in body or _OCTAL.search(body) or (fast := _yaml_rs()) is None:
        return None
    try:
        doc = fast.loads(body, parse_datetime=False)
    except Exception:  # any refusal: PyYAML decides and explains
        return None
    if doc is None:
        return None
    kind = doc.get("kind") if isinstance(doc, dict) else None
    tp = m.KINDS.get(kind) if isinstance(kind, str) else None
    if tp is not None:  # a single object that does not validate may mean something else in YAML 1.1
        try:
            msgspec.convert(doc, tp, strict=False)
        except (msgspec.ValidationError, TypeError, ValueError, RecursionError):
            return None
    mt = _FIRST_CONTENT.search(body)
    first = body.count("\n", 0, mt.start()) if mt else 0
    return doc, first


def _list_item_lines(body: str, offset: int) -> list[int] | None:
    """Lines of the items of a ``kind: List`` as kubectl writes it (``items:`` then ``- `` at column 0)."""
    at = body.find("\nitems:")
    if at < 0:
        return None
    lines, pos, line = [], at, offset + body.count("\n", 0, at)
    for mt in _LIST_ITEM.finditer(body, at):
        line += body.count("\n", pos, mt.start())
        pos = mt.start()
        lines.append(line)
    return lines


def _has_content(body: str) -> bool:
    for line in body.splitlines():
        s = line.strip()
        if s and not s.startswith("#"):
            return True
    return False


_TOO_DEEP = f"document nested more than {MAX_DEPTH} levels deep: refused (no Kubernetes object nests like that)"
_INDENT_RUN = re.compile(rf"^[ \t-]{{{MAX_DEPTH},}}", re.MULTILINE)  # block nesting: indentation and "- - -"
_FLOW = re.compile(r"[\[\]{}]")


def _too_deep(body: str) -> bool:
    """An upper bound of a YAML document's nesting is beyond :data:`MAX_DEPTH` (checked before parsing)."""
    if _INDENT_RUN.search(body):
        return True
    if body.count("[") + body.count("{") < MAX_DEPTH:
        return False
    depth = 0
    for mt in _FLOW.finditer(body):  # brackets inside quoted strings count too: an upper bound
        if mt.group() in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif depth:
            depth -= 1
    return False


def _yaml_msg(e: yaml.YAMLError, offset: int) -> str:
    mark = getattr(e, "problem_mark", None)
    problem = getattr(e, "problem", None) or str(e).splitlines()[0]
    msg = str(problem)
    if mark is not None:
        msg += f" at line {mark.line + offset}, column {mark.column + 1}"
    ctx, cmark = getattr(e, "context", None), getattr(e, "context_mark", None)
    if ctx and cmark is not None:
        msg += f" ({ctx} at line {cmark.line + offset})"
    return msg


def _item_lines(node: yaml.Node, offset: int) -> list[int] | None:
    """Line of each item of a ``kind: List`` document (for precise provenance)."""
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if getattr(k, "value", None) == "items" and isinstance(v, yaml.SequenceNode):
            return [offset + item.start_mark.line for item in v.value]
    return None


_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc]
    """Safe loading, timestamps kept as the strings the API uses (creationTimestamp and friends)."""

    yaml_implicit_resolvers = {  # noqa: RUF012  (PyYAML's own class attribute, replaced whole)
        k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
        for k, v in _BaseLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> Any:
        """A key given twice in one mapping is an error, as kubectl makes it (not last-one-wins)."""
        if isinstance(node, yaml.MappingNode):
            seen: dict[tuple[str, str], Any] = {}
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                    k = (key_node.tag, key_node.value)
                    first = seen.get(k)
                    if first is not None:
                        raise yaml.constructor.ConstructorError(
                            "while constructing a mapping",
                            node.start_mark,
                            f"duplicate key {key_node.value!r} (kubectl refuses it too)",
                            key_node.start_mark,
                        )
                    seen[k] = key_node.start_mark
        return super().construct_mapping(node, deep)


def _safe_yaml(text: str) -> tuple[Any, Any]:
    """Parse one YAML document safely: no tags, and aliases may not expand without bound."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        # an alias needs an anchor (&name): without one the expanded size is the node count
        size = _expanded_size(node) if "&" in text else 0
        if size > MAX_YAML_NODES:
            raise _AliasBomb(
                f"YAML aliases expand to more than {MAX_YAML_NODES:,} nodes (an alias bomb?); document refused"
            )
        return loader.construct_document(node), node
    finally:
        loader.dispose()


def _expanded_size(root: yaml.Node) -> int:
    """Number of nodes after alias expansion, computed without expanding (memoised)."""
    memo: dict[int, int] = {}
    total_limit = MAX_YAML_NODES + 1

    def size(node: yaml.Node, depth: int = 0) -> int:
        key = id(node)
        got = memo.get(key)
        if got is not None:
            return got
        if depth > 500:
            raise _AliasBomb("YAML nesting deeper than 500 levels; document refused")
        n = 1
        if isinstance(node, yaml.SequenceNode):
            for child in node.value:
                n += size(child, depth + 1)
                if n > total_limit:
                    break
        elif isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                n += size(k, depth + 1) + size(v, depth + 1)
                if n > total_limit:
                    break
        memo[key] = n
        return n

    return size(root)


# --------------------------------------------------------------------------- documents


def _add_document(
    snap: Snapshot,
    doc: Any,
    where: str,
    doc_index: int,
    line: int,
    *,
    label: str | None = None,
    item_lines: list[int] | None = None,
) -> None:
    label = label or where.split("#", 1)[0]
    if isinstance(doc, list) and not any(isinstance(i, dict) for i in doc):
        snap.skip(
            label,
            "document is a list of plain values, not Kubernetes objects: ignored",
            category="not_kubernetes",
            document=doc_index,
        )
        return
    if isinstance(doc, list):  # a bare JSON array of objects
        for i, item in enumerate(doc):
            _add_object(snap, item, f"{where}/{i}", label, f"{doc_index}/{i}", line, None)
        return
    if not isinstance(doc, dict):
        snap.skip(
            label,
            f"document is a {type(doc).__name__}, not a Kubernetes object: ignored",
            category="not_kubernetes",
            document=doc_index,
        )
        return
    if _not_kubernetes(doc):
        snap.skip(label, _NOT_K8S, category="not_kubernetes", document=doc_index)
        return
    kind = doc.get("kind")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(doc.get("items"), list):
        item_kind = kind[:-4] if kind != "List" else None
        lines = item_lines if item_lines and len(item_lines) == len(doc["items"]) else None
        for i, item in enumerate(doc["items"]):
            _add_object(
                snap,
                item,
                f"{where}/items/{i}",
                label,
                f"{doc_index}/items/{i}",
                lines[i] if lines else line,
                item_kind,
                doc.get("apiVersion") if item_kind else None,
            )
        return
    _add_object(snap, doc, where, label, doc_index, line, None)


_NOT_K8S = (
    "not a Kubernetes object (no `kind`, no `metadata`; or a kustomize file): a Helm values or Chart "
    "file, a kustomization.yaml or other configuration: ignored"
)


def _not_kubernetes(doc: dict[str, Any]) -> bool:
    """A document that is plainly some other configuration, not a broken Kubernetes manifest."""
    api = doc.get("apiVersion")
    if isinstance(api, str) and api.startswith("kustomize.config.k8s.io/"):
        return True
    return "kind" not in doc and "metadata" not in doc


def _add_object(
    snap: Snapshot,
    doc: Any,
    where: str,
    label: str,
    document: Any,
    line: int,
    default_kind: str | None,
    default_api: str | None = None,
) -> None:
    if not isinstance(doc, dict):
        snap.skip(label, f"item is a {type(doc).__name__}, not a Kubernetes object", document=document)
        return
    if default_kind and "kind" not in doc:  # typed list responses omit kind/apiVersion per item
        doc = {"kind": default_kind, "apiVersion": default_api, **doc}
    kind, api = doc.get("kind"), doc.get("apiVersion")
    md = doc.get("metadata")
    name = md.get("name") if isinstance(md, dict) else None
    ns = md.get("namespace") if isinstance(md, dict) else None
    if not kind or not isinstance(kind, str):
        snap.skip(label, "document has no `kind`", document=document, name=_s(name), namespace=_s(ns))
        return
    if not api:
        snap.skip(
            label,
            f"{kind} {_s(name) or ''} has no `apiVersion`".replace("  ", " "),
            document=document,
            kind=kind,
            name=_s(name),
            namespace=_s(ns),
        )
        return
    if (kind == "Config" and api == "v1" and "users" in doc) or (kind == "Config" and "contexts" in doc):
        snap.kubeconfig_entries.extend(parse_kubeconfig(doc, where))
        return
    try:
        obj = convert(doc)
    except RecursionError:
        snap.skip(
            label,
            f"{kind} {_s(name) or ''}: {_TOO_DEEP}".replace("  ", " "),
            category="parse_error",
            document=document,
            kind=kind,
            namespace=_s(ns),
            name=_s(name),
        )
        return
    except (msgspec.ValidationError, TypeError, ValueError) as e:
        snap.skip(
            label,
            f"invalid {kind} {_s(name) or ''}: {e}".replace("  ", " "),
            category="invalid",
            document=document,
            kind=kind,
            namespace=_s(ns),
            name=_s(name),
        )
        return
    if obj.metadata.name is None and not obj.metadata.generate_name:
        snap.skip(label, f"{kind} has no metadata.name", document=document, kind=kind, namespace=_s(ns))
        return
    snap.add(obj, where, line)


def _s(v: Any) -> str | None:
    return v if isinstance(v, str) else (None if v is None else str(v))


# --------------------------------------------------------------------------- streamed JSON lists

_ITEMS_RE = re.compile(rb'"items"\s*:\s*\[\s*?\n([ \t]*)\{')
_LISTKIND_RE = re.compile(rb'^\s*\{[^\[]*?"kind"\s*:\s*"(\w+)List"')


def _list_header(head: bytes) -> re.Match[bytes] | None:
    return _ITEMS_RE.search(head)


def _stream_json_list(
    snap: Snapshot, path: Path, label: str, size: int, head: bytes, progress: Progress | None
) -> None:
    """Decode a pretty-printed List (``kubectl get -o json``) batch by batch."""
    hm = _list_header(head)
    if hm is None:
        snap.skip(
            label,
            f"file too large to parse whole ({size / 1024**2:,.0f} MB) and not a pretty-printed "
            "`kubectl get -o json` List that could be streamed",
            category="too_large",
        )
        return
    indent = hm.group(1)
    end_pat = b"\n" + indent + b"}"
    lk = _LISTKIND_RE.match(head[: hm.start()])
    item_kind = lk.group(1).decode() if lk and lk.group(1) != b"" else None
    item_type: Any = m.KINDS.get(item_kind) if item_kind else None
    batch_dec = msgspec.json.Decoder(list[item_type] if item_type else list[m.AnyObject])  # type: ignore[valid-type]
    start = hm.end() - 1  # at the first item's "{"
    sharer = Sharer()  # equal parts of the items (labels, owners, env lists, probes) become one object
    first = _FIRST_KIND.search(head, hm.end() - 1)
    pods = item_kind == "Pod" or (item_kind is None and first is not None and first.group(1) == b"Pod")
    workers = _parallel.workers_for(size) if pods else 0  # (workers admit pods only)
    if workers and _stream_parallel(
        snap, path, label, size, start, end_pat, item_kind, batch_dec, progress, workers, sharer
    ):
        return
    index = 0
    done_bytes = 0
    # one buffer for every chunk, reused (a fresh 64 MB one per chunk costs its page faults each time):
    # "[" + the partial item left over + the next CHUNK bytes read in place + room for the closing "]"
    # + room for the partial item a chunk ends with (items are a few kB): allocated once, not once per chunk
    room = CHUNK // 16
    buf = bytearray(2 + CHUNK + room)
    buf[0] = 0x5B  # "["
    lp = 0  # bytes of the partial item left over, at buf[1:1 + lp]
    with open(path, "rb") as fh:
        fh.seek(start)
        while True:
            if len(buf) < 2 + lp + CHUNK:  # an item longer than a chunk: grow, keeping what was read
                grown = bytearray(2 + lp + CHUNK + room)
                grown[: 1 + lp] = buf[: 1 + lp]
                buf = grown
            with memoryview(buf) as mv:
                n = fh.readinto(mv[1 + lp : 1 + lp + CHUNK])
            filled = 1 + lp + n
            eof = n < CHUNK
            if lp == 0:  # the last read ended right after an item: drop the "," before the next one
                k = 1
                while k < filled and buf[k] in b", \t\r\n":
                    k += 1
                if k > 1:
                    buf[1 : filled - k + 1] = buf[k:filled]
                    filled -= k - 1
            cut = buf.rfind(end_pat, 0, filled)
            if cut < 0:
                if eof:
                    # (a file whose items end just where a read of CHUNK bytes ends leaves its whole trailer to
                    # this last, empty read)
                    _list_end(snap, label, index, bytes(buf[1:filled]))
                    break
                lp = filled - 1
                continue
            end = cut + len(end_pat)
            rest = bytes(buf[end:filled])
            buf[end] = 0x5D  # "]" (the buffer always has a byte to spare)
            with memoryview(buf) as mv:
                index = _decode_region(snap, mv[: end + 1], label, index, batch_dec, item_kind, sharer, indent)
            done_bytes += end
            if progress:
                progress(f"{label}: {index:,} items, {done_bytes / 1024**2:,.0f} of {size / 1024**2:,.0f} MB")
            if eof:
                _list_end(snap, label, index, rest)
                break
            pending = rest[1:] if rest[:1] in (b",", b"\n") else rest
            pending = pending.lstrip(b", \t\r\n")
            lp = len(pending)
            if len(buf) < 2 + lp + CHUNK:
                buf = bytearray(2 + lp + CHUNK + room)
                buf[0] = 0x5B
            buf[1 : 1 + lp] = pending


#: a batch of pods done ahead of its turn: the pods, and the indexes of those the snapshot admits whole
_Done = tuple[list[m.Pod], list[int]] | None
#: a batch a worker was asked for, that this process found it must read in its turn
_REDO: tuple[list[m.Pod], list[int]] = ([], [])


def _stream_parallel(
    snap: Snapshot,
    path: Path,
    label: str,
    size: int,
    start: int,
    end_pat: bytes,
    item_kind: str | None,
    batch_dec: msgspec.json.Decoder[Any],
    progress: Progress | None,
    workers: int,
    sharer: Sharer,
) -> bool:
    """The pods of a streamed Pod List admitted by worker processes and by this one (see ``_parallel``); False
    when no worker could start (nothing was read: the caller reads the file itself).

    Batches are handed out in file order: ``workers`` x AHEAD of them to the workers; while the oldest one a
    worker has is not back, this process takes the next batch itself and does the same work on it ahead of
    its turn (:func:`compact_pods`). Every batch is admitted in file order (``Snapshot.keep_compacted``), so the
    snapshot, its skipped rows and its provenance are what the loader alone makes."""

    packed = msgspec.msgpack.Decoder(tuple[list[m.Pod], list[int]])
    indent = end_pat[1:-1]
    templates = snap.template_index
    known = len(templates)
    index = 0
    current = True  # every template a pod could be compacted against is one the workers were sent
    with (
        open(path, "rb") as fh,
        mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm,
        _parallel.Pool(path, item_kind, _parallel.templates_payload(*snap.owner_templates()), workers) as pool,
    ):
        if pool.broken:
            return False
        regions = _parallel.regions(mm, start, size, end_pat, CHUNK)
        tail: tuple[str, int, int] | None = None  # what follows the last whole item, once reached
        window: collections.deque[tuple[int, int, bool, _Done]] = collections.deque()  # (a, b, a worker's?, done)

        def next_region() -> tuple[int, int] | None:
            nonlocal tail
            if tail is not None:
                return None
            what, a, b = next(regions)
            if what != "items":
                tail = (what, a, b)
                return None
            return a, b

        buf = bytearray(2 + CHUNK + CHUNK // 16)  # one buffer, reused (see _stream_json_list)

        def region(a: int, b: int) -> memoryview:
            """``[`` + the items in bytes [a, b) + ``]``, read (not through the mapping: the pages of the file
            it touches would count in this process's memory)."""
            nonlocal buf
            n = b - a
            if len(buf) < n + 2:
                buf = bytearray(n + 2 + CHUNK // 16)
            view = memoryview(buf)[: n + 2]
            view[0], view[n + 1] = 0x5B, 0x5D
            got = 0
            while got < n:
                k = os.preadv(fh.fileno(), [view[1 + got : 1 + n]], a + got)
                if not k:
                    raise SnapshotError(f"{label}: the file became shorter while it was read")
                got += k
            return view

        def ahead(a: int, b: int) -> _Done:
            try:
                pods = batch_dec.decode(region(a, b))
            except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
                return None  # read again in its turn, item by item
            if any(type(p) is not m.Pod for p in pods):
                return None
            return pods, compact_pods(pods, templates)

        def take(a: int, b: int, done: _Done) -> None:
            nonlocal index, current
            kept = False
            if done is not None and current:
                pods, whole = done
                n = len(pods)
                kept = snap.keep_compacted(pods, [f"{label}#0/items/{i}" for i in range(index, index + n)], whole)
                if kept:
                    sharer.share_kept(pods)
                    index += n
            if not kept:  # what could not be done ahead, done here (and worded) as without workers
                index = _decode_region(snap, region(a, b), label, index, batch_dec, item_kind, sharer, indent)
                current = current and len(templates) == known  # an owner in the List: the rest in its turn
            if progress:
                progress(f"{label}: {index:,} items, {b / 1024**2:,.0f} of {size / 1024**2:,.0f} MB")

        def fill() -> None:
            while current and pool.pending() < workers * _parallel.AHEAD and (r := next_region()) is not None:
                pool.ask(*r)
                window.append((*r, True, None))

        fill()
        while True:
            if not window:
                if (r := next_region()) is None:
                    break
                take(*r, None)  # (the workers' templates out of date: the rest in its turn, here)
                continue
            a, b, theirs, done = window[0]
            if theirs and current and not pool.ready():
                if (r := next_region()) is not None:
                    window.append((*r, False, ahead(*r)))  # rather than wait: the next batch, here
                    continue
                # nothing more to hand out: the newest batch a worker has not answered (nor begun, likely), here
                late = [i for i in range(1, len(window)) if window[i][2] and window[i][3] is None]
                if late:
                    i = late[-1]
                    window[i] = (*window[i][:3], ahead(*window[i][:2]) or _REDO)
                    continue
            window.popleft()
            if theirs and done is not None:  # done here already: this and every later batch of theirs
                pool.abandon()
            elif theirs:
                a, b, payload = pool.result()
                if payload is not None and current:
                    try:
                        done = packed.decode(payload)
                    except (msgspec.ValidationError, msgspec.DecodeError):
                        done = None
            take(a, b, None if done is _REDO else done)
            fill()
        rest = bytes(mm[tail[1] : tail[2]]) if tail is not None else b""  # what follows the last whole item
    _list_end(snap, label, index, rest)
    return True


def _list_end(snap: Snapshot, label: str, index: int, rest: bytes) -> None:
    """What follows the last whole item of a streamed List must be its trailer (``]``, then the List's own kind
    and metadata): a file that ends inside an item, or after a whole item without closing the list (a dump cut
    short: the disk filled, the copy stopped), has lost the items after it, and says so."""
    left = rest.lstrip(b", \t\r\n")
    if left.startswith(b"]"):
        return
    if not left or left.startswith(b"{"):
        why = "the file ends inside an item" if left else "the file ends after it, without closing the list"
        reason = f"truncated JSON List after item {index}: {why}; what followed is missing"
    else:
        reason = f"trailing data after item {index} is not valid JSON"
    snap.skip(label, reason, category="parse_error", document=f"0/items/{index}")


def _decode_region(
    snap: Snapshot,
    region: memoryview,
    label: str,
    index: int,
    dec: msgspec.json.Decoder[Any],
    item_kind: str | None,
    sharer: Sharer,
    indent: bytes,
) -> int:
    """Decode one batch of whole items (``[item, item, ...]``, each ``{`` and ``}`` on its own line indented by
    ``indent``); fall back to item by item when one is bad."""
    try:
        objs = dec.decode(region)
    except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
        return _decode_items_one_by_one(snap, bytes(region[1:-1]), label, index, item_kind, indent)
    return _add_batch(snap, objs, label, index, sharer)


def _add_batch(snap: Snapshot, objs: list[Any], label: str, index: int, sharer: Sharer) -> int:
    """Keep a decoded batch of items ``index``, ``index + 1``, ... of the List; returns the next index."""
    n = len(objs)
    kinds = {type(o) for o in objs}
    if len(kinds) == 1:
        kind = objs[0].kind if n else "?"
        snap.add_many(kind, objs, [f"{label}#0/items/{i}" for i in range(index, index + n)])
        sharer.share_kept(objs)  # once compacted: what an owned object repeats of its owner's template is gone
        return index + n
    by_kind: dict[str, list[Any]] = {}
    srcs: dict[str, list[str]] = {}
    for i, o in enumerate(objs):
        k = o.kind
        by_kind.setdefault(k, []).append(o)
        srcs.setdefault(k, []).append(f"{label}#0/items/{index + i}")
    for k, objs_k in by_kind.items():
        snap.add_many(k, objs_k, srcs[k])
    sharer.share_kept(objs)
    return index + n


#: a document closed at the first column, and another opened there: two dumps in one file
_NEXT_DOCUMENT = re.compile(rb"\n\}\s*\n\{")


def _decode_items_one_by_one(
    snap: Snapshot, region: bytes, label: str, index: int, item_kind: str | None, indent: bytes
) -> int:
    # items are separated by "\n<indent>},\n<indent>{": split there
    parts = re.split(rb"\n" + re.escape(indent) + rb"\},\s*\n" + re.escape(indent) + rb"\{", region)
    for i, part in enumerate(parts):
        text = part
        if i > 0:
            text = b"{" + text
        if i < len(parts) - 1:
            text = text + b"}"
        try:
            doc = msgspec.json.decode(text)
        except msgspec.DecodeError as e:
            why = (
                "another document starts after the List closes (a file over 64 MB is streamed as one `kubectl get "
                "-o json` List: put each dump in a file of its own); this item and the next are not read"
                if _NEXT_DOCUMENT.search(part)
                else str(e)
            )
            snap.skip(
                label,
                f"malformed JSON in item {index + i}: {why}",
                category="parse_error",
                document=f"0/items/{index + i}",
            )
            continue
        except RecursionError:
            snap.skip(label, f"item {index + i}: {_TOO_DEEP}", category="parse_error", document=f"0/items/{index + i}")
            continue
        _add_object(
            snap,
            doc,
            f"{label}#0/items/{index + i}",
            label,
            f"0/items/{index + i}",
            0,
            item_kind,
            "v1" if item_kind else None,
        )
    return index + len(parts)
