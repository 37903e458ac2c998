"""Compressed manifests (``kubectl get -o json | gzip > dump.json.gz``; bzip2, xz) load exactly as their text
does, found by a directory's walk or given by name; what cannot be decompressed whole is a row of ``skipped``
naming the file, never a silent loss: a cut copy, corrupt data, a file that would fill the disk, one compressed
twice."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import k8saudit as ka
from k8saudit.findings import audit
from k8saudit.snapshot import SnapshotError
from k8saudit.sources import files as files_mod
from k8saudit.vocab import NOTED

SAMPLE = Path(ka.__file__).parent.parent / "data" / "sample-cluster"
CODECS: dict[str, Callable[[bytes], bytes]] = {
    ".gz": gzip.compress,
    ".bz2": bz2.compress,
    ".xz": lzma.compress,
}


def _pods(n: int, privileged: int = -1) -> str:
    docs = [
        "apiVersion: v1\nkind: Pod\n"
        f"metadata: {{name: p{i}, namespace: app}}\n"
        f"spec: {{containers: [{{name: c, image: 'i:1', securityContext: {{privileged: {str(i == privileged).lower()}}}}}]}}\n"
        for i in range(n)
    ]
    return "---\n".join(docs)


def _ids(snap: ka.Snapshot) -> list[str]:
    return sorted(audit(snap)["finding_id"])


@pytest.mark.parametrize("ext", sorted(CODECS))
def test_the_sample_compressed_audits_as_the_sample(ext: str, tmp_path: Path) -> None:
    for f in SAMPLE.iterdir():
        (tmp_path / (f.name + ext)).write_bytes(CODECS[ext](f.read_bytes()))
    snap = ka.load(tmp_path, cluster="sample-cluster")
    assert snap.skipped.empty, snap.skipped.to_string()
    assert _ids(snap) == _ids(ka.load(SAMPLE))
    # every object names the compressed file it came from, as the user knows it (the kubeconfig holds none)
    wanted = {f.name + ext for f in SAMPLE.iterdir() if f.name != "kubeconfig.yaml"}
    assert set(snap.objects["source"].map(lambda s: s.split("#")[0])) == wanted


@pytest.mark.parametrize("streamed", [False, True], ids=["whole", "streamed"])
def test_a_gzipped_json_list(streamed: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if streamed:
        monkeypatch.setattr(files_mod, "CHUNK", 4096)  # the List is streamed in batches of a few pods
    items = [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": f"p{i}", "namespace": "app"},
            "spec": {"containers": [{"name": "c", "image": "i:1", "securityContext": {"privileged": i == 7}}]},
        }
        for i in range(60)
    ]
    text = json.dumps({"apiVersion": "v1", "kind": "List", "items": items}, indent=4)
    (tmp_path / "pods.json.gz").write_bytes(gzip.compress(text.encode()))
    snap = ka.load(tmp_path)
    assert snap.skipped.empty, snap.skipped.to_string()
    assert snap.kinds == {"Pod": 60}
    assert audit(snap, checks=["privileged"])["name"].tolist() == ["p7"]


def test_the_walk_reads_compressed_manifests_only(tmp_path: Path) -> None:
    (tmp_path / "a.YAML.GZ").write_bytes(gzip.compress(_pods(2).encode()))
    (tmp_path / "b.yml.xz").write_bytes(lzma.compress(_pods(1).replace("p0", "q0").encode()))
    (tmp_path / "notes.txt.gz").write_bytes(gzip.compress(b"not a manifest"))  # not a manifest's name: not read
    (tmp_path / "chart.tgz").write_bytes(gzip.compress(b"\x00" * 10))  # an archive: read when named, not found
    snap = ka.load(tmp_path)
    assert snap.skipped.empty, snap.skipped.to_string()
    assert sorted(snap.objects["name"]) == ["p0", "p1", "q0"]


def test_a_file_given_by_name_needs_no_manifest_suffix(tmp_path: Path) -> None:
    doc = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns1"}}
    (tmp_path / "dump.gz").write_bytes(gzip.compress(json.dumps(doc).encode()))
    snap = ka.load(tmp_path / "dump.gz")
    assert snap.skipped.empty and snap.kinds == {"Namespace": 1}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_cut_copy_is_reported_and_what_came_before_is_read(data: st.DataObject, tmp_path: Path) -> None:
    text = _pods(30, privileged=29).encode()
    ext = data.draw(st.sampled_from(sorted(CODECS)))
    packed = CODECS[ext](text)
    cut = data.draw(st.integers(min_value=8, max_value=len(packed) - 1))  # the codec's magic bytes are there
    d = Path(tempfile.mkdtemp(dir=tmp_path))
    (d / ("pods.yaml" + ext)).write_bytes(packed[:cut])
    snap = ka.load(d)
    rows = snap.skipped
    # never silent: a row names the file, and the audit is partial
    assert (rows["source"] == "pods.yaml" + ext).any(), rows.to_string()
    assert (rows["category"] != "empty").all() and not set(rows["category"]) <= NOTED  # the audit is partial
    # only whole documents are read: a cut one could parse without the part that says it is privileged
    pods = {p.metadata.name: p for p in snap.items("Pod")}
    assert set(pods) <= {f"p{i}" for i in range(30)}
    assert "p29" not in pods  # the last pod (the privileged one) is never read from a cut copy
    for p in pods.values():
        assert p.spec is not None and len(p.spec.containers) == 1 and p.spec.containers[0].image == "i:1"


@pytest.mark.parametrize("at", ["in-a-document", "at-a-separator"])
def test_a_cut_block_yaml_document_is_not_read_as_if_whole(at: str, tmp_path: Path) -> None:
    whole = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  namespace: app\nspec:\n  containers:\n  - name: c\n"
        "    image: i:1\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: b\n  namespace: app\nspec:\n"
        "  containers:\n  - name: c\n    image: i:1\n    securityContext:\n      privileged: true\n"
    )
    cut = whole.index("    securityContext") if at == "in-a-document" else whole.index("---") + 4
    packed = gzip.compress(whole[:cut].encode())
    # the stream itself cut: its end-of-stream marker and length are missing
    (tmp_path / "pods.yaml.gz").write_bytes(packed[:-8])
    snap = ka.load(tmp_path)
    assert [p.metadata.name for p in snap.items("Pod")] == ["a"]  # b, cut before its securityContext, is not read
    assert snap.skipped["category"].tolist() == ["partial"]


@pytest.mark.parametrize(
    "content",
    [b"\x1f\x8b" + b"garbage" * 20, b"BZh9" + b"\x00" * 40, b"\xfd7zXZ\x00" + b"junk" * 10],
    ids=["gzip", "bzip2", "xz"],
)
def test_corrupt_data_is_reported_and_the_rest_loads(content: bytes, tmp_path: Path) -> None:
    (tmp_path / "bad.yaml.gz").write_bytes(content)
    (tmp_path / "good.yaml").write_text(_pods(1))
    snap = ka.load(tmp_path)
    assert snap.kinds == {"Pod": 1}
    rows = snap.skipped
    assert rows["source"].tolist() == ["bad.yaml.gz"], rows.to_string()
    assert rows["category"].tolist()[0] in ("partial", "unreadable")
    assert "compressed data" in rows["reason"].iloc[0] or "decompress" in rows["reason"].iloc[0]


def test_a_file_that_would_fill_the_disk_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files_mod, "DECOMPRESS_SHARE", 1e-12)  # as if the disk were almost full
    (tmp_path / "pods.yaml.gz").write_bytes(gzip.compress(_pods(3).encode()))
    snap = ka.load(tmp_path)
    rows = snap.skipped
    assert rows[["source", "category"]].values.tolist() == [["pods.yaml.gz", "too_large"]]
    assert "unpack it where there is room" in rows["reason"].iloc[0]


def test_compressed_twice_is_reported(tmp_path: Path) -> None:
    (tmp_path / "pods.yaml.gz").write_bytes(gzip.compress(gzip.compress(_pods(1).encode())))
    snap = ka.load(tmp_path)
    assert snap.skipped[["source", "category"]].values.tolist() == [["pods.yaml.gz", "unreadable"]]
    assert "compressed twice" in snap.skipped["reason"].iloc[0]


def test_gzip_from_standard_input() -> None:
    text = (SAMPLE / "shop.yaml").read_bytes()
    snap = files_mod.load_stream(io.BytesIO(gzip.compress(text)), cluster="stdin")
    plain = files_mod.load_stream(io.BytesIO(text), cluster="stdin")
    assert snap.skipped.empty and snap.kinds == plain.kinds and len(snap) > 0
    assert _ids(snap) == _ids(plain)


def test_standard_input_that_would_fill_the_disk_is_not_spooled(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (SAMPLE / "shop.yaml").read_bytes()
    monkeypatch.setattr(files_mod, "DECOMPRESS_SHARE", 1e-12)  # as if the disk were almost full
    snap = files_mod.load_stream(io.BytesIO(text), cluster="stdin")
    assert len(snap) == 0
    assert snap.skipped[["source", "category"]].values.tolist() == [["<stdin>", "too_large"]]
    reason = snap.skipped["reason"].iloc[0]
    assert reason.startswith("is more than") and "name that file instead" in reason
    monkeypatch.setattr(files_mod, "DECOMPRESS_SHARE", 0.9)  # room enough: read whole, as before
    assert files_mod.load_stream(io.BytesIO(text), cluster="stdin").skipped.empty


def test_no_secret_value_is_kept_and_no_plain_text_is_left_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    value = "c3VwZXItc2VjcmV0LXZhbHVl"  # base64 of a value that must never surface
    doc = (
        "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: app}\ntype: Opaque\n"
        f"data: {{password: {value}}}\n"
    )
    src = tmp_path / "in"
    src.mkdir()
    (src / "secret.yaml.gz").write_bytes(gzip.compress(doc.encode()))
    snap = ka.load(src)
    assert snap.kinds == {"Secret": 1}
    for name in ("objects", "secrets"):
        assert value not in snap.frame(name).to_json()
    assert os.listdir(scratch) == []  # the decompressed text is removed once read


def test_what_is_left_of_a_saved_snapshot_is_still_told_from_compressed_manifests(tmp_path: Path) -> None:
    saved = ka.sample().save(tmp_path / "snap")
    (saved / "snapshot.json").unlink()
    for broken in (saved, saved / "objects"):  # its object files are not read as manifests
        with pytest.raises(SnapshotError, match=r"has no snapshot\.json"):
            ka.load(broken)
    # a kubectl dump compressed, named like an object file, is a manifest
    dump = tmp_path / "dump"
    dump.mkdir()
    doc = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}],
    }
    (dump / "Namespace.json.gz").write_bytes(gzip.compress(json.dumps(doc, indent=4).encode()))
    assert ka.load(dump).kinds == {"Namespace": 1}


@pytest.mark.parametrize("ext", sorted(CODECS))
def test_an_empty_compressed_file_is_noted_as_empty(ext: str, tmp_path: Path) -> None:
    (tmp_path / ("none.yaml" + ext)).write_bytes(CODECS[ext](b""))
    (tmp_path / "good.yaml").write_text(_pods(1))
    snap = ka.load(tmp_path)
    assert snap.skipped[["source", "category"]].values.tolist() == [["none.yaml" + ext, "empty"]]
