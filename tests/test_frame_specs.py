"""Frame specs: each builder gives exactly its spec's columns, and a spec is the one place a frame is declared
(FRAMES, SCHEMAS, describe(), the snapshot's accessors, the checks' input kinds and the runner's counts)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import k8saudit as ka
from k8saudit import frames
from k8saudit._model import Pod
from k8saudit.checks import CHECKS, Check, check
from k8saudit.findings import run_checks
from k8saudit.frames import SPECS, Derived, FrameSpec, SnapshotView, workload_index
from k8saudit.frames._spec import repeat_runs

NAMES = list(SPECS)


def _dtypes(df: pd.DataFrame) -> list[tuple[str, Any]]:
    return [(c, df[c].dtype) for c in df.columns]


def _expected(spec: FrameSpec) -> list[tuple[str, Any]]:
    return [(c.name, pd.api.types.pandas_dtype(c.dtype)) for c in spec.columns]


@pytest.mark.parametrize("name", NAMES)
def test_the_builder_gives_the_spec_columns_on_the_sample(name: str, sample_snap: ka.Snapshot) -> None:
    spec = SPECS[name]
    df = spec(sample_snap)  # the builder itself, not the snapshot's cache
    assert _dtypes(df) == _expected(spec)
    assert len(df) > 0, f"the sample cluster has no rows in {name}"
    assert _dtypes(sample_snap.frame(name)) == _expected(spec)


@pytest.mark.parametrize("name", NAMES)
def test_the_builder_gives_the_spec_columns_on_an_empty_snapshot(name: str) -> None:
    spec = SPECS[name]
    df = spec(ka.Snapshot("empty"))
    assert _dtypes(df) == _expected(spec) and df.empty
    assert _dtypes(frames.empty(name)) == _expected(spec)


@pytest.mark.parametrize("name", NAMES)
def test_key_columns_identify_the_object_of_a_row(name: str, sample_snap: ka.Snapshot) -> None:
    """Keys are columns; where one object has one row they identify the row, else some object has several."""
    spec = SPECS[name]
    df = sample_snap.frame(name)
    dup = df.duplicated(list(spec.keys)).any()
    assert dup == (not spec.one_row_per_object), (name, spec.keys)


class _View:
    """Only what :class:`SnapshotView` offers, over a real snapshot: the builders need nothing more."""

    def __init__(self, snap: ka.Snapshot) -> None:
        self._snap = snap
        self.cluster = snap.cluster
        self.kubeconfig_entries = snap.kubeconfig_entries
        self._derived: dict[str, Any] = {}

    @property
    def kinds(self) -> dict[str, int]:
        return self._snap.kinds

    def items(self, kind: str) -> list[Any]:
        return self._snap.items(kind)

    def provenance(self, kind: str) -> list[tuple[str, int]]:
        return self._snap.provenance(kind)

    def frame(self, name: str) -> pd.DataFrame:
        return SPECS[name](self)

    def derived(self, index: Derived[Any]) -> Any:
        if index.name not in self._derived:
            self._derived[index.name] = index.build(self)
        return self._derived[index.name]


@pytest.mark.parametrize("name", NAMES)
def test_builders_read_only_what_the_snapshot_protocol_offers(name: str, sample_snap: ka.Snapshot) -> None:
    view: SnapshotView = _View(sample_snap)
    pd.testing.assert_frame_equal(SPECS[name](view), sample_snap.frame(name))


def test_the_snapshot_declares_an_accessor_per_frame_for_type_checkers() -> None:
    declared = {k for k, v in ka.Snapshot.__annotations__.items() if "DataFrame" in str(v)}
    assert declared == set(SPECS)
    assert all(isinstance(ka.Snapshot.__dict__[name], property) for name in SPECS)


def test_derived_indexes_are_built_once_per_snapshot_and_dropped_with_its_frames() -> None:
    calls: list[int] = []
    index: Derived[int] = Derived("test-count", lambda snap: calls.append(1) or len(calls))
    snap = ka.sample()
    assert index.of(snap) == 1 and index.of(snap) == 1 and calls == [1]
    assert workload_index(snap) is workload_index(snap)  # the workloads, containers, env ... frames share it
    before = workload_index(snap)
    snap.drop_frames()
    assert index.of(snap) == 2 and workload_index(snap) is not before
    assert "late" not in set(snap.workloads["name"])
    pod = msgspec.convert(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "late", "namespace": "x"},
            "spec": {"containers": [{"name": "c", "image": "c:1"}]},
        },
        Pod,
    )
    assert snap.add(pod, "late.yaml")  # a new object: the index and the frames are built again
    assert "late" in set(snap.workloads["name"]) and index.of(snap) == 3


# --------------------------------------------------------------------------- a frame added from outside

PROBES = "test_probes"


@frames.frame(
    PROBES,
    "One row per container and probe kind (a frame of this test).",
    keys=("cluster", "namespace", "pod"),
    kinds=("Pod",),
    one_row_per_object=False,
    columns=[
        ("cluster", "string", "cluster name"),
        ("namespace", "string", "namespace"),
        ("pod", "string", "pod name"),
        ("container", "string", "container name"),
        ("probe", "string", "readiness or liveness"),
        ("present", "bool", "the container sets it"),
        (
            "account_mounted",
            "boolean",
            "what the pod's service account says (a column of its own kind)",
            ("ServiceAccount",),
        ),
    ],
)
def _probes(snap: SnapshotView) -> Iterator[tuple[Any, ...]]:
    for p in snap.items("Pod"):
        for c in (p.spec.containers if p.spec is not None else None) or ():
            for probe, got in (("readiness", c.readiness_probe), ("liveness", c.liveness_probe)):
                yield snap.cluster, p.metadata.namespace, p.metadata.name, c.name, probe, got is not None, None


@pytest.fixture
def probes() -> Iterator[FrameSpec]:
    frames.register(_probes)
    try:
        yield _probes
    finally:
        frames.unregister(PROBES)
        CHECKS._checks.pop("x-test-no-liveness", None)  # type: ignore[attr-defined]


def test_a_frame_spec_registers_everywhere(probes: FrameSpec, sample_snap: ka.Snapshot) -> None:
    snap = ka.sample()
    # FRAMES, SCHEMAS, describe() and the kinds behind it
    assert PROBES in ka.FRAMES and list(ka.FRAMES)[-1] == PROBES
    assert [c for c, _, _ in ka.SCHEMAS[PROBES]] == probes.column_names
    described = ka.describe(PROBES)
    assert list(described["column"]) == probes.column_names and set(described["frame"]) == {PROBES}
    assert frames.FRAME_KINDS[PROBES] == ("Pod",)
    assert frames.COLUMN_KINDS[PROBES] == {"account_mounted": ("ServiceAccount",)}
    # the snapshot's accessor: discoverable, documented, the cached frame
    assert PROBES in dir(snap)
    assert ka.Snapshot.test_probes.__doc__ == probes.doc
    df = snap.test_probes
    assert df is snap.frame(PROBES) and _dtypes(df) == _expected(probes) and len(df) > 0
    # a combined snapshot concatenates its members' rows
    both = ka.Snapshot.combine([ka.sample(), ka.sample("legacy")])
    assert set(both.test_probes["cluster"]) == set(both.clusters)

    # a check may read it; its input kinds come from the spec (a column's own kinds only when it reads that column)
    def no_liveness(test_probes: pd.DataFrame) -> pd.DataFrame:
        bad = test_probes[(test_probes["probe"] == "liveness") & ~test_probes["present"]]
        return bad.assign(kind="Pod", name=bad["pod"])

    def mounted(test_probes: pd.DataFrame) -> pd.DataFrame:
        return test_probes[test_probes["account_mounted"].fillna(False)].assign(kind="Pod", name=lambda d: d["pod"])

    plain = Check("x-test-no-liveness", 10, "low", "t", "w", "r", PROBES, "Pod", no_liveness)
    assert plain.inputs == ("Pod",)
    assert Check("x-test-mounted", 10, "low", "t", "w", "r", PROBES, "Pod", mounted).inputs == ("Pod", "ServiceAccount")
    check("x-test-no-liveness", practice=10, severity="low", on=PROBES, title="t", why="w", remediation="r")(
        no_liveness
    )
    assert CHECKS["x-test-no-liveness"].frames == [PROBES]

    # the runner counts the objects evaluated by the spec's keys: pods, not rows
    _, stats = run_checks(snap, [plain])
    pods = df.drop_duplicates(["namespace", "pod"])
    assert int(stats["evaluated"].iloc[0]) == len(pods) < len(df)

    # and it is not assessable when its kind could not be read
    snap.skip("api", "forbidden", category="forbidden", kind="Pod")
    _, stats = run_checks(snap, [plain])
    assert stats["status"].iloc[0] == "not_assessable"


def test_an_unregistered_frame_is_gone_everywhere() -> None:
    frames.register(_probes)
    frames.unregister(PROBES)
    assert PROBES not in ka.FRAMES and PROBES not in ka.SCHEMAS and ka.describe(PROBES).empty
    assert not hasattr(ka.Snapshot, PROBES)
    with pytest.raises(KeyError, match="no frame 'test_probes'"):
        ka.sample().frame(PROBES)
    with pytest.raises(ValueError, match="name no frame"):
        check("x-test-gone", practice=10, severity="low", on=PROBES, title="t", why="w", remediation="r")(
            lambda test_probes: test_probes
        )
    assert "x-test-gone" not in CHECKS


def test_a_frame_cannot_hide_what_a_snapshot_has_or_be_registered_twice() -> None:
    shadow = FrameSpec("items", "x", _probes.columns, _probes.keys, ("Pod",), _probes.builder)
    with pytest.raises(ValueError, match=r"hide Snapshot\.items"):
        frames.register(shadow)
    assert "items" not in ka.FRAMES and callable(ka.Snapshot.items)
    with pytest.raises(ValueError, match="registered twice"):
        frames.register(SPECS["workloads"])


def test_a_spec_is_checked_when_declared() -> None:
    cols = [("cluster", "string", "c"), ("name", "string", "n")]
    with pytest.raises(ValueError, match="key columns"):
        frames.frame("x", "d", keys=("uid",), kinds=(), columns=cols)(lambda snap: [])
    with pytest.raises(ValueError, match="no dtype"):
        frames.frame("x", "d", keys=("name",), kinds=(), columns=[*cols, ("n", "float", "?")])(lambda snap: [])
    with pytest.raises(ValueError, match="named twice"):
        frames.frame("x", "d", keys=("name",), kinds=(), columns=[*cols, ("name", "string", "again")])(lambda snap: [])


def test_a_builder_whose_rows_do_not_fit_its_columns_is_named() -> None:
    cols = [("cluster", "string", "c"), ("name", "string", "n")]
    short = frames.frame("x_short", "d", keys=("name",), kinds=(), columns=cols)(lambda snap: [("c",)])
    with pytest.raises(ValueError, match=r"x_short.*1 values a row.*2 columns"):
        short(ka.Snapshot("e"))
    ragged = frames.frame("x_ragged", "d", keys=("name",), kinds=(), columns=cols)(lambda snap: [("c", "a"), ("c",)])
    with pytest.raises(ValueError, match=r"x_ragged.*different lengths"):
        ragged(ka.Snapshot("e"))


_TEXT = st.one_of(st.none(), st.text(max_size=6))


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 4).flatmap(
        lambda w: st.tuples(
            st.just(w), st.lists(st.tuples(st.lists(_TEXT, min_size=w, max_size=w), st.integers(0, 4)), max_size=12)
        )
    )
)
def test_runs_of_rows_are_the_rows_one_by_one(case: tuple[int, list[tuple[list[str | None], int]]]) -> None:
    # repeat_runs (a container's env vars, a ConfigMap's keys) gives what the rows one by one would
    width, runs = case
    got = repeat_runs([tuple(h) for h, _ in runs], [n for _, n in runs], width)
    rows = [h for h, n in runs for _ in range(n)]
    assert len(got) == width
    for i, col in enumerate(got):
        assert col.dtype == "string"
        assert col.tolist() == pd.array([r[i] for r in rows], dtype="string").tolist()


def test_runs_of_the_wrong_width_are_an_error() -> None:
    with pytest.raises(ValueError, match="runs of 2 values, not 3"):
        repeat_runs([("a", "b")], [1], 3)
