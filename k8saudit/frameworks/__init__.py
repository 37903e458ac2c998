"""Findings read as compliance frameworks: CIS Kubernetes Benchmark, NSA/CISA guide, Pod Security Standards, ATT&CK.

Each framework's controls are data (``<id>.yaml`` beside this module, sources cited in
the file); which controls a check evidences is data beside the check
(``@check(..., controls={"cis": ["5.2.2"], ...})``). :func:`compliance` joins the two
with an audit's per-check results:

- ``not_covered``: no k8saudit check evidences the control (the file says why);
- ``fail``: a check evidencing it found a non-exempt object;
- ``not_assessable``: nothing failed, but a check evidencing it could not be assessed on
  this snapshot, was assessed only in part (``partial``) or was not run, so the control is
  not known to pass;
- ``pass``: every check evidencing it was assessed and found nothing (exempt findings apart).

A control is never ``pass`` unless every check behind it ran and passed.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

import pandas as pd
import yaml

from ..checks import CHECKS
from ..findings import scorecard
from ..vocab import CONTROL_STATUSES

#: the frameworks k8saudit maps its checks to, by id
FRAMEWORKS: tuple[str, ...] = ("cis", "nsa", "pss", "mitre")
STATUSES: tuple[str, ...] = CONTROL_STATUSES
COLUMNS = [
    "framework",
    "control",
    "section",
    "title",
    "status",
    "checks",
    "failing_objects",
    "exempt_findings",
    "reason",
]


def _check_framework(framework: str) -> str:
    fid = str(framework).strip().lower()
    if fid not in FRAMEWORKS:
        raise ValueError(f"unknown framework {framework!r}; expected one of {', '.join(FRAMEWORKS)}")
    return fid


@cache
def framework(framework: str) -> dict[str, Any]:
    """The framework's data file: ``id``, ``name``, ``version``, ``sources``, ``scope``, ``controls``."""
    fid = _check_framework(framework)
    doc = yaml.safe_load((files("k8saudit.frameworks") / f"{fid}.yaml").read_text(encoding="utf-8"))
    for c in doc["controls"]:
        c["id"] = str(c["id"])
    return doc


def framework_label(fid: str, *, short: bool = False) -> str:
    """``CIS Kubernetes Benchmark v1.12.0`` (``CIS v1.12.0`` with ``short=True``)."""
    doc = framework(fid)
    return f"{doc['short'] if short else doc['name']} {doc['version']}"


def controls(framework_id: str) -> pd.DataFrame:
    """Every control of a framework with the checks that evidence it (``checks``: a list, empty when none)."""
    fid = _check_framework(framework_id)
    by_control: dict[str, list[str]] = {}
    for cid in CHECKS:
        for ctl in CHECKS[cid].controls.get(fid, ()):
            by_control.setdefault(ctl, []).append(cid)
    rows = [
        {
            "framework": fid,
            "control": c["id"],
            "section": c.get("section"),
            "title": c["title"],
            "assessable": bool(c.get("assessable", True)),
            "why_not": c.get("why_not"),
            "checks": by_control.get(c["id"], []),
        }
        for c in framework(fid)["controls"]
    ]
    return pd.DataFrame(rows, columns=["framework", "control", "section", "title", "assessable", "why_not", "checks"])


def compliance(findings: pd.DataFrame, framework: str) -> pd.DataFrame:
    """One row per control of ``framework`` (``cis``, ``nsa``, ``pss`` or ``mitre``) for the audit behind ``findings``.

    Columns: framework, control, section, title, status (fail, not_assessable, pass,
    not_covered), checks (the check ids evidencing it, comma-separated), failing_objects
    (distinct objects with a non-exempt finding of those checks), exempt_findings, reason
    (why a control is not covered or not assessable).
    """
    fid = _check_framework(framework)
    if findings.attrs.get("stats") is None:
        raise ValueError("compliance() needs the findings of audit() (they carry each check's result)")
    per_check = scorecard(findings, by="check")
    status: dict[str, str] = {}
    reasons: dict[str, str] = {}
    for cid, grp in per_check.groupby("check_id"):
        st = set(grp["status"])
        # only a complete verdict passes: partial, not_assessable and error never do
        status[str(cid)] = "pass" if st <= {"pass"} else "fail" if "fail" in st else "not_assessable"
        why = [r for r in grp["reason"].dropna().unique() if r]
        if why:
            reasons[str(cid)] = "; ".join(why)
    live = findings[~findings["exempt"].astype(bool)]
    ctl = controls(fid)
    out = []
    for r in ctl.itertuples(index=False):
        checks = list(r.checks)
        row = {
            "framework": fid,
            "control": r.control,
            "section": r.section,
            "title": r.title,
            "checks": ", ".join(checks),
            "failing_objects": 0,
            "exempt_findings": 0,
            "reason": None,
        }
        if not checks:
            row["status"] = "not_covered"
            row["reason"] = r.why_not or "no k8saudit check evidences this control"
            out.append(row)
            continue
        mine = findings[findings["check_id"].isin(checks)]
        bad = live[live["check_id"].isin(checks)]
        row["failing_objects"] = len(bad.drop_duplicates(["cluster", "kind", "namespace", "name"]))
        row["exempt_findings"] = int(mine["exempt"].astype(bool).sum())
        states = {c: status.get(c, "not_run") for c in checks}
        if row["failing_objects"]:
            row["status"] = "fail"
        elif any(s != "pass" for s in states.values()):
            row["status"] = "not_assessable"
            row["reason"] = "; ".join(
                f"{c}: {'not run in this audit' if s == 'not_run' else reasons.get(c, s)}"
                for c, s in states.items()
                if s != "pass"
            )
        else:
            row["status"] = "pass"
        out.append(row)
    df = pd.DataFrame(out, columns=COLUMNS)
    df["status"] = pd.Categorical(df["status"], categories=list(STATUSES))
    return df


def compliance_summary(findings: pd.DataFrame, frameworks: tuple[str, ...] | list[str] = FRAMEWORKS) -> pd.DataFrame:
    """Per framework: how many controls fail, are not assessable, pass, are not covered."""
    rows = []
    for fid in frameworks:
        counts = compliance(findings, fid)["status"].value_counts()
        rows.append({"framework": framework_label(fid), **{s: int(counts.get(s, 0)) for s in STATUSES}})
    return pd.DataFrame(rows, columns=["framework", *STATUSES])
