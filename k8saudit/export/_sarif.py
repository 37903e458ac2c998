"""Findings → SARIF 2.1.0, for code-scanning dashboards.

One run; ``tool.driver.rules`` holds every registered check (id, title, why,
remediation, help link, default level, ``security-severity`` and the practice as
a tag). Levels by severity: critical and high → ``error``, medium → ``warning``,
low and info → ``note``. ``partialFingerprints`` carry the stable
``finding_id``, so dashboards track a finding across runs.

Every result names its object as a logical location ``Kind/namespace/name``.
When the snapshot came from manifests (``meta["origin"] == "files"``), a result on
an object read from a file also points at that file and the line its document
starts on: a relative, percent-encoded URI with a ``uriBaseId`` declared in
``run.originalUriBaseIds``: ``%SRCROOT%`` (the directory the export was made in,
the repository root in CI) for files below it, else ``SAMPLE`` (the bundled
sample's directory) or ``ROOT`` (the scan root). Findings on the cluster as a
whole, or on objects implied rather than read, keep their logical location only.

GitHub code scanning's ingestion rules are kept: rules carry ``help.text``,
``precision``, the ``security`` tag next to ``security-severity``; every result a
message, one location and ``partialFingerprints``; at most 25,000 results per run
(beyond that the worst are kept, a ``limit`` notification says how many were left
out and ``run.properties.results_left_out`` counts them). Exempt findings
are kept, with an external suppression carrying the reason. The changes of
:func:`k8saudit.diff` carry SARIF's ``baselineState`` (new, unchanged, updated,
absent).

What the audit could not assess is in ``runs[0].invocations[0]``: ``executionSuccessful``
is false for a partial audit, and ``toolExecutionNotifications`` holds one notification
per check without a complete verdict (``error`` for not assessable, ``warning`` for
partial; ``associatedRule`` names the check) and one per input the snapshot could not
read (``warning``) or only noted (``note``: not Kubernetes, empty, identical duplicate).
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pandas as pd

from ..checks import CHECKS, Check
from ..vocab import NOTED, PRACTICE_SHORT, SEVERITY_ORDER
from ._common import (
    captured_at,
    check_of,
    clusters,
    columns,
    help_uri,
    is_na,
    not_assessed_checks,
    object_ref,
    skipped_input,
    text,
    version,
)
from ._registry import Format, register

if TYPE_CHECKING:
    from ..snapshot import Snapshot

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT = "k8sauditFindingId/v1"
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
#: diff() statuses → SARIF ``result.baselineState``
BASELINE_STATES = {"new": "new", "unchanged": "unchanged", "severity_changed": "updated", "resolved": "absent"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "1.0"}


def information_uri() -> str:
    """The project's home page, from the installed package's metadata when it names one."""
    try:
        from importlib.metadata import PackageNotFoundError, metadata

        md = metadata("k8saudit")
        for entry in md.get_all("Project-URL") or []:
            url = entry.split(",", 1)[-1].strip()
            if url.startswith("http"):
                return url
        home = (md.get_all("Home-page") or [""])[0]
        if home.startswith("http"):
            return home
    except (ImportError, PackageNotFoundError):
        pass
    return "https://pypi.org/project/k8saudit/"


def _rule(c: Check | None, check_id: str, first: pd.Series | None) -> dict[str, Any]:
    title = c.title if c else text(first["title"] if first is not None else check_id)
    severity = c.severity if c else text(first["severity"] if first is not None else "medium")
    practice = (
        c.practice if c else (int(first["practice"]) if first is not None and not is_na(first["practice"]) else 0)
    )
    remedy = c.remediation if c else text(first["remediation"] if first is not None else "")
    why = c.why if c else title
    refs = list(c.references) if c else []
    md = f"**Remediation**\n\n{remedy}" + ("\n\n**References**\n\n" + "\n".join(f"- {r}" for r in refs) if refs else "")
    rule: dict[str, Any] = {
        "id": check_id,
        "name": "".join(w.capitalize() for w in check_id.replace("_", "-").split("-")),
        "shortDescription": {"text": title},
        "fullDescription": {"text": why},
        "help": {"text": remedy or title, "markdown": md},
        "helpUri": help_uri(c) or information_uri(),
        "defaultConfiguration": {"level": LEVELS.get(severity, "warning")},
        "properties": {
            "security-severity": SECURITY_SEVERITY.get(severity, "5.5"),
            "precision": "high",
            "tags": ["security", "kubernetes", f"practice-{practice}", PRACTICE_SHORT.get(practice, "other")],
            "practice": practice,
            "severity": severity,
        },
    }
    return rule


#: the base of paths below the directory the export was made in (the repository root in CI); code-scanning
#: uploads resolve it to the checkout
SRCROOT = "%SRCROOT%"
#: GitHub code scanning's limits (docs.github.com, "SARIF support for code scanning" and "SARIF results exceed
#: limits"): results per run, and the upload's size once gzip-compressed
MAX_RESULTS = 25_000
MAX_GZIP_BYTES = 10 * 1024**2
_URI_SAFE = "/-._~!$&'()*+,;=:@"


def relative_uri(path: PurePosixPath) -> str:
    """A relative path as a relative URI reference: each segment percent-encoded (spaces, ``%``, ``#``, ``?``,
    non-ASCII), never a scheme, never a leading ``/``, never ``..``."""
    parts = [p for p in path.parts if p not in ("", ".")]
    if not parts or path.is_absolute() or ".." in parts:
        raise ValueError(f"not a relative path below its base: {path}")
    uri = "/".join(quote(p, safe=_URI_SAFE.replace("/", "")) for p in parts)
    # a first segment with a colon would read as a scheme ("c:x.yaml"): RFC 3986 section 4.2
    return "./" + uri if ":" in uri.split("/", 1)[0] else uri


def _dir_uri(d: Path) -> str:
    return d.as_uri().rstrip("/") + "/"


class _Places:
    """Where manifests were read from: ``(uriBaseId, relative URI)`` of each file, and the bases in
    ``run.originalUriBaseIds``: ``%SRCROOT%`` (the current directory) for files below it, else the bundled
    sample's directory (``SAMPLE``) or the scan root (``ROOT``, ``ROOT2`` ...)."""

    def __init__(self) -> None:
        self.cwd = Path.cwd().resolve()
        self.bases: dict[str, dict[str, Any]] = {}
        self._ids: dict[Path, str] = {}

    def place(self, file: Path, base: Path, sample: str | None) -> tuple[str, str]:
        if file.is_relative_to(self.cwd):
            return self._base(self.cwd, SRCROOT, None), relative_uri(
                PurePosixPath(file.relative_to(self.cwd).as_posix())
            )
        if sample:
            bid = self._base(base, "SAMPLE", f"the bundled sample cluster (data/{sample})")
        else:
            bid = self._base(base, "ROOT", "a directory the scan read, outside the one the export was made in")
        return bid, relative_uri(PurePosixPath(file.relative_to(base).as_posix()))

    def _base(self, d: Path, stem: str, what: str | None) -> str:
        if d in self._ids:
            return self._ids[d]
        bid, n = stem, 1
        while bid in self.bases:
            n += 1
            bid = f"{stem}{n}"
        self._ids[d] = bid
        entry: dict[str, Any] = {"uri": _dir_uri(d)}
        if what:
            entry["description"] = {"text": what}
        self.bases[bid] = entry
        return bid


def _locations(
    snapshot: Snapshot | None, places: _Places
) -> dict[tuple[str, str, str | None, str], tuple[str, str, int]]:
    """(cluster, kind, namespace, name) → (uriBaseId, relative URI, line) for snapshots read from manifests
    whose files are still there."""
    out: dict[tuple[str, str, str | None, str], tuple[str, str, int]] = {}
    if snapshot is None:
        return out
    for s in snapshot.members or [snapshot]:
        if s.meta.get("origin") != "files":
            continue
        if s.meta.get("roots"):
            bases = [Path(r) for r in s.meta["roots"]]
        else:  # a snapshot saved before roots were recorded: its source names the paths
            roots = [Path(r) for r in s.source.split(", ") if r]
            bases = [(r if r.is_dir() else r.parent).resolve() for r in roots]
        sample = s.meta.get("sample")
        found: dict[str, tuple[str, str] | None] = {}
        objs = s.objects
        for cl, kind, ns, name, src, line in zip(
            objs["cluster"], objs["kind"], objs["namespace"], objs["name"], objs["source"], objs["line"]
        ):
            label = text(src).rpartition("#")[0] or text(src)
            if label not in found:
                base = next((b for b in bases if label and (b / label).is_file()), None)
                found[label] = None if base is None else places.place((base / label).resolve(), base, sample)
            where = found[label]
            if where is None:
                continue
            key = (text(cl), text(kind), None if is_na(ns) else str(ns), text(name))
            out.setdefault(key, (*where, 0 if is_na(line) else int(line)))
    return out


def document(findings: pd.DataFrame, snapshot: Snapshot | None = None) -> dict[str, Any]:
    columns(findings)
    firsts: dict[Any, pd.Series] = {cid: grp.iloc[0] for cid, grp in findings.groupby("check_id", sort=False)}
    rules: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for cid in CHECKS:
        seen[cid] = len(rules)
        rules.append(_rule(CHECKS[cid], cid, None))
    for key, first in firsts.items():  # checks no longer registered (an old export), or aliases
        cid = str(key)
        if cid not in seen:
            seen[cid] = len(rules)
            rules.append(_rule(check_of(cid), cid, first))
    places = _Places()
    where = _locations(snapshot, places)
    has_status = "status" in findings.columns
    kept = _within_limit(findings)
    results = []
    r: Any
    for r in kept.itertuples(index=False):
        sev = text(r.severity)
        obj = object_ref(r.kind, r.namespace, r.name)
        container = f", container {r.container}" if text(r.container) else ""
        loc: dict[str, Any] = {
            "logicalLocations": [{"fullyQualifiedName": obj, "name": text(r.name) or obj, "kind": "resource"}]
        }
        key = (text(r.cluster), text(r.kind), None if is_na(r.namespace) else str(r.namespace), text(r.name))
        if key in where:
            base, uri, line = where[key]
            loc["physicalLocation"] = {
                "artifactLocation": {"uri": uri, "uriBaseId": base},
                "region": {"startLine": max(line, 1)},
            }
        cid = text(r.check_id)
        res: dict[str, Any] = {
            "ruleId": cid,
            "ruleIndex": seen[cid],
            "level": LEVELS.get(sev, "warning"),
            "message": {"text": f"{text(r.message)} ({obj}{container})"},
            "locations": [loc],
            "partialFingerprints": {FINGERPRINT: text(r.finding_id)},
            "properties": {
                "cluster": text(r.cluster),
                "severity": sev,
                "practice": None if is_na(r.practice) else int(r.practice),
                "evidence": text(r.evidence),
            },
        }
        if has_status:  # a diff: SARIF's own baseline states
            res["baselineState"] = BASELINE_STATES.get(text(r.status), "unchanged")
        if bool(r.exempt):
            res["suppressions"] = [{"kind": "external", "justification": text(r.exempt_reason) or "exempt"}]
        results.append(res)
    run: dict[str, Any] = {
        "invocations": [_invocation(findings, seen, len(findings) - len(kept))],
        "tool": {
            "driver": {
                "name": "k8saudit",
                "version": version(),
                "semanticVersion": version(),
                "informationUri": information_uri(),
                "rules": rules,
            }
        },
        "results": results,
        "columnKind": "unicodeCodePoints",
        "properties": {
            "clusters": clusters(findings, snapshot),
            "captured_at": captured_at(findings, snapshot),
            "findings": len(findings),
            "results_left_out": len(findings) - len(kept),
        },
    }
    if places.bases:
        run["originalUriBaseIds"] = places.bases
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def _within_limit(findings: pd.DataFrame) -> pd.DataFrame:
    """All findings, or beyond :data:`MAX_RESULTS` the worst ones: open before exempt, then by severity (in their
    order otherwise)."""
    if len(findings) <= MAX_RESULTS:
        return findings
    rank = {sev: i for i, sev in enumerate(SEVERITY_ORDER)}
    key = (
        findings["exempt"].astype(bool).to_numpy() * len(rank)
        + findings["severity"].astype("string").map(rank).fillna(len(rank) - 1).to_numpy()
    )
    keep = pd.Series(key).sort_values(kind="stable").index[:MAX_RESULTS].sort_values()
    return findings.iloc[keep]


def _invocation(findings: pd.DataFrame, seen: dict[str, int], left_out: int = 0) -> dict[str, Any]:
    gaps = not_assessed_checks(findings)
    notes: list[dict[str, Any]] = []
    if left_out:
        notes.append(
            {
                "level": "warning",
                "message": {
                    "text": f"{left_out:,} of {len(findings):,} findings left out: code scanning accepts at most "
                    f"{MAX_RESULTS:,} results per run; these are the least severe (exempt ones first). "
                    "Every finding is in the CSV, JSON or XLSX export."
                },
                "properties": {"kind": "limit", "results_left_out": left_out, "findings": len(findings)},
            }
        )
    g: Any
    for g in gaps.itertuples(index=False):
        cid = text(g.check_id)
        note: dict[str, Any] = {
            "level": "warning" if g.status == "partial" else "error",
            "message": {"text": f"{cid} on {text(g.cluster)}: {text(g.status).replace('_', ' ')}: {text(g.reason)}"},
            "properties": {
                "kind": "check",
                "cluster": text(g.cluster),
                "check_id": cid,
                "status": text(g.status),
                "practice": None if is_na(g.practice) else int(g.practice),
            },
        }
        if cid in seen:
            note["associatedRule"] = {"id": cid, "index": seen[cid]}
        notes.append(note)
    r: Any
    for r in skipped_input(findings).itertuples(index=False):
        doc = f"#{r.document}" if text(r.document) else ""
        obj = object_ref(r.kind, r.namespace, r.name)
        notes.append(
            {
                "level": "note" if r.category in NOTED else "warning",
                "message": {
                    "text": f"{text(r.category)}: {text(r.source)}{doc}{': ' + obj if obj else ''}: {text(r.reason)}"
                },
                "properties": {
                    "kind": "input",
                    "cluster": text(r.cluster),
                    "category": text(r.category),
                    "source": text(r.source),
                    "document": text(r.document) or None,
                    "object_kind": text(r.kind) or None,
                    "namespace": text(r.namespace) or None,
                    "name": text(r.name) or None,
                },
            }
        )
    return {"executionSuccessful": gaps.empty, "toolExecutionNotifications": notes}


def findings_sarif(findings: pd.DataFrame, snapshot: Snapshot | None = None) -> str:
    return json.dumps(document(findings, snapshot), indent=2, ensure_ascii=False) + "\n"


def write(findings: pd.DataFrame, path: Path, snapshot: Snapshot | None = None) -> None:
    path.write_text(findings_sarif(findings, snapshot), encoding="utf-8")


register(
    Format(
        "sarif",
        (".sarif", ".sarif.json"),
        text=findings_sarif,
        write=write,
        description="SARIF 2.1.0 for code-scanning dashboards",
    )
)
