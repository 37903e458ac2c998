"""Kubeconfig files: how each user authenticates, never the credential itself."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

KUBECONFIG_COLUMNS = [
    "cluster",
    "context",
    "kubeconfig_cluster",
    "user",
    "auth_type",
    "static_credential",
    "server",
    "namespace",
    "exec_command",
    "is_current",
    "source",
]

#: auth types that hold a long-lived secret inside the kubeconfig
STATIC_AUTH = ("token", "basic_auth", "client_key_data")


def auth_type(user: dict[str, Any] | None) -> tuple[str, str | None]:
    """How a kubeconfig ``user`` entry authenticates, and the exec command if any."""
    u = user or {}
    if u.get("exec"):
        cmd = (u.get("exec") or {}).get("command")
        return "exec", os.path.basename(str(cmd)) if cmd else None
    if u.get("auth-provider"):
        return "auth_provider", (u.get("auth-provider") or {}).get("name")
    if u.get("token"):
        return "token", None
    if u.get("tokenFile"):
        return "token_file", None
    if u.get("username") or u.get("password"):
        return "basic_auth", None
    if u.get("client-key-data"):
        return "client_key_data", None
    if u.get("client-key") or u.get("client-certificate"):
        return "client_cert_file", None
    return "none", None


def parse_kubeconfig(doc: dict[str, Any], source: str = "") -> list[dict[str, Any]]:
    """One entry per (context, user) of a kubeconfig document; credentials are not kept."""
    users = {u.get("name"): u.get("user") for u in doc.get("users") or [] if isinstance(u, dict)}
    clusters = {c.get("name"): c.get("cluster") or {} for c in doc.get("clusters") or [] if isinstance(c, dict)}
    current = doc.get("current-context")
    out: list[dict[str, Any]] = []
    seen_users: set[str | None] = set()
    for ctx in doc.get("contexts") or []:
        if not isinstance(ctx, dict):
            continue
        c = ctx.get("context") or {}
        uname = c.get("user")
        atype, cmd = auth_type(users.get(uname))
        seen_users.add(uname)
        out.append(
            {
                "context": ctx.get("name"),
                "kubeconfig_cluster": c.get("cluster"),
                "user": uname,
                "auth_type": atype,
                "static_credential": atype in STATIC_AUTH,
                "server": (clusters.get(c.get("cluster")) or {}).get("server"),
                "namespace": c.get("namespace"),
                "exec_command": cmd,
                "is_current": ctx.get("name") == current,
                "source": source,
            }
        )
    for uname, u in users.items():  # users no context refers to still count
        if uname in seen_users:
            continue
        atype, cmd = auth_type(u)
        out.append(
            {
                "context": None,
                "kubeconfig_cluster": None,
                "user": uname,
                "auth_type": atype,
                "static_credential": atype in STATIC_AUTH,
                "server": None,
                "namespace": None,
                "exec_command": cmd,
                "is_current": False,
                "source": source,
            }
        )
    return out


def kubeconfig_users(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """How each user of a kubeconfig authenticates (``$KUBECONFIG`` or ``~/.kube/config`` by default)."""
    paths = _kubeconfig_paths(path)
    rows: list[dict[str, Any]] = []
    for p in paths:
        try:
            doc = yaml.safe_load(p.read_text())
        except (OSError, yaml.YAMLError) as e:
            raise ValueError(f"{p}: cannot read kubeconfig: {e}") from None
        if isinstance(doc, dict):
            rows.extend(parse_kubeconfig(doc, str(p)))
    df = pd.DataFrame(rows, columns=KUBECONFIG_COLUMNS[1:])
    df.insert(0, "cluster", pd.array([None] * len(df), dtype="string"))
    return df


def _kubeconfig_paths(path: str | os.PathLike[str] | None) -> list[Path]:
    if path is not None:
        return [Path(os.path.expanduser(str(path)))]
    env = os.environ.get("KUBECONFIG")
    if env:
        return [Path(p) for p in env.split(os.pathsep) if p]
    return [Path.home() / ".kube" / "config"]
