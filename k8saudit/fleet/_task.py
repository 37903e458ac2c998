"""One cluster of a fleet, on a worker: read → audit → small result frames.

:func:`audit_cluster` is what Dask runs once per cluster. It returns a :class:`ClusterResult`:
the findings, the per-check statistics and scorecards, what could not be read, and a few facts.
The snapshot itself (every object of the cluster) stays on the worker and is dropped there.

A cluster that cannot be read (:class:`~k8saudit.snapshot.SnapshotError`: unreachable, a
missing or broken snapshot) is not an exception here: the result says so (``failure``), and its
checks are reported not assessable, as ``load_clusters`` does for an unreachable context.
Anything else raised is left to Dask, which retries the task (``retries=``) before the client
records it as a failure.
"""

from __future__ import annotations

import datetime as _dt
import os
import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..findings import NoObjectsError
from ..snapshot import Snapshot, SnapshotError
from ._sources import ClusterSource

FAILURE_COLUMNS = ["cluster", "source", "stage", "error", "reason"]


@dataclass
class AuditOptions:
    """The arguments of :func:`k8saudit.audit` a fleet passes to every cluster."""

    practices: list[int] | None = None
    checks: list[str] | None = None
    waivers: list[Any] | str | None = None
    default_exemptions: bool = True
    config: dict[str, Any] | str | None = None
    today: _dt.date | None = None
    timeout: float = 30


@dataclass
class ClusterResult:
    """What travels back from a worker for one cluster: small frames only."""

    cluster: str
    source: str
    findings: pd.DataFrame
    stats: pd.DataFrame
    checks: pd.DataFrame
    scorecard: pd.DataFrame
    skipped: pd.DataFrame
    captured_at: str | None = None
    objects: int = 0
    failure: dict[str, Any] | None = None
    expired_waivers: list[dict[str, Any]] = field(default_factory=list)
    #: findings, open (not exempt), open per severity, exempt: counted on the worker (lazy fleets
    #: leave the findings there)
    counts: dict[str, int] = field(default_factory=dict)
    worker: str = ""
    seconds: float = 0.0
    peak_rss_mb: float | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None


def read_source(src: ClusterSource) -> Snapshot:
    """The snapshot of one cluster source (on the worker that audits it)."""
    if src.snapshot is not None:
        return src.snapshot
    if src.kind == "context":
        from ..sources.live import load_cluster

        return load_cluster(
            src.location,
            kubeconfig=src.kubeconfig,
            namespaces=src.namespaces,
            cluster=src.cluster,
            in_cluster=False,
            progress=_quiet,
        )
    from ..sources import load

    snap = load(src.location, cluster=src.cluster, progress=_quiet)
    return snap


def _quiet(msg: str) -> None:
    """Progress of a load on a worker: nobody watches it."""


def failed_snapshot(src: ClusterSource, reason: str) -> Snapshot:
    """The stand-in for a cluster that could not be read: every check is then not assessable."""
    snap = Snapshot(src.cluster, source=src.label, meta={"error": reason})
    snap.skip(src.label, reason, category="error")
    return snap


def audit_cluster(src: ClusterSource, opts: AuditOptions, snapshot: Snapshot | None = None) -> ClusterResult:
    """Read one cluster and audit it (runs on a Dask worker); only results come back."""
    started = time.perf_counter()
    failure = None
    try:
        snap = snapshot if snapshot is not None else read_source(src)
    except SnapshotError as e:
        failure = {"stage": "read", "error": "SnapshotError", "reason": str(e)}
        snap = failed_snapshot(src, str(e))
    if snap.cluster != src.cluster:  # the fleet's name wins (findings ids depend on it)
        snap.cluster = src.cluster
        snap.drop_frames()
    try:
        return summarize(src, snap, opts, failure, started)
    except NoObjectsError as e:  # nothing Kubernetes in the source: not an empty, clean cluster
        failure = {"stage": "read", "error": "NoObjectsError", "reason": str(e)}
        return summarize(src, failed_snapshot(src, str(e)), opts, failure, started)


def summarize(
    src: ClusterSource, snap: Snapshot, opts: AuditOptions, failure: dict[str, Any] | None, started: float
) -> ClusterResult:
    from ..findings import audit, check_stats, scorecard

    findings = audit(
        snap,
        practices=opts.practices,
        checks=opts.checks,
        waivers=opts.waivers,
        default_exemptions=opts.default_exemptions,
        config=opts.config,
        today=opts.today,
    )
    stats = check_stats(findings)
    assert stats is not None
    checks = scorecard(findings, by="check")
    card = scorecard(findings)
    skipped = snap.skipped.assign(cluster=src.cluster)
    expired = list(findings.attrs.get("expired_waivers") or [])
    findings.attrs.clear()
    live = findings[~findings["exempt"]]
    sev = live["severity"].astype("string").value_counts()
    counts = {
        "findings": len(findings),
        "open": len(live),
        **{s: int(sev.get(s, 0)) for s in ("critical", "high", "medium", "low", "info")},
        "exempt": len(findings) - len(live),
    }
    if failure is not None:
        failure = {"cluster": src.cluster, "source": src.label, **failure}
    return ClusterResult(
        cluster=src.cluster,
        source=src.label,
        findings=findings,
        stats=stats,
        checks=checks,
        scorecard=card,
        skipped=skipped,
        captured_at=None if failure else snap.captured_at,
        objects=len(snap),
        failure=failure,
        expired_waivers=expired,
        counts=counts,
        worker=_worker_name(),
        seconds=round(time.perf_counter() - started, 3),
        peak_rss_mb=_peak_rss_mb(),
    )


def failure_result(src: ClusterSource, opts: AuditOptions, stage: str, error: str, reason: str) -> ClusterResult:
    """The result of a cluster whose task failed for good (on the client: after Dask's retries)."""
    snap = failed_snapshot(src, reason)
    failure = {"stage": stage, "error": error, "reason": reason}
    try:
        return summarize(src, snap, opts, failure, time.perf_counter())
    except Exception:  # the options themselves broke the task: report the selected checks, not assessable
        plain = AuditOptions(practices=opts.practices, checks=opts.checks)
        return summarize(src, snap, plain, failure, time.perf_counter())


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return f"pid {os.getpid()}"


def _peak_rss_mb() -> float | None:
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows
        return None
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
