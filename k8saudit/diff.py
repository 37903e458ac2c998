"""Compare two audits: which findings are new, resolved, unchanged, or changed severity.

>>> changes = ka.diff(last_week, today)          # findings frames or snapshots
>>> changes[changes.status == "new"]
>>> print(diff_text(changes))

Findings are matched by a stable identity: the check, the object (kind, namespace,
name) and the container, within the same cluster. Which cluster is the same one does
not depend on a folder's name: when each side holds one cluster, they are compared as
one (two copies of a dump in differently named folders diff as no change), and
``cluster=NAME`` names it (a side holding several clusters: only NAME is compared).
Sides with several clusters are matched cluster by cluster, by name. ``attrs["matched_on"]``
says what was matched, and when both sides are snapshots whether their kube-system
namespace (whose uid is the cluster's usual identity) is the same one. When one audit
has several findings with the same identity, they are paired in order.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .findings import CHECK_TEXT_COLUMNS as TEXTS
from .findings import audit, check_text
from .snapshot import Snapshot
from .vocab import (
    DIFF_COLUMNS,
    DIFF_STATUS_DTYPE,
    DIFF_STATUSES,
    FINDINGS_COLUMNS,
    PRACTICES,
    SEVERITIES,
    SEVERITY_DTYPE,
)

#: the statuses, in the order reports list them (public names kept: ``k8saudit.diff.STATUSES``)
STATUSES = DIFF_STATUSES
STATUS_DTYPE = DIFF_STATUS_DTYPE


def _findings(x: pd.DataFrame | Snapshot) -> pd.DataFrame:
    if isinstance(x, Snapshot):
        return audit(x)
    if isinstance(x, pd.DataFrame):
        missing = [c for c in FINDINGS_COLUMNS if c not in x.columns]
        if missing:
            raise ValueError(f"diff() needs findings frames or snapshots; this frame lacks {', '.join(missing)}")
        return x
    raise TypeError(f"diff() needs findings frames or snapshots, not {type(x).__name__}")


#: what identifies a finding within a cluster
_OBJECT = ["check_id", "kind", "namespace", "name", "container"]


def _keyed(df: pd.DataFrame, with_cluster: bool) -> pd.DataFrame:
    out = df[FINDINGS_COLUMNS].reset_index(drop=True)
    out.attrs = {}  # attrs holding frames (stats) make pandas refuse to merge: "truth value is ambiguous"
    cols = (["cluster"] if with_cluster else []) + _OBJECT
    key = out[cols[0]].astype("string").fillna("")
    for c in cols[1:]:
        key = key + "\x1f" + out[c].astype("string").fillna("")
    out = out.assign(_k=key.to_numpy())
    return out.assign(_n=out.groupby("_k", dropna=False).cumcount())


def _clusters(x: pd.DataFrame | Snapshot, f: pd.DataFrame) -> list[str]:
    if isinstance(x, Snapshot):
        return list(x.clusters)
    named = f.attrs.get("clusters")
    return [str(c) for c in named] if named else sorted({str(c) for c in f["cluster"].dropna()})


def _kube_system_uid(x: pd.DataFrame | Snapshot) -> str | None:
    """The uid of a one-cluster snapshot's kube-system namespace (the usual cluster identity), if it holds one."""
    if not isinstance(x, Snapshot) or len(x.clusters) != 1:
        return None
    o = x.objects
    uid = o.loc[(o["kind"] == "Namespace") & (o["name"] == "kube-system"), "uid"].dropna()
    return str(uid.iloc[0]) if len(uid) else None


def _only(f: pd.DataFrame, names: list[str], cluster: str, side: str) -> pd.DataFrame:
    """The findings of ``cluster`` (all of them when the side holds one cluster), under that name."""
    if len(names) > 1:
        if cluster not in names:
            raise ValueError(f"{side} holds no cluster {cluster!r} (it holds {', '.join(names)})")
        f = f[f["cluster"] == cluster]
    return f.assign(cluster=pd.array([cluster] * len(f), dtype="string"))


def diff(
    before: pd.DataFrame | Snapshot, after: pd.DataFrame | Snapshot, *, cluster: str | None = None
) -> pd.DataFrame:
    """The findings of both audits with ``status`` (new, severity_changed, resolved, unchanged),
    ``severity_before`` and ``severity_after``.

    A snapshot is audited first (default exemptions). Rows of ``after`` describe
    new, unchanged and changed findings; rows of ``before`` the resolved ones.
    Findings are matched by check, object and container within the same cluster; see the
    module docstring for which cluster is the same one (``cluster=`` names it), and
    ``attrs["matched_on"]`` for what was matched.
    """
    fa, fb = _findings(before), _findings(after)
    ca, cb = _clusters(before, fa), _clusters(after, fb)
    uid_a, uid_b = _kube_system_uid(before), _kube_system_uid(after)
    same_uid = uid_a is not None and uid_a == uid_b
    if cluster is not None:
        fa, fb = _only(fa, ca, cluster, "before"), _only(fb, cb, cluster, "after")
        matched = f"cluster {cluster} (as asked), then check, object and container"
        with_cluster = False
    elif len(ca) == 1 and len(cb) == 1:
        with_cluster = False
        if ca == cb:
            matched = f"cluster {ca[0]}, then check, object and container"
        else:
            matched = (
                f"one cluster on each side ({ca[0]} → {cb[0]}: taken as the same cluster; --cluster NAME "
                "names it), then check, object and container"
            )
    else:
        with_cluster = True
        matched = "cluster name, then check, object and container"
    if uid_a is not None and uid_b is not None:
        matched += (
            "; both are the same cluster by its kube-system namespace uid"
            if same_uid
            else f"; their kube-system namespace uids differ ({uid_a} → {uid_b}): these may be different clusters"
        )
    a, b = _keyed(fa, with_cluster), _keyed(fb, with_cluster)
    key = ["_k", "_n"]
    m = b.merge(a[key + ["severity"]], on=key, how="left", suffixes=("", "_before"), indicator=True)
    present = m["_merge"] == "both"
    sev_b = m["severity_before"].astype("string")
    sev_a = m["severity"].astype("string")
    status = pd.Series("new", index=m.index, dtype="object")
    status[present] = "unchanged"
    status[present & (sev_b != sev_a).fillna(False).astype(bool)] = "severity_changed"
    kept = m[FINDINGS_COLUMNS].assign(
        status=status.to_numpy(), severity_before=sev_b.to_numpy(), severity_after=sev_a.to_numpy()
    )
    gone = a.merge(b[key], on=key, how="left", indicator=True)
    gone = gone[gone["_merge"] == "left_only"]
    resolved = gone[FINDINGS_COLUMNS].assign(
        status="resolved", severity_before=gone["severity"].astype("string"), severity_after=None
    )
    parts = [p for p in (kept, resolved) if len(p)]
    out = pd.concat(parts, ignore_index=True) if parts else kept.iloc[0:0]
    out = out.astype({c: "string" for c in FINDINGS_COLUMNS if c not in ("practice", "severity", "exempt", *TEXTS)})
    for c in TEXTS:  # categoricals of the registry's texts (both sides' when they came from files with others)
        out[c] = check_text(out[c], c)
    out["practice"] = out["practice"].astype("Int64")
    out["exempt"] = out["exempt"].astype(bool)
    out["severity"] = out["severity"].astype("object").where(out["severity"].notna(), None).astype(SEVERITY_DTYPE)
    for c in ("severity_before", "severity_after"):
        out[c] = out[c].astype("object").where(out[c].notna(), None).astype(SEVERITY_DTYPE)
    out["status"] = out["status"].astype(STATUS_DTYPE)
    rank = {s: i for i, s in enumerate(reversed(SEVERITIES))}
    order = out.assign(_s=out["status"].cat.codes, _r=out["severity"].astype("string").map(rank).fillna(9))
    out = (
        order.sort_values(
            ["_s", "practice", "_r", "check_id", "namespace", "kind", "name", "container"],
            na_position="first",
            kind="stable",
        )
        .drop(columns=["_s", "_r"])
        .reset_index(drop=True)
    )
    out = out[DIFF_COLUMNS]
    out.attrs["clusters_before"] = [cluster] if cluster is not None else ca
    out.attrs["clusters_after"] = [cluster] if cluster is not None else cb
    out.attrs["matched_on"] = matched
    return out


def _line(r: Any) -> str:
    obj = "/".join(str(x) for x in (r.kind, r.namespace, r.name) if isinstance(x, str) and x)
    container = f" [{r.container}]" if isinstance(r.container, str) and r.container else ""
    exempt = " (exempt)" if r.exempt else ""
    return f"    {r.severity!s:<8} {r.check_id:<28} {obj}{container}: {r.message}{exempt}"


def diff_text(changes: pd.DataFrame) -> str:
    """A readable summary: counts per status, then the new, changed and resolved findings by practice."""
    counts = changes["status"].astype("string").value_counts()
    before = ", ".join(changes.attrs.get("clusters_before") or []) or "?"
    after = ", ".join(changes.attrs.get("clusters_after") or []) or "?"
    lines = [f"k8saudit diff: {before} → {after}"]
    if changes.attrs.get("matched_on"):
        lines.append(f"matched on: {changes.attrs['matched_on']}")
    width = max(len(s) for s in STATUSES)
    for s in STATUSES:
        lines.append(f"  {s.replace('_', ' '):<{width}}  {int(counts.get(s, 0)):>6}")
    sections = [("new", "New findings"), ("severity_changed", "Severity changed"), ("resolved", "Resolved findings")]
    for status, heading in sections:
        part = changes[changes["status"] == status]
        if part.empty:
            continue
        lines += ["", f"{heading} ({len(part)})"]
        for key, grp in part.groupby("practice", sort=True):
            practice: Any = key
            lines.append(f"  {int(practice)}. {PRACTICES.get(int(practice), '')}")
            for r in grp.itertuples(index=False):
                line = _line(r)
                if status == "severity_changed":
                    line += f"  ({r.severity_before} → {r.severity_after})"
                lines.append(line)
    if not (changes["status"] != "unchanged").any():
        lines += ["", "No changes."]
    return "\n".join(lines) + "\n"
