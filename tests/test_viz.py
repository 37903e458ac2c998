"""Figures: assertions on figure data (traces, labels, colours), never on pixels."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import pytest

import k8saudit as ka
from k8saudit import viz
from k8saudit.checks import PRACTICES
from k8saudit.findings import audit, empty_findings, scorecard
from k8saudit.viz._base import intensity, segmented_scale


@pytest.fixture(scope="module")
def findings(sample_snap: ka.Snapshot) -> pd.DataFrame:
    return audit(sample_snap)


def values(x: object) -> list:
    return list(x) if x is not None else []


# ---------------------------------------------------------------------- overview


def test_heatmap_counts_open_findings_per_practice_and_severity(findings: pd.DataFrame) -> None:
    fig = viz.severity_heatmap(findings)
    hm = fig.data[0]
    assert values(hm.x) == list(viz.SEVERITY_ORDER)
    assert values(hm.y) == [viz.practice_label(p) for p in PRACTICES]
    live = findings[~findings["exempt"]]
    for i, p in enumerate(PRACTICES):
        for j, sev in enumerate(viz.SEVERITY_ORDER):
            n = int(((live["practice"] == p) & (live["severity"] == sev)).sum())
            assert hm.text[i][j] == (str(n) if n else ""), (p, sev)
    assert str(len(live)) in fig.layout.title.subtitle.text


def test_heatmap_include_exempt_counts_more(findings: pd.DataFrame) -> None:
    with_exempt = viz.severity_counts(findings, include_exempt=True).to_numpy().sum()
    assert with_exempt == len(findings) > viz.severity_counts(findings).to_numpy().sum()


def test_heatmap_columns_use_the_severity_palette() -> None:
    colors = [viz.SEVERITY_COLORS[s] for s in viz.SEVERITY_ORDER]
    scale = segmented_scale(colors)
    assert [p[0] for p in scale] == sorted(p[0] for p in scale)  # a valid, increasing colorscale
    k = len(colors)
    for j, c in enumerate(colors):
        full = [1.0 if j == k - 1 else (j + 0.99) / k, intensity(c, 1.0)]
        assert full in scale, c


def test_findings_by_namespace_stacks_severities_and_exempt(findings: pd.DataFrame) -> None:
    fig = viz.findings_by_namespace(findings)
    names = [t.name for t in fig.data]
    assert names == [*viz.SEVERITY_ORDER, "exempt (any severity)"]
    for t, sev in zip(fig.data, viz.SEVERITY_ORDER):
        assert t.marker.color == viz.SEVERITY_COLORS[sev]
    total = sum(sum(v or 0 for v in t.x) for t in fig.data)
    assert total == len(findings)
    shop = values(fig.data[0].y).index("shop")
    shop_open = sum(t.x[shop] or 0 for t in fig.data[:-1])
    assert shop_open == int(((findings["namespace"] == "shop") & ~findings["exempt"]).sum())
    assert viz.CLUSTER_SCOPED in values(fig.data[0].y)  # ClusterRoleBindings, nodes, ...


def test_pss_levels_counts_every_workload(sample_snap: ka.Snapshot) -> None:
    w = sample_snap.workloads
    fig = viz.pss_levels(w)
    assert [t.name for t in fig.data] == list(viz.PSS_LEVELS)
    assert sum(sum(t.x) for t in fig.data) == len(w)
    restricted = fig.data[0]
    hardened = values(restricted.y).index("hardened")
    assert restricted.x[hardened] == int(((w["namespace"] == "hardened") & (w["pss_level"] == "restricted")).sum())
    assert fig.data[2].marker.color == viz.SEVERITY_COLORS["high"]


def test_scorecard_bar(findings: pd.DataFrame) -> None:
    card = scorecard(findings)
    fig = viz.scorecard_bar(card, findings)
    bar = fig.data[0]
    assert values(bar.y) == [viz.practice_label(p) for p in PRACTICES]
    assert list(bar.x) == pytest.approx([float(s) for s in card.sort_values("practice")["score"]])
    worst_8 = str(findings[(findings["practice"] == 8) & ~findings["exempt"]]["severity"].max())
    assert bar.marker.color[7] == viz.SEVERITY_COLORS[worst_8]


def test_scorecard_bar_statuses_without_findings() -> None:
    card = pd.DataFrame(
        {
            "practice": [1, 2],
            "status": ["pass", "not_assessable"],
            "score": [100.0, None],
            "failing": [0, 0],
            "evaluated": [10, 0],
        }
    )
    bar = viz.scorecard_bar(card).data[0]
    assert bar.marker.color[0] == viz.OK_COLOR
    assert bar.text[1] == "not assessable" and bar.x[1] == 0
    assert bar.text[2] == "no checks ran"


def test_empty_findings_give_figures_not_errors() -> None:
    empty = empty_findings()
    assert viz.severity_heatmap(empty).data[0].text[0] == [""] * 5
    fig = viz.findings_by_namespace(empty)
    assert len(fig.data) == 0 and "No findings" in fig.layout.annotations[0].text


# ---------------------------------------------------------------------- practices


@pytest.mark.parametrize("practice", list(PRACTICES), ids=lambda p: f"practice-{p}")
def test_every_practice_has_a_titled_main_chart(
    sample_snap: ka.Snapshot, findings: pd.DataFrame, practice: int
) -> None:
    fig = viz.practice_chart(practice, sample_snap, findings)
    assert isinstance(fig, go.Figure)
    assert fig.layout.title.text and fig.layout.title.subtitle.text
    assert len(fig.data) >= 1


def test_charts_fill_their_container(sample_snap: ka.Snapshot, findings: pd.DataFrame) -> None:
    """No fixed width (it clips charts in a narrow JupyterLab): every chart autosizes to its output area."""
    figs = [viz.practice_chart(p, sample_snap, findings) for p in PRACTICES]
    figs += [
        viz.severity_heatmap(findings),
        viz.findings_by_namespace(findings),
        viz.pss_levels(sample_snap.workloads),
        viz.scorecard_bar(ka.scorecard(findings), findings),
        viz.findings_by_namespace(empty_findings()),
    ]
    for fig in figs:
        assert fig.layout.width is None and fig.layout.autosize is True, fig.layout.title.text
        assert fig.layout.height  # the height stays fixed, sized to the content


def test_long_subtitles_wrap_instead_of_being_cut(sample_snap: ka.Snapshot) -> None:
    from k8saudit.viz._base import wrap

    text = " ".join(["subjects"] * 40)
    lines = wrap(text).split("<br>")
    assert len(lines) > 2 and all(len(line) <= 110 for line in lines) and " ".join(lines) == text
    assert wrap("<b>markup</b> " * 20) == "<b>markup</b> " * 20 and wrap("short") == "short"
    sankey = viz.rbac_sankey(sample_snap.rbac)
    assert "<br>" in sankey.layout.title.subtitle.text and sankey.layout.margin.t > 90


def test_practice_chart_rejects_unknown_practice(sample_snap: ka.Snapshot) -> None:
    with pytest.raises(ValueError, match="1-10"):
        viz.practice_chart(11, sample_snap)


def test_secrets_sources(sample_snap: ka.Snapshot) -> None:
    fig = viz.secrets_sources(sample_snap.env, sample_snap.volumes)
    by_name = {t.name: dict(zip(t.y, t.x)) for t in fig.data}
    assert list(by_name) == list(viz.SECRET_PATHS)
    assert by_name["credential written in the manifest"]["shop"] == 1  # payments' STRIPE_API_KEY
    assert by_name["mounted as a file (secret volume)"]["hardened"] >= 1
    env = sample_snap.env
    assert sum(by_name["one key as an env var (secretKeyRef)"].values()) == int(
        (env["source"] == "secret_key_ref").sum()
    )
    assert fig.data[3].marker.color == viz.check_color("secret-env-literal") == viz.SEVERITY_COLORS["high"]


def test_apiserver_flags_table(sample_snap: ka.Snapshot) -> None:
    cells = viz.apiserver_flags(sample_snap.apiserver).data[0].cells.values
    verdict = dict(zip(cells[0], cells[3]))
    assert verdict["--anonymous-auth"] == "risk" and verdict["--token-auth-file"] == "risk"
    assert verdict["--authorization-mode"] == "ok" and verdict["--insecure-port"] == "ok"
    empty = viz.apiserver_flags(sample_snap.apiserver.iloc[0:0])
    assert len(empty.data) == 0 and "not visible" in empty.layout.annotations[0].text


def test_capabilities(sample_snap: ka.Snapshot) -> None:
    c = sample_snap.containers
    fig = viz.capabilities(c)
    dropped, added = (dict(zip(t.y, t.x)) for t in fig.data)
    assert dropped["ALL"] == int(c["caps_drop"].map(lambda v: "ALL" in v).sum())
    assert added["SYS_ADMIN"] == 1  # legacy-api
    colors = dict(zip(fig.data[1].y, fig.data[1].marker.color))
    assert colors["SYS_ADMIN"] == viz.check_color("cap-dangerous-add")
    assert colors["NET_RAW"] == viz.check_color("cap-net-raw")
    assert f"{int(viz.keeps_net_raw(c).sum())} of {len(c)}" in fig.layout.title.subtitle.text


def test_host_namespaces(sample_snap: ka.Snapshot, findings: pd.DataFrame) -> None:
    fig = viz.host_namespaces(sample_snap.workloads, sample_snap.containers, findings)
    hm = fig.data[0]
    assert values(hm.x) == ["hostNetwork", "hostPID", "hostIPC", "hostPort"]
    rows = {y.split("  ·")[0]: t for y, t in zip(hm.y, hm.text)}
    assert rows["legacy/legacy-ipc-cache (Deployment)"][2] == "shared"
    assert rows["legacy/legacy-api (Deployment)"][3] == "8080"
    assert "kube-system/kube-proxy (DaemonSet)  · exempt" in hm.y
    assert "legacy/legacy-ipc-cache (Deployment)" in hm.y  # not exempt


def test_rbac_sankey_highlights_cluster_wide_grants(sample_snap: ka.Snapshot) -> None:
    sk = viz.rbac_sankey(sample_snap.rbac).data[0]
    labels = list(sk.node.label)
    links = list(zip(sk.link.source, sk.link.target, sk.link.color))
    grafana, reader = labels.index("ServiceAccount monitoring/grafana"), labels.index("ClusterRole secret-reader")
    assert (grafana, reader, viz.CLUSTER_WIDE_LINK) in links
    devs, edit = labels.index("Group shop-devs"), labels.index("ClusterRole edit")
    assert (devs, edit, viz.NAMESPACED_LINK) in links
    assert "Group system:unauthenticated" in labels  # a non-default grant to anonymous users is shown
    assert not any("system:controller" in lb for lb in labels)
    everything = viz.rbac_sankey(sample_snap.rbac, include_system=True).data[0].node.label
    assert any("system:controller" in lb for lb in everything)


@pytest.mark.parametrize(
    ("resources", "verbs", "urls", "expected"),
    [
        (["*"], ["*"], [], ["everything (*)"]),
        (["secrets"], ["get", "list"], [], ["read Secrets"]),
        (["pods/exec"], ["create"], [], ["exec / attach into pods"]),
        (["users", "groups"], ["impersonate"], [], ["impersonate users/groups"]),
        (["clusterroles"], ["bind", "escalate"], [], ["escalate / bind roles"]),
        (["deployments"], ["update", "patch"], [], ["create or change workloads"]),
        (["configmaps"], ["get"], [], ["read other resources"]),
        ([], ["get"], ["/healthz"], ["non-resource URLs"]),
    ],
    ids=["wildcard", "secrets", "exec", "impersonate", "escalate", "workloads", "read", "urls"],
)
def test_permissions_of(resources: list[str], verbs: list[str], urls: list[str], expected: list[str]) -> None:
    assert viz.permissions_of(resources, verbs, urls) == expected


def test_network_coverage(sample_snap: ka.Snapshot) -> None:
    fig = viz.network_coverage(sample_snap.namespaces)
    cat = {ns: t.name for t in fig.data for ns in t.y}
    assert cat["hardened"] == "default deny, ingress and egress"
    assert cat["dev"] == "default deny for ingress only"
    assert cat["shop"] == "some policies, no default deny"
    assert cat["legacy"] == "no NetworkPolicy at all"
    assert "kube-system" not in cat


def test_exposed_services(sample_snap: ka.Snapshot) -> None:
    fig = viz.exposed_services(sample_snap.services, sample_snap.nodes)
    names, _types, _ports, who = fig.data[0].cells.values
    assert "legacy/legacy-web" in names and "monitoring/grafana" in names
    row = dict(zip(names, who))
    assert row["hardened/web"].startswith("only ")
    assert row["ingress-nginx/ingress-nginx-controller"].startswith("any address")
    assert "worker-01" in fig.layout.title.subtitle.text


def test_rootfs_and_proc_mount(sample_snap: ka.Snapshot) -> None:
    c = sample_snap.containers
    rootfs = {t.name: sum(t.x) for t in viz.rootfs_by_namespace(c).data}
    assert rootfs["read-only"] == int(c["read_only_root_filesystem"].fillna(False).sum())
    assert sum(rootfs.values()) == len(c)
    proc = {t.name: dict(zip(t.y, t.x)) for t in viz.proc_mount(c).data}
    assert proc["Unmasked"] == {**{k: 0 for k in proc["Unmasked"]}, "legacy": 1}
    assert viz.proc_mount(c).data[-1].marker.color == viz.check_color("proc-mount-unmasked")


def test_privilege_matrix(sample_snap: ka.Snapshot, findings: pd.DataFrame) -> None:
    hm = viz.privilege_matrix(sample_snap.containers, findings).data[0]
    assert values(hm.x) == ["privileged", "allowPrivilegeEscalation", "may run as root"]
    rows = dict(zip(hm.y, hm.text))
    assert rows["legacy/legacy-monolith: monolith"][0] == "yes"
    assert rows["shop/postgres: postgres"][2] == "UID 0"
    assert rows["kube-system/kube-proxy: kube-proxy  · exempt"][0] == "yes"
    assert hm.y[0] == "legacy/legacy-monolith: monolith"  # privileged first
    assert not any(y.startswith("hardened/") for y in hm.y)  # hardened containers have no risk
    full = viz.privilege_matrix(sample_snap.containers, only_risky=False).data[0]
    assert len(full.y) == len(sample_snap.containers)


def test_rollout(sample_snap: ka.Snapshot) -> None:
    fig = viz.rollout(sample_snap.workloads)
    up, down, manual = ({y.split("  ·")[0]: x for y, x in zip(t.y, t.x)} for t in fig.data)
    assert down["legacy/legacy-monolith"] == 1 and up["legacy/legacy-monolith"] == 0  # Recreate
    assert down["legacy/legacy-api"] == 2  # maxUnavailable 100%
    assert manual["shop/postgres"] == 1  # OnDelete
    assert down["hardened/api"] == 0 and up["hardened/api"] == 3
    assert fig.data[0].y[0].startswith("legacy/legacy-api")  # all replicas down first
