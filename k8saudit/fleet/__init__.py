"""Fleets: many clusters in one audit, on Dask (``dask.distributed``).

>>> import k8saudit as ka
>>> fleet = ka.fleet.audit(["context:prod-eu", "context:prod-us", "snapshots/edge-*"])  # a LocalCluster
>>> fleet.findings          # one findings frame, a ``cluster`` column (a dask DataFrame with lazy=True)
>>> fleet.scorecard         # cluster × practice
>>> fleet.failures          # clusters that could not be read or audited, with the reason
>>> fleet.save("fleet/2026-12-06")          # Parquet, partitioned by cluster and date
>>> ka.fleet.read("fleet/*")                # every saved date as a dask DataFrame, for trends

Each cluster is one Dask task (read → audit → small result frames); a cluster's objects never
leave its worker. ``client=`` takes a :class:`distributed.Client` or a scheduler address to run on
an existing Dask cluster. ``ka.fleet.sample()`` is a bundled fleet of 40 clusters on four dates.
Dask is imported when a fleet runs, not with ``k8saudit``; plotly when ``charts`` is first used.
"""

from __future__ import annotations

from types import ModuleType

from ._analysis import odd_ones_out, score_matrix, trends, worst_clusters
from ._fleet import CLUSTER_COLUMNS, Fleet
from ._run import audit
from ._sample import DATES as SAMPLE_DATES
from ._sample import environment, sample, sample_dates
from ._sources import ClusterSource, FleetSourceError, resolve
from ._store import TABLES, FleetStoreError, load, read
from ._task import FAILURE_COLUMNS, ClusterResult

__all__ = [
    "charts",
    "CLUSTER_COLUMNS",
    "FAILURE_COLUMNS",
    "SAMPLE_DATES",
    "TABLES",
    "ClusterResult",
    "ClusterSource",
    "Fleet",
    "FleetSourceError",
    "FleetStoreError",
    "audit",
    "environment",
    "load",
    "odd_ones_out",
    "read",
    "resolve",
    "sample",
    "sample_dates",
    "score_matrix",
    "trends",
    "worst_clusters",
]


def __getattr__(name: str) -> ModuleType:
    """``charts`` on first use (PEP 562): a fleet run on workers draws nothing, so plotly stays unimported."""
    if name == "charts":
        from . import _charts

        globals()["charts"] = _charts
        return _charts
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
