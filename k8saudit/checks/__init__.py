"""The checks: one module per practice, registered in ``CHECKS`` with their metadata.

See :mod:`k8saudit.checks._registry` for the contract a check follows.
"""

from __future__ import annotations

from ..vocab import PRACTICE_SHORT, PRACTICES, SEVERITIES
from ._registry import CHECKS, CIS, NSA_CISA, PSS_BASELINE, PSS_RESTRICTED, Check, Registry, check

# importing the practice modules registers their checks, in practice order
from . import (  # noqa: F401  isort: skip
    p01_secrets,
    p02_authn,
    p03_capabilities,
    p04_host_namespaces,
    p05_rbac,
    p06_rootfs,
    p07_network,
    p08_privileged,
    p09_proc_mount,
    p10_rollout,
)

__all__ = [
    "CHECKS",
    "PRACTICES",
    "PRACTICE_SHORT",
    "SEVERITIES",
    "Check",
    "Registry",
    "check",
    "PSS_BASELINE",
    "PSS_RESTRICTED",
    "NSA_CISA",
    "CIS",
]
