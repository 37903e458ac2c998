"""Hand-built findings frames for the export and diff tests (no snapshot, no checks run)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from k8saudit.checks import CHECKS, PRACTICES
from k8saudit.findings import FINDINGS_COLUMNS, _types, finding_id

CLUSTER = "test-cluster"

#: text that tries to break out of every format it lands in
NASTY = {
    "pipe": "a | b || c",
    "html": "<script>alert('x')</script> & \"quoted\"",
    "formula": '=HYPERLINK("http://evil.example","click")',
    "plus": "+1-555-0100",
    "minus": "-cmd|' /C calc'!A0",
    "at": "@SUM(1+1)",
    "tab": "\tleading tab",
    "cr": "\rleading carriage return",
    "quoted": "'=already quoted",
    "unicode": "Grüße, naïve café ✓",
    "newline": "line one\nline two",
}


def check_for(practice: int, i: int = 0) -> str:
    """A registered check id of ``practice`` (the i-th), so metadata lookups work."""
    ids = [c.id for c in CHECKS.for_practice(practice)]
    return ids[i % len(ids)]


def make_findings(rows: list[dict[str, Any]], *, cluster: str = CLUSTER, stats: bool = True) -> pd.DataFrame:
    """Findings in the audit's schema and dtypes. Each row needs ``check_id``, ``kind``, ``name``;
    the rest defaults from the registry. ``attrs["stats"]`` marks every check of every practice
    as evaluated on a few objects (those without findings pass)."""
    out = []
    for r in rows:
        c = CHECKS[r["check_id"]]
        row = {
            "cluster": cluster,
            "practice": c.practice,
            "severity": c.severity,
            "title": c.title,
            "namespace": "default",
            "container": None,
            "message": c.title,
            "remediation": c.remediation,
            "evidence": None,
            "exempt": False,
            "exempt_reason": None,
            **r,
        }
        row["finding_id"] = r.get("finding_id") or finding_id(
            row["cluster"], row["check_id"], row["kind"], row["namespace"], row["name"], row["container"]
        )
        out.append(row)
    df = pd.DataFrame(out, columns=FINDINGS_COLUMNS)
    df = _types(df)
    df.attrs["clusters"] = [cluster]
    df.attrs["expired_waivers"] = []
    if stats:
        failing = df[~df["exempt"]].drop_duplicates(["check_id", "kind", "namespace", "name", "container"])
        n_fail = failing.groupby("check_id").size()
        recs = [
            {
                "cluster": cluster,
                "check_id": c.id,
                "practice": c.practice,
                "evaluated": 5 + int(n_fail.get(c.id, 0)),
                "failing": int(n_fail.get(c.id, 0)),
                "status": "fail" if c.id in set(df["check_id"]) else "pass",
                "reason": None,
            }
            for p in PRACTICES
            for c in CHECKS.for_practice(p)
        ]
        df.attrs["stats"] = recs
    return df


def sample_rows() -> list[dict[str, Any]]:
    """Eight findings over five practices, every severity present, one exempt, nasty text throughout."""
    return [
        {
            "check_id": check_for(1),
            "kind": "Deployment",
            "namespace": "shop",
            "name": "web",
            "container": "app",
            "severity": "critical",
            "message": NASTY["pipe"],
            "evidence": NASTY["newline"],
        },
        {
            "check_id": check_for(1, 1),
            "kind": "Deployment",
            "namespace": "shop",
            "name": "api",
            "container": "api",
            "severity": "high",
            "message": NASTY["html"],
            "evidence": NASTY["formula"],
        },
        {
            "check_id": check_for(3),
            "kind": "DaemonSet",
            "namespace": "kube-system",
            "name": "kube-proxy",
            "container": "kube-proxy",
            "severity": "high",
            "message": NASTY["plus"],
            "evidence": NASTY["minus"],
            "exempt": True,
            "exempt_reason": "default exemption: kube-proxy | needs it",
        },
        {
            "check_id": check_for(4),
            "kind": "Pod",
            "namespace": "dev",
            "name": "debug",
            "severity": "medium",
            "message": NASTY["at"],
            "evidence": NASTY["tab"],
        },
        {
            "check_id": check_for(5),
            "kind": "ClusterRoleBinding",
            "namespace": None,
            "name": "admins",
            "severity": "low",
            "message": NASTY["cr"],
            "evidence": NASTY["quoted"],
        },
        {
            "check_id": check_for(8),
            "kind": "StatefulSet",
            "namespace": "db",
            "name": "postgres",
            "container": "postgres",
            "severity": "medium",
            "message": NASTY["unicode"],
            "evidence": "runAsUser=0",
        },
        {
            "check_id": check_for(8, 1),
            "kind": "Deployment",
            "namespace": "shop",
            "name": "web",
            "container": "app",
            "severity": "info",
            "message": "plain message",
            "evidence": None,
        },
        {
            "check_id": check_for(8, 2),
            "kind": "Deployment",
            "namespace": "shop",
            "name": "web",
            "container": "app",
            "severity": "low",
            "message": "another plain message",
            "evidence": "x",
        },
    ]


def many_findings(n: int, *, cluster: str = CLUSTER) -> pd.DataFrame:
    """``n`` findings spread over every registered check, severity and a hundred namespaces (one in nine exempt),
    long messages included: the large synthetic set the size limits of the exports are tested with."""
    checks = list(CHECKS)
    rows = []
    for i in range(n):
        rows.append(
            {
                "check_id": checks[i % len(checks)],
                "kind": "Deployment",
                "namespace": f"team-{i % 100:03d}",
                "name": f"app-{i:06d}",
                "container": "main",
                "message": f"finding {i}: " + "a long explanation of what is wrong " * (1 + i % 5),
                "evidence": f"spec.template.spec.containers[0] = {i}",
                "exempt": i % 9 == 0,
                "exempt_reason": "waived by the platform team" if i % 9 == 0 else None,
            }
        )
    return make_findings(rows, cluster=cluster)
