#!/usr/bin/env python3
"""Generate the bundled sample cluster: ``data/sample-cluster/`` and ``data/README.md``.

Regenerate with::

    python data/generate_sample.py

The output is deterministic: uids are uuid5 of (kind, namespace, name), timestamps are fixed in
2026 and every "random" name suffix is a hash, so two runs give byte-identical files. Do not edit
the generated files by hand: change this script and run it again.

The files look like a live capture of a kubeadm cluster named ``sample-cluster``: one
``kind: List`` document per namespace, written the way ``kubectl get ... -o yaml`` writes it
(keys sorted, managed fields omitted), ``cluster.yaml`` for cluster-scoped objects and
``kubeconfig.yaml``. Secrets are listed as metadata and type only, never data. The story of the
cluster (what is deliberately wrong, what is right, which checks fire) goes to ``data/README.md``.
Needs Python 3.11+ and PyYAML, nothing else.
"""

import base64
import copy
import hashlib
import shutil
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

CLUSTER = "sample-cluster"
DATA = Path(__file__).resolve().parent
OUT = DATA / CLUSTER
T0 = datetime(2026, 1, 12, 9, 14, 3, tzinfo=UTC)  # kubeadm init
NOW = datetime(2026, 3, 4, 10, 15, 0, tzinfo=UTC)  # time of the capture
K8S = "v1.31.4"
SAFE = "bcdfghjklmnpqrstvwxz2456789"  # alphabet of generated name suffixes
HEXSAFE = "bcdf2456789"  # pod-template-hash style: hex-looking and in the safe alphabet
CP = "cp-01"
NODES = [  # name, InternalIP, ExternalIP, control plane?, kubelet version
    (CP, "10.0.1.10", None, True, K8S),
    ("worker-01", "10.0.1.21", "203.0.113.21", False, K8S),  # public ExternalIP
    ("worker-02", "10.0.1.22", None, False, K8S),
    ("worker-03", "198.51.100.23", None, False, "v1.31.2"),  # public address as InternalIP
]
ALL_NODES = [n[0] for n in NODES]
WORKERS = [n[0] for n in NODES if not n[3]]
HOST_IP = {n[0]: n[1] for n in NODES}
PRIORITY = {"system-node-critical": 2000001000, "system-cluster-critical": 2000000000}

FILES = defaultdict(list)  # file stem (namespace or "cluster") -> items
SA_AUTOMOUNT = {}  # (namespace, service account) -> automountServiceAccountToken
_used_ips, _used_ports, _pod_ips = {"10.96.0.1", "10.96.0.10"}, set(), Counter()


# ------------------------------------------------------------------------------------ helpers --
def digest(*parts):
    return hashlib.sha256("/".join(map(str, parts)).encode()).digest()


def suffix(n, *seed, alphabet=SAFE):
    d, out = int.from_bytes(digest(*seed), "big"), []
    for _ in range(n):
        d, r = divmod(d, len(alphabet))
        out.append(alphabet[r])
    return "".join(out)


def hexid(n, *seed):
    return hashlib.sha256("/".join(map(str, seed)).encode()).hexdigest()[:n]


def uid(kind, ns, name):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"k8s://{CLUSTER}/{kind}/{ns or ''}/{name}"))


def ts(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def at(days=0, hours=0, minutes=0):
    return T0 + timedelta(days=days, hours=hours, minutes=minutes)


def fake_b64(seed, size):
    return base64.b64encode(b"".join(digest(seed, i) for i in range(size // 32 + 1))[:size]).decode()


def fake_pem(seed):
    body = fake_b64(seed, 288)
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


def new(
    api,
    kind,
    name,
    ns=None,
    *,
    created=None,
    labels=None,
    annotations=None,
    owner=None,
    generate_name=None,
    generation=None,
    block=True,
):
    """Create an object with full metadata and file it under its namespace (or cluster.yaml)."""
    m = {"name": name, "uid": uid(kind, ns, name), "creationTimestamp": ts(created or T0)}
    for key, value in (
        ("namespace", ns),
        ("labels", labels),
        ("annotations", annotations),
        ("generateName", generate_name),
        ("generation", generation),
    ):
        if value:
            m[key] = dict(value) if isinstance(value, dict) else value
    if owner:
        ref = {
            "apiVersion": owner["apiVersion"],
            "kind": owner["kind"],
            "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"],
            "controller": True,
        }
        m["ownerReferences"] = [ref | ({"blockOwnerDeletion": True} if block else {})]
    o = {"apiVersion": api, "kind": kind, "metadata": m}
    FILES[ns or "cluster"].append(o)
    return o


def helm(release, chart, ns):
    labels = {
        "app.kubernetes.io/instance": release,
        "app.kubernetes.io/managed-by": "Helm",
        "app.kubernetes.io/name": release,
        "helm.sh/chart": chart,
    }
    return labels, {"meta.helm.sh/release-name": release, "meta.helm.sh/release-namespace": ns}


def flags(text, **fmt):
    """Command-line flags written one per word, e.g. flags("--a=1 --b={ip}", ip=...)."""
    return text.format(**fmt).split()


# ---------------------------------------------------------------------------- pod templates --
def port(n, name=None, host=None, proto="TCP"):
    return (
        {"containerPort": n, "protocol": proto}
        | ({"name": name} if name else {})
        | ({"hostPort": host} if host else {})
    )


def env(name, value):
    return {"name": name, "value": value}


def env_ref(name, kind, ref, key=None):
    if kind == "field":
        return {"name": name, "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": ref}}}
    return {"name": name, "valueFrom": {kind + "KeyRef": {"key": key, "name": ref}}}


def http_probe(path, port_, scheme="HTTP", initial=None, period=10, timeout=1, failure=3, host=None):
    p = {
        "failureThreshold": failure,
        "httpGet": {"path": path, "port": port_, "scheme": scheme},
        "periodSeconds": period,
        "successThreshold": 1,
        "timeoutSeconds": timeout,
    }
    if host:
        p["httpGet"]["host"] = host
    if initial:
        p["initialDelaySeconds"] = initial
    return p


def exec_probe(cmd, timeout=1):
    return {
        "exec": {"command": cmd},
        "failureThreshold": 3,
        "periodSeconds": 10,
        "successThreshold": 1,
        "timeoutSeconds": timeout,
    }


def res(cpu, mem, lcpu=None, lmem=None):
    limits = {k: v for k, v in (("cpu", lcpu), ("memory", lmem)) if v}
    return {"requests": {"cpu": cpu, "memory": mem}} | ({"limits": limits} if limits else {})


def hardened_sc(uid_=10001):
    """A container securityContext that passes every practice."""
    return {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": True,
        "runAsUser": uid_,
        "runAsGroup": uid_,
    }


HARDENED_POD_SC = {"runAsNonRoot": True, "fsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}}
RUNTIME_DEFAULT = {"seccompProfile": {"type": "RuntimeDefault"}}
DROP_ALL = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}


def container(
    name,
    image,
    *,
    ports=(),
    env_=None,
    env_from=None,
    args=None,
    command=None,
    sc=None,
    readiness=None,
    liveness=None,
    startup=None,
    mounts=(),
    resources=None,
    **extra,
):
    """A container as the API returns it (with its defaults); mounts are (volume, path[, readOnly])."""
    c = {
        "name": name,
        "image": image,
        "imagePullPolicy": "Always" if image.endswith(":latest") else "IfNotPresent",
        "resources": resources or {},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }
    for key, value in (
        ("command", command),
        ("args", args),
        ("env", env_),
        ("envFrom", env_from),
        ("securityContext", sc),
        ("readinessProbe", readiness),
        ("livenessProbe", liveness),
        ("startupProbe", startup),
        ("ports", list(ports) or None),
    ):
        if value is not None:
            c[key] = value
    if mounts:
        c["volumeMounts"] = [dict(zip(("name", "mountPath", "readOnly"), m)) for m in mounts]
    return c | extra


def host_path(name, path, type_=""):
    return {"name": name, "hostPath": {"path": path, "type": type_}}


def pod_spec(
    containers,
    *,
    init=None,
    sa=None,
    sc=None,
    volumes=None,
    host_network=False,
    host_pid=False,
    host_ipc=False,
    automount=None,
    tolerations=None,
    node_selector=None,
    priority_class=None,
    restart="Always",
    grace=30,
    **extra,
):
    s = {
        "containers": containers,
        "dnsPolicy": "ClusterFirstWithHostNet" if host_network else "ClusterFirst",
        "restartPolicy": restart,
        "schedulerName": "default-scheduler",
        "securityContext": sc or {},
        "terminationGracePeriodSeconds": grace,
    }
    for key, value in (
        ("initContainers", init),
        ("volumes", volumes),
        ("tolerations", tolerations),
        ("nodeSelector", node_selector),
        ("priorityClassName", priority_class),
        ("automountServiceAccountToken", automount),
        ("serviceAccountName", sa),
        ("serviceAccount", sa),
        ("hostNetwork", host_network or None),
        ("hostPID", host_pid or None),
        ("hostIPC", host_ipc or None),
    ):
        if value is not None:
            s[key] = value
    return s | extra


def template(labels, spec, annotations=None):
    md = {"creationTimestamp": None, "labels": dict(labels)}
    return {"metadata": md | ({"annotations": annotations} if annotations else {}), "spec": spec}


# ---------------------------------------------------------------------------------- live pods --
NOT_READY = [
    {"effect": "NoExecute", "key": f"node.kubernetes.io/{k}", "operator": "Exists", "tolerationSeconds": 300}
    for k in ("not-ready", "unreachable")
]
DS_TOLERATIONS = [
    {"effect": e, "key": f"node.kubernetes.io/{k}", "operator": "Exists"}
    for k, e in (
        ("not-ready", "NoExecute"),
        ("unreachable", "NoExecute"),
        ("disk-pressure", "NoSchedule"),
        ("memory-pressure", "NoSchedule"),
        ("pid-pressure", "NoSchedule"),
        ("unschedulable", "NoSchedule"),
    )
]


def schedule(ns, name, i, nodes=None):
    nodes = nodes or WORKERS
    return nodes[(digest(ns, name)[0] + i) % len(nodes)]


def qos(containers):
    rs = [c.get("resources", {}) for c in containers]
    if not any(rs):
        return "BestEffort"
    if all(set(r.get("limits", {})) == {"cpu", "memory"} and r.get("requests", r["limits"]) == r["limits"] for r in rs):
        return "Guaranteed"
    return "Burstable"


def container_status(c, pod_name, started, done=None):
    cid = "containerd://" + hexid(64, pod_name, c["name"])
    image = c["image"] if "/" in c["image"] else "docker.io/library/" + c["image"]
    st = {
        "containerID": cid,
        "image": image,
        "imageID": image.split(":")[0] + "@sha256:" + hexid(64, image),
        "lastState": {},
        "name": c["name"],
        "restartCount": 0,
    }
    if done:
        return st | {
            "ready": False,
            "started": False,
            "state": {
                "terminated": {
                    "containerID": cid,
                    "exitCode": 0,
                    "finishedAt": ts(done),
                    "reason": "Completed",
                    "startedAt": ts(started),
                }
            },
        }
    return st | {"ready": True, "started": True, "state": {"running": {"startedAt": ts(started)}}}


def pod(
    ns,
    name,
    tpl,
    node,
    created,
    *,
    owner=None,
    generate_name=None,
    labels=None,
    daemon=False,
    static=False,
    phase="Running",
    extra_volumes=(),
    **spec_extra,
):
    """A live pod: the template's spec plus what the API server, scheduler and controllers fill in."""
    spec = copy.deepcopy(tpl["spec"]) | spec_extra
    spec |= {
        "nodeName": node,
        "enableServiceLinks": True,
        "preemptionPolicy": "PreemptLowerPriority",
        "priority": PRIORITY.get(spec.get("priorityClassName"), 0),
    }
    spec["volumes"] = list(extra_volumes) + spec.get("volumes", [])
    everything = spec["containers"] + spec.get("initContainers", [])
    if spec.get("hostNetwork"):  # the API server defaults hostPort for host-network pods (not templates)
        for p in (p for c in everything for p in c.get("ports", [])):
            p.setdefault("hostPort", p["containerPort"])
    tol = spec.setdefault("tolerations", [])
    if static:
        spec["tolerations"] = [{"effect": "NoExecute", "operator": "Exists"}]
    elif daemon:
        tol += DS_TOLERATIONS + (
            [{"effect": "NoSchedule", "key": "node.kubernetes.io/network-unavailable", "operator": "Exists"}]
            if spec.get("hostNetwork")
            else []
        )
        spec["affinity"] = {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}
                    ]
                }
            }
        }
    elif not any(t.get("operator") == "Exists" and "key" not in t for t in tol):
        tol += copy.deepcopy(NOT_READY)
    if not static:  # mirror pods get no service account
        sa = spec.setdefault("serviceAccountName", "default")
        spec["serviceAccount"] = sa
        if spec.get("automountServiceAccountToken", SA_AUTOMOUNT.get((ns, sa), True)):
            vol = "kube-api-access-" + suffix(5, ns, name, "token")
            spec["volumes"].append(
                {
                    "name": vol,
                    "projected": {
                        "defaultMode": 420,
                        "sources": [
                            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                            {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}},
                            {
                                "downwardAPI": {
                                    "items": [
                                        {
                                            "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                                            "path": "namespace",
                                        }
                                    ]
                                }
                            },
                        ],
                    },
                }
            )
            for c in everything:
                c.setdefault("volumeMounts", []).append(
                    {"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "name": vol, "readOnly": True}
                )
    for key in ("tolerations", "volumes"):
        if not spec[key]:
            del spec[key]
    p = new(
        "v1",
        "Pod",
        name,
        ns,
        created=created,
        labels=tpl["metadata"]["labels"] | (labels or {}),
        annotations=tpl["metadata"].get("annotations"),
        owner=owner,
        generate_name=generate_name,
        block=not static,
    )
    p["spec"] = spec
    host = HOST_IP[node]
    _pod_ips[node] += 0 if spec.get("hostNetwork") else 1
    ip = host if spec.get("hostNetwork") else f"10.244.{ALL_NODES.index(node)}.{_pod_ips[node] + 1}"
    started = created + timedelta(seconds=3)
    done = started + timedelta(seconds=37) if phase == "Succeeded" else None
    ok = "True" if phase == "Running" else "False"
    conditions = [
        {"lastProbeTime": None, "lastTransitionTime": ts(started), "status": s, "type": t}
        | ({"reason": "PodCompleted"} if s == "False" else {})
        for t, s in (
            ("PodReadyToStartContainers", ok),
            ("Initialized", "True"),
            ("Ready", ok),
            ("ContainersReady", ok),
            ("PodScheduled", "True"),
        )
    ]
    p["status"] = {
        "phase": phase,
        "hostIP": host,
        "hostIPs": [{"ip": host}],
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "qosClass": qos(spec["containers"]),
        "startTime": ts(created),
        "conditions": conditions,
        "containerStatuses": [container_status(c, name, started, done) for c in spec["containers"]],
    }
    if spec.get("initContainers"):
        p["status"]["initContainerStatuses"] = [
            container_status(c, name, created, started) for c in spec["initContainers"]
        ]
    return p


# ---------------------------------------------------------------------------------- workloads --
def _counts(n, **extra):
    return {"availableReplicas": n, "readyReplicas": n, "replicas": n, **extra}


ROLLING = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}
SAFE_ROLLOUT = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}


def deployment(
    ns,
    name,
    tpl,
    replicas=1,
    *,
    created,
    strategy=ROLLING,
    sel=None,
    labels=None,
    annotations=None,
    previous_image=None,
    nodes=None,
):
    """Deployment -> ReplicaSet -> Pods; previous_image leaves an older ReplicaSet scaled to 0."""
    sel = sel or {"app": name}
    revision = 2 if previous_image else 1
    d = new(
        "apps/v1",
        "Deployment",
        name,
        ns,
        created=created,
        labels=labels or sel,
        generation=revision,
        annotations={"deployment.kubernetes.io/revision": str(revision)} | (annotations or {}),
    )
    d["spec"] = {
        "progressDeadlineSeconds": 600,
        "replicas": replicas,
        "revisionHistoryLimit": 10,
        "selector": {"matchLabels": sel},
        "strategy": strategy,
        "template": tpl,
    }
    rolled = created + timedelta(days=revision - 1)
    d["status"] = _counts(
        replicas,
        observedGeneration=revision,
        updatedReplicas=replicas,
        conditions=[
            {
                "lastTransitionTime": ts(rolled),
                "lastUpdateTime": ts(rolled),
                "message": "Deployment has minimum availability.",
                "reason": "MinimumReplicasAvailable",
                "status": "True",
                "type": "Available",
            },
            {
                "lastTransitionTime": ts(created),
                "lastUpdateTime": ts(rolled),
                "message": f'ReplicaSet "{name}" has successfully progressed.',
                "reason": "NewReplicaSetAvailable",
                "status": "True",
                "type": "Progressing",
            },
        ],
    )
    surge = strategy.get("rollingUpdate", {}).get("maxSurge", 0)
    surge = -(-replicas * int(surge[:-1]) // 100) if isinstance(surge, str) else surge
    for rev, image, rs_created in ([(1, previous_image, created)] if previous_image else []) + [
        (revision, None, rolled)
    ]:
        rs_tpl = copy.deepcopy(tpl)
        if image:
            rs_tpl["spec"]["containers"][0]["image"] = image
        hash_ = suffix(10, ns, name, rs_tpl["spec"]["containers"][0]["image"], alphabet=HEXSAFE)
        rs_tpl["metadata"]["labels"]["pod-template-hash"] = hash_
        rs_name, n = f"{name}-{hash_}", 0 if image else replicas
        rs = new(
            "apps/v1",
            "ReplicaSet",
            rs_name,
            ns,
            created=rs_created,
            labels=rs_tpl["metadata"]["labels"],
            owner=d,
            generation=2 if image else 1,
            annotations={
                "deployment.kubernetes.io/desired-replicas": str(replicas),
                "deployment.kubernetes.io/max-replicas": str(replicas + surge),
                "deployment.kubernetes.io/revision": str(rev),
            },
        )
        rs["spec"] = {
            "replicas": n,
            "selector": {"matchLabels": sel | {"pod-template-hash": hash_}},
            "template": rs_tpl,
        }
        rs["status"] = (
            {"observedGeneration": 2, "replicas": 0}
            if image
            else _counts(n, fullyLabeledReplicas=n, observedGeneration=1)
        )
        for i in range(n):
            pod(
                ns,
                f"{rs_name}-{suffix(5, rs_name, i)}",
                rs_tpl,
                schedule(ns, name, i, nodes),
                rs_created + timedelta(seconds=2),
                owner=rs,
                generate_name=rs_name + "-",
            )
    return d


def statefulset(ns, name, tpl, replicas, *, created, service, claims=(), update=None):
    sel, rev = {"app": name}, f"{name}-{suffix(10, ns, name, 'rev', alphabet=HEXSAFE)}"
    s = new("apps/v1", "StatefulSet", name, ns, created=created, labels=sel, generation=1)
    s["spec"] = {
        "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
        "podManagementPolicy": "OrderedReady",
        "replicas": replicas,
        "revisionHistoryLimit": 10,
        "selector": {"matchLabels": sel},
        "serviceName": service,
        "template": tpl,
        "updateStrategy": update or {"rollingUpdate": {"partition": 0}, "type": "RollingUpdate"},
    }
    if claims:
        s["spec"]["volumeClaimTemplates"] = [
            {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": {"creationTimestamp": None, "name": c},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": size}},
                    "storageClassName": "local-storage",
                    "volumeMode": "Filesystem",
                },
                "status": {"phase": "Pending"},
            }
            for c, size in claims
        ]
    s["status"] = _counts(
        replicas,
        collisionCount=0,
        currentReplicas=replicas,
        currentRevision=rev,
        observedGeneration=1,
        updateRevision=rev,
        updatedReplicas=replicas,
    )
    for i in range(replicas):
        pname, node, t = f"{name}-{i}", schedule(ns, name, i), created + timedelta(seconds=i * 30)
        for c, size in claims:
            persistent_volume(ns, f"{c}-{pname}", size, node, t, sel)
        pod(
            ns,
            pname,
            tpl,
            node,
            t + timedelta(seconds=2),
            owner=s,
            hostname=pname,
            subdomain=service,
            labels={
                "apps.kubernetes.io/pod-index": str(i),
                "controller-revision-hash": rev,
                "statefulset.kubernetes.io/pod-name": pname,
            },
            extra_volumes=[{"name": c, "persistentVolumeClaim": {"claimName": f"{c}-{pname}"}} for c, _ in claims],
        )
    return s


def daemonset(ns, name, tpl, *, created, nodes=ALL_NODES, update=None, sel=None):
    sel = sel or {"app": name}
    d = new(
        "apps/v1",
        "DaemonSet",
        name,
        ns,
        created=created,
        labels=sel,
        generation=1,
        annotations={"deprecated.daemonset.template.generation": "1"},
    )
    d["spec"] = {
        "revisionHistoryLimit": 10,
        "selector": {"matchLabels": sel},
        "template": tpl,
        "updateStrategy": update or {"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}, "type": "RollingUpdate"},
    }
    n = len(nodes)
    d["status"] = {
        "currentNumberScheduled": n,
        "desiredNumberScheduled": n,
        "numberAvailable": n,
        "numberMisscheduled": 0,
        "numberReady": n,
        "observedGeneration": 1,
        "updatedNumberScheduled": n,
    }
    rev = suffix(10, ns, name, "rev", alphabet=HEXSAFE)
    for i, node in enumerate(nodes):
        pod(
            ns,
            f"{name}-{suffix(5, name, node)}",
            tpl,
            node,
            created + timedelta(seconds=5 + i),
            owner=d,
            generate_name=name + "-",
            daemon=True,
            labels={"controller-revision-hash": rev, "pod-template-generation": "1"},
        )
    return d


def job(ns, name, tpl, *, created, owner=None, labels=None, annotations=None):
    job_uid, tpl = uid("Job", ns, name), copy.deepcopy(tpl)
    ctl = {
        "batch.kubernetes.io/controller-uid": job_uid,
        "batch.kubernetes.io/job-name": name,
        "controller-uid": job_uid,
        "job-name": name,
    }
    tpl["metadata"]["labels"] |= ctl
    j = new(
        "batch/v1",
        "Job",
        name,
        ns,
        created=created,
        labels=(labels or {}) | ctl,
        annotations=annotations,
        owner=owner,
        generation=1,
    )
    j["spec"] = {
        "backoffLimit": 6,
        "completionMode": "NonIndexed",
        "completions": 1,
        "manualSelector": False,
        "parallelism": 1,
        "podReplacementPolicy": "TerminatingOrFailed",
        "suspend": False,
        "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": job_uid}},
        "template": tpl,
    }
    done = ts(created + timedelta(seconds=45))
    j["status"] = {
        "completionTime": done,
        "ready": 0,
        "startTime": ts(created),
        "succeeded": 1,
        "terminating": 0,
        "uncountedTerminatedPods": {},
        "conditions": [
            {
                "lastProbeTime": done,
                "lastTransitionTime": done,
                "message": "Reached expected number of succeeded pods",
                "reason": "CompletionsReached",
                "status": "True",
                "type": t,
            }
            for t in ("SuccessCriteriaMet", "Complete")
        ],
    }
    pod(
        ns,
        f"{name}-{suffix(5, name)}",
        tpl,
        schedule(ns, name, 0),
        created,
        owner=j,
        generate_name=name + "-",
        phase="Succeeded",
    )


def cronjob(ns, name, schedule_, tpl, *, created, last_run):
    labels = {"app": name}
    cj = new("batch/v1", "CronJob", name, ns, created=created, labels=labels, generation=1)
    cj["spec"] = {
        "concurrencyPolicy": "Forbid",
        "failedJobsHistoryLimit": 1,
        "schedule": schedule_,
        "successfulJobsHistoryLimit": 3,
        "suspend": False,
        "jobTemplate": {
            "metadata": {"creationTimestamp": None, "labels": labels},
            "spec": {"backoffLimit": 2, "template": tpl},
        },
    }
    cj["status"] = {"lastScheduleTime": ts(last_run), "lastSuccessfulTime": ts(last_run + timedelta(seconds=45))}
    job(
        ns,
        f"{name}-{int(last_run.timestamp()) // 60}",
        tpl,
        created=last_run,
        owner=cj,
        labels=labels,
        annotations={"batch.kubernetes.io/cronjob-scheduled-timestamp": ts(last_run)},
    )


def persistent_volume(ns, claim, size, node, created, labels):
    """A bound PersistentVolumeClaim and the local PersistentVolume an admin created for it."""
    pv_name = f"local-pv-{node}-{hexid(6, ns, claim)}"
    pvc = new(
        "v1",
        "PersistentVolumeClaim",
        claim,
        ns,
        created=created,
        labels=labels,
        annotations={
            "pv.kubernetes.io/bind-completed": "yes",
            "pv.kubernetes.io/bound-by-controller": "yes",
            "volume.kubernetes.io/selected-node": node,
        },
    )
    pvc["metadata"]["finalizers"] = ["kubernetes.io/pvc-protection"]
    pvc["spec"] = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": size}},
        "storageClassName": "local-storage",
        "volumeMode": "Filesystem",
        "volumeName": pv_name,
    }
    pvc["status"] = {"accessModes": ["ReadWriteOnce"], "capacity": {"storage": size}, "phase": "Bound"}
    pv = new(
        "v1",
        "PersistentVolume",
        pv_name,
        created=at(hours=5),
        annotations={"pv.kubernetes.io/bound-by-controller": "yes"},
    )
    pv["metadata"]["finalizers"] = ["kubernetes.io/pv-protection"]
    pv["spec"] = {
        "accessModes": ["ReadWriteOnce"],
        "capacity": {"storage": size},
        "claimRef": {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "name": claim,
            "namespace": ns,
            "uid": pvc["metadata"]["uid"],
        },
        "local": {"path": f"/mnt/disks/{hexid(6, ns, claim)}"},
        "nodeAffinity": {
            "required": {
                "nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}]}
                ]
            }
        },
        "persistentVolumeReclaimPolicy": "Retain",
        "storageClassName": "local-storage",
        "volumeMode": "Filesystem",
    }
    pv["status"] = {"lastPhaseTransitionTime": ts(created), "phase": "Bound"}


# --------------------------------------------------------------------- other namespaced kinds --
def namespace(name, created, labels=None, automount_default=None):
    n = new("v1", "Namespace", name, created=created, labels={"kubernetes.io/metadata.name": name} | (labels or {}))
    n["spec"], n["status"] = {"finalizers": ["kubernetes"]}, {"phase": "Active"}
    service_account(name, "default", created=created, automount=automount_default)
    configmap(
        name,
        "kube-root-ca.crt",
        {"ca.crt": fake_pem("cluster-ca")},
        created=created,
        annotations={
            "kubernetes.io/description": "Contains a CA bundle that can be used to verify the kube-apiserver when "
            "using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is "
            "guaranteed across distributions of Kubernetes clusters."
        },
    )


def service_account(ns, name, *, created, automount=None, labels=None, annotations=None, secrets=None):
    sa = new("v1", "ServiceAccount", name, ns, created=created, labels=labels, annotations=annotations)
    if automount is not None:
        sa["automountServiceAccountToken"] = SA_AUTOMOUNT[(ns, name)] = automount
    if secrets:
        sa["secrets"] = [{"name": s} for s in secrets]


def configmap(ns, name, data, *, created, labels=None, annotations=None):
    new("v1", "ConfigMap", name, ns, created=created, labels=labels, annotations=annotations)["data"] = data


def secret(ns, name, type_="Opaque", *, created, labels=None, annotations=None):
    """Secrets are captured as metadata and type only."""
    new("v1", "Secret", name, ns, created=created, labels=labels, annotations=annotations)["type"] = type_


def _cluster_ip(*seed):
    n = int.from_bytes(digest(*seed)[:4], "big")
    while (ip := f"10.{96 + n % 16}.{(n >> 4) % 256}.{(n >> 12) % 254 + 1}") in _used_ips:
        n += 7919
    _used_ips.add(ip)
    return ip


def _node_port(*seed):
    n = 30000 + int.from_bytes(digest(*seed)[:4], "big") % 2768
    while n in _used_ports:
        n += 1
    _used_ports.add(n)
    return n


def service(
    ns,
    name,
    ports=(("http", 80, "http"),),
    *,
    created,
    selector=None,
    type_="ClusterIP",
    headless=False,
    external_name=None,
    source_ranges=None,
    lb_ip=None,
    labels=None,
    annotations=None,
    cluster_ip=None,
    node_ports=None,
    local=False,
):
    """ports: (name, port, targetPort[, protocol]); LoadBalancers get nodePorts too, as in a real cluster."""
    s = new("v1", "Service", name, ns, created=created, labels=labels or {"app": name}, annotations=annotations)
    s["spec"], s["status"] = {"sessionAffinity": "None", "type": type_}, {"loadBalancer": {}}
    if external_name:
        s["spec"]["externalName"] = external_name
        return
    ip = "None" if headless else cluster_ip or _cluster_ip(ns, name)
    s["spec"] |= {
        "clusterIP": ip,
        "clusterIPs": [ip],
        "internalTrafficPolicy": "Cluster",
        "ipFamilies": ["IPv4"],
        "ipFamilyPolicy": "SingleStack",
        "ports": [],
    }
    if selector != {}:
        s["spec"]["selector"] = selector or {"app": name}
    for pname, p, target, *proto in ports:
        sp = {"name": pname, "port": p, "protocol": proto[0] if proto else "TCP", "targetPort": target}
        if type_ != "ClusterIP":
            sp["nodePort"] = (node_ports or {}).get(pname) or _node_port(ns, name, pname)
        s["spec"]["ports"].append(sp)
    if type_ != "ClusterIP":
        s["spec"]["externalTrafficPolicy"] = "Local" if local else "Cluster"
    if type_ == "LoadBalancer":
        s["spec"]["allocateLoadBalancerNodePorts"] = True
        if local:
            s["spec"]["healthCheckNodePort"] = _node_port(ns, name, "health")
        if source_ranges:
            s["spec"]["loadBalancerSourceRanges"] = source_ranges
        s["status"]["loadBalancer"] = {"ingress": [{"ip": lb_ip, "ipMode": "VIP"}]}


def pdb(ns, name, selector, expected, *, created, min_available=None, max_unavailable=None):
    p = new("policy/v1", "PodDisruptionBudget", name, ns, created=created, generation=1)
    p["spec"] = {"selector": selector} | (
        {"minAvailable": min_available} if min_available is not None else {"maxUnavailable": max_unavailable}
    )
    healthy = min_available if min_available is not None else expected - max_unavailable
    p["status"] = {
        "currentHealthy": expected,
        "desiredHealthy": healthy,
        "disruptionsAllowed": expected - healthy,
        "expectedPods": expected,
        "observedGeneration": 1,
        "conditions": [
            {
                "lastTransitionTime": ts(created + timedelta(seconds=30)),
                "message": "",
                "observedGeneration": 1,
                "reason": "SufficientPods",
                "status": "True",
                "type": "DisruptionAllowed",
            }
        ],
    }


def netpol(ns, name, pod_selector, types, *, created, ingress=None, egress=None):
    n = new("networking.k8s.io/v1", "NetworkPolicy", name, ns, created=created, generation=1)
    n["spec"] = {"podSelector": pod_selector, "policyTypes": types}
    n["spec"] |= ({"ingress": ingress} if ingress else {}) | ({"egress": egress} if egress else {})


# ------------------------------------------------------------------------------------- RBAC --
BOOT = {"kubernetes.io/bootstrapping": "rbac-defaults"}
AUTOUPDATE = {"rbac.authorization.kubernetes.io/autoupdate": "true"}
RBAC = "rbac.authorization.k8s.io/v1"
GLW = "get,list,watch"
CHANGE = "create,delete,deletecollection,patch,update"


def rule(groups, resources, verbs, names=None):
    """rule("apps", "deployments,replicasets", GLW): comma-separated; "" is the core group."""
    r = {"apiGroups": groups.split(","), "resources": resources.split(","), "verbs": verbs.split(",")}
    return r | ({"resourceNames": names.split(",")} if names else {})


def urls(paths, verbs="get"):
    return {"nonResourceURLs": paths.split(","), "verbs": verbs.split(",")}


def subject(kind, name, ns=None):
    return {"kind": kind, "name": name} | (
        {"namespace": ns} if kind == "ServiceAccount" else {"apiGroup": "rbac.authorization.k8s.io"}
    )


def role(name, rules, ns=None, *, created=None, builtin=False, labels=None, aggregation=None):
    r = new(
        RBAC,
        "Role" if ns else "ClusterRole",
        name,
        ns,
        created=created,
        labels=(BOOT if builtin else {}) | (labels or {}),
        annotations=AUTOUPDATE if builtin else None,
    )
    if aggregation:
        r["aggregationRule"] = {
            "clusterRoleSelectors": [{"matchLabels": {f"rbac.authorization.k8s.io/aggregate-to-{aggregation}": "true"}}]
        }
    r["rules"] = rules


def binding(name, role_name, subjects, ns=None, *, role_kind="ClusterRole", created=None, builtin=False, labels=None):
    b = new(
        RBAC,
        "RoleBinding" if ns else "ClusterRoleBinding",
        name,
        ns,
        created=created,
        labels=(BOOT if builtin else {}) | (labels or {}),
        annotations=AUTOUPDATE if builtin else None,
    )
    b["roleRef"] = {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role_name}
    b["subjects"] = subjects


VIEW_RULES = [
    rule("", "configmaps,endpoints,persistentvolumeclaims,pods,replicationcontrollers,serviceaccounts,services", GLW),
    rule("", "bindings,events,limitranges,namespaces/status,pods/log,pods/status,resourcequotas", GLW),
    rule("", "namespaces", GLW),
    rule("apps", "controllerrevisions,daemonsets,deployments,deployments/scale,replicasets,statefulsets", GLW),
    rule("batch", "cronjobs,jobs", GLW),
    rule("networking.k8s.io", "ingresses,networkpolicies", GLW),
    rule("policy", "poddisruptionbudgets", GLW),
    rule("monitoring.coreos.com", "podmonitors,prometheusrules,servicemonitors", GLW),
]  # monitoring-reader
EDIT_RULES = [
    rule("", "pods/attach,pods/exec,pods/portforward,pods/proxy,secrets,services/proxy", GLW),
    rule("", "serviceaccounts", "impersonate"),
    rule("", "pods,pods/attach,pods/exec,pods/portforward,pods/proxy", CHANGE),
    rule(
        "", "configmaps,events,persistentvolumeclaims,replicationcontrollers,secrets,serviceaccounts,services", CHANGE
    ),
    rule("apps", "daemonsets,deployments,replicasets,statefulsets", CHANGE),
    rule("batch", "cronjobs,jobs", CHANGE),
    rule("networking.k8s.io", "ingresses,networkpolicies", CHANGE),
    rule("policy", "poddisruptionbudgets", CHANGE),
] + VIEW_RULES
ADMIN_RULES = [
    rule("authorization.k8s.io", "localsubjectaccessreviews", "create"),
    rule("rbac.authorization.k8s.io", "rolebindings,roles", CHANGE + "," + GLW),
] + EDIT_RULES
EVENTS = rule(",events.k8s.io", "events", "create,patch,update")
HEALTH = "/healthz,/livez,/readyz,/version,/version/"


# ------------------------------------------------------------------------------ the cluster --
def build_nodes():
    """The Nodes of NODES, as the kubelets registered them."""
    for i, (name, ip, ext, cp, kubelet) in enumerate(NODES):
        labels = {
            "beta.kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "kubernetes.io/hostname": name,
            "kubernetes.io/os": "linux",
        }
        if cp:
            labels |= {
                "node-role.kubernetes.io/control-plane": "",
                "node.kubernetes.io/exclude-from-external-load-balancers": "",
            }
        n = new(
            "v1",
            "Node",
            name,
            created=at(minutes=-2 + i * 9),
            labels=labels,
            annotations={
                "kubeadm.alpha.kubernetes.io/cri-socket": "unix:///var/run/containerd/containerd.sock",
                "node.alpha.kubernetes.io/ttl": "0",
                "projectcalico.org/IPv4Address": f"{ip}/24",
                "projectcalico.org/IPv4IPIPTunnelAddr": f"10.244.{i}.1",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
        )
        n["spec"] = {"podCIDR": f"10.244.{i}.0/24", "podCIDRs": [f"10.244.{i}.0/24"]}
        if cp:
            n["spec"]["taints"] = [{"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane"}]
        cpu, mem = ("4", 16363888) if cp else ("8", 32863204)
        cap = {
            "cpu": cpu,
            "ephemeral-storage": "101430960Ki",
            "hugepages-1Gi": "0",
            "hugepages-2Mi": "0",
            "memory": f"{mem}Ki",
            "pods": "110",
        }
        seen = ts(NOW - timedelta(seconds=40 + i))
        n["status"] = {
            "addresses": [{"address": ip, "type": "InternalIP"}]
            + ([{"address": ext, "type": "ExternalIP"}] if ext else [])
            + [{"address": name, "type": "Hostname"}],
            "allocatable": cap | {"ephemeral-storage": "93478772582", "memory": f"{mem - 102400}Ki"},
            "capacity": cap,
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "conditions": [
                {
                    "lastHeartbeatTime": seen,
                    "lastTransitionTime": ts(at(minutes=i * 9)),
                    "message": msg,
                    "reason": reason,
                    "status": st,
                    "type": t,
                }
                for t, st, reason, msg in (
                    ("NetworkUnavailable", "False", "CalicoIsUp", "Calico is running on this node"),
                    (
                        "MemoryPressure",
                        "False",
                        "KubeletHasSufficientMemory",
                        "kubelet has sufficient memory available",
                    ),
                    ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                    ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                    ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
                )
            ],
            "nodeInfo": {
                "architecture": "amd64",
                "bootID": str(uuid.UUID(hexid(32, name, "boot"))),
                "containerRuntimeVersion": "containerd://1.7.22",
                "kernelVersion": "6.8.0-49-generic",
                "kubeProxyVersion": kubelet,
                "kubeletVersion": kubelet,
                "machineID": hexid(32, name, "m"),
                "operatingSystem": "linux",
                "osImage": "Ubuntu 24.04.1 LTS",
                "systemUUID": str(uuid.UUID(hexid(32, name, "system"))),
            },
        }


def build_cluster():
    """Nodes, namespaces and the cluster-scoped objects."""
    build_nodes()

    def psa(level):
        return {
            "pod-security.kubernetes.io/enforce": level,
            "pod-security.kubernetes.io/enforce-version": "latest",
            "pod-security.kubernetes.io/audit": "restricted",
            "pod-security.kubernetes.io/warn": "restricted",
        }

    for name, created, labels in (
        ("default", at(), None),
        ("kube-system", at(), None),
        ("kube-public", at(), None),
        ("kube-node-lease", at(), None),
        ("ingress-nginx", at(hours=3), {"app.kubernetes.io/name": "ingress-nginx"}),
        ("monitoring", at(hours=4), None),
        ("shop", at(days=2), {"team": "shop"}),
        ("batch", at(days=3), {"team": "data"}),
        ("legacy", at(days=4), {"team": "legacy"}),
        ("hardened", at(days=6), {"team": "platform"} | psa("restricted")),
        ("dev", at(days=9), {"team": "dev"} | psa("baseline")),
        ("kyverno", at(days=20), None),
    ):
        namespace(name, created, labels, automount_default=False if name == "hardened" else None)

    for name, value, desc in (
        (
            "system-node-critical",
            2000001000,
            "Used for system critical pods that must not be moved from their current node.",
        ),
        (
            "system-cluster-critical",
            2000000000,
            "Used for system critical pods that must run in the cluster, but "
            "can be moved to another node if necessary.",
        ),
    ):
        new("scheduling.k8s.io/v1", "PriorityClass", name).update(
            description=desc, preemptionPolicy="PreemptLowerPriority", value=value
        )
    new(
        "storage.k8s.io/v1",
        "StorageClass",
        "local-storage",
        created=at(hours=4),
        annotations={"storageclass.kubernetes.io/is-default-class": "true"},
    ).update(
        provisioner="kubernetes.io/no-provisioner", reclaimPolicy="Retain", volumeBindingMode="WaitForFirstConsumer"
    )
    nginx_labels = helm("ingress-nginx", "ingress-nginx-4.11.3", "ingress-nginx")[0]
    new("networking.k8s.io/v1", "IngressClass", "nginx", created=at(hours=3), labels=nginx_labels)["spec"] = {
        "controller": "k8s.io/ingress-nginx"
    }
    new(
        "admissionregistration.k8s.io/v1",
        "ValidatingWebhookConfiguration",
        "ingress-nginx-admission",
        created=at(hours=3),
        labels=nginx_labels,
    )["webhooks"] = [
        {
            "admissionReviewVersions": ["v1"],
            "failurePolicy": "Fail",
            "matchPolicy": "Equivalent",
            "name": "validate.nginx.ingress.kubernetes.io",
            "namespaceSelector": {},
            "objectSelector": {},
            "sideEffects": "None",
            "timeoutSeconds": 10,
            "clientConfig": {
                "caBundle": fake_b64("webhook-ca", 96),
                "service": {
                    "name": "ingress-nginx-controller-admission",
                    "namespace": "ingress-nginx",
                    "path": "/networking/v1/ingresses",
                    "port": 443,
                },
            },
            "rules": [
                {
                    "apiGroups": ["networking.k8s.io"],
                    "apiVersions": ["v1"],
                    "operations": ["CREATE", "UPDATE"],
                    "resources": ["ingresses"],
                    "scope": "*",
                }
            ],
        }
    ]
    for plural, kind, scope in (
        ("certificates", "Certificate", "Namespaced"),
        ("clusterissuers", "ClusterIssuer", "Cluster"),
    ):
        crd = new(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            f"{plural}.cert-manager.io",
            created=at(days=1, hours=2),
            generation=1,
            labels={"app.kubernetes.io/name": "cert-manager", "app.kubernetes.io/version": "v1.16.1"},
        )
        names = {
            "categories": ["cert-manager"],
            "kind": kind,
            "listKind": kind + "List",
            "plural": plural,
            "singular": kind.lower(),
        }
        open_object = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
        crd["spec"] = {
            "conversion": {"strategy": "None"},
            "group": "cert-manager.io",
            "names": names,
            "scope": scope,
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {"spec": open_object, "status": open_object},
                        }
                    },
                }
            ],
        }
        crd["status"] = {
            "acceptedNames": names,
            "storedVersions": ["v1"],
            "conditions": [
                {
                    "lastTransitionTime": ts(at(days=1, hours=2)),
                    "message": msg,
                    "reason": reason,
                    "status": "True",
                    "type": t,
                }
                for t, reason, msg in (
                    ("NamesAccepted", "NoConflicts", "no conflicts found"),
                    ("Established", "InitialNamesAccepted", "the initial names have been accepted"),
                )
            ],
        }

    builtin_rbac()
    _cluster_rbac(nginx_labels)


def builtin_rbac():
    """The built-in ClusterRoles and bindings every cluster has (and kubeadm's bootstrap roles)."""
    role("cluster-admin", [rule("*", "*", "*"), urls("*", "*")], builtin=True)
    role("admin", ADMIN_RULES, builtin=True, aggregation="admin")
    role(
        "edit",
        EDIT_RULES,
        builtin=True,
        aggregation="edit",
        labels={"rbac.authorization.k8s.io/aggregate-to-admin": "true"},
    )
    role(
        "view",
        VIEW_RULES,
        builtin=True,
        aggregation="view",
        labels={"rbac.authorization.k8s.io/aggregate-to-edit": "true"},
    )
    role(
        "monitoring-reader",
        VIEW_RULES[-1:],
        created=at(hours=4),
        labels={"rbac.authorization.k8s.io/aggregate-to-view": "true"},
    )
    role("system:discovery", [urls("/api,/api/*,/apis,/apis/*,/openapi,/openapi/*," + HEALTH)], builtin=True)
    role("system:public-info-viewer", [urls(HEALTH)], builtin=True)
    role(
        "system:basic-user",
        [
            rule("authorization.k8s.io", "selfsubjectaccessreviews,selfsubjectrulesreviews", "create"),
            rule("authentication.k8s.io", "selfsubjectreviews", "create"),
        ],
        builtin=True,
    )
    role(
        "system:node-proxier",
        [
            rule("", "endpoints,services", "list,watch"),
            rule("", "nodes", GLW),
            EVENTS,
            rule("discovery.k8s.io", "endpointslices", "list,watch"),
        ],
        builtin=True,
    )
    for ctl, rules in {
        "clusterrole-aggregation-controller": [
            rule("rbac.authorization.k8s.io", "clusterroles", "escalate,get,list,patch,update,watch")
        ],
        "deployment-controller": [
            rule("apps", "deployments", "get,list,update,watch"),
            rule("apps", "replicasets", "create,delete,get,list,patch,update,watch"),
            rule("", "pods", "get,list,update,watch"),
            EVENTS,
        ],
        "generic-garbage-collector": [rule("*", "*", "delete,get,list,patch,update,watch"), EVENTS],
        "namespace-controller": [
            rule("", "namespaces", "delete,get,list,watch"),
            rule("", "namespaces/finalize,namespaces/status", "update"),
            rule("*", "*", "delete,deletecollection,get,list"),
        ],
        "replicaset-controller": [
            rule("apps", "replicasets", "get,list,update,watch"),
            rule("", "pods", "create,delete,list,patch,watch"),
            EVENTS,
        ],
    }.items():
        role(f"system:controller:{ctl}", rules, builtin=True)
        binding(
            f"system:controller:{ctl}",
            f"system:controller:{ctl}",
            [subject("ServiceAccount", ctl, "kube-system")],
            builtin=True,
        )
    binding("cluster-admin", "cluster-admin", [subject("Group", "system:masters")], builtin=True)
    for name in ("system:discovery", "system:basic-user"):
        binding(name, name, [subject("Group", "system:authenticated")], builtin=True)
    binding(
        "system:public-info-viewer",
        "system:public-info-viewer",
        [subject("Group", "system:authenticated"), subject("Group", "system:unauthenticated")],
        builtin=True,
    )
    role("kubeadm:get-nodes", [rule("", "nodes", "get")])
    binding(
        "kubeadm:get-nodes", "kubeadm:get-nodes", [subject("Group", "system:bootstrappers:kubeadm:default-node-token")]
    )


def _cluster_rbac(nginx_labels):
    """The add-ons' and the teams' cluster-wide RBAC, the deliberate misconfigurations included."""
    binding("kubeadm:node-proxier", "system:node-proxier", [subject("ServiceAccount", "kube-proxy", "kube-system")])
    for name, rules in (
        (
            "system:coredns",
            [
                rule("", "endpoints,services,pods,namespaces", "list,watch"),
                rule("discovery.k8s.io", "endpointslices", "list,watch"),
            ],
        ),
        (
            "calico-node",
            [
                rule("", "pods,nodes,namespaces", "get"),
                rule("", "endpoints,services", GLW),
                rule("", "nodes/status", "patch,update"),
                rule(
                    "crd.projectcalico.org",
                    "ippools,ipamblocks,blockaffinities,felixconfigurations,bgpconfigurations",
                    GLW + ",create,update",
                ),
            ],
        ),
        (
            "calico-kube-controllers",
            [
                rule("", "nodes,pods", GLW),
                rule("crd.projectcalico.org", "ipamblocks,blockaffinities", GLW + ",create,update,delete"),
            ],
        ),
        ("system:metrics-server", [rule("", "nodes/metrics", "get"), rule("", "pods,nodes", GLW)]),
    ):
        role(name, rules, created=at(minutes=20))
        binding(name, name, [subject("ServiceAccount", name.split(":")[-1], "kube-system")], created=at(minutes=20))

    # Added by the teams: legitimate, read-mostly
    for name, sa_ns, rules, labels in (
        (
            "ingress-nginx",
            "ingress-nginx",
            [
                rule("", "configmaps,endpoints,nodes,pods,secrets,namespaces", "list,watch"),
                rule("", "nodes", "get"),
                rule("", "services", GLW),
                rule("networking.k8s.io", "ingresses,ingressclasses", GLW),
                rule("networking.k8s.io", "ingresses/status", "update"),
                rule("discovery.k8s.io", "endpointslices", GLW),
                rule("", "events", "create,patch"),
            ],
            nginx_labels,
        ),
        (
            "ingress-nginx-admission",
            "ingress-nginx",
            [rule("admissionregistration.k8s.io", "validatingwebhookconfigurations", "get,update")],
            nginx_labels,
        ),
        (
            "prometheus",
            "monitoring",
            [
                rule("", "nodes,nodes/metrics,services,endpoints,pods", GLW),
                rule("networking.k8s.io", "ingresses", GLW),
                urls("/metrics,/metrics/cadvisor"),
            ],
            None,
        ),
        (
            "kube-state-metrics",
            "monitoring",
            [
                rule(
                    "",
                    "configmaps,nodes,pods,services,namespaces,persistentvolumeclaims,persistentvolumes",
                    "list,watch",
                ),
                rule("apps", "daemonsets,deployments,replicasets,statefulsets", "list,watch"),
                rule("batch", "cronjobs,jobs", "list,watch"),
            ],
            None,
        ),
    ):
        created = at(hours=3 if sa_ns == "ingress-nginx" else 4)
        role(name, rules, created=created, labels=labels)
        binding(name, name, [subject("ServiceAccount", name, sa_ns)], created=created, labels=labels)

    # Deliberate misconfigurations
    binding("ci-deployer-admin", "cluster-admin", [subject("User", "ci-deployer")], created=at(days=2, hours=1))
    role("secret-reader", [rule("", "secrets", GLW)], created=at(days=5))
    binding(
        "grafana-secret-reader",
        "secret-reader",
        [subject("ServiceAccount", "grafana", "monitoring")],
        created=at(days=5),
    )
    role(
        "oncall-debugger",
        [
            rule("", "pods,pods/log", GLW),
            rule("", "pods/exec,pods/attach", "create"),
            rule("", "users,groups,serviceaccounts", "impersonate"),
        ],
        created=at(days=12),
    )
    binding("oncall-debugger", "oncall-debugger", [subject("Group", "oncall")], created=at(days=12))
    binding("anonymous-view", "view", [subject("Group", "system:unauthenticated")], created=at(days=15))

    # Chains for the attack graph, granted the morning of the capture (each looks routine on its own)
    today = at(days=51, minutes=50)
    # The storefront (behind the Ingress) starts order exports as pods in `batch`, which enforces no Pod
    # Security level: its token can start a privileged pod on any node, where promtail's token waits.
    role(
        "export-runner",
        [rule("", "pods", "create,delete,get,list,watch"), rule("batch", "jobs", "create,delete,get,list,watch")],
        "batch",
        created=today,
    )
    binding(
        "shop-export-runner",
        "export-runner",
        [subject("ServiceAccount", "default", "shop")],
        "batch",
        role_kind="Role",
        created=today,
    )
    # promtail's chart role: nodes/proxy reaches every kubelet's exec API
    role("promtail", [rule("", "nodes,nodes/proxy,services,endpoints,pods", GLW)], created=today)
    binding("promtail", "promtail", [subject("ServiceAccount", "promtail", "monitoring")], created=today)
    # The CI system deploys "as" each team; impersonating groups includes system:masters
    role("ci-impersonator", [rule("", "users,groups,serviceaccounts", "impersonate")], created=today)
    binding("ci-impersonator", "ci-impersonator", [subject("User", "gitlab-ci")], created=today)
    # Team leads hand out roles in their namespaces: bind on any ClusterRole (cluster-admin included)
    role(
        "rolebinding-manager",
        [
            rule("rbac.authorization.k8s.io", "rolebindings", "create,delete,get,list,update"),
            rule("rbac.authorization.k8s.io", "clusterroles", "bind"),
        ],
        created=today,
    )
    binding("team-leads-rolebinding-manager", "rolebinding-manager", [subject("Group", "team-leads")], created=today)


PKI = [
    ("ca-certs", "/etc/ssl/certs"),
    ("etc-ca-certificates", "/etc/ca-certificates"),
    ("k8s-certs", "/etc/kubernetes/pki"),
    ("usr-share-ca-certificates", "/usr/share/ca-certificates"),
]


def static_pod(
    component, command, version, mounts, port_, host="127.0.0.1", scheme="HTTPS", cpu="100m", annotations=None
):
    """A control-plane static pod as its mirror pod appears in the API (owned by the Node)."""
    path = "/livez" if component == "kube-apiserver" else "/healthz"
    read_only = (True,) if component != "etcd" else ()  # etcd writes its data directory
    c = container(
        component,
        f"registry.k8s.io/{component}:{version}",
        command=command,
        resources={"requests": {"cpu": cpu}},
        mounts=[(n, p, *read_only) for n, p, *_ in mounts],
        liveness=http_probe(path, port_, scheme, 10, 10, 15, 8, host),
        startup=http_probe(path, port_, scheme, 10, 10, 15, 24, host),
    )
    if component == "kube-apiserver":
        c["readinessProbe"] = http_probe("/readyz", port_, scheme, None, 1, 15, 3, host)
    spec = pod_spec(
        [c],
        host_network=True,
        priority_class="system-node-critical",
        sc=RUNTIME_DEFAULT,
        volumes=[host_path(n, p, t[0] if t else "DirectoryOrCreate") for n, p, *t in mounts],
    )
    spec["dnsPolicy"] = "ClusterFirst"
    hash_ = hexid(32, component, "manifest")
    node = next(o for o in FILES["cluster"] if o["kind"] == "Node" and o["metadata"]["name"] == CP)
    pod(
        "kube-system",
        f"{component}-{CP}",
        template(
            {"component": component, "tier": "control-plane"},
            spec,
            {
                "kubernetes.io/config.hash": hash_,
                "kubernetes.io/config.mirror": hash_,
                "kubernetes.io/config.seen": "2026-01-12T09:13:41.274514377Z",
                "kubernetes.io/config.source": "file",
            }
            | (annotations or {}),
        ),
        CP,
        at(minutes=1),
        owner=node,
        static=True,
    )


KUBE_SYSTEM_SAS = """attachdetach-controller bootstrap-signer certificate-controller clusterrole-aggregation-controller
    coredns cronjob-controller daemon-set-controller deployment-controller disruption-controller endpoint-controller
    endpointslice-controller endpointslicemirroring-controller ephemeral-volume-controller expand-controller
    generic-garbage-collector horizontal-pod-autoscaler job-controller kube-proxy legacy-service-account-token-cleaner
    namespace-controller node-controller persistent-volume-binder pod-garbage-collector pv-protection-controller
    pvc-protection-controller replicaset-controller replication-controller resourcequota-controller
    root-ca-cert-publisher service-account-controller service-controller statefulset-controller token-cleaner
    ttl-after-finished-controller ttl-controller validatingadmissionpolicy-status-controller"""


def build_kube_system():
    ns, ip, pki = "kube-system", HOST_IP[CP], "/etc/kubernetes/pki"
    static_pod(
        "kube-apiserver",
        flags(
            """kube-apiserver --advertise-address={ip} --allow-privileged=true
        --anonymous-auth=true --authorization-mode=Node,RBAC --client-ca-file={pki}/ca.crt
        --enable-admission-plugins=NodeRestriction --enable-bootstrap-token-auth=true --etcd-cafile={pki}/etcd/ca.crt
        --etcd-certfile={pki}/apiserver-etcd-client.crt --etcd-keyfile={pki}/apiserver-etcd-client.key
        --etcd-servers=https://127.0.0.1:2379 --kubelet-client-certificate={pki}/apiserver-kubelet-client.crt
        --kubelet-client-key={pki}/apiserver-kubelet-client.key
        --kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname
        --proxy-client-cert-file={pki}/front-proxy-client.crt --proxy-client-key-file={pki}/front-proxy-client.key
        --requestheader-allowed-names=front-proxy-client --requestheader-client-ca-file={pki}/front-proxy-ca.crt
        --requestheader-extra-headers-prefix=X-Remote-Extra- --requestheader-group-headers=X-Remote-Group
        --requestheader-username-headers=X-Remote-User --secure-port=6443
        --service-account-issuer=https://kubernetes.default.svc.cluster.local --service-account-key-file={pki}/sa.pub
        --service-account-signing-key-file={pki}/sa.key --service-cluster-ip-range=10.96.0.0/12
        --tls-cert-file={pki}/apiserver.crt --tls-private-key-file={pki}/apiserver.key
        --token-auth-file=/etc/kubernetes/tokens.csv""",
            ip=ip,
            pki=pki,
        ),
        K8S,
        PKI + [("token-auth", "/etc/kubernetes/tokens.csv", "File")],
        6443,
        ip,
        cpu="250m",
        annotations={"kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint": f"{ip}:6443"},
    )
    static_pod(
        "etcd",
        flags(
            """etcd --advertise-client-urls=https://{ip}:2379 --cert-file={pki}/etcd/server.crt
        --client-cert-auth=true --data-dir=/var/lib/etcd --experimental-initial-corrupt-check=true
        --initial-advertise-peer-urls=https://{ip}:2380 --initial-cluster={cp}=https://{ip}:2380
        --key-file={pki}/etcd/server.key --listen-client-urls=https://127.0.0.1:2379,https://{ip}:2379
        --listen-metrics-urls=http://127.0.0.1:2381 --listen-peer-urls=https://{ip}:2380 --name={cp}
        --peer-cert-file={pki}/etcd/peer.crt --peer-client-cert-auth=true --peer-key-file={pki}/etcd/peer.key
        --peer-trusted-ca-file={pki}/etcd/ca.crt --snapshot-count=10000 --trusted-ca-file={pki}/etcd/ca.crt""",
            ip=ip,
            pki=pki,
            cp=CP,
        ),
        "3.5.15-0",
        [("etcd-certs", f"{pki}/etcd"), ("etcd-data", "/var/lib/etcd")],
        2381,
        scheme="HTTP",
        annotations={"kubeadm.kubernetes.io/etcd.advertise-client-urls": f"https://{ip}:2379"},
    )
    static_pod(
        "kube-controller-manager",
        flags(
            """kube-controller-manager --allocate-node-cidrs=true
        --authentication-kubeconfig={conf} --authorization-kubeconfig={conf} --bind-address=127.0.0.1
        --client-ca-file={pki}/ca.crt --cluster-cidr=10.244.0.0/16 --cluster-name={cluster}
        --cluster-signing-cert-file={pki}/ca.crt --cluster-signing-key-file={pki}/ca.key
        --controllers=*,bootstrapsigner,tokencleaner --kubeconfig={conf} --leader-elect=true
        --requestheader-client-ca-file={pki}/front-proxy-ca.crt --root-ca-file={pki}/ca.crt
        --service-account-private-key-file={pki}/sa.key --service-cluster-ip-range=10.96.0.0/12
        --use-service-account-credentials=true""",
            conf="/etc/kubernetes/controller-manager.conf",
            pki=pki,
            cluster=CLUSTER,
        ),
        K8S,
        PKI + [("kubeconfig", "/etc/kubernetes/controller-manager.conf", "FileOrCreate")],
        10257,
        cpu="200m",
    )
    static_pod(
        "kube-scheduler",
        flags(
            """kube-scheduler --authentication-kubeconfig={conf}
        --authorization-kubeconfig={conf} --bind-address=127.0.0.1 --kubeconfig={conf} --leader-elect=true""",
            conf="/etc/kubernetes/scheduler.conf",
        ),
        K8S,
        [("kubeconfig", "/etc/kubernetes/scheduler.conf", "FileOrCreate")],
        10259,
    )
    for sa in KUBE_SYSTEM_SAS.split():
        service_account(ns, sa, created=at(minutes=1))
    for sa in ("calico-node", "calico-kube-controllers", "calico-cni-plugin", "metrics-server"):
        service_account(ns, sa, created=at(minutes=20))
    configmap(
        ns,
        "kubeadm-config",
        {
            "ClusterConfiguration": f"""\
apiServer:
  extraArgs:
  - name: anonymous-auth
    value: "true"
  - name: token-auth-file
    value: /etc/kubernetes/tokens.csv
  extraVolumes:
  - hostPath: /etc/kubernetes/tokens.csv
    mountPath: /etc/kubernetes/tokens.csv
    name: token-auth
    pathType: File
    readOnly: true
apiVersion: kubeadm.k8s.io/v1beta4
certificatesDir: {pki}
clusterName: {CLUSTER}
controlPlaneEndpoint: {ip}:6443
etcd:
  local:
    dataDir: /var/lib/etcd
kind: ClusterConfiguration
kubernetesVersion: {K8S}
networking:
  dnsDomain: cluster.local
  podSubnet: 10.244.0.0/16
  serviceSubnet: 10.96.0.0/12
"""
        },
        created=at(minutes=1),
    )
    configmap(
        ns,
        "coredns",
        {
            "Corefile": """\
.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
"""
        },
        created=at(minutes=1),
    )
    configmap(
        ns,
        "kube-proxy",
        {
            "config.conf": "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nbindAddress: 0.0.0.0\n"
            "clusterCIDR: 10.244.0.0/16\nkind: KubeProxyConfiguration\nmode: iptables\n"
        },
        created=at(minutes=1),
        labels={"app": "kube-proxy"},
    )
    configmap(ns, "calico-config", {"calico_backend": "bird", "veth_mtu": "0"}, created=at(minutes=20))

    critical = [
        {"key": "CriticalAddonsOnly", "operator": "Exists"},
        {"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane"},
    ]
    linux = {"kubernetes.io/os": "linux"}
    dns = {"k8s-app": "kube-dns"}
    deployment(
        ns,
        "coredns",
        template(
            dns,
            pod_spec(
                [
                    container(
                        "coredns",
                        "registry.k8s.io/coredns/coredns:v1.11.3",
                        args=["-conf", "/etc/coredns/Corefile"],
                        ports=[port(53, "dns", proto="UDP"), port(53, "dns-tcp"), port(9153, "metrics")],
                        resources=res("100m", "70Mi", lmem="170Mi"),
                        mounts=[("config-volume", "/etc/coredns", True)],
                        readiness=http_probe("/ready", 8181),
                        liveness=http_probe("/health", 8080, initial=60, timeout=5, failure=5),
                        sc={
                            "allowPrivilegeEscalation": False,
                            "readOnlyRootFilesystem": True,
                            "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]},
                        },
                    )
                ],
                sa="coredns",
                priority_class="system-cluster-critical",
                dnsPolicy="Default",
                node_selector=linux,
                sc=RUNTIME_DEFAULT,
                tolerations=critical,
                volumes=[
                    {
                        "name": "config-volume",
                        "configMap": {
                            "defaultMode": 420,
                            "name": "coredns",
                            "items": [{"key": "Corefile", "path": "Corefile"}],
                        },
                    }
                ],
            ),
        ),
        2,
        created=at(minutes=1),
        sel=dns,
        nodes=[CP, "worker-02"],
        strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}},
    )
    service(
        ns,
        "kube-dns",
        (("dns", 53, 53, "UDP"), ("dns-tcp", 53, 53), ("metrics", 9153, 9153)),
        created=at(minutes=1),
        selector=dns,
        cluster_ip="10.96.0.10",
        labels=dns | {"kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS"},
        annotations={"prometheus.io/port": "9153", "prometheus.io/scrape": "true"},
    )
    daemonset(
        ns,
        "kube-proxy",
        template(
            {"k8s-app": "kube-proxy"},
            pod_spec(
                [
                    container(
                        "kube-proxy",
                        f"registry.k8s.io/kube-proxy:{K8S}",
                        command=[
                            "/usr/local/bin/kube-proxy",
                            "--config=/var/lib/kube-proxy/config.conf",
                            "--hostname-override=$(NODE_NAME)",
                        ],
                        env_=[env_ref("NODE_NAME", "field", "spec.nodeName")],
                        sc={"privileged": True},
                        mounts=[
                            ("kube-proxy", "/var/lib/kube-proxy"),
                            ("xtables-lock", "/run/xtables.lock"),
                            ("lib-modules", "/lib/modules", True),
                        ],
                    )
                ],
                sa="kube-proxy",
                host_network=True,
                priority_class="system-node-critical",
                node_selector=linux,
                tolerations=[{"operator": "Exists"}],
                volumes=[
                    {"name": "kube-proxy", "configMap": {"defaultMode": 420, "name": "kube-proxy"}},
                    host_path("xtables-lock", "/run/xtables.lock", "FileOrCreate"),
                    host_path("lib-modules", "/lib/modules"),
                ],
            ),
        ),
        created=at(minutes=1),
        sel={"k8s-app": "kube-proxy"},
    )
    calico_paths = [
        ("lib-modules", "/lib/modules"),
        ("var-run-calico", "/var/run/calico"),
        ("var-lib-calico", "/var/lib/calico"),
        ("xtables-lock", "/run/xtables.lock"),
        ("sys-fs", "/sys/fs/"),
        ("bpffs", "/sys/fs/bpf"),
        ("nodeproc", "/proc"),
        ("cni-bin-dir", "/opt/cni/bin"),
        ("cni-net-dir", "/etc/cni/net.d"),
        ("cni-log-dir", "/var/log/calico/cni"),
    ]
    cni_env = [
        env("DATASTORE_TYPE", "kubernetes"),
        env_ref("NODENAME", "field", "spec.nodeName"),
        env_ref("CALICO_NETWORKING_BACKEND", "configMap", "calico-config", "calico_backend"),
    ]
    daemonset(
        ns,
        "calico-node",
        template(
            {"k8s-app": "calico-node"},
            pod_spec(
                [
                    container(
                        "calico-node",
                        "docker.io/calico/node:v3.28.2",
                        env_=cni_env
                        + [
                            env("CLUSTER_TYPE", "k8s,bgp"),
                            env("IP", "autodetect"),
                            env("CALICO_IPV4POOL_IPIP", "Always"),
                            env("CALICO_IPV4POOL_CIDR", "10.244.0.0/16"),
                            env("FELIX_DEFAULTENDPOINTTOHOSTACTION", "ACCEPT"),
                            env("FELIX_IPV6SUPPORT", "false"),
                            env("FELIX_HEALTHENABLED", "true"),
                        ],
                        sc={"privileged": True, "capabilities": {"add": ["NET_ADMIN"]}},
                        resources={"requests": {"cpu": "250m"}},
                        readiness=exec_probe(["/bin/calico-node", "-felix-ready", "-bird-ready"], timeout=10),
                        liveness=exec_probe(["/bin/calico-node", "-felix-live", "-bird-live"], timeout=10),
                        mounts=[m for m in calico_paths if not m[0].startswith("cni-")],
                    )
                ],
                init=[
                    container(
                        "install-cni",
                        "docker.io/calico/cni:v3.28.2",
                        command=["/opt/cni/bin/install"],
                        env_=cni_env + [env("CNI_CONF_NAME", "10-calico.conflist")],
                        sc={"privileged": True},
                        mounts=[("cni-bin-dir", "/host/opt/cni/bin"), ("cni-net-dir", "/host/etc/cni/net.d")],
                    )
                ],
                sa="calico-node",
                host_network=True,
                priority_class="system-node-critical",
                grace=0,
                node_selector=linux,
                tolerations=[
                    {"effect": "NoSchedule", "operator": "Exists"},
                    critical[0],
                    {"effect": "NoExecute", "operator": "Exists"},
                ],
                volumes=[host_path(n, p) for n, p in calico_paths],
            ),
        ),
        created=at(minutes=20),
        sel={"k8s-app": "calico-node"},
    )
    kc = {"k8s-app": "calico-kube-controllers"}
    deployment(
        ns,
        "calico-kube-controllers",
        template(
            kc,
            pod_spec(
                [
                    container(
                        "calico-kube-controllers",
                        "docker.io/calico/kube-controllers:v3.28.2",
                        env_=[env("ENABLED_CONTROLLERS", "node"), env("DATASTORE_TYPE", "kubernetes")],
                        readiness=exec_probe(["/usr/bin/check-status", "-r"]),
                        sc={"runAsNonRoot": True, "runAsUser": 999},
                    )
                ],
                sa="calico-kube-controllers",
                priority_class="system-cluster-critical",
                node_selector=linux,
                tolerations=critical,
            ),
        ),
        1,
        created=at(minutes=20),
        sel=kc,
        strategy={"type": "Recreate"},
    )
    ms = {"k8s-app": "metrics-server"}
    deployment(
        ns,
        "metrics-server",
        template(
            ms,
            pod_spec(
                [
                    container(
                        "metrics-server",
                        "registry.k8s.io/metrics-server/metrics-server:v0.7.2",
                        args=[
                            "--cert-dir=/tmp",
                            "--secure-port=10250",
                            "--kubelet-use-node-status-port",
                            "--metric-resolution=15s",
                            "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
                        ],
                        ports=[port(10250, "https")],
                        resources=res("100m", "200Mi"),
                        mounts=[("tmp-dir", "/tmp")],
                        readiness=http_probe("/readyz", "https", "HTTPS", 20),
                        liveness=http_probe("/livez", "https", "HTTPS"),
                        sc=hardened_sc(1000) | {"runAsNonRoot": True} | RUNTIME_DEFAULT,
                    )
                ],
                sa="metrics-server",
                priority_class="system-cluster-critical",
                node_selector=linux,
                volumes=[{"name": "tmp-dir", "emptyDir": {}}],
            ),
        ),
        1,
        created=at(minutes=25),
        sel=ms,
        strategy=SAFE_ROLLOUT,
    )
    service(ns, "metrics-server", (("https", 443, "https"),), created=at(minutes=25), selector=ms, labels=ms)

    bootstrappers = subject("Group", "system:bootstrappers:kubeadm:default-node-token")
    for name, cm, subjects in (
        ("kubeadm:kubelet-config", "kubelet-config", [subject("Group", "system:nodes"), bootstrappers]),
        ("kube-proxy", "kube-proxy", [bootstrappers]),
    ):
        role(name, [rule("", "configmaps", "get", cm)], ns, created=at(minutes=1))
        binding(name, name, subjects, ns, role_kind="Role", created=at(minutes=1))
    role(
        "extension-apiserver-authentication-reader",
        [rule("", "configmaps", GLW, "extension-apiserver-authentication")],
        ns,
        builtin=True,
    )
    binding(
        "metrics-server-auth-reader",
        "extension-apiserver-authentication-reader",
        [subject("ServiceAccount", "metrics-server", ns)],
        ns,
        role_kind="Role",
        created=at(minutes=25),
    )
    # kube-public and default, as kubeadm leaves them
    configmap(
        "kube-public",
        "cluster-info",
        {
            "kubeconfig": f"""\
apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: {fake_b64("cluster-ca", 96)}
    server: https://{ip}:6443
  name: ""
contexts: null
current-context: ""
kind: Config
preferences: {{}}
users: null
"""
        },
        created=at(minutes=1),
    )
    role(
        "kubeadm:bootstrap-signer-clusterinfo",
        [rule("", "configmaps", "get", "cluster-info")],
        "kube-public",
        created=at(minutes=1),
    )
    binding(
        "kubeadm:bootstrap-signer-clusterinfo",
        "kubeadm:bootstrap-signer-clusterinfo",
        [subject("User", "system:anonymous")],
        "kube-public",
        role_kind="Role",
        created=at(minutes=1),
    )
    service(
        "default",
        "kubernetes",
        (("https", 443, 6443),),
        created=at(),
        selector={},
        cluster_ip="10.96.0.1",
        labels={"component": "apiserver", "provider": "kubernetes"},
    )


# --------------------------------------------------------------------------- the namespaces --
def build_ingress_nginx():
    ns, created = "ingress-nginx", at(hours=3)
    labels, ann = helm("ingress-nginx", "ingress-nginx-4.11.3", ns)
    sel = {
        "app.kubernetes.io/component": "controller",
        "app.kubernetes.io/instance": "ingress-nginx",
        "app.kubernetes.io/name": "ingress-nginx",
    }
    service_account(ns, "ingress-nginx", created=created, automount=True, labels=labels, annotations=ann)
    service_account(ns, "ingress-nginx-admission", created=created, labels=labels, annotations=ann)
    secret(ns, "ingress-nginx-admission", created=created)
    secret(
        ns,
        "sh.helm.release.v1.ingress-nginx.v1",
        "helm.sh/release.v1",
        created=created,
        labels={"name": "ingress-nginx", "owner": "helm", "status": "deployed", "version": "1"},
    )
    configmap(
        ns,
        "ingress-nginx-controller",
        {"allow-snippet-annotations": "false"},
        created=created,
        labels=labels,
        annotations=ann,
    )
    for name, rules in (
        (
            "ingress-nginx",
            [
                rule("", "namespaces", "get"),
                rule("", "configmaps,pods,secrets,endpoints", GLW),
                rule("coordination.k8s.io", "leases", "get,update", "ingress-nginx-leader"),
                rule("coordination.k8s.io", "leases", "create"),
            ],
        ),
        ("ingress-nginx-admission", [rule("", "secrets", "get,create")]),
    ):
        role(name, rules, ns, created=created, labels=labels)
        binding(name, name, [subject("ServiceAccount", name, ns)], ns, role_kind="Role", created=created, labels=labels)
    deployment(
        ns,
        "ingress-nginx-controller",
        template(
            sel | {"app.kubernetes.io/version": "1.11.3"},
            pod_spec(
                [
                    container(
                        "controller",
                        "registry.k8s.io/ingress-nginx/controller:v1.11.3",
                        args=flags(
                            """/nginx-ingress-controller --publish-service=$(POD_NAMESPACE)/ingress-nginx-controller
            --election-id=ingress-nginx-leader --controller-class=k8s.io/ingress-nginx --ingress-class=nginx
            --configmap=$(POD_NAMESPACE)/ingress-nginx-controller --validating-webhook=:8443
            --validating-webhook-certificate=/usr/local/certificates/cert
            --validating-webhook-key=/usr/local/certificates/key"""
                        ),
                        env_=[
                            env_ref("POD_NAME", "field", "metadata.name"),
                            env_ref("POD_NAMESPACE", "field", "metadata.namespace"),
                            env("LD_PRELOAD", "/usr/local/lib/libmimalloc.so"),
                        ],
                        ports=[port(80, "http"), port(443, "https"), port(8443, "webhook")],
                        readiness=http_probe("/healthz", 10254),
                        liveness=http_probe("/healthz", 10254, initial=10, failure=5),
                        resources=res("100m", "90Mi"),
                        mounts=[("webhook-cert", "/usr/local/certificates/", True)],
                        lifecycle={"preStop": {"exec": {"command": ["/wait-shutdown"]}}},
                        sc={
                            "allowPrivilegeEscalation": True,
                            "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]},
                            "readOnlyRootFilesystem": False,
                            "runAsNonRoot": True,
                            "runAsUser": 101,
                        }
                        | RUNTIME_DEFAULT,
                    )
                ],
                sa="ingress-nginx",
                node_selector={"kubernetes.io/os": "linux"},
                grace=300,
                volumes=[
                    {"name": "webhook-cert", "secret": {"defaultMode": 420, "secretName": "ingress-nginx-admission"}}
                ],
            ),
        ),
        3,
        created=created,
        sel=sel,
        labels=labels | sel,
        annotations=ann,
    )
    service(
        ns,
        "ingress-nginx-controller",
        (("http", 80, "http"), ("https", 443, "https")),
        created=created,
        selector=sel,
        type_="LoadBalancer",
        lb_ip="203.0.113.10",
        local=True,
        annotations=ann,
        labels=labels | {"app.kubernetes.io/component": "controller"},
    )
    service(
        ns,
        "ingress-nginx-controller-admission",
        (("https-webhook", 443, "webhook"),),
        created=created,
        selector=sel,
        labels=labels,
        annotations=ann,
    )
    jl = {"app.kubernetes.io/component": "admission-webhook", "app.kubernetes.io/name": "ingress-nginx"}
    for step, args, offset in (
        (
            "create",
            "create --host=ingress-nginx-controller-admission,ingress-nginx-controller-admission."
            "$(POD_NAMESPACE).svc --namespace=$(POD_NAMESPACE) --secret-name=ingress-nginx-admission",
            10,
        ),
        (
            "patch",
            "patch --webhook-name=ingress-nginx-admission --namespace=$(POD_NAMESPACE) "
            "--patch-mutating=false --secret-name=ingress-nginx-admission --patch-failure-policy=Fail",
            70,
        ),
    ):
        job(
            ns,
            f"ingress-nginx-admission-{step}",
            template(
                jl,
                pod_spec(
                    [
                        container(
                            step,
                            "registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.4.4",
                            args=args.split(),
                            env_=[env_ref("POD_NAMESPACE", "field", "metadata.namespace")],
                            sc=hardened_sc(65532) | RUNTIME_DEFAULT,
                        )
                    ],
                    sa="ingress-nginx-admission",
                    restart="OnFailure",
                    sc={"runAsNonRoot": True},
                ),
            ),
            created=created + timedelta(seconds=offset),
            labels=labels | jl,
        )


def build_monitoring():
    ns, created = "monitoring", at(hours=4)
    for sa in ("prometheus", "alertmanager", "node-exporter", "promtail", "kube-state-metrics", "grafana"):
        service_account(ns, sa, created=created, automount=False if sa == "node-exporter" else None)
    glabels, gann = helm("grafana", "grafana-8.5.2", ns)
    secret(ns, "grafana", created=created, labels=glabels, annotations=gann)
    secret(
        ns,
        "sh.helm.release.v1.grafana.v1",
        "helm.sh/release.v1",
        created=created,
        labels={"name": "grafana", "owner": "helm", "status": "deployed", "version": "1"},
    )
    configmap(
        ns,
        "prometheus-config",
        {
            "prometheus.yml": "global:\n  scrape_interval: 30s\nscrape_configs:\n"
            "- job_name: kubernetes-nodes\n  kubernetes_sd_configs:\n  - role: node\n"
            "- job_name: kubernetes-pods\n  kubernetes_sd_configs:\n  - role: pod\n"
        },
        created=created,
    )
    configmap(
        ns,
        "grafana",
        {
            "grafana.ini": "[analytics]\ncheck_for_updates = true\n[log]\nmode = console\n",
            "datasources.yaml": "apiVersion: 1\ndatasources:\n- name: Prometheus\n"
            "  type: prometheus\n  url: http://prometheus:9090\n",
        },
        created=created,
        labels=glabels,
        annotations=gann,
    )
    nobody = {"runAsNonRoot": True, "runAsUser": 65534, "runAsGroup": 65534, "fsGroup": 65534}
    statefulset(
        ns,
        "prometheus",
        template(
            {"app": "prometheus"},
            pod_spec(
                [
                    container(
                        "prometheus",
                        "quay.io/prometheus/prometheus:v2.54.1",
                        args=[
                            "--config.file=/etc/prometheus/prometheus.yml",
                            "--storage.tsdb.path=/prometheus",
                            "--storage.tsdb.retention.time=15d",
                            "--web.enable-lifecycle",
                        ],
                        ports=[port(9090, "web")],
                        readiness=http_probe("/-/ready", "web"),
                        resources=res("500m", "2Gi"),
                        mounts=[("config", "/etc/prometheus", True), ("data", "/prometheus")],
                    )
                ],
                sa="prometheus",
                sc=nobody,
                volumes=[{"name": "config", "configMap": {"defaultMode": 420, "name": "prometheus-config"}}],
            ),
        ),
        1,
        created=created,
        service="prometheus-operated",
        claims=[("data", "50Gi")],
    )
    statefulset(
        ns,
        "alertmanager",
        template(
            {"app": "alertmanager"},
            pod_spec(
                [
                    container(
                        "alertmanager",
                        "quay.io/prometheus/alertmanager:v0.27.0",
                        args=[
                            "--config.file=/etc/alertmanager/alertmanager.yml",
                            "--storage.path=/alertmanager",
                            "--cluster.peer=alertmanager-0.alertmanager-operated:9094",
                        ],
                        ports=[port(9093, "web"), port(9094, "mesh")],
                        readiness=http_probe("/-/ready", "web"),
                        resources=res("50m", "128Mi"),
                        mounts=[("data", "/alertmanager")],
                    )
                ],
                sa="alertmanager",
                sc=nobody,
                volumes=[{"name": "data", "emptyDir": {}}],
            ),
        ),
        3,
        created=created,
        service="alertmanager-operated",
    )
    pdb(ns, "alertmanager", {"matchLabels": {"app": "alertmanager"}}, 3, created=created, max_unavailable=1)
    ne = {"app.kubernetes.io/name": "node-exporter"}
    daemonset(
        ns,
        "node-exporter",
        template(
            ne,
            pod_spec(
                [
                    container(
                        "node-exporter",
                        "quay.io/prometheus/node-exporter:v1.8.2",
                        args=[
                            "--path.procfs=/host/proc",
                            "--path.sysfs=/host/sys",
                            "--path.rootfs=/host/root",
                            "--web.listen-address=0.0.0.0:9100",
                        ],
                        ports=[port(9100, "metrics", host=9100)],
                        readiness=http_probe("/", 9100),
                        resources=res("50m", "64Mi", lmem="128Mi"),
                        sc=DROP_ALL | {"readOnlyRootFilesystem": True},
                        mounts=[("proc", "/host/proc", True), ("sys", "/host/sys", True), ("root", "/host/root", True)],
                    )
                ],
                sa="node-exporter",
                host_network=True,
                host_pid=True,
                sc=nobody,
                tolerations=[{"operator": "Exists"}],
                volumes=[host_path("proc", "/proc"), host_path("sys", "/sys"), host_path("root", "/")],
            ),
        ),
        created=created,
        sel=ne,
    )
    daemonset(
        ns,
        "promtail",
        template(
            {"app": "promtail"},
            pod_spec(
                [
                    container(
                        "promtail",
                        "docker.io/grafana/promtail:3.2.0",
                        args=["-config.file=/etc/promtail/promtail.yaml"],
                        env_=[env_ref("HOSTNAME", "field", "spec.nodeName")],
                        ports=[port(3101, "http-metrics")],
                        readiness=http_probe("/ready", "http-metrics"),
                        sc=DROP_ALL | {"readOnlyRootFilesystem": True, "runAsUser": 0},
                        mounts=[("pods", "/var/log/pods", True), ("run", "/run/promtail")],
                    )
                ],
                sa="promtail",
                tolerations=[{"operator": "Exists"}],
                volumes=[host_path("pods", "/var/log/pods"), host_path("run", "/run/promtail")],
            ),
        ),
        created=created + timedelta(days=8),
    )
    ksm = {"app.kubernetes.io/name": "kube-state-metrics"}
    deployment(
        ns,
        "kube-state-metrics",
        template(
            ksm,
            pod_spec(
                [
                    container(
                        "kube-state-metrics",
                        "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.13.0",
                        args=[
                            "--port=8080",
                            "--resources=configmaps,cronjobs,daemonsets,deployments,jobs,namespaces,nodes,"
                            "persistentvolumeclaims,persistentvolumes,pods,replicasets,services,statefulsets",
                        ],
                        ports=[port(8080, "http")],
                        readiness=http_probe("/", 8081),
                        resources=res("10m", "64Mi"),
                        sc=hardened_sc(65534),
                    )
                ],
                sa="kube-state-metrics",
                sc=HARDENED_POD_SC,
            ),
        ),
        1,
        created=created,
        sel=ksm,
    )
    gsel = {"app.kubernetes.io/instance": "grafana", "app.kubernetes.io/name": "grafana"}
    deployment(
        ns,
        "grafana",
        template(
            gsel,
            pod_spec(
                [
                    container(
                        "grafana",
                        "docker.io/grafana/grafana:11.2.2",
                        env_=[
                            env_ref("GF_SECURITY_ADMIN_USER", "secret", "grafana", "admin-user"),
                            env_ref("GF_SECURITY_ADMIN_PASSWORD", "secret", "grafana", "admin-password"),
                            env("GF_PATHS_DATA", "/var/lib/grafana/"),
                            env("GF_PATHS_LOGS", "/var/log/grafana"),
                        ],
                        ports=[port(3000, "grafana")],
                        readiness=http_probe("/api/health", 3000),
                        sc=DROP_ALL,
                        mounts=[("config", "/etc/grafana/grafana.ini"), ("storage", "/var/lib/grafana")],
                    )
                ],
                sa="grafana",
                sc={"fsGroup": 472, "runAsGroup": 472, "runAsNonRoot": True, "runAsUser": 472},
                volumes=[
                    {"name": "config", "configMap": {"defaultMode": 420, "name": "grafana"}},
                    {"name": "storage", "emptyDir": {}},
                ],
            ),
        ),
        1,
        created=created,
        sel=gsel,
        labels=glabels,
        annotations=gann,
    )
    service(
        ns,
        "grafana",
        (("service", 80, 3000),),
        created=created,
        selector=gsel,
        type_="NodePort",
        labels=glabels,
        annotations=gann,
        node_ports={"service": 32000},
    )
    service(ns, "prometheus", (("web", 9090, "web"),), created=created)
    for name, ports, sel in (
        ("prometheus-operated", (("web", 9090, "web"),), {"app": "prometheus"}),
        ("alertmanager-operated", (("web", 9093, "web"), ("mesh", 9094, 9094)), {"app": "alertmanager"}),
        ("node-exporter", (("metrics", 9100, 9100),), ne),
    ):
        service(ns, name, ports, created=created, headless=True, selector=sel)


def app_container(name, image, readiness=True, **kw):
    """An ordinary application container: no securityContext at all."""
    return container(
        name,
        image,
        ports=[port(8080, "http")],
        resources=res("100m", "128Mi", lmem="256Mi"),
        readiness=http_probe("/healthz", "http") if readiness else None,
        **kw,
    )


def build_shop():
    ns, created, reg = "shop", at(days=2), "registry.example.com/shop"
    service_account(ns, "payments", created=created)
    service_account(ns, "postgres", created=created, automount=False)
    configmap(
        ns,
        "shop-config",
        {
            "CURRENCY": "EUR",
            "DB_HOST": "postgres.shop.svc.cluster.local",
            "DB_NAME": "shop",
            "DB_PASSWORD": "hunter2-sample",
            "DB_USER": "shop",
            "FEATURE_RECOMMENDATIONS": "true",
            "LOG_LEVEL": "info",
        },
        created=created,
    )
    for name in ("payments-db", "postgres-credentials"):
        secret(ns, name, created=created)
    secret(
        ns,
        "tls-shop",
        "kubernetes.io/tls",
        created=created + timedelta(hours=1),
        annotations={
            "cert-manager.io/certificate-name": "shop-tls",
            "cert-manager.io/issuer-kind": "ClusterIssuer",
            "cert-manager.io/issuer-name": "letsencrypt",
        },
    )
    web = {"app": "frontend", "tier": "web"}
    deployment(
        ns,
        "frontend",
        template(
            web,
            pod_spec(
                [
                    app_container(
                        "frontend",
                        f"{reg}/frontend:2.14.1",
                        env_=[env("API_BASE_URL", "http://checkout:80"), env("LOG_LEVEL", "info")],
                    )
                ]
            ),
        ),
        3,
        created=created,
        previous_image=f"{reg}/frontend:2.13.0",
        labels=web,
    )
    pdb(ns, "frontend", {"matchLabels": {"app": "frontend"}}, 3, created=created, min_available=2)
    deployment(
        ns,
        "cart",
        template(
            {"app": "cart"},
            pod_spec(
                [app_container("cart", f"{reg}/cart:1.9.0", readiness=False, env_=[env("REDIS_ADDR", "redis:6379")])]
            ),
        ),
        2,
        created=created,
    )
    stripe_key = "sk_live_" + suffix(24, "stripe", alphabet="ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789")
    deployment(
        ns,
        "payments",
        template(
            {"app": "payments"},
            pod_spec(
                [
                    app_container(
                        "payments",
                        f"{reg}/payments:3.2.4",
                        env_from=[{"secretRef": {"name": "payments-db"}}],
                        env_=[
                            env("STRIPE_API_KEY", stripe_key),
                            env("PAYMENTS_PROVIDER_URL", "https://api.stripe.com"),
                            env("LOG_LEVEL", "info"),
                        ],
                    )
                ],
                sa="payments",
            ),
        ),
        2,
        created=created + timedelta(hours=2),
    )
    services = {
        "catalog": ("4.1.0", 8),
        "search": ("2.0.3", 6),
        "checkout": ("1.17.2", 6),
        "recommendations": ("0.9.1", 6),
        "inventory": ("1.4.0", 4),
        "shipping": ("1.2.2", 4),
        "notifications": ("2.3.0", 3),
        "reviews": ("1.0.7", 3),
        "currency": ("1.1.0", 3),
    }
    for name, (version, replicas) in services.items():
        extra = {
            "catalog": {"env_from": [{"configMapRef": {"name": "shop-config"}}]},
            "notifications": {"env_": [env("SMTP_HOST", "smtp.example.com")]},
        }.get(name, {})
        tpl = template({"app": name}, pod_spec([app_container(name, f"{reg}/{name}:{version}", **extra)]))
        deployment(ns, name, tpl, replicas, created=created + timedelta(hours=1))
    pdb(ns, "catalog", {"matchLabels": {"app": "catalog"}}, 8, created=created, max_unavailable=1)
    deployment(
        ns,
        "redis",
        template(
            {"app": "redis"},
            pod_spec(
                [
                    container(
                        "redis",
                        "docker.io/library/redis:7.4.1",
                        ports=[port(6379, "redis")],
                        resources=res("100m", "256Mi"),
                        readiness={
                            "failureThreshold": 3,
                            "periodSeconds": 10,
                            "successThreshold": 1,
                            "tcpSocket": {"port": 6379},
                            "timeoutSeconds": 1,
                        },
                    )
                ]
            ),
        ),
        1,
        created=created,
    )
    statefulset(
        ns,
        "postgres",
        template(
            {"app": "postgres"},
            pod_spec(
                [
                    container(
                        "postgres",
                        "docker.io/library/postgres:16.4",
                        ports=[port(5432, "postgres")],
                        env_=[
                            env_ref("POSTGRES_PASSWORD", "secret", "postgres-credentials", "password"),
                            env("PGDATA", "/var/lib/postgresql/data/pgdata"),
                        ],
                        readiness=exec_probe(["pg_isready", "-U", "shop"]),
                        resources=res("500m", "1Gi", "2", "2Gi"),
                        mounts=[("data", "/var/lib/postgresql/data")],
                        sc={"runAsUser": 0},
                    )
                ],
                sa="postgres",
            ),
        ),
        1,
        created=created,
        service="postgres",
        claims=[("data", "20Gi")],
        update={"type": "OnDelete"},
    )
    for name in ["frontend", "cart", "payments", *services]:
        service(ns, name, created=created)
    service(ns, "redis", (("redis", 6379, "redis"),), created=created)
    service(ns, "postgres", (("postgres", 5432, "postgres"),), created=created, headless=True)
    service(ns, "stripe-api", created=created, type_="ExternalName", external_name="api.stripe.com")
    netpol(
        ns,
        "postgres-allow-payments",
        {"matchLabels": {"app": "postgres"}},
        ["Ingress"],
        created=created + timedelta(days=1),
        ingress=[
            {
                "from": [{"podSelector": {"matchLabels": {"app": a}}} for a in ("payments", "catalog", "checkout")],
                "ports": [{"port": 5432, "protocol": "TCP"}],
            }
        ],
    )
    binding("shop-devs-edit", "edit", [subject("Group", "shop-devs")], ns, created=created)
    ing = new(
        "networking.k8s.io/v1",
        "Ingress",
        "shop",
        ns,
        created=created,
        generation=1,
        annotations={
            "cert-manager.io/cluster-issuer": "letsencrypt",
            "nginx.ingress.kubernetes.io/ssl-redirect": "true",
        },
    )
    ing["spec"] = {
        "ingressClassName": "nginx",
        "tls": [{"hosts": ["shop.example.com"], "secretName": "tls-shop"}],
        "rules": [
            {
                "host": "shop.example.com",
                "http": {
                    "paths": [
                        {
                            "path": "/",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": "frontend", "port": {"name": "http"}}},
                        }
                    ]
                },
            }
        ],
    }
    ing["status"] = {"loadBalancer": {"ingress": [{"ip": "203.0.113.10"}]}}
    cert = new("cert-manager.io/v1", "Certificate", "shop-tls", ns, created=created, generation=1)
    cert["spec"] = {
        "dnsNames": ["shop.example.com"],
        "secretName": "tls-shop",
        "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": "letsencrypt"},
    }
    cert["status"] = {
        "notAfter": "2026-05-26T08:12:44Z",
        "renewalTime": "2026-04-26T08:12:44Z",
        "conditions": [
            {
                "lastTransitionTime": ts(created + timedelta(hours=1)),
                "message": "Certificate is up to date and has not expired",
                "observedGeneration": 1,
                "reason": "Ready",
                "status": "True",
                "type": "Ready",
            }
        ],
    }


def build_batch():
    ns, created, reg = "batch", at(days=3), "registry.example.com/data"
    service_account(ns, "reports", created=created)
    cronjob(
        ns,
        "report-nightly",
        "0 2 * * *",
        template(
            {"app": "report-nightly"},
            pod_spec(
                [
                    container(
                        "report",
                        f"{reg}/reports:2026.02",
                        args=["generate", "--period=daily"],
                        resources=res("500m", "1Gi"),
                        env_=[env("REPORT_BUCKET", "s3://sample-reports"), env("LOG_LEVEL", "info")],
                    )
                ],
                init=[
                    container(
                        "fetch-data",
                        "docker.io/library/busybox:1.36",
                        sc={"privileged": True},
                        command=["sh", "-c", "mount -t tmpfs tmpfs /scratch && cp -r /seed/. /scratch/"],
                    )
                ],
                sa="reports",
                restart="OnFailure",
            ),
        ),
        created=created,
        last_run=NOW.replace(hour=2, minute=0),
    )
    cronjob(
        ns,
        "cleanup",
        "*/30 * * * *",
        template(
            {"app": "cleanup"},
            pod_spec(
                [
                    container(
                        "cleanup",
                        f"{reg}/cleanup:1.3.0",
                        args=["--older-than=7d"],
                        resources=res("50m", "64Mi"),
                        sc=DROP_ALL | {"readOnlyRootFilesystem": True, "runAsNonRoot": True, "runAsUser": 1000},
                    )
                ],
                restart="Never",
                automount=False,
                sc=RUNTIME_DEFAULT,
            ),
        ),
        created=created,
        last_run=NOW.replace(hour=10, minute=0),
    )


def build_legacy():
    ns, created, reg = "legacy", at(days=4), "registry.example.com/legacy"
    service_account(ns, "legacy-app", created=created)
    service_account(ns, "legacy-admin", created=created, secrets=["legacy-admin-token"])
    secret(
        ns,
        "legacy-admin-token",
        "kubernetes.io/service-account-token",
        created=created,
        annotations={
            "kubernetes.io/service-account.name": "legacy-admin",
            "kubernetes.io/service-account.uid": uid("ServiceAccount", ns, "legacy-admin"),
        },
    )
    secret(ns, "legacy-db", created=created)
    configmap(ns, "legacy-settings", {"APP_ENV": "production", "JAVA_OPTS": "-Xmx2g"}, created=created)
    binding("legacy-admin", "cluster-admin", [subject("ServiceAccount", "legacy-admin", ns)], ns, created=created)
    role("legacy-everything", [rule("*", "*", "*")], ns, created=created)
    binding(
        "legacy-everything",
        "legacy-everything",
        [subject("ServiceAccount", "legacy-app", ns)],
        ns,
        role_kind="Role",
        created=created,
    )
    deployment(
        ns,
        "legacy-monolith",
        template(
            {"app": "legacy-monolith"},
            pod_spec(
                [
                    container(
                        "monolith",
                        f"{reg}/monolith:latest",
                        ports=[port(8080, "http")],
                        sc={"privileged": True},
                        env_from=[{"configMapRef": {"name": "legacy-settings"}}],
                    )
                ],
                sa="legacy-admin",
                sc={"seccompProfile": {"type": "Unconfined"}},
            ),
        ),
        1,
        created=created,
        strategy={"type": "Recreate"},
    )
    deployment(
        ns,
        "legacy-api",
        template(
            {"app": "legacy-api"},
            pod_spec(
                [
                    container(
                        "api",
                        f"{reg}/api:5.2",
                        ports=[port(8080, "http", host=8080)],
                        sc={"capabilities": {"add": ["SYS_ADMIN"]}},
                        resources=res("250m", "512Mi"),
                    )
                ],
                sa="legacy-app",
            ),
        ),
        2,
        created=created,
        strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": "100%"}},
    )
    # someone ran `kubectl debug` on one legacy-api pod: an ephemeral container, running as root
    debugged = next(o for o in FILES[ns] if o["kind"] == "Pod" and o["metadata"]["name"].startswith("legacy-api-"))
    debugged["spec"]["ephemeralContainers"] = [
        container(
            "debugger-7xk2p",
            "docker.io/library/busybox:1.36",
            command=["sh"],
            stdin=True,
            tty=True,
            targetContainerName="api",
            sc={"runAsUser": 0},
        )
    ]
    debugged["status"]["ephemeralContainerStatuses"] = [
        {
            k: v
            for k, v in container_status(c, debugged["metadata"]["name"], NOW - timedelta(minutes=42)).items()
            if k != "started"
        }
        for c in debugged["spec"]["ephemeralContainers"]
    ]
    deployment(
        ns,
        "legacy-ipc-cache",
        template(
            {"app": "legacy-ipc-cache"},
            pod_spec(
                [
                    container(
                        "cache",
                        f"{reg}/shm-cache:2.1",
                        ports=[port(11211, "cache")],
                        sc={"appArmorProfile": {"type": "Unconfined"}},
                    )
                ],
                host_ipc=True,
            ),
        ),
        2,
        created=created,
    )
    deployment(
        ns,
        "legacy-sandbox",
        template(
            {"app": "legacy-sandbox"},
            pod_spec(
                [container("sandbox", f"{reg}/build-sandbox:1.0", sc={"procMount": "Unmasked", "runAsUser": 0})],
                hostUsers=False,
            ),
        ),
        2,
        created=created + timedelta(days=20),
    )
    deployment(
        ns,
        "legacy-pinger",
        template(
            {"app": "legacy-pinger"},
            pod_spec(
                [
                    container(
                        "pinger",
                        f"{reg}/pinger:0.4",
                        args=["--targets=10.0.1.0/24"],
                        sc={
                            "capabilities": {"add": ["NET_RAW"], "drop": ["ALL"]},
                            "runAsNonRoot": True,
                            "runAsUser": 1000,
                        },
                    )
                ]
            ),
        ),
        1,
        created=created,
    )
    daemonset(
        ns,
        "legacy-metrics-agent",
        template(
            {"app": "legacy-metrics-agent"},
            pod_spec(
                [
                    container(
                        "agent",
                        f"{reg}/metrics-agent:3.0",
                        sc={"capabilities": {"add": ["cap_net_admin"]}},
                        mounts=[("varlog", "/var/log")],
                    )
                ],
                host_pid=True,
                volumes=[host_path("varlog", "/var/log")],
            ),
        ),
        created=created,
        nodes=WORKERS,
        update={"type": "OnDelete"},
    )
    sel = {"app": "legacy-queue"}
    rc = new("v1", "ReplicationController", "legacy-queue", ns, created=created, labels=sel, generation=1)
    rc_tpl = template(
        sel,
        pod_spec(
            [
                container(
                    "queue",
                    f"{reg}/queue:1.8",
                    ports=[port(5672, "amqp")],
                    env_=[env_ref("QUEUE_DB_URL", "secret", "legacy-db", "url")],
                )
            ],
            sa="legacy-app",
        ),
    )
    rc["spec"] = {"replicas": 3, "selector": sel, "template": rc_tpl}
    rc["status"] = _counts(3, fullyLabeledReplicas=3, observedGeneration=1)
    for i in range(3):
        pod(
            ns,
            f"legacy-queue-{suffix(5, 'legacy-queue', i)}",
            rc_tpl,
            schedule(ns, "legacy-queue", i),
            created + timedelta(seconds=3),
            owner=rc,
            generate_name="legacy-queue-",
        )
    pod(
        ns,
        "legacy-debug",
        template(
            {"run": "legacy-debug"},
            pod_spec([container("legacy-debug", "docker.io/library/ubuntu", command=["sleep", "infinity"])]),
        ),
        "worker-02",
        at(days=31),
    )
    service(
        ns, "legacy-web", (("http", 80, 8080),), created=created, type_="NodePort", selector={"app": "legacy-monolith"}
    )
    service(ns, "legacy-api", created=created)


def build_hardened():
    ns, created, reg = "hardened", at(days=6), "registry.example.com/platform"
    apps = ("api", "web", "worker", "auth", "gateway", "notifier", "scheduler", "ledger")
    for sa in apps + ("kv",):
        service_account(ns, sa, created=created, automount=False)
    for name in ("api-credentials", "kv-tls"):
        secret(ns, name, created=created)
    configmap(ns, "api-config", {"LISTEN_ADDR": ":8080", "LOG_LEVEL": "info"}, created=created)

    def hardened_tpl(name, image, uid_, volumes=(), mounts=()):
        return template(
            {"app": name},
            pod_spec(
                [
                    container(
                        name,
                        image,
                        ports=[port(8080, "http")],
                        sc=hardened_sc(uid_),
                        env_from=[{"configMapRef": {"name": "api-config"}}] if name == "api" else None,
                        readiness=http_probe("/readyz", "http"),
                        liveness=http_probe("/livez", "http"),
                        resources=res("200m", "256Mi", "200m", "256Mi"),
                        mounts=[("tmp", "/tmp"), *mounts],
                    )
                ],
                sa=name,
                automount=False,
                sc=HARDENED_POD_SC,
                volumes=[{"name": "tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}}, *volumes],
            ),
        )

    credentials = {"name": "credentials", "secret": {"defaultMode": 256, "secretName": "api-credentials"}}
    for i, name in enumerate(apps):
        extra = ([credentials], [("credentials", "/var/run/secrets/api", True)]) if name == "api" else ()
        deployment(
            ns,
            name,
            hardened_tpl(name, f"{reg}/{name}:1.8.{i}", 10001 + i, *extra),
            3,
            created=created + timedelta(minutes=i),
            strategy=SAFE_ROLLOUT,
        )
        pdb(
            ns,
            name,
            {"matchExpressions": [{"key": "app", "operator": "In", "values": [name]}]},
            3,
            created=created,
            max_unavailable=1,
        )
        if name == "web":
            service(
                ns,
                "web",
                (("https", 443, "http"),),
                created=created,
                type_="LoadBalancer",
                source_ranges=["192.0.2.0/24"],
                lb_ip="203.0.113.60",
            )
        elif name != "worker":
            service(ns, name, created=created)
    statefulset(
        ns,
        "kv",
        hardened_tpl("kv", f"{reg}/kv:3.1.0", 10100, mounts=[("data", "/data")]),
        2,
        created=created,
        service="kv",
        claims=[("data", "10Gi")],
    )
    pdb(
        ns,
        "kv",
        {"matchExpressions": [{"key": "app", "operator": "In", "values": ["kv"]}]},
        2,
        created=created,
        min_available=1,
    )
    service(ns, "kv", (("client", 8080, "http"),), created=created, headless=True)
    netpol(ns, "default-deny", {}, ["Ingress", "Egress"], created=created)
    netpol(
        ns,
        "allow-dns",
        {},
        ["Egress"],
        created=created,
        egress=[
            {
                "to": [
                    {
                        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                    }
                ],
                "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
            }
        ],
    )
    netpol(
        ns,
        "allow-web-ingress",
        {"matchLabels": {"app": "web"}},
        ["Ingress"],
        created=created,
        ingress=[{"ports": [{"port": 8080, "protocol": "TCP"}]}],
    )
    netpol(
        ns,
        "allow-api-from-web",
        {"matchLabels": {"app": "api"}},
        ["Ingress"],
        created=created,
        ingress=[
            {"from": [{"podSelector": {"matchLabels": {"app": "web"}}}], "ports": [{"port": 8080, "protocol": "TCP"}]}
        ],
    )
    binding("team-view", "view", [subject("Group", "platform-team")], ns, created=created)


def build_dev():
    ns, created, reg = "dev", at(days=9), "registry.example.com/dev"
    deployment(
        ns,
        "dev-api",
        template(
            {"app": "dev-api"},
            pod_spec(
                [
                    app_container(
                        "api",
                        f"{reg}/api:main-8f3c2a1",
                        env_=[env("LOG_LEVEL", "debug")],
                        sc={"allowPrivilegeEscalation": False, "runAsNonRoot": True, "runAsUser": 1000},
                    )
                ]
            ),
        ),
        3,
        created=created,
    )
    deployment(
        ns,
        "dev-frontend",
        template({"app": "dev-frontend"}, pod_spec([app_container("frontend", f"{reg}/frontend:main-8f3c2a1")])),
        3,
        created=created,
    )
    deployment(
        ns,
        "dev-worker",
        template({"app": "dev-worker"}, pod_spec([app_container("worker", f"{reg}/worker:main-8f3c2a1")])),
        2,
        created=created,
    )
    # created before the namespace was labelled enforce=baseline: admission never judged it
    deployment(
        ns,
        "dev-log-shipper",
        template(
            {"app": "dev-log-shipper"},
            pod_spec(
                [container("shipper", "docker.io/fluent/fluent-bit:3.1.9", mounts=[("varlog", "/var/log", True)])],
                volumes=[host_path("varlog", "/var/log", "Directory")],
            ),
        ),
        1,
        created=created - timedelta(days=1),
    )
    netpol(ns, "default-deny-ingress", {}, ["Ingress"], created=created)
    binding("dev-team-view", "view", [subject("Group", "dev-team")], ns, created=created)


def kubeconfig():
    users = [
        ("admin", {"token": "REDACTED-sample-token-0000"}),
        (
            "ci-deployer",
            {
                "client-certificate-data": fake_b64("ci-deployer-crt", 120),
                "client-key-data": fake_b64("ci-deployer-key", 120),
            },
        ),
        (
            "dev-oidc",
            {
                "exec": {
                    "apiVersion": "client.authentication.k8s.io/v1beta1",
                    "command": "kubectl",
                    "args": [
                        "oidc-login",
                        "get-token",
                        "--oidc-issuer-url=https://login.example.com/realms/sample",
                        "--oidc-client-id=kubernetes",
                    ],
                    "env": None,
                    "interactiveMode": "IfAvailable",
                    "provideClusterInfo": False,
                }
            },
        ),
        (
            "sre",
            {
                "auth-provider": {
                    "name": "oidc",
                    "config": {"client-id": "kubernetes", "idp-issuer-url": "https://login.example.com/realms/sample"},
                }
            },
        ),
    ]
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": f"admin@{CLUSTER}",
        "preferences": {},
        "clusters": [
            {
                "name": CLUSTER,
                "cluster": {
                    "certificate-authority-data": fake_b64("cluster-ca", 96),
                    "server": f"https://{HOST_IP[CP]}:6443",
                },
            }
        ],
        "contexts": [{"name": f"{u}@{CLUSTER}", "context": {"cluster": CLUSTER, "user": u}} for u, _ in users],
        "users": [{"name": u, "user": cfg} for u, cfg in users],
    }


# ------------------------------------------------------------------------------------ README --
STORY = """\
# The sample cluster

`sample-cluster/` is a capture of a small kubeadm cluster (Kubernetes 1.31, Calico, ingress-nginx,
Prometheus and Grafana, a web shop, a few teams' namespaces) with realistic, deliberate
misconfigurations. Every notebook runs on it when no cluster is at hand, and the tests use it as
their fixture. `generate_sample.py` writes it: regenerate with `python data/generate_sample.py`
(deterministic: same script, byte-identical files) rather than editing the YAML by hand.

## Files

- `cluster.yaml`: cluster-scoped objects (Namespaces, Nodes, ClusterRoles, ClusterRoleBindings,
  CRDs, PersistentVolumes, StorageClass, PriorityClasses, IngressClass, webhook configuration).
- `<namespace>.yaml`: everything in one namespace.
- `kubeconfig.yaml`: the kubeconfig the auditor was handed (fake credentials).

Each file is one `kind: List` document as `kubectl get ... -o yaml` writes it: keys sorted, every
item with `apiVersion`, `kind` and full `metadata` (uid, creationTimestamp, resourceVersion,
labels, annotations, ownerReferences with `controller: true`). It is what a live capture sees:
Deployments own ReplicaSets (one old ReplicaSet of `shop/frontend` is scaled to 0) which own Pods;
StatefulSets and DaemonSets own their Pods; CronJobs own Jobs which own Pods; control-plane
static pods are owned by their Node. Pods carry the API server's defaults (service account,
`kube-api-access-*` token volume, default tolerations, priority). Secrets are listed as metadata
and `type` only, never `data`. A cert-manager `Certificate` in `shop` is a kind the toolkit does
not know: it must still load.

{counts}

## The story, namespace by namespace

Check ids in brackets are the findings each item is meant to trigger.

### Cluster level: API server, nodes, RBAC, kubeconfig

Wrong:
- The API server (static pod `kube-system/kube-apiserver-cp-01`) runs with
  `--anonymous-auth=true` [authn-anonymous] and a static token file
  `--token-auth-file=/etc/kubernetes/tokens.csv` [authn-token-file]. It has no `--oidc-*` flags
  and no `--authentication-config` [authn-no-external-idp], although the kubeconfig already has
  OIDC users. kubeadm recorded the same settings in `kube-system/kubeadm-config`.
- `worker-01` has an `ExternalIP` 203.0.113.21; `worker-03` registered its public address
  198.51.100.23 as its `InternalIP` [node-external-ip, both].
- ClusterRoleBinding `ci-deployer-admin`: User `ci-deployer` -> `cluster-admin`
  [rbac-cluster-admin, rbac-clusterwide-binding].
- ClusterRole `secret-reader` (get/list/watch secrets) bound cluster-wide by
  `grafana-secret-reader` to ServiceAccount `monitoring/grafana` [rbac-secrets-read,
  rbac-clusterwide-binding].
- ClusterRole `oncall-debugger` (create `pods/exec` and `pods/attach`, `impersonate` users, groups
  and service accounts) bound to Group `oncall` [rbac-escalation, rbac-clusterwide-binding].
- ClusterRoleBinding `anonymous-view`: `view` -> Group `system:unauthenticated`
  [rbac-anonymous-binding, rbac-clusterwide-binding].
- Granted the morning of the capture, each routine on its own, together the chains of the attack
  graph (notebook 12):
  - Role `batch/export-runner` (create pods and Jobs) bound by `batch/shop-export-runner` to
    ServiceAccount `shop/default`, the token of the storefront behind the Ingress; `batch` enforces
    no Pod Security level, so that token starts a privileged pod on any node [rbac-escalation].
  - ClusterRole `promtail` (the chart's: get/list/watch nodes, `nodes/proxy`, services, endpoints,
    pods) bound to the promtail DaemonSet's ServiceAccount: a token on every node that reaches every
    kubelet's exec API [rbac-escalation, rbac-clusterwide-binding].
  - ClusterRole `ci-impersonator` (`impersonate` users, groups and service accounts) bound to the CI
    user `gitlab-ci`, which thereby impersonates `system:masters` [rbac-escalation,
    rbac-clusterwide-binding].
  - ClusterRole `rolebinding-manager` (create RoleBindings, `bind` on ClusterRoles) bound to Group
    `team-leads`: they can bind themselves `cluster-admin` in any namespace [rbac-escalation,
    rbac-clusterwide-binding].
- ClusterRole `ingress-nginx` lists and watches secrets in every namespace (the controller needs
  TLS secrets: a real finding and a good exemption exercise) [rbac-secrets-read,
  rbac-clusterwide-binding]. The add-ons' own ClusterRoleBindings (`calico-node`,
  `calico-kube-controllers`, `system:coredns`, `system:metrics-server`, `prometheus`,
  `kube-state-metrics`, `ingress-nginx-admission`) give service accounts read-mostly roles
  cluster-wide: legitimate, reported at most as low [rbac-clusterwide-binding].
- kubeconfig users `admin` (static bearer token) and `ci-deployer` (embedded client certificate
  and key) [authn-kubeconfig-static].
- No policy engine: no Kyverno or Gatekeeper webhook; the `kyverno` namespace is empty, left from
  a planned install. `hardened` and `dev` enforce Pod Security Admission, so admission control is
  not absent and policy-engine-absent does not fire; the namespaces that enforce nothing are
  reported one by one [psa-not-enforced].

Right (must not fire):
- `--authorization-mode=Node,RBAC`, no ABAC [rbac-abac-enabled]; no `--insecure-port`
  [apiserver-insecure-port]; no `--basic-auth-file`, a flag removed upstream
  [authn-basic-auth-file].
- `cp-01` and `worker-02` have private addresses only [node-external-ip].
- kubeconfig users `dev-oidc` (exec plugin `kubectl oidc-login`) and `sre`
  (`auth-provider: oidc`) [authn-kubeconfig-static].
- The built-in defaults: `cluster-admin` -> Group `system:masters`; `system:public-info-viewer`
  lets `system:unauthenticated` GET `/healthz`, `/livez`, `/readyz` and `/version` only; kubeadm's
  `kube-public/kubeadm:bootstrap-signer-clusterinfo` lets `system:anonymous` get the one ConfigMap
  `cluster-info`; `system:controller:*` roles with `*` rules (namespace-controller,
  generic-garbage-collector) or `escalate` (clusterrole-aggregation-controller) bound to
  kube-system controller accounts [rbac-anonymous-binding, rbac-cluster-admin, rbac-wildcard,
  rbac-escalation].
- `admin`, `edit` and `view` carry their `aggregationRule`; the custom `monitoring-reader` is
  aggregated into `view` (label `rbac.authorization.k8s.io/aggregate-to-view: "true"`).

### kube-system

What a kubeadm control plane and its CNI need (findings, and exemption candidates):
- Static pods `kube-apiserver`, `etcd`, `kube-controller-manager`, `kube-scheduler` on `cp-01`:
  hostNetwork [host-network], no container securityContext [rootfs-writable, run-as-root,
  priv-escalation, cap-net-raw].
- DaemonSet `kube-proxy`: hostNetwork, privileged [host-network, privileged].
- DaemonSet `calico-node`: hostNetwork, privileged, adds `NET_ADMIN`, ten hostPath volumes; its
  init container `install-cni` is privileged too [host-network, privileged, cap-dangerous-add].
- `calico-kube-controllers`: 1 replica, strategy Recreate, as upstream ships it
  [rollout-single-replica, rollout-recreate]. `coredns`: 2 replicas, no PDB [rollout-no-pdb].

Right: `coredns` drops ALL and adds only NET_BIND_SERVICE, read-only root, no privilege
escalation, readiness probe; `metrics-server` is fully hardened (but 1 replica
[rollout-single-replica]).

### ingress-nginx

Wrong: the controller sets `allowPrivilegeEscalation: true` and `readOnlyRootFilesystem: false`
[priv-escalation, rootfs-writable]; 3 replicas, no PDB [rollout-no-pdb]; Service
`ingress-nginx-controller` is a LoadBalancer (203.0.113.10) with no `loadBalancerSourceRanges`
[svc-lb-open]; no NetworkPolicy [net-no-policy]; no PSA label [psa-not-enforced].

Right: drop ALL and add NET_BIND_SERVICE only [cap-net-raw, cap-dangerous-add], `runAsUser: 101`
with `runAsNonRoot` [run-as-root], readiness probe. The admission Jobs are fully hardened. The
ValidatingWebhookConfiguration `ingress-nginx-admission` validates Ingresses: not a policy engine.

### monitoring

Wrong: `grafana` takes `GF_SECURITY_ADMIN_PASSWORD` (and the admin user) from Secret `grafana`
by `secretKeyRef` [secret-env-ref]; Service `grafana` is a NodePort (32000) [svc-nodeport];
grafana's service account reads every Secret (above). DaemonSet `node-exporter`: hostNetwork,
hostPID, hostPort 9100, hostPath `/`, `/proc`, `/sys` [host-network, host-pid, host-port].
DaemonSet `promtail` has `runAsUser: 0` [run-as-root]. `prometheus` (StatefulSet), `grafana` and
`kube-state-metrics` have 1 replica [rollout-single-replica]. No NetworkPolicy [net-no-policy],
no PSA [psa-not-enforced].

Right: `node-exporter` and `kube-state-metrics` run as 65534 with a read-only root and drop ALL;
node-exporter's service account does not automount a token [authn-sa-token-automount];
`alertmanager` has 3 replicas and a PDB.

### shop

Wrong:
- `payments`: literal env `STRIPE_API_KEY=sk_live_...` [secret-env-literal];
  `envFrom: secretRef payments-db` [secret-envfrom].
- ConfigMap `shop-config` has `DB_PASSWORD: hunter2-sample` among ordinary keys
  [secret-configmap-credential]; `catalog` loads it with `envFrom` (a configMapRef: not
  secret-envfrom).
- StatefulSet `postgres`: `runAsUser: 0` [run-as-root], `updateStrategy: OnDelete`
  [rollout-ondelete], 1 replica [rollout-single-replica], `POSTGRES_PASSWORD` from a
  `secretKeyRef` [secret-env-ref].
- `cart`: 2 replicas, no readiness probe, no PDB [rollout-no-readiness, rollout-no-pdb]. `redis`:
  1 replica [rollout-single-replica]. The other services have readiness probes but, except
  `frontend` and `catalog`, no PDB [rollout-no-pdb].
- No container sets a securityContext [rootfs-writable, priv-escalation, run-as-root, cap-net-raw].
- NetworkPolicy `postgres-allow-payments` selects only `app: postgres`; no default deny
  [net-no-default-deny]. No PSA [psa-not-enforced].
- RoleBinding `shop-devs-edit` gives Group `shop-devs` the `edit` ClusterRole in `shop` only:
  namespace-scoped, but `edit` reads Secrets, creates `pods/exec` and impersonates service
  accounts [rbac-secrets-read, rbac-escalation].

Right: `frontend` (3 replicas, readiness probes, PDB `minAvailable: 2`); `catalog` (PDB); the
namespace has a NetworkPolicy [net-no-policy]; `postgres`'s service account does not automount a
token; Services of type ClusterIP, headless (`postgres`) and ExternalName (`stripe-api`); TLS
Secret `tls-shop` (type `kubernetes.io/tls`) used by Ingress `shop`.

### batch

Wrong: CronJob `report-nightly` has a privileged init container `fetch-data` [privileged]; its main
container has no securityContext. No NetworkPolicy, no PSA [net-no-policy, psa-not-enforced].

Right: CronJob `cleanup` is hardened (non-root, read-only root, drop ALL, no token). Each CronJob
has one recent, completed Job and its Succeeded pod.

### legacy

Everything wrong:
- `legacy-monolith`: strategy Recreate, 1 replica, privileged, image `monolith:latest`, seccomp
  `Unconfined` at pod level, runs as ServiceAccount `legacy-admin` [rollout-recreate,
  rollout-single-replica, privileged, image-mutable-tag, seccomp-unconfined]. That account is bound to
  `cluster-admin` by RoleBinding `legacy-admin` [rbac-cluster-admin] and has a long-lived token
  Secret `legacy-admin-token` (type `kubernetes.io/service-account-token`)
  [authn-legacy-sa-token-secret].
- `legacy-api`: `maxUnavailable: 100%` [rollout-max-unavailable], adds `SYS_ADMIN`
  [cap-dangerous-add], `hostPort: 8080` [host-port]; one of its pods has an ephemeral container
  `debugger-7xk2p` left by `kubectl debug`, `runAsUser: 0` [run-as-root].
- `legacy-ipc-cache`: `hostIPC: true`, `appArmorProfile: Unconfined` [host-ipc, apparmor-unconfined].
- `legacy-sandbox`: `procMount: Unmasked` (with `hostUsers: false`, as the API requires)
  [proc-mount-unmasked].
- `legacy-pinger`: drops ALL but adds `NET_RAW` back [cap-net-raw].
- DaemonSet `legacy-metrics-agent`: hostPID, adds `cap_net_admin` (lower case, `cap_` prefix)
  [host-pid, cap-dangerous-add], `updateStrategy: OnDelete` [rollout-ondelete].
- ReplicationController `legacy-queue` (a URL from a secretKeyRef [secret-env-ref]) and a bare Pod
  `legacy-debug` (no owner, root, image `ubuntu` with no tag [image-mutable-tag]).
- Role `legacy-everything` (`*` verbs on `*` resources in `*` groups) bound to `legacy-app`
  [rbac-wildcard].
- Service `legacy-web` is a NodePort [svc-nodeport]; no NetworkPolicy [net-no-policy]; no PSA
  labels [psa-not-enforced].

### hardened

Everything right: PSA `enforce: restricted` (+ audit, warn) [psa-not-enforced]; 8 Deployments of 3
replicas with `maxUnavailable: 0`, readiness probes and a PDB each (selectors with
`matchExpressions`) [rollout-*]; StatefulSet `kv` (2 replicas, RollingUpdate, PDB); pod
`runAsNonRoot` and container `runAsUser`, `readOnlyRootFilesystem`,
`allowPrivilegeEscalation: false`, drop ALL, `seccompProfile: RuntimeDefault` [run-as-root,
rootfs-writable, priv-escalation, cap-net-raw]; no token automount, on pods and service accounts
[authn-sa-token-automount]; secrets mounted as files, never env [secret-*]; a default-deny
NetworkPolicy (empty podSelector, Ingress and Egress, no rules) plus allow rules [net-no-policy,
net-no-default-deny]; LoadBalancer `web` limited by `loadBalancerSourceRanges` [svc-lb-open]; team
access through a `view` RoleBinding.

### dev

PSA `enforce: baseline`; a default deny for ingress only: egress is open [net-no-default-deny,
for egress]. `dev-log-shipper` mounts hostPath `/var/log`: baseline would reject it, but it was
created before the namespace was labelled (admission only judges new pods), so it runs and shows
in `pss_violations`. `dev-api`, `dev-frontend`, `dev-worker` are ordinary.

### kyverno, default, kube-public, kube-node-lease

Nothing but what every namespace has (`default` ServiceAccount, `kube-root-ca.crt` ConfigMap), the
`kubernetes` Service in `default` and `cluster-info` in `kube-public`.

## Check coverage

| check | fires on | passes on |
|---|---|---|
| secret-env-ref | grafana, shop/postgres, legacy/legacy-queue | hardened (secret files), frontend |
| secret-envfrom | shop/payments | catalog, legacy-monolith, hardened/api (configMapRef) |
| secret-env-literal | shop/payments `STRIPE_API_KEY` | plain literals (`LOG_LEVEL`, `SMTP_HOST`, ...) |
| secret-configmap-credential | shop/shop-config `DB_PASSWORD` | every other ConfigMap |
| authn-anonymous | kube-apiserver-cp-01 | (one API server) |
| authn-token-file | kube-apiserver-cp-01 | (one API server) |
| authn-basic-auth-file | never | kube-apiserver-cp-01 |
| authn-no-external-idp | kube-apiserver-cp-01 | (one API server) |
| authn-kubeconfig-static | admin, ci-deployer | dev-oidc, sre |
| authn-sa-token-automount | workloads mounting a token (shop, legacy, dev, ...) | hardened, cleanup, postgres |
| authn-legacy-sa-token-secret | legacy/legacy-admin-token | Opaque, tls and helm Secrets |
| cap-net-raw | containers not dropping it; legacy-pinger adds it | hardened, coredns, ingress-nginx |
| cap-dangerous-add | legacy-api, legacy-metrics-agent, calico-node | coredns, ingress-nginx (NET_BIND_SERVICE) |
| policy-engine-absent | never (hardened and dev enforce Pod Security Admission) | the cluster |
| psa-not-enforced | shop, legacy, batch, monitoring, ingress-nginx, ... | hardened, dev |
| host-ipc | legacy-ipc-cache | everything else |
| host-network | static pods, kube-proxy, calico-node, node-exporter | everything else |
| host-pid | node-exporter, legacy-metrics-agent | everything else |
| host-port | node-exporter (9100), legacy-api (8080) | everything else |
| rbac-abac-enabled | never | kube-apiserver-cp-01 |
| rbac-cluster-admin | ci-deployer-admin, legacy/legacy-admin | cluster-admin -> system:masters |
| rbac-wildcard | legacy/legacy-everything | system:controller:* roles |
| rbac-clusterwide-binding | ci-deployer-admin, grafana-secret-reader, oncall-debugger, anonymous-view, promtail, ci-impersonator, team-leads-rolebinding-manager | RoleBindings |
| rbac-secrets-read | grafana-secret-reader, ingress-nginx, shop-devs-edit | view bindings |
| rbac-escalation | oncall-debugger, shop-devs-edit, batch/shop-export-runner, promtail, ci-impersonator, team-leads-rolebinding-manager | view bindings, built-in controllers |
| rbac-anonymous-binding | anonymous-view | system:public-info-viewer, cluster-info |
| rootfs-writable | most containers | hardened, coredns, metrics-server, node-exporter |
| node-external-ip | worker-01, worker-03 | cp-01, worker-02 |
| net-no-policy | legacy, batch, monitoring, ingress-nginx, kube-system | shop, hardened, dev |
| net-no-default-deny | shop, dev (egress) | hardened |
| svc-nodeport | monitoring/grafana, legacy/legacy-web | all other Services |
| svc-lb-open | ingress-nginx/ingress-nginx-controller | hardened/web |
| apiserver-insecure-port | never | kube-apiserver-cp-01 |
| privileged | legacy-monolith, kube-proxy, calico-node, report-nightly (init) | everything else |
| priv-escalation | ingress-nginx (explicit true), containers leaving it unset | hardened, coredns, metrics-server |
| run-as-root | postgres, promtail, legacy-sandbox, ephemeral debugger, unset | hardened, ingress-nginx, grafana |
| proc-mount-unmasked | legacy-sandbox | everything else |
| rollout-recreate | legacy-monolith, calico-kube-controllers | everything else |
| rollout-max-unavailable | legacy-api | everything else |
| rollout-single-replica | legacy-monolith, postgres, prometheus, grafana, redis, ... | hardened, frontend |
| rollout-no-readiness | cart, legacy workloads | frontend, hardened |
| rollout-no-pdb | cart, coredns, ingress-nginx, ... | frontend, catalog, alertmanager, hardened |
| rollout-ondelete | postgres, legacy-metrics-agent | everything else |
| host-path-sensitive | node-exporter (`/`, `/proc`, `/sys`), calico-node (`/etc/cni/net.d`, `/run/...`), kube-proxy, static pods (`/etc/kubernetes`) | dev-log-shipper, legacy-metrics-agent (`/var/log`), everything without hostPath |
| host-path-volume | dev-log-shipper, legacy-metrics-agent, calico-node (`/lib/modules`, ...) | node-exporter (only sensitive paths), everything without hostPath |
| seccomp-unconfined | legacy-monolith (pod level) | hardened, cleanup (RuntimeDefault); unset elsewhere |
| seccomp-not-set | containers with no profile (shop, legacy, monitoring, ...) | hardened, cleanup, legacy-monolith (Unconfined: the other check) |
| apparmor-unconfined | legacy-ipc-cache | everything else (unset: the runtime default) |
| image-mutable-tag | legacy-monolith (`:latest`), legacy-debug (no tag) | everything else (version tags) |

authn-anonymous, authn-token-file, authn-no-external-idp, authn-basic-auth-file,
rbac-abac-enabled, apiserver-insecure-port and policy-engine-absent judge the one API server or the
cluster as a whole, so they can only go one way here.

## Notes for check authors

- Public addresses use the documentation ranges 203.0.113.0/24 and 198.51.100.0/24, which
  Python's `ipaddress` calls `is_private`: treat only RFC 1918, 100.64.0.0/10 (CGNAT), loopback
  and link-local addresses as private.
- Pods with hostNetwork show `hostPort` equal to `containerPort` (the API server's defaulting);
  their templates do not.
- LoadBalancer Services get `nodePort`s too: svc-nodeport is about `type: NodePort`.
- `kube-root-ca.crt` and `cluster-info` hold a public CA certificate and `kubeadm-config` mentions
  `token-auth-file` (a path): none of them is a credential [secret-configmap-credential].
"""

#: where the legacy cluster's story starts in data/README.md (data/generate_legacy.py writes from there on)
LEGACY_MARK = "# The legacy cluster"

KIND_ORDER = [
    "Namespace",
    "Node",
    "PriorityClass",
    "StorageClass",
    "PersistentVolume",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleBinding",
    "IngressClass",
    "ValidatingWebhookConfiguration",
    "ServiceAccount",
    "ConfigMap",
    "Secret",
    "Service",
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "ReplicationController",
    "CronJob",
    "Job",
    "Pod",
    "PersistentVolumeClaim",
    "PodDisruptionBudget",
    "NetworkPolicy",
    "Ingress",
    "Role",
    "RoleBinding",
]


def kind_rank(o):
    return KIND_ORDER.index(o["kind"]) if o["kind"] in KIND_ORDER else len(KIND_ORDER)


def canon(x):
    """Sort mapping keys as kubectl does, copying every node so the YAML has no aliases."""
    if isinstance(x, dict):
        return {k: canon(x[k]) for k in sorted(x)}
    return [canon(v) for v in x] if isinstance(x, list) else x


def _represent_str(dumper, s):
    """Block style for multi-line strings, double quotes where a plain scalar would not read back as a string."""
    plain_tag = dumper.resolve(yaml.ScalarNode, s, (True, False))
    style = "|" if "\n" in s else '"' if s == "" or plain_tag != "tag:yaml.org,2002:str" else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", s, style=style)


def dump(doc):
    yaml.add_representer(str, _represent_str, Dumper=yaml.SafeDumper)
    return yaml.safe_dump(canon(doc), sort_keys=False, default_flow_style=False, width=4096)


def write_cluster(out, kubeconfig_doc, first_version=2417):
    """Write FILES to ``out`` (one List per namespace, cluster.yaml, kubeconfig.yaml); the README's counts table."""
    everything = sorted(
        (o for items in FILES.values() for o in items),
        key=lambda o: (o["metadata"]["creationTimestamp"], kind_rank(o), o["metadata"]["name"]),
    )
    for i, o in enumerate(everything):  # resourceVersions grow with creation time
        o["metadata"]["resourceVersion"] = str(first_version + 13 * i)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    rows = []
    for stem in sorted(FILES):
        items = sorted(FILES[stem], key=lambda o: (kind_rank(o), o["kind"], o["metadata"]["name"]))
        (out / f"{stem}.yaml").write_text(
            dump({"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}})
        )
        kinds = Counter(o["kind"] for o in items)
        rows.append(
            f"| `{stem}.yaml` | {len(items)} | {kinds['Pod']} | "
            + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
            + " |"
        )
    (out / "kubeconfig.yaml").write_text(dump(kubeconfig_doc))
    total = Counter(o["kind"] for o in everything)
    counts = (
        "| file | objects | pods | kinds |\n|---|---|---|---|\n"
        + "\n".join(rows)
        + f"\n\nIn all {len(everything)} objects, {total['Pod']} of them pods, on {total['Node']} nodes."
    )
    print(f"wrote {len(FILES) + 1} files ({len(everything)} objects, {total['Pod']} pods) to {out}")
    return counts


def main():
    for build in (
        build_cluster,
        build_kube_system,
        build_ingress_nginx,
        build_monitoring,
        build_shop,
        build_batch,
        build_legacy,
        build_hardened,
        build_dev,
    ):
        build()
    counts = write_cluster(OUT, kubeconfig())
    readme = DATA / "README.md"
    old = readme.read_text() if readme.exists() else ""
    legacy = old[old.index(LEGACY_MARK) :] if LEGACY_MARK in old else ""  # data/generate_legacy.py's part
    readme.write_text(STORY.replace("{counts}", counts) + ("\n" + legacy if legacy else ""))


if __name__ == "__main__":
    main()
