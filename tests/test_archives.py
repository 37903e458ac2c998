"""Archives of manifests (a tarball or zip handed around: ``tar czf dump.tar.gz dump/``) are read when named, member
by member as the files of a directory, every row naming ``ARCHIVE/MEMBER``; a cut or corrupt archive is a row, and
a Helm chart package is said to be one, never read as manifests. A directory's walk does not open archives (a
repository's ``charts/*.tgz`` are Helm packages)."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest

import k8saudit as ka
from k8saudit.findings import audit

SAMPLE = Path(ka.__file__).parent.parent / "data" / "sample-cluster"


def _ids(snap: ka.Snapshot) -> list[str]:
    return sorted(audit(snap)["finding_id"])


def _tar(path: Path, files: dict[str, bytes], mode: str) -> None:
    with tarfile.open(path, mode) as tf:
        for name, data in files.items():
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))


def _zip(path: Path, files: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)


SAMPLE_FILES = {f"dump/{f.name}": f.read_bytes() for f in sorted(SAMPLE.iterdir())}


@pytest.mark.parametrize("kind", ["tar", "tar.gz", "tar.bz2", "tar.xz", "zip"])
def test_the_sample_archived_audits_as_the_sample(kind: str, tmp_path: Path) -> None:
    path = tmp_path / f"dump.{kind}"
    if kind == "zip":
        _zip(path, SAMPLE_FILES)
    else:
        _tar(path, SAMPLE_FILES, "w" if kind == "tar" else "w:" + kind.split(".")[1])
    snap = ka.load(path, cluster="sample-cluster")
    assert snap.skipped.empty, snap.skipped.to_string()
    assert _ids(snap) == _ids(ka.load(SAMPLE))
    assert set(snap.objects["source"].map(lambda s: s.split("#")[0])) == {
        f"dump.{kind}/{n}" for n in SAMPLE_FILES if not n.endswith("kubeconfig.yaml")
    }


def test_members_a_walk_would_pass_over_are_passed_over(tmp_path: Path) -> None:
    pod = (SAMPLE / "shop.yaml").read_bytes()
    files = {"a/shop.yaml": pod, "a/.hidden/x.yaml": b"{{ broken", "a/README.md": b"# notes", "a/run.sh": b"\x00\x01"}
    _zip(tmp_path / "d.zip", files)
    snap = ka.load(tmp_path / "d.zip")
    assert snap.skipped.empty, snap.skipped.to_string()
    assert len(snap) == len(ka.load(SAMPLE / "shop.yaml"))


def test_a_cut_archive_reads_the_members_before_the_cut_and_says_so(tmp_path: Path) -> None:
    files = {
        f"d/{i:02d}.yaml": (SAMPLE / "shop.yaml").read_bytes().replace(b"shop", f"ns{i}".encode()) for i in range(6)
    }
    whole = tmp_path / "whole.tar.gz"
    _tar(whole, files, "w:gz")
    data = whole.read_bytes()
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(data[: len(data) * 2 // 3])
    snap = ka.load(cut)
    rows = snap.skipped
    assert rows["source"].tolist() == ["cut.tar.gz"] and rows["category"].tolist() == ["partial"], rows.to_string()
    assert "cut short" in rows["reason"].iloc[0]
    read = set(snap.objects["source"].map(lambda s: s.split("#")[0]))
    assert read and read < {f"cut.tar.gz/{n}" for n in files}
    # the member the archive stopped in is never read in part
    stopped = rows["reason"].iloc[0].split("at member ")[1].split(":")[0]
    assert f"cut.tar.gz/{stopped}" not in read


def test_corrupt_zip_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "d.zip"
    _zip(path, {"a/shop.yaml": (SAMPLE / "shop.yaml").read_bytes()})
    data = bytearray(path.read_bytes())
    data[60:90] = b"\x00" * 30  # inside the compressed member: its CRC no longer matches
    path.write_bytes(bytes(data))
    snap = ka.load(path)
    assert snap.skipped["category"].tolist() in (["partial"], ["parse_error"]), snap.skipped.to_string()


def test_a_helm_chart_package_is_named_not_read(tmp_path: Path) -> None:
    chart = {
        "web/Chart.yaml": b"apiVersion: v2\nname: web\nversion: 1.0.0\n",
        "web/values.yaml": b"replicas: 2\n",
        "web/templates/deploy.yaml": b"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n",
    }
    _tar(tmp_path / "web-1.0.0.tgz", chart, "w:gz")
    with pytest.raises(Exception, match="Helm chart package"):
        ka.audit(ka.load(tmp_path / "web-1.0.0.tgz"))


def test_a_walk_does_not_open_archives(tmp_path: Path) -> None:
    (tmp_path / "shop.yaml").write_bytes((SAMPLE / "shop.yaml").read_bytes())
    charts = tmp_path / "charts"
    charts.mkdir()
    _tar(charts / "dep-1.0.0.tgz", {"dep/Chart.yaml": b"name: dep\n", "dep/templates/x.yaml": b"{{ x }}"}, "w:gz")
    snap = ka.load(tmp_path)
    assert snap.skipped.empty, snap.skipped.to_string()


def test_an_archive_inside_an_archive_is_not_followed(tmp_path: Path) -> None:
    inner = tmp_path / "inner.tar.gz"
    _tar(inner, {"d/shop.yaml": (SAMPLE / "shop.yaml").read_bytes()}, "w:gz")
    # named as a manifest inside the outer one, so the walk of the members reads it
    _tar(
        tmp_path / "outer.tar",
        {"x/inner.yaml.gz": inner.read_bytes(), "x/ok.yaml": (SAMPLE / "dev.yaml").read_bytes()},
        "w",
    )
    snap = ka.load(tmp_path / "outer.tar")
    rows = snap.skipped
    assert rows[["source", "category"]].values.tolist() == [["outer.tar/x/inner.yaml.gz", "unreadable"]]
    assert "archive inside an archive" in rows["reason"].iloc[0]
    assert len(snap) == len(ka.load(SAMPLE / "dev.yaml"))
