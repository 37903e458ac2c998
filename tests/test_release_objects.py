"""``Snapshot.release_objects``: what ``k8saudit scan`` frees after its audit. Released objects still count, and
reading them afterwards is an error, never an empty answer (no false clean); the scan's outputs are those of the
notebook API, which releases nothing."""

from __future__ import annotations

import io
import json
import os
from contextlib import redirect_stdout
from pathlib import Path

import pandas as pd
import pytest

import k8saudit as ka
from k8saudit.cli import main
from k8saudit.snapshot import SnapshotError


def test_released_objects_count_and_cannot_be_read(tmp_path: Path) -> None:
    snap = ka.sample()
    kinds, n = dict(snap.kinds), len(snap)
    workloads = snap.frame("workloads")
    snap.release_objects(keep=["Pod"])
    assert snap.kinds == kinds and len(snap) == n  # still counted: the report says how many objects were read
    assert len(snap.items("Pod")) == kinds["Pod"]  # kept
    assert snap.frame("workloads") is workloads  # built before: still there
    with pytest.raises(SnapshotError, match=r"Deployment objects .* released"):
        snap.items("Deployment")
    with pytest.raises(SnapshotError, match="released"):
        snap.frame("rbac")  # not built yet, from released kinds: an error, not an empty frame
    with pytest.raises(SnapshotError, match="released"):
        snap.save(tmp_path / "s")
    with pytest.raises(SnapshotError, match="released"):
        snap.in_namespaces(["default"])
    with pytest.raises(SnapshotError, match="released"):
        list(snap.iter_objects())


def test_a_frame_of_kept_kinds_only_is_still_built() -> None:
    snap = ka.sample()
    snap.release_objects(keep=["Node"])
    assert len(snap.frame("nodes")) == snap.kinds["Node"]


def test_releasing_a_combined_snapshot_releases_its_members() -> None:
    snap = ka.Snapshot.combine([ka.sample(), ka.sample("legacy")])
    n = len(snap)
    snap.release_objects()
    assert len(snap) == n
    with pytest.raises(SnapshotError, match="released"):
        snap.items("Pod")


def _scan(*argv: str) -> str:
    with open(os.devnull, "wb") as _, redirect_stdout(io.StringIO()) as out:
        assert main(["scan", *argv]) == 0
    return out.getvalue()


@pytest.mark.parametrize("source", ["sample", "sample:legacy"])
def test_the_scan_finds_what_the_api_finds(source: str) -> None:
    """The scan frees objects and frames after its audit: its findings (attack-path columns included), and the
    object count of its report, are those of the API, which keeps everything."""
    snap = ka.sample("legacy" if source.endswith("legacy") else "main")
    want = ka.audit(snap)
    got = json.loads(_scan(source, "--format", "json", "-q"))
    assert [f["finding_id"] for f in got["findings"]] == want["finding_id"].tolist()
    if source == "sample":  # one cluster: the attack-path columns come from the graph built after the release
        from k8saudit.export import with_attack_paths

        ranked = with_attack_paths(want, ka.sample())
        assert [f["priority"] for f in got["findings"]] == ranked["priority"].tolist()
        assert [f["paths_through"] for f in got["findings"]] == ranked["paths_through"].tolist()
    text = _scan(source, "--all")
    assert f"{len(snap)} objects" in text.replace(",", "")


def test_frames_freed_during_the_audit_change_nothing_found() -> None:
    """``free_frames``: each named frame is forgotten after the last check that reads it; the findings and
    stats are those of an audit that keeps everything, and a forgotten frame is built again on use."""
    keep, free = ka.sample(), ka.sample()
    want = ka.audit(keep)
    got = ka.audit(free, free_frames=("env", "config_maps", "pdbs"))
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got.attrs["stats"] == want.attrs["stats"]
    assert "env" in keep._frames and not {"env", "config_maps", "pdbs"} & set(free._frames)
    assert "workloads" in free._frames  # not named: kept
    pd.testing.assert_frame_equal(free.frame("env"), keep.frame("env"))
