"""Never a false clean: a check whose inputs could not be read (or only in part) is never "pass".

Every check is tried with each of its input kinds missing (a snapshot skip row: cheap) and
each input kind is forbidden on the loopback API server (live); the check must then be
``not_assessable`` (or ``partial``) with a reason naming the kind.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import k8saudit as ka
from k8saudit.checks import CHECKS
from k8saudit.findings import (
    Coverage,
    NoObjectsError,
    assessable,
    audit,
    check_stats,
    is_partial,
    not_assessed,
    scorecard,
    skipped_of,
)
from k8saudit.frames import COLUMN_KINDS, FRAME_KINDS, WORKLOAD_KINDS
from k8saudit.snapshot import NOTED, category_not_assessed
from k8saudit.sources import _listing
from k8saudit.testing import FakeApiServer


def _md(name: str, namespace: str | None = None, **extra: Any) -> dict[str, Any]:
    md: dict[str, Any] = {"name": name, "uid": f"uid-{namespace or '-'}-{name}", **extra}
    if namespace:
        md["namespace"] = namespace
    return md


_PRIV = {
    "name": "app",
    "image": "nginx:1.27",
    "ports": [{"containerPort": 80, "hostPort": 8080}],
    "securityContext": {"privileged": True, "capabilities": {"add": ["SYS_ADMIN"]}},
}
_RBAC = "rbac.authorization.k8s.io/v1"

#: one object of (almost) every kind a check reads; the privileged containers live in bare pods only
TINY: list[dict[str, Any]] = [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": _md("shop")},
    {"apiVersion": "v1", "kind": "Namespace", "metadata": _md("kube-system")},
    {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": _md("n1"),
        "status": {"addresses": [{"type": "ExternalIP", "address": "203.0.113.5"}]},
    },
    {"apiVersion": "v1", "kind": "Pod", "metadata": _md("web", "shop"), "spec": {"containers": [_PRIV]}},
    {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": _md("kube-apiserver-n1", "kube-system", labels={"component": "kube-apiserver"}),
        "spec": {
            "nodeName": "n1",
            "containers": [
                {
                    "name": "kube-apiserver",
                    "image": "registry.k8s.io/kube-apiserver:v1.31.0",
                    "command": ["kube-apiserver", "--token-auth-file=/t.csv"],
                }
            ],
        },
    },
    {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _md("api", "shop"),
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "api"}},
            "template": {
                "metadata": {"labels": {"app": "api"}},
                "spec": {"containers": [{"name": "api", "image": "api:1"}]},
            },
        },
    },
    {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _md("web", "shop"),
        "spec": {"type": "NodePort", "ports": [{"port": 80, "nodePort": 30080}]},
    },
    {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _md("default", "shop")},
    {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/service-account-token",
        "metadata": _md("old-token", "shop", annotations={"kubernetes.io/service-account.name": "default"}),
    },
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _md("settings", "shop"), "data": {"DB_PASSWORD": "x" * 9}},
    {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _md("allow-web", "shop"),
        "spec": {"podSelector": {"matchLabels": {"app": "web"}}},
    },
    {
        "apiVersion": _RBAC,
        "kind": "ClusterRole",
        "metadata": _md("everything"),
        "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}],
    },
    {
        "apiVersion": _RBAC,
        "kind": "ClusterRoleBinding",
        "metadata": _md("ops-everything"),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "everything"},
        "subjects": [{"kind": "User", "name": "ops"}],
    },
    {
        "apiVersion": _RBAC,
        "kind": "Role",
        "metadata": _md("reader", "shop"),
        "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}],
    },
    {
        "apiVersion": _RBAC,
        "kind": "RoleBinding",
        "metadata": _md("dev-reader", "shop"),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
        "subjects": [{"kind": "User", "name": "dev"}],
    },
    {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": _md("other", "shop"),
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "other"}}},
    },
    {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": _md("cert-manager-webhook"),
    },
]

INPUT_KINDS = sorted({k for c in CHECKS.values() for k in c.inputs})


def _snap(tmp_path: Path, without: str | None = None) -> ka.Snapshot:
    docs = [d for d in TINY if d["kind"] != without]
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    return ka.load(path, cluster="tiny")


def test_the_fixture_cluster_is_assessed_completely(tmp_path: Path) -> None:
    stats = check_stats(audit(_snap(tmp_path))).set_index("check_id")
    assert set(stats["status"]) <= {"pass", "fail"}
    # the checks the regression is about fire on it
    assert (stats.loc[["privileged", "cap-dangerous-add", "host-port"], "status"] == "fail").all()


def test_inputs_are_derived_from_the_frames_a_check_reads() -> None:
    for cid in ("privileged", "cap-dangerous-add", "cap-net-raw", "secret-env-literal", "host-ipc"):
        assert set(CHECKS[cid].inputs) == set(WORKLOAD_KINDS), cid
    assert set(CHECKS["svc-nodeport"].inputs) == {"Service"}
    assert set(CHECKS["rbac-cluster-admin"].inputs) == {"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"}
    assert set(CHECKS["rollout-no-pdb"].inputs) == set(WORKLOAD_KINDS) | {"PodDisruptionBudget"}
    # a column fed by another kind counts only for the checks that read it
    assert "ServiceAccount" in CHECKS["authn-sa-token-automount"].inputs
    assert "ServiceAccount" not in CHECKS["host-ipc"].inputs and "Namespace" not in CHECKS["host-ipc"].inputs
    assert "NetworkPolicy" in CHECKS["net-no-policy"].inputs
    assert "NetworkPolicy" not in CHECKS["psa-not-enforced"].inputs
    # what a check reads through the snapshot itself is declared
    assert {"ValidatingWebhookConfiguration", "ValidatingAdmissionPolicy"} <= set(CHECKS["policy-engine-absent"].inputs)
    assert CHECKS["authn-kubeconfig-static"].inputs == ()
    assert "inputs" in CHECKS.frame().columns


def test_every_frame_and_column_kind_is_a_modelled_kind() -> None:
    from k8saudit import _model as m
    from k8saudit.frames import FRAMES, SCHEMAS

    assert set(FRAME_KINDS) == set(FRAMES)
    kinds = {k for ks in FRAME_KINDS.values() for k in ks} | {
        k for cols in COLUMN_KINDS.values() for ks in cols.values() for k in ks
    }
    assert kinds <= set(m.KINDS)
    for frame, cols in COLUMN_KINDS.items():
        documented = {c for c, _, _ in SCHEMAS[frame]}
        assert set(cols) <= documented, frame


def test_a_check_must_name_what_it_reads_through_the_snapshot() -> None:
    from k8saudit.checks._registry import check

    with pytest.raises(ValueError, match="needs="):
        check("x-test-snap", practice=1, severity="low", on="cluster", title="t", why="w", remediation="r")(
            lambda snap: None
        )
    with pytest.raises(ValueError, match="name no frame"):
        check("x-test-frame", practice=1, severity="low", on="workloads", title="t", why="w", remediation="r")(
            lambda workload: None
        )
    assert "x-test-snap" not in CHECKS and "x-test-frame" not in CHECKS


def _verdicts(snap: ka.Snapshot) -> dict[str, tuple[str | None, str | None]]:
    """What the runner decides for every check of the registry before running it (cheap)."""
    cov = Coverage.of(snap)
    return {c.id: assessable(c, snap, cov) for c in CHECKS.values()}


@pytest.mark.parametrize("kind", INPUT_KINDS)
def test_each_input_kind_not_read_makes_its_checks_not_assessable(tmp_path: Path, kind: str) -> None:
    """Every check of the registry, with each of its input kinds not read (one snapshot per kind)."""
    snap = _snap(tmp_path, without=kind)
    snap.skip(
        f"/apis/x/{kind.lower()}s", f"forbidden: list {kind.lower()}s at cluster scope", category="forbidden", kind=kind
    )
    for cid, (status, reason) in _verdicts(snap).items():
        if kind in CHECKS[cid].inputs:
            assert status == "not_assessable", cid
            assert f"could not read {kind}: forbidden" in reason, cid
        else:
            assert status is None, (cid, reason)


@pytest.mark.parametrize("kind", INPUT_KINDS)
def test_each_input_kind_read_in_part_makes_its_checks_partial(tmp_path: Path, kind: str) -> None:
    snap = _snap(tmp_path)
    snap.skip(
        f"/api/v1/namespaces/shop/{kind.lower()}s",
        "forbidden: list in namespace shop",
        category="forbidden",
        kind=kind,
        namespace="shop",
    )
    for cid, (status, reason) in _verdicts(snap).items():
        if kind in CHECKS[cid].inputs:
            assert status == "partial", cid
            assert f"{kind} read in part (in namespace shop: forbidden" in reason, cid
        else:
            assert status is None, (cid, reason)


@pytest.mark.parametrize("kind", ["Pod", "Service", "ClusterRole", "Namespace"])
def test_the_runner_reports_what_assessable_decides(tmp_path: Path, kind: str) -> None:
    snap = _snap(tmp_path, without=kind)
    snap.skip("/x", f"forbidden: list {kind}", category="forbidden", kind=kind)
    stats = check_stats(audit(snap)).set_index("check_id")
    for cid, (status, reason) in _verdicts(snap).items():
        if status is None:
            assert stats.loc[cid, "status"] in ("pass", "fail"), cid
        else:
            assert (stats.loc[cid, "status"], stats.loc[cid, "reason"]) == (status, reason), cid


def test_every_check_with_inputs_is_covered() -> None:
    assert {k for c in CHECKS.values() for k in c.inputs} == set(INPUT_KINDS)
    assert all(c.inputs or c.id == "authn-kubeconfig-static" for c in CHECKS.values())


@pytest.mark.parametrize("category", ["partial", "invalid", "conflict", "parse_error", "too_large", "some_new_one"])
def test_categories_that_lose_an_object_make_its_checks_partial(tmp_path: Path, category: str) -> None:
    snap = _snap(tmp_path)
    # `partial`: a list that ended early (kind, no name); the others: one object that did not load
    name = None if category == "partial" else "web-2"
    snap.skip(
        "/api/v1/pods" if name is None else "pods.yaml",
        f"{category}: something",
        category=category,
        kind="Pod",
        namespace=None if name is None else "shop",
        name=name,
        document=None if name is None else 3,
    )
    f = audit(snap)
    stats = check_stats(f).set_index("check_id")
    for c in CHECKS.values():
        want = "partial" if "Pod" in c.inputs else {"pass", "fail"}
        got = stats.loc[c.id, "status"]
        assert got == want if isinstance(want, str) else got in want, c.id
    assert "Pod read in part" in stats.loc["privileged", "reason"]
    # the failures that were found are still reported
    assert (f["check_id"] == "privileged").sum() == 1
    assert is_partial(f)


@pytest.mark.parametrize("category", sorted(NOTED))
def test_noted_categories_lose_nothing(tmp_path: Path, category: str) -> None:
    snap = _snap(tmp_path)
    snap.skip(
        "values.yaml",
        "not a Kubernetes object (no apiVersion/kind)",
        category=category,
        kind="Pod" if category == "duplicate" else None,
        name="web" if category == "duplicate" else None,
        namespace="shop" if category == "duplicate" else None,
    )
    f = audit(snap)
    assert not is_partial(f) and not_assessed(f).empty
    assert skipped_of(f)["category"].tolist() == [category]


def test_categories_in_one_place() -> None:
    for cat in (
        "unreadable",
        "too_large",
        "parse_error",
        "invalid",
        "forbidden",
        "not_served",
        "error",
        "partial",
        "conflict",
        "anything-new",
    ):
        assert category_not_assessed(cat), cat
    for cat in ("empty", "not_kubernetes", "duplicate"):
        assert not category_not_assessed(cat), cat


def test_an_unparsable_document_of_unknown_kind_makes_every_check_with_inputs_partial(tmp_path: Path) -> None:
    snap = _snap(tmp_path)
    snap.skip(
        "broken.yaml",
        "malformed YAML: mapping values are not allowed here (line 3)",
        category="parse_error",
        document=0,
    )
    stats = check_stats(audit(snap)).set_index("check_id")
    with_inputs = [c.id for c in CHECKS.values() if c.inputs]
    assert (stats.loc[with_inputs, "status"] == "partial").all()
    assert stats.loc["privileged", "reason"].startswith("1 input item of unknown kind could not be read: broken.yaml#0")
    assert stats.loc["authn-kubeconfig-static", "status"] == "pass"  # reads the kubeconfig only


def test_pods_not_read_keep_what_deployments_show_but_never_pass(tmp_path: Path) -> None:
    """Pods forbidden, Deployments read: a privileged Deployment is still reported, the check is not assessable."""
    docs = [d for d in TINY if d["kind"] != "Pod"]
    dep = yaml.safe_load(yaml.safe_dump(next(d for d in docs if d["kind"] == "Deployment")))
    dep["spec"]["template"]["spec"]["containers"][0]["securityContext"] = {"privileged": True}
    docs = [dep if d["kind"] == "Deployment" else d for d in docs]
    (tmp_path / "c.yaml").write_text(yaml.safe_dump_all(docs))
    snap = ka.load(tmp_path / "c.yaml")
    snap.skip("/api/v1/pods", "forbidden: list pods at cluster scope", category="forbidden", kind="Pod")
    f = audit(snap)
    stats = check_stats(f).set_index("check_id")
    assert stats.loc["privileged", "status"] == "not_assessable"
    assert list(f.loc[f.check_id == "privileged", "name"]) == ["api"]
    sc = scorecard(f, by="check").set_index("check_id")
    assert sc.loc["privileged", "status"] == "not_assessable" and pd.isna(sc.loc["privileged", "score"])
    practice = scorecard(f).set_index("practice")
    assert practice.loc[8, "status"] == "fail"  # a failure found is a failure
    assert "privileged" in practice.loc[8, "not_assessable"]
    from k8saudit import report

    text = report.text(f, snap)
    line = next(x for x in text.splitlines() if x.lstrip().startswith("8. No privileged"))
    assert line.endswith("some checks not fully assessed")
    assert text.splitlines()[3].startswith("PARTIAL AUDIT: ")


def test_practice_status_is_partial_not_pass(tmp_path: Path) -> None:
    snap = _snap(tmp_path)
    snap.skip("/api/v1/namespaces/shop/services", "forbidden", category="forbidden", kind="Service", namespace="shop")
    f = audit(snap, practices=[7], checks=["svc-nodeport", "svc-lb-open"])
    f = f[f.check_id != "svc-nodeport"]  # as if the NodePort finding were fixed
    f.attrs.update(audit(snap, checks=["svc-nodeport", "svc-lb-open"]).attrs)
    st = check_stats(f)
    st.loc[st.check_id == "svc-nodeport", "failing"] = 0
    f.attrs["stats"] = st.to_dict("records")
    card = scorecard(f).set_index("practice")
    assert card.loc[7, "status"] == "partial" and card.loc[7, "partial"] == "svc-nodeport, svc-lb-open"
    assert card.loc[7, "score"] is None


def test_no_kubernetes_object_is_an_error_not_an_empty_cluster(tmp_path: Path) -> None:
    (tmp_path / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    snap = ka.load(tmp_path / "passwd")
    with pytest.raises(NoObjectsError, match=r"no Kubernetes objects found in .*passwd: .*passwd"):
        audit(snap)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(NoObjectsError, match="no Kubernetes objects found in"):
        audit(ka.load(empty))
    assert isinstance(NoObjectsError("x"), ka.SnapshotError)


def test_a_kubeconfig_alone_is_something_to_audit(tmp_path: Path) -> None:
    kc = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "c",
        "contexts": [{"name": "c", "context": {"cluster": "k", "user": "u"}}],
        "clusters": [{"name": "k", "cluster": {"server": "https://k.example:6443"}}],
        "users": [{"name": "u", "user": {"token": "abc.def"}}],
    }
    (tmp_path / "kubeconfig.yaml").write_text(yaml.safe_dump(kc))
    snap = ka.load(tmp_path / "kubeconfig.yaml")
    if not snap.kubeconfig_entries:
        pytest.skip("the file loader does not read kubeconfig files")
    f = audit(snap, checks=["authn-kubeconfig-static"])
    assert (f.check_id == "authn-kubeconfig-static").any()


def test_assessable_names_the_cluster_error() -> None:
    snap = ka.Snapshot("gone", meta={"error": "connection refused"})
    status, reason = assessable(CHECKS["privileged"], snap)
    assert status == "not_assessable" and "connection refused" in reason


# --------------------------------------------------------------------------- live: the loopback API server

PLURAL = {r.kind: r.plural for r in _listing.RESOURCES}


@pytest.fixture(autouse=True)
def _no_real_sleeps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_listing, "_sleep", lambda s: None)


@pytest.fixture
def server() -> Iterator[FakeApiServer]:
    with FakeApiServer(TINY) as srv:
        yield srv


@pytest.mark.parametrize("kind", INPUT_KINDS)
def test_live_each_kind_forbidden(server: FakeApiServer, tmp_path: Path, kind: str) -> None:
    server.forbid(PLURAL[kind])
    kc = server.write_kubeconfig(tmp_path / "kubeconfig", context="fake")
    snap = ka.load_cluster(context="fake", kubeconfig=kc)
    server.assert_read_only()
    assert kind not in snap.kinds
    for cid, (status, reason) in _verdicts(snap).items():
        if kind in CHECKS[cid].inputs:
            assert status == "not_assessable", cid
            assert f"could not read {kind}: forbidden: list" in reason, cid
        else:
            assert status is None, (cid, reason)


def test_live_forbidden_pods_no_longer_pass_privileged(server: FakeApiServer, tmp_path: Path) -> None:
    """The regression: with Pods forbidden, `privileged` and `cap-dangerous-add` turned into a 100% pass."""
    server.forbid("pods")
    kc = server.write_kubeconfig(tmp_path / "kubeconfig", context="fake")
    f = audit(ka.load_cluster(context="fake", kubeconfig=kc))
    sc = scorecard(f, by="check").set_index("check_id")
    for cid in ("privileged", "cap-dangerous-add"):
        assert sc.loc[cid, "status"] == "not_assessable" and pd.isna(sc.loc[cid, "score"])
        assert "could not read Pod" in sc.loc[cid, "reason"]
    practice = scorecard(f).set_index("practice")
    # the Deployment still runs as root: practice 8 fails on that, and says privileged was not assessed
    assert practice.loc[8, "status"] == "fail" and "privileged" in practice.loc[8, "not_assessable"]
    assert practice.loc[3, "status"] != "pass" and "cap-dangerous-add" in practice.loc[3, "not_assessable"]
    assert is_partial(f)
