"""The export formats: each format module registers its name, extensions, aliases, writer and reader.

``export()``, ``findings_to_text()``, ``read_findings()`` and the CLI's ``--format``
choices and help all read this registry, so a format registered here (by a module of
this package or by a user) is available everywhere at once::

    from k8saudit.export import Format, register
    register(Format("tsv", (".tsv",), text=lambda findings, snapshot: findings.to_csv(sep="\\t")))
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from ..snapshot import Snapshot

#: writes the findings as text (``snapshot`` adds capture time, manifest locations, ...; a format's ``options``
#: come as keywords)
TextWriter = Callable[..., str]
#: writes the findings to a file
FileWriter = Callable[..., None]
#: reads an export back into the findings DataFrame
Reader = Callable[[Path], pd.DataFrame]
#: writes the findings as UTF-8 pieces, so a large export is never one string in memory
ChunkWriter = Callable[..., Iterator[bytes]]


class ExportError(ValueError):
    """The findings cannot be written (or read back) as asked; the message says why in one line."""


@dataclass(frozen=True)
class Format:
    """One export format. ``text`` renders it as a string; a binary format gives only ``write``.

    ``write`` defaults to writing ``chunks`` (UTF-8 pieces, when the format streams) or ``text`` as UTF-8;
    ``read`` (optional) reads a file of this format back into the identical findings DataFrame.
    """

    name: str
    extensions: tuple[str, ...]
    text: TextWriter | None = None
    write: FileWriter | None = None
    read: Reader | None = None
    aliases: tuple[str, ...] = ()
    description: str = ""
    #: the file name ``make demo`` writes it to, without extension
    stem: str = "findings"
    #: keyword options its writer takes (``max_chars`` for Markdown), passed on by ``export`` and the CLI
    options: tuple[str, ...] = ()
    #: the text as UTF-8 pieces (optional: files and standard output are then written piece by piece)
    chunks: ChunkWriter | None = None

    def __post_init__(self) -> None:
        if self.text is None and self.write is None:
            raise ValueError(f"export format {self.name!r}: give a text or a write function")
        if not self.extensions or not all(e.startswith(".") for e in self.extensions):
            raise ValueError(f"export format {self.name!r}: extensions start with a dot, e.g. ('.csv',)")

    @property
    def binary(self) -> bool:
        """A format with no text form (Excel): it can only be written to a file."""
        return self.text is None

    def write_file(
        self, findings: pd.DataFrame, path: Path, snapshot: Snapshot | None = None, **options: object
    ) -> None:
        self.check_options(options)
        if self.write is not None:
            self.write(findings, path, snapshot, **options)
        elif self.chunks is not None:
            with open(path, "wb") as fh:
                self.stream(findings, fh, snapshot, **options)
        else:
            assert self.text is not None
            path.write_text(self.text(findings, snapshot, **options), encoding="utf-8")

    def stream(
        self, findings: pd.DataFrame, out: IO[bytes], snapshot: Snapshot | None = None, **options: object
    ) -> None:
        """Write the text form to a binary stream as UTF-8, piece by piece when the format has ``chunks``."""
        self.check_options(options)
        if self.chunks is not None:
            for piece in self.chunks(findings, snapshot, **options):
                out.write(piece)
            return
        if self.text is None:
            raise ExportError(f"{self.name} is a binary format: write it to a file (e.g. report{self.extensions[0]})")
        out.write(self.text(findings, snapshot, **options).encode("utf-8"))

    def check_options(self, options: Mapping[str, object]) -> None:
        """An option this format does not take is an error naming the formats that do."""
        for name in options:
            if name not in self.options:
                takes = [f.name for f in _FORMATS.values() if name in f.options]
                raise ExportError(f"{name} applies to {' and '.join(takes) or 'no format'}, not {self.name}")


_FORMATS: dict[str, Format] = {}


def register(fmt: Format) -> Format:
    """Add (or replace) an export format; returns it."""
    _FORMATS[fmt.name] = fmt
    return fmt


def unregister(name: str) -> None:
    """Remove a format registered with :func:`register` (tests, plugins)."""
    _FORMATS.pop(name, None)


def formats() -> tuple[Format, ...]:
    """Every registered format, in registration order."""
    return tuple(_FORMATS.values())


def lookup(name: str) -> Format:
    """The format called ``name`` or one of its aliases (case-insensitive)."""
    key = name.lower()
    for f in _FORMATS.values():
        if key == f.name or key in f.aliases:
            return f
    raise ExportError(f"unknown export format {name!r}; use one of {', '.join(_FORMATS)}")


def for_path(path: Path) -> Format:
    """The format a file name selects by its extension (the longest matching one: ``.sarif.json`` → sarif)."""
    name = path.name.lower()
    best = max(
        ((f, ext) for f in _FORMATS.values() for ext in f.extensions if name.endswith(ext)),
        key=lambda t: len(t[1]),
        default=None,
    )
    if best is None:
        raise ExportError(
            f"{path}: cannot tell the export format from {path.suffix or 'a name without extension'!r}; "
            f"use one of {' '.join(extensions())} (or format=...)"
        )
    return best[0]


def extensions() -> list[str]:
    """Every registered extension, in registration order."""
    return [ext for f in _FORMATS.values() for ext in f.extensions]


class _Extensions(Mapping[str, tuple[str, ...]]):
    """format name → its file extensions (the first is the usual one); a live view of the registry."""

    def __getitem__(self, name: str) -> tuple[str, ...]:
        return _FORMATS[name].extensions

    def __iter__(self) -> Iterator[str]:
        return iter(list(_FORMATS))

    def __len__(self) -> int:
        return len(_FORMATS)

    def __repr__(self) -> str:
        return repr(dict(self))


FORMATS: Mapping[str, tuple[str, ...]] = _Extensions()
