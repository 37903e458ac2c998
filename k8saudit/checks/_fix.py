"""What a check's fix is made with: one finding and what the snapshot knows about its object.

A fix (``check(..., fix=...)``) is a function of a :class:`FixContext` that returns the change
resolving one finding, as YAML at the right path: a strategic-merge patch (``kubectl patch
--patch-file``) for workload and container findings, whose path follows the kind
(``spec.template.spec`` for a Deployment, ``spec.jobTemplate.spec.template.spec`` for a CronJob,
``spec`` for a Pod) and the container's list (``containers``, ``initContainers``,
``ephemeralContainers``); the manifest fragment to edit, or the command to run, for cluster
settings. Given the snapshot, it uses what is there (the Secret names, the capabilities to keep,
the pod labels).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import yaml

from .._model import pod_spec_keys
from ..frames import SnapshotView

Row = Mapping[str, Any]
Fix = Callable[["FixContext"], str]

_LISTS = {"container": "containers", "init": "initContainers", "ephemeral": "ephemeralContainers"}
PLURAL = {
    "Deployment": "deployment",
    "StatefulSet": "statefulset",
    "DaemonSet": "daemonset",
    "Job": "job",
    "CronJob": "cronjob",
    "ReplicaSet": "replicaset",
    "ReplicationController": "replicationcontroller",
    "Pod": "pod",
    "Service": "service",
    "Namespace": "namespace",
    "ConfigMap": "configmap",
}


def text(v: Any) -> str | None:
    """A finding's cell as text (None when missing)."""
    return None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v)


def true(v: Any) -> bool:
    """A tri-state cell that is set and true."""
    return v is not None and v is not pd.NA and bool(v)


def dump(doc: Any) -> str:
    return str(yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, width=100)).rstrip() + "\n"


def pod_path(kind: str) -> list[str]:
    """Keys from the object's root to its pod spec."""
    return list(pod_spec_keys(kind))


def nest(path: list[str], leaf: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = leaf
    for key in reversed(path):
        out = {key: out}
    return out


class FixContext:
    """One finding and what the snapshot knows about its object."""

    def __init__(self, f: Row, snap: SnapshotView | None) -> None:
        self.f, self.snap = f, snap
        self.check = str(f["check_id"])
        self.kind = text(f.get("kind")) or "?"
        self.ns = text(f.get("namespace"))
        self.name = text(f.get("name")) or "?"
        self.container = text(f.get("container"))

    def rows(self, frame: str) -> pd.DataFrame:
        """The rows of a frame about the finding's object (and container)."""
        if self.snap is None:
            return pd.DataFrame()
        df = self.snap.frame(frame)
        m = (df["kind"] == self.kind) & (df["name"] == self.name)
        m &= (df["namespace"] == self.ns) if self.ns is not None else df["namespace"].isna()
        if self.container is not None and "container" in df.columns:
            m &= df["container"] == self.container
        return df[m.fillna(False).astype(bool)]

    @property
    def container_row(self) -> Row | None:
        rows = self.rows("containers")
        return rows.iloc[0] if len(rows) else None

    @property
    def list_key(self) -> str:
        row = self.container_row
        return _LISTS.get(str(row["container_type"]) if row is not None else "container", "containers")

    def header(self, how: str | None = None) -> str:
        where = f"{self.ns}/{self.name}" if self.ns else self.name
        line = f"# {self.check}: {self.kind} {where}" + (f", container {self.container}" if self.container else "")
        if how is None and self.kind in PLURAL:
            ns = f" -n {self.ns}" if self.ns else ""
            how = f"kubectl{ns} patch {PLURAL[self.kind]} {self.name} --patch-file fix.yaml"
            if self.kind == "Pod":
                how = "edit the Pod's manifest and recreate the Pod (pod specs are mostly immutable)"
        return line + "\n" + (f"# apply: {how}\n" if how else "")

    def pod(self, leaf: dict[str, Any], how: str | None = None) -> str:
        return self.header(how) + dump(nest(pod_path(self.kind), leaf))

    def container_patch(self, fields: dict[str, Any], pod_extra: dict[str, Any] | None = None) -> str:
        c = {"name": self.container or "<container>", **fields}
        return self.pod({self.list_key: [c], **(pod_extra or {})})

    def security(self, ctx: dict[str, Any]) -> str:
        return self.container_patch({"securityContext": ctx})

    def pod_labels(self) -> dict[str, Any]:
        """The workload's selector labels (else its pod labels, else ``app: <name>``)."""
        rows = self.rows("workloads")
        if len(rows):
            sel = rows["selector"].iloc[0] or {}
            return dict(sel.get("match_labels") or {}) or dict(rows["pod_labels"].iloc[0] or {}) or {"app": self.name}
        return {"app": self.name}


def comment(*lines: str) -> Fix:
    """A fix that is prose: comment lines, ``{c.name}`` and the like filled in."""
    return lambda c: c.header(how="") + "".join(f"# {line.format(c=c)}\n" for line in lines)


def apiserver_flag(flag_line: str, note: str) -> Fix:
    """A fix that sets a kube-apiserver flag in its static pod manifest."""

    def fix(c: FixContext) -> str:
        body = dump({"spec": {"containers": [{"name": "kube-apiserver", "command": ["kube-apiserver", flag_line]}]}})
        return (
            f"# {c.check}: kube-apiserver ({c.name})\n# edit /etc/kubernetes/manifests/kube-apiserver.yaml on the "
            f"control-plane node; the kubelet restarts the API server\n# {note}\n" + body
        )

    return fix
