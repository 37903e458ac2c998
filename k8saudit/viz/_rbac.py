"""Who may do what (practice 5): RBAC rules summarised into permissions a reader recognises, and a sankey."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import plotly.graph_objects as go

from ._base import NEUTRAL_COLOR, SEVERITY_COLORS, empty_figure, layout

READ = {"get", "list", "watch"}
WRITE = {"create", "update", "patch", "delete", "deletecollection"}
RBAC_RESOURCES = {"roles", "rolebindings", "clusterroles", "clusterrolebindings"}
WORKLOAD_RESOURCES = {
    "pods",
    "deployments",
    "daemonsets",
    "statefulsets",
    "replicasets",
    "jobs",
    "cronjobs",
    "replicationcontrollers",
}

#: permissions, most dangerous first, with the severity colour they are drawn in
PERMISSIONS: dict[str, str] = {
    "everything (*)": "critical",
    "impersonate users/groups": "high",
    "escalate / bind roles": "high",
    "modify RBAC": "high",
    "exec / attach into pods": "high",
    "read Secrets": "medium",
    "create or change workloads": "medium",
    "change other resources": "low",
    "read other resources": "info",
    "non-resource URLs": "info",
}


def permissions_of(resources: Iterable[str], verbs: Iterable[str], non_resource_urls: Iterable[str] = ()) -> list[str]:
    """The ``PERMISSIONS`` categories one RBAC rule grants."""
    res, vb = set(resources or ()), set(verbs or ())
    anyres, anyverb = "*" in res, "*" in vb
    if anyres and anyverb:
        return ["everything (*)"]
    if not res:
        return ["non-resource URLs"] if (non_resource_urls or vb) else []
    read = anyverb or bool(vb & READ)
    write = anyverb or bool(vb & WRITE)
    out = []
    if (anyverb or "impersonate" in vb) and (anyres or res & {"users", "groups", "serviceaccounts", "uids"}):
        out.append("impersonate users/groups")
    if vb & {"escalate", "bind"} or (anyverb and res & RBAC_RESOURCES):
        out.append("escalate / bind roles")
    if write and (anyres or res & RBAC_RESOURCES):
        out.append("modify RBAC")
    if (anyverb or "create" in vb) and (anyres or res & {"pods/exec", "pods/attach"}):
        out.append("exec / attach into pods")
    if read and (anyres or "secrets" in res) and not (vb <= {"create", "impersonate"}):
        out.append("read Secrets")
    if write and (anyres or res & WORKLOAD_RESOURCES):
        out.append("create or change workloads")
    if not out:
        out.append("change other resources" if write or vb - READ else "read other resources")
    return out


def builtin(rbac: pd.DataFrame) -> pd.Series:
    """Rows granting Kubernetes' and kubeadm's own defaults to system subjects (hidden by default).

    Grants to anonymous or every authenticated user through a non-default binding are not built in.
    """
    sys = rbac["is_system_subject"].astype(bool)
    default_binding = rbac["binding"].astype("string").str.startswith(("system:", "kubeadm:")).fillna(False)
    anon = rbac["is_everyone"].astype(bool)
    return (sys & ~(anon & ~default_binding)).astype(bool)


def rbac_permissions(rbac: pd.DataFrame, *, include_system: bool = False) -> pd.DataFrame:
    """One row per (subject, role, scope, permission): ``subject``, ``role``, ``scope``, ``cluster_wide``, ``permission``."""
    r = rbac if include_system else rbac[~builtin(rbac)]
    rows = []
    for t in r.itertuples(index=False):
        ns = (
            f"{t.subject_namespace}/"
            if t.subject_kind == "ServiceAccount" and isinstance(t.subject_namespace, str)
            else ""
        )
        subject = f"{t.subject_kind} {ns}{t.subject}"
        role = f"{t.role_kind} {t.role}"
        for perm in permissions_of(t.resources, t.verbs, t.non_resource_urls):
            rows.append((subject, role, str(t.scope), t.binding_kind == "ClusterRoleBinding", perm, t.binding))
    df = pd.DataFrame(rows, columns=["subject", "role", "scope", "cluster_wide", "permission", "binding"])
    df = df.drop_duplicates(["subject", "role", "scope", "permission"])
    # a grant of everything makes the role's other permissions redundant
    key = df["subject"] + "\x1f" + df["role"] + "\x1f" + df["scope"]
    full = set(key[df["permission"] == "everything (*)"])
    return df[~key.isin(full) | (df["permission"] == "everything (*)")].reset_index(drop=True)


def _rgba(color: str, alpha: float) -> str:
    c = color.lstrip("#")
    return f"rgba({int(c[0:2], 16)},{int(c[2:4], 16)},{int(c[4:6], 16)},{alpha})"


CLUSTER_WIDE_LINK = _rgba(SEVERITY_COLORS["high"], 0.45)
NAMESPACED_LINK = _rgba("#6b7280", 0.25)


def rbac_sankey(rbac: pd.DataFrame, *, include_system: bool = False) -> go.Figure:
    """Subject → role → permission; flows granted cluster-wide (ClusterRoleBinding) in red.

    ``fig.data[0].node.label``: subjects, then roles, then permissions;
    ``fig.data[0].link.color``: ``CLUSTER_WIDE_LINK`` or ``NAMESPACED_LINK``.
    Built-in grants to system subjects are hidden unless ``include_system``.
    """
    title = "Who may do what: subjects, the roles bound to them, and what those roles allow"
    perms = rbac_permissions(rbac, include_system=include_system)
    if perms.empty:
        return empty_figure(title, "No role bindings to show.")
    order = {p: i for i, p in enumerate(PERMISSIONS)}
    subjects = sorted(perms["subject"].unique())
    roles = sorted(perms["role"].unique())
    permissions = sorted(perms["permission"].unique(), key=lambda p: order.get(p, 99))
    labels = subjects + roles + permissions
    index = {("s", s): i for i, s in enumerate(subjects)}
    index.update({("r", r): len(subjects) + i for i, r in enumerate(roles)})
    index.update({("p", p): len(subjects) + len(roles) + i for i, p in enumerate(permissions)})
    src, dst, val, col, hover = [], [], [], [], []
    for (s, r, wide), g in perms.groupby(["subject", "role", "cluster_wide"]):
        src.append(index[("s", s)])
        dst.append(index[("r", r)])
        val.append(g["permission"].nunique())
        col.append(CLUSTER_WIDE_LINK if wide else NAMESPACED_LINK)
        scopes = ", ".join(sorted(g["scope"].unique()))
        hover.append(f"{s} → {r}<br>{'cluster-wide' if wide else 'in namespace ' + scopes}")
    for (r, p, wide), g in perms.groupby(["role", "permission", "cluster_wide"]):
        src.append(index[("r", r)])
        dst.append(index[("p", p)])
        val.append(g["subject"].nunique())
        col.append(CLUSTER_WIDE_LINK if wide else NAMESPACED_LINK)
        hover.append(f"{r} → {p}<br>{g['subject'].nunique()} subject(s), {'cluster-wide' if wide else 'namespaced'}")
    node_colors = (
        ["#475569"] * len(subjects)
        + ["#94a3b8"] * len(roles)
        + [SEVERITY_COLORS.get(PERMISSIONS.get(p, "info"), NEUTRAL_COLOR) for p in permissions]
    )
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            textfont={"size": 12, "color": "#111827", "shadow": "1px 1px 2px #ffffff, -1px -1px 2px #ffffff"},
            node={
                "label": labels,
                "color": node_colors,
                "pad": 12,
                "thickness": 14,
                "line": {"color": "#ffffff", "width": 0.5},
            },
            link={
                "source": src,
                "target": dst,
                "value": val,
                "color": col,
                "customdata": hover,
                "hovertemplate": "%{customdata}<extra></extra>",
            },
        )
    )
    n_wide = perms.loc[perms["cluster_wide"], "subject"].nunique()
    hidden = "" if include_system else " Kubernetes' built-in grants to system accounts are hidden."
    layout(
        fig,
        title,
        subtitle=f"Red flows are granted cluster-wide (ClusterRoleBinding): {n_wide} of {len(subjects)} subjects. "
        f"Grey: one namespace only. Permissions coloured by severity.{hidden}",
        height=max(520, 26 * max(len(subjects), len(permissions)) + 170),
    )
    for x, text, anchor in ((0, "subject", "left"), (0.5, "role", "center"), (1, "permission", "right")):
        fig.add_annotation(
            x=x,
            y=1.0,
            xref="paper",
            yref="paper",
            yanchor="bottom",
            xanchor=anchor,
            text=f"<b>{text}</b>",
            showarrow=False,
            font={"size": 13, "color": "#4b5563"},
        )
    fig.update_layout(margin={"t": 115})
    return fig
