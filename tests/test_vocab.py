"""The shared vocabulary: one module, imported by every layer; the old public names are the same objects."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pandas as pd
import pytest

import k8saudit as ka
from k8saudit import checks, findings, snapshot, viz, vocab
from k8saudit.checks import CHECKS
from k8saudit.findings import CHECK_TEXT_COLUMNS, audit, check_stats, findings_dtypes

PACKAGE = Path(vocab.__file__).parent


def test_vocab_imports_nothing_of_the_package() -> None:
    tree = ast.parse(Path(vocab.__file__).read_text())
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in imported if m.startswith("k8saudit") or m.startswith(".")], imported
    assert all(n.level == 0 for n in ast.walk(tree) if isinstance(n, ast.ImportFrom))


def test_no_module_defines_its_own_copy() -> None:
    """The lists live in vocab.py only: no other module assigns them (a re-export is an import)."""
    names = {
        "SEVERITIES",
        "PRACTICES",
        "PRACTICE_SHORT",
        "FINDINGS_COLUMNS",
        "STATS_COLUMNS",
        "SEVERITY_COLORS",
        "SEVERITY_TEXT",
        "STATUS_COLORS",
        "EXEMPT_COLOR",
        "DIFF_STATUSES",
        "SKIPPED_COLUMNS",
        "SEVERITY_DTYPE",
        "NOTED",
        "UNREADABLE",
        "INCOMPLETE",
        "NOT_ASSESSED_COLUMNS",
        "CHECK_STATUSES",
    }
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "vocab.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            targets = (
                node.targets
                if isinstance(node, ast.Assign)
                else [node.target]
                if isinstance(node, ast.AnnAssign)
                else []
            )
            offenders += [
                f"{path.relative_to(PACKAGE)}: {t.id}" for t in targets if isinstance(t, ast.Name) and t.id in names
            ]
    assert offenders == []


def test_public_names_are_the_vocabulary() -> None:
    assert checks.PRACTICES is vocab.PRACTICES is ka.PRACTICES
    assert checks.SEVERITIES is vocab.SEVERITIES and checks.PRACTICE_SHORT is vocab.PRACTICE_SHORT
    assert findings.FINDINGS_COLUMNS is vocab.FINDINGS_COLUMNS is ka.FINDINGS_COLUMNS
    assert findings.SEVERITY_DTYPE is vocab.SEVERITY_DTYPE
    diff = importlib.import_module("k8saudit.diff")  # `k8saudit.diff` the attribute is the function
    assert diff.STATUSES is vocab.DIFF_STATUSES and diff.DIFF_COLUMNS is vocab.DIFF_COLUMNS
    assert viz.SEVERITY_COLORS is vocab.SEVERITY_COLORS and viz.SEVERITY_ORDER is vocab.SEVERITY_ORDER
    assert snapshot.SKIPPED_COLUMNS is vocab.SKIPPED_COLUMNS and snapshot.NOTED is vocab.NOTED
    assert findings.STATUSES is vocab.CHECK_STATUSES


def test_the_vocabulary_is_complete() -> None:
    assert vocab.SEVERITY_ORDER == tuple(reversed(vocab.SEVERITIES))
    assert list(vocab.SEVERITY_DTYPE.categories) == list(vocab.SEVERITIES) and vocab.SEVERITY_DTYPE.ordered
    assert set(vocab.SEVERITY_COLORS) == set(vocab.SEVERITY_TEXT) == set(vocab.SEVERITIES)
    assert set(vocab.STATUS_COLORS) == set(vocab.CHECK_STATUSES)
    assert set(vocab.PRACTICE_SHORT) == set(vocab.PRACTICES) == set(range(1, 11))
    assert list(vocab.FINDINGS_DTYPES) == vocab.FINDINGS_COLUMNS
    assert set(vocab.UNREADABLE) <= set(vocab.SKIPPED_CATEGORIES)
    assert set(vocab.INCOMPLETE) == set(vocab.CHECK_STATUSES) - {"pass", "fail"}
    assert vocab.DIFF_COLUMNS[len(vocab.FINDINGS_COLUMNS) :] == list(vocab.DIFF_DTYPES)


@pytest.mark.parametrize(
    ("practice", "short", "label"),
    [
        (3, True, "3. Capabilities"),
        (3, False, "3. NET_RAW dropped, no dangerous capabilities; a policy engine enforces it"),
        (None, True, "?"),
        (float("nan"), True, "?"),
        (pd.NA, True, "?"),
        (42, True, "42. Practice 42"),
    ],
    ids=["short", "full", "none", "nan", "na", "unknown"],
)
def test_practice_label(practice: object, short: bool, label: str) -> None:
    assert vocab.practice_label(practice, short=short) == label


def test_audit_speaks_the_vocabulary() -> None:
    f = audit(ka.sample())
    assert dict(f.dtypes) == {
        c: pd.api.types.pandas_dtype(t) if isinstance(t, str) else t for c, t in findings_dtypes().items()
    }
    # a check's own texts are categoricals of the registry's texts, the same in every audit
    assert {c: pd.api.types.pandas_dtype(vocab.FINDINGS_DTYPES[c]) for c in CHECK_TEXT_COLUMNS} == {
        c: "category" for c in CHECK_TEXT_COLUMNS
    }
    assert set(f["title"].cat.categories) == {c.title for c in CHECKS.values()}
    assert f["remediation"].dtype == audit(ka.sample("legacy"))["remediation"].dtype
    stats = check_stats(f)
    assert stats is not None and list(stats.columns) == vocab.STATS_COLUMNS
    assert set(stats["status"]) <= set(vocab.CHECK_STATUSES)


def _skip_categories_in_the_code() -> set[str]:
    """Every literal category the package records: ``category="x"`` keywords and the lister's ``_skip(..., "x")``."""
    found: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            found |= {
                k.value.value
                for k in node.keywords
                if k.arg == "category" and isinstance(k.value, ast.Constant) and isinstance(k.value.value, str)
            }
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name == "_skip" and len(node.args) >= 4 and isinstance(node.args[3], ast.Constant):
                found.add(node.args[3].value)
    return found


def test_every_skip_category_is_in_the_vocabulary() -> None:
    used = _skip_categories_in_the_code()
    assert {"parse_error", "forbidden", "not_served", "partial"} <= used  # the scan finds both forms
    assert used <= set(vocab.SKIPPED_CATEGORIES), used - set(vocab.SKIPPED_CATEGORIES)
    assert vocab.NOTED <= set(vocab.SKIPPED_CATEGORIES)
    snap = ka.Snapshot(cluster="c")
    snap.skip("f.yaml", "why", category="parse_error")
    assert list(snap.skipped.columns) == vocab.SKIPPED_COLUMNS
