"""Fleets on a real Dask cluster: a LocalCluster of two worker processes audits the bundled fleet,
a live context served by the loopback API server, a dead context and a broken snapshot; a worker is
killed mid-run. The fleet must give exactly the findings of auditing each cluster alone."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml

import k8saudit as ka
from k8saudit import cli
from k8saudit.findings import FINDINGS_COLUMNS, ConfigError, audit, scorecard
from k8saudit.fleet import FleetSourceError, FleetStoreError, _sample, odd_ones_out
from k8saudit.sources import sample_path
from k8saudit.testing import FakeApiServer

distributed = pytest.importorskip("distributed")

LATEST = _sample.DATES[-1]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fleet-sample")


@pytest.fixture(scope="module")
def fleet_paths(sample_dir: Path) -> list[Path]:
    return ka.fleet.sample(root=sample_dir)


@pytest.fixture(scope="module")
def client() -> Iterator[distributed.Client]:
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
            silence_logs=50,
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def alone(fleet_paths: list[Path]) -> dict[str, pd.DataFrame]:
    """Each cluster of the bundled fleet audited on its own, in this process: the reference."""
    return {p.name: audit(ka.load(p)) for p in fleet_paths}


@pytest.fixture(scope="module")
def fleet(fleet_paths: list[Path], client: distributed.Client) -> ka.fleet.Fleet:
    return ka.fleet.audit(fleet_paths, client=client, progress=False)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    key = ["cluster", "finding_id"]
    pd.testing.assert_frame_equal(
        a[FINDINGS_COLUMNS].sort_values(key).reset_index(drop=True),
        b[FINDINGS_COLUMNS].sort_values(key).reset_index(drop=True),
    )


# --------------------------------------------------------------------------- the bundled fleet


def test_import_k8saudit_does_not_import_dask() -> None:
    code = "import sys, k8saudit as ka; print(sorted(m for m in ('dask', 'distributed') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    code = "import sys, k8saudit as ka; ka.fleet; print('distributed' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"  # ka.fleet itself waits for a run to import distributed


def test_bundled_fleet_profiles_are_deterministic_and_varied() -> None:
    names = _sample.clusters()
    assert len(names) == 40 and len(set(names)) == 40
    assert {e: sum(_sample.environment(n) == e for n in names) for e in _sample.ENVIRONMENTS} == {
        "prod": 12,
        "staging": 12,
        "dev": 16,
    }
    profiles = [_sample.profile(n) for n in names]
    assert profiles == [_sample.profile(n) for n in names]
    assert len({p.fixes for p in profiles}) >= 10  # differently hardened
    prod = [p for p in profiles if p.cluster.startswith("prod-")]
    assert all(set(_sample.CORE_FIXES) <= p.fixes for p in prod)
    assert [p.cluster for p in prod if p.regressions] == [_sample.ODD_ONE_OUT]
    drift = [_sample.profile(_sample.DRIFTING, d) for d in _sample.DATES]
    harm = [len(p.regressions) + len(p.unhardened) + len(set(_sample.FIXES) - p.fixes) for p in drift]
    assert harm == sorted(set(harm)) and len(harm) == 4  # worse every week
    for n in names:
        if n != _sample.DRIFTING:  # everyone else stays the same
            assert _sample.profile(n, _sample.DATES[0]) == dataclasses.replace(
                _sample.profile(n), date=_sample.DATES[0]
            )
    with pytest.raises(ValueError, match="no date"):
        _sample.profile("prod-eu-1", "2020-01-01")


def test_bundled_fleet_is_saved_snapshots_made_once(fleet_paths: list[Path], sample_dir: Path) -> None:
    assert [p.name for p in fleet_paths] == _sample.clusters()
    assert all((p / "snapshot.json").is_file() for p in fleet_paths)
    manifest = json.loads((fleet_paths[0] / "snapshot.json").read_text())
    assert manifest["cluster"] == "prod-eu-1" and manifest["captured_at"].startswith(LATEST)
    stamp = (sample_dir / LATEST / ".complete").stat().st_mtime
    assert ka.fleet.sample(root=sample_dir) == fleet_paths
    assert (sample_dir / LATEST / ".complete").stat().st_mtime == stamp  # reused, not regenerated
    assert ka.fleet.sample(environments=["dev"], root=sample_dir) == [
        p for p in fleet_paths if p.name.startswith("dev-")
    ]
    with pytest.raises(ValueError, match="no environment"):
        ka.fleet.sample(environments=["qa"], root=sample_dir)


def test_fleet_gives_the_findings_of_each_cluster_audited_alone(
    fleet: ka.fleet.Fleet, alone: dict[str, pd.DataFrame]
) -> None:
    assert fleet.failures.empty and not fleet.partial
    assert list(fleet.clusters["cluster"]) == _sample.clusters()
    assert (fleet.clusters["status"] == "ok").all() and fleet.date == LATEST
    _same(fleet.findings, pd.concat(alone.values(), ignore_index=True))
    expected = pd.concat([scorecard(f) for f in alone.values()], ignore_index=True)
    pd.testing.assert_frame_equal(fleet.scorecard.reset_index(drop=True), expected)
    counts = fleet.clusters.set_index("cluster")
    for name, f in alone.items():
        assert counts.loc[name, "findings"] == len(f) and counts.loc[name, "open"] == int((~f["exempt"]).sum())
    # ka.scorecard and the exports read the fleet's findings (with their stats) like one cluster's
    by = ["cluster", "practice"]
    pd.testing.assert_frame_equal(
        scorecard(fleet.with_stats()).sort_values(by).reset_index(drop=True),
        fleet.scorecard.sort_values(by).reset_index(drop=True),
    )
    assert fleet.clusters["worker"].str.startswith("tcp://").all() and fleet.clusters["worker"].nunique() == 2


def test_the_bundled_fleet_tells_its_story(fleet: ka.fleet.Fleet) -> None:
    m = fleet.score_matrix()
    env = m.index.map(_sample.environment)
    mean = m.mean(axis=1).groupby(env).mean()
    assert mean["prod"] > mean["staging"] > mean["dev"]
    odd = fleet.odd_ones_out(groups=_sample.environment)
    prod_odd = odd[odd["group"] == "prod"]
    assert {"privileged", "host-pid", "host-network", "host-ipc"} <= set(prod_odd["check_id"])
    assert set(prod_odd[prod_odd["check_id"].isin(["privileged", "host-pid"])]["cluster"]) == {_sample.ODD_ONE_OUT}
    worst = fleet.worst(5)
    assert all(_sample.environment(c) == "dev" for c in worst["cluster"])


def test_lazy_fleet_keeps_findings_on_the_workers(
    fleet_paths: list[Path], client: distributed.Client, fleet: ka.fleet.Fleet
) -> None:
    import dask.dataframe as dd

    some = fleet_paths[::8]
    lazy = ka.fleet.audit(some, client=client, lazy=True, progress=False)
    assert isinstance(lazy.findings, dd.DataFrame) and lazy.lazy and lazy.findings.npartitions == len(some)
    names = [p.name for p in some]
    _same(lazy.findings.compute(), fleet.findings[fleet.findings["cluster"].isin(names)])
    assert list(lazy.clusters["findings"]) == list(fleet.clusters.set_index("cluster").loc[names, "findings"])


def test_snapshots_read_on_the_client_travel_to_the_workers(
    fleet_paths: list[Path], client: distributed.Client, alone: dict[str, pd.DataFrame]
) -> None:
    snaps = {f"copy-{p.name}": ka.load(p) for p in fleet_paths[:2]}
    got = ka.fleet.audit(snaps, client=client, progress=False)
    assert list(got.clusters["cluster"]) == list(snaps)
    for name, p in zip(snaps, fleet_paths[:2]):
        mine = got.findings[got.findings["cluster"] == name]
        ref = alone[p.name]
        assert len(mine) == len(ref) and list(mine["check_id"]) == list(ref["check_id"])
        assert set(mine["finding_id"]).isdisjoint(ref["finding_id"])  # the name is part of the id
    on_client = ka.fleet.audit(fleet_paths[:2], client=client, read_on="client", progress=False)
    _same(on_client.findings, pd.concat([alone[p.name] for p in fleet_paths[:2]], ignore_index=True))


# --------------------------------------------------------------------------- failures


def _broken_snapshot(tmp_path: Path) -> Path:
    bad = tmp_path / "broken"
    bad.mkdir()
    (bad / "snapshot.json").write_text("{not json")
    return bad


def _kubeconfig(tmp_path: Path, live: FakeApiServer) -> Path:
    """A kubeconfig with a context served by ``live`` and one whose server is gone."""
    dead = FakeApiServer([]).start()
    dead_doc = yaml.safe_load(
        dead.write_kubeconfig(
            tmp_path / "kc-dead", context="gone", cluster="gone-cluster", user="gone-user"
        ).read_text()
    )
    dead.stop()
    doc = yaml.safe_load(
        live.write_kubeconfig(tmp_path / "kc-live", context="edge", cluster="edge-cluster").read_text()
    )
    for key in ("clusters", "users", "contexts"):
        doc[key] += dead_doc[key]
    kc = tmp_path / "kubeconfig"
    kc.write_text(yaml.safe_dump(doc))
    return kc


LIVE_OBJECTS = [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "uid": "ns-shop"}},
    {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": "shop", "uid": "pod-web"},
        "spec": {
            "hostPID": True,
            "containers": [{"name": "web", "image": "nginx", "securityContext": {"privileged": True}}],
        },
    },
]


def test_live_contexts_on_workers_and_broken_clusters_land_in_failures(
    tmp_path: Path, fleet_paths: list[Path], client: distributed.Client, alone: dict[str, pd.DataFrame]
) -> None:
    with FakeApiServer(LIVE_OBJECTS) as live:
        kc = _kubeconfig(tmp_path, live)
        (tmp_path / "empty").mkdir()
        got = ka.fleet.audit(
            [fleet_paths[0], _broken_snapshot(tmp_path), "context:edge", "context:gone", tmp_path / "empty"],
            client=client,
            kubeconfig=kc,
            progress=False,
            timeout=5,
        )
    names = ["prod-eu-1", "broken", "edge-cluster", "gone-cluster", "empty"]
    assert list(got.clusters["cluster"]) == names
    assert list(got.clusters["status"]) == ["ok", "failed", "ok", "failed", "failed"]
    assert got.partial and list(got.failures["cluster"]) == ["broken", "gone-cluster", "empty"]
    assert set(got.failures["stage"]) == {"read"}
    reasons = dict(zip(got.failures["cluster"], got.failures["reason"]))
    assert dict(zip(got.failures["cluster"], got.failures["error"]))["empty"] == "NoObjectsError"
    assert "snapshot.json" in reasons["broken"] and "not a readable k8saudit snapshot" in reasons["broken"]
    assert "connection refused" in reasons["gone-cluster"] and "\n" not in reasons["gone-cluster"]
    # the read clusters are audited as if alone; the failed ones are not assessable, never clean
    _same(got.findings[got.findings["cluster"] == "prod-eu-1"], alone["prod-eu-1"])
    edge = got.findings[got.findings["cluster"] == "edge-cluster"]
    assert {"privileged", "host-pid"} <= set(edge["check_id"])
    for name in ("broken", "gone-cluster", "empty"):
        assert not (got.findings["cluster"] == name).any()
        st = got.stats[got.stats["cluster"] == name]
        assert len(st) == len(ka.CHECKS) and (st["status"] == "not_assessable").all()
        card = got.scorecard[got.scorecard["cluster"] == name]
        assert (card["status"] == "not_assessable").all() and card["score"].isna().all()


def test_a_task_that_keeps_failing_is_a_failure_after_retries(client: distributed.Client, tmp_path: Path) -> None:
    # an audit that raises on the worker (a waiver that is not a Waiver) is retried by Dask, then recorded
    snap = ka.load(Path(__file__).parent / "checks" / "host-pid")
    got = ka.fleet.audit({"boom": snap}, client=client, progress=False, retries=1, waivers=[3])
    assert list(got.failures["stage"]) == ["audit"] and list(got.failures["error"]) == ["AttributeError"]
    assert (got.stats["status"] == "not_assessable").all()
    # a bad config, practice or check id is the user's error, raised before any worker starts
    for kw, message in (
        ({"config": {"severities": 3}}, "severities: expected a mapping"),
        ({"config": {"disable": ["host-pid"]}}, "unknown key 'disable'"),
        ({"checks": ["host-pidd"]}, "no check 'host-pidd' \\(did you mean 'host-pid'\\?\\)"),
        ({"practices": [11]}, "no practice 11"),
    ):
        with pytest.raises(ConfigError, match=message):
            ka.fleet.audit({"boom": snap}, client=client, progress=False, **kw)


def test_sources_resolve_globs_names_and_errors(fleet_paths: list[Path], sample_dir: Path, tmp_path: Path) -> None:
    from k8saudit.fleet import resolve

    srcs = resolve([str(sample_dir / LATEST / "prod-eu-*")])
    assert [s.cluster for s in srcs] == ["prod-eu-1", "prod-eu-2", "prod-eu-3", "prod-eu-4"]
    assert resolve({"edge": fleet_paths[0]})[0].cluster == "edge"
    with pytest.raises(FleetSourceError, match="both named 'prod-eu-1'"):
        resolve([fleet_paths[0], str(fleet_paths[0])])
    with pytest.raises(FleetSourceError, match="matches no file"):
        resolve([str(tmp_path / "nothing-*")])
    with pytest.raises(FleetSourceError, match="no such file"):
        resolve([str(tmp_path / "missing")])
    with pytest.raises(FleetSourceError, match="no cluster to audit"):
        resolve([])
    # one bundled sample by name, and (name, source) pairs among unnamed sources
    legacy = resolve(["sample:legacy", ("edge", str(fleet_paths[0])), str(fleet_paths[1])])
    assert [(s.cluster, s.kind) for s in legacy] == [
        ("legacy-cluster", "path"),
        ("edge", "path"),
        (fleet_paths[1].name, "path"),
    ]
    assert Path(legacy[0].location) == sample_path("legacy")
    with pytest.raises(FleetSourceError, match="sample:nope: no bundled sample 'nope'"):
        resolve(["sample:nope"])
    with pytest.raises(FleetSourceError, match="both named 'edge'"):
        resolve([("edge", str(fleet_paths[0])), ("edge", str(fleet_paths[1]))])
    with FakeApiServer([]) as live:
        kc = _kubeconfig(tmp_path, live)
        ctx = resolve(["context:edge"], all_contexts=True, kubeconfig=kc)
    assert [(s.cluster, s.kind, s.location) for s in ctx] == [
        ("edge-cluster", "context", "edge"),
        ("gone-cluster", "context", "gone"),
    ]


def test_odd_ones_out_fires_only_on_a_lone_failure() -> None:
    def checks(statuses: dict[str, str]) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "cluster": c,
                    "check_id": "privileged",
                    "practice": 8,
                    "severity": "critical",
                    "title": "t",
                    "failing": int(s == "fail"),
                    "status": s,
                }
                for c, s in statuses.items()
            ]
        )

    lone = checks({"a": "fail", "b": "pass", "c": "pass", "d": "pass"})
    assert list(odd_ones_out(lone)["cluster"]) == ["a"]
    assert odd_ones_out(checks({"a": "fail", "b": "fail", "c": "pass", "d": "pass"})).empty  # two fail: a pattern
    assert odd_ones_out(checks({"a": "fail", "b": "pass", "c": "pass"})).empty  # too few peers
    na = checks({"a": "fail", "b": "pass", "c": "pass", "d": "not_assessable"})
    assert odd_ones_out(na).empty and list(odd_ones_out(na, min_peers=2)["cluster"]) == ["a"]
    groups = {"a": "x", "b": "x", "c": "y", "d": "y"}
    assert odd_ones_out(lone, groups=groups, min_peers=1)["group"].tolist() == ["x"]


# --------------------------------------------------------------------------- on disk


def test_save_and_read_back_a_parquet_dataset(fleet: ka.fleet.Fleet, tmp_path: Path) -> None:
    import dask.dataframe as dd

    root = fleet.save(tmp_path / "fleet" / LATEST)
    part = root / "findings" / "cluster=prod-eu-1" / f"date={LATEST}" / "part-0.parquet"
    assert part.is_file()
    for table in ka.fleet.TABLES:
        if table != "failures":
            assert len(list((root / table).glob("cluster=*"))) == 40, table
    back = ka.fleet.read(tmp_path / "fleet" / "*")
    assert back.npartitions == 40
    got = back.compute()
    assert (got["date"] == pd.Timestamp(LATEST)).all()
    _same(got, fleet.findings)
    assert list(got.columns) == FINDINGS_COLUMNS + ["date"]
    # any hive-aware reader sees the partition columns
    other = dd.read_parquet(str(root / "findings")).compute()
    assert len(other) == len(fleet.findings) and set(other["cluster"].astype(str)) == set(fleet.clusters["cluster"])
    card = ka.fleet.load(tmp_path / "fleet", "scorecard")
    assert len(card) == len(fleet.scorecard) and card["score"].dtype == "float64"
    with pytest.raises(FleetStoreError, match="no saved fleet"):
        ka.fleet.read(tmp_path / "nowhere")


# --------------------------------------------------------------------------- command line


def test_cli_fleet_scan_and_report(
    fleet_paths: list[Path], client: distributed.Client, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    address = client.scheduler.address
    out = tmp_path / "fleet"
    sources = [str(p) for p in fleet_paths[:3]] + [str(fleet_paths[-1])]
    argv = [
        "fleet",
        "scan",
        *sources,
        "--scheduler",
        address,
        "-q",
        "-o",
        str(out / LATEST),
        "-o",
        str(tmp_path / "fleet.xlsx"),
        "-o",
        str(tmp_path / "fleet.html"),
    ]
    assert cli.main(argv) == 0
    text = capsys.readouterr().out
    assert "4 clusters on 2026-12-06 (4 audited, 0 failed)" in text and "dev-risk" in text
    assert (out / LATEST / "findings").is_dir() and (tmp_path / "fleet.xlsx").is_file()
    import openpyxl

    wb = openpyxl.load_workbook(tmp_path / "fleet.xlsx", read_only=True)
    assert wb.sheetnames[:2] == ["Summary", "Clusters"]
    rows = list(wb["Clusters"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows[1:]] == [Path(p).name for p in sources] and rows[0][:3] == ("cluster", "status", "open")
    assert next(iter(wb[wb.sheetnames[2]].iter_rows(max_row=1, values_only=True)))[0] == "cluster"
    html = (tmp_path / "fleet.html").read_text()
    assert 'id="f-cluster"' in html and html.count('data-cluster="dev-risk"') > 0
    assert cli.main([*argv[:2], *sources, "--scheduler", address, "-q", "--fail-on", "high"]) == 1
    older = _sample.DATES[0]
    older_paths = [str(p) for p in ka.fleet.sample(older, root=fleet_paths[0].parent.parent)[:3]]
    assert cli.main(["fleet", "scan", *older_paths, "--scheduler", address, "-q", "-o", str(out / older)]) == 0
    capsys.readouterr()
    assert cli.main(["fleet", "report", str(out)]) == 0
    report = capsys.readouterr().out
    assert "on 2 date(s), 2026-11-15 … 2026-12-06" in report and "Mean score per practice" in report
    assert cli.main(["fleet", "report", str(out / "*"), "--practice", "8", "--format", "csv"]) == 0
    rows = capsys.readouterr().out.strip().splitlines()
    assert rows[0].lstrip("\ufeff").startswith("cluster,2026-11-15,2026-12-06,change") and len(rows) == 5


def test_cli_fleet_exit_codes_match_scan(
    fleet_paths: list[Path], client: distributed.Client, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """1: open findings at --fail-on; else 3 when a cluster could not be audited (unless --allow-partial); else 0."""
    address = client.scheduler.address
    prod, broken = str(fleet_paths[0]), str(_broken_snapshot(tmp_path))  # prod-eu-1: 1 high, no critical
    scan = ["fleet", "scan", "--scheduler", address, "-q"]
    assert cli.main([*scan, prod, "--fail-on", "critical"]) == 0
    assert cli.main([*scan, prod, broken]) == 0  # without --fail-on a scan reports and exits 0
    capsys.readouterr()
    assert cli.main([*scan[:-1], prod, broken, "--fail-on", "critical"]) == cli.EXIT_PARTIAL
    captured = capsys.readouterr()
    assert "partial audit" in captured.err and "broken" in captured.out
    assert cli.main([*scan, prod, broken, "--fail-on", "critical", "--allow-partial"]) == 0
    assert cli.main([*scan, prod, broken, "--fail-on", "high"]) == cli.EXIT_FINDINGS


def test_cli_fleet_user_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["fleet", "scan", str(tmp_path / "missing")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert cli.main(["fleet", "scan"]) == 2
    assert cli.main(["fleet", "scan", "sample", "--workers", "2", "--scheduler", "tcp://x:1"]) == 2
    assert cli.main(["fleet", "report", str(tmp_path)]) == 2
    assert "no saved fleet" in capsys.readouterr().err
    # two directories of one name: the command line names them NAME=SOURCE, not a Python mapping
    for side in ("prod", "staging"):
        (tmp_path / side / "manifests").mkdir(parents=True)
    assert (
        cli.main(["fleet", "scan", str(tmp_path / "prod" / "manifests"), str(tmp_path / "staging" / "manifests")]) == 2
    )
    err = capsys.readouterr().err
    assert "both named 'manifests'" in err and "name them NAME=SOURCE, e.g. edge-1=" in err and "audit(" not in err


def test_cli_fleet_names_clusters_name_equals_source(
    fleet_paths: list[Path], client: distributed.Client, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    odd = tmp_path / "a=b"  # a path that exists is a path, even with an = in its name
    import shutil

    shutil.copytree(fleet_paths[1], odd)
    argv = [
        "fleet",
        "scan",
        f"edge={fleet_paths[0]}",
        str(odd),
        "sample:legacy",
        "--scheduler",
        client.scheduler.address,
    ]
    assert cli.main([*argv, "-q"]) == 0
    text = capsys.readouterr().out
    assert "3 clusters on" in text and "edge " in text and "legacy-cluster" in text
    assert (
        cli._named_source(str(odd)) == str(odd)
        and cli._named_source("x=y/z") == ("x", "y/z")
        and cli._named_source("=y") == "=y"
    )


# --------------------------------------------------------------------------- a worker dies


def test_a_worker_killed_mid_run_loses_nothing(
    fleet_paths: list[Path], client: distributed.Client, alone: dict[str, pd.DataFrame]
) -> None:
    """SIGKILL a worker process while it runs a cluster's task: its nanny restarts it, the scheduler
    reruns the task elsewhere, and the fleet's findings are exactly those of each cluster alone."""
    pids = client.run(os.getpid)
    some = fleet_paths[:16]
    killed: list[str] = []

    def kill_one_busy_worker() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            busy = [w for w, tasks in client.processing().items() if tasks]
            if busy:
                os.kill(pids[busy[0]], signal.SIGKILL)
                killed.append(busy[0])
                return
            time.sleep(0.05)

    t = threading.Thread(target=kill_one_busy_worker, daemon=True)
    t.start()
    got = ka.fleet.audit(some, client=client, progress=False)
    t.join()
    assert killed, "no worker was caught running a task"
    assert pids[killed[0]] not in client.run(os.getpid).values()  # that process is gone
    assert got.failures.empty and (got.clusters["status"] == "ok").all()
    _same(got.findings, pd.concat([alone[p.name] for p in some], ignore_index=True))


# --------------------------------------------------------------------------- charts and trends


def _history() -> pd.DataFrame:
    rows = []
    for d, drift in zip(("2026-11-15", "2026-11-22", "2026-11-29"), (100.0, 90.0, 70.0)):
        for c, score in (("staging-eu-1", 95.0), ("staging-eu-2", drift), ("prod-eu-1", None)):
            rows.append(
                {
                    "cluster": c,
                    "practice": 8,
                    "score": score,
                    "failing": 0 if score == 95.0 else 3,
                    "status": "not_assessable" if score is None else "pass" if score == 100 else "fail",
                    "date": pd.Timestamp(d),
                }
            )
    return pd.DataFrame(rows)


def test_trends_per_date_and_per_cluster() -> None:
    h = _history()
    per = ka.fleet.trends(h, 8)
    assert list(per.columns) == ["2026-11-15", "2026-11-22", "2026-11-29", "change"]
    assert per.index[0] == "staging-eu-2" and per.loc["staging-eu-2", "change"] == -30.0
    assert per.loc["staging-eu-1", "change"] == 0.0 and pd.isna(per.loc["prod-eu-1", "change"])
    fleet_wide = ka.fleet.trends(h)
    assert list(fleet_wide["clusters"]) == [2, 2, 2]  # the not assessable cluster is not averaged in
    assert list(fleet_wide["mean_score"]) == [97.5, 92.5, 82.5]


def test_charts_fit_their_container(fleet: ka.fleet.Fleet) -> None:
    from k8saudit.fleet import charts

    heat = charts.heatmap(fleet.scorecard)
    assert heat.layout.width is None and heat.layout.autosize
    z = next(t for t in heat.data if t.showscale is not False).z
    assert len(z) == 40 and len(z[0]) == 10 and heat.layout.height >= 40 * 18
    # the slanted practice names sit between the subtitle and the cells: the title is pinned to the top
    assert heat.layout.title.yanchor == "top" and heat.layout.margin.t >= 150
    bars = charts.worst(fleet.clusters, 5)
    assert [t.name for t in bars.data] == ["critical", "high", "medium", "low"] and len(bars.data[0].y) == 5
    line = charts.trend(_history(), 8)
    assert [t.name for t in line.data] == ["fleet (mean of 2)", "staging-eu-2"] and line.layout.width is None
    assert "no cluster" in charts.heatmap(fleet.scorecard.iloc[0:0]).layout.annotations[0].text


# --------------------------------------------------------------------------- progress


def test_progress_bars_move_per_cluster(
    fleet_paths: list[Path], client: distributed.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io
    from types import SimpleNamespace

    from k8saudit.fleet import _progress

    seen: list[tuple[int, int, str]] = []
    ka.fleet.audit(fleet_paths[:3], client=client, progress=lambda d, t, r: seen.append((d, t, r.cluster)))
    assert [(d, t) for d, t, _ in seen] == [(1, 3), (2, 3), (3, 3)]
    assert sorted(c for *_, c in seen) == sorted(p.name for p in fleet_paths[:3])
    # the notebook bar is a widget filled by the collecting loop (Dask's own would wait for the cell to end)
    bar = _progress.NotebookBar()
    bar.start([], 4)
    for i, ok in enumerate((True, False, True), 1):
        bar.update(i, 4, SimpleNamespace(ok=ok))
    assert bar.bar.value == 3 and bar.bar.max == 4 and "3/4" in bar.label.value and "1 failed" in bar.label.value
    bar.finish(4, 4)
    assert bar.bar.bar_style == "warning" and "finished: 4/4" in bar.label.value
    clean = _progress.NotebookBar()
    clean.start([], 1)
    clean.update(1, 1, SimpleNamespace(ok=True))
    clean.finish(1, 1)
    assert clean.bar.bar_style == "success" and "failed" not in clean.label.value
    # off a terminal and outside Jupyter: silent unless asked; asked, a line per tenth of the way
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert isinstance(_progress.choose(None), _progress.Silent) and not isinstance(
        _progress.choose(None), (_progress.TerminalBar, _progress.NotebookBar)
    )
    assert isinstance(_progress.choose(False), _progress.Silent)
    out = io.StringIO()
    term = _progress.TerminalBar(stream=out)
    term.start([], 20)
    for i in range(1, 21):
        term.update(i, 20, SimpleNamespace(ok=i != 7))
    lines = out.getvalue().splitlines()
    assert len(lines) == 11 and lines[-1].startswith("[" + "#" * 30 + "] 20/20 clusters  1 failed")
