"""audit(): run the checks → one findings DataFrame; exemptions; the scorecard.

Findings have a fixed schema (``FINDINGS_COLUMNS``) whatever the source. Exemptions
mark rows (``exempt``, ``exempt_reason``); they never delete them.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import fnmatch
import hashlib
import operator
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import msgspec.yaml
import numpy as np
import pandas as pd
import yaml

from ._util import gc_paused, plural
from .checks import CHECKS, Check
from .frames import spec as frame_spec
from .snapshot import Snapshot, SnapshotError, category_not_assessed
from .vocab import CHECK_STATUSES as STATUSES  # noqa: F401  (public here since the first release)
from .vocab import FINDINGS_COLUMNS as FINDINGS_COLUMNS  # public here since the first release
from .vocab import (
    FINDINGS_DTYPES,
    INCOMPLETE,
    NOT_ASSESSED_COLUMNS,
    PRACTICES,
    SEVERITIES,
    SKIPPED_COLUMNS,
    STATS_COLUMNS,
    score_band,
)
from .vocab import SEVERITY_DTYPE as SEVERITY_DTYPE  # public here since the first release

IGNORE_ANNOTATION = "k8saudit.io/ignore"
REASON_ANNOTATION = "k8saudit.io/exempt-reason"


class DefaultExemption(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """One built-in exemption (``k8saudit/data/default-exemptions.yaml``): the checks it covers, the object it
    matches (namespace and name are globs) and why."""

    checks: list[str]
    namespace: str
    kind: str
    name: str
    reason: str


#: the packaged defaults, well-known system components that need what the checks flag
DEFAULT_EXEMPTIONS_FILE = Path(__file__).parent / "data" / "default-exemptions.yaml"


def default_exemptions(path: str | os.PathLike[str] | None = None) -> list[DefaultExemption]:
    """The built-in exemptions (or those of ``path``), validated: every field present and typed, nothing
    unknown, every check id registered (an alias counts). A bad file is a :class:`ConfigError` naming it."""
    p = Path(path) if path is not None else DEFAULT_EXEMPTIONS_FILE
    if path is None and p in _DEFAULTS:
        return _DEFAULTS[p]
    try:
        items = msgspec.yaml.decode(p.read_bytes(), type=list[DefaultExemption])
    except OSError as e:
        raise ConfigError(f"{p}: cannot read: {e.strerror or e}") from None
    except msgspec.ValidationError as e:
        raise ConfigError(f"{p}: {e}") from None
    except msgspec.DecodeError as e:
        raise ConfigError(f"{p}: not YAML: {' '.join(str(e).split())}") from None
    known = set(CHECKS) | {a for c in CHECKS.values() for a in c.aliases}
    for i, d in enumerate(items):
        unknown = [c for c in d.checks if c not in known]
        if unknown or not d.checks:
            raise ConfigError(
                f"{p}: entry {i} ({d.kind} {d.namespace}/{d.name}): "
                + (f"unknown check id(s) {', '.join(unknown)}" if unknown else "no check ids")
            )
    if path is None:
        _DEFAULTS[p] = items
    return items


_DEFAULTS: dict[Path, list[DefaultExemption]] = {}


@dataclass
class Waiver:
    """One entry of a waivers file."""

    check: str
    namespace: str = "*"
    kind: str = "*"
    name: str = "*"
    reason: str = ""
    owner: str = ""
    expires: _dt.date | None = None
    source: str = ""

    def expired(self, today: _dt.date) -> bool:
        return self.expires is not None and self.expires < today


class ConfigError(ValueError):
    """A waivers or config file cannot be used; the message names the file and entry."""


def unknown_check(pattern: str) -> str | None:
    """None when ``pattern`` (a check id, or a glob such as ``rbac-*``) names at least one check; else the message
    "no check 'X' (did you mean 'Y'?)", the suggestion being the closest real id."""
    if pattern in CHECKS or (
        any(ch in pattern for ch in "*?[") and any(fnmatch.fnmatchcase(cid, pattern) for cid in CHECKS)
    ):
        return None
    close = difflib.get_close_matches(pattern, list(CHECKS), n=1, cutoff=0.5)
    hint = f" (did you mean {close[0]!r}?)" if close else " (`k8saudit checks` lists them)"
    return f"no check {pattern!r}{hint}"


def _reason(e: OSError | yaml.YAMLError) -> str:
    """Why a file could not be read, in words: "No such file or directory", not "[Errno 2] ... '/path'"."""
    if isinstance(e, OSError):
        return e.strerror.lower() if e.strerror else str(e)
    return "not YAML: " + " ".join(str(e).split())


def load_waivers(path: str | os.PathLike[str]) -> list[Waiver]:
    """Read a waivers file: ``waivers: [{check, namespace, kind, name, reason, owner, expires}]``."""
    p = Path(path)
    try:
        doc = yaml.safe_load(p.read_text())
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"{p}: cannot read waivers file: {_reason(err)}") from None
    entries = doc.get("waivers") if isinstance(doc, dict) else doc
    if not isinstance(entries, list):
        raise ConfigError(f"{p}: expected a list under `waivers:`")
    out = []
    for i, e in enumerate(entries):
        if not isinstance(e, dict) or not e.get("check"):
            raise ConfigError(f"{p}: waiver #{i + 1} needs at least `check:`")
        if not e.get("reason"):
            raise ConfigError(f"{p}: waiver #{i + 1} ({e.get('check')}) needs a `reason:`")
        if (bad := unknown_check(str(e["check"]))) is not None:
            raise ConfigError(f"{p}: waiver #{i + 1}: {bad}")
        exp = e.get("expires")
        if exp is not None and not isinstance(exp, _dt.date):
            try:
                exp = _dt.date.fromisoformat(str(exp))
            except ValueError:
                raise ConfigError(f"{p}: waiver #{i + 1}: `expires: {exp}` is not a date (YYYY-MM-DD)") from None
        out.append(
            Waiver(
                check=str(e["check"]),
                namespace=str(e.get("namespace", "*")),
                kind=str(e.get("kind", "*")),
                name=str(e.get("name", "*")),
                reason=str(e["reason"]),
                owner=str(e.get("owner", "")),
                expires=exp,
                source=f"{p}#{i + 1}",
            )
        )
    return out


def load_config(path: str | os.PathLike[str] | None) -> dict[str, Any]:
    """Read a config file: ``severities: {check-id: level}``, ``disabled: [check-id]``."""
    if path is None:
        return {}
    p = Path(path)
    try:
        doc = yaml.safe_load(p.read_text()) or {}
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"{p}: cannot read config: {_reason(e)}") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{p}: expected a mapping")
    for cid, sev in (doc.get("severities") or {}).items():
        if (bad := unknown_check(str(cid))) is not None or cid not in CHECKS:
            raise ConfigError(f"{p}: severities: {bad or f'no check {cid!r}'}")
        if sev not in SEVERITIES:
            raise ConfigError(f"{p}: severities: {cid}: {sev!r} is not one of {', '.join(SEVERITIES)}")
    for cid in doc.get("disabled") or []:
        if (bad := unknown_check(str(cid))) is not None or cid not in CHECKS:
            raise ConfigError(f"{p}: disabled: {bad or f'no check {cid!r}'}")
    return doc


#: the columns a finding's id hashes: two audits of the same cluster match findings on it
ID_COLUMNS = ("cluster", "check_id", "kind", "namespace", "name", "container")


def _id_text(v: Any) -> str:
    return "" if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v)


def finding_id(cluster: str, check_id: str, kind: str, namespace: str, name: str, container: str) -> str:
    """The stable id of a finding: a hash of ``ID_COLUMNS`` (a missing value counts as empty)."""
    return _finding_ids(
        pd.DataFrame([[cluster, check_id, kind, namespace, name, container]], columns=list(ID_COLUMNS), dtype=object)
    )[0]


def _finding_ids(rows: pd.DataFrame) -> list[str]:
    """:func:`finding_id` of every row, vectorised over the columns: the texts are joined by numpy, hashed
    by ``map`` (no Python frame per row) and the first 8 bytes of each digest written out as hex at once."""
    n = len(rows)
    if not n:
        return []
    cols = []
    for c in ID_COLUMNS:
        col = rows[c].to_numpy(dtype=object, na_value="")
        if pd.api.types.infer_dtype(col, skipna=False) != "string":  # a value that is not text: through str()
            col = np.array([_id_text(v) for v in col], dtype=object)
        cols.append(col)
    text = map(str.encode, map("\x1f".join, zip(*cols)))
    digests = b"".join(map(_DIGEST, map(hashlib.sha1, text)))
    heads = np.frombuffer(digests, dtype=np.uint8).reshape(n, 20)[:, :8]
    ids: list[str] = np.frombuffer(heads.tobytes().hex().encode(), dtype="S16").astype("U16").tolist()
    return ids


_DIGEST = operator.methodcaller("digest")


def empty_findings() -> pd.DataFrame:
    df = pd.DataFrame({c: pd.Series([], dtype="string") for c in FINDINGS_COLUMNS})
    return _types(df)


def _types(df: pd.DataFrame) -> pd.DataFrame:
    return df.astype(FINDINGS_DTYPES)


def _frames_for(c: Check, snap: Snapshot) -> tuple[dict[str, Any], int]:
    """The frames a check takes, and how many objects it evaluated: the rows of its ``on`` frame (after
    ``where``), counted by the frame's key columns when an object spans several rows."""
    args: dict[str, Any] = {}
    evaluated = 1
    for p in c.params:
        if p == "snap":
            args[p] = snap
            continue
        df = snap.frame(p)
        if p == c.on:
            if c.where:
                df = df.query(c.where)
            spec = frame_spec(p)
            evaluated = len(df) if spec.one_row_per_object else len(df.drop_duplicates(list(spec.keys)))
        args[p] = df
    if c.on == "cluster":
        evaluated = 1
    return args, evaluated


class NoObjectsError(SnapshotError):
    """The input holds no Kubernetes object at all: there is nothing to audit (not an empty cluster)."""


@dataclass
class Coverage:
    """What one snapshot's skipped rows mean for the checks (see ``k8saudit.snapshot.NOTED``)."""

    #: kinds whose list failed at cluster scope → reason
    missing: dict[str, str]
    #: kinds read in part (a namespace forbidden, a list that ended early, an object that failed to load) → reason
    partial: dict[str, str]
    #: not-assessed rows that name no kind (a file or document that could not be parsed): any check may miss them
    unknown: list[str]
    error: str | None = None

    @classmethod
    def of(cls, snap: Snapshot) -> Coverage:
        missing = snap.unreadable_kinds()
        partial: dict[str, str] = {}
        unknown: list[str] = []
        for r in snap.skipped_records:
            if not category_not_assessed(r["category"]):
                continue
            kind = r["kind"]
            if not kind:
                doc = f"#{r['document']}" if r.get("document") not in (None, "") else ""
                unknown.append(f"{r['source']}{doc}: {r['reason']}")
            elif kind not in missing:
                partial.setdefault(kind, _where(r) + r["reason"])
        return cls(missing, partial, unknown, snap.meta.get("error"))


def _where(r: dict[str, Any]) -> str:
    what = "/".join(str(x) for x in (r.get("namespace"), r.get("name")) if x)
    return f"{what}: " if r.get("name") else f"in namespace {r['namespace']}: " if r.get("namespace") else ""


def assessable(c: Check, snap: Snapshot, coverage: Coverage | None = None) -> tuple[str | None, str | None]:
    """(status, reason) when the check cannot give a complete verdict on this snapshot, else (None, None).

    ``not_assessable``: the cluster could not be read, one of the check's input kinds
    (:attr:`Check.inputs`) could not be listed at all, or the kube-apiserver's flags are not
    visible. ``partial``: an input kind was read in part (forbidden in some namespaces, a list
    that ended early, an object of that kind that failed to parse, validate or conflicted with
    another copy), or a document of unknown kind could not be read. Either way the check never
    reports ``pass``.
    """
    cov = coverage or Coverage.of(snap)
    if cov.error:
        return "not_assessable", f"the cluster could not be read: {cov.error}"
    missing = [k for k in c.inputs if k in cov.missing]
    if missing:
        return "not_assessable", "; ".join(f"could not read {k}: {cov.missing[k]}" for k in missing)
    if c.needs_apiserver and not snap.apiserver_visible:
        return "not_assessable", (
            "not assessable from the API: the kube-apiserver's flags are not visible (managed control plane?)"
        )
    part = [k for k in c.inputs if k in cov.partial]
    if part:
        return "partial", "; ".join(f"{k} read in part ({cov.partial[k]})" for k in part)
    if cov.unknown and c.inputs:
        more = f" (and {len(cov.unknown) - 1} more)" if len(cov.unknown) > 1 else ""
        return (
            "partial",
            f"{plural(len(cov.unknown), 'input item')} of unknown kind could not be read: {cov.unknown[0]}{more}",
        )
    return None, None


def run_checks(snap: Snapshot, checks: list[Check] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run checks on one cluster's snapshot → (raw rows, per-check stats).

    A check that is not assessable or partial (:func:`assessable`) still runs on what was read,
    when anything was, and its findings are kept: they are real. Its status stays what
    :func:`assessable` says, never ``pass`` or ``fail``.
    """
    parts: list[pd.DataFrame] = []
    stats: list[dict[str, Any]] = []
    cov = Coverage.of(snap)
    for c in checks if checks is not None else list(CHECKS.values()):
        status, reason = assessable(c, snap, cov)
        base = {"cluster": snap.cluster, "check_id": c.id, "practice": c.practice}
        if status == "not_assessable" and (cov.error or (c.needs_apiserver and not snap.apiserver_visible)):
            stats.append({**base, "evaluated": 0, "failing": 0, "status": status, "reason": reason})
            continue
        try:
            args, evaluated = _frames_for(c, snap)
            out = c.fn(**args)
            out = _normalize_rows(out, c)
        except Exception as e:  # a broken check is reported; the others still run
            stats.append(
                {**base, "evaluated": 0, "failing": 0, "status": "error", "reason": f"{type(e).__name__}: {e}"}
            )
            parts.append(
                pd.DataFrame(
                    [
                        {
                            "check_id": c.id,
                            "kind": "CheckError",
                            "namespace": None,
                            "name": c.id,
                            "container": None,
                            "message": f"check failed: {type(e).__name__}: {e}",
                            "evidence": None,
                        }
                    ]
                )
            )
            continue
        # distinct failing objects: rows are one per (kind, namespace, name, container) already
        failing = len(out)
        if failing and c.on != "containers" and out["container"].notna().any():
            failing -= int(out.duplicated(["kind", "namespace", "name"]).sum())
        if status is None:
            status = "fail" if len(out) else "pass"
        stats.append({**base, "evaluated": int(evaluated), "failing": int(failing), "status": status, "reason": reason})
        if len(out):
            out.insert(0, "check_id", c.id)
            parts.append(out)
    rows = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=["check_id", "kind", "namespace", "name", "container", "message", "evidence"])
    )
    rows.insert(0, "cluster", snap.cluster)
    return rows, pd.DataFrame(stats, columns=STATS_COLUMNS)


def _normalize_rows(out: pd.DataFrame, c: Check) -> pd.DataFrame:
    if not isinstance(out, pd.DataFrame):
        raise TypeError(f"check {c.id} returned {type(out).__name__}, not a DataFrame")
    n = len(out)
    cols = {
        col: out[col].to_numpy(dtype=object, na_value=None) if col in out.columns else np.full(n, None, object)
        for col in ("kind", "namespace", "name", "container", "message", "evidence")
    }
    df = pd.DataFrame(cols, copy=False)
    keys = ["kind", "namespace", "name", "container"]
    if n and df.duplicated(keys).any():  # one finding per object (a workload and the pods that differ from it)
        g = df.groupby(keys, dropna=False, sort=False)
        first = g.first().reset_index()
        first["evidence"] = (
            g["evidence"].agg(lambda s: "; ".join(dict.fromkeys(x for x in s if isinstance(x, str))) or None).to_numpy()
        )
        df = first[list(cols)].astype(object).where(first[list(cols)].notna(), None)
    return df


def audit(
    snap: Snapshot,
    *,
    practices: list[int] | None = None,
    checks: list[str] | None = None,
    waivers: list[Waiver] | str | os.PathLike[str] | None = None,
    default_exemptions: bool = True,
    config: dict[str, Any] | str | os.PathLike[str] | None = None,
    today: _dt.date | None = None,
) -> pd.DataFrame:
    """Run the checks over a snapshot → the findings DataFrame (schema: ``FINDINGS_COLUMNS``).

    ``findings.attrs`` holds ``stats`` (per check: evaluated, failing, status, reason),
    ``skipped`` (what the snapshot could not read, as in ``snap.skipped``) and
    ``expired_waivers``; :func:`scorecard`, :func:`not_assessed` and the exports read them.

    A check whose inputs could not be read is ``not_assessable``, one whose inputs were read
    in part ``partial``; neither is ever ``pass`` (:func:`assessable`). Such an audit is
    partial: :func:`not_assessed` lists why, and ``k8saudit scan --fail-on`` exits 3.
    A snapshot with no Kubernetes object at all (an empty directory, a file that is not a
    manifest, a dump the loader refused) raises :class:`NoObjectsError` instead of
    auditing an empty cluster.
    """
    with gc_paused():  # frames built on the way and the bookkeeping: millions of objects, no cycles
        return _audit(snap, practices, checks, waivers, default_exemptions, config, today)


def _audit(
    snap: Snapshot,
    practices: list[int] | None,
    checks: list[str] | None,
    waivers: list[Waiver] | str | os.PathLike[str] | None,
    default_exemptions: bool,
    config: dict[str, Any] | str | os.PathLike[str] | None,
    today: _dt.date | None,
) -> pd.DataFrame:
    if isinstance(waivers, (str, os.PathLike)):
        waivers = load_waivers(waivers)
    cfg = config if isinstance(config, dict) else load_config(config)
    disabled = set(cfg.get("disabled") or [])
    selected = [
        c
        for c in CHECKS.values()
        if (practices is None or c.practice in practices)
        and (checks is None or c.id in checks or any(a in checks for a in c.aliases))
        and c.id not in disabled
    ]
    members = snap.members or [snap]
    # a cluster that could not be read at all (meta "error") is audited: every check not assessable
    if not any(len(s) or s.kubeconfig_entries or s.meta.get("error") for s in members):
        raise NoObjectsError(no_objects_message(snap))
    all_rows, all_stats = [], []
    for s in members:
        rows, stats = run_checks(s, selected)
        all_rows.append(rows)
        all_stats.append(stats)
    rows = pd.concat(all_rows, ignore_index=True)
    stats = pd.concat(all_stats, ignore_index=True)
    sev_over = cfg.get("severities") or {}
    meta = {c.id: c for c in CHECKS.values()}
    # every column as a plain object array until the rows are sorted (gathering pointers is cheap; text
    # columns of many pieces are not), then typed once: per-check columns from each distinct check id
    codes, uniq = pd.factorize(rows["check_id"], use_na_sentinel=False)
    ids = list(uniq)

    def per_check(value: Any) -> np.ndarray[Any, Any]:
        out: np.ndarray[Any, Any] = np.array(
            [value(meta[k]) if k in meta else None for k in ids] + [None], dtype=object
        )[codes]
        return out

    rows["check_id"] = np.array(ids, dtype=object)[codes]
    rows["cluster"] = rows["cluster"].to_numpy(dtype=object, na_value=None)
    rows["practice"] = per_check(lambda c: c.practice)
    rows["severity"] = per_check(lambda c: sev_over.get(c.id, c.severity))
    rows["title"] = per_check(lambda c: c.title)
    rows["remediation"] = per_check(lambda c: c.remediation)
    msg = rows["message"]
    rows["message"] = msg.where(msg.notna() & (msg.astype("object") != ""), rows["title"])
    rows["finding_id"] = _finding_ids(rows)
    today = today or _dt.date.today()
    exempt, reasons, expired = _exemptions(rows, snap, waivers or [], default_exemptions, today)
    rows["exempt"] = exempt
    rows["exempt_reason"] = reasons
    df = rows[FINDINGS_COLUMNS].copy()
    df["_r"] = -pd.Categorical(df["severity"], dtype=SEVERITY_DTYPE).codes
    df = (
        df.sort_values(
            ["cluster", "practice", "_r", "check_id", "namespace", "kind", "name", "container"],
            na_position="first",
            kind="stable",
        )
        .drop(columns="_r")
        .reset_index(drop=True)
    )
    df = _types(df)
    # attrs hold plain data (records), so pandas can still concat and merge findings frames
    df.attrs["stats"] = stats.astype(object).where(stats.notna(), None).to_dict("records")
    df.attrs["expired_waivers"] = [{**w.__dict__, "expires": str(w.expires) if w.expires else None} for w in expired]
    df.attrs["skipped"] = [dict(r) for r in snap.skipped_records]
    df.attrs["clusters"] = list(snap.clusters)
    df.attrs["captured_at"] = snap.captured_at
    return df


def _annotations(snap: Snapshot) -> dict[tuple[str, str | None, str | None], dict[str, str]]:
    """Objects carrying k8saudit annotations: (kind, namespace, name) → annotations."""
    out: dict[tuple[str, str | None, str | None], dict[str, str]] = {}
    for kind in snap.kinds:
        for o in snap.items(kind):
            ann = o.metadata.annotations
            if ann and IGNORE_ANNOTATION in ann:
                out[(kind, o.metadata.namespace, o.metadata.name)] = ann
    return out


def _glob(series: pd.Series, pattern: str) -> pd.Series:
    """Vectorised fnmatch of a string column (NA counts as "")."""
    if pattern in ("*", ""):
        return pd.Series(True, index=series.index)
    # Python's re, not the string accessor: with pyarrow installed pandas hands .str.match to RE2,
    # which rejects the atomic groups fnmatch.translate writes
    match = re.compile(fnmatch.translate(pattern)).match
    values = series.astype("object").where(series.notna(), "").tolist()
    return pd.Series([match(str(v)) is not None for v in values], index=series.index, dtype=bool)


def _exemptions(
    rows: pd.DataFrame, snap: Snapshot, waivers: list[Waiver], defaults: bool, today: _dt.date
) -> tuple[list[bool], list[str | None], list[Waiver]]:
    """Mark rows exempt: annotations first, then waivers, then the built-in defaults."""
    n = len(rows)
    expired = [w for w in waivers if w.expired(today)]
    active = [w for w in waivers if not w.expired(today)]
    reason = pd.Series([None] * n, index=rows.index, dtype="object")
    if not n:
        return [], [], expired
    # annotations: only the few objects that carry one are looked up
    ann: dict[tuple[str, str | None, str | None], dict[str, str]] = {}
    for s in snap.members or [snap]:
        ann.update(_annotations(s))
    if ann:
        # the object's own annotation, else its namespace's: joined, not looked up row by row
        keys = list(ann)
        own = pd.DataFrame([(*k, i) for i, k in enumerate(keys)], columns=["kind", "namespace", "name", "_ann"])
        hit = (
            rows[["kind", "namespace", "name"]].astype(object).merge(own, how="left", on=["kind", "namespace", "name"])
        )
        by_ns = {k[2]: i for i, k in enumerate(keys) if k[0] == "Namespace"}
        which = hit["_ann"].where(hit["_ann"].notna(), rows["namespace"].astype(object).map(by_ns).to_numpy())
        values = list(ann.values())
        cids = rows["check_id"].tolist()
        for j, a in which.dropna().astype(int).items():  # positions: hit has a fresh RangeIndex
            note = values[a]
            ignored = {x.strip() for x in note.get(IGNORE_ANNOTATION, "").split(",") if x.strip()}
            cid = cids[j]
            if cid in ignored or "*" in ignored or "all" in ignored:
                reason.iat[j] = "annotation: " + note.get(REASON_ANNOTATION, f"{IGNORE_ANNOTATION} lists {cid}")
    for w in active:
        todo = reason.isna() & _glob(rows["check_id"], w.check)
        if not todo.any():
            continue
        sub = rows[todo]
        hit = _glob(sub["kind"], w.kind) & _glob(sub["namespace"], w.namespace) & _glob(sub["name"], w.name)
        until = f" until {w.expires}" if w.expires else ""
        owner = f" ({w.owner})" if w.owner else ""
        reason[hit[hit].index] = f"waiver{owner}: {w.reason}{until}"
    if defaults:
        # one pass over all rows picks those a default could cover; each default then looks at them only
        defs = default_exemptions()
        pick = np.flatnonzero(
            (
                reason.isna()
                & rows["check_id"].isin({c for d in defs for c in d.checks})
                & rows["kind"].isin({d.kind for d in defs})
            ).to_numpy(dtype=bool, na_value=False)
        )
        cand = rows[["check_id", "kind", "namespace", "name"]].iloc[pick]
        cids, kinds = cand["check_id"].to_numpy(dtype=object), cand["kind"].to_numpy(dtype=object, na_value=None)
        still = np.ones(len(cand), dtype=bool)
        for d in defs:
            todo = np.flatnonzero(still & np.isin(cids, d.checks) & (kinds == d.kind))
            if not len(todo):
                continue
            sub = cand.iloc[todo]
            hit = todo[(_glob(sub["namespace"], d.namespace) & _glob(sub["name"], d.name)).to_numpy(dtype=bool)]
            reason.iloc[pick[hit]] = f"default exemption: {d.reason}"
            still[hit] = False
    return reason.notna().tolist(), reason.tolist(), expired


def no_objects_message(snap: Snapshot) -> str:
    """``no Kubernetes objects found in SOURCE: reasons`` (the skipped rows, the first few)."""
    recs = snap.skipped_records
    where = snap.source or snap.cluster
    if not recs:
        return f"no Kubernetes objects found in {where}: nothing to read"
    shown = [
        f"{r['source']}{'#' + str(r['document']) if r.get('document') not in (None, '') else ''}: {r['reason']}"
        for r in recs[:5]
    ]
    more = f"; … and {len(recs) - 5} more" if len(recs) > 5 else ""
    return f"no Kubernetes objects found in {where}: " + "; ".join(shown) + more


def skipped_of(findings: pd.DataFrame) -> pd.DataFrame:
    """What the audited snapshot could not read (``findings.attrs["skipped"]``), as ``snap.skipped`` has it."""
    df = pd.DataFrame(list(findings.attrs.get("skipped") or []), columns=SKIPPED_COLUMNS)
    return df.astype({c: "string" for c in SKIPPED_COLUMNS})


def not_assessed(findings: pd.DataFrame) -> pd.DataFrame:
    """The checks of the audit that gave no complete verdict: ``partial``, ``not_assessable`` or ``error``,
    with the reason. Empty when the audit is complete. (From a CSV export, which carries no
    stats, ``attrs["not_assessed"]``.)"""
    stats = check_stats(findings)
    if stats is None:
        df = pd.DataFrame(list(findings.attrs.get("not_assessed") or []), columns=NOT_ASSESSED_COLUMNS)
    else:
        df = stats[stats["status"].isin(INCOMPLETE)][NOT_ASSESSED_COLUMNS]
    return df.reset_index(drop=True)


def is_partial(findings: pd.DataFrame) -> bool:
    """True when some check of the audit behind ``findings`` is not assessable, partial or failed to run."""
    return len(not_assessed(findings)) > 0


def check_stats(findings: pd.DataFrame) -> pd.DataFrame | None:
    """Per check of the audit behind ``findings``: evaluated, failing, status (``pass``, ``fail``,
    ``partial``, ``not_assessable``, ``error``), reason."""
    raw = findings.attrs.get("stats")
    if raw is None:
        return None
    df = raw.copy() if isinstance(raw, pd.DataFrame) else pd.DataFrame(list(raw), columns=STATS_COLUMNS)
    return df.astype({"evaluated": int, "failing": int, "practice": int}) if len(df) else df


def scorecard(findings: pd.DataFrame, snap: Snapshot | None = None, *, by: str = "practice") -> pd.DataFrame:
    """Per practice (``by="practice"``), per check (``"check"``) or per namespace (``"namespace"``).

    Columns: evaluated, failing (not exempt), exempt, findings, score (0-100, share of
    evaluated objects passing), band (the score read as ``good`` >= 95, ``fair`` >= 80 or
    ``poor``: :data:`k8saudit.vocab.SCORE_BANDS`), status. Per check: ``pass``, ``fail``, ``partial``,
    ``not_assessable``, ``error``; the score is given for ``pass`` and ``fail`` only.
    Per practice: ``fail`` when any finding is open (from an incomplete check too),
    else ``not_assessable`` when no check of it was assessed, ``partial`` when some were
    not, ``pass`` when every check passed; evaluated, failing and the score count the
    completely assessed checks; ``not_assessable`` and ``partial`` name the others.
    """
    stats = check_stats(findings)
    if stats is None:
        if snap is None:
            raise ValueError("scorecard needs the findings of audit() (or pass the snapshot)")
        stats = check_stats(audit(snap))
    assert stats is not None
    live = findings[~findings["exempt"]]
    if by == "namespace":
        g = findings.assign(live=~findings["exempt"]).groupby(["cluster", "namespace"], dropna=False)
        out = g.agg(
            findings=("check_id", "size"),
            failing=("live", "sum"),
            exempt=("exempt", "sum"),
            critical=("severity", lambda s: int((s == "critical").sum())),
            high=("severity", lambda s: int((s == "high").sum())),
        ).reset_index()
        if snap is not None:  # namespaces without findings belong in the table too
            allns = pd.concat([s.namespaces[["cluster", "name"]] for s in snap.members or [snap]], ignore_index=True)
            allns = allns.rename(columns={"name": "namespace"})
            out = allns.merge(out, on=["cluster", "namespace"], how="outer")
            out = out.fillna({c: 0 for c in ("findings", "failing", "exempt", "critical", "high")})
            out = out.astype({c: int for c in ("findings", "failing", "exempt", "critical", "high")})
        return out.sort_values(["failing", "findings"], ascending=False, kind="stable").reset_index(drop=True)
    obj_fail = (
        live.drop_duplicates(["cluster", "check_id", "kind", "namespace", "name", "container"])
        .groupby(["cluster", "check_id"])
        .size()
        .rename("failing_now")
    )
    n_exempt = findings[findings["exempt"]].groupby(["cluster", "check_id"]).size().rename("exempt")
    n_find = findings.groupby(["cluster", "check_id"]).size().rename("findings")
    st = (
        stats.set_index(["cluster", "check_id"])
        .join([obj_fail, n_exempt, n_find])
        .fillna({"failing_now": 0, "exempt": 0, "findings": 0})
        .reset_index()
    )
    st["failing"] = st[["failing_now", "evaluated"]].min(axis=1).astype(int)
    st["status"] = [s if s in INCOMPLETE else ("fail" if f else "pass") for s, f in zip(st["status"], st["failing"])]
    complete = ~st["status"].isin(INCOMPLETE)
    if by == "check":
        st["severity"] = [CHECKS[c].severity for c in st["check_id"]]
        st["title"] = [CHECKS[c].title for c in st["check_id"]]
        st["score"] = [s if ok else None for s, ok in zip(_score(st["evaluated"], st["failing"]), complete)]
        st["band"] = [score_band(s) for s in st["score"]]
        return st[
            [
                "cluster",
                "practice",
                "check_id",
                "severity",
                "title",
                "evaluated",
                "failing",
                "exempt",
                "findings",
                "score",
                "band",
                "status",
                "reason",
            ]
        ].astype({"exempt": int, "findings": int})
    rows = []
    for (cluster, practice), grp in st.groupby(["cluster", "practice"]):
        ok = grp[~grp["status"].isin(INCOMPLETE)]
        evaluated, failing = int(ok["evaluated"].sum()), int(ok["failing"].sum())
        na = grp[grp["status"].isin(("not_assessable", "error"))]
        part = grp[grp["status"] == "partial"]
        # failures found by a check that is itself incomplete still make the practice fail
        any_failing = failing or int(grp["failing"].sum())
        status = (
            "fail"
            if any_failing
            else "not_assessable"
            if len(ok) == 0 and len(part) == 0
            else "partial"
            if len(ok) < len(grp)
            else "pass"
        )
        rows.append(
            {
                "cluster": cluster,
                "practice": int(practice),
                "title": PRACTICES[int(practice)],
                "checks": len(grp),
                "evaluated": evaluated,
                "failing": failing,
                "exempt": int(grp["exempt"].sum()),
                "findings": int(grp["findings"].sum()),
                "score": _score(pd.Series([evaluated]), pd.Series([failing]))[0] if len(ok) else None,
                "status": status,
                "not_assessable": ", ".join(na["check_id"]) or None,
                "partial": ", ".join(part["check_id"]) or None,
            }
        )
    out = pd.DataFrame(
        rows,
        columns=[
            "cluster",
            "practice",
            "title",
            "checks",
            "evaluated",
            "failing",
            "exempt",
            "findings",
            "score",
            "status",
            "not_assessable",
            "partial",
        ],
    )
    out.insert(out.columns.get_loc("score") + 1, "band", [score_band(s) for s in out["score"]])
    return out


def _score(evaluated: pd.Series, failing: pd.Series) -> list[float | None]:
    return [round(100.0 * (e - f) / e, 1) if e else None for e, f in zip(evaluated, failing)]
