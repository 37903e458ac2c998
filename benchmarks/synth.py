"""Deterministic synthetic Kubernetes clusters for benchmarks.

    python benchmarks/synth.py --pods 10000 -o /tmp/synth-10k [--yaml-controllers FILE]

writes one file per kind into the output directory (``pods.json``, ``replicasets.json``, ...: see
:func:`kind_names`), byte for byte as ``kubectl get <kind> -A -o json`` prints a List: Go's
``json.MarshalIndent`` with four spaces and ``": "``, keys sorted, ``<``, ``>`` and ``&`` escaped as
``\\u003c``, ``\\u003e`` and ``\\u0026``, a final newline. Items carry ``apiVersion`` and ``kind`` and
sit at depth 2: ``{`` and ``}`` indented eight spaces, items separated by ``,\\n``. Files are streamed
item by item, so 100k pods (about 4 GB) take little memory. ``--yaml-controllers`` also writes the
controller manifests (no pods, owned ReplicaSets or Jobs, managedFields or status) as one
multi-document YAML file, the input of a static scanner.

From Python (``benchmarks`` is a namespace package)::

    from benchmarks.synth import iter_objects, kind_names, write_cluster
    for pod in iter_objects(1000, "pods"):   # a resource name or a Kind ("Pod"); dicts in file order
        ...
    write_cluster(1000, "/tmp/synth-1k")

N pods make about N/100 nodes (control-plane nodes run kube-apiserver as a static pod), a namespace
per ~50 pods, DaemonSets with a pod per node and app workloads: mostly Deployments (-> ReplicaSets
-> pods; owners referenced by uid), StatefulSets, CronJobs (-> Jobs -> pods), standalone Jobs and
~2% bare pods. A pod, about 40 KB, has 2-4 containers, 10-24 env vars, probes, volumes, hardened or
privileged/root/host-namespace settings, managedFields and a full status. The same N gives the same
bytes (seeded generators, uuid5 uids, fixed timestamps).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import sys
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import IO, Any

import msgspec
import orjson
import yaml

Obj = dict[str, Any]
App = tuple[str, str, int, str]  # container, image ("" = built by the team), port (0 = none), "command | args"

KINDS: dict[str, tuple[str, str, bool]] = {  # resource: (Kind, apiVersion, namespaced), in writing order
    "pods": ("Pod", "v1", True),
    "replicasets": ("ReplicaSet", "apps/v1", True),
    "deployments": ("Deployment", "apps/v1", True),
    "statefulsets": ("StatefulSet", "apps/v1", True),
    "daemonsets": ("DaemonSet", "apps/v1", True),
    "jobs": ("Job", "batch/v1", True),
    "cronjobs": ("CronJob", "batch/v1", True),
    "services": ("Service", "v1", True),
    "namespaces": ("Namespace", "v1", False),
    "nodes": ("Node", "v1", False),
    "serviceaccounts": ("ServiceAccount", "v1", True),
    "configmaps": ("ConfigMap", "v1", True),
    "networkpolicies": ("NetworkPolicy", "networking.k8s.io/v1", True),
    "poddisruptionbudgets": ("PodDisruptionBudget", "policy/v1", True),
    "roles": ("Role", "rbac.authorization.k8s.io/v1", True),
    "rolebindings": ("RoleBinding", "rbac.authorization.k8s.io/v1", True),
    "clusterroles": ("ClusterRole", "rbac.authorization.k8s.io/v1", False),
    "clusterrolebindings": ("ClusterRoleBinding", "rbac.authorization.k8s.io/v1", False),
}
CONTROLLERS = (
    "deployments",
    "statefulsets",
    "daemonsets",
    "jobs",
    "cronjobs",
    "services",
    "roles",
    "rolebindings",
    "clusterroles",
    "clusterrolebindings",
)  # the kinds --yaml-controllers writes
WORKLOAD_KINDS = ("deployments", "replicasets", "statefulsets", "daemonsets", "cronjobs", "jobs")
BASE, DAY = 1714521600, 86400  # timestamps are offsets from 2024-05-01T00:00:00Z
ENV_MAIN, ENV_SIDE = (9, 18), (1, 2)  # env vars of a pod's main container and of each sidecar
SYSTEM_NS = ("default", "kube-node-lease", "kube-public", "kube-system", "logging", "monitoring")
RBAC = "rbac.authorization.k8s.io"
_UUID_NS = uuid.UUID("5b0f3c1e-8a4d-4f2b-9c6e-0d7a1e2f3b4c")
_FB = "cr.fluentbit.io/fluent/fluent-bit:2.2.2"

APPS: list[App] = [
    ("api", "", 8080, "/app/api | --listen=:8080 --log-format=json"),
    ("frontend", "", 3000, "node | server.js"),
    ("web", "docker.io/library/nginx:1.25.4", 8080, "nginx | -c /etc/nginx/nginx.conf"),
    ("worker", "", 9090, "python -m worker | --concurrency=8"),
    ("auth", "", 8443, "/app/auth | --config=/etc/auth/auth.yaml"),
    ("gateway", "docker.io/envoyproxy/envoy:v1.29.2", 8080, "envoy | -c /etc/gateway/envoy.yaml"),
    ("payments", "", 8080, "java | -XX:MaxRAMPercentage=75 -jar /app/payments.jar"),
    ("orders", "", 8080, "java | -XX:MaxRAMPercentage=75 -jar /app/orders.jar"),
    ("catalog", "", 8080, "/app/catalog | serve --grpc-port=9000"),
    ("search", "", 9200, "/app/search | --index-dir=/tmp/index"),
]
STS_APPS: list[App] = [
    ("postgres", "docker.io/library/postgres:16.2", 5432, "docker-entrypoint.sh | postgres -c max_connections=200"),
    ("redis", "docker.io/library/redis:7.2.4", 6379, "redis-server | /etc/redis/redis.conf"),
    ("kafka", "docker.io/bitnami/kafka:3.7.0", 9092, "/opt/bitnami/scripts/kafka/run.sh |"),
]
JOB_APPS: list[App] = [
    ("db-backup", "docker.io/library/postgres:16.2", 0, "pg_dump | --format=custom --file=/backup/db.dump"),
    ("report-generator", "", 0, "python -m reports | --period=daily"),
    ("db-migrate", "", 0, "/app/migrate | up"),
    (
        "cleanup",
        "docker.io/bitnami/kubectl:1.29.3",
        0,
        "kubectl | delete pods --field-selector=status.phase==Succeeded",
    ),
]
BARE_APPS: list[App] = [
    ("debug-shell", "docker.io/nicolaka/netshoot:v0.12", 0, "sleep | infinity"),
    ("toolbox", "docker.io/library/busybox:1.36.1", 0, "sleep | 86400"),
]
SIDECARS: list[App] = [
    ("log-shipper", _FB, 2020, "/fluent-bit/bin/fluent-bit | --config=/etc/fb.conf"),
    ("metrics-exporter", "quay.io/prometheus/statsd-exporter:v0.26.1", 9102, "| --statsd.listen-udp=:9125"),
    ("cloud-sql-proxy", "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.10.0", 9801, "| --structured-logs --port=5432"),
    ("envoy-proxy", "docker.io/envoyproxy/envoy:v1.29.2", 9901, "envoy | -c /etc/envoy/sidecar.yaml"),
]
APISERVER: App = (
    "kube-apiserver",
    "registry.k8s.io/kube-apiserver:v1.29.4",
    6443,
    (
        "kube-apiserver --advertise-address={ip} --allow-privileged=true --authorization-mode=Node,RBAC --client-ca-file=PKI/ca.crt "
        "--enable-admission-plugins=NodeRestriction --enable-bootstrap-token-auth=true --etcd-cafile=PKI/etcd/ca.crt "
        "--etcd-certfile=PKI/apiserver-etcd-client.crt --etcd-keyfile=PKI/apiserver-etcd-client.key "
        "--etcd-servers=https://127.0.0.1:2379 --kubelet-client-certificate=PKI/apiserver-kubelet-client.crt "
        "--kubelet-client-key=PKI/apiserver-kubelet-client.key --profiling=true --proxy-client-cert-file=PKI/front-proxy-client.crt "
        "--proxy-client-key-file=PKI/front-proxy-client.key --secure-port=6443 --service-account-key-file=PKI/sa.pub "
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local --service-account-signing-key-file=PKI/sa.key "
        "--service-cluster-ip-range=10.96.0.0/12 --tls-cert-file=PKI/apiserver.crt --tls-private-key-file=PKI/apiserver.key |"
    ).replace("PKI", "/etc/kubernetes/pki"),
)
SYSTEM_DS: list[tuple[str, str, str, App]] = [  # namespace, security profile, DaemonSet, its container
    (
        "kube-system",
        "privileged",
        "kube-proxy",
        (
            "kube-proxy",
            "registry.k8s.io/kube-proxy:v1.29.4",
            10249,
            "/usr/local/bin/kube-proxy | --config=/var/lib/kube-proxy/config.conf",
        ),
    ),
    ("kube-system", "privileged", "cilium", ("cilium-agent", "quay.io/cilium/cilium:v1.15.4", 9879, "cilium-agent |")),
    ("monitoring", "host", "node-exporter", ("node-exporter", "quay.io/prometheus/node-exporter:v1.7.0", 9100, "|")),
    ("logging", "loose", "fluent-bit", ("fluent-bit", _FB, 2020, "/fluent-bit/bin/fluent-bit |")),
]
SYSTEM_DEPLOY: list[tuple[str, int, str, App]] = [
    (
        "kube-system",
        2,
        "coredns",
        ("coredns", "registry.k8s.io/coredns/coredns:v1.11.1", 53, "| -conf /etc/coredns/Corefile"),
    ),
    (
        "kube-system",
        1,
        "metrics-server",
        ("metrics-server", "registry.k8s.io/metrics-server/metrics-server:v0.7.1", 10250, "|"),
    ),
    (
        "monitoring",
        1,
        "kube-state-metrics",
        ("kube-state-metrics", "registry.k8s.io/kube-state-metrics:v2.12.0", 8080, "|"),
    ),
]
TEAMS = (
    "payments checkout search identity catalog billing shipping analytics "
    "platform growth mobile risk ledger media ads data"
).split()
ENVS = ["prod", "staging", "dev", "qa", "perf"]
LITERALS = [
    ("LOG_LEVEL", "info"),
    ("ENVIRONMENT", "production"),
    ("REGION", "eu-west-1"),
    ("TZ", "UTC"),
    ("LANG", "C.UTF-8"),
    ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel-collector.monitoring:4317"),
    ("JAVA_OPTS", "-Xms256m -Xmx512m"),
    ("GOMEMLIMIT", "900MiB"),
    ("CACHE_TTL_SECONDS", "300"),
    ("MAX_CONNECTIONS", "100"),
    ("REQUEST_TIMEOUT_MS", "5000"),
    ("DB_HOST", "postgres.{ns}.svc.cluster.local"),
    ("DB_PORT", "5432"),
    ("DB_NAME", "{app}"),
    ("DB_USER", "{app}_rw"),
    ("REDIS_URL", "redis://redis.{ns}.svc.cluster.local:6379/0"),
    ("KAFKA_BROKERS", "kafka-0.kafka.{ns}.svc:9092"),
    ("S3_BUCKET", "{ns}-{app}-artifacts"),
    ("METRICS_ENABLED", "true"),
    ("TRACING_SAMPLE_RATE", "0.1"),
    ("WORKER_CONCURRENCY", "8"),
    ("HTTP_PORT", "8080"),
    ("GRPC_PORT", "9000"),
    ("SERVICE_NAME", "{app}"),
]
FIELD_REFS = [
    ("POD_NAME", "metadata.name"),
    ("POD_NAMESPACE", "metadata.namespace"),
    ("POD_IP", "status.podIP"),
    ("NODE_NAME", "spec.nodeName"),
    ("HOST_IP", "status.hostIP"),
    ("SERVICE_ACCOUNT", "spec.serviceAccountName"),
]
SECRET_VARS = (
    "DB_PASSWORD API_KEY JWT_SIGNING_KEY STRIPE_SECRET_KEY AWS_SECRET_ACCESS_KEY REDIS_PASSWORD OAUTH_CLIENT_SECRET "
    "SMTP_PASSWORD ENCRYPTION_KEY GITHUB_TOKEN"
).split()
CM_VARS = (
    "APP_MODE FEATURE_FLAGS UPSTREAM_URL RATE_LIMIT_RPS ALLOWED_ORIGINS DEFAULT_LOCALE MAX_UPLOAD_MB BATCH_SIZE".split()
)
RESOURCES: list[Obj] = [
    {},
    {"requests": {"cpu": "100m", "memory": "128Mi"}},
    {"limits": {"cpu": "500m", "memory": "512Mi"}, "requests": {"cpu": "250m", "memory": "256Mi"}},
    {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "1", "memory": "1Gi"}},
]
SEC_CONTEXTS: dict[str, list[Obj]] = {  # security profile: the container securityContexts it picks from ({} = none)
    "hardened": [
        {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "runAsUser": 10001,
            "seccompProfile": {"type": "RuntimeDefault"},
        }
    ],
    "default": [{}],
    "loose": [
        {"allowPrivilegeEscalation": True, "runAsUser": 0},
        {"capabilities": {"add": ["NET_ADMIN", "NET_RAW"]}},
        {"readOnlyRootFilesystem": False, "runAsNonRoot": False},
    ],
    "privileged": [{"privileged": True, "runAsUser": 0}] * 5
    + [{"capabilities": {"add": ["SYS_ADMIN"]}, "privileged": True}, {"privileged": True, "procMount": "Unmasked"}],
    "host": [{"allowPrivilegeEscalation": True, "runAsUser": 0}],
}
INIT_CONTAINERS: list[Obj] = [
    {
        "name": "wait-for-deps",
        "image": "docker.io/library/busybox:1.36.1",
        "command": ["sh", "-c"],
        "args": ["until nc -z postgres 5432; do sleep 2; done"],
    },
    {
        "name": "network-init",
        "image": "docker.io/library/alpine:3.19",
        "command": ["sh", "-c"],
        "args": ["iptables -t nat -A PREROUTING -p tcp --dport 80 -j REDIRECT --to-port 8080"],
        "securityContext": {"capabilities": {"add": ["NET_ADMIN", "NET_RAW"], "drop": ["ALL"]}, "runAsUser": 0},
    },
]
_TERM = {"terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}
_ASSOC = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "ports": "containerPort port protocol",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "conditions": "type",
    "podIPs": "ip",
    "hostIPs": "ip",
    "imagePullSecrets": "name",
}  # list fields merged by key: their items appear as k:{...} in managedFields


def uid(*parts: str) -> str:
    return str(uuid.uuid5(_UUID_NS, "/".join(parts)))


def ts(offset: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(BASE + offset))


def digest(*parts: object) -> str:
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()


def suffix(r: random.Random, n: int = 5) -> str:
    return "".join(r.choices("bcdfghjklmnpqrstvwxz2456789", k=n))


def _fields(key: str, v: Any) -> Obj:
    """The FieldsV1 set of one value, as the API server records it in managedFields."""
    if isinstance(v, dict) and v:
        return {".": {}} | {"f:" + k: _fields(k, x) for k, x in v.items()}
    if key == "ownerReferences":
        return {".": {}} | {f'k:{{"uid":"{o["uid"]}"}}': {} for o in v}
    if isinstance(v, list) and key in _ASSOC and v and isinstance(v[0], dict):
        keys = _ASSOC[key].split()  # the values are plain strings and ints: no JSON escaping needed
        keyed = {
            "k:{"
            + ",".join(f'"{k}":' + (f'"{i[k]}"' if isinstance(i[k], str) else str(i[k])) for k in keys if k in i)
            + "}": _fields("", i)
            for i in v
        }
        return keyed if key in ("containers", "initContainers", "volumes") else {".": {}} | keyed
    return {}


def managed(manager: str, t: int, body: Obj, api: str = "v1", sub: str = "") -> Obj:
    """A managedFields entry owning every field of body (e.g. {"spec": ...})."""
    fields = {"f:" + k: {kk: vv for kk, vv in _fields(k, v).items() if kk != "."} for k, v in body.items()}
    entry = {"apiVersion": api, "fieldsType": "FieldsV1", "fieldsV1": fields, "manager": manager, "operation": "Update"}
    return entry | {"time": ts(t)} | ({"subresource": sub} if sub else {})


def obj(resource: str, md: Obj, **rest: Any) -> Obj:
    return {"apiVersion": KINDS[resource][1], "kind": KINDS[resource][0], "metadata": md, **rest}


def meta(kind: str, ns: str | None, name: str, created: int, **extra: Any) -> Obj:
    md = {
        "creationTimestamp": ts(created),
        "name": name,
        "uid": uid(kind, ns or "", name),
        "resourceVersion": str(int(digest(kind, ns, name)[:7], 16)),
    }
    return md | ({"namespace": ns} if ns else {}) | {k: v for k, v in extra.items() if v}


def owner(kind: str, name: str, ns: str = "") -> list[Obj]:
    api = {"Node": "v1", "Job": "batch/v1", "CronJob": "batch/v1"}.get(kind, "apps/v1")
    return [
        {
            "apiVersion": api,
            "blockOwnerDeletion": True,
            "controller": True,
            "kind": kind,
            "name": name,
            "uid": uid(kind, ns, name),
        }
    ]


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    index: int
    control_plane: bool
    ip: str
    external_ip: str | None


@dataclass(frozen=True, slots=True, eq=False)
class Workload:
    kind: str  # Deployment, StatefulSet, DaemonSet, CronJob, Job, Pod (bare) or Static (a mirror pod)
    ns: str
    name: str
    pods: int  # pods it runs (a CronJob: one per Job)
    app: App
    sec: str  # security profile, a key of SEC_CONTEXTS
    seed: int
    created: int
    sa: str
    node: str = ""  # Static: its node


@dataclass(slots=True)
class Plan:
    n_pods: int
    nodes: list[Node]
    namespaces: list[str]  # sorted
    workloads: dict[str, list[Workload]]  # by namespace, sorted by name
    ns_created: dict[str, int]


@lru_cache(maxsize=4)
def plan(n_pods: int) -> Plan:
    """The layout of the n_pods cluster: nodes, namespaces and workloads, without object bodies."""
    r = random.Random(f"plan/{n_pods}")
    n_nodes = max(1, round(n_pods / 100))
    n_cp = 1 if n_nodes < 6 else 3
    nodes = [
        Node(
            f"cp-{i + 1:02d}" if i < n_cp else f"worker-{i - n_cp + 1:04d}",
            i,
            i < n_cp,
            f"10.0.{i // 250}.{10 + i % 250}",
            f"203.0.113.{10 + i % 240}" if r.random() < (0.5 if i < n_cp else 0.08) else None,
        )
        for i in range(n_nodes)
    ]
    left, created = [n_pods], dict.fromkeys(SYSTEM_NS, 0)
    wls: dict[str, list[Workload]] = {}

    def add(kind: str, ns: str, name: str, pods: int, app: App, sec: str, sa: str = "", node: str = "") -> None:
        pods = min(pods, left[0])
        left[0] -= pods
        if pods:
            t = created[ns] + r.randint(600, 5 * DAY)
            wls.setdefault(ns, []).append(
                Workload(kind, ns, name, pods, app, sec, r.getrandbits(32), t, sa or name, node)
            )

    for nd in nodes[:n_cp]:
        add("Static", "kube-system", f"kube-apiserver-{nd.name}", 1, APISERVER, "host", "default", nd.name)
    for ns, sec, name, app in SYSTEM_DS:
        add("DaemonSet", ns, name, n_nodes, app, sec)
    for ns, reps, name, app in SYSTEM_DEPLOY:
        add("Deployment", ns, name, reps, app, "hardened")
    names = [
        f"{TEAMS[i % 16]}-{ENVS[i // 16 % 5]}" + (f"-{i // 80 + 1}" if i >= 80 else "")
        for i in range(max(1, n_pods // 50))
    ]
    weights = [r.uniform(0.3, 1.7) for _ in names]
    total, acc, prev, spread = sum(weights), 0.0, 0, left[0]
    for ns, w in zip(names, weights):  # share the pods left among the namespaces, then fill each with workloads
        acc += w
        quota, prev = round(spread * acc / total) - prev, round(spread * acc / total)
        created[ns] = r.randint(DAY, 60 * DAY)
        used: set[str] = set()
        while quota > 0 and left[0] > 0:
            kind = r.choices(["Deployment", "StatefulSet", "CronJob", "Job", "Pod"], [72, 9, 9, 4, 6])[0]
            pods, pool = {
                "Deployment": (r.choice([1, 2, 2, 3, 3, 3, 4, 5, 6]), APPS),
                "StatefulSet": (r.randint(1, 3), STS_APPS),
                "CronJob": (r.randint(1, 3), JOB_APPS),
                "Job": (1, JOB_APPS),
                "Pod": (1, BARE_APPS),
            }[kind]
            app = r.choice(pool)
            name, k = app[0], 1
            while name in used:
                k += 1
                name = f"{app[0]}-{r.choice(['v2', 'internal', 'canary', 'eu', 'edge', 'blue', 'green'])}" + f"-{k}" * (
                    k > 7
                )
            used.add(name)
            pods = min(pods, quota)
            quota -= pods
            sec = r.choices(list(SEC_CONTEXTS), [35, 38, 15, 7, 5])[0]
            add(kind, ns, name, pods, app, sec, name if r.random() < 0.6 else "default")
    return Plan(n_pods, nodes, sorted(created), {ns: sorted(v, key=lambda w: w.name) for ns, v in wls.items()}, created)


def _env(r: random.Random, wl: Workload, n: int, main: bool) -> list[Obj]:
    env: list[Obj] = [
        {"name": k, "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": p}}}
        for k, p in r.sample(FIELD_REFS, r.randint(1, 2))
    ]
    if main:
        leak = r.random() < 0.2  # a credential as a literal value
        for i, k in enumerate(r.sample(SECRET_VARS, r.randint(1, 2))):
            ref = {"secretKeyRef": {"key": k.lower().replace("_", "-"), "name": f"{wl.name}-secrets"}}
            literal = {"name": k, "value": f"prod-{digest(wl.ns, wl.name, k)[:24]}"}
            env.append(literal if leak and not i else {"name": k, "valueFrom": ref})
        env += [
            {"name": k, "valueFrom": {"configMapKeyRef": {"key": k.lower(), "name": f"{wl.name}-config"}}}
            for k in r.sample(CM_VARS, r.randint(0, 2))
        ]
        if r.random() < 0.3:
            env.append(
                {"name": "GOMAXPROCS", "valueFrom": {"resourceFieldRef": {"divisor": "0", "resource": "limits.cpu"}}}
            )
    fmt = {"ns": wl.ns, "app": wl.name.replace("-", "_")}
    return env + [{"name": k, "value": v.format(**fmt)} for k, v in r.sample(LITERALS, max(0, n - len(env)))]


def _probe(r: random.Random, port: int, path: str) -> Obj:
    check = (
        {"httpGet": {"path": path, "port": port, "scheme": "HTTP"}}
        if r.random() < 0.8
        else {"tcpSocket": {"port": port}}
    )
    return check | {
        "failureThreshold": 3,
        "initialDelaySeconds": r.choice([5, 10, 30]),
        "periodSeconds": r.choice([5, 10, 15]),
        "successThreshold": 1,
        "timeoutSeconds": r.choice([1, 3]),
    }


def _container(r: random.Random, wl: Workload, app: App, main: bool, sc: Obj) -> Obj:
    name, image, port, cmdline = app
    h, (cmd, _, args) = int(digest(wl.ns, name)[:6], 16), cmdline.partition("|")
    image = image or f"registry.example.com/{wl.ns.split('-')[0]}/{name}:v{1 + h % 4}.{h // 4 % 30}.{h // 120 % 10}"
    c: Obj = (
        {
            "image": image,
            "imagePullPolicy": r.choice(["IfNotPresent", "IfNotPresent", "Always"]),
            "name": name,
            "resources": r.choice(RESOURCES),
            "env": _env(r, wl, r.randint(*(ENV_MAIN if main else ENV_SIDE)), main),
            "volumeMounts": [{"mountPath": "/tmp", "name": "tmp"}],
        }
        | _TERM
        | ({"securityContext": sc} if sc else {})
    )
    c |= ({"command": cmd.split()} if cmd.strip() else {}) | ({"args": args.split()} if args.strip() else {})
    if port:
        c["ports"] = [{"containerPort": port, "name": "http" if main else "metrics", "protocol": "TCP"}]
        c["ports"] += [{"containerPort": 9095, "name": "metrics", "protocol": "TCP"}] * (main and r.random() < 0.3)
        if main and wl.sec in ("privileged", "host"):
            c["ports"][0]["hostPort"] = port
        if wl.kind != "CronJob" and (main or r.random() < 0.15):
            c["livenessProbe"] = _probe(r, port, "/healthz")
            c |= {"readinessProbe": _probe(r, port, "/ready")} if r.random() < 0.85 else {}
    if main:
        c["envFrom"] = [{"configMapRef": {"name": f"{wl.name}-config"}}]
        c["envFrom"] += [{"secretRef": {"name": f"{wl.name}-secrets"}}] * (r.random() < 0.4)
        c["volumeMounts"].append({"mountPath": f"/etc/{name}", "name": "config", "readOnly": True})
        c["volumeMounts"] += [{"mountPath": "/etc/secrets", "name": "secrets", "readOnly": True}] * (wl.seed % 2)
        c["volumeMounts"] += [{"mountPath": f"/var/lib/{name}", "name": "data"}] * (wl.kind == "StatefulSet")
        if wl.sec in ("privileged", "host"):
            c["volumeMounts"].append(
                {"mountPath": "/host", "name": "host-root"} | ({"readOnly": True} if wl.sec == "host" else {})
            )
    return c


def _static_template(n_pods: int, wl: Workload) -> tuple[Obj, Obj, Obj]:
    node = next(nd for nd in plan(n_pods).nodes if nd.name == wl.node)
    name, image, port, cmdline = wl.app
    certs = [("ca-certs", "/etc/ssl/certs"), ("k8s-certs", "/etc/kubernetes/pki")]
    probe = {
        "failureThreshold": 8,
        "initialDelaySeconds": 10,
        "periodSeconds": 10,
        "successThreshold": 1,
        "timeoutSeconds": 15,
        "httpGet": {"host": node.ip, "path": "/livez", "port": port, "scheme": "HTTPS"},
    }
    c = {
        "command": cmdline.replace("|", "").format(ip=node.ip).split(),
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "livenessProbe": probe,
        "name": name,
        "resources": {"requests": {"cpu": "250m"}},
        "volumeMounts": [{"mountPath": p, "name": v, "readOnly": True} for v, p in certs],
    } | _TERM
    spec = {
        "containers": [c],
        "dnsPolicy": "ClusterFirst",
        "enableServiceLinks": True,
        "hostNetwork": True,
        "nodeName": wl.node,
        "preemptionPolicy": "PreemptLowerPriority",
        "priority": 2000001000,
        "priorityClassName": "system-node-critical",
        "restartPolicy": "Always",
        "schedulerName": "default-scheduler",
        "terminationGracePeriodSeconds": 30,
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
        "tolerations": [{"effect": "NoExecute", "operator": "Exists"}],
        "volumes": [{"hostPath": {"path": p, "type": "DirectoryOrCreate"}, "name": v} for v, p in certs],
    }
    ann = {"kubernetes.io/config.hash": digest(wl.name)[:32], "kubernetes.io/config.source": "file"}
    return {"component": name, "tier": "control-plane"}, ann, spec


@lru_cache(maxsize=256)
def template(n_pods: int, wl: Workload) -> tuple[Obj, Obj, Obj]:
    """(labels, annotations, pod spec) shared by the pods of a workload and its controller's pod template."""
    if wl.kind == "Static":
        return _static_template(n_pods, wl)
    r = random.Random(wl.seed)
    labels = {
        "app.kubernetes.io/name": wl.app[0],
        "app.kubernetes.io/instance": wl.name,
        "app.kubernetes.io/part-of": wl.ns.split("-")[0],
    }
    if r.random() < 0.6:
        labels |= {"app.kubernetes.io/managed-by": "Helm", "helm.sh/chart": f"{wl.app[0]}-1.{wl.seed % 20}.0"}
    ann = {"prometheus.io/scrape": "true", "prometheus.io/port": str(wl.app[2] or 9095)} if r.random() < 0.5 else {}
    sc = r.choice(SEC_CONTEXTS[wl.sec])
    n_side = int(wl.kind != "DaemonSet") if wl.ns in SYSTEM_NS else r.choice([1] * 8 + [2, 3])
    containers = [_container(r, wl, app, i == 0, sc) for i, app in enumerate([wl.app] + r.sample(SIDECARS, n_side))]
    volumes = [{"configMap": {"defaultMode": 420, "name": f"{wl.name}-config"}, "name": "config"}]
    volumes += [{"name": "secrets", "secret": {"defaultMode": 420, "secretName": f"{wl.name}-secrets"}}] * (wl.seed % 2)
    volumes.append({"emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"} if r.random() < 0.3 else {}, "name": "tmp"})
    if wl.sec in ("privileged", "host"):
        path = "/" if wl.sec == "host" else r.choice(["/", "/var/run/docker.sock", "/var/log"])
        volumes.append({"hostPath": {"path": path, "type": ""}, "name": "host-root"})
    tolerations: list[Obj] = (
        [{"operator": "Exists"}]
        if wl.kind == "DaemonSet"
        else [{"effect": "NoSchedule", "key": "dedicated", "operator": "Equal", "value": wl.ns.split("-")[0]}]
        * (r.random() < 0.25)
    )
    tolerations += [
        {"effect": "NoExecute", "key": f"node.kubernetes.io/{k}", "operator": "Exists", "tolerationSeconds": 300}
        for k in ("not-ready", "unreachable")
    ]
    spec = {
        "containers": containers,
        "dnsPolicy": "ClusterFirst",
        "enableServiceLinks": True,
        "priority": 0,
        "preemptionPolicy": "PreemptLowerPriority",
        "restartPolicy": "OnFailure" if wl.kind in ("CronJob", "Job") else "Always",
        "schedulerName": "default-scheduler",
        "serviceAccount": wl.sa,
        "serviceAccountName": wl.sa,
        "terminationGracePeriodSeconds": 30,
        "tolerations": tolerations,
        "volumes": volumes,
        "securityContext": {
            "fsGroup": 10001,
            "runAsGroup": 10001,
            "runAsNonRoot": True,
            "runAsUser": 10001,
            "seccompProfile": {"type": "RuntimeDefault"},
        }
        if wl.sec == "hardened"
        else {},
    }
    init = r.choice([{}] * 6 + INIT_CONTAINERS)
    spec |= {"initContainers": [init | {"imagePullPolicy": "IfNotPresent", "resources": {}} | _TERM]} if init else {}
    if wl.sec == "host":
        spec |= {"hostNetwork": True, "hostPID": True, "dnsPolicy": "ClusterFirstWithHostNet"}
        spec |= {"hostIPC": True} if r.random() < 0.5 else {}
    elif wl.sec == "privileged" and r.random() < 0.4:
        spec["hostNetwork"] = True
    spec |= {"automountServiceAccountToken": False} if r.random() < 0.3 else {}
    spec |= {"nodeSelector": {"kubernetes.io/os": "linux"}} if r.random() < 0.5 else {}
    spec |= {"imagePullSecrets": [{"name": "registry-credentials"}]} if r.random() < 0.2 else {}
    if wl.kind in ("Deployment", "StatefulSet") and r.random() < 0.25:
        term = {
            "labelSelector": {"matchLabels": {"app.kubernetes.io/instance": wl.name}},
            "topologyKey": "kubernetes.io/hostname",
        }
        zones = {
            "matchExpressions": [{"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["eu-west-1a"]}]
        }
        spec["affinity"] = {
            "podAntiAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [{"podAffinityTerm": term, "weight": 100}]
            },
            "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [zones]}},
        }
    return labels, ann, spec


def replicasets_of(wl: Workload) -> list[tuple[str, str, int]]:
    """(name, pod-template-hash, replicas) of a Deployment's ReplicaSets, oldest first; the last one is current."""
    r = random.Random(wl.seed + 1)
    n_old = r.choice([0, 0, 1, 2])
    return [
        (f"{wl.name}-{h}", h, 0 if i < n_old else wl.pods) for i in range(n_old + 1) for h in [suffix(r, 9 + i % 2)]
    ]


def jobs_of(wl: Workload) -> list[tuple[str, int]]:
    """(name, start offset) of a CronJob's Jobs, or of a standalone Job itself."""
    last = wl.created + 40 * DAY
    return (
        [(wl.name, wl.created)]
        if wl.kind == "Job"
        else [(f"{wl.name}-{(BASE + last - j * 3600) // 60}", last - j * 3600) for j in range(wl.pods - 1, -1, -1)]
    )


def _job_labels(wl: Workload, job: str) -> dict[str, str]:
    ju = uid("Job", wl.ns, job)
    return {
        "batch.kubernetes.io/controller-uid": ju,
        "batch.kubernetes.io/job-name": job,
        "controller-uid": ju,
        "job-name": job,
    }


PodRef = tuple[
    str, Workload, int, list[Obj] | None, dict[str, str], int
]  # name, workload, index, owners, labels, created


def pod_refs(wl: Workload) -> Iterator[PodRef]:
    r, rev = random.Random(wl.seed + 2), suffix(random.Random(wl.seed + 3), 10)
    if wl.kind == "Deployment":
        rs, h, _ = replicasets_of(wl)[-1]
        for i in range(wl.pods):
            yield (
                f"{rs}-{suffix(r)}",
                wl,
                i,
                owner("ReplicaSet", rs, wl.ns),
                {"pod-template-hash": h},
                wl.created + 7200,
            )
    elif wl.kind == "StatefulSet":
        for i in range(wl.pods):
            labels = {
                "apps.kubernetes.io/pod-index": str(i),
                "controller-revision-hash": f"{wl.name}-{rev}",
                "statefulset.kubernetes.io/pod-name": f"{wl.name}-{i}",
            }
            yield f"{wl.name}-{i}", wl, i, owner(wl.kind, wl.name, wl.ns), labels, wl.created + 60 * i
    elif wl.kind == "DaemonSet":
        for i in range(wl.pods):
            labels = {"controller-revision-hash": rev, "pod-template-generation": "1"}
            yield f"{wl.name}-{suffix(r)}", wl, i, owner(wl.kind, wl.name, wl.ns), labels, wl.created + 30
    elif wl.kind in ("CronJob", "Job"):
        for i, (job, t) in enumerate(jobs_of(wl)):
            yield f"{job}-{suffix(r)}", wl, i, owner("Job", job, wl.ns), _job_labels(wl, job), t + 1
    else:
        node = owner("Node", wl.node) if wl.kind == "Static" else None
        yield wl.name, wl, 0, node, {} if node else {"run": wl.name}, wl.created


def _pod_status(r: random.Random, ref: PodRef, spec: Obj, pod_uid: str, node: Node, ip: str) -> Obj:
    done, t0 = ref[1].kind in ("CronJob", "Job"), ref[5] + 2
    crash = not done and r.random() < 0.03

    def cstat(c: Obj, init: bool) -> Obj:
        img = c["image"] if c["image"].count("/") > 1 else "docker.io/library/" + c["image"]
        cid = "containerd://" + digest(pod_uid, c["name"])
        s = {
            "containerID": cid,
            "image": img,
            "imageID": img.rsplit(":", 1)[0] + "@sha256:" + digest(img),
            "lastState": {},
            "name": c["name"],
            "ready": not (init or done),
            "restartCount": 0,
            "started": not (init or done),
            "state": {"running": {"startedAt": ts(t0 + 5)}},
        }
        if init or done:
            s["state"] = {
                "terminated": {
                    "containerID": cid,
                    "exitCode": 0,
                    "finishedAt": ts(t0 + (3 if init else 95)),
                    "reason": "Completed",
                    "startedAt": ts(t0 + 1),
                }
            }
        elif crash and c is spec["containers"][0]:
            msg = f"back-off 5m0s restarting failed container={c['name']} pod={ref[0]}_{ref[1].ns}({pod_uid})"
            s |= {
                "ready": False,
                "restartCount": 7,
                "started": False,
                "state": {"waiting": {"message": msg, "reason": "CrashLoopBackOff"}},
                "lastState": {
                    "terminated": {
                        "containerID": cid,
                        "exitCode": 1,
                        "finishedAt": ts(t0 + 3600),
                        "reason": "Error",
                        "startedAt": ts(t0 + 3590),
                    }
                },
            }
        return s

    ready, res = "False" if done or crash else "True", [c["resources"] for c in spec["containers"]]
    conds = [
        ("PodReadyToStartContainers", "False" if done else "True"),
        ("Initialized", "True"),
        ("Ready", ready),
        ("ContainersReady", ready),
        ("PodScheduled", "True"),
    ]
    guaranteed = all(x.get("limits") and x["limits"] == x.get("requests") for x in res)
    st = {
        "conditions": [
            {"lastProbeTime": None, "lastTransitionTime": ts(t0 + (6 if s == "True" else 96)), "status": s, "type": t}
            | ({"reason": "PodCompleted"} if done and t != "PodScheduled" else {})
            for t, s in conds
        ],
        "containerStatuses": [cstat(c, False) for c in spec["containers"]],
        "hostIP": node.ip,
        "hostIPs": [{"ip": node.ip}],
        "phase": "Succeeded" if done else "Running",
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "startTime": ts(t0),
        "qosClass": "Guaranteed" if guaranteed else "Burstable" if any(res) else "BestEffort",
    }
    return st | (
        {"initContainerStatuses": [cstat(c, True) for c in spec["initContainers"]]} if "initContainers" in spec else {}
    )


def _pods(pl: Plan) -> Iterator[Obj]:
    """The pods sorted by namespace and name; node placement and pod IPs follow this order."""
    ip_next, by_name = [0] * len(pl.nodes), {nd.name: nd for nd in pl.nodes}
    workers = [nd for nd in pl.nodes if not nd.control_plane] or pl.nodes
    sources = [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}},
        {
            "downwardAPI": {
                "items": [{"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}, "path": "namespace"}]
            }
        },
    ]
    for ns in pl.namespaces:
        spec_fields: dict[Workload, Obj] = {}
        for ref in sorted((ref for wl in pl.workloads.get(ns, []) for ref in pod_refs(wl)), key=lambda ref: ref[0]):
            name, wl, index, owners, pod_labels, created = ref
            labels, ann, tspec = template(pl.n_pods, wl)
            r = random.Random(f"{ns}/{name}")
            node = {"Static": by_name.get(wl.node), "DaemonSet": pl.nodes[index % len(pl.nodes)]}.get(
                wl.kind
            ) or r.choice(workers)
            if tspec.get("hostNetwork"):
                ip = node.ip
            else:
                ip_next[node.index] += 1
                ip = f"10.{128 + node.index // 256}.{node.index % 256}.{1 + (ip_next[node.index] - 1) % 254}"
            pod_uid, spec = uid("Pod", ns, name), dict(tspec, nodeName=node.name)
            if wl.kind == "DaemonSet":
                field = {"key": "metadata.name", "operator": "In", "values": [node.name]}
                terms = {"nodeSelectorTerms": [{"matchFields": [field]}]}
                spec["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": terms}}
            if wl.kind == "StatefulSet":
                claim = {"name": "data", "persistentVolumeClaim": {"claimName": f"data-{name}"}}
                spec |= {"hostname": name, "subdomain": wl.name, "volumes": [claim] + tspec["volumes"]}
            if wl.kind != "Static" and tspec.get("automountServiceAccountToken") is not False:  # what admission adds
                vol = f"kube-api-access-{suffix(r)}"
                mount = {"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "name": vol, "readOnly": True}
                for key in ("containers", "initContainers"):
                    if key in spec:
                        spec[key] = [c | {"volumeMounts": c.get("volumeMounts", []) + [mount]} for c in spec[key]]
                spec["volumes"] = spec["volumes"] + [
                    {"name": vol, "projected": {"defaultMode": 420, "sources": sources}}
                ]
            status = _pod_status(r, ref, spec, pod_uid, node, ip)
            if wl.kind == "Static":
                mirror = {
                    "kubernetes.io/config.mirror": ann["kubernetes.io/config.hash"],
                    "kubernetes.io/config.seen": ts(created),
                }
                ann = ann | mirror
            md = meta("Pod", ns, name, created, annotations=ann, labels=labels | pod_labels, ownerReferences=owners)
            md["uid"] = pod_uid
            if owners and wl.kind not in ("StatefulSet", "Static"):
                md["generateName"] = name[: name.rfind("-") + 1]
            if wl not in spec_fields:
                spec_fields[wl] = managed("", 0, {"spec": {k: v for k, v in tspec.items() if k != "serviceAccount"}})
            mine = {k: md[k] for k in ("annotations", "generateName", "labels", "ownerReferences") if k in md}
            manager = "kubelet" if wl.kind == "Static" else "kube-controller-manager" if owners else "kubectl"
            creator = managed(manager, created, {"metadata": mine})
            creator["fieldsV1"] |= spec_fields[wl]["fieldsV1"]
            md["managedFields"] = [creator, managed("kubelet", created + 96, {"status": status}, sub="status")]
            yield obj("pods", md, spec=spec, status=status)


def _pod_template(pl: Plan, wl: Workload, extra_labels: dict[str, str] | None = None) -> Obj:
    labels, ann, spec = template(pl.n_pods, wl)
    md = {"creationTimestamp": None, "labels": labels | (extra_labels or {})} | ({"annotations": ann} if ann else {})
    return {"metadata": md, "spec": spec}


def _selector(wl: Workload) -> Obj:
    return {"matchLabels": {"app.kubernetes.io/instance": wl.name, "app.kubernetes.io/name": wl.app[0]}}


def _controllers(resource: str, pl: Plan, wl: Workload) -> Iterator[Obj]:
    kind, labels, n, t = KINDS[resource][0], template(pl.n_pods, wl)[0], wl.pods, wl.created
    if resource == "deployments" and wl.kind == "Deployment":
        rss = replicasets_of(wl)
        strategy = random.Random(wl.seed + 4).choices(
            [
                {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}, "type": "RollingUpdate"},
                {"type": "Recreate"},
                {"rollingUpdate": {"maxUnavailable": "100%"}, "type": "RollingUpdate"},
            ],
            [80, 12, 8],
        )[0]
        md = meta(
            kind,
            wl.ns,
            wl.name,
            t,
            annotations={"deployment.kubernetes.io/revision": str(len(rss))},
            labels=labels,
            generation=len(rss),
        )
        spec = {
            "progressDeadlineSeconds": 600,
            "replicas": n,
            "revisionHistoryLimit": 10,
            "selector": _selector(wl),
            "strategy": strategy,
            "template": _pod_template(pl, wl),
        }
        status = {
            "availableReplicas": n,
            "observedGeneration": len(rss),
            "readyReplicas": n,
            "replicas": n,
            "updatedReplicas": n,
            "conditions": [
                {
                    "lastTransitionTime": ts(t + 7300),
                    "lastUpdateTime": ts(t + 7300),
                    "message": f"{c} is true.",
                    "reason": c,
                    "status": "True",
                    "type": c,
                }
                for c in ("Available", "Progressing")
            ],
        }
        md["managedFields"] = [
            managed("helm", t, {"metadata": {"labels": labels}, "spec": spec}, "apps/v1"),
            managed("kube-controller-manager", t + 7300, {"status": status}, "apps/v1", "status"),
        ]
        yield obj(resource, md, spec=spec, status=status)
    elif resource == "replicasets" and wl.kind == "Deployment":
        for i, (name, h, reps) in enumerate(replicasets_of(wl)):
            ann = {
                "deployment.kubernetes.io/desired-replicas": str(n),
                "deployment.kubernetes.io/max-replicas": str(n + 1),
                "deployment.kubernetes.io/revision": str(i + 1),
            }
            md = meta(
                kind,
                wl.ns,
                name,
                t + i * DAY,
                labels=labels | {"pod-template-hash": h},
                annotations=ann,
                ownerReferences=owner("Deployment", wl.name, wl.ns),
                generation=1 + (reps == 0),
            )
            spec = {
                "replicas": reps,
                "selector": {"matchLabels": _selector(wl)["matchLabels"] | {"pod-template-hash": h}},
                "template": _pod_template(pl, wl, {"pod-template-hash": h}),
            }
            status = {"observedGeneration": md["generation"], "replicas": reps}
            status |= {"availableReplicas": reps, "fullyLabeledReplicas": reps, "readyReplicas": reps} if reps else {}
            yield obj(resource, md, spec=spec, status=status)
    elif resource == "statefulsets" and wl.kind == "StatefulSet":
        rev = next(pod_refs(wl))[4]["controller-revision-hash"]
        pvc = {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"creationTimestamp": None, "name": "data"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "20Gi"}},
                "volumeMode": "Filesystem",
            },
        }
        spec = {
            "podManagementPolicy": "OrderedReady",
            "replicas": n,
            "revisionHistoryLimit": 10,
            "selector": _selector(wl),
            "serviceName": wl.name,
            "template": _pod_template(pl, wl),
            "volumeClaimTemplates": [pvc],
            "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
            "updateStrategy": {"type": "OnDelete"}
            if wl.seed % 5 == 0
            else {"rollingUpdate": {"partition": 0}, "type": "RollingUpdate"},
        }
        status = {
            "availableReplicas": n,
            "collisionCount": 0,
            "currentReplicas": n,
            "currentRevision": rev,
            "observedGeneration": 1,
            "readyReplicas": n,
            "replicas": n,
            "updateRevision": rev,
            "updatedReplicas": n,
        }
        yield obj(resource, meta(kind, wl.ns, wl.name, t, labels=labels, generation=1), spec=spec, status=status)
    elif resource == "daemonsets" and wl.kind == "DaemonSet":
        spec = {
            "revisionHistoryLimit": 10,
            "selector": _selector(wl),
            "template": _pod_template(pl, wl),
            "updateStrategy": {"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}, "type": "RollingUpdate"},
        }
        status = {
            "currentNumberScheduled": n,
            "desiredNumberScheduled": n,
            "numberAvailable": n,
            "numberMisscheduled": 0,
            "numberReady": n,
            "observedGeneration": 1,
            "updatedNumberScheduled": n,
        }
        ann = {"deprecated.daemonset.template.generation": "1"}
        yield obj(
            resource,
            meta(kind, wl.ns, wl.name, t, labels=labels, annotations=ann, generation=1),
            spec=spec,
            status=status,
        )
    elif resource == "cronjobs" and wl.kind == "CronJob":
        job = {"metadata": {"creationTimestamp": None}, "spec": {"backoffLimit": 2, "template": _pod_template(pl, wl)}}
        spec = {
            "concurrencyPolicy": "Forbid",
            "failedJobsHistoryLimit": 1,
            "jobTemplate": job,
            "schedule": "0 * * * *",
            "successfulJobsHistoryLimit": 3,
            "suspend": False,
        }
        last = jobs_of(wl)[-1][1]
        yield obj(
            resource,
            meta(kind, wl.ns, wl.name, t, labels=labels, generation=1),
            spec=spec,
            status={"lastScheduleTime": ts(last), "lastSuccessfulTime": ts(last + 100)},
        )
    elif resource == "jobs" and wl.kind in ("CronJob", "Job"):
        cron = owner("CronJob", wl.name, wl.ns) if wl.kind == "CronJob" else None
        for name, start in jobs_of(wl):
            jl = _job_labels(wl, name)
            md = meta(
                kind,
                wl.ns,
                name,
                start,
                labels=labels | jl,
                ownerReferences=cron,
                generation=1,
                annotations={"batch.kubernetes.io/job-tracking": ""},
            )
            spec = {
                "backoffLimit": 2 if cron else 6,
                "completionMode": "NonIndexed",
                "completions": 1,
                "manualSelector": False,
                "parallelism": 1,
                "podReplacementPolicy": "TerminatingOrFailed",
                "suspend": False,
                "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": jl["controller-uid"]}},
                "template": _pod_template(pl, wl, jl),
            }
            done = {
                "lastProbeTime": ts(start + 100),
                "lastTransitionTime": ts(start + 100),
                "status": "True",
                "type": "Complete",
            }
            status = {
                "completionTime": ts(start + 100),
                "conditions": [done],
                "ready": 0,
                "startTime": ts(start),
                "succeeded": 1,
                "terminating": 0,
                "uncountedTerminatedPods": {},
            }
            yield obj(resource, md, spec=spec, status=status)


def _service(
    ns: str,
    name: str,
    created: int,
    ports: list[Obj],
    selector: Obj | None,
    labels: Obj,
    typ: str = "ClusterIP",
    ranges: list[str] | None = None,
) -> Obj:
    h = int(digest("svc", ns, name)[:8], 16)
    ip = {"kubernetes": "10.96.0.1", "kube-dns": "10.96.0.10"}.get(
        name, f"10.{96 + h % 16}.{h >> 4 & 255}.{1 + (h >> 12) % 254}"
    )
    ip = "None" if typ == "Headless" else ip
    spec: Obj = {
        "clusterIP": ip,
        "clusterIPs": [ip],
        "internalTrafficPolicy": "Cluster",
        "ipFamilies": ["IPv4"],
        "ipFamilyPolicy": "SingleStack",
        "ports": ports,
        "sessionAffinity": "None",
        "type": typ.replace("Headless", "ClusterIP"),
    }
    spec |= {"selector": selector} if selector else {}
    status: Obj = {"loadBalancer": {}}
    if typ in ("NodePort", "LoadBalancer"):
        spec["externalTrafficPolicy"] = "Cluster"
        spec["ports"] = [p | {"nodePort": 30000 + (h + i) % 2767} for i, p in enumerate(ports)]
    if typ == "LoadBalancer":
        spec |= {"allocateLoadBalancerNodePorts": True} | ({"loadBalancerSourceRanges": ranges} if ranges else {})
        status = {"loadBalancer": {"ingress": [{"ip": f"198.51.100.{1 + h % 250}", "ipMode": "VIP"}]}}
    return obj("services", meta("Service", ns, name, created, labels=labels), spec=spec, status=status)


def _namespaced(pl: Plan, ns: str, resource: str) -> Iterator[Obj]:
    wls, created, app_ns = pl.workloads.get(ns, []), pl.ns_created[ns], ns not in SYSTEM_NS
    r = random.Random(
        f"{resource.replace('rolebindings', 'roles')}/{ns}"
    )  # a Role and its RoleBinding share their draws
    if resource in WORKLOAD_KINDS:
        for wl in wls:
            yield from _controllers(resource, pl, wl)
    elif resource == "services":
        if ns == "default":
            yield _service(
                ns,
                "kubernetes",
                0,
                [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}],
                None,
                {"component": "apiserver", "provider": "kubernetes"},
            )
        if ns == "kube-system":
            ports = [
                {"name": n, "port": 53, "protocol": p, "targetPort": 53}
                for n, p in (("dns", "UDP"), ("dns-tcp", "TCP"))
            ]
            yield _service(ns, "kube-dns", 60, ports, {"k8s-app": "kube-dns"}, {"k8s-app": "kube-dns"})
        for wl in (w for w in wls if w.kind in ("Deployment", "StatefulSet")):
            rs = random.Random(wl.seed + 5)
            typ = rs.choices(["ClusterIP", "NodePort", "LoadBalancer"], [80, 10, 10])[0] if app_ns else "ClusterIP"
            port = {
                "name": "http",
                "port": 80 if wl.kind == "Deployment" else wl.app[2],
                "protocol": "TCP",
                "targetPort": "http",
            }
            yield _service(
                ns,
                wl.name,
                wl.created,
                [port],
                _selector(wl)["matchLabels"],
                template(pl.n_pods, wl)[0],
                "Headless" if wl.kind == "StatefulSet" else typ,
                rs.choice([None, ["10.0.0.0/8"], ["0.0.0.0/0"]]),
            )
    elif resource == "serviceaccounts":
        bound = {
            b[3] for b in CLUSTER_BINDINGS if b[2] == "ServiceAccount" and b[4] == ns
        }  # even if their pods did not fit
        for sa in sorted({"default"} | bound | {w.sa for w in wls}):
            extra = {"automountServiceAccountToken": False} if sa != "default" and r.random() < 0.3 else {}
            yield obj(resource, meta("ServiceAccount", ns, sa, created + 300 * (sa != "default"))) | extra
    elif resource == "configmaps":
        ca = (
            "-----BEGIN CERTIFICATE-----\n"
            + "\n".join(digest("ca", i)[:64] for i in range(18))
            + "\n-----END CERTIFICATE-----\n"
        )
        yield obj(resource, meta("ConfigMap", ns, "kube-root-ca.crt", created), data={"ca.crt": ca})
        for wl in (w for w in wls if w.kind != "Static"):
            data = {k.lower(): f"{k.lower()}-{digest(ns, wl.name, k)[:8]}" for k in CM_VARS}
            data["app.yaml"] = (
                f"server:\n  port: {wl.app[2] or 8080}\n  shutdownTimeout: 30s\nlogging:\n  level: info\n"
            )
            data |= (
                {"database_password": f"Welcome-{digest(ns, wl.name)[:10]}"} if r.random() < 0.15 else {}
            )  # in plain sight
            md = meta("ConfigMap", ns, f"{wl.name}-config", wl.created, labels=template(pl.n_pods, wl)[0])
            yield obj(resource, md, data=data)
    elif resource == "networkpolicies" and app_ns:
        deny = r.random()
        if deny < 0.45:
            yield obj(
                resource,
                meta("NetworkPolicy", ns, "default-deny", created + 60, generation=1),
                spec={"podSelector": {}, "policyTypes": ["Ingress", "Egress"] if deny < 0.2 else ["Ingress"]},
            )
        for wl in (w for w in wls if w.kind == "Deployment" and r.random() < 0.15):
            peers = [
                {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}},
                {"podSelector": {"matchLabels": {"app.kubernetes.io/part-of": ns.split("-")[0]}}},
            ]
            rule = {"from": peers, "ports": [{"port": wl.app[2], "protocol": "TCP"}]}
            yield obj(
                resource,
                meta("NetworkPolicy", ns, f"allow-{wl.name}", wl.created, generation=1),
                spec={"ingress": [rule], "podSelector": _selector(wl), "policyTypes": ["Ingress"]},
            )
    elif resource == "poddisruptionbudgets":
        for wl in (w for w in wls if w.kind in ("Deployment", "StatefulSet") and w.pods >= 2 and w.seed % 2):
            spec = ({"minAvailable": 1} if wl.seed % 3 else {"maxUnavailable": "25%"}) | {"selector": _selector(wl)}
            status = {
                "currentHealthy": wl.pods,
                "desiredHealthy": 1,
                "disruptionsAllowed": wl.pods - 1,
                "expectedPods": wl.pods,
                "observedGeneration": 1,
            }
            yield obj(
                resource, meta("PodDisruptionBudget", ns, wl.name, wl.created, generation=1), spec=spec, status=status
            )
    elif resource in ("roles", "rolebindings") and (app_ns or ns == "kube-system"):
        roles = (
            [("app-config-reader", "|configmaps|get,list,watch")]
            if app_ns
            else [
                ("kubeadm:nodes-kubeadm-config", "|configmaps|get"),
                ("system:controller:bootstrap-signer", "|secrets|get,list,watch"),
            ]
        )
        roles += [("secret-reader", "|secrets|get,list,watch")] * (app_ns and r.random() < 0.3)
        roles += [("namespace-admin", "*|*|*")] * (app_ns and r.random() < 0.1)
        roles += [("pod-exec", "|pods,pods/exec,pods/log|get,list,create")] * (app_ns and r.random() < 0.15)
        sas = sorted({w.sa for w in wls} | {"default"})
        for name, role_rules in roles:
            if resource == "roles":
                yield obj(resource, meta("Role", ns, name, created + 120), rules=rules(role_rules))
                continue
            subj = (
                {"kind": "ServiceAccount", "name": r.choice(sas), "namespace": ns}
                if r.random() < 0.8
                else {"apiGroup": RBAC, "kind": "Group", "name": "system:serviceaccounts"}
            )
            yield obj(
                resource,
                meta("RoleBinding", ns, name, created + 130),
                subjects=[subj],
                roleRef={"apiGroup": RBAC, "kind": "Role", "name": name},
            )


CLUSTER_ROLES = {  # rules as "apiGroups|resources|verbs" ("url|paths|verbs": nonResourceURLs), lists comma-separated
    "cluster-admin": "*|*|* url|*|*",
    "admin": ",apps,batch|pods,pods/exec,secrets,services,deployments,jobs|*",
    "edit": ",apps,batch|pods,secrets,services,deployments,jobs,configmaps|create,delete,get,list,patch,update,watch",
    "view": ",apps,batch|pods,services,deployments,jobs,configmaps|get,list,watch",
    "system:basic-user": "authorization.k8s.io|selfsubjectaccessreviews,selfsubjectrulesreviews|create",
    "system:discovery": "url|/api,/api/*,/apis,/apis/*,/healthz,/livez,/readyz,/version|get",
    "system:public-info-viewer": "url|/healthz,/livez,/readyz,/version|get",
    "system:node-proxier": "|endpoints,services,nodes|get,list,watch",
    "system:coredns": "|endpoints,services,pods|list,watch",
    "cilium": "|pods,nodes,namespaces,services|get,list,watch cilium.io|*|*",
    "fluent-bit": "|namespaces,pods|get,list,watch",
    "kube-state-metrics": ",apps,batch,policy,networking.k8s.io|*|list,watch",
}
CLUSTER_BINDINGS = [
    line.split()
    for line in """cluster-admin cluster-admin Group system:masters -
    system:basic-user system:basic-user Group system:authenticated -
    system:discovery system:discovery Group system:authenticated -
    system:public-info-viewer system:public-info-viewer Group system:unauthenticated -
    system:node-proxier system:node-proxier User system:kube-proxy -
    system:coredns system:coredns ServiceAccount coredns kube-system
    cilium cilium ServiceAccount cilium kube-system
    fluent-bit fluent-bit ServiceAccount fluent-bit logging
    kube-state-metrics kube-state-metrics ServiceAccount kube-state-metrics monitoring
    anonymous-view view User system:anonymous -
    platform-admins cluster-admin Group platform-admins -""".splitlines()
]  # name, ClusterRole, subject kind, name, namespace


def rules(spec: str) -> list[Obj]:
    """Policy rules from the "apiGroups|resources|verbs ..." notation of CLUSTER_ROLES."""
    out = []
    for rule in spec.split():
        groups, res, verbs = (part.split(",") for part in rule.split("|"))
        out.append(
            {"nonResourceURLs": res, "verbs": verbs}
            if groups == ["url"]
            else {"apiGroups": groups, "resources": res, "verbs": verbs}
        )
    return out


def _node(nd: Node) -> Obj:
    zone, ver = "eu-west-1" + "abc"[nd.index % 3], "v1.29.4" if nd.index % 7 else "v1.28.9"
    labels = {
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": nd.name,
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": "m5.4xlarge",
        "topology.kubernetes.io/zone": zone,
    }
    labels |= {"node-role.kubernetes.io/control-plane": ""} if nd.control_plane else {}
    ann = {
        "kubeadm.alpha.kubernetes.io/cri-socket": "unix:///run/containerd/containerd.sock",
        "node.alpha.kubernetes.io/ttl": "0",
    }
    cidr = f"10.{128 + nd.index // 256}.{nd.index % 256}.0/24"
    spec: Obj = {"podCIDR": cidr, "podCIDRs": [cidr], "providerID": f"aws:///{zone}/i-{digest(nd.name)[:17]}"}
    spec |= (
        {"taints": [{"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane"}]}
        if nd.control_plane
        else {}
    )
    addrs = [("InternalIP", nd.ip)] + [("ExternalIP", nd.external_ip)] * bool(nd.external_ip) + [("Hostname", nd.name)]
    cap = {"cpu": "16", "ephemeral-storage": "101430960Ki", "memory": "65023280Ki", "pods": "110"}
    conds = [
        ("MemoryPressure", "False", "KubeletHasSufficientMemory"),
        ("DiskPressure", "False", "KubeletHasNoDiskPressure"),
        ("PIDPressure", "False", "KubeletHasSufficientPID"),
        ("Ready", "True", "KubeletReady"),
    ]
    status = {
        "addresses": [{"address": a, "type": t} for t, a in addrs],
        "allocatable": cap | {"cpu": "15900m"},
        "capacity": cap,
        "conditions": [
            {
                "lastHeartbeatTime": ts(90 * DAY),
                "lastTransitionTime": ts(DAY),
                "message": f"kubelet: {why}",
                "reason": why,
                "status": s,
                "type": t,
            }
            for t, s, why in conds
        ],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
        "nodeInfo": {
            "architecture": "amd64",
            "bootID": uid("boot", nd.name),
            "kernelVersion": "5.15.0-1057-aws",
            "containerRuntimeVersion": "containerd://1.7.13",
            "kubeProxyVersion": ver,
            "kubeletVersion": ver,
            "machineID": digest("machine", nd.name)[:32],
            "operatingSystem": "linux",
            "osImage": "Ubuntu 22.04.4 LTS",
            "systemUUID": uid("system", nd.name),
        },
    }
    md = meta("Node", None, nd.name, nd.index * 60, annotations=ann, labels=labels)
    md["managedFields"] = [
        managed("kubelet", nd.index * 60, {"metadata": {"annotations": ann, "labels": labels}}),
        managed("kubelet", 90 * DAY, {"status": status}, sub="status"),
    ]
    return obj("nodes", md, spec=spec, status=status)


def _cluster_scoped(pl: Plan, resource: str) -> list[Obj]:
    out: list[Obj] = []
    apps = [w for ns in pl.namespaces if ns not in SYSTEM_NS for w in pl.workloads.get(ns, []) if w.sa != "default"]
    custom = [(f"{w.ns}-{w.name}-operator", w) for w in apps[::25]]
    if resource == "namespaces":
        for ns in pl.namespaces:
            labels = {"kubernetes.io/metadata.name": ns} | ({"team": ns.split("-")[0]} if ns not in SYSTEM_NS else {})
            psa = random.Random(f"ns/{ns}").choices(["", "restricted", "baseline", "privileged"], [50, 20, 20, 10])[0]
            if psa and ns not in SYSTEM_NS:
                labels |= {
                    "pod-security.kubernetes.io/enforce": psa,
                    "pod-security.kubernetes.io/enforce-version": "latest",
                }
            out.append(
                obj(
                    resource,
                    meta("Namespace", None, ns, pl.ns_created[ns], labels=labels),
                    spec={"finalizers": ["kubernetes"]},
                    status={"phase": "Active"},
                )
            )
    elif resource == "nodes":
        out = [_node(nd) for nd in pl.nodes]
    elif resource == "clusterroles":
        broad = "|secrets|get,list,watch apps|deployments|get,patch"
        for name, spec in list(CLUSTER_ROLES.items()) + [
            (name, "*|*|*" if w.seed % 3 == 0 else broad) for name, w in custom
        ]:
            system = name in CLUSTER_ROLES and (
                name.startswith("system:") or name in ("cluster-admin", "admin", "edit", "view")
            )
            md = meta(
                "ClusterRole",
                None,
                name,
                0,
                labels={"kubernetes.io/bootstrapping": "rbac-defaults"} if system else None,
                annotations={"rbac.authorization.kubernetes.io/autoupdate": "true"} if system else None,
            )
            out.append(obj(resource, md, rules=rules(spec)))
    elif resource == "clusterrolebindings":
        binds = CLUSTER_BINDINGS + [[name, name, "ServiceAccount", w.sa, w.ns] for name, w in custom]
        binds += [[f"ci-deployer-{w.ns}", "cluster-admin", "ServiceAccount", w.sa, w.ns] for w in apps[7::97]]
        for name, role, skind, subj, sns in binds:
            s = {"kind": skind, "name": subj} | ({"namespace": sns} if sns != "-" else {"apiGroup": RBAC})
            out.append(
                obj(
                    resource,
                    meta("ClusterRoleBinding", None, name, 0),
                    subjects=[s],
                    roleRef={"apiGroup": RBAC, "kind": "ClusterRole", "name": role},
                )
            )
    return sorted(out, key=lambda o: o["metadata"]["name"])


def kind_names() -> list[str]:
    """The resource names (``pods``, ``replicasets``, ...), file stems of :func:`write_cluster`, in writing order."""
    return list(KINDS)


def iter_objects(n_pods: int, kind: str) -> Iterator[Obj]:
    """The objects of one kind (a resource such as ``pods`` or a Kind such as ``Pod``) of the n_pods cluster, in file order.

    Objects share nested dicts (a workload's pod template, for one): read them, or copy before changing them.
    """
    res = next((res for res, (k, _, _) in KINDS.items() if kind.lower() in (res, k.lower())), None)
    if res is None:
        raise KeyError(f"unknown kind {kind!r}; expected one of {kind_names()}")
    pl = plan(n_pods)
    if res == "pods":
        yield from _pods(pl)
    elif not KINDS[res][2]:
        yield from _cluster_scoped(pl, res)
    else:
        for ns in pl.namespaces:
            yield from sorted(_namespaced(pl, ns, res), key=lambda o: o["metadata"]["name"])


def encode_item(o: Obj) -> bytes:
    """One List item as kubectl prints it: MarshalIndent with four spaces, sorted keys, HTML escapes, at depth 2."""
    b: bytes = msgspec.json.format(orjson.dumps(o, option=orjson.OPT_SORT_KEYS), indent=4)
    for ch, esc in ((b"&", b"\\u0026"), (b"<", b"\\u003c"), (b">", b"\\u003e")):
        b = b.replace(ch, esc) if ch in b else b
    return b"        " + b.replace(b"\n", b"\n        ")


def write_list(objs: Iterable[Obj], fh: IO[bytes]) -> tuple[int, int]:
    """Stream objs into fh as a kubectl List; returns (items, bytes of the items)."""
    n = size = 0
    fh.write(b'{\n    "apiVersion": "v1",\n    "items": [')
    for o in objs:
        b = encode_item(o)
        fh.write(b",\n" if n else b"\n")
        fh.write(b)
        n, size = n + 1, size + len(b)
    fh.write(
        (b"\n    " if n else b"")
        + b'],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n'
    )
    return n, size


def write_cluster(n_pods: int, out_dir: str, verbose: bool = False) -> dict[str, tuple[int, int]]:
    """Write ``<resource>.json`` for every kind into out_dir; returns {resource: (items, item bytes)}.

    Files are written as ``*.part`` and renamed once all are complete, ``pods.json`` last, so an
    existing ``pods.json`` means a complete cluster.
    """
    os.makedirs(out_dir, exist_ok=True)
    stats = {}
    for res in kind_names():
        t = time.perf_counter()
        with open(os.path.join(out_dir, f"{res}.json.part"), "wb", buffering=1 << 20) as fh:
            stats[res] = n, size = write_list(iter_objects(n_pods, res), fh)
        if verbose:
            print(f"{res}.json: {n} items, {size / 1e6:.1f} MB, {time.perf_counter() - t:.1f}s", file=sys.stderr)
    for res in sorted(stats, key=lambda res: res == "pods"):
        os.replace(os.path.join(out_dir, f"{res}.json.part"), os.path.join(out_dir, f"{res}.json"))
    return stats


def manifest(o: Obj) -> Obj:
    """The object as written by hand: no status, managedFields, uid or other server-set fields."""

    def strip(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items() if k != "status" and not (k == "creationTimestamp" and x is None)}
        return [strip(x) for x in v] if isinstance(v, list) else v

    md = {k: v for k, v in o["metadata"].items() if k in ("name", "namespace", "labels", "annotations")}
    ann = {
        k: v for k, v in md.pop("annotations", {}).items() if not k.startswith(("deployment.", "deprecated.", "batch."))
    }
    out = {"apiVersion": o["apiVersion"], "kind": o["kind"], "metadata": md | ({"annotations": ann} if ann else {})}
    out |= {k: strip(v) for k, v in o.items() if k not in ("apiVersion", "kind", "metadata", "status")}
    if o["kind"] == "Service" and out["spec"]["clusterIP"] != "None":
        out["spec"] = {k: v for k, v in out["spec"].items() if k not in ("clusterIP", "clusterIPs")}
    return out


def write_controllers_yaml(n_pods: int, path: str) -> int:
    """Write the controller manifests as one multi-document YAML file; returns the number of documents."""
    n, dumper = 0, getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    with open(path, "w", encoding="utf-8", buffering=1 << 20) as fh:
        for o in (
            o for res in CONTROLLERS for o in iter_objects(n_pods, res) if not o["metadata"].get("ownerReferences")
        ):
            fh.write("---\n")
            yaml.dump(manifest(o), fh, Dumper=dumper, sort_keys=True, default_flow_style=False, width=4096)
            n += 1
    return n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Write a deterministic synthetic cluster as `kubectl get <kind> -A -o json` files."
    )
    ap.add_argument("--pods", type=int, required=True, help="number of pods")
    ap.add_argument("-o", "--out", required=True, help="output directory")
    ap.add_argument("--yaml-controllers", metavar="FILE", help="also write the controller manifests as one YAML file")
    ap.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    a = ap.parse_args(argv)
    t = time.perf_counter()
    stats = write_cluster(a.pods, a.out, verbose=not a.quiet)
    dt, (n, size) = time.perf_counter() - t, stats["pods"]
    if not a.quiet:
        print(
            f"{a.pods} pods, {sum(s[1] for s in stats.values()) / 1e6:.0f} MB in {dt:.1f}s ({a.pods / dt:.0f} pods/s), "
            f"average pod {size / max(1, n) / 1e3:.1f} KB",
            file=sys.stderr,
        )
    if a.yaml_controllers:
        docs = write_controllers_yaml(a.pods, a.yaml_controllers)
        if not a.quiet:
            print(f"{a.yaml_controllers}: {docs} documents", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
