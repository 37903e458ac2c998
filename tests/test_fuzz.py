"""Property-based fuzzing of the file loader and the audit with mutated sample manifests.

Objects from the bundled sample clusters are mutated (keys deleted, values replaced by
other types, mappings turned into lists, deep nesting, integers beyond int64, duplicate
keys) and written as a multi-document YAML stream, a ``kubectl get -o yaml`` List or a
``kubectl get -o json`` List. Whatever comes in:

- no exception escapes ``ka.load``, any frame or ``ka.audit``, and no check errors;
- every input object is loaded or has a row in ``snap.skipped`` (by document id);
- every loaded object reaches the frame the checks read, and no check passes while a
  kind it reads (``Check.inputs``) was not read completely.

``make test`` runs a short, derandomised run; ``pytest -m fuzz tests/test_fuzz.py`` a
long random one (``K8SAUDIT_FUZZ_EXAMPLES`` sets how many examples).
"""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import k8saudit as ka
from k8saudit.checks import CHECKS
from k8saudit.findings import check_stats
from k8saudit.frames import FRAMES
from k8saudit.snapshot import NOTED, SnapshotError

DATA = Path(__file__).resolve().parent.parent / "data"


def _pool() -> list[dict[str, Any]]:
    """Every object of the bundled samples (the items of their List files)."""
    out: list[dict[str, Any]] = []
    for f in sorted([*DATA.glob("sample-cluster/*.yaml"), *DATA.glob("legacy-cluster/*.yaml")]):
        for doc in yaml.safe_load_all(f.read_text()):
            if isinstance(doc, dict) and doc.get("kind") == "List":
                out.extend(i for i in doc.get("items") or [] if isinstance(i, dict))
    return out


POOL = _pool()

#: values of every type, for replacing whatever was there
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.just([]),
    st.just({}),
    st.lists(st.integers(min_value=-5, max_value=5), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(min_value=0, max_value=3), max_size=2),
)
HUGE = st.sampled_from([2**63, 2**64, -(2**63) - 1, 10**30, -(10**40), 2**53 + 1])
OPS = ("delete", "replace", "retype", "deep", "huge", "duplicate")
FORMATS = ("yaml-docs", "yaml-list", "json-list")

#: frames with one row per object of a kind: every loaded object must reach its frame
ONE_ROW_PER_OBJECT = {"services": "Service", "network_policies": "NetworkPolicy", "nodes": "Node", "secrets": "Secret"}
_POD_KINDS = ("Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob")


def _paths(node: Any, prefix: tuple[Any, ...] = (), limit: int = 400) -> list[tuple[Any, ...]]:
    """Paths to every node of a JSON-like tree (breadth first, at most ``limit``)."""
    out: list[tuple[Any, ...]] = []
    queue: list[tuple[tuple[Any, ...], Any]] = [(prefix, node)]
    while queue and len(out) < limit:
        path, n = queue.pop(0)
        out.append(path)
        if isinstance(n, dict):
            queue.extend((path + (k,), v) for k, v in n.items())
        elif isinstance(n, list):
            queue.extend((path + (i,), v) for i, v in enumerate(n))
    return out


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        doc = doc[p]
    return doc


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    _get(doc, path[:-1])[path[-1]] = value
    return doc


def _retype(v: Any) -> Any:
    if isinstance(v, dict):
        return list(v.values())
    if isinstance(v, list):
        return {str(i): x for i, x in enumerate(v)}
    if isinstance(v, str):
        return {"value": v}
    return [v]


@st.composite
def mutated_inputs(draw: st.DrawFn) -> tuple[str, str, list[str]]:
    """(format, file text, the document ids each input object should be found under)."""
    docs = [copy.deepcopy(d) for d in draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=6))]
    deep: dict[str, int] = {}
    dup_lines = 0
    for _ in range(draw(st.integers(min_value=1, max_value=5))):
        i = draw(st.integers(min_value=0, max_value=len(docs) - 1))
        path = draw(st.sampled_from(_paths(docs[i])))
        op = draw(st.sampled_from(OPS))
        if op == "delete" and path:
            parent = _get(docs[i], path[:-1])
            del parent[path[-1]]
        elif op == "replace":
            docs[i] = _set(docs[i], path, draw(VALUES))
        elif op == "retype":
            docs[i] = _set(docs[i], path, _retype(_get(docs[i], path)))
        elif op == "deep":
            token = f"DEEPNEST{len(deep)}X"
            deep[token] = draw(st.sampled_from([1500, 1000, 999, 200, 5000]))
            docs[i] = _set(docs[i], path, token)
        elif op == "huge":
            docs[i] = _set(docs[i], path, draw(HUGE))
        elif op == "duplicate":
            dup_lines += 1
    fmt = draw(st.sampled_from(FORMATS))
    if fmt == "json-list":
        text = json.dumps(
            {"apiVersion": "v1", "kind": "List", "items": docs, "metadata": {"resourceVersion": ""}}, indent=4
        )
        ids = [f"0/items/{k}" for k in range(len(docs))]
    elif fmt == "yaml-list":
        text = yaml.safe_dump({"apiVersion": "v1", "items": docs, "kind": "List"}, sort_keys=False)
        ids = [f"0/items/{k}" for k in range(len(docs))]
    else:
        text = "---\n".join(yaml.safe_dump(d, sort_keys=False) for d in docs)
        ids = [str(k) for k, d in enumerate(docs) if d is not None]  # a null document is an empty one
    for token, depth in deep.items():  # nesting written as text: no serialiser recursion
        text = re.sub(rf"['\"]?{token}['\"]?", "[" * depth + "1" + "]" * depth, text)
    if dup_lines:
        lines = text.split("\n")
        keyed = [n for n, line in enumerate(lines) if re.match(r'^\s*("?[A-Za-z][\w.-]*"?):\s*\S', line)]
        for _ in range(min(dup_lines, len(keyed))):
            n = draw(st.sampled_from(keyed))
            lines.insert(n + 1, lines[n].rstrip(","))  # the same key again, same indentation
            if fmt == "json-list":
                lines[n] = lines[n].rstrip(",") + ","
            keyed = [k + (k > n) for k in keyed]
        text = "\n".join(lines)
    return fmt, text, ids


def _covered(snap: ka.Snapshot, name: str, expected: list[str]) -> list[str]:
    """The expected document ids of ``name`` that no loaded object and no skipped row accounts for."""
    seen: set[str] = set()
    for src in snap.frame("objects")["source"].dropna():
        file, _, doc = str(src).partition("#")
        if file == name:
            seen.add(doc)
    whole_file = False
    for r in snap.skipped_records:
        if Path(str(r["source"])).name != name and r["source"] != name:
            continue
        if r["document"] is None:
            whole_file = True
        else:
            seen.add(str(r["document"]))
    if whole_file:
        return []

    def ok(doc_id: str) -> bool:
        parts = doc_id.split("/")
        return any("/".join(parts[:n]) in seen for n in range(1, len(parts) + 1)) or any(
            s.startswith(doc_id + "/") for s in seen
        )

    return [d for d in expected if not ok(d)]


def _load(tmp: Path, fmt: str, text: str) -> tuple[ka.Snapshot | None, str]:
    name = "dump.json" if fmt == "json-list" else "manifests.yaml"
    tmp.mkdir(parents=True, exist_ok=True)
    for old in tmp.iterdir():
        old.unlink()
    (tmp / name).write_text(text)
    try:
        return ka.load(tmp), name
    except SnapshotError as e:  # a clear refusal is allowed, and must name the file
        assert name in str(e) or str(tmp) in str(e), f"SnapshotError names no file: {e}"
        return None, name


def _check_load(tmp: Path, fmt: str, text: str, ids: list[str]) -> ka.Snapshot | None:
    snap, name = _load(tmp, fmt, text)
    if snap is None:
        return None
    missing = _covered(snap, name, ids)
    assert not missing, (
        f"input objects neither loaded nor skipped: {missing}\n{snap.skipped.to_string()}\nloaded: {dict(snap.kinds)}"
    )
    for frame in FRAMES:
        snap.frame(frame)  # every frame builds
    _check_frames(snap)
    return snap


def _check_frames(snap: ka.Snapshot) -> None:
    """Loaded objects reach the frames the checks read: nothing is assessed as clean unseen."""
    for frame, kind in ONE_ROW_PER_OBJECT.items():
        assert len(snap.frame(frame)) == snap.kinds.get(kind, 0), f"{frame}: {snap.kinds.get(kind, 0)} {kind} loaded"
    if any(snap.kinds.get(k) for k in _POD_KINDS):
        assert len(snap.frame("workloads")) > 0, f"no workload row for {dict(snap.kinds)}"


def _check_audit(snap: ka.Snapshot) -> None:
    if not len(snap) and not snap.kubeconfig_entries:  # nothing to audit: a clear error, not an empty cluster
        with pytest.raises(ka.NoObjectsError, match="no Kubernetes objects found in"):
            ka.audit(snap, default_exemptions=False)
        return
    findings = ka.audit(snap, default_exemptions=False)
    stats = check_stats(findings).set_index("check_id")
    errors = stats[stats["status"] == "error"]
    assert errors.empty, f"checks raised: {errors['reason'].to_dict()}"
    lost = snap.skipped[~snap.skipped["category"].isin(NOTED)]
    lost_kinds = set(lost["kind"].dropna())
    unknown = lost["kind"].isna().any()
    for cid in stats[stats["status"] == "pass"].index:
        c = CHECKS[str(cid)]
        missed = set(c.inputs) & (set(snap.unreadable_kinds()) | lost_kinds)
        assert not missed, f"{cid} passed although {missed} could not be read (or only in part)"
        assert not (unknown and c.inputs), f"{cid} passed although input of unknown kind could not be read"


_FUZZ_EXAMPLES = int(os.environ.get("K8SAUDIT_FUZZ_EXAMPLES", "500"))
_BOUNDED = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
_LONG = settings(
    max_examples=_FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)


@_BOUNDED
@given(mutated_inputs())
def test_fuzz_load_accounts_for_every_object(tmp_path: Path, case: tuple[str, str, list[str]]) -> None:
    _check_load(tmp_path / "in", *case)


@settings(_BOUNDED, max_examples=6)
@given(mutated_inputs())
def test_fuzz_audit_never_crashes_nor_passes_blind(tmp_path: Path, case: tuple[str, str, list[str]]) -> None:
    snap = _check_load(tmp_path / "in", *case)
    if snap is not None:
        _check_audit(snap)


@pytest.mark.fuzz
@_LONG
@given(mutated_inputs(), st.booleans())
def test_fuzz_long_run(tmp_path: Path, case: tuple[str, str, list[str]], audit: bool) -> None:
    snap = _check_load(tmp_path / "in", *case)
    if snap is not None and audit:
        _check_audit(snap)


def test_the_pool_is_the_sample_cluster() -> None:
    kinds = {d.get("kind") for d in POOL}
    assert len(POOL) > 100 and {"Pod", "Deployment", "Service", "ClusterRoleBinding", "Secret"} <= kinds
