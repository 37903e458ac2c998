"""``fix_for(finding)``: the change that resolves one finding, as YAML at the right path.

Each check declares its fix where it is defined (``check(..., fix=...)``, made with
:mod:`k8saudit.checks._fix`); this module looks it up, and warns before the fix of an
exempt finding.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator, Mapping

from .checks import CHECKS
from .checks._fix import FixContext, Row, pod_path, text, true
from .snapshot import Snapshot

__all__ = ["EXEMPT_BREAKS", "FIXES", "FixContext", "exempt_warning", "fix_for", "pod_path"]


class _Fixes(Mapping[str, Callable[[FixContext], str]]):
    """Check id → its fix, read from the registry (the checks that declare one)."""

    def __getitem__(self, check_id: str) -> Callable[[FixContext], str]:
        fix = CHECKS[check_id].fix if check_id in CHECKS else None
        if fix is None:
            raise KeyError(check_id)
        return fix

    def __iter__(self) -> Iterator[str]:
        return (k for k in CHECKS if CHECKS[k].fix is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)


FIXES: Mapping[str, Callable[[FixContext], str]] = _Fixes()


#: what applying a fix would break, by the kind of component an exemption covers (found in its reason)
EXEMPT_BREAKS: list[tuple[str, str]] = [
    ("API server", "the add-on: it can no longer authenticate to the API server"),
    (
        "CNI",
        "the pod network: the agent can no longer set up interfaces, routes and iptables rules on its node, "
        "so new pods get no network and existing ones lose it",
    ),
    (
        "kube-proxy",
        "Service routing: the node's iptables/IPVS rules stop being programmed, so Services no longer reach their pods",
    ),
    (
        "control-plane",
        "the control plane: the static pod no longer starts on its node (API server, etcd, "
        "controller manager or scheduler down)",
    ),
    ("node-exporter", "node monitoring: the exporter can no longer read the host's network and processes"),
]


def exempt_warning(finding: Row) -> str | None:
    """For an exempt finding: why it is exempt and what applying its fix would break (None when not exempt)."""
    if not true(finding.get("exempt")):
        return None
    reason = text(finding.get("exempt_reason")) or "exempt"
    ns, name = text(finding.get("namespace")), text(finding.get("name")) or "?"
    where = f"{text(finding.get('kind')) or ''} {ns + '/' if ns else ''}{name}".strip()
    breaks = next(
        (b for key, b in EXEMPT_BREAKS if key.lower() in reason.lower()),
        "what the exemption protects: the component relies on exactly this setting (see the reason)",
    )
    return (
        f"This finding is exempt ({reason}). Do not apply this fix to {where}: the component needs what it "
        f"takes away, and applying it would break {breaks}. Shown for reference only."
    )


def fix_for(finding: Row, snap: Snapshot | None = None) -> str:
    """The YAML (or command) that resolves one finding row; with ``snap``, filled in from the cluster.

    For an exempt finding the text starts with a warning (comment lines): why it is exempt and what
    applying the fix would break."""
    c = FixContext(finding, snap)
    warning = exempt_warning(finding)
    head = "".join(f"# WARNING: {line}\n" for line in textwrap.wrap(warning, 100)) if warning else ""
    fix = FIXES.get(c.check)
    if fix is not None:
        return head + fix(c)
    rem = CHECKS[c.check].remediation if c.check in CHECKS else str(finding.get("remediation") or "")
    return head + c.header(how="") + "".join(f"# {line}\n" for line in rem.splitlines())
