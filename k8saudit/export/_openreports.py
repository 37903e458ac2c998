"""Findings → OpenReports (``openreports.io/v1alpha1``), for policy-reporter and other policy dashboards.

OpenReports is the successor of the Kubernetes Policy WG's ``PolicyReport``: a
namespaced ``Report`` and a cluster-scoped ``ClusterReport`` carry ``results``
(one per policy outcome) and a ``summary`` of them. The file holds one YAML
document per report, ready for ``kubectl apply -f`` once the CRDs are installed:

* a ``Report`` per namespace with findings, in that namespace, and a
  ``ClusterReport`` for the findings on cluster-scoped objects (and the cluster
  itself), plus one ``pass`` result per check that evaluated objects and found
  nothing, and an ``error`` result per check that gave no complete verdict
  (not assessable, partial or failed: never a pass), with the reason;
* ``scope`` is left out: a report covers many objects, so each result names the
  object it is about in ``resources`` (kind, namespace, name);
* a result's ``policy`` and ``rule`` are the check id (stable, what waivers name),
  ``category`` the practice, ``severity`` the check's, ``result`` ``fail`` for an
  open finding and ``skip`` for an exempt one (``properties.exempt_reason`` says
  why); ``properties`` (strings only, as the CRD requires) carry the title,
  container, evidence, remediation, practice, cluster and finding id;
* ``source`` is ``k8saudit``; each result's ``timestamp`` is the capture time;
* several clusters in one findings table give one set of reports per cluster,
  named ``k8saudit-<cluster>`` and labelled with the cluster.
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml

from ..findings import check_stats
from ..vocab import practice_label
from ._common import (
    captured_at,
    check_of,
    columns,
    is_na,
    not_assessed_checks,
    skipped_input,
    sort_findings,
    text,
    version,
)
from ._registry import Format, register

if TYPE_CHECKING:
    from ..snapshot import Snapshot

API_VERSION = "openreports.io/v1alpha1"
SOURCE = "k8saudit"
RESULTS = ("pass", "fail", "warn", "error", "skip")
_DNS = re.compile(r"[^a-z0-9-]+")


def _slug(s: str, limit: int = 40) -> str:
    return _DNS.sub("-", s.lower()).strip("-")[:limit].strip("-") or "cluster"


def _timestamp(at: str | None) -> dict[str, int] | None:
    if not at:
        return None
    try:
        t = pd.Timestamp(at)
    except (ValueError, TypeError):
        return None
    if t.tzinfo is None:
        t = t.tz_localize("UTC")
    seconds = int(t.timestamp())
    return {"seconds": seconds, "nanos": int(t.value - seconds * 1_000_000_000) if t.value >= 0 else 0}


def _props(**kv: Any) -> dict[str, str]:
    return {k: text(v) for k, v in kv.items() if not is_na(v) and text(v) != ""}


def _finding_result(r: Any, ts: dict[str, int] | None) -> dict[str, Any]:
    c = check_of(text(r.check_id))
    practice = None if is_na(r.practice) else int(r.practice)
    container = text(r.container)
    res: dict[str, Any] = {
        "source": SOURCE,
        "policy": text(r.check_id),
        "rule": text(r.check_id),
        "category": practice_label(practice) if practice is not None else "other",
        "severity": text(r.severity) or (c.severity if c else "medium"),
        "result": "skip" if bool(r.exempt) else "fail",
        "scored": True,
        "message": text(r.message) + (f" (container {container})" if container else ""),
        "properties": _props(
            title=r.title,
            container=container,
            evidence=r.evidence,
            remediation=r.remediation,
            practice=practice,
            cluster=r.cluster,
            finding_id=r.finding_id,
            exempt_reason=r.exempt_reason if bool(r.exempt) else None,
        ),
        "resources": [
            {k: v for k, v in (("kind", text(r.kind)), ("namespace", text(r.namespace)), ("name", text(r.name))) if v}
        ],
    }
    if ts:
        res["timestamp"] = ts
    return res


def _check_results(findings: pd.DataFrame, cluster: str, ts: dict[str, int] | None) -> list[dict[str, Any]]:
    """One ``pass`` per check that evaluated objects and found nothing, one ``error`` per check without a
    complete verdict (its findings, if any, stay ``fail``)."""
    out: list[dict[str, Any]] = []
    stats = check_stats(findings)
    gaps = not_assessed_checks(findings)
    gaps = gaps[gaps["cluster"].astype("string") == cluster]
    gap_ids = set(gaps["check_id"].astype(str))
    if stats is not None and len(stats):
        st = stats[stats["cluster"].astype("string") == cluster] if "cluster" in stats else stats
        for s in st.itertuples(index=False):
            cid = text(s.check_id)
            if cid in gap_ids or text(s.status) != "pass" or int(getattr(s, "failing", 0) or 0) > 0:
                continue
            c = check_of(cid)
            res: dict[str, Any] = {
                "source": SOURCE,
                "policy": cid,
                "rule": cid,
                "category": practice_label(int(s.practice)) if not is_na(s.practice) else "other",
                "severity": c.severity if c else "medium",
                "result": "pass",
                "scored": True,
                "message": f"{c.title if c else cid}: none of {int(s.evaluated)} object(s) evaluated",
                "properties": _props(cluster=cluster, evaluated=int(s.evaluated)),
            }
            if ts:
                res["timestamp"] = ts
            out.append(res)
    for g in gaps.itertuples(index=False):
        cid = text(g.check_id)
        c = check_of(cid)
        res = {
            "source": SOURCE,
            "policy": cid,
            "rule": cid,
            "category": practice_label(int(g.practice)) if not is_na(g.practice) else "other",
            "severity": c.severity if c else "medium",
            "result": "error",
            "scored": True,
            "message": f"{text(g.status).replace('_', ' ')}: {text(g.reason)}",
            "properties": _props(cluster=cluster, status=g.status),
        }
        if ts:
            res["timestamp"] = ts
        out.append(res)
    return out


def _report(
    kind: str,
    name: str,
    namespace: str | None,
    cluster: str,
    results: list[dict[str, Any]],
    annotations: dict[str, str],
) -> dict[str, Any]:
    counts = {k: 0 for k in RESULTS}
    for r in results:
        counts[r["result"]] += 1
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    meta["labels"] = {"app.kubernetes.io/managed-by": "k8saudit", "k8saudit.io/cluster": _slug(cluster, 63)}
    meta["annotations"] = {"k8saudit.io/cluster": cluster, **annotations}
    return {
        "apiVersion": API_VERSION,
        "kind": kind,
        "metadata": meta,
        "source": SOURCE,
        "summary": counts,
        "results": results,
    }


def documents(findings: pd.DataFrame, snapshot: Snapshot | None = None) -> list[dict[str, Any]]:
    """The reports: per cluster, a ``ClusterReport`` then a ``Report`` per namespace with findings."""
    columns(findings)
    ts = _timestamp(captured_at(findings, snapshot))
    ordered = sort_findings(findings)
    names = [str(c) for c in findings.attrs.get("clusters") or []]
    for c in ordered["cluster"].dropna().astype(str):
        if c not in names:
            names.append(c)
    multi = len(names) > 1
    lost = skipped_input(findings, noted=False)
    docs: list[dict[str, Any]] = []
    for cluster in names:
        mine = ordered[ordered["cluster"].astype("string") == cluster]
        base = f"k8saudit-{_slug(cluster)}" if multi else "k8saudit"
        notes = {"k8saudit.io/version": version()}
        n_lost = int((lost["cluster"].astype("string") == cluster).sum()) if len(lost) else 0
        if n_lost:
            notes["k8saudit.io/input-not-read"] = f"{n_lost} input item(s) could not be read (see the other exports)"
        ns = mine["namespace"]
        cluster_rows = mine[ns.isna() | (ns.astype("string") == "")]
        results = [_finding_result(r, ts) for r in cluster_rows.itertuples(index=False)]
        results += _check_results(findings, cluster, ts)
        docs.append(_report("ClusterReport", base, None, cluster, results, notes))
        scoped = mine[ns.notna() & (ns.astype("string") != "")]
        for namespace, grp in scoped.groupby(scoped["namespace"].astype(str), sort=True):
            results = [_finding_result(r, ts) for r in grp.itertuples(index=False)]
            docs.append(_report("Report", base, str(namespace), cluster, results, notes))
    return docs


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:  # no &id001 anchors: each result stands alone
        return True


def _str(dumper: yaml.SafeDumper, s: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", s, style="|" if "\n" in s else None)


_Dumper.add_representer(str, _str)


def findings_openreports(findings: pd.DataFrame, snapshot: Snapshot | None = None) -> str:
    head = (
        f"# OpenReports ({API_VERSION}) written by k8saudit {version()} at "
        f"{_dt.datetime.now(_dt.UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}\n"
    )
    body = yaml.dump_all(
        documents(findings, snapshot),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        explicit_start=True,
        width=120,
    )
    return head + body


def write(findings: pd.DataFrame, path: Path, snapshot: Snapshot | None = None) -> None:
    path.write_text(findings_openreports(findings, snapshot), encoding="utf-8")


register(
    Format(
        "openreports",
        (".openreports.yaml", ".openreports.yml"),
        text=findings_openreports,
        write=write,
        aliases=("openreport", "policyreport"),
        description="OpenReports policy reports (openreports.io/v1alpha1) for policy dashboards",
    )
)
