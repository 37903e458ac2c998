"""Questions over a fleet's frames: scores per cluster and practice, the worst clusters, the odd
cluster out per check, trends over saved dates."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

SEVERITY_RANK = ("critical", "high", "medium", "low", "info")


def score_matrix(scorecard: pd.DataFrame) -> pd.DataFrame:
    """cluster × practice scores (0-100; NaN where not assessable), clusters in their fleet order."""
    if scorecard.empty:
        return pd.DataFrame()
    order = list(dict.fromkeys(scorecard["cluster"]))
    m = scorecard.pivot_table(index="cluster", columns="practice", values="score", aggfunc="first", dropna=False)
    m = m.reindex(order).astype("float64")
    m.columns.name = "practice"
    return m


def worst_clusters(clusters: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The ``n`` clusters with the most open critical findings, then high, medium, low; failed ones apart."""
    ok = clusters[clusters["status"] == "ok"]
    cols = ["cluster", "open", *SEVERITY_RANK[:4], "exempt", "not_assessable"]
    return (
        ok.sort_values([*SEVERITY_RANK[:4], "cluster"], ascending=[False] * 4 + [True], kind="stable")
        .head(n)[cols]
        .reset_index(drop=True)
    )


def odd_ones_out(
    checks: pd.DataFrame, groups: Mapping[str, str] | Callable[[str], str] | None = None, min_peers: int = 3
) -> pd.DataFrame:
    """Checks that one cluster fails while every other assessed cluster of its group passes.

    ``checks``: ``fleet.checks`` (one row per cluster and check). ``groups`` maps a cluster to
    its peer group (a mapping, or a function of the name such as ``lambda c: c.split("-")[0]``);
    by default the whole fleet is one group. A check counts when at least ``min_peers`` other
    clusters of the group assessed it and passed. Columns: group, check_id, practice, severity,
    cluster, failing (objects), peers_passing, title.
    """
    cols = ["group", "check_id", "practice", "severity", "cluster", "failing", "peers_passing", "title"]
    if checks.empty:
        return pd.DataFrame(columns=cols)
    names = checks["cluster"].astype(str)
    if groups is None:
        group = pd.Series("fleet", index=checks.index)
    elif callable(groups):
        group = names.map(groups)
    else:
        group = names.map(dict(groups)).fillna("(no group)")
    df = checks.assign(group=group.astype(str))
    df = df[df["status"].isin(["pass", "fail"])]
    g = df.groupby(["group", "check_id"])
    stats = pd.DataFrame(
        {
            "failed": g["status"].agg(lambda s: int((s == "fail").sum())),
            "passed": g["status"].agg(lambda s: int((s == "pass").sum())),
        }
    )
    lone = stats[(stats["failed"] == 1) & (stats["passed"] >= min_peers)]
    if lone.empty:
        return pd.DataFrame(columns=cols)
    hits = df[df["status"] == "fail"].merge(lone, left_on=["group", "check_id"], right_index=True)
    out = hits.assign(peers_passing=hits["passed"].astype(int))[cols]
    sev = {s: i for i, s in enumerate(SEVERITY_RANK)}
    out = out.assign(_r=out["severity"].astype(str).map(sev)).sort_values(["_r", "group", "check_id"], kind="stable")
    return out.drop(columns="_r").reset_index(drop=True)


def trends(scorecard: pd.DataFrame, practice: int | None = None) -> pd.DataFrame:
    """Scores over dates from saved scorecards (``ka.fleet.load(paths, "scorecard")``).

    Without ``practice``: per date and practice, the fleet's mean score, the clusters assessed and
    the failing objects. With ``practice``: per date and cluster, that practice's score (one
    column per date), the clusters whose score changed first.
    """
    sc = scorecard
    if practice is not None:
        one = sc[sc["practice"] == practice]
        wide = one.pivot_table(index="cluster", columns="date", values="score", aggfunc="first", dropna=False)
        wide.columns = [pd.Timestamp(c).strftime("%Y-%m-%d") for c in wide.columns]
        change = (wide.iloc[:, -1] - wide.iloc[:, 0]) if wide.shape[1] > 1 else pd.Series(0.0, index=wide.index)
        wide = wide.assign(change=change.round(1))
        return (
            wide.assign(_a=change.abs().fillna(0))
            .sort_values(["_a", "change"], ascending=[False, True], kind="stable")
            .drop(columns="_a")
        )
    g = sc[sc["status"].isin(["pass", "fail"])].groupby(["date", "practice"])
    out = g.agg(clusters=("cluster", "nunique"), mean_score=("score", "mean"), failing=("failing", "sum"))
    return out.assign(mean_score=out["mean_score"].round(1)).reset_index()
