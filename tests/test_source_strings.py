"""One parser of source strings ("sample", "sample:NAME", "context:NAME", a path, "-") for the command line,
the notebooks, the dashboard and ka.load; sources report progress through a callback, never a widget."""

from __future__ import annotations

import ast
import io
import sys
from pathlib import Path
from typing import Any

import pytest

import k8saudit as ka
from k8saudit import cli
from k8saudit.notebook import ProgressLabel, progress_label
from k8saudit.notebook import open_source as nb_open_source
from k8saudit.sources import Source, load_stream, open_source, parse_source, sample_path, sample_source

SAMPLE = sample_path()


@pytest.mark.parametrize(
    ("text", "kind", "name", "canonical"),
    [
        ("sample", "sample", "main", "sample"),
        ("", "sample", "main", "sample"),
        ("  sample:legacy ", "sample", "legacy", "sample:legacy"),
        ("sample:", "sample", "main", "sample"),
        ("sample:main", "sample", "main", "sample"),
        ("context:prod", "context", "prod", "context:prod"),
        ("context: prod-eu ", "context", "prod-eu", "context:prod-eu"),
        ("context:", "context", None, "context:"),
        ("-", "stdin", None, "-"),
    ],
    ids=[
        "sample",
        "empty",
        "sample-legacy",
        "sample-colon",
        "sample-main",
        "context",
        "context-spaces",
        "context-current",
        "stdin",
    ],
)
def test_every_form(text: str, kind: str, name: str | None, canonical: str) -> None:
    src = parse_source(text)
    assert (src.kind, src.name, str(src)) == (kind, name, canonical)
    assert parse_source(str(src)) == src  # the canonical string reads back the same


def test_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_source(str(SAMPLE)) == Source("path", str(SAMPLE))
    assert parse_source(SAMPLE) == Source("path", str(SAMPLE))  # a PathLike is always a path
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sample").mkdir()
    assert parse_source("sample").kind == "sample"  # the word wins; ./sample reads as a path
    assert parse_source("./sample") == Source("path", "sample")
    (tmp_path / "root" / "manifests").mkdir(parents=True)
    assert parse_source("manifests", root=tmp_path / "root") == Source("path", str(tmp_path / "root" / "manifests"))
    assert parse_source("gone", must_exist=False) == Source("path", "gone")
    assert parse_source("context-x.yaml", must_exist=False).kind == "path"  # only `context:` is a context


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sample:nope", r"sample:nope: no bundled sample 'nope'; samples: main, legacy"),
        (
            "no/such/dir",
            r"no/such/dir: no such file or directory \(a source is 'sample', 'sample:NAME', "
            r"'context:NAME', a path or '-' \(standard input\)\)",
        ),
    ],
    ids=["unknown-sample", "missing-path"],
)
def test_a_bad_source_is_one_clear_line(text: str, message: str) -> None:
    with pytest.raises(ka.SnapshotError, match=message):
        parse_source(text)
    with pytest.raises(ka.SnapshotError, match=message):
        nb_open_source(text)
    err = io.StringIO()
    sys_err, sys.stderr = sys.stderr, err
    try:
        code = cli.main(["scan", text, "-q"])
    finally:
        sys.stderr = sys_err
    assert code == 2 and len(err.getvalue().strip().splitlines()) == 1 and text in err.getvalue()


def test_sample_source_reads_through_the_parser() -> None:
    assert sample_source("sample") == "main" and sample_source("sample:legacy") == "legacy"
    assert sample_source("context:x") is None and sample_source(str(SAMPLE)) is None
    with pytest.raises(ka.SnapshotError, match="no bundled sample"):
        sample_source("sample:nope")


def test_ka_load_takes_a_source_string(sample_snap: ka.Snapshot) -> None:
    assert ka.load("sample:legacy").cluster == "legacy-cluster"
    assert len(ka.load("sample")) == len(sample_snap)
    assert len(ka.load(str(SAMPLE))) == len(sample_snap)


def test_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    text = (SAMPLE / "default.yaml").read_bytes()
    snap = load_stream(io.BytesIO(text))
    assert (
        snap.cluster == "stdin" and len(snap) > 0 and set(snap.objects["source"].str.split("#").str[0]) == {"<stdin>"}
    )
    assert len(open_source("-", stdin=io.BytesIO(text), cluster="piped")) == len(snap)
    bad = load_stream(io.BytesIO(b"kind: [unclosed\n"))
    assert len(bad) == 0 and list(bad.skipped["category"]) == ["parse_error"]  # recorded, not lost
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text)))
    code = cli.main(["frames", "objects", "-", "--format", "csv", "-q"])
    out = capsys.readouterr().out
    assert code == 0 and out.count("<stdin>") == len(snap)


def test_several_sources_are_paths_only(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["scan", "sample", str(SAMPLE), "-q"]) == 2
    assert "stand alone" in capsys.readouterr().err


# ---------------------------------------------------------------------- progress


def test_sources_draw_nothing_themselves() -> None:
    """No module under sources/ imports ipywidgets or IPython: the notebook layer supplies the widget."""
    root = Path(ka.__file__).parent / "sources"
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text())
        names = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        names += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        assert not [n for n in names if n.split(".")[0] in ("ipywidgets", "IPython")], path


def test_file_progress_goes_to_the_callback() -> None:
    lines: list[str] = []
    ka.load(str(SAMPLE), progress=lines.append)
    assert any("default.yaml" in line for line in lines)


def test_progress_label_outside_a_kernel_and_inside() -> None:
    assert progress_label() is None  # no Jupyter kernel here: nothing is displayed

    class Label:
        value = ""

    label: Any = Label()
    p = ProgressLabel(label)
    p("reading pods")
    assert label.value == "reading pods"
    p("too soon")  # throttled
    assert label.value == "reading pods"
    p.done("prod: 120 objects in 0.3s")
    assert label.value == "prod: 120 objects in 0.3s"
