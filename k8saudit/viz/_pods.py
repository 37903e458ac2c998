"""Charts of pod and container settings: secrets (1), capabilities (3), host namespaces (4),
read-only root (6), privileges (8), /proc mount (9)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ..checks import CHECKS
from ..checks._common import any_in
from ..checks.p03_capabilities import DANGEROUS_CAPABILITIES
from ._base import (
    NEUTRAL_COLOR,
    OK_COLOR,
    SEVERITY_COLORS,
    blend,
    empty_figure,
    grid,
    integer_axis,
    layout,
    legend_below,
    namespace_of,
    ordered,
)


def check_color(check_id: str, fallback: str = "medium") -> str:
    """The severity colour of a registered check: the colour of its findings."""
    sev = CHECKS[check_id].severity if check_id in CHECKS else fallback
    return SEVERITY_COLORS[sev]


def _stacked_by_namespace(
    table: pd.DataFrame, colors: dict[str, str], title: str, subtitle: str, x: str, legend: str, unit: str
) -> go.Figure:
    order = table.sum(axis=1).sort_values(ascending=False, kind="stable").index
    fig = go.Figure()
    for cat in table.columns:
        fig.add_trace(
            go.Bar(
                y=list(order),
                x=table.loc[order, cat].tolist(),
                name=cat,
                orientation="h",
                marker_color=colors[cat],
                hovertemplate="%{y}: %{x} " + unit + "<br>" + cat + "<extra></extra>",
            )
        )
    layout(fig, title, subtitle=subtitle, x=x, y="namespace", legend=legend, height=max(340, 190 + 28 * len(order)))
    fig.update_layout(barmode="stack")
    legend_below(fig, rows=(len(table.columns) + 1) // 2)
    integer_axis(fig, float(table.sum(axis=1).max()))
    fig.update_yaxes(autorange="reversed", ticksuffix=" ")
    return fig


#: how a Secret's value reaches a container (practice 1), safest first
SECRET_PATHS = (
    "mounted as a file (secret volume)",
    "one key as an env var (secretKeyRef)",
    "whole Secret as env vars (envFrom)",
    "credential written in the manifest",
)


def secrets_sources(env: pd.DataFrame, volumes: pd.DataFrame) -> go.Figure:
    """How Secrets reach containers, per namespace: files (good) vs environment variables (findings).

    Traces in ``SECRET_PATHS`` order; ``y`` namespaces, ``x`` how many references.
    """
    rows = []
    vol = volumes[(volumes["type"] == "secret").fillna(False).astype(bool)]
    rows += [(ns, SECRET_PATHS[0]) for ns in vol["namespace"]]
    e = env
    rows += [(ns, SECRET_PATHS[1]) for ns in e.loc[(e["source"] == "secret_key_ref").fillna(False), "namespace"]]
    rows += [(ns, SECRET_PATHS[2]) for ns in e.loc[(e["source"] == "env_from_secret").fillna(False), "namespace"]]
    lit = (e["source"] == "literal").fillna(False) & e["looks_like_credential"].fillna(False).astype(bool)
    rows += [(ns, SECRET_PATHS[3]) for ns in e.loc[lit, "namespace"]]
    title = "How secrets reach containers, per namespace"
    if not rows:
        return empty_figure(title, "No container reads a Secret or holds a credential-looking variable.")
    df = pd.DataFrame(rows, columns=["ns", "path"])
    table = pd.crosstab(df["ns"], df["path"]).reindex(columns=list(SECRET_PATHS), fill_value=0)
    colors = dict(
        zip(
            SECRET_PATHS,
            (OK_COLOR, check_color("secret-env-ref"), check_color("secret-envfrom"), check_color("secret-env-literal")),
        )
    )
    n_env = int(table[list(SECRET_PATHS[1:])].to_numpy().sum())
    return _stacked_by_namespace(
        table,
        colors,
        title,
        f"{n_env} secret value(s) reach a process environment, {int(table[SECRET_PATHS[0]].sum())} are mounted as files. "
        "Colours: green is the safe way, the others the severity of their finding.",
        x="number of references (volumes, env vars, envFrom entries)",
        legend="",
        unit="reference(s)",
    )


def keeps_net_raw(containers: pd.DataFrame) -> pd.Series:
    """Per container: does it keep NET_RAW (drops neither NET_RAW nor ALL, adds it back, or is privileged)?"""
    drop = any_in(containers["caps_drop"], ("ALL", "NET_RAW"))
    add = any_in(containers["caps_add"], ("ALL", "NET_RAW"))
    return ~drop | add | containers["privileged"].fillna(False).astype(bool)


def capabilities(containers: pd.DataFrame) -> go.Figure:
    """Linux capabilities added and dropped across containers.

    ``fig.data[0]`` ("dropped"): ``y`` capabilities, ``x`` containers dropping it;
    ``fig.data[1]`` ("added"): containers adding it, dangerous ones in the high colour.
    """
    title = "Linux capabilities added and dropped across containers"
    if containers.empty:
        return empty_figure(title, "No containers in this snapshot.")
    dropped = containers["caps_drop"].explode().dropna().value_counts()
    added = containers["caps_add"].explode().dropna().value_counts()
    caps = ordered(list(dropped.index) + list(added.index), ["ALL", "NET_RAW"])
    caps = sorted(caps, key=lambda c: (c != "ALL", c != "NET_RAW", -(dropped.get(c, 0) + added.get(c, 0)), c))
    keep = int(keeps_net_raw(containers).sum())
    add_colors = [
        check_color("cap-dangerous-add")
        if c in DANGEROUS_CAPABILITIES
        else check_color("cap-net-raw")
        if c == "NET_RAW"
        else NEUTRAL_COLOR
        for c in caps
    ]
    fig = go.Figure(
        [
            go.Bar(
                y=caps,
                x=[int(dropped.get(c, 0)) for c in caps],
                name="dropped (capabilities.drop)",
                orientation="h",
                marker_color=OK_COLOR,
                hovertemplate="%{x} container(s) drop %{y}<extra></extra>",
            ),
            go.Bar(
                y=caps,
                x=[int(added.get(c, 0)) for c in caps],
                name="added (capabilities.add)",
                orientation="h",
                marker_color=add_colors,
                hovertemplate="%{x} container(s) add %{y}<extra></extra>",
            ),
        ]
    )
    layout(
        fig,
        title,
        subtitle=(
            f"{keep} of {len(containers)} containers keep NET_RAW (they drop neither NET_RAW nor ALL). "
            "Added bars: red = dangerous capability, amber = NET_RAW, grey = harmless."
        ),
        x="number of containers",
        y="capability",
        height=max(320, 150 + 46 * len(caps)),
    )
    fig.update_layout(barmode="group")
    legend_below(fig)
    integer_axis(fig, float(max(dropped.max() if len(dropped) else 0, added.max() if len(added) else 0)))
    fig.update_yaxes(autorange="reversed", ticksuffix=" ")
    return fig


def _matrix(
    rows: list[str],
    columns: list[tuple[str, str]],
    cells: list[list[tuple[float, str]]],
    title: str,
    subtitle: str,
    x: str | None,
    y: str,
) -> go.Figure:
    """A row x setting grid, each column in its check's colour; cells (0 ok / 0.5 risky default / 1 risky, text)."""
    t = [[None if v <= 0 else 0.3 if v < 1 else 1.0 for v, _ in row] for row in cells]
    text = [[label for _, label in row] for row in cells]
    fig = grid(go.Figure(), [c for c, _ in columns], rows, [c for _, c in columns], t, text, "%{y}<br>%{x}: %{text}")
    layout(fig, title, subtitle=subtitle, x=x, y=y, height=max(300, 160 + 24 * len(rows)))
    fig.update_xaxes(side="top", showgrid=False)
    fig.update_yaxes(autorange="reversed", showgrid=False, ticksuffix="  ", tickfont={"size": 11})
    return fig


def exempt_objects(findings: pd.DataFrame | None, checks: tuple[str, ...], *, by_container: bool = False) -> set[tuple]:
    """(namespace, name[, container]) whose findings of ``checks`` are all exempt."""
    if findings is None or findings.empty:
        return set()
    f = findings[findings["check_id"].isin(list(checks))]
    keys = ["namespace", "name"] + (["container"] if by_container else [])
    all_ex = f.assign(ex=f["exempt"].astype(bool)).groupby(keys, dropna=False)["ex"].all()
    return {tuple(k) for k, v in all_ex.items() if v}


def _workload_label(df: pd.DataFrame) -> pd.Series:
    return namespace_of(df["namespace"]) + "/" + df["name"].astype("string") + " (" + df["kind"].astype("string") + ")"


def host_namespaces(
    workloads: pd.DataFrame, containers: pd.DataFrame, findings: pd.DataFrame | None = None
) -> go.Figure:
    """Workloads sharing a namespace of the node: hostNetwork, hostPID, hostIPC, hostPort.

    ``fig.data[0]``: ``x`` the settings, ``y`` the workloads using at least one,
    ``text`` "shared", the host ports, or "—". Given the ``findings``, workloads whose
    findings here are all exempt are labelled so.
    """
    title = "Workloads that share the node's namespaces"
    keys = ["cluster", "kind", "namespace", "name"]
    ports = containers.assign(hp=containers["host_ports"].map(lambda v: sorted(v or ())))
    ports = (
        ports[ports["hp"].map(len) > 0]
        .groupby(keys, dropna=False)["hp"]
        .agg(lambda s: sorted({p for v in s for p in v}))
    )
    w = workloads.merge(ports.rename("hp").reset_index(), on=keys, how="left")
    w["hp"] = w["hp"].map(lambda v: v if isinstance(v, list) else [])
    flags = w[["host_network", "host_pid", "host_ipc"]].fillna(False).astype(bool)
    used = w[flags.any(axis=1) | (w["hp"].map(len) > 0)]
    if used.empty:
        return empty_figure(title, "No workload uses hostNetwork, hostPID, hostIPC or a hostPort.")
    exempt = exempt_objects(findings, ("host-network", "host-pid", "host-ipc", "host-port"))
    labels = [
        label + ("  · exempt" if (ns, n) in exempt else "")
        for label, ns, n in zip(_workload_label(used), used["namespace"], used["name"])
    ]
    cols = [
        ("hostNetwork", check_color("host-network")),
        ("hostPID", check_color("host-pid")),
        ("hostIPC", check_color("host-ipc")),
        ("hostPort", check_color("host-port")),
    ]
    cells = []
    for _, r in used.iterrows():
        row = [(1.0, "shared") if bool(r[c]) else (0.0, "—") for c in ("host_network", "host_pid", "host_ipc")]
        row.append((1.0, ", ".join(map(str, r["hp"]))) if r["hp"] else (0.0, "—"))
        cells.append(row)
    return _matrix(
        labels,
        cols,
        cells,
        title,
        f"{len(used)} of {len(workloads)} workloads. Coloured: the setting is on (severity colour of its check)."
        + (" 'exempt': expected of this system component." if exempt else ""),
        x=None,
        y="workload (namespace/name)",
    )


def _ns_status(
    containers: pd.DataFrame, status: pd.Series, cats: dict[str, str], title: str, subtitle: str, x: str
) -> go.Figure:
    df = pd.DataFrame({"ns": namespace_of(containers["namespace"]), "s": status.to_numpy()})
    table = pd.crosstab(df["ns"], df["s"]).reindex(columns=list(cats), fill_value=0)
    table = table.loc[:, table.sum() > 0]
    return _stacked_by_namespace(
        table, {k: cats[k] for k in table.columns}, title, subtitle, x=x, legend="", unit="container(s)"
    )


def rootfs_by_namespace(containers: pd.DataFrame) -> go.Figure:
    """Containers with a read-only vs writable root filesystem, per namespace."""
    title = "Read-only root filesystem, per namespace"
    if containers.empty:
        return empty_figure(title, "No containers in this snapshot.")
    ro = containers["read_only_root_filesystem"]
    status = pd.Series(["read-only"] * len(ro), index=ro.index, dtype=object)
    status[ro.isna().to_numpy()] = "writable (not set)"
    status[(ro == False).fillna(False).to_numpy()] = "writable (set to false)"  # noqa: E712
    color = check_color("rootfs-writable")
    cats = {"read-only": OK_COLOR, "writable (set to false)": color, "writable (not set)": blend(color, 0.55)}
    n_ro = int((status == "read-only").sum())
    return _ns_status(
        containers,
        status,
        cats,
        title,
        f"{n_ro} of {len(containers)} containers (init and ephemeral included) set readOnlyRootFilesystem: true.",
        x="number of containers",
    )


def proc_mount(containers: pd.DataFrame) -> go.Figure:
    """procMount per namespace: Default (or not set) vs Unmasked."""
    title = "/proc mount type of containers, per namespace"
    if containers.empty:
        return empty_figure(title, "No containers in this snapshot.")
    pm = containers["proc_mount"].astype("string")
    status = pd.Series("Default (masked)", index=pm.index, dtype=object)
    status[pm.isna().to_numpy()] = "not set (Default, masked)"
    status[(pm == "Unmasked").fillna(False).to_numpy()] = "Unmasked"
    cats = {
        "not set (Default, masked)": blend(OK_COLOR, 0.55),
        "Default (masked)": OK_COLOR,
        "Unmasked": check_color("proc-mount-unmasked"),
    }
    n = int((status == "Unmasked").sum())
    return _ns_status(
        containers,
        status,
        cats,
        title,
        f"{n} container(s) see the node's /proc unmasked; every other container gets the masked default.",
        x="number of containers",
    )


def _true(v: object) -> bool:
    return v is not pd.NA and v is not None and bool(v)


def privilege_matrix(
    containers: pd.DataFrame, findings: pd.DataFrame | None = None, *, only_risky: bool = True
) -> go.Figure:
    """Containers x (privileged, privilege escalation, root): explicit settings full colour, unset defaults pale.

    ``fig.data[0]``: ``x`` privileged, allowPrivilegeEscalation, may run as root; ``text`` the cells;
    ``y`` containers as ``namespace/workload: container``.
    """
    title = "Privileged, privilege escalation and root, per container"
    c = containers
    priv = c["privileged"]
    esc = c["allow_privilege_escalation"]
    uid = c["run_as_user"]
    nonroot = c["run_as_non_root"].fillna(False).astype(bool)
    cells = []
    for p, e, u, nr in zip(priv, esc, uid, nonroot):
        cp = (1.0, "yes") if _true(p) else (0.0, "no")
        ce = (0.5, "not set") if e is pd.NA else (1.0, "yes") if bool(e) else (0.0, "no")
        if u is pd.NA:
            cr = (0.0, "runAsNonRoot") if nr else (0.5, "not set")
        else:
            cr = (1.0, "UID 0") if int(u) == 0 else (0.0, f"UID {int(u)}")
        cells.append([cp, ce, cr])
    risky = [any(v > 0 for v, _ in row) for row in cells]
    keep = [i for i, r in enumerate(risky) if r or not only_risky]
    keep.sort(key=lambda i: (-cells[i][0][0], -sum(v == 1.0 for v, _ in cells[i]), -sum(v for v, _ in cells[i])))
    if not keep:
        return empty_figure(title, "Every container is unprivileged, blocks escalation and runs as a non-root user.")
    sub = c.iloc[keep]
    exempt = exempt_objects(findings, ("privileged", "priv-escalation", "run-as-root"), by_container=True)
    labels = [
        f"{label}  · exempt" if (ns, n, ct) in exempt else label
        for label, ns, n, ct in zip(
            (
                namespace_of(sub["namespace"])
                + "/"
                + sub["name"].astype("string")
                + ": "
                + sub["container"].astype("string")
            ),
            sub["namespace"],
            sub["name"],
            sub["container"],
        )
    ]
    cols = [
        ("privileged", check_color("privileged")),
        ("allowPrivilegeEscalation", check_color("priv-escalation")),
        ("may run as root", check_color("run-as-root")),
    ]
    return _matrix(
        labels,
        cols,
        [cells[i] for i in keep],
        title,
        f"{len(keep)} of {len(c)} containers have at least one risk. Full colour: set explicitly; "
        "pale: not set, so the risky default applies."
        + (" 'exempt': expected of this system component." if exempt else ""),
        x=None,
        y="container (namespace/workload: container)",
    )
