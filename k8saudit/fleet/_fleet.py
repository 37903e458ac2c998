"""The result of a fleet audit: findings, scorecards, failures and the facts of each cluster."""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..findings import empty_findings
from ..vocab import FINDINGS_COLUMNS, STATS_COLUMNS
from ._task import FAILURE_COLUMNS, ClusterResult

if TYPE_CHECKING:
    import dask.dataframe as dd

CLUSTER_COLUMNS = [
    "cluster",
    "source",
    "status",
    "captured_at",
    "objects",
    "findings",
    "open",
    "critical",
    "high",
    "medium",
    "low",
    "info",
    "exempt",
    "not_assessable",
    "seconds",
    "worker",
    "peak_rss_mb",
]


class Fleet:
    """Many clusters audited together (see :func:`k8saudit.fleet.audit`).

    - ``findings``: the findings of every cluster, the schema of :func:`k8saudit.audit` (a
      ``cluster`` column tells them apart); a dask DataFrame when audited with ``lazy=True``;
    - ``scorecard``: one row per cluster and practice (:func:`k8saudit.scorecard`'s columns);
    - ``checks``: one row per cluster and check (``scorecard(by="check")``);
    - ``clusters``: one row per cluster: source, status (``ok`` / ``failed``), counts, timing;
    - ``failures``: the clusters that could not be read or audited, with the reason;
    - ``skipped``: what could not be read inside the clusters that were (``snap.skipped``).
    """

    def __init__(
        self,
        findings: pd.DataFrame | dd.DataFrame,
        scorecard: pd.DataFrame,
        checks: pd.DataFrame,
        stats: pd.DataFrame,
        skipped: pd.DataFrame,
        failures: pd.DataFrame,
        clusters: pd.DataFrame,
        date: str,
        expired_waivers: list[dict[str, Any]] | None = None,
    ) -> None:
        self._findings = findings
        self.scorecard = scorecard
        self.checks = checks
        self.stats = stats
        self.skipped = skipped
        self.failures = failures
        self.clusters = clusters
        self.date = date
        self.expired_waivers = list(expired_waivers or [])
        self._resources: contextlib.ExitStack | None = None
        if isinstance(findings, pd.DataFrame):
            self._decorate(findings)

    # ------------------------------------------------------------------ building

    @classmethod
    def from_results(
        cls, results: list[ClusterResult], *, lazy_findings: list[Any] | None = None, date: str | None = None
    ) -> Fleet:
        def cat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
            frames = [f for f in frames if len(f)]
            return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)

        stats = cat([r.stats for r in results], STATS_COLUMNS)
        checks = cat([r.checks for r in results], list(results[0].checks.columns) if results else [])
        card = cat([r.scorecard for r in results], list(results[0].scorecard.columns) if results else [])
        skipped = cat([r.skipped for r in results], list(results[0].skipped.columns) if results else [])
        failures = pd.DataFrame([r.failure for r in results if r.failure is not None], columns=FAILURE_COLUMNS)
        failures = failures.astype("string")
        findings: pd.DataFrame | dd.DataFrame
        if lazy_findings is not None:
            import dask.dataframe as ddf
            from dask import delayed

            parts = [f if f is not None else delayed(r.findings) for f, r in zip(lazy_findings, results)]
            findings = (
                ddf.from_delayed(parts, meta=empty_findings(), verify_meta=False)
                if parts
                else ddf.from_pandas(empty_findings(), npartitions=1)
            )
        else:
            findings = cat([r.findings for r in results], FINDINGS_COLUMNS)
            if findings.empty:
                findings = empty_findings()
        expired: dict[tuple[Any, ...], dict[str, Any]] = {}
        for r in results:
            for w in r.expired_waivers:
                expired.setdefault(tuple(sorted((k, str(v)) for k, v in w.items())), w)
        return cls(
            findings,
            card,
            checks,
            stats,
            skipped,
            failures,
            _cluster_table(results),
            date or _run_date(results),
            list(expired.values()),
        )

    def _decorate(self, findings: pd.DataFrame) -> None:
        """Light attrs on ``findings``: the clusters and the latest capture. The per-check statistics
        stay off it (pandas deep-copies attrs on every operation; a fleet has thousands of rows of
        them): :meth:`with_stats` adds them for the exports and :func:`k8saudit.scorecard`."""
        findings.attrs["clusters"] = list(self.clusters["cluster"])
        ok = self.clusters["captured_at"].dropna()
        findings.attrs["captured_at"] = str(ok.max()) if len(ok) else None

    def with_stats(self) -> pd.DataFrame:
        """The findings (computed, if lazy) carrying what :func:`k8saudit.audit` puts in ``attrs``
        (per-check ``stats``, ``expired_waivers``) plus ``failures``: what :func:`k8saudit.scorecard`
        and :func:`k8saudit.export` read. A shallow copy: use it for one call, not for slicing."""
        f = self.compute().findings
        assert isinstance(f, pd.DataFrame)
        out = f.copy(deep=False)
        out.attrs = dict(f.attrs)
        out.attrs["stats"] = self.stats.astype(object).where(self.stats.notna(), None).to_dict("records")
        out.attrs["expired_waivers"] = self.expired_waivers
        out.attrs["failures"] = self.failures.astype(object).where(self.failures.notna(), None).to_dict("records")
        return out

    # ------------------------------------------------------------------ reading

    @property
    def findings(self) -> pd.DataFrame | dd.DataFrame:
        return self._findings

    @property
    def lazy(self) -> bool:
        return not isinstance(self._findings, pd.DataFrame)

    def compute(self) -> Fleet:
        """A fleet whose findings are a pandas DataFrame (computes a lazy one; else returns ``self``)."""
        if not self.lazy:
            return self
        findings = self._findings.compute().reset_index(drop=True)
        out = Fleet(
            findings,
            self.scorecard,
            self.checks,
            self.stats,
            self.skipped,
            self.failures,
            self.clusters,
            self.date,
            self.expired_waivers,
        )
        return out

    def __len__(self) -> int:
        return len(self.clusters)

    def __repr__(self) -> str:
        ok = int((self.clusters["status"] == "ok").sum())
        n = "lazy" if self.lazy else f"{len(self._findings):,}"
        return (
            f"<Fleet of {len(self)} clusters on {self.date}: {ok} audited, {len(self.failures)} failed; {n} findings>"
        )

    @property
    def partial(self) -> bool:
        """True when a cluster could not be read or audited (its checks are not assessable)."""
        return len(self.failures) > 0

    def score_matrix(self) -> pd.DataFrame:
        """Scores (0-100) as a cluster × practice table; NaN where a practice was not assessable."""
        from ._analysis import score_matrix

        return score_matrix(self.scorecard)

    def worst(self, n: int = 10) -> pd.DataFrame:
        """The ``n`` clusters with the most open critical, then high, then other findings."""
        from ._analysis import worst_clusters

        return worst_clusters(self.clusters, n)

    def odd_ones_out(
        self, groups: Mapping[str, str] | Callable[[str], str] | None = None, min_peers: int = 3
    ) -> pd.DataFrame:
        """Checks a cluster fails while every peer of its group passes (see :func:`odd_ones_out`)."""
        from ._analysis import odd_ones_out

        return odd_ones_out(self.checks, groups=groups, min_peers=min_peers)

    # ------------------------------------------------------------------ writing

    def save(self, path: str | os.PathLike[str], *, date: str | None = None) -> Path:
        """Write a Parquet dataset: ``findings/``, ``scorecard/``, ``checks/``, ``skipped/``, ``failures/``,
        each partitioned by ``cluster=…/date=…`` (hive style), and ``fleet.json``. Read it back
        with :func:`k8saudit.fleet.read`."""
        from ._store import save

        return save(self, Path(path), date or self.date)

    def export(self, path: str | os.PathLike[str], format: str | None = None) -> Path:
        """Write the findings as :func:`k8saudit.export` does (xlsx and html get a cluster column and filter)."""
        from ..export import export

        return export(self.with_stats(), path, format=format)

    # ------------------------------------------------------------------ lifetime

    def close(self) -> None:
        """Release the LocalCluster a lazy fleet keeps for its findings (no-op otherwise)."""
        if self._resources is not None:
            self._resources.close()
            self._resources = None

    def __enter__(self) -> Fleet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _cluster_table(results: list[ClusterResult]) -> pd.DataFrame:
    rows = []
    for r in results:
        na = int((r.stats["status"] == "not_assessable").sum()) if len(r.stats) else 0
        counts = {c: int(r.counts.get(c, 0)) for c in CLUSTER_COLUMNS[5:13]}
        rows.append(
            {
                "cluster": r.cluster,
                "source": r.source,
                "status": "ok" if r.ok else "failed",
                "captured_at": r.captured_at,
                "objects": r.objects,
                **counts,
                "not_assessable": na,
                "seconds": r.seconds,
                "worker": r.worker,
                "peak_rss_mb": r.peak_rss_mb,
            }
        )
    return pd.DataFrame(rows, columns=CLUSTER_COLUMNS)


def _run_date(results: list[ClusterResult]) -> str:
    """The date of a run: the latest capture among the clusters read (today, UTC, for a live run)."""
    dates = [r.captured_at[:10] for r in results if r.captured_at]
    return max(dates) if dates else _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d")
