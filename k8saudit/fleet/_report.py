"""Plain-text reports of a fleet run and of saved fleets over time (the CLI prints these)."""

from __future__ import annotations

import pandas as pd

from ..checks import PRACTICE_SHORT
from ._analysis import odd_ones_out, score_matrix, trends, worst_clusters
from ._fleet import Fleet

#: beyond this many clusters the text report shows per-practice spreads, not the whole matrix
MATRIX_MAX = 60


def _table(df: pd.DataFrame) -> str:
    from ..export import frame_to_text

    return frame_to_text(df, "table").rstrip("\n")


def fleet_text(fleet: Fleet, *, seconds: float | None = None, workers: str | None = None) -> str:
    """The summary of a fleet run: counts, the worst clusters, scores per cluster and practice,
    the odd cluster out per check, and every failure with its reason."""
    c = fleet.clusters
    ok = int((c["status"] == "ok").sum())
    took = f" in {seconds:.1f} s" if seconds is not None else ""
    on = f" on {workers}" if workers else ""
    lines = [
        f"k8saudit fleet scan: {len(c)} clusters on {fleet.date} ({ok} audited, {len(fleet.failures)} failed)"
        f"{took}{on}",
        f"{int(c['open'].sum()):,} open findings ({int(c['critical'].sum())} critical, {int(c['high'].sum())} high); "
        f"{int(c['exempt'].sum()):,} exempt",
        "",
    ]
    lines += [
        "Worst clusters (open findings by severity)",
        "------------------------------------------",
        _table(worst_clusters(c, 10)),
        "",
    ]
    m = score_matrix(fleet.scorecard)
    if not m.empty:
        m.columns = [f"{p}" for p in m.columns]
        if len(m) <= MATRIX_MAX:
            lines += [
                "Score per cluster and practice (0-100; - = not assessable)",
                "----------------------------------------------------------",
                _table(m.round(0).astype("Int64").astype("string").fillna("-").reset_index()),
                "",
            ]
        else:
            spread = m.agg(["min", "mean", "max"]).T.round(1)
            spread.insert(0, "practice", [PRACTICE_SHORT.get(int(p), p) for p in spread.index])
            lines += [
                "Score per practice across clusters",
                "----------------------------------",
                _table(spread.reset_index(drop=True)),
                "",
            ]
    odd = odd_ones_out(fleet.checks)
    if len(odd):
        lines += [
            "Odd cluster out (fails a check every other cluster passes)",
            "----------------------------------------------------------",
            _table(odd[["check_id", "severity", "cluster", "failing", "peers_passing"]]),
            "",
        ]
    if len(fleet.failures):
        lines += [
            "Clusters that could not be audited (their checks are not assessable)",
            "----------------------------------------------------------------------",
        ]
        lines += [f"  {r.cluster} ({r.source}): {r.reason}" for r in fleet.failures.itertuples()]
        lines.append("")
    return "\n".join(lines) + "\n"


def history_text(scorecard: pd.DataFrame, clusters: pd.DataFrame, practice: int | None = None) -> str:
    """Trends across saved dates: per date the clusters and open findings, per practice the mean
    score per date, and the clusters whose score moved most (for ``practice``, or overall)."""
    if scorecard.empty:
        return "no saved fleet\n"
    dates = sorted(scorecard["date"].unique())
    days = [pd.Timestamp(d).strftime("%Y-%m-%d") for d in dates]
    lines = [
        f"k8saudit fleet report: {scorecard['cluster'].nunique()} clusters on {len(dates)} date(s), "
        f"{days[0]} … {days[-1]}",
        "",
    ]
    per_date = (
        clusters.groupby("date")
        .agg(
            clusters=("cluster", "nunique"),
            failed=("status", lambda s: int((s == "failed").sum())),
            open=("open", "sum"),
            critical=("critical", "sum"),
            high=("high", "sum"),
        )
        .reset_index()
    )
    per_date["date"] = per_date["date"].dt.strftime("%Y-%m-%d")
    lines += ["Per date", "--------", _table(per_date), ""]
    t = trends(scorecard)
    wide = t.pivot_table(index="practice", columns="date", values="mean_score", aggfunc="first")
    wide.columns = [pd.Timestamp(c).strftime("%Y-%m-%d") for c in wide.columns]
    wide.insert(0, "title", [PRACTICE_SHORT.get(int(p), str(p)) for p in wide.index])
    lines += ["Mean score per practice", "-----------------------", _table(wide.reset_index()), ""]
    if practice is not None:
        per = trends(scorecard, practice).round(1)
        lines += [
            f"Practice {practice} ({PRACTICE_SHORT.get(practice, '')}): score per cluster, biggest change first",
            "-" * 60,
            _table(per.head(20).reset_index()),
            "",
        ]
    elif len(dates) > 1:
        first, last = dates[0], dates[-1]
        a = scorecard[scorecard["date"] == first].groupby("cluster")["score"].mean()
        b = scorecard[scorecard["date"] == last].groupby("cluster")["score"].mean()
        delta = (b - a).dropna().round(1).sort_values()
        drops = delta[delta < 0].head(10)
        if len(drops):
            lines += [
                f"Clusters whose mean score fell between {days[0]} and {days[-1]}",
                "-" * 60,
                _table(drops.rename("change").reset_index()),
                "",
            ]
    return "\n".join(lines) + "\n"
