"""Compare two audits: which findings are new, resolved, unchanged, or changed severity.

>>> changes = ka.diff(last_week, today)          # findings frames or snapshots
>>> changes[changes.status == "new"]
>>> print(diff_text(changes))

Findings are matched by ``finding_id`` (a stable hash of cluster, check, object
and container); when one audit has several findings with the same id, they are
paired in order.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .findings import audit
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


def _keyed(df: pd.DataFrame) -> pd.DataFrame:
    out = df[FINDINGS_COLUMNS].reset_index(drop=True)
    out.attrs = {}  # attrs holding frames (stats) make pandas refuse to merge: "truth value is ambiguous"
    return out.assign(_n=out.groupby("finding_id", dropna=False).cumcount())


def diff(before: pd.DataFrame | Snapshot, after: pd.DataFrame | Snapshot) -> pd.DataFrame:
    """The findings of both audits with ``status`` (new, severity_changed, resolved, unchanged),
    ``severity_before`` and ``severity_after``.

    A snapshot is audited first (default exemptions). Rows of ``after`` describe
    new, unchanged and changed findings; rows of ``before`` the resolved ones.
    """
    a, b = _keyed(_findings(before)), _keyed(_findings(after))
    key = ["finding_id", "_n"]
    m = b.merge(a[key + ["severity"]], on=key, how="left", suffixes=("", "_before"), indicator=True)
    present = m["_merge"] == "both"
    sev_b = m["severity_before"].astype("string")
    sev_a = m["severity"].astype("string")
    status = pd.Series("new", index=m.index, dtype="object")
    status[present] = "unchanged"
    status[present & (sev_b != sev_a).fillna(False).astype(bool)] = "severity_changed"
    kept = m[FINDINGS_COLUMNS].assign(status=status.to_numpy(), severity_before=sev_b.to_numpy(),
                                      severity_after=sev_a.to_numpy())
    gone = a.merge(b[key], on=key, how="left", indicator=True)
    gone = gone[gone["_merge"] == "left_only"]
    resolved = gone[FINDINGS_COLUMNS].assign(status="resolved", severity_before=gone["severity"].astype("string"),
                                             severity_after=None)
    parts = [p for p in (kept, resolved) if len(p)]
    out = pd.concat(parts, ignore_index=True) if parts else kept.iloc[0:0]
    out = out.astype({c: "string" for c in FINDINGS_COLUMNS if c not in ("practice", "severity", "exempt")})
    out["practice"] = out["practice"].astype("Int64")
    out["exempt"] = out["exempt"].astype(bool)
    out["severity"] = out["severity"].astype("object").where(out["severity"].notna(), None).astype(SEVERITY_DTYPE)
    for c in ("severity_before", "severity_after"):
        out[c] = out[c].astype("object").where(out[c].notna(), None).astype(SEVERITY_DTYPE)
    out["status"] = out["status"].astype(STATUS_DTYPE)
    rank = {s: i for i, s in enumerate(reversed(SEVERITIES))}
    order = out.assign(_s=out["status"].cat.codes, _r=out["severity"].astype("string").map(rank).fillna(9))
    out = (order.sort_values(["_s", "practice", "_r", "check_id", "namespace", "kind", "name", "container"],
                             na_position="first", kind="stable").drop(columns=["_s", "_r"]).reset_index(drop=True))
    out.attrs["clusters_before"] = sorted({str(c) for c in a["cluster"].dropna()})
    out.attrs["clusters_after"] = sorted({str(c) for c in b["cluster"].dropna()})
    return out[DIFF_COLUMNS]


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
