"""The in-process Kubernetes API server, driven by the official kubernetes client."""

from __future__ import annotations

import socket
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
import pytest
from kubernetes import client, config
from kubernetes.client import ApiClient, Configuration
from kubernetes.client.exceptions import ApiException

from k8saudit.testing import FakeApiServer, MemoryStore, ResourceType, Store

PARTIAL_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
PARTIAL_ONE = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json"


def _meta(name: str, namespace: str | None = None) -> dict[str, Any]:
    md: dict[str, Any] = {"name": name, "uid": f"uid-{namespace or ''}-{name}", "resourceVersion": "17"}
    if namespace:
        md["namespace"] = namespace
    return md


def _pod_spec() -> dict[str, Any]:
    return {"containers": [{"name": "app", "image": "nginx:1.27", "securityContext": {"privileged": True}}]}


def _pod(namespace: str, name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": _meta(name, namespace),
        "spec": _pod_spec(),
        "status": {"phase": "Running"},
    }


PODS = [("shop", f"web-{i}") for i in range(5)] + [
    ("kube-system", "coredns-0"),
    ("kube-system", "coredns-1"),
    ("default", "bare"),
]
OBJECTS: list[dict[str, Any]] = [
    *({"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(n)} for n in ("default", "shop", "kube-system")),
    *(_pod(ns, name) for ns, name in PODS),
    {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _meta("db-credentials", "shop"),
        "type": "Opaque",
        "data": {"password": "aHVudGVyMg=="},
    },
    {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _meta("tls", "shop"),
        "type": "kubernetes.io/tls",
        "data": {"tls.crt": "Y2VydA==", "tls.key": "a2V5"},
    },
    {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _meta("bootstrap", "kube-system"),
        "type": "Opaque",
        "stringData": {"token": "abc.def"},
    },
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta("settings", "shop"), "data": {"mode": "prod"}},
    *(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": _meta(name, ns),
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": name}},
                "template": {"metadata": {"labels": {"app": name}}, "spec": _pod_spec()},
            },
        }
        for ns, name in (("shop", "web"), ("kube-system", "coredns"))
    ),
    {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": _meta("cluster-admin"),
        "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}],
    },
    {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": _meta("admins"),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"kind": "Group", "name": "admins", "apiGroup": "rbac.authorization.k8s.io"}],
    },
    {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": _meta("read", "shop"),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
        "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": "shop"}],
    },
    {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _meta("default-deny", "shop"),
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
    },
    {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": _meta("w1", "shop"), "spec": {"size": 3}},
]


@pytest.fixture
def server() -> Iterator[FakeApiServer]:
    with FakeApiServer(OBJECTS) as srv:
        yield srv


@pytest.fixture
def kubeconfig(server: FakeApiServer, tmp_path: Path) -> Path:
    return server.write_kubeconfig(tmp_path / "kubeconfig", context="fake", cluster="fake-cluster")


def _client(kubeconfig: Path, **settings: Any) -> ApiClient:
    cfg = Configuration()
    config.load_kube_config(config_file=str(kubeconfig), context="fake", client_configuration=cfg)
    for key, value in settings.items():
        setattr(cfg, key, value)
    return ApiClient(cfg)


@pytest.fixture
def api(kubeconfig: Path) -> Iterator[ApiClient]:
    with config.new_client_from_config(config_file=str(kubeconfig), context="fake") as c:
        yield c


def _raw(
    srv: FakeApiServer, method: str, path: str, token: str | None = "test-token", body: bytes | None = None
) -> tuple[int, dict[str, str], bytes]:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(srv.url + path, data=body, method=method, headers=headers)
    ctx = ssl.create_default_context(cadata=srv.ca_pem.decode())
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def _body(err: ApiException) -> dict[str, Any]:
    return orjson.loads(err.body)


def test_version_and_discovery(server: FakeApiServer, api: ApiClient) -> None:
    assert client.VersionApi(api).get_code().git_version == "v1.31.2"
    assert client.CoreApi(api).get_api_versions().versions == ["v1"]
    groups = {g.name: g for g in client.ApisApi(api).get_api_versions().groups}
    for name in (
        "apps",
        "batch",
        "rbac.authorization.k8s.io",
        "networking.k8s.io",
        "policy",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "example.com",
    ):
        assert name in groups
    assert groups["apps"].preferred_version.group_version == "apps/v1"
    core = {r.name: r for r in client.CoreV1Api(api).get_api_resources().resources}
    assert (core["pods"].kind, core["pods"].namespaced, core["pods"].verbs) == ("Pod", True, ["get", "list", "watch"])
    assert core["nodes"].namespaced is False and core["endpoints"].kind == "Endpoints"
    apps = client.AppsV1Api(api).get_api_resources()
    assert apps.group_version == "apps/v1" and "deployments" in {r.name for r in apps.resources}
    status, _, raw = _raw(server, "GET", "/apis/example.com/v1")
    assert status == 200 and orjson.loads(raw)["resources"][0]["name"] == "widgets"


def test_pagination_gathers_every_item_exactly_once(server: FakeApiServer, api: ApiClient) -> None:
    core = client.CoreV1Api(api)
    seen: list[tuple[str, str]] = []
    token: str | None = None
    pages = 0
    while True:
        page = core.list_pod_for_all_namespaces(limit=2, _continue=token)
        pages += 1
        seen += [(p.metadata.namespace, p.metadata.name) for p in page.items]
        token = page.metadata._continue
        if not token:
            assert page.metadata.remaining_item_count is None
            break
        assert page.metadata.remaining_item_count == len(PODS) - len(seen)
    assert sorted(seen) == sorted(PODS) and len(seen) == len(set(seen))
    assert seen == sorted(seen)  # the real server's key order: namespace, then name
    assert pages == 4 and [r.query.get("limit") for r in server.requests] == ["2"] * 4
    shop = core.list_namespaced_pod("shop", limit=3)
    assert [p.metadata.name for p in shop.items] == ["web-0", "web-1", "web-2"]
    rest = core.list_namespaced_pod("shop", limit=3, _continue=shop.metadata._continue)
    assert [p.metadata.name for p in rest.items] == ["web-3", "web-4"] and not rest.metadata._continue
    assert len(core.list_pod_for_all_namespaces().items) == len(PODS)  # no limit: everything at once


def test_page_size_cap_forces_smaller_pages(tmp_path: Path) -> None:
    with FakeApiServer(OBJECTS, page_size_cap=3) as srv, _client(srv.write_kubeconfig(tmp_path / "kc")) as c:
        core = client.CoreV1Api(c)
        names: list[str] = []
        token: str | None = None
        while True:
            page = core.list_pod_for_all_namespaces(limit=500, _continue=token)
            assert len(page.items) <= 3
            names += [p.metadata.name for p in page.items]
            token = page.metadata._continue
            if not token:
                break
        assert len(names) == len(set(names)) == len(PODS) and len(srv.requests) == 3
        assert len(core.list_pod_for_all_namespaces().items) == len(PODS)


def test_list_items_lack_kind_and_api_version(server: FakeApiServer, api: ApiClient) -> None:
    resp = client.CoreV1Api(api).list_namespaced_pod("shop", limit=2, _preload_content=False)
    doc = orjson.loads(resp.data)
    assert (doc["kind"], doc["apiVersion"]) == ("PodList", "v1")
    assert doc["metadata"]["resourceVersion"] and doc["metadata"]["remainingItemCount"] == 3
    assert all("kind" not in i and "apiVersion" not in i and i["metadata"]["name"] for i in doc["items"])
    deps = orjson.loads(client.AppsV1Api(api).list_deployment_for_all_namespaces(_preload_content=False).data)
    assert (deps["kind"], deps["apiVersion"]) == ("DeploymentList", "apps/v1")
    assert [d["metadata"]["name"] for d in deps["items"]] == ["coredns", "web"] and "kind" not in deps["items"][0]
    one = client.CoreV1Api(api).read_namespaced_pod("web-1", "shop", _preload_content=False)
    assert orjson.loads(one.data)["kind"] == "Pod" and orjson.loads(one.data)["apiVersion"] == "v1"
    pod = client.CoreV1Api(api).read_namespaced_pod("web-1", "shop")
    assert pod.spec.containers[0].security_context.privileged is True


def test_typed_lists_for_apps_rbac_networking_and_custom(api: ApiClient) -> None:
    assert {d.metadata.name for d in client.AppsV1Api(api).list_namespaced_deployment("shop").items} == {"web"}
    rbac = client.RbacAuthorizationV1Api(api)
    assert rbac.list_cluster_role().items[0].rules[0].verbs == ["*"]
    assert rbac.list_cluster_role_binding().items[0].subjects[0].name == "admins"
    assert rbac.list_namespaced_role_binding("shop").items[0].role_ref.name == "view"
    assert rbac.list_namespaced_role("shop").items == []
    nps = client.NetworkingV1Api(api).list_network_policy_for_all_namespaces()
    assert nps.items[0].spec.policy_types == ["Ingress"]
    widgets = client.CustomObjectsApi(api).list_namespaced_custom_object("example.com", "v1", "shop", "widgets")
    assert widgets["kind"] == "WidgetList" and widgets["items"][0]["spec"] == {"size": 3}
    assert client.CoreV1Api(api).read_namespace("shop").metadata.name == "shop"


def test_forbidden_is_a_status_403(server: FakeApiServer, api: ApiClient) -> None:
    core = client.CoreV1Api(api)
    server.forbid("secrets")
    with pytest.raises(ApiException) as exc:
        core.list_secret_for_all_namespaces(_headers={"Accept": PARTIAL_LIST})
    assert exc.value.status == 403
    body = _body(exc.value)
    assert (body["kind"], body["status"], body["reason"], body["code"]) == ("Status", "Failure", "Forbidden", 403)
    assert body["message"] == (
        'secrets is forbidden: User "system:serviceaccount:audit:k8saudit" cannot list '
        'resource "secrets" in API group "" at the cluster scope'
    )
    server.forbid("pods", namespace="shop")
    with pytest.raises(ApiException) as exc:
        core.list_namespaced_pod("shop")
    assert _body(exc.value)["message"].endswith('cannot list resource "pods" in API group "" in the namespace "shop"')
    with pytest.raises(ApiException) as exc:
        core.read_namespaced_pod("web-0", "shop")
    assert _body(exc.value)["message"].startswith('pods "web-0" is forbidden: User')
    with pytest.raises(ApiException):
        core.list_pod_for_all_namespaces()  # a cluster-wide list needs every namespace
    assert len(core.list_namespaced_pod("kube-system").items) == 2
    server.forbid("deployments")
    with pytest.raises(ApiException) as exc:
        client.AppsV1Api(api).list_deployment_for_all_namespaces()
    assert 'in API group "apps" at the cluster scope' in _body(exc.value)["message"]


def test_not_served_and_not_found(server: FakeApiServer, api: ApiClient) -> None:
    server.not_served("poddisruptionbudgets")  # policy/v1 then serves nothing: the group is gone
    with pytest.raises(ApiException) as exc:
        client.PolicyV1Api(api).list_pod_disruption_budget_for_all_namespaces()
    assert exc.value.status == 404 and exc.value.body == "404 page not found\n"
    assert "policy" not in {g.name for g in client.ApisApi(api).get_api_versions().groups}
    server.not_served("endpoints")  # one resource of a group that is still served
    with pytest.raises(ApiException) as exc:
        client.CoreV1Api(api).list_endpoints_for_all_namespaces()
    assert exc.value.status == 404 and _body(exc.value)["reason"] == "NotFound"
    assert "endpoints" not in {r.name for r in client.CoreV1Api(api).get_api_resources().resources}
    with pytest.raises(ApiException) as exc:
        client.CoreV1Api(api).read_namespaced_pod("missing", "shop")
    body = _body(exc.value)
    assert (exc.value.status, body["message"], body["details"]) == (
        404,
        'pods "missing" not found',
        {"name": "missing", "kind": "pods"},
    )
    assert _raw(server, "GET", "/apis/nope.example/v1/things")[0] == 404


def test_expired_continue_is_410(server: FakeApiServer, api: ApiClient) -> None:
    core = client.CoreV1Api(api)
    first = core.list_pod_for_all_namespaces(limit=3)
    server.expire_continue("pods", times=1)
    with pytest.raises(ApiException) as exc:
        core.list_pod_for_all_namespaces(limit=3, _continue=first.metadata._continue)
    body = _body(exc.value)
    assert (exc.value.status, body["reason"], body["code"]) == (410, "Expired", 410)
    assert body["message"].startswith("The provided continue parameter is too old")
    names = [p.metadata.name for p in first.items]
    token = body["metadata"]["continue"]  # the real server offers a token to carry on inconsistently
    while token:
        page = core.list_pod_for_all_namespaces(limit=3, _continue=token)
        names += [p.metadata.name for p in page.items]
        token = page.metadata._continue
    assert len(names) == len(set(names)) == len(PODS)
    with pytest.raises(ApiException) as exc:
        core.list_pod_for_all_namespaces(limit=3, _continue="not-a-token")
    assert exc.value.status == 400
    with pytest.raises(ApiException) as exc:  # a token from another collection
        core.list_namespaced_pod("shop", limit=3, _continue=first.metadata._continue)
    assert exc.value.status == 400


def test_429_carries_retry_after(server: FakeApiServer, kubeconfig: Path) -> None:
    server.fail_next("pods", status=429, times=2, retry_after=1)
    with _client(kubeconfig, retries=False) as c:
        core = client.CoreV1Api(c)
        for _ in range(2):
            with pytest.raises(ApiException) as exc:
                core.list_namespaced_pod("shop")
            assert exc.value.status == 429 and exc.value.headers["Retry-After"] == "1"
            body = _body(exc.value)
            assert (body["reason"], body["details"]["retryAfterSeconds"]) == ("TooManyRequests", 1)
        assert len(core.list_namespaced_pod("shop").items) == 5
        server.fail_next("configmaps", status=503)
        with pytest.raises(ApiException) as exc:
            core.list_namespaced_config_map("shop")
        assert exc.value.status == 503 and _body(exc.value)["reason"] == "ServiceUnavailable"
    assert [r.status for r in server.requests] == [429, 429, 200, 503]


def test_default_client_honours_retry_after(server: FakeApiServer, api: ApiClient) -> None:
    server.fail_next("pods", status=429, times=2, retry_after=0)
    assert len(client.CoreV1Api(api).list_namespaced_pod("shop").items) == 5
    assert [r.status for r in server.requests] == [429, 429, 200]


def test_bad_or_missing_token_is_401(server: FakeApiServer, tmp_path: Path) -> None:
    wrong = server.write_kubeconfig(tmp_path / "wrong", token="not-the-token")
    with config.new_client_from_config(config_file=str(wrong), context="fake") as c, pytest.raises(ApiException) as exc:
        client.CoreV1Api(c).list_namespace()
    body = _body(exc.value)
    assert (exc.value.status, body["reason"], body["message"]) == (401, "Unauthorized", "Unauthorized")
    status, _, raw = _raw(server, "GET", "/api/v1/pods", token=None)
    assert status == 401 and orjson.loads(raw)["code"] == 401
    assert [r.status for r in server.requests] == [401, 401]


def test_metadata_only_secrets(server: FakeApiServer, api: ApiClient) -> None:
    core = client.CoreV1Api(api)
    resp = core.list_namespaced_secret("shop", _preload_content=False, _headers={"Accept": PARTIAL_LIST})
    assert resp.headers["Content-Type"] == "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
    doc = orjson.loads(resp.data)
    assert (doc["kind"], doc["apiVersion"]) == ("PartialObjectMetadataList", "meta.k8s.io/v1")
    assert [i["metadata"]["name"] for i in doc["items"]] == ["db-credentials", "tls"]
    for item in doc["items"]:
        assert set(item) == {"kind", "apiVersion", "metadata"}
        assert (item["kind"], item["apiVersion"]) == ("PartialObjectMetadata", "meta.k8s.io/v1")
    assert b"aHVudGVyMg" not in resp.data and b"Opaque" not in resp.data
    every = core.list_secret_for_all_namespaces(limit=2, _preload_content=False, _headers={"Accept": PARTIAL_LIST})
    page = orjson.loads(every.data)
    assert len(page["items"]) == 2 and page["metadata"]["continue"]
    one = core.read_namespaced_secret(
        "bootstrap", "kube-system", _preload_content=False, _headers={"Accept": PARTIAL_ONE}
    )
    assert orjson.loads(one.data) == {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": _meta("bootstrap", "kube-system"),
    }
    assert all(r.metadata_only for r in server.requests)
    server.assert_read_only()


def test_assert_read_only(server: FakeApiServer, api: ApiClient) -> None:
    core = client.CoreV1Api(api)
    core.list_pod_for_all_namespaces(limit=2)
    client.VersionApi(api).get_code()
    core.list_namespaced_secret("shop", _headers={"Accept": PARTIAL_LIST}, _preload_content=False).read()
    server.assert_read_only()
    status, _, raw = _raw(
        server,
        "POST",
        "/api/v1/namespaces/shop/configmaps",
        body=orjson.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}),
    )
    assert status == 405 and orjson.loads(raw)["reason"] == "MethodNotAllowed"
    assert server.requests[-1].method == "POST"
    with pytest.raises(AssertionError, match="POST /api/v1/namespaces/shop/configmaps"):
        server.assert_read_only()
    server.clear_requests()
    core.list_namespaced_secret("shop")  # values in full
    with pytest.raises(AssertionError, match="secrets"):
        server.assert_read_only()


def test_slow_resource(server: FakeApiServer, api: ApiClient) -> None:
    server.slow("configmaps", delay=0.3)
    start = time.perf_counter()
    assert client.CoreV1Api(api).list_namespaced_config_map("shop").items[0].data == {"mode": "prod"}
    assert time.perf_counter() - start >= 0.3
    start = time.perf_counter()
    client.CoreV1Api(api).list_namespaced_pod("shop")
    assert time.perf_counter() - start < 0.3


def test_answers_are_sent_without_waiting_for_acknowledgements(
    server: FakeApiServer, api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each connection has TCP_NODELAY, as the kube-apiserver's (Go sets it on every connection): without it a small
    answer's body waits for the client's delayed acknowledgement of the headers, 40 ms a request, which made every
    small request of the live tests and benchmarks slow (and the baselines, one request per kind, slower still)."""
    seen: list[int] = []
    real = FakeApiServer._handle

    def handle(self: FakeApiServer, h: Any) -> None:
        seen.append(h.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        real(self, h)

    monkeypatch.setattr(FakeApiServer, "_handle", handle)
    assert client.VersionApi(api).get_code().git_version == "v1.31.2"
    client.CoreV1Api(api).list_namespaced_pod("shop", limit=2)
    assert len(seen) == 2 and all(seen), seen


def test_concurrent_requests_are_all_recorded(server: FakeApiServer, api: ApiClient) -> None:
    core = client.CoreV1Api(api)
    with ThreadPoolExecutor(max_workers=4) as pool:
        sizes = list(pool.map(lambda _: len(core.list_namespaced_pod("shop").items), range(40)))
    assert sizes == [5] * 40
    assert len(server.requests) == 40 and {r.status for r in server.requests} == {200}


class GeneratedPods:
    """A store that makes pods on the fly, as a large benchmark would."""

    def __init__(self, n: int) -> None:
        self.n = n

    def kinds(self) -> list[str]:
        return ["pods"]

    def list(self, resource: str, namespace: str | None, start: int, limit: int | None) -> tuple[list[bytes], int]:
        if resource != "pods" or namespace not in (None, "bench"):
            return [], 0
        stop = self.n if limit is None else min(self.n, start + limit)
        return [
            orjson.dumps({"metadata": {"name": f"pod-{i:06d}", "namespace": "bench"}, "spec": _pod_spec()})
            for i in range(start, stop)
        ], self.n


def test_generator_backed_store(tmp_path: Path) -> None:
    store = GeneratedPods(3000)
    assert isinstance(store, Store) and isinstance(MemoryStore([]), Store)
    with FakeApiServer(store) as srv, _client(srv.write_kubeconfig(tmp_path / "kc")) as c:
        core = client.CoreV1Api(c)
        names: list[str] = []
        token: str | None = None
        while True:
            doc = orjson.loads(
                core.list_pod_for_all_namespaces(limit=1000, _continue=token, _preload_content=False).data
            )
            names += [i["metadata"]["name"] for i in doc["items"]]
            token = doc["metadata"].get("continue")
            if not token:
                break
        assert names == [f"pod-{i:06d}" for i in range(3000)]
        assert core.read_namespaced_pod("pod-002500", "bench").metadata.name == "pod-002500"
        assert core.list_namespaced_pod("other").items == []


def test_memory_store_groups_and_guesses_types() -> None:
    store = MemoryStore(OBJECTS)
    types = {t.resource: t for t in store.kinds()}
    assert types["widgets"] == ResourceType("example.com", "v1", "widgets", "Widget", True)
    assert types["clusterroles"].namespaced is False and types["deployments"].group == "apps"
    items, total = store.list("pods", "shop", 1, 2)
    assert total == 5 and [orjson.loads(i)["metadata"]["name"] for i in items] == ["web-1", "web-2"]
    assert store.list("pods", None, 0, None)[1] == len(PODS) and store.list("nothing", None, 0, None) == ([], 0)
    assert store.get("namespaces", None, "shop") is not None and store.get("pods", "shop", "nope") is None


# --------------------------------------------------------------------------- fault injection


def _pods_page(srv: FakeApiServer, token: str | None = None, limit: int = 3) -> tuple[int, bytes]:
    q = f"?limit={limit}" + (f"&continue={token}" if token else "")
    status, _, body = _raw(srv, "GET", "/api/v1/pods" + q)
    return status, body


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (403, "Forbidden"),
        (404, "NotFound"),
        (410, "Expired"),
        (429, "TooManyRequests"),
        (500, "InternalError"),
        (503, "ServiceUnavailable"),
        (504, "Timeout"),
    ],
)
def test_fault_status_answers_like_the_api_server(server: FakeApiServer, status: int, reason: str) -> None:
    server.fault("pods", status, times=2)
    for _ in range(2):
        code, body = _pods_page(server)
        doc = orjson.loads(body)
        assert (code, doc["kind"], doc["code"], doc["reason"]) == (status, "Status", status, reason)
    assert _pods_page(server)[0] == 200  # used up
    assert [r.fault for r in server.requests] == [f"status {status}"] * 2 + [None]
    assert _raw(server, "GET", "/api/v1/configmaps")[0] == 200  # other resources untouched


def test_fault_forbidden_names_the_user_and_the_scope(server: FakeApiServer, api: ApiClient) -> None:
    server.fault("Pod", 403, times=None)  # a kind works as well as a plural
    for _ in range(3):
        with pytest.raises(ApiException) as exc:
            client.CoreV1Api(api).list_namespaced_pod("shop")
        assert exc.value.status == 403
    assert 'cannot list resource "pods" in API group "" in the namespace "shop"' in _body(exc.value)["message"]


def test_fault_retry_after_header_and_details(server: FakeApiServer) -> None:
    server.fault("pods", 429, retry_after=7)
    code, headers, body = _raw(server, "GET", "/api/v1/pods")
    assert (code, headers["Retry-After"], orjson.loads(body)["details"]["retryAfterSeconds"]) == (429, "7", 7)


def test_fault_on_one_page_only(server: FakeApiServer) -> None:
    server.fault("pods", 500, page=2, times=None)
    code, body = _pods_page(server)
    assert code == 200
    token = orjson.loads(body)["metadata"]["continue"]
    for _ in range(2):
        assert _pods_page(server, token)[0] == 500
    assert [r.page for r in server.requests] == [1, 2, 2]


def test_fault_in_one_namespace(server: FakeApiServer) -> None:
    server.fault("pods", 403, namespace="kube-system", times=None)
    assert _raw(server, "GET", "/api/v1/namespaces/shop/pods")[0] == 200
    assert _raw(server, "GET", "/api/v1/namespaces/kube-system/pods")[0] == 403
    assert _raw(server, "GET", "/api/v1/pods")[0] == 403  # the cluster-scope list includes that namespace


def test_fault_410_on_a_first_page_and_on_a_continue(server: FakeApiServer) -> None:
    server.fault("pods", 410)
    code, body = _pods_page(server)
    assert code == 410 and orjson.loads(body)["message"].startswith("too old resource version")
    token = orjson.loads(_pods_page(server)[1])["metadata"]["continue"]
    server.fault("pods", 410, page=2)
    code, body = _pods_page(server, token)
    assert code == 410 and orjson.loads(body)["metadata"]["continue"] == token


def test_fault_garbage_and_truncated_bodies(server: FakeApiServer) -> None:
    whole = _pods_page(server)[1]
    server.fault("pods", body="garbage")
    code, body = _pods_page(server)
    assert code == 200
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(body)
    server.fault("pods", body="truncated")
    code, body = _pods_page(server)
    assert code == 200 and whole.startswith(body) and 0 < len(body) < len(whole)
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(body)
    server.fault("pods", body="truncated")  # a single GET too, once
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(_raw(server, "GET", "/api/v1/namespaces/shop/pods/web-1")[2])
    assert orjson.loads(_raw(server, "GET", "/api/v1/namespaces/shop/pods/web-1")[2])["metadata"]["name"] == "web-1"


def test_fault_stop_paging_drops_the_token_and_keeps_the_count(server: FakeApiServer) -> None:
    server.fault("pods", body="stop_paging", page=2)
    first = orjson.loads(_pods_page(server)[1])
    second = orjson.loads(_pods_page(server, first["metadata"]["continue"])[1])
    assert len(second["items"]) == 3
    assert "continue" not in second["metadata"] and second["metadata"]["remainingItemCount"] == len(PODS) - 6


def test_fault_delay_slows_answers(server: FakeApiServer) -> None:
    server.fault("configmaps", delay=0.3, times=1)
    t0 = time.monotonic()
    assert _raw(server, "GET", "/api/v1/configmaps")[0] == 200
    assert time.monotonic() - t0 >= 0.3
    assert server.requests[-1].fault == "delay 0.3s"


def test_faults_apply_in_order_and_can_be_cleared(server: FakeApiServer) -> None:
    server.fault("pods", 503)
    server.fault("pods", 429)
    forever = server.fault("pods", 500, times=None)
    assert [_pods_page(server)[0] for _ in range(4)] == [503, 429, 500, 500]
    assert forever.times is None
    server.clear_faults()
    assert _pods_page(server)[0] == 200


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({}, "needs a status, a body or a delay"),
        ({"status": 200}, "not an error status"),
        ({"status": 500, "body": "garbage"}, "not both"),
        ({"body": "gibberish"}, "unknown body fault"),
        ({"status": 500, "times": 0}, "at least 1"),
        ({"status": 500, "page": 0}, "counts from 1"),
    ],
)
def test_fault_arguments_are_checked(server: FakeApiServer, kw: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        server.fault("pods", **kw)
