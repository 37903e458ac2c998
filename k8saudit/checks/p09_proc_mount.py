"""Practice 9: no container unmasks /proc."""

from __future__ import annotations

import pandas as pd

from ._common import concat, rows, who
from ._registry import PSS_BASELINE, PSS_RESTRICTED, check


@check(
    "proc-mount-unmasked",
    practice=9,
    severity="medium",
    on="containers",
    fires_on="container",
    title="Container mounts /proc unmasked",
    why=(
        "The runtime masks and makes read-only the parts of /proc and /sys that reach the kernel "
        "(/proc/sys, /proc/sysrq-trigger, /proc/kcore, ...). `procMount: Unmasked` removes those masks, "
        "so a process in the container can read kernel memory and information about the node or "
        "change kernel settings: a direct route to escaping the container. Recent API servers accept it "
        "only in a user namespace (`hostUsers: false`), which limits the damage; older ones accept it "
        "anywhere."
    ),
    remediation=(
        "Remove `procMount` from the container's securityContext (or set it to `Default`). Nested "
        "container builds that need it belong in a user namespace (`hostUsers: false`) on "
        "dedicated nodes."
    ),
    references=[
        PSS_BASELINE,
        PSS_RESTRICTED,
        "Kubernetes docs, procMount: https://kubernetes.io/docs/concepts/security/pod-security-standards/",
    ],
    controls={
        "cis": ["5.6.3"],
        "nsa": ["pod.hardening"],
        "pss": ["proc-mount", "proc-mount-restricted"],
        "mitre": ["T1611"],
    },
    fix=lambda c: c.security({"procMount": "Default"}),
)
def proc_mount_unmasked(containers: pd.DataFrame) -> pd.DataFrame:
    bad = containers[(containers["proc_mount"] == "Unmasked").fillna(False).astype(bool)]
    return rows(bad, concat(who(bad), " mounts /proc unmasked"), "securityContext.procMount=Unmasked")
