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
from typing import IO, TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from ..snapshot import Snapshot

from .._util import gc_paused
from ._registry import FORMATS, ExportError, Format, for_path, formats, lookup, register, unregister

# the built-in formats register themselves, in this order (FORMATS, the CLI's choices and help list them so)
from . import _csv, _json, _markdown, _html, _xlsx, _sarif, _junit, _openreports  # noqa: F401  isort: skip
import contextlib

__all__ = [
    "FORMATS",
    "ExportError",
    "Format",
    "export",
    "findings_to_stream",
    "findings_to_text",
    "formats",
    "frame_to_text",
    "read_findings",
    "register",
    "unregister",
]

FRAME_FORMATS = ("table", "csv", "json", "markdown")


def _format_for(path: Path, fmt: str | None) -> Format:
    if fmt is not None and fmt.lower() not in ("text", "auto"):
        return lookup(fmt)
    return for_path(path)


def export(
    findings: pd.DataFrame,
    path: str | os.PathLike[str],
    snapshot: Snapshot | None = None,
    format: str | None = None,
    *,
    max_chars: int | None = None,
    attack_paths: bool = True,
) -> Path:
    """Write the findings to ``path``; the format comes from the extension unless ``format`` is given
    (``"text"``, the CLI's default for stdout, also means: from the extension).

    ``snapshot`` adds the capture time to reports, for SARIF the manifest file and
    line of each finding when the snapshot was read from files, and for JSON, Excel
    and HTML the attack-path columns ``on_attack_path``, ``paths_through`` and
    ``priority`` (:func:`k8saudit.prioritize`), unless ``attack_paths`` is False (``scan --no-paths``).
    ``max_chars`` (Markdown only) cuts the report to that many characters and says what was left out;
    Markdown is cut to 65,536 (a pull request or issue body) unless told otherwise, ``max_chars=0``: no limit.
    """
    from ._common import columns

    p = Path(path)
    fmt = _format_for(p, format)
    columns(findings)
    options = {} if max_chars is None else {"max_chars": max_chars}
    fmt.check_options(options)
    findings = _for_format(findings, fmt, snapshot, attack_paths)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fmt.write_file(findings, p, snapshot, **options)
    except OSError as e:
        raise ExportError(f"{p}: cannot write: {e.strerror or e}") from None
    return p


#: formats that carry ``on_attack_path``, ``paths_through`` and ``priority`` when the snapshot is given
PATH_FORMATS = ("json", "xlsx", "html")


def _for_format(findings: pd.DataFrame, fmt: Format, snapshot: Snapshot | None, attack_paths: bool) -> pd.DataFrame:
    """The findings as ``fmt`` writes them: with the attack-path columns for the formats that carry them."""
    return with_attack_paths(findings, snapshot) if attack_paths and fmt.name in PATH_FORMATS else findings


def with_attack_paths(findings: pd.DataFrame, snapshot: Snapshot | None) -> pd.DataFrame:
    """``findings`` plus ``on_attack_path``, ``paths_through`` and ``priority`` (``ka.prioritize``) when the
    snapshot of one cluster is given and they are not there yet; computed once per snapshot and findings."""
    if snapshot is None or snapshot.members or findings.empty or "priority" in findings.columns:
        return findings
    with gc_paused():  # networkx and the graph's modules: tens of thousands of objects that live on
        from ..paths import prioritize

    # the ranks follow the findings (which fire) and their severities (a config may change one, not its id)
    key = f"_attack_priority:{hash((tuple(findings['finding_id']), tuple(findings['severity'].astype(str))))}"
    cached = snapshot._frames.get(key)
    if cached is None:
        cached = snapshot._frames[key] = prioritize(findings, snapshot)[
            ["finding_id", "on_attack_path", "paths_through", "priority"]
        ]
    # the three columns gathered to the findings' rows: the findings' own columns are shared, not copied
    at = pd.Index(cached["finding_id"]).get_indexer(findings["finding_id"])
    out = findings.copy(deep=False)
    for c in ("on_attack_path", "paths_through", "priority"):
        col = cached[c].take(np.maximum(at, 0)).array
        out[c] = col if (at >= 0).all() else pd.Series(col).mask(at < 0).array
    out.attrs = findings.attrs
    return out


def findings_to_text(
    findings: pd.DataFrame,
    fmt: str,
    snapshot: Snapshot | None = None,
    *,
    max_chars: int | None = None,
    attack_paths: bool = True,
) -> str:
    """The findings as text in any registered text format: ``csv``, ``json``, ``markdown``, ``sarif``, ``junit``,
    ``html``, ... (``max_chars``, ``attack_paths``: as for :func:`export`)."""
    f = lookup(fmt)
    findings = _for_format(findings, f, snapshot, attack_paths)
    if f.text is None:
        raise ExportError(f"{f.name} is a binary format: write it to a file (e.g. -o report{f.extensions[0]})")
    options = {} if max_chars is None else {"max_chars": max_chars}
    f.check_options(options)
    return f.text(findings, snapshot, **options)


def findings_to_stream(
    findings: pd.DataFrame,
    fmt: str,
    out: IO[bytes],
    snapshot: Snapshot | None = None,
    *,
    max_chars: int | None = None,
    attack_paths: bool = True,
) -> None:
    """As :func:`findings_to_text`, written to a binary stream as UTF-8: piece by piece for a format that
    streams (JSON), so a large export is never one string in memory."""
    f = lookup(fmt)
    findings = _for_format(findings, f, snapshot, attack_paths)
    options = {} if max_chars is None else {"max_chars": max_chars}
    f.stream(findings, out, snapshot, **options)


def frame_to_text(df: pd.DataFrame, fmt: str) -> str:
    """Any DataFrame as ``table`` (plain aligned text), ``csv``, ``json`` (records) or ``markdown``."""
    from . import _text

    f = fmt.lower()
    if f != "table":
        with contextlib.suppress(ExportError):
            f = lookup(f).name
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
    p = Path(path)
    if not p.is_file():
        raise ExportError(f"{p}: no such file")
    try:
        f = for_path(p)
    except ExportError:
        f = None
    if f is not None and f.read is not None:
        return f.read(p)
    with open(p, "rb") as fh:
        head = fh.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    return _json.read(p) if head[:1] in (b"{", b"[") else _csv.read(p)
