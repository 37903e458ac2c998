"""JSON documents one after another in one file or stream, as kubectl reads them: JSON Lines (``jq -c
'.items[]'``), objects printed one after another (``jq '.items[]'``), several dumps in one file. Each loads as a
document of its own; a malformed one is a row naming it and its line, and the documents after it still load."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import k8saudit as ka
from k8saudit.findings import audit
from k8saudit.sources import files as files_mod


def _pod(i: int, privileged: bool = False) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"p{i}", "namespace": "app"},
        "spec": {"containers": [{"name": "c", "image": "i:1", "securityContext": {"privileged": privileged}}]},
    }


def _names(snap: ka.Snapshot) -> list[str]:
    return sorted(p.metadata.name for p in snap.items("Pod"))


@pytest.mark.parametrize("layout", ["lines", "pretty", "tabs"])
@pytest.mark.parametrize("suffix", [".json", ".jsonl", ".ndjson"])
def test_documents_one_after_another(layout: str, suffix: str, tmp_path: Path) -> None:
    pods = [_pod(i, privileged=i == 3) for i in range(6)]
    if layout == "lines":
        text = "\n".join(json.dumps(p) for p in pods) + "\n"
    elif layout == "pretty":
        text = "\n".join(json.dumps(p, indent=2) for p in pods)
    else:
        text = "".join(json.dumps(p, indent="\t") for p in pods)  # no newline between: }{
    (tmp_path / ("pods" + suffix)).write_text(text)
    snap = ka.load(tmp_path)
    assert snap.skipped.empty, snap.skipped.to_string()
    assert _names(snap) == [f"p{i}" for i in range(6)]
    assert audit(snap, checks=["privileged"])["name"].tolist() == ["p3"]


def test_two_dumps_in_one_file(tmp_path: Path) -> None:
    deploy = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "app"},
        "spec": {
            "selector": {"matchLabels": {"a": "b"}},
            "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "i:1"}]}},
        },
    }
    first = {"apiVersion": "v1", "kind": "List", "items": [deploy]}
    second = {"apiVersion": "v1", "kind": "List", "items": [_pod(0), _pod(1)]}
    (tmp_path / "dump.json").write_text(json.dumps(first, indent=4) + "\n" + json.dumps(second, indent=4) + "\n")
    snap = ka.load(tmp_path)
    assert snap.skipped.empty, snap.skipped.to_string()
    assert snap.kinds == {"Deployment": 1, "Pod": 2}


@pytest.mark.parametrize("layout", ["lines", "pretty"])
def test_a_malformed_document_is_named_and_the_rest_loads(layout: str, tmp_path: Path) -> None:
    docs = [json.dumps(_pod(i), indent=2 if layout == "pretty" else None) for i in range(4)]
    docs[1] = docs[1][: len(docs[1]) // 2]  # cut in its middle
    text = "\n".join(docs) + "\n"
    (tmp_path / "pods.json").write_text(text)
    snap = ka.load(tmp_path)
    assert _names(snap) == ["p0", "p2", "p3"]
    rows = snap.skipped
    assert rows[["source", "document", "category"]].values.tolist() == [["pods.json", "1", "parse_error"]]
    first_line = text[: text.index(docs[1])].count("\n") + 1
    assert f"document 1 (line {first_line})" in rows["reason"].iloc[0]


def test_a_duplicate_key_in_one_document_skips_that_one(tmp_path: Path) -> None:
    good = json.dumps(_pod(0))
    twice = json.dumps(_pod(1, privileged=True)).replace(
        '"privileged": true', '"privileged": true, "privileged": false'
    )
    (tmp_path / "pods.jsonl").write_text(good + "\n" + twice + "\n")
    snap = ka.load(tmp_path)
    assert _names(snap) == ["p0"]  # p1 is not read as unprivileged
    assert "duplicate key 'privileged'" in snap.skipped["reason"].iloc[0]


def test_json_lines_on_standard_input() -> None:
    text = "\n".join(json.dumps(_pod(i)) for i in range(3))
    snap = files_mod.load_stream(io.BytesIO(text.encode()), cluster="stdin")
    assert snap.skipped.empty and _names(snap) == ["p0", "p1", "p2"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    n=st.integers(min_value=2, max_value=6),
    bad=st.sets(st.integers(min_value=0, max_value=5)),
    indent=st.sampled_from([None, 2, 4]),
)
def test_every_good_document_loads_and_every_bad_one_is_a_row(
    n: int, bad: set[int], indent: int | None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    bad = {b for b in bad if b < n}
    docs = [json.dumps(_pod(i), indent=indent) for i in range(n)]
    for b in bad:
        docs[b] = docs[b].replace('"kind"', '"kind" "', 1)  # a syntax error near its start
    d = tmp_path_factory.mktemp("s")
    (d / "pods.json").write_text("\n".join(docs) + "\n")
    snap = ka.load(d)
    assert _names(snap) == sorted(f"p{i}" for i in range(n) if i not in bad)
    assert sorted(int(x) for x in snap.skipped["document"]) == sorted(bad)


def test_two_large_dumps_in_one_streamed_file_are_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file over the streaming size is read as one List: a second dump after it is named, never read as items
    of the first without a word."""
    monkeypatch.setattr(files_mod, "CHUNK", 4096)
    first = {"apiVersion": "v1", "kind": "List", "items": [_pod(i) for i in range(40)]}
    second = {"apiVersion": "v1", "kind": "List", "items": [_pod(i) for i in range(40, 80)]}
    (tmp_path / "pods.json").write_text(json.dumps(first, indent=4) + "\n" + json.dumps(second, indent=4) + "\n")
    snap = ka.load(tmp_path)
    rows = snap.skipped
    assert len(rows) == 1 and rows["category"].iloc[0] == "parse_error"
    assert "another document starts after the List closes" in rows["reason"].iloc[0]
    assert "p39" not in _names(snap) and "p40" not in _names(snap)
