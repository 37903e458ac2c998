"""Manifests written as UTF-16 or UTF-32 with a byte-order mark (Windows PowerShell 5's ``>`` writes
``kubectl get -o yaml > pods.yaml`` that way) load exactly as their UTF-8 text does; a file that has the mark but
not the encoding is reported by name, never read as something else."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import k8saudit as ka
from k8saudit.findings import audit
from k8saudit.sources import files as files_mod

SAMPLE = Path(ka.__file__).parent.parent / "data" / "sample-cluster"
ENCODINGS = ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"]
BOMS = {
    "utf-16-le": b"\xff\xfe",
    "utf-16-be": b"\xfe\xff",
    "utf-32-le": b"\xff\xfe\x00\x00",
    "utf-32-be": b"\x00\x00\xfe\xff",
}


def _encoded(text: str, encoding: str) -> bytes:
    return BOMS[encoding] + text.encode(encoding)


def _ids(snap: ka.Snapshot) -> list[str]:
    return sorted(audit(snap)["finding_id"])


@pytest.fixture(scope="module")
def sample_ids() -> list[str]:
    return _ids(ka.load(SAMPLE))


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_the_sample_in_a_wide_encoding_audits_as_in_utf8(encoding: str, tmp_path: Path, sample_ids: list[str]) -> None:
    for f in SAMPLE.iterdir():
        (tmp_path / f.name).write_bytes(_encoded(f.read_text(encoding="utf-8"), encoding))
    snap = ka.load(tmp_path, cluster="sample-cluster")
    assert snap.skipped.empty, snap.skipped.to_string()
    assert _ids(snap) == sample_ids


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-32-be"])
@pytest.mark.parametrize("streamed", [False, True], ids=["whole", "streamed"])
def test_a_json_list_in_a_wide_encoding(
    encoding: str, streamed: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if streamed:
        monkeypatch.setattr(files_mod, "CHUNK", 4096)  # the List is streamed in batches of a few pods
    items = [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": f"caf\u00e9-{i}", "namespace": "app", "annotations": {"note": "\u2603 \U0001f512"}},
            "spec": {"containers": [{"name": "c", "image": "i:1", "securityContext": {"privileged": i == 7}}]},
        }
        for i in range(40)
    ]
    text = json.dumps({"apiVersion": "v1", "kind": "List", "items": items}, indent=2, ensure_ascii=False)
    (tmp_path / "pods.json").write_bytes(_encoded(text, encoding))
    snap = ka.load(tmp_path)
    assert snap.skipped.empty, snap.skipped.to_string()
    assert len(snap.items("Pod")) == 40
    priv = audit(snap, checks=["privileged"])
    assert priv["name"].tolist() == ["caf\u00e9-7"]


def test_a_bad_document_in_a_utf16_file_is_named_by_that_file(tmp_path: Path) -> None:
    text = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: ns}\nspec: {containers: [{name: c, image: c}]}\n"
        "---\nthis: [is broken\n---\n"
        "apiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: ns}\nspec: {containers: [{name: c, image: c}]}\n"
    )
    (tmp_path / "pods.yaml").write_bytes(_encoded(text, "utf-16-le"))
    snap = ka.load(tmp_path)
    assert sorted(snap.objects.name) == ["a", "b"]
    assert snap.skipped[["source", "document", "category"]].values.tolist() == [["pods.yaml", "1", "parse_error"]]


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xfe" + "apiVersion: v1\n".encode("utf-16-le") + b"\x00\xd8" + "kind: Pod\n".encode("utf-16-le"),
        b"\xff\xfe\x00\x00" + b"\x00\x00\x11\x00",  # beyond U+10FFFF
        b"\xfe\xff" + b"\x00a\x00",  # an odd number of bytes
    ],
    ids=["lone-surrogate", "utf32-out-of-range", "truncated"],
)
def test_a_mark_without_its_encoding_is_reported(content: bytes, tmp_path: Path) -> None:
    (tmp_path / "odd.yaml").write_bytes(content)
    (tmp_path / "good.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: good, namespace: app}\nspec: {containers: [{name: c, image: n}]}\n"
    )
    snap = ka.load(tmp_path)
    assert snap.kinds == {"Pod": 1}
    rows = snap.skipped
    assert rows["source"].tolist() == ["odd.yaml"] and rows["category"].tolist() == ["unreadable"]
    assert "byte-order mark" in rows["reason"][0]


def test_utf16_from_standard_input() -> None:
    text = (SAMPLE / "shop.yaml").read_text(encoding="utf-8")
    snap = files_mod.load_stream(io.BytesIO(_encoded(text, "utf-16-le")), cluster="stdin")
    plain = files_mod.load_stream(io.BytesIO(text.encode()), cluster="stdin")
    assert snap.skipped.empty and snap.kinds == plain.kinds and len(snap) > 0
    assert _ids(snap) == _ids(plain)
