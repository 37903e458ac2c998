"""The live loader, through the real kubernetes client, against the loopback API server."""

from __future__ import annotations

import base64
import math
import os
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

import k8saudit as ka
from k8saudit import cli
from k8saudit._model import KINDS
from k8saudit.findings import audit, check_stats
from k8saudit.frames import FRAMES
from k8saudit.snapshot import SnapshotError
from k8saudit.sources import _listing, live
from k8saudit.sources.errors import describe_error
from k8saudit.testing import FakeApiServer

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample-cluster"
RBAC = ROOT / "data" / "auditor-rbac.yaml"


# --------------------------------------------------------------------------- a small cluster


def _md(name: str, namespace: str | None = None, **extra: Any) -> dict[str, Any]:
    md: dict[str, Any] = {
        "name": name,
        "uid": f"uid-{namespace or '-'}-{name}",
        "creationTimestamp": "2026-01-12T09:14:03Z",
        **extra,
    }
    if namespace:
        md["namespace"] = namespace
    return md


def _spec(privileged: bool = False) -> dict[str, Any]:
    return {
        "serviceAccountName": "web",
        "containers": [
            {
                "name": "app",
                "image": "nginx:1.27",
                "securityContext": {"privileged": privileged},
                "env": [
                    {"name": "DB_PASSWORD", "value": "hunter2"},
                    {"name": "API_TOKEN", "valueFrom": {"secretKeyRef": {"name": "db", "key": "token"}}},
                ],
            }
        ],
    }


SHOP_PODS = [f"web-{i}" for i in range(7)]
OBJECTS: list[dict[str, Any]] = [
    *(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": _md(n, labels={"kubernetes.io/metadata.name": n})}
        for n in ("default", "shop", "kube-system")
    ),
    {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": _md("worker-1", labels={"kubernetes.io/os": "linux"}),
        "status": {
            "addresses": [
                {"type": "InternalIP", "address": "10.0.0.5"},
                {"type": "ExternalIP", "address": "203.0.113.5"},
            ],
            "nodeInfo": {"kubeletVersion": "v1.31.2"},
        },
    },
    *(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": _md(n, "shop", labels={"app": "web"}),
            "spec": _spec(privileged=True),
            "status": {"phase": "Running"},
        }
        for n in SHOP_PODS
    ),
    {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": _md("coredns-0", "kube-system"),
        "spec": {"containers": [{"name": "coredns", "image": "coredns:1.11"}]},
    },
    {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _md("api", "shop"),
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "api"}},
            "template": {"metadata": {"labels": {"app": "api"}}, "spec": _spec()},
        },
    },
    {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _md("web", "shop"),
        "spec": {"type": "NodePort", "ports": [{"port": 80, "nodePort": 30080}], "selector": {"app": "web"}},
    },
    {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _md("web", "shop"), "secrets": [{"name": "web-token"}]},
    {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/service-account-token",
        "metadata": _md("web-token", "shop", annotations={"kubernetes.io/service-account.name": "web"}),
        "data": {"token": base64.b64encode(b"eyJhbGciOiJSUzI1NiJ9.secret-token-value").decode()},
    },
    {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": _md("db", "shop"),
        "data": {"password": base64.b64encode(b"correct-horse-battery").decode()},
    },
    {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _md("settings", "shop"),
        "data": {"mode": "prod", "DB_PASSWORD": "plain-text-password"},
    },
    {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _md("default-deny", "shop"),
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
    },
    {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": _md("cluster-admin"),
        "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}],
    },
    {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": _md("web-admin"),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"kind": "ServiceAccount", "name": "web", "namespace": "shop"}],
    },
    {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": _md("require-labels"),
    },
]
SECRET_VALUES = [
    b"hunter2",
    b"correct-horse-battery",
    b"secret-token-value",
    b"plain-text-password",
    b"Y29ycmVjdC1ob3JzZS1iYXR0ZXJ5",
]


@pytest.fixture
def server() -> Iterator[FakeApiServer]:
    with FakeApiServer(OBJECTS) as srv:
        yield srv


@pytest.fixture
def kubeconfig(server: FakeApiServer, tmp_path: Path) -> Path:
    return server.write_kubeconfig(tmp_path / "kubeconfig", context="fake", cluster="fake-cluster")


@pytest.fixture(autouse=True)
def _no_real_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Backoff delays are recorded, not slept."""
    delays: list[float] = []
    monkeypatch.setattr(_listing, "_sleep", delays.append)
    return delays


def _load(kubeconfig: Path, **kw: Any) -> ka.Snapshot:
    kw.setdefault("context", "fake")
    return ka.load_cluster(kubeconfig=kubeconfig, **kw)


def _canon(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        v = v.tolist()
    if isinstance(v, (list, tuple)):
        return tuple(_canon(x) for x in v)
    if isinstance(v, dict):
        return tuple(sorted((k, _canon(x)) for k, x in v.items()))
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
        return None
    return v.item() if isinstance(v, np.generic) else v


def _rows(df: pd.DataFrame) -> Counter[tuple[Any, ...]]:
    """The rows of a frame as a multiset, whatever their order and dtypes."""
    return Counter(tuple(_canon(x) for x in r) for r in df.itertuples(index=False))


def _finding_keys(findings: pd.DataFrame) -> set[tuple[Any, ...]]:
    cols = ["check_id", "kind", "namespace", "name", "container"]
    return {tuple(_canon(x) for x in r) for r in findings[cols].itertuples(index=False)}


# --------------------------------------------------------------------------- (a) live == files


def _sample_documents(root: Path) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    objs: list[dict[str, Any]] = []
    kubeconfig = None
    for f in sorted(root.rglob("*.yaml")):
        for doc in yaml.safe_load_all(f.read_text()):
            if not isinstance(doc, dict):
                continue
            if doc.get("kind") == "Config":
                kubeconfig = doc
            elif str(doc.get("kind", "")).endswith("List"):
                objs.extend(doc.get("items") or [])
            else:
                objs.append(doc)
    return objs, kubeconfig


def _pointed_at(srv: FakeApiServer, doc: dict[str, Any], path: Path) -> Path:
    """The sample's kubeconfig with every cluster at the loopback server and its current user's token."""
    doc = yaml.safe_load(yaml.safe_dump(doc))
    for c in doc["clusters"]:
        c["cluster"] = {"server": srv.url, "certificate-authority-data": base64.b64encode(srv.ca_pem).decode()}
    current = next(c for c in doc["contexts"] if c["name"] == doc["current-context"])
    for u in doc["users"]:
        if u["name"] == current["context"]["user"]:
            u["user"] = {"token": srv.token}
    path.write_text(yaml.safe_dump(doc))
    return path


@pytest.mark.skipif(not SAMPLE.is_dir(), reason="data/sample-cluster is not generated yet")
def test_live_and_files_give_the_same_frames_and_findings(tmp_path: Path) -> None:
    files = ka.load(SAMPLE)
    objs, kcfg = _sample_documents(SAMPLE)
    assert kcfg is not None, "the sample ships a kubeconfig.yaml"
    with FakeApiServer(objs) as srv:
        snap = ka.load_cluster(kubeconfig=_pointed_at(srv, kcfg, tmp_path / "kubeconfig"), page_size=40)
        srv.assert_read_only()
    assert snap.cluster == files.cluster and snap.skipped.empty, snap.skipped.to_string()
    for name in FRAMES:
        a, b = files.frame(name), snap.frame(name)
        assert list(a.columns) == list(b.columns), name
        drop = [c for c in ("source", "line") if c in a.columns and name != "env"]  # env.source is data
        if name == "objects":  # the live loader lists the modelled kinds only
            a = a[a["kind"].isin(list(KINDS))]
        if name == "kubeconfig_users":  # same file, pointed at another server
            drop.append("server")
        if name == "secrets":  # live Secrets are metadata only: no type, no keys
            assert b["type"].isna().all() and all(len(k) == 0 for k in b["keys"])
            drop += ["type", "keys"]
        ra, rb = _rows(a.drop(columns=drop)), _rows(b.drop(columns=drop))
        assert ra == rb, (
            f"{name}: only from files: {list((ra - rb).elements())[:3]}; only live: {list((rb - ra).elements())[:3]}"
        )
    fa, fb = audit(files), audit(snap)
    assert len(fa) > 0 and _finding_keys(fa) == _finding_keys(fb)
    sa = check_stats(fa).set_index("check_id")["status"]
    sb = check_stats(fb).set_index("check_id")["status"]
    assert sa.to_dict() == sb.to_dict()
    legacy = fa[fa["check_id"] == "authn-legacy-sa-token-secret"]
    if len(legacy):  # fires live on the annotation alone
        assert _finding_keys(legacy) <= _finding_keys(fb)


class _Reporter:
    """A progress reporter with ``done``, as the notebook's label and the CLI's printer are."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.outcome: list[str] = []

    def __call__(self, message: str) -> None:
        self.lines.append(message)

    def done(self, message: str) -> None:
        self.outcome.append(message)


def test_progress_goes_to_the_callback_and_done_gets_the_outcome(
    server: FakeApiServer, kubeconfig: Path, tmp_path: Path
) -> None:
    rep = _Reporter()
    snap = _load(kubeconfig, progress=rep)
    assert (
        rep.lines
        and rep.outcome == [rep.outcome[0]]
        and rep.outcome[0].startswith(f"{snap.cluster}: {len(snap)} objects")
    )
    rep = _Reporter()
    bad = server.write_kubeconfig(tmp_path / "bad", context="fake", cluster="fake-cluster")
    bad.write_text(bad.read_text().replace(server.url, "http://127.0.0.1:9"))
    with pytest.raises(ka.SnapshotError):
        _load(bad, progress=rep, timeout=2)
    assert len(rep.outcome) == 1 and rep.outcome[0].startswith("k8saudit: ")


def test_a_small_cluster_loads_with_provenance_and_meta(server: FakeApiServer, kubeconfig: Path) -> None:
    lines: list[str] = []
    snap = _load(kubeconfig, progress=lines.append)
    assert snap.cluster == "fake-cluster" and snap.skipped.empty
    assert snap.kinds == {
        "Namespace": 3,
        "Node": 1,
        "Pod": 8,
        "Deployment": 1,
        "Service": 1,
        "ServiceAccount": 1,
        "Secret": 2,
        "ConfigMap": 1,
        "NetworkPolicy": 1,
        "ClusterRole": 1,
        "ClusterRoleBinding": 1,
        "ValidatingAdmissionPolicy": 1,
    }
    assert list(snap.kinds)[:4] == ["Namespace", "Node", "Deployment", "Pod"]  # owners first, not arrival order
    meta = snap.meta
    assert (meta["origin"], meta["context"], meta["server"], meta["server_version"]) == (
        "live",
        "fake",
        server.url,
        "v1.31.2",
    )
    assert meta["kinds"]["Pod"] == 8 and meta["duration_s"] > 0 and len(meta["kinds_listed"]) == len(KINDS)
    objs = snap.objects.set_index(["kind", "namespace", "name"])
    assert objs.loc[("Pod", "shop", "web-0"), "source"] == "/api/v1/namespaces/shop/pods"
    assert objs.loc[("Pod", "shop", "web-0"), "api_version"] == "v1"
    assert objs.loc[("Deployment", "shop", "api"), "api_version"] == "apps/v1"
    cluster_scoped = snap.objects[snap.objects.kind == "ClusterRole"].iloc[0]
    assert cluster_scoped["source"] == "/apis/rbac.authorization.k8s.io/v1/clusterroles"
    assert (
        lines
        and re.search(r"Pod 8\b", lines[-1])
        and f"{len(_listing.RESOURCES)}/{len(_listing.RESOURCES)} lists done" in lines[-1]
    )
    # the kubeconfig's users: how they authenticate, never the credential
    users = snap.kubeconfig_users
    assert users[["context", "user", "auth_type"]].values.tolist() == [["fake", "fake-user", "token"]]
    assert server.token not in repr(snap.kubeconfig_entries)
    # equal parts are one object across pods (what keeps 100k pods in memory)
    a, b = [p for p in snap.items("Pod") if p.metadata.namespace == "shop"][:2]
    assert a.spec.containers[0].image is b.spec.containers[0].image
    assert a.spec.containers[0].env is b.spec.containers[0].env
    assert a.spec.containers[0].security_context is b.spec.containers[0].security_context
    assert a.metadata.labels is b.metadata.labels and a.metadata.uid != b.metadata.uid


# --------------------------------------------------------------------------- (b) read-only, secrets metadata only


def test_only_gets_and_secrets_travel_as_metadata(server: FakeApiServer, kubeconfig: Path, tmp_path: Path) -> None:
    snap = _load(kubeconfig)
    server.assert_read_only()
    reqs = server.requests
    assert {r.method for r in reqs} == {"GET"}
    secret_reqs = [r for r in reqs if r.resource == "secrets"]
    assert secret_reqs and all(r.metadata_only and r.accept == live.METADATA_ACCEPT for r in secret_reqs)
    secrets = snap.secrets.set_index("name")
    assert secrets.loc["web-token", "is_sa_token"] and secrets.loc["web-token", "service_account"] == "web"
    assert not secrets.loc["db", "is_sa_token"]
    cm = snap.config_maps.set_index("key")
    assert cm.loc["DB_PASSWORD", "value"].startswith("<masked:") and pd.isna(cm.loc["mode", "value"])
    env = snap.env.set_index("var")
    assert env.loc["DB_PASSWORD", "value"].iloc[0].startswith("<masked:")
    saved = snap.save(tmp_path / "snap")
    blob = b"".join(p.read_bytes() for p in saved.rglob("*") if p.is_file() and p.suffix == ".json")
    import gzip

    blob += b"".join(gzip.decompress(p.read_bytes()) for p in saved.rglob("*.json.gz"))
    for value in SECRET_VALUES:
        assert value not in blob


def test_the_legacy_token_check_fires_on_the_annotation(server: FakeApiServer, kubeconfig: Path) -> None:
    findings = audit(_load(kubeconfig), checks=["authn-legacy-sa-token-secret"])
    assert ("Secret", "shop", "web-token") in set(map(tuple, findings[["kind", "namespace", "name"]].values.tolist()))


# --------------------------------------------------------------------------- (c) pagination


@pytest.mark.parametrize(
    ("page_size", "cap", "pod_requests"),
    [(2, None, 4), (500, 3, 3), (1, None, 8)],
    ids=["page-2", "server-cap-3", "page-1"],
)
def test_pagination_gathers_every_item_once(tmp_path: Path, page_size: int, cap: int | None, pod_requests: int) -> None:
    with FakeApiServer(OBJECTS, page_size_cap=cap) as srv:
        snap = _load(srv.write_kubeconfig(tmp_path / "kc"), page_size=page_size, workers=3)
        pods = [r for r in srv.requests if r.resource == "pods"]
    names = [o.metadata.name for o in snap.items("Pod")]
    assert sorted(names) == sorted([*SHOP_PODS, "coredns-0"]) and len(names) == len(set(names))
    assert len(pods) == pod_requests
    assert {r.query["limit"] for r in pods} == {str(page_size)}
    assert sum("continue" in r.query for r in pods) == pod_requests - 1


# --------------------------------------------------------------------------- (d) (e) partial permissions


def test_forbidden_secrets_are_recorded_and_the_rest_loads(server: FakeApiServer, kubeconfig: Path) -> None:
    server.forbid("secrets")
    snap = _load(kubeconfig)
    assert "Secret" not in snap.kinds and snap.kinds["Pod"] == 8
    sk = snap.skipped
    assert len(sk) == 1
    row = sk.iloc[0]
    assert (row["kind"], row["category"], row["source"]) == ("Secret", "forbidden", "/api/v1/secrets")
    assert row["reason"].startswith("forbidden: list secrets at cluster scope (")
    assert 'cannot list resource "secrets"' in row["reason"]
    assert snap.unreadable_kinds() == {"Secret": row["reason"]}
    stats = check_stats(audit(snap)).set_index("check_id")
    from k8saudit.checks import CHECKS

    needing = [c.id for c in CHECKS.values() if "Secret" in c.inputs]
    assert needing, "some checks need Secrets"
    assert (stats.loc[needing, "status"] == "not_assessable").all()
    others = [c.id for c in CHECKS.values() if "Secret" not in c.inputs and not c.needs_apiserver]
    assert others and stats.loc[others, "status"].isin(["pass", "fail"]).all()


def test_forbidden_in_one_namespace(server: FakeApiServer, kubeconfig: Path) -> None:
    server.forbid("configmaps", "kube-system")
    snap = _load(kubeconfig, namespaces=["shop", "kube-system"])
    rows = snap.skipped
    assert rows[["kind", "namespace", "category"]].values.tolist() == [["ConfigMap", "kube-system", "forbidden"]]
    assert 'in namespace "kube-system"' in rows.iloc[0]["reason"]
    assert [o.metadata.name for o in snap.items("ConfigMap")] == ["settings"]


def test_a_kind_the_server_does_not_serve_is_noted_quietly(server: FakeApiServer, kubeconfig: Path) -> None:
    server.not_served("validatingadmissionpolicies")
    snap = _load(kubeconfig)
    assert "ValidatingAdmissionPolicy" not in snap.kinds and snap.kinds["Pod"] == 8
    assert snap.skipped[["kind", "category"]].values.tolist() == [["ValidatingAdmissionPolicy", "not_served"]]
    assert "does not serve validatingadmissionpolicies" in snap.skipped.iloc[0]["reason"]


# --------------------------------------------------------------------------- (f) (g) a flaky API


def test_429_honours_retry_after_then_succeeds(
    server: FakeApiServer, kubeconfig: Path, _no_real_sleeps: list[float]
) -> None:
    server.fail_next("pods", 429, times=2, retry_after=3)
    snap = _load(kubeconfig)
    assert snap.kinds["Pod"] == 8 and snap.skipped.empty
    assert _no_real_sleeps == [3.0, 3.0]


def test_503_backs_off_exponentially_then_succeeds(
    server: FakeApiServer, kubeconfig: Path, _no_real_sleeps: list[float]
) -> None:
    server.fail_next("configmaps", 503, times=3)
    snap = _load(kubeconfig)
    assert snap.kinds["ConfigMap"] == 1 and snap.skipped.empty
    assert len(_no_real_sleeps) == 3
    # urllib3's Retry: the first retry at once, then BACKOFF doubled each time, plus up to BACKOFF/4 of jitter
    assert _no_real_sleeps[0] == 0
    for i, d in enumerate(_no_real_sleeps[1:], start=1):
        assert live.BACKOFF * 2**i <= d <= live.BACKOFF * 2**i + live.BACKOFF / 4


def test_retries_are_bounded(server: FakeApiServer, kubeconfig: Path, _no_real_sleeps: list[float]) -> None:
    server.fail_next("services", 500, times=20)
    snap = _load(kubeconfig)
    assert snap.kinds["Pod"] == 8 and "Service" not in snap.kinds
    row = snap.skipped.iloc[0]
    assert (row["kind"], row["category"]) == ("Service", "error")
    assert f"after {live.MAX_ATTEMPTS} attempts: 500" in row["reason"]
    assert len([r for r in server.requests if r.resource == "services"]) == live.MAX_ATTEMPTS
    assert len(_no_real_sleeps) == live.MAX_ATTEMPTS - 1


def test_the_client_retries_through_urllib3_retry_honouring_retry_after(
    server: FakeApiServer, kubeconfig: Path, _no_real_sleeps: list[float]
) -> None:
    """429 and 5xx are retried by the kubernetes client's own urllib3 Retry (Configuration.retries), which waits
    what Retry-After asks (at most MAX_DELAY) instead of its backoff, and counts every attempt."""
    from urllib3.util.retry import Retry

    conn = live._connect("fake", kubeconfig, False, None, 2)
    assert isinstance(conn.api.configuration.retries, Retry) and conn.api.configuration.retries is _listing.RETRY
    server.fault("services", 503, times=2, retry_after=7)
    server.fault("configmaps", 429, times=1, retry_after=3600)  # an hour: capped
    snap = _load(kubeconfig, workers=1)
    assert snap.kinds["Service"] == 1 and snap.kinds["ConfigMap"] == 1 and snap.skipped.empty
    assert sorted(_no_real_sleeps) == [7, 7, live.MAX_DELAY]  # not the backoff (0, then 1s): what the server asked
    services = [r.status for r in server.requests if r.resource == "services"]
    assert services == [503, 503, 200]
    assert snap.meta["requests"] == len(server.requests)  # every attempt the Retry made is counted


def test_a_retry_after_that_is_not_a_time_falls_back_to_the_backoff(_no_real_sleeps: list[float]) -> None:
    from urllib3 import HTTPResponse
    from urllib3.util.retry import RequestHistory

    retry = _listing.RETRY.new(history=(RequestHistory("GET", "/", None, 503, None),) * 2)
    retry.sleep(HTTPResponse(status=503, headers={"Retry-After": "soon"}))
    retry.sleep(HTTPResponse(status=503, headers={"Retry-After": "2"}))
    retry.sleep(HTTPResponse(status=503))
    backoff = live.BACKOFF * 2
    assert backoff <= _no_real_sleeps[0] <= backoff + live.BACKOFF / 4 and _no_real_sleeps[1] == 2
    assert backoff <= _no_real_sleeps[2] <= backoff + live.BACKOFF / 4


def test_a_read_timeout_is_not_retried(server: FakeApiServer, kubeconfig: Path) -> None:
    """A server too slow to answer is not asked again (the load would take attempts x timeout)."""
    slow = server.fault("pods", delay=2.0, page=2, times=live.MAX_ATTEMPTS)
    snap = _load(kubeconfig, page_size=3, timeout=0.5)
    assert snap.skipped.iloc[0]["category"] == "partial"
    assert slow.times == live.MAX_ATTEMPTS - 1  # page 2 of the pods was asked for once


def test_an_expired_continue_token_restarts_the_list(server: FakeApiServer, kubeconfig: Path) -> None:
    server.expire_continue("pods", times=1)
    snap = _load(kubeconfig, page_size=3)
    names = [o.metadata.name for o in snap.items("Pod")]
    assert sorted(names) == sorted([*SHOP_PODS, "coredns-0"]) and len(names) == len(set(names))
    assert snap.skipped.empty
    pods = [r for r in server.requests if r.resource == "pods"]
    assert [r.status for r in pods].count(410) == 1
    assert sum("continue" not in r.query for r in pods) == 2  # the first page, twice


def test_a_token_that_keeps_expiring_makes_the_list_partial(server: FakeApiServer, kubeconfig: Path) -> None:
    server.expire_continue("pods", times=10)
    snap = _load(kubeconfig, page_size=3)
    row = snap.skipped.iloc[0]
    assert (row["kind"], row["category"]) == ("Pod", "partial") and pd.isna(row["name"])
    assert "410 Gone" in row["reason"]
    assert len(snap.items("Pod")) == 3  # the page read before giving up is kept, and said so
    assert f"{live.MAX_RESTARTS} restarts; 3 items read from 1 page" in row["reason"]


# --------------------------------------------------------------------------- every fault class

ALL_PODS = 8  # SHOP_PODS and coredns-0; with page_size=3 the pods come in pages of 3, 3 and 2

#: (id, fault arguments, category of the Pod skip row or None, text of its reason, pods kept)
FAULT_CLASSES: list[tuple[str, dict[str, Any], str | None, str, int]] = [
    ("403-forever", {"status": 403, "times": None}, "forbidden", 'cannot list resource "pods"', 0),
    ("404-forever", {"status": 404, "times": None}, "not_served", "does not serve pods", 0),
    ("429-twice-then-ok", {"status": 429, "times": 2, "retry_after": 3}, None, "", ALL_PODS),
    (
        "429-forever",
        {"status": 429, "times": None, "retry_after": 1},
        "error",
        f"failed after {live.MAX_ATTEMPTS} attempts: 429 Too many requests",
        0,
    ),
    ("500-forever", {"status": 500, "times": None}, "error", f"after {live.MAX_ATTEMPTS} attempts: 500", 0),
    ("503-on-page-2-twice", {"status": 503, "times": 2, "page": 2}, None, "", ALL_PODS),
    (
        "500-on-page-2-forever",
        {"status": 500, "times": None, "page": 2},
        "partial",
        f"page 2 failed after {live.MAX_ATTEMPTS} attempts: 500 Internal error occurred: injected failure; "
        "3 items read from 1 page",
        3,
    ),
    (
        "403-on-page-3",
        {"status": 403, "times": None, "page": 3},
        "partial",
        'page 3 failed: 403 pods is forbidden: User "system:serviceaccount:audit:k8saudit" cannot list',
        6,
    ),
    ("410-on-first-page", {"status": 410, "times": None}, "error", "410 too old resource version", 0),
    ("410-on-page-2-once", {"status": 410, "page": 2}, None, "", ALL_PODS),
    (
        "410-on-page-2-forever",
        {"status": 410, "times": None, "page": 2},
        "partial",
        "the continue token kept expiring (410 Gone)",
        3,
    ),
    ("garbage-once", {"body": "garbage"}, None, "", ALL_PODS),
    (
        "garbage-forever",
        {"body": "garbage", "times": None},
        "error",
        f"failed after {live.MAX_ATTEMPTS} attempts: the answer is not valid JSON",
        0,
    ),
    ("truncated-forever", {"body": "truncated", "times": None}, "error", "the answer is not valid JSON", 0),
    (
        "truncated-page-2-forever",
        {"body": "truncated", "times": None, "page": 2},
        "partial",
        "page 2 failed after 5 attempts: the answer is not valid JSON",
        3,
    ),
    ("garbage-page-3-forever", {"body": "garbage", "times": None, "page": 3}, "partial", "not valid JSON", 6),
    (
        "stop-paging-after-page-2",
        {"body": "stop_paging", "page": 2},
        "partial",
        "the server stopped paging after page 2 although 2 more items remained (remainingItemCount); "
        "6 items read from 2 pages",
        6,
    ),
    (
        "stop-paging-on-page-1",
        {"body": "stop_paging", "page": 1},
        "partial",
        "stopped paging after page 1 although 5 more items remained",
        3,
    ),
]


@pytest.mark.parametrize(
    ("fault", "category", "text", "kept"), [c[1:] for c in FAULT_CLASSES], ids=[c[0] for c in FAULT_CLASSES]
)
def test_each_fault_class_is_retried_or_recorded(
    server: FakeApiServer, kubeconfig: Path, fault: dict[str, Any], category: str | None, text: str, kept: int
) -> None:
    server.fault("pods", **fault)
    snap = _load(kubeconfig, page_size=3)
    assert len(snap.items("Pod")) == kept
    assert snap.kinds["ConfigMap"] == 1 and snap.kinds["Namespace"] == 3  # the other kinds are whole
    rows = snap.skipped
    if category is None:
        assert rows.empty, rows.to_string()
        return
    assert len(rows) == 1, rows.to_string()
    row = rows.iloc[0]
    assert (row["kind"], row["category"]) == ("Pod", category)
    assert pd.isna(row["namespace"]) and pd.isna(row["name"])  # the whole kind, not one object
    assert row["source"] == "/api/v1/pods"
    assert text in row["reason"], row["reason"]
    assert row["reason"].startswith(f"{category.replace('_', ' ')}: " if category != "error" else "error: ")
    if category in ("forbidden", "not_served", "error"):
        assert "Pod" in snap.unreadable_kinds()


def test_retries_of_a_bad_body_back_off(server: FakeApiServer, kubeconfig: Path, _no_real_sleeps: list[float]) -> None:
    server.fault("configmaps", body="truncated", times=2)
    snap = _load(kubeconfig)
    assert snap.kinds["ConfigMap"] == 1 and snap.skipped.empty
    assert len(_no_real_sleeps) == 2
    cms = [r for r in server.requests if r.resource == "configmaps"]
    assert [r.fault for r in cms] == ["body truncated", "body truncated", None]


def test_a_slow_later_page_makes_the_list_partial(server: FakeApiServer, kubeconfig: Path) -> None:
    server.fault("pods", delay=2.0, page=2, times=None)
    snap = _load(kubeconfig, page_size=3, timeout=0.5)
    row = snap.skipped.iloc[0]
    assert (row["kind"], row["category"]) == ("Pod", "partial")
    assert "page 2 timed out after 0.5s (timeout=0.5); 3 items read from 1 page" in row["reason"]
    assert len(snap.items("Pod")) == 3


def test_a_list_that_is_not_a_list_is_an_error(server: FakeApiServer, kubeconfig: Path) -> None:
    from k8saudit.testing.apiserver import _Reply

    real = server._list

    def odd(t: Any, ns: Any, query: Any, mode: str, **kw: Any) -> Any:
        if t.resource == "services":
            return _Reply(200, b'{"kind": "ServiceList", "metadata": {"continue": 5}, "items": 7}')
        if t.resource == "endpoints":
            return _Reply(200, b'{"kind": "EndpointsList", "metadata": {}, "items": 7}')
        return real(t, ns, query, mode, **kw)

    server._list = odd  # type: ignore[method-assign]
    snap = _load(kubeconfig)
    by_kind = snap.skipped.set_index("kind")
    assert by_kind.loc["Service", "category"] == "error"
    assert "the answer is not a list page" in by_kind.loc["Service", "reason"]
    assert snap.kinds["Pod"] == ALL_PODS


# --------------------------------------------------------------------------- (h) (i) timeouts and dead servers


def test_a_slow_list_times_out_and_names_the_timeout(server: FakeApiServer, kubeconfig: Path) -> None:
    server.slow("configmaps", 2.0)
    snap = _load(kubeconfig, timeout=0.5)
    assert snap.kinds["Pod"] == 8
    row = snap.skipped.iloc[0]
    assert (row["kind"], row["category"]) == ("ConfigMap", "error")
    assert "timed out after 0.5s (timeout=0.5)" in row["reason"]


def _dead_kubeconfig(tmp_path: Path) -> tuple[Path, int]:
    srv = FakeApiServer(OBJECTS).start()
    kc = srv.write_kubeconfig(tmp_path / "kubeconfig", context="fake")
    port = srv.port
    srv.stop()
    return kc, port


def _bad_ca(tmp_path: Path, srv: FakeApiServer) -> Path:
    import trustme

    kc = srv.write_kubeconfig(tmp_path / "kubeconfig", context="fake")
    doc = yaml.safe_load(kc.read_text())
    doc["clusters"][0]["cluster"]["certificate-authority-data"] = base64.b64encode(
        trustme.CA().cert_pem.bytes()
    ).decode()
    kc.write_text(yaml.safe_dump(doc))
    return kc


@pytest.mark.parametrize("case", ["refused", "tls", "unauthorized"])
def test_an_unusable_server_is_one_line_and_cli_exit_2(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeApiServer(OBJECTS) as srv:
        if case == "refused":
            kc, port = _dead_kubeconfig(tmp_path)
            expect = [f"https://127.0.0.1:{port}", "connection refused"]
        elif case == "tls":
            kc, expect = (
                _bad_ca(tmp_path, srv),
                [f"TLS failure talking to the API server {srv.url}", "certificate verify failed"],
            )
        else:
            kc = srv.write_kubeconfig(tmp_path / "kubeconfig", context="fake", token="wrong")
            expect = [f"the API server {srv.url} rejected the credentials", "401"]
        with pytest.raises(SnapshotError) as err:
            _load(kc)
        msg = str(err.value)
        assert "\n" not in msg and msg.startswith("context 'fake'") and all(e in msg for e in expect), msg
        capsys.readouterr()
        assert cli.main(["scan", "--context", "fake", "--kubeconfig", str(kc)]) == 2
        out = capsys.readouterr()
        assert out.err.count("\n") == 1 and out.err.startswith("k8saudit: ") and "Traceback" not in out.err
        assert all(e in out.err for e in expect) and out.out == ""


def test_unknown_context_and_missing_kubeconfig(kubeconfig: Path, tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match=r"no context 'nope'; contexts are: fake"):
        _load(kubeconfig, context="nope")
    with pytest.raises(SnapshotError, match="no kubeconfig at"):
        ka.load_cluster(kubeconfig=tmp_path / "missing")
    assert live.list_contexts(kubeconfig) == ["fake"]


@pytest.mark.parametrize(
    ("make", "expect"),
    [
        (
            lambda: __import__("urllib3").exceptions.NewConnectionError(
                None,
                "HTTPSConnection(host='10.0.0.1', port=6443): Failed to establish a new connection: "
                "[Errno 111] Connection refused",
            ),
            "connection refused",
        ),
        (
            lambda: __import__("urllib3").exceptions.ReadTimeoutError(
                None, "/api/v1/pods", "Read timed out. (read timeout=30)"
            ),
            "did not answer after 30s",
        ),
        (
            lambda: __import__("kubernetes").client.exceptions.ApiException(
                status=0,
                reason="SSLError\n[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed "
                "certificate (_ssl.c:1006)",
            ),
            "TLS failure talking to the API server: certificate verify failed: self-signed certificate",
        ),
        (
            lambda: __import__("kubernetes").client.exceptions.ApiException(
                status=403, reason="Forbidden", body='{"kind":"Status","message":"pods is forbidden"}'
            ),
            "the API server answered 403 Forbidden: pods is forbidden",
        ),
        (
            lambda: __import__("kubernetes").config.config_exception.ConfigException("Invalid kube-config file."),
            "kubeconfig: Invalid kube-config file.",
        ),
        (lambda: ConnectionResetError(104, "Connection reset by peer"), "connection reset by peer"),
    ],
    ids=["refused", "timeout", "tls", "api-403", "config", "reset"],
)
def test_describe_error(make: Any, expect: str) -> None:
    msg = describe_error(make())
    assert msg is not None and expect in msg and "\n" not in msg


def test_describe_error_leaves_bugs_alone() -> None:
    assert describe_error(KeyError("x")) is None and describe_error(TypeError("bad")) is None


# --------------------------------------------------------------------------- (j) (k) scope and several clusters


def test_namespaces_limit_namespaced_kinds(server: FakeApiServer, kubeconfig: Path) -> None:
    snap = _load(kubeconfig, namespaces=["kube-system"])
    assert [o.metadata.name for o in snap.items("Pod")] == ["coredns-0"]
    assert snap.namespaces["name"].tolist() == ["kube-system"]
    assert snap.kinds["Node"] == 1 and snap.kinds["ClusterRole"] == 1  # cluster-scoped kinds still read
    listed = {r.path for r in server.requests if r.resource in ("pods", "secrets")}
    assert listed == {"/api/v1/namespaces/kube-system/pods", "/api/v1/namespaces/kube-system/secrets"}
    assert snap.meta["namespaces"] == ["kube-system"]


def test_load_clusters_combines_two_servers(tmp_path: Path) -> None:
    other = [o for o in OBJECTS if o["kind"] in ("Namespace", "Pod")][:5]
    with FakeApiServer(OBJECTS) as a, FakeApiServer(other, token="other-token") as b:
        docs = [
            yaml.safe_load(
                s.write_kubeconfig(
                    tmp_path / f"kc-{n}", context=n, cluster=f"{n}-cluster", user=f"{n}-user"
                ).read_text()
            )
            for n, s in (("prod", a), ("staging", b))
        ]
        merged = dict(docs[0])
        for key in ("clusters", "users", "contexts"):
            merged[key] = docs[0][key] + docs[1][key]
        kc = tmp_path / "kubeconfig"
        kc.write_text(yaml.safe_dump(merged))
        assert live.list_contexts(kc) == ["prod", "staging"]
        snap = ka.load_clusters(["prod", "staging"], kubeconfig=kc)
    assert snap.clusters == ["prod-cluster", "staging-cluster"]
    assert set(snap.workloads["cluster"]) == {"prod-cluster", "staging-cluster"}
    counts = snap.objects.groupby("cluster").size().to_dict()
    assert counts == {"prod-cluster": len(OBJECTS), "staging-cluster": 5}
    assert set(audit(snap)["cluster"]) <= {"prod-cluster", "staging-cluster"}


def test_one_unreachable_context_does_not_stop_a_fleet_scan(tmp_path: Path) -> None:
    (tmp_path / "dead").mkdir()
    dead_kc, _ = _dead_kubeconfig(tmp_path / "dead")
    with FakeApiServer(OBJECTS) as a:
        docs = [
            yaml.safe_load(
                a.write_kubeconfig(
                    tmp_path / "kc-prod", context="prod", cluster="prod-cluster", user="prod-user"
                ).read_text()
            ),
            yaml.safe_load(dead_kc.read_text()),
        ]
        docs[1]["contexts"][0]["name"] = "gone"
        docs[1]["contexts"][0]["context"]["cluster"] = "gone-cluster"
        docs[1]["clusters"][0]["name"] = "gone-cluster"
        merged = dict(docs[0])
        for key in ("clusters", "users", "contexts"):
            merged[key] = docs[0][key] + docs[1][key]
        kc = tmp_path / "kubeconfig"
        kc.write_text(yaml.safe_dump(merged))
        snap = ka.load_clusters(["prod", "gone"], kubeconfig=kc)
    assert snap.clusters == ["prod-cluster", "gone-cluster"]
    f = audit(snap)
    assert set(f["cluster"]) == {"prod-cluster"}  # nothing is reported clean or dirty for the unreachable one
    stats = check_stats(f)
    gone = stats[stats.cluster == "gone-cluster"]
    assert len(gone) and (gone.status == "not_assessable").all()
    assert gone.reason.str.contains("could not be read").all()
    sk = snap.skipped
    assert sk[sk.cluster == "gone-cluster"].category.tolist() == ["error"]


def test_forbidden_at_cluster_scope_is_listed_namespace_by_namespace(tmp_path: Path) -> None:
    """An auditor with a Role per namespace: cluster-wide `list pods` is 403, per namespace it works."""
    objs, _ = _sample_documents(SAMPLE)
    srv = FakeApiServer(objs)
    srv.forbid("configmaps", namespace="shop")  # cluster scope and shop forbidden, other namespaces readable
    with srv:
        kc = srv.write_kubeconfig(tmp_path / "kubeconfig", context="fake")
        snap = ka.load_cluster(context="fake", kubeconfig=kc)
        paths = [r.path for r in srv.requests]
        srv.assert_read_only()
    files = ka.load(SAMPLE)
    want = {(o.metadata.namespace, o.metadata.name) for o in files.items("ConfigMap") if o.metadata.namespace != "shop"}
    got = {(o.metadata.namespace, o.metadata.name) for o in snap.items("ConfigMap")}
    assert got == want and want
    sk = snap.skipped
    rows = sk[sk.kind == "ConfigMap"]
    assert rows[["namespace", "category"]].values.tolist() == [["shop", "forbidden"]]  # only what is still hidden
    assert "/api/v1/namespaces/monitoring/configmaps" in paths
    # read in the other namespaces only: partial, never pass
    st = check_stats(audit(snap)).set_index("check_id").loc["secret-configmap-credential"]
    assert st["status"] == "partial" and "ConfigMap read in part (in namespace shop: forbidden" in st["reason"]


class _AnyCaseBearer(FakeApiServer):
    """The real API server takes the auth scheme in any case; the in-cluster config sends "bearer"."""

    def _respond(self, h: Any, *args: Any) -> Any:
        auth = h.headers.get("Authorization", "")
        if auth[:7].lower() == "bearer ":
            del h.headers["Authorization"]
            h.headers["Authorization"] = "Bearer " + auth[7:]
        return super()._respond(h, *args)


def test_in_cluster_config_is_used_in_a_pod(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kubernetes.config import incluster_config

    with _AnyCaseBearer(OBJECTS) as server:
        (tmp_path / "token").write_text(server.token)
        (tmp_path / "ca.crt").write_bytes(server.ca_pem)
        monkeypatch.setattr(incluster_config, "SERVICE_TOKEN_FILENAME", str(tmp_path / "token"))
        monkeypatch.setattr(incluster_config, "SERVICE_CERT_FILENAME", str(tmp_path / "ca.crt"))
        monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
        monkeypatch.setenv("KUBERNETES_SERVICE_PORT", str(server.port))
        monkeypatch.delenv("KUBECONFIG", raising=False)
        monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.kube/config
        snap = ka.load_cluster()
    assert snap.cluster == "in-cluster" and snap.meta["in_cluster"] and snap.kinds["Pod"] == 8
    assert snap.meta["context"] is None and snap.kubeconfig_entries == []


# --------------------------------------------------------------------------- (l) CLI


def test_cli_snapshot_then_scan(
    server: FakeApiServer, kubeconfig: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "snap"
    assert cli.main(["snapshot", "--context", "fake", "--kubeconfig", str(kubeconfig), "-o", str(out), "-q"]) == 0
    said = capsys.readouterr().out
    assert f"saved fake-cluster to {out}" in said and "8 Pod" in said
    server.assert_read_only()
    back = ka.load(out)
    assert back.meta["origin"] == "live" and back.kinds["Pod"] == 8
    assert cli.main(["scan", str(out), "--format", "json", "-q"]) == 0
    direct = audit(_load(kubeconfig))
    scanned = capsys.readouterr().out
    for cid in set(direct["check_id"]):
        assert cid in scanned


# --------------------------------------------------------------------------- the auditor's RBAC


def test_the_shipped_cluster_role_covers_exactly_what_is_listed() -> None:
    docs = list(yaml.safe_load_all(RBAC.read_text()))
    role = next(d for d in docs if d["kind"] == "ClusterRole")
    binding = next(d for d in docs if d["kind"] == "ClusterRoleBinding")
    sa = next(d for d in docs if d["kind"] == "ServiceAccount")
    assert (sa["metadata"]["name"], sa["metadata"]["namespace"]) == ("k8saudit", "k8saudit")
    assert binding["roleRef"]["name"] == role["metadata"]["name"] == "k8saudit-reader"
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "k8saudit", "namespace": "k8saudit"}]
    granted: dict[tuple[str, str], set[str]] = {}
    for rule in role["rules"]:
        assert set(rule["verbs"]) <= {"get", "list", "watch"}, rule
        assert "*" not in rule.get("resources", []) and "*" not in rule.get("apiGroups", [])
        for g in rule.get("apiGroups", []):
            for r in rule.get("resources", []):
                granted.setdefault((g, r), set()).update(rule["verbs"])
    listed = {(r.group, r.plural) for r in live.RESOURCES}
    assert {k for k, v in granted.items() if "list" in v} >= listed
    assert set(granted) == listed, "the role grants nothing the loader does not read"
    assert granted[("", "secrets")] == {"list"}


# --------------------------------------------------------------------------- (m) a real cluster


@pytest.mark.live
@pytest.mark.skipif(
    not (os.environ.get("KUBECONFIG") and os.environ.get("K8SAUDIT_LIVE_TESTS") == "1"),
    reason="needs a real cluster: set KUBECONFIG and K8SAUDIT_LIVE_TESTS=1",
)
def test_a_real_cluster() -> None:
    snap = ka.load_cluster(timeout=60)
    assert snap.meta["origin"] == "live" and snap.meta["server_version"]
    assert snap.kinds.get("Namespace", 0) >= 1 or "Namespace" in snap.unreadable_kinds()
    assert all(not s.type and not s.data_keys for s in snap.items("Secret"))
    audit(snap)


def _rewrite_pages(server: FakeApiServer, resource: str, edit: Any) -> None:
    """Pass every list page of ``resource`` through ``edit(page_number, doc)``."""
    import orjson

    real = server._list

    def wrapped(t: Any, ns: Any, query: Any, mode: str, **kw: Any) -> Any:
        reply = real(t, ns, query, mode, **kw)
        if t.resource == resource and reply.status == 200:
            doc = orjson.loads(reply.body)
            edit(1 if "continue" not in query else 2, doc)
            reply.body = orjson.dumps(doc)
        return reply

    server._list = wrapped  # type: ignore[method-assign]


def test_a_server_that_drops_token_and_count_is_caught_by_the_count_before(
    server: FakeApiServer, kubeconfig: Path
) -> None:
    def drop(page: int, doc: dict[str, Any]) -> None:
        if page == 2:  # the second page ends the list: no token, no count
            doc["metadata"].pop("continue", None)
            doc["metadata"].pop("remainingItemCount", None)

    _rewrite_pages(server, "pods", drop)
    snap = _load(kubeconfig, page_size=3)
    row = snap.skipped.iloc[0]
    assert (row["kind"], row["category"]) == ("Pod", "partial")
    assert "although 2 more items remained" in row["reason"] and len(snap.items("Pod")) == 6


def test_a_count_that_was_one_off_is_not_a_partial_list(server: FakeApiServer, kubeconfig: Path) -> None:
    def overcount(page: int, doc: dict[str, Any]) -> None:
        if doc["metadata"].get("continue"):
            doc["metadata"]["remainingItemCount"] += 1  # a pod created while the list was read

    _rewrite_pages(server, "pods", overcount)
    snap = _load(kubeconfig, page_size=3)
    assert snap.skipped.empty and len(snap.items("Pod")) == ALL_PODS


# --------------------------------------------------------------------------- what each fault class does to the gate

#: (id, fault, scorecard status of a check that reads Pods)
GATE_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("403-forever", {"status": 403, "times": None}, "not_assessable"),
    ("404-forever", {"status": 404, "times": None}, "not_assessable"),
    ("429-forever", {"status": 429, "times": None, "retry_after": 1}, "not_assessable"),
    ("500-forever", {"status": 500, "times": None}, "not_assessable"),
    ("garbage-forever", {"body": "garbage", "times": None}, "not_assessable"),
    ("truncated-forever", {"body": "truncated", "times": None}, "not_assessable"),
    ("410-on-page-2-forever", {"status": 410, "times": None, "page": 2}, "partial"),
    ("500-on-page-2-forever", {"status": 500, "times": None, "page": 2}, "partial"),
    ("truncated-page-2-forever", {"body": "truncated", "times": None, "page": 2}, "partial"),
    ("stop-paging-after-page-2", {"body": "stop_paging", "page": 2}, "partial"),
    ("503-twice", {"status": 503, "times": 2}, "pass"),
]


@pytest.mark.parametrize(("fault", "status"), [c[1:] for c in GATE_CASES], ids=[c[0] for c in GATE_CASES])
def test_each_fault_class_reaches_the_scorecard_and_the_exit_code(
    tmp_path: Path, fault: dict[str, Any], status: str
) -> None:
    exit_partial = cli.EXIT_PARTIAL
    with FakeApiServer(OBJECTS, page_size_cap=3) as srv:  # pages of 3 whatever the client asks
        kc = srv.write_kubeconfig(tmp_path / "kubeconfig", context="fake")
        srv.fault("pods", **fault)
        snap = _load(kc)
        stats = check_stats(audit(snap, checks=["host-pid"])).set_index("check_id")
        assert stats.loc["host-pid", "status"] == status, stats.loc["host-pid", "reason"]
        argv = ["scan", "--context", "fake", "--kubeconfig", str(kc), "--check", "host-pid", "-q", "--fail-on", "low"]
        for extra, code in (([], 0 if status == "pass" else exit_partial), (["--allow-partial"], 0)):
            srv.clear_faults()
            srv.fault("pods", **fault)
            assert cli.main([*argv, *extra]) == code, extra
