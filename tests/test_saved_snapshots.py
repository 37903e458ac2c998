"""Saved snapshots read back exactly, or are refused with a clear error naming the file."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from pathlib import Path

import pytest

import k8saudit as ka
from k8saudit.snapshot import SNAPSHOT_VERSION, SnapshotError


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ka.sample().save(tmp_path_factory.mktemp("saved") / "snap")


def copy(saved: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(saved, tmp_path / "snap"))


def manifest(root: Path) -> dict:
    return json.loads((root / "snapshot.json").read_text())


def write_manifest(root: Path, doc: dict) -> None:
    (root / "snapshot.json").write_text(json.dumps(doc))


def test_round_trip_is_verified(saved: Path) -> None:
    doc = manifest(saved)
    assert doc["version"] == SNAPSHOT_VERSION
    for info in doc["kinds"].values():
        assert hashlib.sha256((saved / info["file"]).read_bytes()).hexdigest() == info["sha256"]
    snap = ka.load(saved)
    assert snap.meta["integrity"].startswith("verified")
    assert len(ka.audit(snap)) == len(ka.audit(ka.sample()))


def test_missing_snapshot_json_is_not_a_snapshot(saved: Path, tmp_path: Path) -> None:
    root = copy(saved, tmp_path)
    (root / "snapshot.json").unlink()
    with pytest.raises(SnapshotError, match=r"no snapshot\.json"):
        ka.load(root)
    with pytest.raises(SnapshotError, match=r"no snapshot\.json"):
        ka.load(root / "objects")
    with pytest.raises(SnapshotError, match=r"no snapshot\.json"):
        ka.Snapshot.read(root)


def test_saved_snapshot_with_other_paths_is_refused(saved: Path, tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n")
    with pytest.raises(SnapshotError, match="on its own"):
        ka.load(saved, tmp_path / "m.yaml")


def test_altered_object_file_is_refused(saved: Path, tmp_path: Path) -> None:
    root = copy(saved, tmp_path)
    f = root / "objects" / "Pod.json.gz"
    body = json.loads(gzip.decompress(f.read_bytes()))
    body["items"][0]["metadata"]["name"] = "renamed"
    f.write_bytes(gzip.compress(json.dumps(body).encode()))
    with pytest.raises(SnapshotError, match=r"Pod\.json\.gz: content does not match the sha256"):
        ka.load(root)


@pytest.mark.parametrize("name", ["../outside.json.gz", "/etc/passwd", "objects/../../outside.json.gz"])
def test_file_outside_the_snapshot_is_refused(saved: Path, tmp_path: Path, name: str) -> None:
    root = copy(saved, tmp_path)
    (tmp_path / "outside.json.gz").write_bytes((root / "objects" / "Pod.json.gz").read_bytes())
    doc = manifest(root)
    doc["kinds"]["Pod"]["file"] = name
    doc["kinds"]["Pod"].pop("sha256")
    write_manifest(root, doc)
    with pytest.raises(SnapshotError, match="not a file inside the snapshot"):
        ka.load(root)


def test_symlink_escaping_the_snapshot_is_refused(saved: Path, tmp_path: Path) -> None:
    root = copy(saved, tmp_path)
    (tmp_path / "outside.json.gz").write_bytes((root / "objects" / "Pod.json.gz").read_bytes())
    (root / "objects" / "Pod.json.gz").unlink()
    (root / "objects" / "Pod.json.gz").symlink_to(tmp_path / "outside.json.gz")
    with pytest.raises(SnapshotError, match="not a file inside the snapshot"):
        ka.load(root)


def _rewrite(root: Path, kind: str, edit: object) -> None:
    """Edit a saved object file by hand and record its new hash (as someone editing on purpose would)."""
    f = root / "objects" / f"{kind}.json.gz"
    body = json.loads(gzip.decompress(f.read_bytes()))
    edit(body)  # type: ignore[operator]
    blob = gzip.compress(json.dumps(body).encode())
    f.write_bytes(blob)
    doc = manifest(root)
    doc["kinds"][kind]["sha256"] = hashlib.sha256(blob).hexdigest()
    write_manifest(root, doc)


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda b: b["sources"].pop(), "inconsistent saved Pod objects"),
        (lambda b: b["lines"].append(3), "inconsistent saved Pod objects"),
        (lambda b: b.__setitem__("lines", ["x"] * len(b["lines"])), "not a readable list of saved Pod objects"),
        (lambda b: b["items"][0].__setitem__("spec", "oops"), r"not a readable list of saved Pod objects.*items\[0\]"),
        (lambda b: b["items"].pop(), "inconsistent saved Pod objects"),
        (lambda b: (b["items"].pop(), b["sources"].pop(), b["lines"].pop()), "says"),
    ],
    ids=["sources-short", "lines-long", "lines-wrong-type", "item-wrong-type", "items-short", "count-differs"],
)
def test_hand_edited_item_lists_give_a_snapshot_error(saved: Path, tmp_path: Path, edit: object, match: str) -> None:
    root = copy(saved, tmp_path)
    _rewrite(root, "Pod", edit)
    with pytest.raises(SnapshotError, match=match) as err:
        _ = ka.load(root).workloads
    assert "Pod.json.gz" in str(err.value)


def test_old_snapshots_without_hashes_are_read_unverified(saved: Path, tmp_path: Path) -> None:
    root = copy(saved, tmp_path)
    doc = manifest(root)
    doc["version"] = 1
    for info in doc["kinds"].values():
        info.pop("sha256")
    write_manifest(root, doc)
    with pytest.warns(UserWarning, match="unverified"):
        snap = ka.load(root)
    assert snap.meta["integrity"].startswith("unverified")
    assert len(snap.items("Pod")) == len(ka.sample().items("Pod"))


@pytest.mark.parametrize(
    "text",
    [
        "[]",
        '{"format": "k8saudit-snapshot", "version": 2, "kinds": []}',
        '{"format": "k8saudit-snapshot", "version": 2, "kinds": {"Pod": "x"}}',
        '{"format": "k8saudit-snapshot", "version": "2"}',
    ],
)
def test_malformed_manifest(saved: Path, tmp_path: Path, text: str) -> None:
    root = copy(saved, tmp_path)
    (root / "snapshot.json").write_text(text)
    with pytest.raises(SnapshotError, match="snapshot"):
        ka.load(root)


@pytest.mark.parametrize(
    ("target", "said"),
    [
        ("a-file", "a-file: is a file; a snapshot is saved to a directory"),
        ("a-file/below", "a-file/below: cannot write the snapshot: Not a directory"),
        ("read-only/snap", "read-only/snap: cannot write the snapshot: Permission denied"),
    ],
)
def test_a_snapshot_that_cannot_be_written_is_an_error_naming_where(
    target: str, said: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from k8saudit.cli import EXIT_USAGE, main

    monkeypatch.chdir(tmp_path)
    Path("a-file").write_text("not a directory\n")
    Path("read-only").mkdir()
    if target.startswith("read-only"):
        real_mkdir = Path.mkdir

        def refuse(self: Path, *a: object, **kw: object) -> None:  # root ignores file modes: refuse as a mount would
            if self.parent.name == "read-only":
                raise PermissionError(13, "Permission denied", str(self))
            real_mkdir(self, *a, **kw)  # type: ignore[arg-type]

        monkeypatch.setattr(Path, "mkdir", refuse)
    with pytest.raises(SnapshotError, match="^" + said.replace("(", r"\(")):
        ka.sample().save(target)
    assert main(["snapshot", "sample", "-o", target, "-q"]) == EXIT_USAGE
