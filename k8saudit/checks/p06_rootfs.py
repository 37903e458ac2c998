"""Practice 6: containers run with a read-only root filesystem."""

from __future__ import annotations

import pandas as pd

from ._common import concat, rows, tri, who
from ._registry import NSA_CISA, check


@check(
    "rootfs-writable",
    practice=6,
    severity="low",
    on="containers",
    fires_on="container",
    where="not windows",  # Linux-only setting: Windows pods ignore it (as Pod Security Standards do)
    title="Container root filesystem is writable",
    why=(
        "An attacker who gets code execution in a container with a writable root filesystem can drop "
        "tools, replace binaries or configuration the application loads later, and persist across "
        "process restarts. A read-only root makes the image immutable at run time; the few paths the "
        "application must write become explicit, size-limited volumes."
    ),
    remediation=(
        "Set the flag and mount a writable emptyDir only where the process writes:\n"
        "```yaml\nsecurityContext:\n  readOnlyRootFilesystem: true\nvolumeMounts:\n"
        "  - {name: tmp, mountPath: /tmp}\n# pod spec\nvolumes:\n"
        "  - {name: tmp, emptyDir: {sizeLimit: 64Mi}}\n```"
    ),
    references=[
        NSA_CISA,
        "Kubernetes docs, SecurityContext: https://kubernetes.io/docs/tasks/configure-pod-container/security-context/",
    ],
    controls={"cis": ["5.6.3"], "nsa": ["pod.immutable-fs"]},
    fix=lambda c: c.container_patch(
        {"securityContext": {"readOnlyRootFilesystem": True}, "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}]},
        {"volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}]},
    ),
)
def rootfs_writable(containers: pd.DataFrame) -> pd.DataFrame:
    bad = containers[~containers["read_only_root_filesystem"].fillna(False).astype(bool)]
    return rows(
        bad,
        concat(who(bad), " has a writable root filesystem"),
        concat("securityContext.readOnlyRootFilesystem=", tri(bad["read_only_root_filesystem"])),
    )
