"""The Pod Security Standards evaluator, as the checks see it (it lives in :mod:`k8saudit._pss`, beside the model,
so the frames read it without reading the checks)."""

from __future__ import annotations

from .._pss import (
    BASELINE_CAPABILITIES,
    CONTROLS,
    LEVELS,
    RESTRICTED_VOLUME_TYPES,
    SAFE_SYSCTLS,
    SELINUX_TYPES,
    evaluate,
    evaluate_many,
    level_rank,
    rejected_by,
)

__all__ = [
    "BASELINE_CAPABILITIES",
    "CONTROLS",
    "LEVELS",
    "RESTRICTED_VOLUME_TYPES",
    "SAFE_SYSCTLS",
    "SELINUX_TYPES",
    "evaluate",
    "evaluate_many",
    "level_rank",
    "rejected_by",
]
