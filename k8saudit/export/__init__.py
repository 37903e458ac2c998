"""Findings out: CSV, JSON, Markdown, HTML, Excel, SARIF and JUnit XML.

One module per format, each fed only by the findings frame, the check registry
and (optionally) the snapshot the findings came from:

>>> from k8saudit.export import export
>>> export(findings, "report.html", snapshot=snap)       # format from the extension
>>> export(findings, "out/findings", format="sarif")

CSV and JSON exports read back into the identical DataFrame with
:func:`read_findings`. No export contains a secret value: findings hold masked
values only (see DESIGN.md, "Secrets never leave the cluster").
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from ..snapshot import Snapshot

__all__ = ["FORMATS", "ExportError", "export", "findings_to_text", "frame_to_text", "read_findings"]


class ExportError(ValueError):
    """The findings cannot be written (or read back) as asked; the message says why in one line."""


#: format → the file extensions that select it (the first is the usual one)
FORMATS: dict[str, tuple[str, ...]] = {
    "csv": (".csv",),
    "json": (".json",),
    "markdown": (".md", ".markdown"),
    "html": (".html", ".htm"),
    "xlsx": (".xlsx",),
    "sarif": (".sarif", ".sarif.json"),
    "junit": (".xml",),
}
_ALIASES = {"md": "markdown", "excel": "xlsx", "xml": "junit", "htm": "html"}
FRAME_FORMATS = ("table", "csv", "json", "markdown")


def _format_for(path: Path, fmt: str | None) -> str:
    if fmt is not None and fmt.lower() not in ("text", "auto"):
        f = _ALIASES.get(fmt.lower(), fmt.lower())
        if f not in FORMATS:
            raise ExportError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
        return f
    name = path.name.lower()
    best = max(((f, ext) for f, exts in FORMATS.items() for ext in exts if name.endswith(ext)),
               key=lambda t: len(t[1]), default=None)
    if best is None:
        known = " ".join(ext for exts in FORMATS.values() for ext in exts)
        raise ExportError(f"{path}: cannot tell the export format from {path.suffix or 'a name without extension'!r}; "
                          f"use one of {known} (or format=...)")
    return best[0]


def export(findings: pd.DataFrame, path: str | os.PathLike[str], snapshot: Snapshot | None = None,
           format: str | None = None) -> Path:
    """Write the findings to ``path``; the format comes from the extension unless ``format`` is given
    (``"text"``, the CLI's default for stdout, also means: from the extension).

    ``snapshot`` adds the capture time to reports and, for SARIF, the manifest
    file and line of each finding when the snapshot was read from files.
    """
    p = Path(path)
    fmt = _format_for(p, format)
    from . import _csv, _html, _json, _junit, _markdown, _sarif, _xlsx
    from ._common import columns

    columns(findings)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "csv":
            _csv.write(findings, p)
        elif fmt == "json":
            _json.write(findings, p, snapshot)
        elif fmt == "xlsx":
            _xlsx.write(findings, p, snapshot)
        elif fmt == "sarif":
            _sarif.write(findings, p, snapshot)
        elif fmt == "junit":
            _junit.write(findings, p, snapshot)
        elif fmt == "markdown":
            p.write_text(_markdown.findings_markdown(findings, snapshot), encoding="utf-8")
        else:
            p.write_text(_html.findings_html(findings, snapshot), encoding="utf-8")
    except OSError as e:
        raise ExportError(f"{p}: cannot write: {e.strerror or e}") from None
    return p


def findings_to_text(findings: pd.DataFrame, fmt: str, snapshot: Snapshot | None = None) -> str:
    """The findings as text: ``csv``, ``json``, ``markdown``, ``sarif``, ``junit`` (or ``html``)."""
    from . import _csv, _html, _json, _junit, _markdown, _sarif

    f = _ALIASES.get(fmt.lower(), fmt.lower())
    writers = {"csv": lambda: _csv.findings_csv(findings), "json": lambda: _json.findings_json(findings, snapshot),
               "markdown": lambda: _markdown.findings_markdown(findings, snapshot),
               "sarif": lambda: _sarif.findings_sarif(findings, snapshot),
               "junit": lambda: _junit.findings_junit(findings, snapshot),
               "html": lambda: _html.findings_html(findings, snapshot)}
    if f == "xlsx":
        raise ExportError("xlsx is a binary format: write it to a file (e.g. -o report.xlsx)")
    if f not in writers:
        raise ExportError(f"unknown text format {fmt!r}; use one of {', '.join(writers)}")
    return writers[f]()


def frame_to_text(df: pd.DataFrame, fmt: str) -> str:
    """Any DataFrame as ``table`` (plain aligned text), ``csv``, ``json`` (records) or ``markdown``."""
    from . import _csv, _json, _markdown, _text

    f = _ALIASES.get(fmt.lower(), fmt.lower())
    if f == "table":
        return _text.table_text(df)
    if f == "csv":
        return _csv.table_csv(df)
    if f == "json":
        return _json.table_json(df)
    if f == "markdown":
        return _markdown.table(df)
    raise ExportError(f"unknown format {fmt!r} for a frame; use one of {', '.join(FRAME_FORMATS)}")


def read_findings(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A CSV or JSON export back into the findings DataFrame, dtypes included.

    JSON exports also restore ``attrs`` (``stats``, ``clusters``, ``captured_at``,
    ``expired_waivers``), so :func:`k8saudit.findings.scorecard` works on them.
    """
    from . import _csv, _json

    p = Path(path)
    if not p.is_file():
        raise ExportError(f"{p}: no such file")
    suffix = p.name.lower()
    if suffix.endswith(".csv"):
        return _csv.read(p)
    if suffix.endswith(".json"):
        return _json.read(p)
    with open(p, "rb") as fh:
        head = fh.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    return _json.read(p) if head[:1] in (b"{", b"[") else _csv.read(p)
