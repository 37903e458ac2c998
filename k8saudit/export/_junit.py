"""Findings → JUnit XML, for CI systems that show test reports.

One ``<testsuite>`` per practice; one ``<testcase>`` per (check, object): a
``<failure>`` when any of its findings is open, ``<skipped>`` when all are exempt.
From the audit's stats (``findings.attrs["stats"]``) a check that evaluated
objects without failing becomes a passing testcase; a check without a complete
verdict (not assessable, partial, crashed) an ``<error>`` whose type is its status
and message the reason: a partial audit is never green. Every suite carries the
properties ``k8saudit.partial`` (true/false) and ``k8saudit.not_assessed`` (how many
checks); when the snapshot could not read something, a last suite "Input not
assessed" has one testcase per item: an ``<error>`` (its category) for what was lost,
``<skipped>`` for what was only noted (not Kubernetes, empty, identical duplicate).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .._util import plural
from ..findings import check_stats
from ..vocab import NOTED, PRACTICES, STATS_COLUMNS, practice_label
from ._common import (
    captured_at,
    check_of,
    columns,
    generated_at,
    not_assessed_checks,
    object_ref,
    skipped_input,
    sort_findings,
    text,
)
from ._registry import Format, register

if TYPE_CHECKING:
    from ..snapshot import Snapshot

_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _x(v: Any) -> str:
    return _XML_BAD.sub("\ufffd", text(v))


def _case(suite: ET.Element, classname: str, name: str) -> ET.Element:
    return ET.SubElement(suite, "testcase", {"classname": _x(classname), "name": _x(name), "time": "0"})


def document(findings: pd.DataFrame, snapshot: Snapshot | None = None) -> ET.Element:
    columns(findings)
    if "status" in findings.columns:  # a diff: resolved findings no longer fail
        findings = findings[findings["status"].astype("string") != "resolved"]
    stats = check_stats(findings)
    stats = stats if stats is not None else pd.DataFrame(columns=STATS_COLUMNS)
    practices = sorted({int(p) for p in findings["practice"].dropna()} | {int(p) for p in stats["practice"].dropna()})
    multi = findings["cluster"].nunique() > 1 or stats["cluster"].nunique() > 1
    root = ET.Element("testsuites", {"name": "k8saudit"})
    ordered = sort_findings(findings)
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    stamp = captured_at(findings, snapshot) or generated_at()
    n_gaps = len(not_assessed_checks(findings))
    props = {"k8saudit.partial": "true" if n_gaps else "false", "k8saudit.not_assessed": str(n_gaps)}

    def new_suite(name: str) -> ET.Element:
        suite = ET.SubElement(root, "testsuite", {"name": _x(name), "timestamp": _x(stamp.rstrip("Z")), "time": "0"})
        pe = ET.SubElement(suite, "properties")
        for k, v in props.items():
            ET.SubElement(pe, "property", {"name": k, "value": v})
        return suite

    suites = []
    for p in practices:
        suite = new_suite(f"{p}. {PRACTICES.get(p, practice_label(p))}")
        suites.append(suite)
        mine = ordered[ordered["practice"].eq(p).fillna(False).astype(bool)]
        keys = ["cluster", "check_id", "kind", "namespace", "name"]
        for (cl, cid, kind, ns, name), grp in mine.groupby(keys, dropna=False, sort=False):
            obj = object_ref(kind, ns, name)
            case = _case(suite, f"k8saudit.{cid}", (f"{cl}: " if multi else "") + obj)
            open_ = grp[~grp["exempt"].astype(bool)]
            first = grp.iloc[0]
            if len(open_):
                lines = []
                for r in open_.itertuples(index=False):
                    named = not text(r.container) or text(r.container) in text(r.message)
                    who = "" if named else f"container {r.container}: "
                    lines.append(
                        f"{who}{text(r.message)}" + (f"\n  evidence: {text(r.evidence)}" if text(r.evidence) else "")
                    )
                c = check_of(text(cid))
                lines.append("\nRemediation:\n" + (c.remediation if c else text(first["remediation"])))
                fail = ET.SubElement(
                    case,
                    "failure",
                    {
                        "message": _x(f"[{first['severity']}] {first['title']}: {open_.iloc[0]['message']}"),
                        "type": _x(first["severity"]),
                    },
                )
                fail.text = _x("\n".join(lines))
            else:
                ET.SubElement(case, "skipped", {"message": _x(f"exempt: {text(first['exempt_reason'])}")})
        st = stats[stats["practice"].astype("Int64").eq(p).fillna(False).astype(bool)]
        s: Any
        for s in st.itertuples(index=False):
            label = (f"{s.cluster}: " if multi else "") + f"{plural(int(s.evaluated), 'object')} evaluated"
            if s.status == "pass" and int(s.evaluated) > 0:
                _case(suite, f"k8saudit.{s.check_id}", label + ", none failing")
            elif s.status in ("not_assessable", "partial"):
                what = "not assessable" if s.status == "not_assessable" else "partial"
                case = _case(suite, f"k8saudit.{s.check_id}", (f"{s.cluster}: " if multi else "") + what)
                ET.SubElement(case, "error", {"message": _x(s.reason), "type": s.status})
            elif s.status == "error":
                case = _case(suite, f"k8saudit.{s.check_id}", (f"{s.cluster}: " if multi else "") + "check error")
                ET.SubElement(case, "error", {"message": _x(s.reason), "type": "CheckError"})
    sk = skipped_input(findings)
    if len(sk):
        suite = new_suite("Input not assessed")
        suites.append(suite)
        for r in sk.itertuples(index=False):
            doc = f"#{r.document}" if text(r.document) else ""
            obj = object_ref(r.kind, r.namespace, r.name)
            case = _case(
                suite,
                f"k8saudit.input.{text(r.category)}",
                (f"{r.cluster}: " if multi else "") + f"{text(r.source)}{doc}" + (f" {obj}" if obj else ""),
            )
            if r.category in NOTED:
                ET.SubElement(case, "skipped", {"message": _x(f"noted ({r.category}): {text(r.reason)}")})
            else:
                ET.SubElement(case, "error", {"message": _x(r.reason), "type": _x(r.category)})
    for suite in suites:
        counts = {
            "tests": len(suite.findall("testcase")),
            "failures": len(suite.findall("testcase/failure")),
            "errors": len(suite.findall("testcase/error")),
            "skipped": len(suite.findall("testcase/skipped")),
        }
        for k, v in counts.items():
            suite.set(k, str(v))
            totals[k] += v
    for k, v in totals.items():
        root.set(k, str(v))
    root.set("time", "0")
    return root


def findings_junit(findings: pd.DataFrame, snapshot: Snapshot | None = None) -> str:
    root = document(findings, snapshot)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write(findings: pd.DataFrame, path: Path, snapshot: Snapshot | None = None) -> None:
    path.write_text(findings_junit(findings, snapshot), encoding="utf-8")


register(
    Format(
        "junit",
        (".xml",),
        text=findings_junit,
        write=write,
        aliases=("xml",),
        stem="results",
        description="JUnit XML: one test case per check and object, for CI",
    )
)
