"""The export registry: every format is declared once, and export(), findings_to_text(), read_findings(),
the CLI's --format choices, its --help and `make demo` all follow it."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pandas as pd
import pytest
from _findings import make_findings, sample_rows

from k8saudit import cli
from k8saudit.demo import demo_files
from k8saudit.export import (
    FORMATS,
    ExportError,
    Format,
    export,
    findings_to_text,
    formats,
    read_findings,
    register,
    unregister,
)
from k8saudit.export._registry import lookup


@pytest.fixture(scope="module")
def findings() -> pd.DataFrame:
    return make_findings(sample_rows())


def _tsv(findings: pd.DataFrame, snapshot: object) -> str:
    return findings[["check_id", "name"]].to_csv(sep="\t", index=False)


def _read_tsv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t")


@pytest.fixture
def tsv() -> Iterator[Format]:
    fmt = register(
        Format(
            "tsv", (".tsv", ".tab"), text=_tsv, read=_read_tsv, aliases=("tabs",), description="tab-separated check ids"
        )
    )
    yield fmt
    unregister("tsv")


def _help(*argv: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err), pytest.raises(SystemExit):
        cli.main([*argv, "--help"])
    return out.getvalue()


def test_builtin_formats_in_their_order() -> None:
    assert [f.name for f in formats()] == ["csv", "json", "markdown", "html", "xlsx", "sarif", "junit", "openreports"]
    assert dict(FORMATS) == {f.name: f.extensions for f in formats()}
    assert [f.name for f in formats() if f.binary] == ["xlsx"]
    assert [f.name for f in formats() if f.read] == ["csv", "json"]
    assert {a: lookup(a).name for a in ("md", "excel", "xml", "htm", "CSV", "policyreport")} == {
        "md": "markdown",
        "excel": "xlsx",
        "xml": "junit",
        "htm": "html",
        "CSV": "csv",
        "policyreport": "openreports",
    }


def test_a_registered_format_is_everywhere(tsv: Format, findings: pd.DataFrame, tmp_path: Path) -> None:
    out = export(findings, tmp_path / "f.tab")  # by its second extension
    assert out.read_text().splitlines()[0] == "check_id\tname"
    assert export(findings, tmp_path / "g.txt", format="tabs").read_text() == out.read_text()  # by alias
    assert findings_to_text(findings, "tsv") == out.read_text()
    assert list(read_findings(tmp_path / "f.tab").columns) == ["check_id", "name"]  # its reader
    assert FORMATS["tsv"] == (".tsv", ".tab")
    scan_help = _help("scan")
    assert "tsv" in scan_help.split("--format")[1] and ".tab" in scan_help
    assert "findings.tsv" in demo_files()


def test_an_unregistered_format_is_gone(findings: pd.DataFrame, tmp_path: Path) -> None:
    register(Format("tsv", (".tsv",), text=_tsv))
    unregister("tsv")
    assert "tsv" not in FORMATS and "tsv" not in _help("scan")
    with pytest.raises(ExportError, match="cannot tell the export format"):
        export(findings, tmp_path / "f.tsv")
    with pytest.raises(ExportError, match="unknown export format 'tsv'"):
        findings_to_text(findings, "tsv")


def test_the_cli_writes_a_registered_format(tsv: Format, tmp_path: Path) -> None:
    from k8saudit.sources import sample_path

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(["scan", str(sample_path()), "-q", "--format", "tsv", "--no-default-exemptions"])
    assert code == 0 and out.getvalue().splitlines()[0] == "check_id\tname" and len(out.getvalue().splitlines()) > 20


def test_binary_formats_refuse_text(findings: pd.DataFrame) -> None:
    with pytest.raises(ExportError, match=r"binary format.*report\.xlsx"):
        findings_to_text(findings, "excel")


def test_a_format_needs_a_writer_and_dotted_extensions() -> None:
    with pytest.raises(ValueError, match="text or a write"):
        Format("nothing", (".x",))
    with pytest.raises(ValueError, match="start with a dot"):
        Format("nodot", ("x",), text=_tsv)
