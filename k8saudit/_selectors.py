"""Kubernetes label selectors over plain dicts (as the frames hold them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str] | None) -> bool:
    """Does a label selector select an object with ``labels``?

    ``selector`` is ``{"match_labels": {...}, "match_expressions": [{key, operator, values}]}``
    (the frames' form). An empty selector selects everything; ``None`` selects nothing.
    """
    if selector is None:
        return False
    labels = labels or {}
    for k, v in (selector.get("match_labels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("match_expressions") or ():
        key, op, values = e.get("key"), e.get("operator"), e.get("values") or []
        if op == "In":
            if key not in labels or labels[key] not in values:
                return False
        elif op == "NotIn":
            if key in labels and labels[key] in values:
                return False
        elif op == "Exists":
            if key not in labels:
                return False
        elif op == "DoesNotExist":
            if key in labels:
                return False
        else:  # an unknown operator selects nothing, as the API would refuse it
            return False
    return True


def is_empty(selector: Mapping[str, Any] | None) -> bool:
    """An empty (select-all) selector."""
    return selector is not None and not selector.get("match_labels") and not selector.get("match_expressions")
