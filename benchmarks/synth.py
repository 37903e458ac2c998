"""Deterministic synthetic Kubernetes clusters for benchmarks.

Command line::

    python benchmarks/synth.py --pods 10000 -o /tmp/synth-10k [--yaml-controllers /tmp/controllers.yaml]

writes one ``<resource>.json`` per kind (``pods.json``, ``replicasets.json``, ...,
``clusterrolebindings.json``; see :func:`kind_names`) into the output directory,
byte for byte the way ``kubectl get <resource> -A -o json`` prints a List: Go's
``json.MarshalIndent`` with four spaces, ``": "`` between key and value, map
keys sorted, ``<``/``>``/``&`` escaped as ``\\u003c``/``\\u003e``/``\\u0026``,
a trailing newline. Items sit at depth 2 (eight spaces before an item's
``{``), each carrying ``apiVersion`` and ``kind``. Files are written item by
item, so 100k pods (about 4 GB) need little memory. ``--yaml-controllers``
also writes the controller manifests (workload controllers without status,
Services, RBAC) as one multi-document YAML file for static scanners.

From Python (the ``benchmarks`` directory is a namespace package)::

    from benchmarks.synth import iter_objects, kind_names, write_cluster
    for pod in iter_objects(1000, "pods"):     # resource name or Kind ("Pod")
        ...
    write_cluster(1000, "/tmp/synth-1k")

Shape of a cluster of N pods: about N/100 nodes (1 or 3 control-plane nodes
running kube-apiserver, etcd, controller-manager and scheduler as static
pods), one namespace per ~50 pods, DaemonSets with one pod per node, app
workloads that are mostly Deployments (Deployment -> ReplicaSet -> Pod, with
controller ownerReferences carrying the owner's uid), some StatefulSets,
CronJobs -> Jobs -> Pods, standalone Jobs and ~2% bare pods. Pods have 2-4
containers, 10-25 env vars, probes, volumes, a mix of hardened and
privileged/root/host-namespace security settings, managedFields and a full
status: about 40 KB each as printed. The same N always gives the same bytes
(seeded generators, uuid5 uids, fixed timestamps).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import time
import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import IO, Any, Callable, Iterable, Iterator

import msgspec
import orjson
import yaml

Obj = dict[str, Any]

#: resource name -> (Kind, apiVersion, namespaced); the order files are written in.
KINDS: dict[str, tuple[str, str, bool]] = {
    "pods": ("Pod", "v1", True), "replicasets": ("ReplicaSet", "apps/v1", True),
    "deployments": ("Deployment", "apps/v1", True), "statefulsets": ("StatefulSet", "apps/v1", True),
    "daemonsets": ("DaemonSet", "apps/v1", True), "jobs": ("Job", "batch/v1", True),
    "cronjobs": ("CronJob", "batch/v1", True), "services": ("Service", "v1", True),
    "namespaces": ("Namespace", "v1", False), "nodes": ("Node", "v1", False),
    "serviceaccounts": ("ServiceAccount", "v1", True), "configmaps": ("ConfigMap", "v1", True),
    "networkpolicies": ("NetworkPolicy", "networking.k8s.io/v1", True),
    "poddisruptionbudgets": ("PodDisruptionBudget", "policy/v1", True),
    "roles": ("Role", "rbac.authorization.k8s.io/v1", True),
    "rolebindings": ("RoleBinding", "rbac.authorization.k8s.io/v1", True),
    "clusterroles": ("ClusterRole", "rbac.authorization.k8s.io/v1", False),
    "clusterrolebindings": ("ClusterRoleBinding", "rbac.authorization.k8s.io/v1", False),
}
BASE = 1714521600  # 2024-05-01T00:00:00Z; every timestamp is an offset from it
_UUID_NS = uuid.UUID("5b0f3c1e-8a4d-4f2b-9c6e-0d7a1e2f3b4c")
_ALNUM = "bcdfghjklmnpqrstvwxz2456789"
DAY = 86400
ENV_MAIN, ENV_SIDE = (7, 16), (1, 2)  # env vars of the main container and of each sidecar
SYSTEM_NS = ("default", "kube-node-lease", "kube-public", "kube-system", "logging", "monitoring")

# (name, image, port, command, args) of the containers apps are made of
APPS = [("api", "", 8080, ["/app/api"], ["--listen=:8080", "--log-format=json"]),
        ("web", "docker.io/library/nginx:1.25.4", 8080, ["nginx"], ["-g", "daemon off;"]),
        ("frontend", "", 3000, ["node"], ["server.js"]),
        ("worker", "", 9090, ["python", "-m", "worker"], ["--concurrency=8", "--queue=default"]),
        ("auth", "", 8443, ["/usr/local/bin/auth-service"], ["--config=/etc/auth/auth.yaml"]),
        ("gateway", "docker.io/envoyproxy/envoy:v1.29.2", 8080, ["envoy"], ["-c", "/etc/gateway/envoy.yaml"]),
        ("payments", "", 8080, ["java"], ["-XX:MaxRAMPercentage=75", "-jar", "/app/payments.jar"]),
        ("orders", "", 8080, ["java"], ["-XX:MaxRAMPercentage=75", "-jar", "/app/orders.jar"]),
        ("catalog", "", 8080, ["/app/catalog"], ["serve", "--grpc-port=9000"]),
        ("search", "", 9200, ["/app/search"], ["--index-dir=/tmp/index"]),
        ("notifications", "", 8080, ["python", "-m", "notifications"], ["--smtp-relay=mail.internal"]),
        ("inventory", "", 8080, ["/app/inventory"], ["--db-pool=20"])]
STS_APPS = [("postgres", "docker.io/library/postgres:16.2", 5432, ["docker-entrypoint.sh"], ["postgres", "-c", "max_connections=200"]),
            ("redis", "docker.io/library/redis:7.2.4", 6379, ["redis-server"], ["/etc/redis/redis.conf"]),
            ("kafka", "docker.io/bitnami/kafka:3.7.0", 9092, ["/opt/bitnami/scripts/kafka/run.sh"], []),
            ("rabbitmq", "docker.io/library/rabbitmq:3.13.1-management", 5672, ["docker-entrypoint.sh"], ["rabbitmq-server"])]
JOB_APPS = [("db-backup", "docker.io/library/postgres:16.2", 0, ["/bin/sh", "-c"], ["pg_dump --format=custom --file=/backup/db.dump $DB_NAME"]),
            ("report-generator", "", 0, ["python", "-m", "reports"], ["--period=daily"]),
            ("cache-warmer", "", 0, ["/app/warm"], ["--all"]),
            ("cleanup", "docker.io/bitnami/kubectl:1.29.3", 0, ["kubectl"], ["delete", "pods", "--field-selector=status.phase==Succeeded"]),
            ("db-migrate", "", 0, ["/app/migrate"], ["up"])]
BARE_APPS = [("debug-shell", "docker.io/nicolaka/netshoot:v0.12", 0, ["sleep"], ["infinity"]),
             ("toolbox", "docker.io/library/busybox:1.36.1", 0, ["sh", "-c"], ["sleep 86400"])]
SIDECARS = [("istio-proxy", "docker.io/istio/proxyv2:1.21.2", 15090, [], ["proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster.local", "--proxyLogLevel=warning", "--log_output_level=default:info"]),
            ("log-shipper", "cr.fluentbit.io/fluent/fluent-bit:2.2.2", 2020, ["/fluent-bit/bin/fluent-bit"], ["--config=/fluent-bit/etc/fluent-bit.conf"]),
            ("metrics-exporter", "quay.io/prometheus/statsd-exporter:v0.26.1", 9102, [], ["--statsd.listen-udp=:9125", "--web.listen-address=:9102"]),
            ("cloud-sql-proxy", "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.10.0", 9801, [], ["--structured-logs", "--port=5432", "prod:europe-west1:main"]),
            ("oauth2-proxy", "quay.io/oauth2-proxy/oauth2-proxy:v7.6.0", 4180, [], ["--provider=oidc", "--upstream=http://127.0.0.1:8080", "--http-address=0.0.0.0:4180"])]
_PKI = "/etc/kubernetes/pki"
STATIC = [("kube-apiserver", "registry.k8s.io/kube-apiserver:v1.29.4", 6443, ["kube-apiserver", "--advertise-address={ip}", "--allow-privileged=true", "--authorization-mode=Node,RBAC", f"--client-ca-file={_PKI}/ca.crt", "--enable-admission-plugins=NodeRestriction", "--enable-bootstrap-token-auth=true", f"--etcd-cafile={_PKI}/etcd/ca.crt", f"--etcd-certfile={_PKI}/apiserver-etcd-client.crt", f"--etcd-keyfile={_PKI}/apiserver-etcd-client.key", "--etcd-servers=https://127.0.0.1:2379", f"--kubelet-client-certificate={_PKI}/apiserver-kubelet-client.crt", f"--kubelet-client-key={_PKI}/apiserver-kubelet-client.key", "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname", "--profiling=true", f"--proxy-client-cert-file={_PKI}/front-proxy-client.crt", f"--proxy-client-key-file={_PKI}/front-proxy-client.key", "--requestheader-allowed-names=front-proxy-client", "--secure-port=6443", "--service-account-issuer=https://kubernetes.default.svc.cluster.local", f"--service-account-key-file={_PKI}/sa.pub", f"--service-account-signing-key-file={_PKI}/sa.key", "--service-cluster-ip-range=10.96.0.0/12", f"--tls-cert-file={_PKI}/apiserver.crt", f"--tls-private-key-file={_PKI}/apiserver.key"], []),
          ("etcd", "registry.k8s.io/etcd:3.5.12-0", 2381, ["etcd", "--advertise-client-urls=https://{ip}:2379", f"--cert-file={_PKI}/etcd/server.crt", "--client-cert-auth=true", "--data-dir=/var/lib/etcd", f"--key-file={_PKI}/etcd/server.key", "--listen-client-urls=https://127.0.0.1:2379,https://{ip}:2379", "--listen-metrics-urls=http://127.0.0.1:2381", "--name={node}", f"--trusted-ca-file={_PKI}/etcd/ca.crt"], []),
          ("kube-controller-manager", "registry.k8s.io/kube-controller-manager:v1.29.4", 10257, ["kube-controller-manager", "--bind-address=127.0.0.1", "--cluster-cidr=10.128.0.0/9", "--cluster-name=synth", "--controllers=*,bootstrapsigner,tokencleaner", "--leader-elect=true", f"--root-ca-file={_PKI}/ca.crt", f"--service-account-private-key-file={_PKI}/sa.key", "--use-service-account-credentials=true"], []),
          ("kube-scheduler", "registry.k8s.io/kube-scheduler:v1.29.4", 10259, ["kube-scheduler", "--bind-address=127.0.0.1", "--kubeconfig=/etc/kubernetes/scheduler.conf", "--leader-elect=true"], [])]
SYSTEM_DS = [("kube-system", "kube-proxy", ("kube-proxy", "registry.k8s.io/kube-proxy:v1.29.4", 10249, ["/usr/local/bin/kube-proxy"], ["--config=/var/lib/kube-proxy/config.conf", "--hostname-override=$(NODE_NAME)"]), "privileged"),
             ("kube-system", "cilium", ("cilium-agent", "quay.io/cilium/cilium:v1.15.4", 9879, ["cilium-agent"], ["--config-dir=/tmp/cilium/config-map"]), "privileged"),
             ("monitoring", "node-exporter", ("node-exporter", "quay.io/prometheus/node-exporter:v1.7.0", 9100, [], ["--path.procfs=/host/proc", "--path.sysfs=/host/sys", "--path.rootfs=/host/root"]), "host"),
             ("logging", "fluent-bit", ("fluent-bit", "cr.fluentbit.io/fluent/fluent-bit:2.2.2", 2020, ["/fluent-bit/bin/fluent-bit"], ["--config=/fluent-bit/etc/conf/fluent-bit.conf"]), "loose")]
SYSTEM_DEPLOY = [("kube-system", "coredns", 2, ("coredns", "registry.k8s.io/coredns/coredns:v1.11.1", 53, [], ["-conf", "/etc/coredns/Corefile"])),
                 ("kube-system", "cilium-operator", 1, ("cilium-operator", "quay.io/cilium/operator-generic:v1.15.4", 9234, ["cilium-operator-generic"], ["--config-dir=/tmp/cilium/config-map"])),
                 ("kube-system", "metrics-server", 1, ("metrics-server", "registry.k8s.io/metrics-server/metrics-server:v0.7.1", 10250, [], ["--secure-port=10250", "--kubelet-preferred-address-types=InternalIP"])),
                 ("monitoring", "kube-state-metrics", 1, ("kube-state-metrics", "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.12.0", 8080, [], ["--port=8080"]))]
TEAMS = ["payments", "checkout", "search", "identity", "catalog", "billing", "shipping", "analytics", "platform", "growth",
         "mobile", "support", "risk", "ledger", "media", "ads", "pricing", "loyalty", "partners", "data"]
ENVS = ["prod", "staging", "dev", "qa", "perf"]
LITERALS = [("LOG_LEVEL", ["info", "debug", "warn"]), ("ENVIRONMENT", ["production", "staging"]), ("REGION", ["eu-west-1", "us-east-1"]),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", ["http://otel-collector.monitoring:4317"]), ("JAVA_OPTS", ["-Xms256m -Xmx512m"]),
            ("GOMEMLIMIT", ["400MiB", "900MiB"]), ("CACHE_TTL_SECONDS", ["60", "300"]), ("MAX_CONNECTIONS", ["50", "100", "200"]),
            ("REQUEST_TIMEOUT_MS", ["2000", "5000"]), ("DB_HOST", ["postgres.{ns}.svc.cluster.local"]), ("DB_PORT", ["5432"]),
            ("DB_NAME", ["{app}"]), ("DB_USER", ["{app}_rw"]), ("REDIS_URL", ["redis://redis.{ns}.svc.cluster.local:6379/0"]),
            ("KAFKA_BROKERS", ["kafka-0.kafka.{ns}.svc:9092,kafka-1.kafka.{ns}.svc:9092"]), ("S3_BUCKET", ["{ns}-{app}-artifacts"]),
            ("TZ", ["UTC"]), ("LANG", ["C.UTF-8"]), ("METRICS_ENABLED", ["true"]), ("TRACING_SAMPLE_RATE", ["0.1", "0.01"]),
            ("WORKER_CONCURRENCY", ["4", "8", "16"]), ("HTTP_PORT", ["8080"]), ("GRPC_PORT", ["9000"]), ("SERVICE_NAME", ["{app}"])]
FIELD_REFS = [("POD_NAME", "metadata.name"), ("POD_NAMESPACE", "metadata.namespace"), ("POD_IP", "status.podIP"),
              ("NODE_NAME", "spec.nodeName"), ("HOST_IP", "status.hostIP"), ("SERVICE_ACCOUNT", "spec.serviceAccountName")]
SECRET_VARS = ["DB_PASSWORD", "API_KEY", "JWT_SIGNING_KEY", "STRIPE_SECRET_KEY", "AWS_SECRET_ACCESS_KEY", "REDIS_PASSWORD",
               "OAUTH_CLIENT_SECRET", "SENTRY_DSN", "SMTP_PASSWORD", "ENCRYPTION_KEY", "GITHUB_TOKEN", "SLACK_WEBHOOK_URL"]
CM_VARS = ["APP_MODE", "FEATURE_FLAGS", "UPSTREAM_URL", "RATE_LIMIT_RPS", "ALLOWED_ORIGINS", "DEFAULT_LOCALE", "MAX_UPLOAD_MB", "BATCH_SIZE"]
RESOURCES = [{}, {"requests": {"cpu": "100m", "memory": "128Mi"}},
             {"limits": {"cpu": "500m", "memory": "512Mi"}, "requests": {"cpu": "250m", "memory": "256Mi"}},
             {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "1", "memory": "1Gi"}},
             {"limits": {"memory": "256Mi"}, "requests": {"cpu": "50m", "memory": "256Mi"}}]
HARDENED_SC = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "readOnlyRootFilesystem": True,
               "runAsNonRoot": True, "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}}
LOOSE_SCS = [{"allowPrivilegeEscalation": True, "runAsUser": 0}, {"capabilities": {"add": ["NET_ADMIN", "NET_RAW"]}},
             {"readOnlyRootFilesystem": False, "runAsNonRoot": False}]
PRIV_SCS = [{"privileged": True, "runAsUser": 0}, {"allowPrivilegeEscalation": True, "capabilities": {"add": ["SYS_ADMIN"]}, "privileged": True},
            {"privileged": True, "procMount": "Unmasked"}]
ISTIO_SC = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "privileged": False, "readOnlyRootFilesystem": True,
            "runAsGroup": 1337, "runAsNonRoot": True, "runAsUser": 1337}
ISTIO_INIT_SC = {"allowPrivilegeEscalation": False, "capabilities": {"add": ["NET_ADMIN", "NET_RAW"], "drop": ["ALL"]}, "privileged": False,
                 "readOnlyRootFilesystem": False, "runAsGroup": 0, "runAsNonRoot": False, "runAsUser": 0}
DEFAULT_TOLERATIONS = [{"effect": "NoExecute", "key": f"node.kubernetes.io/{k}", "operator": "Exists", "tolerationSeconds": 300}
                       for k in ("not-ready", "unreachable")]
_ASSOC = {"containers": ("name",), "initContainers": ("name",), "env": ("name",), "ports": ("containerPort", "port", "protocol"),
          "volumeMounts": ("mountPath",), "volumes": ("name",), "conditions": ("type",), "podIPs": ("ip",), "hostIPs": ("ip",),
          "imagePullSecrets": ("name",), "ownerReferences": ("uid",)}
_NO_DOT = {"containers", "initContainers", "volumes"}


def uid(*parts: str) -> str:
    return str(uuid.uuid5(_UUID_NS, "/".join(parts)))


def ts(offset: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(BASE + offset))


def digest(*parts: object) -> str:
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()


def rng(*parts: object) -> random.Random:
    return random.Random("/".join(map(str, parts)))


def suffix(r: random.Random, n: int = 5) -> str:
    return "".join(r.choices(_ALNUM, k=n))


def _fv(key: str, v: Any) -> Obj:
    """managedFields FieldsV1 of one value, as the API server records it."""
    if isinstance(v, dict) and v:
        d: Obj = {".": {}}
        d.update(("f:" + k, _fv(k, x)) for k, x in v.items())
        return d
    if isinstance(v, list) and key in _ASSOC and v and isinstance(v[0], dict):
        d = {} if key in _NO_DOT else {".": {}}
        for item in v:
            d["k:" + json.dumps({k: item[k] for k in _ASSOC[key] if k in item}, separators=(",", ":"))] = {} if key == "ownerReferences" else _fv("", item)
        return d
    return {}


def fields(sections: Obj) -> Obj:
    return {"f:" + k: {kk: vv for kk, vv in _fv(k, v).items() if kk != "."} for k, v in sections.items()}


def managed(manager: str, t: int, body: Obj, api: str = "v1", sub: str | None = None, op: str = "Update") -> Obj:
    e = {"apiVersion": api, "fieldsType": "FieldsV1", "fieldsV1": fields(body), "manager": manager, "operation": op, "time": ts(t)}
    if sub:
        e["subresource"] = sub
    return e


def obj(resource: str, meta: Obj, **rest: Any) -> Obj:
    kind, api, _ = KINDS[resource]
    return {"apiVersion": api, "kind": kind, "metadata": meta, **rest}


def meta(kind: str, ns: str | None, name: str, created: int, **extra: Any) -> Obj:
    m: Obj = {"creationTimestamp": ts(created), "name": name, "uid": uid(kind, ns or "", name),
              "resourceVersion": str(int(digest(kind, ns, name)[:7], 16))}
    if ns:
        m["namespace"] = ns
    m.update((k, v) for k, v in extra.items() if v)
    return m


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    index: int
    control_plane: bool
    ip: str
    external_ip: str | None


@dataclass(frozen=True, slots=True, eq=False)
class Workload:
    kind: str  # Deployment, StatefulSet, DaemonSet, CronJob, Job, Pod (bare) or Static (mirror pod)
    ns: str
    name: str
    pods: int  # pods it runs (a CronJob: jobs, one pod each)
    app: tuple[str, str, int, list[str], list[str]]
    sec: str  # hardened, default, loose, privileged or host
    seed: int
    created: int
    sa: str
    node: str = ""  # Static: the node the mirror pod belongs to


@dataclass(slots=True)
class Plan:
    n_pods: int
    nodes: list[Node]
    namespaces: list[str]
    workloads: dict[str, list[Workload]]
    ns_created: dict[str, int]


@lru_cache(maxsize=4)
def plan(n_pods: int) -> Plan:
    """The cluster layout for n_pods pods: nodes, namespaces, workloads (no object bodies)."""
    r = rng("plan", n_pods)
    n_nodes = max(1, round(n_pods / 100))
    n_cp = 1 if n_nodes < 6 else 3
    nodes = [Node(f"cp-{i + 1:02d}" if i < n_cp else f"worker-{i - n_cp + 1:04d}", i, i < n_cp, f"10.0.{i // 250}.{10 + i % 250}",
                  f"203.0.113.{10 + i % 240}" if r.random() < (0.5 if i < n_cp else 0.08) else None) for i in range(n_nodes)]
    budget = [n_pods]
    wls: dict[str, list[Workload]] = {}
    ns_created = {ns: 0 for ns in SYSTEM_NS}

    def add(kind: str, ns: str, name: str, pods: int, app: Any, sec: str, sa: str = "", node: str = "") -> None:
        pods = min(pods, budget[0])
        if pods > 0:
            budget[0] -= pods
            wls.setdefault(ns, []).append(Workload(kind, ns, name, pods, app, sec, r.getrandbits(32),
                                                   ns_created[ns] + r.randint(600, 5 * DAY), sa or name, node))

    for nd in nodes[:n_cp]:
        for app in STATIC:
            add("Static", "kube-system", f"{app[0]}-{nd.name}", 1, app, "host", "default", nd.name)
    for ns, name, app, sec in SYSTEM_DS:
        add("DaemonSet", ns, name, n_nodes, app, sec)
    for ns, name, reps, app in SYSTEM_DEPLOY:
        add("Deployment", ns, name, reps, app, "hardened")
    n_ns = max(1, n_pods // 50)
    names = [f"{TEAMS[i % 20]}-{ENVS[(i // 20) % 5]}" + (f"-{i // 100 + 1}" if i >= 100 else "") for i in range(n_ns)]
    weights = [r.uniform(0.3, 1.7) for _ in names]
    total, acc, prev, left = sum(weights), 0.0, 0, budget[0]
    types, tw = ["Deployment", "StatefulSet", "CronJob", "Job", "Pod"], [72, 9, 9, 4, 6]
    secs, sw = ["hardened", "default", "loose", "privileged", "host"], [35, 38, 15, 7, 5]
    for ns, w in zip(names, weights):
        acc += w
        quota, prev = round(left * acc / total) - prev, round(left * acc / total)
        ns_created[ns] = r.randint(DAY, 60 * DAY)
        used: set[str] = set()
        while quota > 0 and budget[0] > 0:
            kind = r.choices(types, tw)[0]
            pods, pool = {"Deployment": (r.choice([1, 2, 2, 3, 3, 3, 4, 5, 6]), APPS), "StatefulSet": (r.randint(1, 3), STS_APPS),
                          "CronJob": (r.randint(1, 3), JOB_APPS), "Job": (1, JOB_APPS), "Pod": (1, BARE_APPS)}[kind]
            app = r.choice(pool)
            name, k = app[0], 1
            while name in used:
                k += 1
                name = f"{app[0]}-{r.choice(['v2', 'internal', 'canary', 'eu', 'batch', 'edge', 'blue', 'green'])}" + (f"-{k}" if k > 8 else "")
            used.add(name)
            pods = min(pods, quota)
            quota -= pods
            sa = name if r.random() < 0.6 else "default"
            add(kind, ns, name, pods, app, r.choices(secs, sw)[0], sa)
    return Plan(n_pods, nodes, sorted(ns_created), wls, ns_created)


def _image(wl: Workload, app: tuple[str, str, int, list[str], list[str]]) -> str:
    if app[1]:
        return app[1]
    h = int(digest(wl.ns, app[0])[:6], 16)
    return f"registry.example.com/{wl.ns.split('-')[0]}/{app[0]}:v{1 + h % 4}.{h // 4 % 30}.{h // 120 % 10}"


def _env(r: random.Random, wl: Workload, n: int, main: bool, leak: bool) -> list[Obj]:
    fmt = {"ns": wl.ns, "app": wl.name.replace("-", "_")}
    out: list[Obj] = [{"name": k, "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": p}}} for k, p in r.sample(FIELD_REFS, r.randint(1, 2))]
    for i, k in enumerate(r.sample(SECRET_VARS, r.randint(1, 2) if main else 0)):
        if leak and i == 0:
            out.append({"name": k, "value": f"prod-{digest(wl.ns, wl.name, k)[:24]}"})
        else:
            out.append({"name": k, "valueFrom": {"secretKeyRef": {"key": k.lower().replace("_", "-"), "name": f"{wl.name}-secrets"}}})
    out += [{"name": k, "valueFrom": {"configMapKeyRef": {"key": k.lower(), "name": f"{wl.name}-config"}}} for k in r.sample(CM_VARS, r.randint(0, 2) if main else 0)]
    if main and r.random() < 0.3:
        out.append({"name": "GOMAXPROCS", "valueFrom": {"resourceFieldRef": {"divisor": "0", "resource": "limits.cpu"}}})
    for k, vals in r.sample(LITERALS, max(0, min(len(LITERALS), n - len(out)))):
        out.append({"name": k, "value": r.choice(vals).format(**fmt)})
    return out


def _probe(r: random.Random, port: int, path: str) -> Obj:
    p: Obj = {"failureThreshold": 3, "periodSeconds": r.choice([5, 10, 15]), "successThreshold": 1, "timeoutSeconds": r.choice([1, 3])}
    if r.random() < 0.8:
        p["httpGet"] = {"path": path, "port": port, "scheme": "HTTP"}
    else:
        p["tcpSocket"] = {"port": port}
    p["initialDelaySeconds"] = r.choice([5, 10, 30])
    return p


def _container(r: random.Random, wl: Workload, app: tuple[str, str, int, list[str], list[str]], n_env: int, main: bool, sc: Obj | None) -> Obj:
    name, _, port, cmd, args = app
    c: Obj = {"image": _image(wl, app), "imagePullPolicy": r.choice(["IfNotPresent", "IfNotPresent", "Always"]), "name": name,
              "resources": r.choice(RESOURCES), "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}
    if cmd:
        c["command"] = [a.format(ip="{ip}", node="{node}") for a in cmd]
    if args:
        c["args"] = args
    c["env"] = _env(r, wl, n_env, main, main and r.random() < 0.2)
    if main:
        c["envFrom"] = [{"configMapRef": {"name": f"{wl.name}-config"}}] + ([{"secretRef": {"name": f"{wl.name}-secrets"}}] if r.random() < 0.4 else [])
    if port:
        c["ports"] = [{"containerPort": port, "name": "http" if main else "metrics", "protocol": "TCP"}]
        if main and r.random() < 0.3:
            c["ports"].append({"containerPort": 9095, "name": "metrics", "protocol": "TCP"})
        if wl.sec in ("privileged", "host") and main:
            c["ports"][0]["hostPort"] = port
        if wl.kind != "CronJob" and (main or r.random() < 0.15):
            c["livenessProbe"] = _probe(r, port, "/healthz")
            if r.random() < 0.85:
                c["readinessProbe"] = _probe(r, port, "/ready")
    mounts = [{"mountPath": "/tmp", "name": "tmp"}]
    if main:
        mounts.append({"mountPath": f"/etc/{name}", "name": "config", "readOnly": True})
        if wl.seed % 2:
            mounts.append({"mountPath": "/etc/secrets", "name": "secrets", "readOnly": True})
        if wl.kind == "StatefulSet":
            mounts.append({"mountPath": f"/var/lib/{name}", "name": "data"})
        if wl.sec in ("privileged", "host"):
            mounts.append({"mountPath": "/host", "name": "host-root", "readOnly": wl.sec == "host"})
    c["volumeMounts"] = mounts
    if sc is not None:
        c["securityContext"] = sc
    return c


def _sc(r: random.Random, sec: str) -> Obj | None:
    return {"hardened": HARDENED_SC, "default": None, "loose": r.choice(LOOSE_SCS), "privileged": r.choice(PRIV_SCS[:2] if r.random() < 0.9 else PRIV_SCS),
            "host": {"allowPrivilegeEscalation": True, "runAsUser": 0}}[sec]


@lru_cache(maxsize=256)
def template(n_pods: int, wl: Workload) -> tuple[Obj, Obj, Obj]:
    """(labels, annotations, pod spec) shared by every pod of a workload."""
    r = random.Random(wl.seed)
    labels = {"app.kubernetes.io/name": wl.app[0], "app.kubernetes.io/instance": wl.name, "app.kubernetes.io/part-of": wl.ns.split("-")[0]}
    labels |= {"app.kubernetes.io/version": _image(wl, wl.app).rsplit(":", 1)[-1], "app.kubernetes.io/managed-by": "Helm"} if r.random() < 0.6 else {}
    ann: Obj = {"prometheus.io/scrape": "true", "prometheus.io/port": str(wl.app[2] or 9095)} if r.random() < 0.5 else {}
    if wl.kind == "Static":
        node = next(nd for nd in plan(n_pods).nodes if nd.name == wl.node)
        cmd = [a.format(ip=node.ip, node=node.name) for a in wl.app[3]]
        c = {"command": cmd, "image": wl.app[1], "imagePullPolicy": "IfNotPresent", "name": wl.app[0],
             "livenessProbe": {"failureThreshold": 8, "httpGet": {"host": node.ip if wl.app[0] == "kube-apiserver" else "127.0.0.1", "path": "/livez" if wl.app[0] == "kube-apiserver" else "/healthz", "port": wl.app[2], "scheme": "HTTPS" if wl.app[0] != "etcd" else "HTTP"}, "initialDelaySeconds": 10, "periodSeconds": 10, "successThreshold": 1, "timeoutSeconds": 15},
             "resources": {"requests": {"cpu": "250m"}}, "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
             "volumeMounts": [{"mountPath": "/etc/ssl/certs", "name": "ca-certs", "readOnly": True}, {"mountPath": _PKI, "name": "k8s-certs", "readOnly": True}]}
        spec: Obj = {"containers": [c], "dnsPolicy": "ClusterFirst", "enableServiceLinks": True, "hostNetwork": True, "nodeName": wl.node,
                     "preemptionPolicy": "PreemptLowerPriority", "priority": 2000001000, "priorityClassName": "system-node-critical", "restartPolicy": "Always",
                     "schedulerName": "default-scheduler", "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}, "terminationGracePeriodSeconds": 30,
                     "tolerations": [{"effect": "NoExecute", "operator": "Exists"}],
                     "volumes": [{"hostPath": {"path": "/etc/ssl/certs", "type": "DirectoryOrCreate"}, "name": "ca-certs"}, {"hostPath": {"path": _PKI, "type": "DirectoryOrCreate"}, "name": "k8s-certs"}]}
        return {"component": wl.app[0], "tier": "control-plane"}, {"kubernetes.io/config.hash": digest(wl.name)[:32], "kubernetes.io/config.source": "file"}, spec
    sc = _sc(r, wl.sec)
    containers = [_container(r, wl, wl.app, r.randint(ENV_MAIN[0], ENV_MAIN[1]), True, sc)]
    system = wl.ns in SYSTEM_NS
    n_side = 0 if system and wl.kind == "DaemonSet" else r.choice([1, 1, 1, 1, 1, 1, 1, 1, 2, 3]) if not system else 1
    mesh = int(digest("mesh", wl.ns)[:2], 16) < 20  # one namespace in thirteen runs a service mesh
    sides = ([SIDECARS[0]] if mesh else []) + r.sample(SIDECARS[1:], n_side - mesh) if n_side else []
    for s in sides:
        containers.append(_container(r, wl, s, r.randint(ENV_SIDE[0], ENV_SIDE[1]), False, ISTIO_SC if s[0] == "istio-proxy" else sc))
    volumes: list[Obj] = [{"configMap": {"defaultMode": 420, "name": f"{wl.name}-config"}, "name": "config"}] + \
        ([{"name": "secrets", "secret": {"defaultMode": 420, "secretName": f"{wl.name}-secrets"}}] if wl.seed % 2 else []) + [
                          {"emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"} if r.random() < 0.3 else {}, "name": "tmp"}]
    if wl.sec in ("privileged", "host"):
        volumes.append({"hostPath": {"path": "/" if wl.sec == "host" else r.choice(["/", "/var/run/docker.sock", "/var/log"]), "type": ""}, "name": "host-root"})
    init: list[Obj] = []
    istio = any(s[0] == "istio-proxy" for s in sides)
    if istio:
        init.append({"args": ["istio-iptables", "-p", "15001", "-z", "15006", "-u", "1337", "-m", "REDIRECT", "-i", "*", "-b", "*", "-d", "15090,15021,15020"],
                     "image": SIDECARS[0][1], "imagePullPolicy": "IfNotPresent", "name": "istio-init", "resources": {"limits": {"cpu": "2", "memory": "1Gi"}, "requests": {"cpu": "100m", "memory": "128Mi"}},
                     "securityContext": ISTIO_INIT_SC, "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"})
        ann |= {"sidecar.istio.io/status": '{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["workload-socket","istio-envoy","istio-data","istio-podinfo","istio-token","istiod-ca-cert"],"imagePullSecrets":null,"revision":"default"}',
                "kubectl.kubernetes.io/default-container": wl.app[0], "istio.io/rev": "default"}
        volumes += [{"emptyDir": {}, "name": "workload-socket"}, {"emptyDir": {"medium": "Memory"}, "name": "istio-envoy"}, {"emptyDir": {}, "name": "istio-data"},
                    {"downwardAPI": {"defaultMode": 420, "items": [{"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.labels"}, "path": "labels"}, {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.annotations"}, "path": "annotations"}]}, "name": "istio-podinfo"},
                    {"name": "istio-token", "projected": {"defaultMode": 420, "sources": [{"serviceAccountToken": {"audience": "istio-ca", "expirationSeconds": 43200, "path": "istio-token"}}]}},
                    {"configMap": {"defaultMode": 420, "name": "istio-ca-root-cert"}, "name": "istiod-ca-cert"}]
    elif r.random() < 0.2:
        init.append({"command": ["sh", "-c"], "args": ["until nc -z postgres 5432; do echo waiting for db; sleep 2; done"], "image": "docker.io/library/busybox:1.36.1",
                     "imagePullPolicy": "IfNotPresent", "name": "wait-for-deps", "resources": {}, "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"})
    pod_sc: Obj = {"fsGroup": 10001, "runAsGroup": 10001, "runAsNonRoot": True, "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}} if wl.sec == "hardened" else {}
    spec = {"containers": containers, "dnsPolicy": "ClusterFirst", "enableServiceLinks": True, "preemptionPolicy": "PreemptLowerPriority", "priority": 0,
            "restartPolicy": "OnFailure" if wl.kind in ("CronJob", "Job") else "Always", "schedulerName": "default-scheduler", "securityContext": pod_sc,
            "serviceAccount": wl.sa, "serviceAccountName": wl.sa, "terminationGracePeriodSeconds": 30, "volumes": volumes,
            "tolerations": ([{"operator": "Exists"}] if wl.kind == "DaemonSet" else r.choice([[], [], [], [{"effect": "NoSchedule", "key": "dedicated", "operator": "Equal", "value": wl.ns.split("-")[0]}]])) + DEFAULT_TOLERATIONS}
    if init:
        spec["initContainers"] = init
    if wl.sec == "host":
        spec |= {"hostNetwork": True, "hostPID": True, "dnsPolicy": "ClusterFirstWithHostNet"} | ({"hostIPC": True} if r.random() < 0.5 else {})
    elif wl.sec == "privileged" and r.random() < 0.4:
        spec["hostNetwork"] = True
    if r.random() < 0.3:
        spec["automountServiceAccountToken"] = False
    if r.random() < 0.5:
        spec["nodeSelector"] = {"kubernetes.io/os": "linux"}
    if r.random() < 0.2:
        spec["imagePullSecrets"] = [{"name": "registry-credentials"}]
    if wl.kind in ("Deployment", "StatefulSet") and r.random() < 0.25:
        spec["affinity"] = {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"podAffinityTerm": {"labelSelector": {"matchLabels": {"app.kubernetes.io/instance": wl.name}}, "topologyKey": "kubernetes.io/hostname"}, "weight": 100}]},
                            "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": [{"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["eu-west-1a", "eu-west-1b", "eu-west-1c"]}]}]}}}
    return labels, ann, spec


@dataclass(frozen=True, slots=True)
class PodRef:
    name: str
    wl: Workload
    index: int  # replica index within its owner
    owner: tuple[str, str, str] | None  # (kind, name, uid)
    labels: tuple[tuple[str, str], ...]
    created: int


def _owner_hash(wl: Workload, what: str, n: int = 10) -> str:
    return suffix(rng(wl.ns, wl.name, wl.seed, what), n)


def replicasets_of(wl: Workload) -> list[tuple[str, str, int]]:
    """(name, pod-template-hash, replicas) of a Deployment's ReplicaSets; the last one is current."""
    n_old = random.Random(wl.seed + 1).choice([0, 0, 1, 2])
    return [(f"{wl.name}-{h}", h, 0 if i < n_old else wl.pods) for i in range(n_old + 1) for h in [_owner_hash(wl, f"rs{i}", 9 + i % 2)]]


def jobs_of(wl: Workload) -> list[tuple[str, int]]:
    """(name, scheduled-offset) of the Jobs a CronJob (or a standalone Job) owns or is."""
    if wl.kind == "Job":
        return [(wl.name, wl.created)]
    last = wl.created + 40 * DAY
    return [(f"{wl.name}-{(BASE + last - j * 3600) // 60}", last - j * 3600) for j in range(wl.pods - 1, -1, -1)]


def pod_refs(pl: Plan, wl: Workload) -> Iterator[PodRef]:
    r = random.Random(wl.seed + 2)
    if wl.kind == "Deployment":
        rs, h, _ = replicasets_of(wl)[-1]
        for i in range(wl.pods):
            yield PodRef(f"{rs}-{suffix(r)}", wl, i, ("ReplicaSet", rs, uid("ReplicaSet", wl.ns, rs)), (("pod-template-hash", h),), wl.created + 7200)
    elif wl.kind == "StatefulSet":
        h = _owner_hash(wl, "rev")
        for i in range(wl.pods):
            yield PodRef(f"{wl.name}-{i}", wl, i, ("StatefulSet", wl.name, uid("StatefulSet", wl.ns, wl.name)),
                         (("apps.kubernetes.io/pod-index", str(i)), ("controller-revision-hash", f"{wl.name}-{h}"), ("statefulset.kubernetes.io/pod-name", f"{wl.name}-{i}")), wl.created + 60 * i)
    elif wl.kind == "DaemonSet":
        h = _owner_hash(wl, "rev")
        for i in range(wl.pods):
            yield PodRef(f"{wl.name}-{suffix(r)}", wl, i, ("DaemonSet", wl.name, uid("DaemonSet", wl.ns, wl.name)),
                         (("controller-revision-hash", h), ("pod-template-generation", "1")), wl.created + 30)
    elif wl.kind in ("CronJob", "Job"):
        for i, (job, t) in enumerate(jobs_of(wl)):
            ju = uid("Job", wl.ns, job)
            yield PodRef(f"{job}-{suffix(r)}", wl, i, ("Job", job, ju), (("batch.kubernetes.io/controller-uid", ju), ("batch.kubernetes.io/job-name", job),
                                                                         ("controller-uid", ju), ("job-name", job)), t + 1)
    elif wl.kind == "Static":
        yield PodRef(wl.name, wl, 0, ("Node", wl.node, uid("Node", "", wl.node)), (), wl.created)
    else:
        yield PodRef(wl.name, wl, 0, None, (("run", wl.name),), wl.created)


def _status_pod(r: random.Random, ref: PodRef, spec: Obj, pod_uid: str, node: Node, ip: str) -> Obj:
    done = ref.wl.kind in ("CronJob", "Job")
    t0 = ref.created + 2
    crash = not done and r.random() < 0.03

    def cstat(c: Obj, init: bool) -> Obj:
        img = c["image"] if c["image"].count("/") >= 2 or c["image"].startswith(("docker.io", "quay.io", "gcr.io", "registry.")) else "docker.io/library/" + c["image"]
        s: Obj = {"containerID": "containerd://" + digest(pod_uid, c["name"]), "image": img, "imageID": img.rsplit(":", 1)[0] + "@sha256:" + digest(img),
                  "lastState": {}, "name": c["name"], "ready": not init and not done, "restartCount": 0, "started": not init and not done}
        if init or done:
            s["state"] = {"terminated": {"containerID": s["containerID"], "exitCode": 0, "finishedAt": ts(t0 + (3 if init else 95)), "reason": "Completed", "startedAt": ts(t0 + 1)}}
        elif crash and c is spec["containers"][0]:
            s |= {"ready": False, "restartCount": 7, "started": False, "state": {"waiting": {"message": f"back-off 5m0s restarting failed container={c['name']} pod={ref.name}_{ref.wl.ns}({pod_uid})", "reason": "CrashLoopBackOff"}},
                  "lastState": {"terminated": {"containerID": s["containerID"], "exitCode": 1, "finishedAt": ts(t0 + 3600), "reason": "Error", "startedAt": ts(t0 + 3590)}}}
        else:
            s["state"] = {"running": {"startedAt": ts(t0 + 5)}}
        return s
    ready = "False" if done or crash else "True"
    conds = [("PodReadyToStartContainers", "False" if done else "True"), ("Initialized", "True"), ("Ready", ready), ("ContainersReady", ready), ("PodScheduled", "True")]
    st: Obj = {"conditions": [{"lastProbeTime": None, "lastTransitionTime": ts(t0 + (6 if s == "True" else 96)), "status": s, "type": t} | ({"reason": "PodCompleted"} if done and t != "PodScheduled" else {})
                              for t, s in conds],
               "containerStatuses": [cstat(c, False) for c in spec["containers"]], "hostIP": node.ip, "hostIPs": [{"ip": node.ip}],
               "phase": "Succeeded" if done else "Running", "podIP": ip, "podIPs": [{"ip": ip}], "startTime": ts(t0)}
    if "initContainers" in spec:
        st["initContainerStatuses"] = [cstat(c, True) for c in spec["initContainers"]]
    res = [c.get("resources", {}) for c in spec["containers"]]
    st["qosClass"] = "BestEffort" if not any(res) else "Guaranteed" if all(x.get("limits") and x["limits"] == x.get("requests") for x in res) else "Burstable"
    return st


class _PodMaker:
    """Builds the pods of a plan in iteration order (node placement and pod IPs depend on it)."""

    def __init__(self, pl: Plan) -> None:
        self.pl, self.ip_next = pl, [0] * len(pl.nodes)
        self.by_name = {nd.name: nd for nd in pl.nodes}
        self.spec_fields: dict[Workload, Obj] = {}

    def pod(self, ref: PodRef) -> Obj:
        wl, pl = ref.wl, self.pl
        labels, ann, tspec = template(pl.n_pods, wl)
        r = rng(wl.ns, ref.name)
        if wl.kind == "Static":
            node = self.by_name[wl.node]
        elif wl.kind == "DaemonSet":
            node = pl.nodes[ref.index % len(pl.nodes)]
        else:
            workers = [nd for nd in pl.nodes if not nd.control_plane] or pl.nodes
            node = workers[r.randrange(len(workers))]
        if tspec.get("hostNetwork"):
            ip = node.ip
        else:
            k = self.ip_next[node.index] = self.ip_next[node.index] + 1
            ip = f"10.{128 + node.index // 256}.{node.index % 256}.{1 + (k - 1) % 254}"
        pod_uid = uid("Pod", wl.ns, ref.name)
        spec = dict(tspec, nodeName=node.name)
        if wl.kind == "DaemonSet":
            spec["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node.name]}]}]}}}
        if wl.kind == "StatefulSet":
            spec |= {"hostname": ref.name, "subdomain": wl.name, "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": f"data-{ref.name}"}}] + tspec["volumes"]}
        if wl.kind != "Static" and tspec.get("automountServiceAccountToken") is not False:
            vol = f"kube-api-access-{suffix(r)}"
            mount = {"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "name": vol, "readOnly": True}
            for key in ("containers", "initContainers"):
                if key in spec:
                    spec[key] = [dict(c, volumeMounts=c.get("volumeMounts", []) + [mount]) for c in spec[key]]
            spec["volumes"] = spec["volumes"] + [{"name": vol, "projected": {"defaultMode": 420, "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}},
                {"downwardAPI": {"items": [{"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}, "path": "namespace"}]}}]}}]
        status = _status_pod(r, ref, spec, pod_uid, node, ip)
        pod_labels = labels | dict(ref.labels)
        pod_ann = dict(ann)
        if wl.kind == "Static":
            pod_ann |= {"kubernetes.io/config.mirror": pod_ann["kubernetes.io/config.hash"], "kubernetes.io/config.seen": ts(ref.created)}
        md = meta("Pod", wl.ns, ref.name, ref.created, annotations=pod_ann, labels=pod_labels)
        md["uid"] = pod_uid
        mine: Obj = {"labels": pod_labels}
        if ref.owner:
            md["ownerReferences"] = [{"apiVersion": "v1" if ref.owner[0] == "Node" else "apps/v1" if ref.owner[0] != "Job" else "batch/v1", "blockOwnerDeletion": True,
                                      "controller": True, "kind": ref.owner[0], "name": ref.owner[1], "uid": ref.owner[2]}]
            mine["ownerReferences"] = md["ownerReferences"]
            if wl.kind not in ("StatefulSet", "Static"):
                md["generateName"] = ref.name[: ref.name.rfind("-") + 1]
                mine["generateName"] = md["generateName"]
        if wl not in self.spec_fields:
            self.spec_fields[wl] = fields({"spec": {k: v for k, v in tspec.items() if k not in ("nodeName", "serviceAccount")}})["f:spec"]
        mf_meta = fields({"metadata": mine | ({"annotations": ann} if ann else {})})
        manager = "kubelet" if wl.kind == "Static" else "kube-controller-manager" if ref.owner else "kubectl-run"
        mfs = [managed(manager, ref.created, {}) | {"fieldsV1": mf_meta | {"f:spec": self.spec_fields[wl]}}]
        mfs.append(managed("kubelet", ref.created + 96, {"status": status}, sub="status"))
        md["managedFields"] = mfs
        return obj("pods", md, spec=spec, status=status)


def _pods(pl: Plan) -> Iterator[Obj]:
    maker = _PodMaker(pl)
    for ns in pl.namespaces:
        maker.spec_fields.clear()
        refs = sorted((ref for wl in pl.workloads.get(ns, []) for ref in pod_refs(pl, wl)), key=lambda p: p.name)
        for ref in refs:
            yield maker.pod(ref)


def _pod_template(pl: Plan, wl: Workload, extra_labels: dict[str, str] | None = None) -> Obj:
    labels, ann, spec = template(pl.n_pods, wl)
    md: Obj = {"creationTimestamp": None, "labels": labels | (extra_labels or {})}
    if ann:
        md["annotations"] = ann
    return {"metadata": md, "spec": spec}


def _selector(pl: Plan, wl: Workload) -> Obj:
    return {"matchLabels": {"app.kubernetes.io/instance": wl.name, "app.kubernetes.io/name": wl.app[0]}}


def _workloads(resource: str, pl: Plan, ns: str, wls: list[Workload]) -> Iterator[Obj]:
    kind = KINDS[resource][0]
    for wl in wls:
        labels = template(pl.n_pods, wl)[0]
        if resource == "deployments" and wl.kind == "Deployment":
            r = random.Random(wl.seed + 3)
            strategy = r.choices([{"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}, "type": "RollingUpdate"}, {"type": "Recreate"},
                                  {"rollingUpdate": {"maxSurge": 1, "maxUnavailable": "100%"}, "type": "RollingUpdate"}], [80, 12, 8])[0]
            rev = len(replicasets_of(wl))
            md = meta(kind, wl.ns, wl.name, wl.created, annotations={"deployment.kubernetes.io/revision": str(rev)}, labels=labels, generation=rev)
            spec = {"progressDeadlineSeconds": 600, "replicas": wl.pods, "revisionHistoryLimit": 10, "selector": _selector(pl, wl), "strategy": strategy, "template": _pod_template(pl, wl)}
            md["managedFields"] = [managed("helm", wl.created, {"metadata": {"labels": labels}, "spec": spec}, "apps/v1"),
                                   managed("kube-controller-manager", wl.created + 7300, {"metadata": {"annotations": md["annotations"]}, "status": {}}, "apps/v1", "status")]
            status = {"availableReplicas": wl.pods, "conditions": [{"lastTransitionTime": ts(wl.created + 7300), "lastUpdateTime": ts(wl.created + 7300), "message": m, "reason": rs, "status": "True", "type": t}
                                                                   for t, rs, m in (("Available", "MinimumReplicasAvailable", "Deployment has minimum availability."),
                                                                                    ("Progressing", "NewReplicaSetAvailable", f'ReplicaSet "{replicasets_of(wl)[-1][0]}" has successfully progressed.'))],
                      "observedGeneration": rev, "readyReplicas": wl.pods, "replicas": wl.pods, "updatedReplicas": wl.pods}
            yield obj(resource, md, spec=spec, status=status)
        elif resource == "replicasets" and wl.kind == "Deployment":
            dep = ("Deployment", wl.name, uid("Deployment", wl.ns, wl.name))
            for i, (name, h, reps) in enumerate(replicasets_of(wl)):
                own = [{"apiVersion": "apps/v1", "blockOwnerDeletion": True, "controller": True, "kind": dep[0], "name": dep[1], "uid": dep[2]}]
                md = meta(kind, wl.ns, name, wl.created + i * DAY, labels=labels | {"pod-template-hash": h}, ownerReferences=own, generation=1 + (reps == 0),
                          annotations={"deployment.kubernetes.io/desired-replicas": str(wl.pods), "deployment.kubernetes.io/max-replicas": str(wl.pods + 1), "deployment.kubernetes.io/revision": str(i + 1)})
                sel = _selector(pl, wl)
                spec = {"replicas": reps, "selector": {"matchLabels": sel["matchLabels"] | {"pod-template-hash": h}}, "template": _pod_template(pl, wl, {"pod-template-hash": h})}
                status = {"observedGeneration": md["generation"], "replicas": reps} | ({"availableReplicas": reps, "fullyLabeledReplicas": reps, "readyReplicas": reps} if reps else {})
                yield obj(resource, md, spec=spec, status=status)
        elif resource == "statefulsets" and wl.kind == "StatefulSet":
            md = meta(kind, wl.ns, wl.name, wl.created, labels=labels, generation=1)
            h = f"{wl.name}-{_owner_hash(wl, 'rev')}"
            spec = {"persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"}, "podManagementPolicy": "OrderedReady", "replicas": wl.pods,
                    "revisionHistoryLimit": 10, "selector": _selector(pl, wl), "serviceName": wl.name, "template": _pod_template(pl, wl),
                    "updateStrategy": {"rollingUpdate": {"partition": 0}, "type": "RollingUpdate"} if wl.seed % 5 else {"type": "OnDelete"},
                    "volumeClaimTemplates": [{"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"creationTimestamp": None, "name": "data"},
                                              "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "20Gi"}}, "volumeMode": "Filesystem"}, "status": {"phase": "Pending"}}]}
            status = {"availableReplicas": wl.pods, "collisionCount": 0, "currentReplicas": wl.pods, "currentRevision": h, "observedGeneration": 1, "readyReplicas": wl.pods,
                      "replicas": wl.pods, "updateRevision": h, "updatedReplicas": wl.pods}
            yield obj(resource, md, spec=spec, status=status)
        elif resource == "daemonsets" and wl.kind == "DaemonSet":
            md = meta(kind, wl.ns, wl.name, wl.created, labels=labels, annotations={"deprecated.daemonset.template.generation": "1"}, generation=1)
            spec = {"revisionHistoryLimit": 10, "selector": _selector(pl, wl), "template": _pod_template(pl, wl),
                    "updateStrategy": {"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}, "type": "RollingUpdate"}}
            n = wl.pods
            status = {"currentNumberScheduled": n, "desiredNumberScheduled": n, "numberAvailable": n, "numberMisscheduled": 0, "numberReady": n, "observedGeneration": 1, "updatedNumberScheduled": n}
            yield obj(resource, md, spec=spec, status=status)
        elif resource == "cronjobs" and wl.kind == "CronJob":
            md = meta(kind, wl.ns, wl.name, wl.created, labels=labels, generation=1)
            jobs = jobs_of(wl)
            spec = {"concurrencyPolicy": "Forbid", "failedJobsHistoryLimit": 1, "schedule": "0 * * * *", "successfulJobsHistoryLimit": 3, "suspend": False,
                    "jobTemplate": {"metadata": {"creationTimestamp": None}, "spec": {"backoffLimit": 2, "template": _pod_template(pl, wl)}}}
            status = {"lastScheduleTime": ts(jobs[-1][1]), "lastSuccessfulTime": ts(jobs[-1][1] + 100)}
            yield obj(resource, md, spec=spec, status=status)
        elif resource == "jobs" and wl.kind in ("CronJob", "Job"):
            for name, t in jobs_of(wl):
                ju = uid("Job", wl.ns, name)
                own = [{"apiVersion": "batch/v1", "blockOwnerDeletion": True, "controller": True, "kind": "CronJob", "name": wl.name, "uid": uid("CronJob", wl.ns, wl.name)}] if wl.kind == "CronJob" else None
                jl = {"batch.kubernetes.io/controller-uid": ju, "batch.kubernetes.io/job-name": name, "controller-uid": ju, "job-name": name}
                md = meta(kind, wl.ns, name, t, labels=labels | jl, ownerReferences=own, annotations={"batch.kubernetes.io/job-tracking": ""}, generation=1)
                tpl = _pod_template(pl, wl, jl)
                spec = {"backoffLimit": 2 if own else 6, "completionMode": "NonIndexed", "completions": 1, "manualSelector": False, "parallelism": 1, "podReplacementPolicy": "TerminatingOrFailed",
                        "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": ju}}, "suspend": False, "template": tpl}
                status = {"completionTime": ts(t + 100), "conditions": [{"lastProbeTime": ts(t + 100), "lastTransitionTime": ts(t + 100), "status": "True", "type": "Complete"}],
                          "ready": 0, "startTime": ts(t), "succeeded": 1, "terminating": 0, "uncountedTerminatedPods": {}}
                yield obj(resource, md, spec=spec, status=status)


def _svc(ns: str, name: str, created: int, ports: list[Obj], selector: Obj | None, typ: str = "ClusterIP", labels: Obj | None = None,
         headless: bool = False, ranges: list[str] | None = None) -> Obj:
    h = int(digest("svc", ns, name)[:8], 16)
    ip = "None" if headless else "10.96.0.1" if name == "kubernetes" else "10.96.0.10" if name == "kube-dns" else f"10.{96 + h % 16}.{h >> 4 & 255}.{1 + (h >> 12) % 254}"
    spec: Obj = {"clusterIP": ip, "clusterIPs": [ip], "internalTrafficPolicy": "Cluster", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                 "ports": ports, "sessionAffinity": "None", "type": typ}
    status: Obj = {"loadBalancer": {}}
    if selector:
        spec["selector"] = selector
    if typ != "ClusterIP":
        spec["externalTrafficPolicy"] = "Cluster"
        spec["ports"] = [p | {"nodePort": 30000 + (h + i) % 2767} for i, p in enumerate(ports)]
    if typ == "LoadBalancer":
        spec["allocateLoadBalancerNodePorts"] = True
        status = {"loadBalancer": {"ingress": [{"ip": f"198.51.100.{1 + h % 250}", "ipMode": "VIP"}]}}
        if ranges:
            spec["loadBalancerSourceRanges"] = ranges
    md = meta("Service", ns, name, created, labels=labels)
    md["managedFields"] = [managed("helm" if selector else "kube-apiserver", created, {"metadata": {"labels": labels or {}}, "spec": {k: v for k, v in spec.items() if not k.startswith("cluster")}})]
    return obj("services", md, spec=spec, status=status)


def _services(pl: Plan, ns: str, wls: list[Workload]) -> Iterator[Obj]:
    if ns == "default":
        yield _svc(ns, "kubernetes", 0, [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}], None,
                   labels={"component": "apiserver", "provider": "kubernetes"})
    if ns == "kube-system":
        yield _svc(ns, "kube-dns", 60, [{"name": n, "port": p, "protocol": t, "targetPort": p} for n, p, t in (("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"), ("metrics", 9153, "TCP"))],
                   {"k8s-app": "kube-dns"}, labels={"k8s-app": "kube-dns", "kubernetes.io/name": "CoreDNS"})
    for wl in wls:
        if wl.kind in ("Deployment", "StatefulSet"):
            r = random.Random(wl.seed + 4)
            typ = "ClusterIP" if wl.kind == "StatefulSet" or ns in SYSTEM_NS else r.choices(["ClusterIP", "NodePort", "LoadBalancer"], [80, 10, 10])[0]
            ranges = r.choice([None, ["10.0.0.0/8"], ["0.0.0.0/0"]])
            yield _svc(ns, wl.name, wl.created, [{"name": "http", "port": 80 if wl.kind == "Deployment" else wl.app[2], "protocol": "TCP", "targetPort": "http"}],
                       _selector(pl, wl)["matchLabels"], typ, template(pl.n_pods, wl)[0], wl.kind == "StatefulSet", ranges)


def _namespaced(pl: Plan, ns: str, wls: list[Workload], resource: str) -> Iterator[Obj]:
    r, created = rng(resource, ns), pl.ns_created[ns]
    app_ns = ns not in SYSTEM_NS
    if resource == "serviceaccounts":
        for sa in sorted({"default"} | {w.sa for w in wls}):
            md = meta("ServiceAccount", ns, sa, created if sa == "default" else created + 300)
            yield obj(resource, md) | ({"automountServiceAccountToken": False} if sa != "default" and r.random() < 0.3 else {})
    elif resource == "configmaps":
        ca = "-----BEGIN CERTIFICATE-----\n" + "\n".join(digest("ca", i)[:64] for i in range(18)) + "\n-----END CERTIFICATE-----\n"
        md = meta("ConfigMap", ns, "kube-root-ca.crt", created, annotations={"kubernetes.io/description": "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."})
        yield obj(resource, md, data={"ca.crt": ca})
        for wl in wls:
            if wl.kind != "Static":
                data = {k.lower(): f"{k.lower()}-{digest(ns, wl.name, k)[:8]}" for k in CM_VARS}
                data["app.yaml"] = f"server:\n  port: {wl.app[2] or 8080}\n  shutdownTimeout: 30s\nlogging:\n  level: info\n  format: json\n"
                if r.random() < 0.15:
                    data["database_password"] = f"Welcome-{digest(ns, wl.name)[:10]}"
                yield obj(resource, meta("ConfigMap", ns, f"{wl.name}-config", wl.created, labels=template(pl.n_pods, wl)[0]), data=data)
    elif resource == "networkpolicies" and app_ns:
        deny = r.random()
        if deny < 0.45:
            yield obj(resource, meta("NetworkPolicy", ns, "default-deny", created + 60, generation=1),
                      spec={"podSelector": {}, "policyTypes": ["Ingress", "Egress"] if deny < 0.2 else ["Ingress"]})
        if r.random() < 0.3:
            yield obj(resource, meta("NetworkPolicy", ns, "allow-same-namespace", created + 90, generation=1),
                      spec={"ingress": [{"from": [{"podSelector": {}}]}], "podSelector": {}, "policyTypes": ["Ingress"]})
        for wl in wls:
            if wl.kind == "Deployment" and r.random() < 0.15:
                yield obj(resource, meta("NetworkPolicy", ns, f"allow-{wl.name}", wl.created, generation=1), spec={
                    "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}, {"podSelector": {"matchLabels": {"app.kubernetes.io/part-of": ns.split("-")[0]}}}],
                                 "ports": [{"port": wl.app[2], "protocol": "TCP"}]}], "podSelector": _selector(pl, wl), "policyTypes": ["Ingress"]})
    elif resource == "poddisruptionbudgets":
        for wl in wls:
            if wl.kind in ("Deployment", "StatefulSet") and wl.pods >= 2 and wl.seed % 2:
                spec = {"minAvailable": 1} if wl.seed % 3 else {"maxUnavailable": "25%"}
                allowed = wl.pods - 1
                yield obj(resource, meta("PodDisruptionBudget", ns, wl.name, wl.created, generation=1), spec=spec | {"selector": _selector(pl, wl)}, status={
                    "conditions": [{"lastTransitionTime": ts(wl.created + 7300), "message": "", "observedGeneration": 1, "reason": "SufficientPods", "status": "True", "type": "DisruptionAllowed"}],
                    "currentHealthy": wl.pods, "desiredHealthy": wl.pods - allowed, "disruptionsAllowed": allowed, "expectedPods": wl.pods, "observedGeneration": 1})
    elif resource in ("roles", "rolebindings") and ns not in ("kube-node-lease", "logging", "monitoring"):
        roles = [("app-config-reader", [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}])] if app_ns or ns == "default" else \
            [("extension-apiserver-authentication-reader", [{"apiGroups": [""], "resourceNames": ["extension-apiserver-authentication"], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}]),
             ("system:controller:bootstrap-signer", [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch"]}])]
        if app_ns and r.random() < 0.3:
            roles.append(("secret-reader", [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch"]}]))
        if app_ns and r.random() < 0.1:
            roles.append(("namespace-admin", [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]))
        if app_ns and r.random() < 0.15:
            roles.append(("pod-exec", [{"apiGroups": [""], "resources": ["pods", "pods/exec", "pods/log"], "verbs": ["get", "list", "create"]}]))
        sas = sorted({w.sa for w in wls} | {"default"})
        for name, rules in roles:
            if resource == "roles":
                yield obj(resource, meta("Role", ns, name, created + 120), rules=rules)
            else:
                subj = {"kind": "ServiceAccount", "name": r.choice(sas), "namespace": ns} if r.random() < 0.8 else {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:serviceaccounts"}
                yield obj(resource, meta("RoleBinding", ns, name, created + 130), roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name}, subjects=[subj])
        if resource == "rolebindings" and app_ns:
            for cr in r.sample(["view", "edit", "admin"], r.randint(0, 2)):
                yield obj(resource, meta("RoleBinding", ns, f"team-{cr}", created + 140), roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": cr},
                          subjects=[{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": f"{ns.split('-')[0]}-{cr}ers"}])
    elif resource in ("deployments", "replicasets", "statefulsets", "daemonsets", "cronjobs", "jobs"):
        yield from _workloads(resource, pl, ns, wls)
    elif resource == "services":
        yield from _services(pl, ns, wls)


_ALL = {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}
_READ = ["get", "list", "watch"]
CLUSTER_ROLES: dict[str, list[Obj]] = {
    "cluster-admin": [_ALL, {"nonResourceURLs": ["*"], "verbs": ["*"]}],
    "admin": [{"apiGroups": ["", "apps", "batch"], "resources": ["pods", "pods/exec", "secrets", "services", "deployments", "jobs", "configmaps"], "verbs": ["*"]}],
    "edit": [{"apiGroups": ["", "apps", "batch"], "resources": ["pods", "secrets", "services", "deployments", "jobs", "configmaps"], "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]}],
    "view": [{"apiGroups": ["", "apps", "batch"], "resources": ["pods", "services", "deployments", "jobs", "configmaps"], "verbs": _READ}],
    "system:basic-user": [{"apiGroups": ["authorization.k8s.io"], "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"], "verbs": ["create"]}],
    "system:discovery": [{"nonResourceURLs": ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"], "verbs": ["get"]}],
    "system:public-info-viewer": [{"nonResourceURLs": ["/healthz", "/livez", "/readyz", "/version", "/version/"], "verbs": ["get"]}],
    "system:node-proxier": [{"apiGroups": [""], "resources": ["endpoints", "services", "nodes"], "verbs": _READ}, {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": _READ}],
    "system:coredns": [{"apiGroups": [""], "resources": ["endpoints", "services", "pods", "namespaces"], "verbs": ["list", "watch"]}],
    "cilium": [{"apiGroups": [""], "resources": ["pods", "nodes", "namespaces", "services"], "verbs": _READ}, {"apiGroups": ["cilium.io"], "resources": ["*"], "verbs": ["*"]}],
    "fluent-bit": [{"apiGroups": [""], "resources": ["namespaces", "pods"], "verbs": _READ}],
    "kube-state-metrics": [{"apiGroups": ["", "apps", "batch", "policy", "networking.k8s.io"], "resources": ["*"], "verbs": ["list", "watch"]}],
    "system:aggregated-metrics-reader": [{"apiGroups": ["metrics.k8s.io"], "resources": ["pods", "nodes"], "verbs": _READ}],
}
SYSTEM_BINDINGS = [("cluster-admin", "cluster-admin", "Group", "system:masters", ""), ("system:basic-user", "system:basic-user", "Group", "system:authenticated", ""),
                   ("system:discovery", "system:discovery", "Group", "system:authenticated", ""), ("system:public-info-viewer", "system:public-info-viewer", "Group", "system:unauthenticated", ""),
                   ("system:node-proxier", "system:node-proxier", "User", "system:kube-proxy", ""), ("system:coredns", "system:coredns", "ServiceAccount", "coredns", "kube-system"),
                   ("cilium", "cilium", "ServiceAccount", "cilium", "kube-system"), ("fluent-bit", "fluent-bit", "ServiceAccount", "fluent-bit", "logging"),
                   ("kube-state-metrics", "kube-state-metrics", "ServiceAccount", "kube-state-metrics", "monitoring"), ("anonymous-view", "view", "User", "system:anonymous", ""),
                   ("platform-admins", "cluster-admin", "Group", "platform-admins", "")]


def _cluster_scoped(pl: Plan, resource: str) -> list[Obj]:
    out: list[Obj] = []
    apps = [w for ns in pl.namespaces if ns not in SYSTEM_NS for w in pl.workloads.get(ns, []) if w.sa != "default"]
    custom = [(f"{w.ns}-{w.name}-operator", w) for w in apps[:: 25]]
    if resource == "namespaces":
        for ns in pl.namespaces:
            r, t = rng("ns", ns), pl.ns_created[ns]
            labels = {"kubernetes.io/metadata.name": ns} | ({"team": ns.split("-")[0]} if ns not in SYSTEM_NS else {})
            psa = r.choices(["", "restricted", "baseline", "privileged"], [50, 20, 20, 10])[0] if ns not in SYSTEM_NS else ""
            if psa:
                labels |= {"pod-security.kubernetes.io/enforce": psa, "pod-security.kubernetes.io/enforce-version": "latest"}
            md = meta("Namespace", None, ns, t, labels=labels)
            md["managedFields"] = [managed("kube-apiserver" if ns in SYSTEM_NS else "kubectl-create", t, {"metadata": {"labels": labels}})]
            out.append(obj(resource, md, spec={"finalizers": ["kubernetes"]}, status={"phase": "Active"}))
    elif resource == "nodes":
        for nd in pl.nodes:
            zone = "eu-west-1" + "abc"[nd.index % 3]
            ver = "v1.29.4" if nd.index % 7 else "v1.28.9"
            labels = {"beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": nd.name, "kubernetes.io/os": "linux",
                      "node.kubernetes.io/instance-type": "m5.2xlarge" if nd.control_plane else "m5.4xlarge", "topology.kubernetes.io/region": "eu-west-1", "topology.kubernetes.io/zone": zone}
            if nd.control_plane:
                labels |= {"node-role.kubernetes.io/control-plane": "", "node.kubernetes.io/exclude-from-external-load-balancers": ""}
            ann = {"kubeadm.alpha.kubernetes.io/cri-socket": "unix:///run/containerd/containerd.sock", "node.alpha.kubernetes.io/ttl": "0",
                   "volumes.kubernetes.io/controller-managed-attach-detach": "true"}
            cidr = f"10.{128 + nd.index // 256}.{nd.index % 256}.0/24"
            spec: Obj = {"podCIDR": cidr, "podCIDRs": [cidr], "providerID": f"aws:///{zone}/i-{digest(nd.name)[:17]}"}
            if nd.control_plane:
                spec["taints"] = [{"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane"}]
            addrs = [{"address": nd.ip, "type": "InternalIP"}] + ([{"address": nd.external_ip, "type": "ExternalIP"}] if nd.external_ip else []) + [{"address": nd.name, "type": "Hostname"}]
            cap = {"cpu": "8" if nd.control_plane else "16", "ephemeral-storage": "101430960Ki", "hugepages-1Gi": "0", "hugepages-2Mi": "0", "memory": "32408392Ki" if nd.control_plane else "65023280Ki", "pods": "110"}
            hb = ts(90 * DAY)
            conds = [{"lastHeartbeatTime": hb, "lastTransitionTime": ts(DAY), "message": m, "reason": rs, "status": s, "type": t} for t, s, rs, m in (
                ("NetworkUnavailable", "False", "CiliumIsUp", "Cilium is running on this node"), ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"), ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                ("Ready", "True", "KubeletReady", "kubelet is posting ready status. AppArmor enabled"))]
            imgs = [a[1] for a in STATIC + [d[2] for d in SYSTEM_DS] + STS_APPS + SIDECARS]
            images = [{"names": [f"{i.rsplit(':', 1)[0]}@sha256:{digest(i)}", i], "sizeBytes": int(digest(i, "size")[:7], 16) * 4} for i in imgs]
            status = {"addresses": addrs, "allocatable": cap | {"cpu": str(int(cap["cpu"]) * 1000 - 100) + "m"}, "capacity": cap, "conditions": conds,
                      "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}}, "images": images,
                      "nodeInfo": {"architecture": "amd64", "bootID": uid("boot", nd.name), "containerRuntimeVersion": "containerd://1.7.13", "kernelVersion": "5.15.0-1057-aws",
                                   "kubeProxyVersion": ver, "kubeletVersion": ver, "machineID": digest("machine", nd.name)[:32], "operatingSystem": "linux",
                                   "osImage": "Ubuntu 22.04.4 LTS", "systemUUID": uid("system", nd.name)}}
            md = meta("Node", None, nd.name, nd.index * 60, annotations=ann, labels=labels)
            md["managedFields"] = [managed("kubelet", nd.index * 60, {"metadata": {"annotations": ann, "labels": labels}}), managed("kubelet", 90 * DAY, {"status": status}, sub="status")]
            out.append(obj(resource, md, spec=spec, status=status))
    elif resource == "clusterroles":
        for name, rules in CLUSTER_ROLES.items():
            system = name.startswith("system:") or name in ("cluster-admin", "admin", "edit", "view")
            out.append(obj(resource, meta("ClusterRole", None, name, 0, labels={"kubernetes.io/bootstrapping": "rbac-defaults"} if system else None,
                                          annotations={"rbac.authorization.kubernetes.io/autoupdate": "true"} if system else None), rules=rules))
        for name, w in custom:
            rules = [_ALL] if w.seed % 3 == 0 else [{"apiGroups": [""], "resources": ["secrets"], "verbs": _READ}, {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "patch", "update"]}]
            out.append(obj(resource, meta("ClusterRole", None, name, w.created), rules=rules))
    elif resource == "clusterrolebindings":
        binds = list(SYSTEM_BINDINGS) + [(name, name, "ServiceAccount", w.sa, w.ns) for name, w in custom] + [(f"ci-deployer-{w.ns}", "cluster-admin", "ServiceAccount", w.sa, w.ns) for w in apps[7::97]]
        for name, role, skind, subj, sns in binds:
            s: Obj = {"kind": skind, "name": subj} | ({"namespace": sns} if sns else {"apiGroup": "rbac.authorization.k8s.io"})
            out.append(obj(resource, meta("ClusterRoleBinding", None, name, 0), roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role}, subjects=[s]))
    return sorted(out, key=lambda o: o["metadata"]["name"])


def kind_names() -> list[str]:
    """Resource names (``pods``, ``replicasets``, ...), the file stems of :func:`write_cluster`, in writing order."""
    return list(KINDS)


def _resource(kind: str) -> str:
    for res, (k, _, _) in KINDS.items():
        if kind in (res, k) or kind.lower() in (res, k.lower()):
            return res
    raise KeyError(f"unknown kind {kind!r}; expected one of {kind_names()}")


def iter_objects(n_pods: int, kind: str) -> Iterator[Obj]:
    """The objects of one kind (resource name or Kind) of the n_pods cluster, in file order."""
    res, pl = _resource(kind), plan(n_pods)
    if res == "pods":
        yield from _pods(pl)
    elif not KINDS[res][2]:
        yield from _cluster_scoped(pl, res)
    else:
        for ns in pl.namespaces:
            wls = sorted(pl.workloads.get(ns, []), key=lambda w: w.name)
            yield from sorted(_namespaced(pl, ns, wls, res), key=lambda o: o["metadata"]["name"])


_HTML = ((b"&", b"\\u0026"), (b"<", b"\\u003c"), (b">", b"\\u003e"))
_HEAD = b'{\n    "apiVersion": "v1",\n    "items": ['
_TAIL = b'],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n'


def encode_item(o: Obj) -> bytes:
    """One list item as kubectl prints it: MarshalIndent with 4 spaces, sorted keys, HTML escapes, at depth 2."""
    b = msgspec.json.format(orjson.dumps(o, option=orjson.OPT_SORT_KEYS), indent=4)
    for ch, esc in _HTML:
        if ch in b:
            b = b.replace(ch, esc)
    return b"        " + b.replace(b"\n", b"\n        ")


def write_list(objs: Iterable[Obj], fh: IO[bytes]) -> tuple[int, int]:
    """Stream objs as a kubectl List into fh; returns (items, bytes of the largest... total item bytes)."""
    n = size = 0
    fh.write(_HEAD)
    for o in objs:
        b = encode_item(o)
        fh.write(b",\n" if n else b"\n")
        fh.write(b)
        n, size = n + 1, size + len(b)
    fh.write(b"\n    " + _TAIL if n else _TAIL)
    return n, size


def write_cluster(n_pods: int, out_dir: str, kinds: Iterable[str] | None = None, log: Callable[[str], None] | None = None) -> dict[str, tuple[int, int]]:
    """Write ``<resource>.json`` for every kind into out_dir; returns {resource: (items, item bytes)}."""
    os.makedirs(out_dir, exist_ok=True)
    stats = {}
    for res in kinds or kind_names():
        t = time.perf_counter()
        with open(os.path.join(out_dir, f"{res}.json"), "wb", buffering=1 << 20) as fh:
            stats[res] = write_list(iter_objects(n_pods, res), fh)
        if log:
            log(f"{res}.json: {stats[res][0]} items, {stats[res][1] / 1e6:.1f} MB in {time.perf_counter() - t:.1f}s")
    return stats


def _strip(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _strip(x) for k, x in v.items() if not (k == "creationTimestamp" and x is None)}
    return [_strip(x) for x in v] if isinstance(v, list) else v


def manifest(o: Obj) -> Obj:
    """The object as written by hand: no status, managedFields, uid or other server-set fields."""
    m = o["metadata"]
    md = {k: m[k] for k in ("name", "namespace", "labels", "annotations") if k in m}
    if "annotations" in md:
        md["annotations"] = {k: v for k, v in md["annotations"].items() if not k.startswith(("deployment.kubernetes.io/", "deprecated.daemonset", "batch.kubernetes.io/"))}
        if not md["annotations"]:
            del md["annotations"]
    out = {"apiVersion": o["apiVersion"], "kind": o["kind"], "metadata": md} | {k: _strip(v) for k, v in o.items() if k not in ("apiVersion", "kind", "metadata", "status")}
    if o["kind"] == "Service":
        out["spec"] = {k: v for k, v in out["spec"].items() if k not in ("clusterIP", "clusterIPs") or v == ["None"] or v == "None"}
    return out


CONTROLLER_KINDS = ("deployments", "statefulsets", "daemonsets", "jobs", "cronjobs", "services", "roles", "rolebindings", "clusterroles", "clusterrolebindings")


def write_controllers_yaml(n_pods: int, path: str) -> int:
    """Write the controller manifests (no pods, owned ReplicaSets/Jobs, status) as one multi-document YAML file."""
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    n = 0
    with open(path, "w", encoding="utf-8", buffering=1 << 20) as fh:
        for res in CONTROLLER_KINDS:
            for o in iter_objects(n_pods, res):
                if not o["metadata"].get("ownerReferences"):
                    fh.write("---\n")
                    yaml.dump(manifest(o), fh, Dumper=dumper, sort_keys=True, default_flow_style=False, width=4096)
                    n += 1
    return n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Write a deterministic synthetic cluster as kubectl get -A -o json files.")
    ap.add_argument("--pods", type=int, required=True, help="number of pods")
    ap.add_argument("-o", "--out", required=True, help="output directory")
    ap.add_argument("--yaml-controllers", metavar="FILE", help="also write controller manifests as one multi-document YAML file")
    ap.add_argument("-q", "--quiet", action="store_true")
    a = ap.parse_args(argv)
    log = None if a.quiet else (lambda s: print(s, file=sys.stderr))
    t = time.perf_counter()
    stats = write_cluster(a.pods, a.out, log=log)
    dt = time.perf_counter() - t
    if log:
        log(f"{a.pods} pods, {sum(s[1] for s in stats.values()) / 1e6:.0f} MB in {dt:.1f}s ({a.pods / dt:.0f} pods/s); avg pod {stats['pods'][1] / max(1, stats['pods'][0]) / 1e3:.1f} KB")
    if a.yaml_controllers:
        n = write_controllers_yaml(a.pods, a.yaml_controllers)
        if log:
            log(f"{a.yaml_controllers}: {n} documents")
    return 0


if __name__ == "__main__":
    sys.exit(main())
