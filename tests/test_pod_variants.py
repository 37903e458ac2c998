"""Pods and their owners: pods whose controller is missing, pods that differ from their template.

Inputs are what clusters give: `kubectl get pods -A -o json` dumps (ReplicaSets absent), and live-style
captures where the API server has added the service account token volume, a node name and defaults
to every pod, and where a webhook, an edit or a rollout in progress made some pods differ.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import k8saudit as ka
from k8saudit.findings import audit

NS = "shop"


def deployment(
    name: str = "web", *, containers: list[dict[str, Any]] | None = None, pod_spec: dict[str, Any] | None = None
) -> dict[str, Any]:
    spec = {"containers": containers or [_container()], **(pod_spec or {})}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": NS, "uid": f"uid-deploy-{name}"},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": spec},
        },
    }


def _container(image: str = "registry.example.com/web:1.2") -> dict[str, Any]:
    return {
        "name": "web",
        "image": image,
        "ports": [{"containerPort": 8080}],
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "runAsNonRoot": True,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }


def replicaset(dep: dict[str, Any], h: str, *, replicas: int = 3, spec: dict[str, Any] | None = None) -> dict[str, Any]:
    name = dep["metadata"]["name"]
    tpl = copy.deepcopy(dep["spec"]["template"])
    if spec is not None:
        tpl["spec"] = spec
    tpl["metadata"]["labels"]["pod-template-hash"] = h
    tpl["spec"].setdefault("restartPolicy", "Always")  # what the API server defaults in stored templates
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": f"{name}-{h}",
            "namespace": NS,
            "uid": f"uid-rs-{name}-{h}",
            "labels": {"app": name, "pod-template-hash": h},
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "name": name,
                    "uid": dep["metadata"]["uid"],
                    "controller": True,
                }
            ],
        },
        "spec": {"replicas": replicas, "template": tpl},
    }


def pod_of(rs: dict[str, Any], suffix: str, *, mutate: Any = None) -> dict[str, Any]:
    """A pod as the API server returns it: template spec plus token volume, node, defaults."""
    h = rs["metadata"]["labels"]["pod-template-hash"]
    spec = copy.deepcopy(rs["spec"]["template"]["spec"])
    token = f"kube-api-access-{suffix[:5]}"
    for c in spec["containers"]:
        c.setdefault("volumeMounts", []).append(
            {"name": token, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": True}
        )
        c["terminationMessagePath"] = "/dev/termination-log"
        for p in c.get("ports", []):
            p.setdefault("protocol", "TCP")
        probe = c.get("readinessProbe", {}).get("httpGet")
        if probe is not None:
            probe.setdefault("scheme", "HTTP")
    spec.setdefault("volumes", []).append(
        {
            "name": token,
            "projected": {
                "sources": [
                    {"serviceAccountToken": {"path": "token", "expirationSeconds": 3607}},
                    {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                ]
            },
        }
    )
    spec.update(
        nodeName=f"node-{suffix[-1]}",
        serviceAccountName="default",
        serviceAccount="default",
        securityContext=spec.get("securityContext") or {},
        restartPolicy="Always",
        dnsPolicy="ClusterFirst",
    )
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"{rs['metadata']['name']}-{suffix}",
            "namespace": NS,
            "uid": f"uid-pod-{suffix}",
            "labels": {"app": rs["metadata"]["labels"]["app"], "pod-template-hash": h},
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": rs["metadata"]["name"],
                    "uid": rs["metadata"]["uid"],
                    "controller": True,
                }
            ],
        },
        "spec": spec,
        "status": {"phase": "Running"},
    }
    if mutate is not None:
        mutate(pod["spec"])
    return pod


def write_list(path: Path, items: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}, indent=2))
    return path


def load(tmp_path: Path, *files: tuple[str, list[dict[str, Any]]], sub: str = "dump") -> ka.Snapshot:
    d = tmp_path / sub
    d.mkdir()
    for name, items in files:
        write_list(d / name, items)
    snap = ka.load(d)
    assert snap.skipped.empty, snap.skipped.to_string()
    return snap


def snapshot_contents(snap: ka.Snapshot) -> tuple[Any, ...]:
    """Everything a snapshot holds, comparable: objects as kept, provenance, skipped rows and their wording."""
    import msgspec

    enc = msgspec.json.encode
    return (
        snap.kinds,
        {k: [enc(o) for o in snap.items(k)] for k in snap.kinds},
        {k: snap.provenance(k) for k in snap.kinds},
        snap.skipped_records,
    )


def findings_for(snap: ka.Snapshot, check_id: str) -> Any:
    f = audit(snap)
    assert f.finding_id.is_unique
    return f[f.check_id == check_id]


# --------------------------------------------------------------------------- owners not in the input


def test_kubectl_get_pods_alone_gives_synthetic_owners(tmp_path: Path) -> None:
    """`kubectl get pods -A -o json`: ReplicaSets, StatefulSets and Jobs are not in the dump."""
    dep = deployment()
    rs = replicaset(dep, "5d9c7b6f4")
    pods = [pod_of(rs, s) for s in ("abcde", "fghij", "klmno")]
    sts_pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "db-0",
            "namespace": NS,
            "uid": "uid-db-0",
            "ownerReferences": [{"kind": "StatefulSet", "name": "db", "uid": "uid-sts-db", "controller": True}],
        },
        "spec": {
            "containers": [{"name": "db", "image": "postgres:16"}],
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data-db-0"}}],
        },
    }
    job_pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "backup-29000-xyz",
            "namespace": NS,
            "uid": "uid-job-pod",
            "ownerReferences": [{"kind": "Job", "name": "backup-29000", "uid": "uid-job", "controller": True}],
        },
        "spec": {
            "restartPolicy": "Never",
            "containers": [{"name": "backup", "image": "backup:1", "securityContext": {"privileged": True}}],
        },
    }
    snap = load(tmp_path, ("pods.json", [*pods, sts_pod, job_pod]))
    w = snap.workloads.set_index(["kind", "name"])
    assert set(w.index) == {("Deployment", "web"), ("StatefulSet", "db"), ("Job", "backup-29000")}
    assert w["synthetic"].all()
    assert w.loc[("Deployment", "web"), "pod_count"] == 3
    assert w["pod"].isna().all()  # three identical pods: no variant
    assert w["replicas"].isna().all() and w["strategy"].isna().all()  # unknown without the controller
    c = snap.containers
    assert sorted(c["name"]) == ["backup-29000", "db", "web"]
    priv = findings_for(snap, "privileged")
    assert list(zip(priv.kind, priv.name)) == [("Job", "backup-29000")]


def test_pods_of_a_known_deployment_without_replicasets_roll_up(tmp_path: Path) -> None:
    dep = deployment()
    rs = replicaset(dep, "5d9c7b6f4")
    pods = [pod_of(rs, s) for s in ("abcde", "fghij")]
    snap = load(tmp_path, ("deploy.json", [dep]), ("pods.json", pods))
    w = snap.workloads
    assert len(w) == 1 and w.kind[0] == "Deployment" and not w.synthetic[0] and w.pod_count[0] == 2
    assert snap.containers["pod"].isna().all()


def test_replicaset_without_its_deployment_is_its_own_workload(tmp_path: Path) -> None:
    """Deployments forbidden (or not dumped): the ReplicaSet stands, its pods roll up to it."""
    dep = deployment()
    rs = replicaset(dep, "5d9c7b6f4")
    pods = [pod_of(rs, "abcde"), pod_of(rs, "fghij", mutate=_privileged)]
    snap = load(tmp_path, ("rs.json", [rs]), ("pods.json", pods))
    w = snap.workloads
    assert set(w["kind"]) == {"ReplicaSet"} and not w["synthetic"].any()
    priv = findings_for(snap, "privileged")
    assert list(priv["kind"]) == ["ReplicaSet"] and "web-5d9c7b6f4-fghij" in priv["evidence"].iloc[0]


def test_unknown_owner_kind_and_mutated_member(tmp_path: Path) -> None:
    """A pod owned by a custom controller (an Argo Rollout): the most common spec is the template."""
    base = {"containers": [{"name": "app", "image": "app:1", "securityContext": {"runAsNonRoot": True}}]}

    def pod(i: int, spec: dict[str, Any]) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": f"canary-{i}",
                "namespace": NS,
                "uid": f"u{i}",
                "ownerReferences": [{"kind": "Rollout", "name": "canary", "uid": "r1", "controller": True}],
            },
            "spec": spec,
        }

    odd = copy.deepcopy(base)
    odd["containers"][0]["securityContext"] = {"runAsNonRoot": True, "capabilities": {"add": ["SYS_ADMIN"]}}
    snap = load(tmp_path, ("pods.json", [pod(0, odd), pod(1, base), pod(2, base)]))
    w = snap.workloads
    assert list(w["kind"].unique()) == ["Rollout"] and w["synthetic"].all()
    cap = findings_for(snap, "cap-dangerous-add")
    assert len(cap) == 1 and "canary-0" in cap["evidence"].iloc[0]


# --------------------------------------------------------------------------- pods that differ from their template


def _privileged(spec: dict[str, Any]) -> None:
    spec["containers"][0]["image"] = "attacker.example.com/miner:latest"
    spec["containers"][0]["securityContext"] = {"privileged": True}


def _cap_added(spec: dict[str, Any]) -> None:
    spec["containers"][0]["securityContext"]["capabilities"] = {"add": ["SYS_ADMIN"], "drop": ["ALL"]}


def _image(spec: dict[str, Any]) -> None:
    spec["containers"][0]["image"] = "registry.example.com/web:0.9-debug"


def _host_path(spec: dict[str, Any]) -> None:
    spec["volumes"].append({"name": "host", "hostPath": {"path": "/", "type": "Directory"}})
    spec["containers"][0]["volumeMounts"].append({"name": "host", "mountPath": "/host"})


def _host_network(spec: dict[str, Any]) -> None:
    spec["hostNetwork"] = True


def _no_pod_nonroot(spec: dict[str, Any]) -> None:
    spec["securityContext"] = {"runAsUser": 0}


def _sidecar(spec: dict[str, Any]) -> None:
    spec["containers"].append({"name": "proxy", "image": "envoy:1", "securityContext": {"privileged": True}})


def _live(tmp_path: Path, mutate: Any, *, dep: dict[str, Any] | None = None) -> ka.Snapshot:
    dep = dep or deployment()
    rs = replicaset(dep, "5d9c7b6f4")
    pods = [pod_of(rs, "abcde"), pod_of(rs, "fghij", mutate=mutate), pod_of(rs, "klmno")]
    return load(tmp_path, ("deploy.json", [dep]), ("rs.json", [rs]), ("pods.json", pods))


def test_identical_pods_compact_and_add_nothing(tmp_path: Path) -> None:
    snap = _live(tmp_path, None)
    for p in snap.items("Pod"):  # the token volume, node and defaults are all the pods keep
        assert p.spec.containers is None and p.spec.volumes is None and p.spec.node_name
    assert snap.items("ReplicaSet")[0].spec.template.spec is None
    assert snap.workloads["pod"].isna().all() and snap.containers["pod"].isna().all()
    assert snap.volumes.empty
    assert findings_for(snap, "privileged").empty


@pytest.mark.parametrize(
    ("mutate", "check_id", "column", "value"),
    [
        (_privileged, "privileged", "image", "attacker.example.com/miner:latest"),
        (_cap_added, "cap-dangerous-add", "caps_add", ["SYS_ADMIN"]),
        (_sidecar, "privileged", "container", "proxy"),
    ],
    ids=["privileged-other-image", "capability-added", "injected-sidecar"],
)
def test_mutated_container_is_audited_with_the_pod_named(
    tmp_path: Path, mutate: Any, check_id: str, column: str, value: Any
) -> None:
    snap = _live(tmp_path, mutate)
    c = snap.containers
    odd = c[c["pod"].notna()]
    assert list(odd["pod"]) == ["web-5d9c7b6f4-fghij"]
    assert odd[column].tolist() == [value]
    if mutate is _sidecar:
        assert odd["injected"].all() and not odd["differs_from_template"].any()
    else:
        assert odd["differs_from_template"].all() and not odd["injected"].any()
    f = findings_for(snap, check_id)
    assert list(zip(f.kind, f.name)) == [("Deployment", "web")]
    assert "pod `web-5d9c7b6f4-fghij`" in f["evidence"].iloc[0]
    assert snap.items("Pod")[0].spec.containers is None  # the identical pods still compact


def test_changed_image_only_is_kept(tmp_path: Path) -> None:
    snap = _live(tmp_path, _image)
    c = snap.containers
    assert sorted(c["image"]) == ["registry.example.com/web:0.9-debug", "registry.example.com/web:1.2"]
    assert findings_for(snap, "privileged").empty  # a different image alone is no finding of its own


def test_added_host_path_volume(tmp_path: Path) -> None:
    snap = _live(tmp_path, _host_path)
    v = snap.volumes
    assert list(zip(v["volume"], v["type"], v["host_path"], v["pod"])) == [
        ("host", "hostPath", "/", "web-5d9c7b6f4-fghij")
    ]


def test_pod_level_changes_make_a_variant_workload_row(tmp_path: Path) -> None:
    snap = _live(tmp_path, _host_network)
    w = snap.workloads
    assert len(w) == 2 and w["pod"].tolist()[1] == "web-5d9c7b6f4-fghij"
    assert w["host_network"].tolist() == [False, True]
    f = findings_for(snap, "host-network")
    assert len(f) == 1 and "web-5d9c7b6f4-fghij" in f["evidence"].iloc[0]
    assert snap.namespaces.set_index("name").loc[NS, "workload_count"] == 1


def test_pod_security_context_dropped_reaches_its_containers(tmp_path: Path) -> None:
    """The template runs as non-root at pod level; one pod runs as UID 0 instead."""
    dep = deployment(
        containers=[
            {
                "name": "web",
                "image": "web:1",
                "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
            }
        ],
        pod_spec={"securityContext": {"runAsNonRoot": True, "runAsUser": 1000}},
    )
    snap = _live(tmp_path, _no_pod_nonroot, dep=dep)
    c = snap.containers
    assert c["run_as_user"].tolist() == [1000, 0]
    f = findings_for(snap, "run-as-root")
    assert len(f) == 1 and "web-5d9c7b6f4-fghij" in f["evidence"].iloc[0]


def test_old_revision_mid_rollout(tmp_path: Path) -> None:
    """The old ReplicaSet still runs pods with a privileged container; the new template fixed it."""
    dep = deployment()
    new_rs = replicaset(dep, "7c8d9e0f1", replicas=2)
    old_spec = copy.deepcopy(dep["spec"]["template"]["spec"])
    _privileged(old_spec)
    old_rs = replicaset(dep, "5d9c7b6f4", replicas=1, spec=old_spec)
    retired_spec = copy.deepcopy(dep["spec"]["template"]["spec"])
    _cap_added(retired_spec)
    retired = replicaset(dep, "1a2b3c4d5", replicas=0, spec=retired_spec)  # scaled to 0: runs nothing
    pods = [pod_of(new_rs, "abcde"), pod_of(new_rs, "fghij"), pod_of(old_rs, "klmno")]
    snap = load(tmp_path, ("deploy.json", [dep]), ("rs.json", [new_rs, old_rs, retired]), ("pods.json", pods))
    assert snap.get("ReplicaSet", NS, "web-5d9c7b6f4").spec.template.spec is not None  # differs: kept
    assert snap.get("ReplicaSet", NS, "web-7c8d9e0f1").spec.template.spec is None  # same: compacted
    f = findings_for(snap, "privileged")
    assert list(zip(f.kind, f.name)) == [("Deployment", "web")]
    assert "web-5d9c7b6f4-klmno" in f["evidence"].iloc[0]
    assert findings_for(snap, "cap-dangerous-add").empty
    # without its pods (Pods not readable) the running old ReplicaSet is named instead
    snap2 = load(tmp_path, ("deploy.json", [dep]), ("rs.json", [new_rs, old_rs, retired]), sub="no-pods")
    f2 = findings_for(snap2, "privileged")
    assert "older revision ReplicaSet/web-5d9c7b6f4" in f2["evidence"].iloc[0]


def test_statefulset_claims_and_token_volumes_are_not_differences(tmp_path: Path) -> None:
    sts = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db", "namespace": NS, "uid": "uid-sts"},
        "spec": {
            "replicas": 2,
            "template": {
                "metadata": {"labels": {"app": "db"}},
                "spec": {
                    "containers": [
                        {
                            "name": "db",
                            "image": "postgres:16",
                            "volumeMounts": [{"name": "data", "mountPath": "/var/lib/postgresql"}],
                        }
                    ]
                },
            },
        },
    }
    pods = []
    for i in range(2):
        pods.append(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": f"db-{i}",
                    "namespace": NS,
                    "uid": f"uid-db-{i}",
                    "ownerReferences": [{"kind": "StatefulSet", "name": "db", "uid": "uid-sts", "controller": True}],
                },
                "spec": {
                    "containers": [
                        {
                            "name": "db",
                            "image": "postgres:16",
                            "volumeMounts": [
                                {"name": "data", "mountPath": "/var/lib/postgresql"},
                                {
                                    "name": "default-token-x1y2z",
                                    "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                                },
                            ],
                        }
                    ],
                    "volumes": [
                        {"name": "data", "persistentVolumeClaim": {"claimName": f"data-db-{i}"}},
                        {"name": "default-token-x1y2z", "secret": {"secretName": "default-token-x1y2z"}},
                    ],
                },
            }
        )
    snap = load(tmp_path, ("sts.json", [sts]), ("pods.json", pods))
    assert snap.containers["pod"].isna().all() and snap.volumes.empty
    assert snap.workloads["pod_count"].tolist() == [2]


def test_variants_survive_save_and_reload(tmp_path: Path) -> None:
    snap = _live(tmp_path, _privileged)
    saved = snap.save(tmp_path / "saved")
    again = ka.load(saved)
    a = audit(snap)[["check_id", "kind", "name", "container", "evidence"]]
    b = audit(again)[["check_id", "kind", "name", "container", "evidence"]]
    assert a.reset_index(drop=True).equals(b.reset_index(drop=True))
    assert "web-5d9c7b6f4-fghij" in " ".join(b[b.check_id == "privileged"]["evidence"])


def test_many_identical_mutations_give_one_row(tmp_path: Path) -> None:
    """A webhook that mutates every pod the same way: one row, not one per pod."""
    dep = deployment()
    rs = replicaset(dep, "5d9c7b6f4")
    pods = [pod_of(rs, f"p{i:04d}", mutate=_sidecar) for i in range(50)]
    snap = load(tmp_path, ("deploy.json", [dep]), ("rs.json", [rs]), ("pods.json", pods))
    c = snap.containers
    assert len(c) == 2 and c["pod"].tolist()[1] == "web-5d9c7b6f4-p0000"


def test_containers_kept_by_compaction_are_masked(tmp_path: Path) -> None:
    """Pods are compacted against their template: every container a pod keeps, seen once or again, is masked,
    and so is what the template says."""
    import msgspec

    from k8saudit._normalize import MASK_PREFIX

    def with_creds(password: str, token: str) -> dict[str, Any]:
        c = _container()
        c["env"] = [{"name": "DB_PASSWORD", "value": password}, {"name": "MODE", "value": "fast"}]
        c["args"] = [f"--token={token}", "--verbose"]
        return c

    dep = deployment(containers=[with_creds("template-pw-111", "tpltoken111")])
    rs = replicaset(dep, "5d9c7b6f4")

    def other_creds(spec: dict[str, Any]) -> None:
        spec["containers"][0]["env"][0]["value"] = "pod-pw-2222222"
        spec["containers"][0]["args"][0] = "--token=podtoken2222"
        spec["ephemeralContainers"] = [
            {"name": "debug", "image": "busybox", "env": [{"name": "API_KEY", "value": "ephemeral-key-333"}]}
        ]

    pods = [pod_of(rs, "abcde"), pod_of(rs, "fghij", mutate=other_creds), pod_of(rs, "klmno", mutate=other_creds)]
    snap = load(tmp_path, ("deploy.json", [dep]), ("rs.json", [rs]), ("pods.json", pods))
    stored = b"".join(msgspec.json.encode(o) for k in snap.kinds for o in snap.items(k))
    for secret in (b"template-pw-111", b"tpltoken111", b"pod-pw-2222222", b"podtoken2222", b"ephemeral-key-333"):
        assert secret not in stored
    by_name = {p.metadata.name: p.spec for p in snap.items("Pod")}
    assert by_name["web-5d9c7b6f4-abcde"].containers is None  # says what the template says: dropped
    for name in ("web-5d9c7b6f4-fghij", "web-5d9c7b6f4-klmno"):  # the second one's container was seen before
        (c,) = by_name[name].containers
        assert c.env[0].value.startswith(MASK_PREFIX) and c.env[1].value == "fast"
        assert c.args[0].startswith("--token=" + MASK_PREFIX) and c.args[1] == "--verbose"
        assert by_name[name].ephemeral_containers[0].env[0].value.startswith(MASK_PREFIX)
    c = snap.containers
    assert list(zip(c["pod"].fillna(""), c["container"])) == [  # identical variants make one row
        ("", "web"),
        ("web-5d9c7b6f4-fghij", "web"),
        ("web-5d9c7b6f4-fghij", "debug"),
    ]
    assert not snap.env["value"].astype(str).str.contains("pw-|key-3", regex=True).any()


@pytest.mark.parametrize("order", ["owners-first", "pods-first", "replicaset-first", "deployment-last"])
def test_compaction_whatever_the_order_in_one_file(tmp_path: Path, order: str) -> None:
    """One List holding pods, their ReplicaSet and Deployment in any order: the same compacted snapshot."""
    dep = deployment()
    rs = replicaset(dep, "5d9c7b6f4")
    pods = [pod_of(rs, "abcde"), pod_of(rs, "fghij", mutate=_privileged)]
    items = {
        "owners-first": [dep, rs, *pods],
        "pods-first": [*pods, rs, dep],
        "replicaset-first": [rs, *pods, dep],
        "deployment-last": [rs, dep, *pods][::-1],
    }[order]
    path = write_list(tmp_path / "all.json", items)
    snap = ka.load(path)
    by_name = {p.metadata.name: p.spec for p in snap.items("Pod")}
    assert by_name["web-5d9c7b6f4-abcde"].containers is None  # identical to its template: nothing kept
    assert [c.image for c in by_name["web-5d9c7b6f4-fghij"].containers] == ["attacker.example.com/miner:latest"]
    assert snap.items("ReplicaSet")[0].spec.template.spec is None  # the Deployment's template is the one read
    assert list(snap.containers["pod"].fillna("")) == ["", "web-5d9c7b6f4-fghij"]


def test_replicasets_kept_by_compaction_are_masked(tmp_path: Path) -> None:
    """A ReplicaSet compacted against its Deployment: one that differs keeps its template, masked; one that
    says the same drops it; a duplicate is compared masked."""
    import msgspec

    from k8saudit._normalize import MASK_PREFIX

    def creds(password: str, image: str = "registry.example.com/web:1.2") -> dict[str, Any]:
        c = _container(image)
        c["env"] = [{"name": "DB_PASSWORD", "value": password}]
        c["args"] = [f"--token={password}x"]
        return c

    dep = deployment(containers=[creds("current-pw-111")])
    same = replicaset(dep, "7c8d9e0f1")
    old_spec = copy.deepcopy(dep["spec"]["template"]["spec"])
    old_spec["containers"] = [creds("old-pw-22222222", "registry.example.com/web:1.1")]
    old = replicaset(dep, "5d9c7b6f4", spec=old_spec)
    again = copy.deepcopy(old)  # listed twice: reported as a duplicate, not kept twice
    path = tmp_path / "d"
    path.mkdir()
    write_list(path / "deploy.json", [dep])
    write_list(path / "rs.json", [same, old, again])
    snap = ka.load(path)
    stored = b"".join(msgspec.json.encode(o) for k in snap.kinds for o in snap.items(k))
    assert b"current-pw-111" not in stored and b"old-pw-22222222" not in stored
    assert snap.get("ReplicaSet", NS, "web-7c8d9e0f1").spec.template.spec is None
    (c,) = snap.get("ReplicaSet", NS, "web-5d9c7b6f4").spec.template.spec.containers
    assert c.image.endswith(":1.1") and c.env[0].value.startswith(MASK_PREFIX) and MASK_PREFIX in c.args[0]
    assert snap.skipped["category"].tolist() == ["duplicate"]


def creds_container(pw: str, image: str = "registry.example.com/web:1.2") -> dict[str, Any]:
    """A container whose env and args hold the credential ``pw``."""
    c = _container(image)
    c["env"] = [{"name": "DB_PASSWORD", "value": pw}, {"name": "URL", "value": f"postgres://u:{pw}@db/x"}]
    c["args"] = [f"--token={pw}"]
    return c


def _own_creds(pw: str) -> Any:
    return lambda spec: spec.update(containers=[creds_container(pw)])


_SECRETS = ("pw-aaaa-1111", "pw-bbbb-2222", "tok-cccc-3333")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    order=st.permutations(range(6)),
    creds=st.lists(st.sampled_from(_SECRETS), min_size=6, max_size=6),
    streamed=st.booleans(),
)
def test_shared_parts_are_masked_in_any_order(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    order: list[int],
    creds: list[str],
    streamed: bool,
) -> None:
    """Objects of one List share equal parts once decoded (env lists, labels, owners): whatever the order of the
    objects and whichever of them repeat a credential, no kept object holds one, and parts equal once masked
    are one object."""
    import msgspec

    from k8saudit.sources import files as files_mod

    if streamed:
        monkeypatch.setattr(files_mod, "CHUNK", 4096)  # stream the List in batches of a few objects
    tmp_path = tmp_path_factory.mktemp("shared")

    deps = [deployment(name=f"web{i}", containers=[creds_container(creds[i])]) for i in range(3)]
    rss = [replicaset(d, "5d9c7b6f4") for d in deps]

    pods = [pod_of(rs, f"abcd{i}", mutate=_own_creds(creds[3 + i])) for i, rs in enumerate(rss)]
    objs = [*deps, *pods]
    snap = ka.load(write_list(tmp_path / "all.json", [*rss, *(objs[i] for i in order)]))
    assert snap.skipped.empty, snap.skipped.to_string()
    stored = b"".join(msgspec.json.encode(o) for k in snap.kinds for o in snap.items(k))
    assert not any(s.encode() in stored for s in _SECRETS)
    assert len(snap.items("Pod")) == 3 and len(snap.items("Deployment")) == 3
    assert not snap.env["value"].astype(str).str.contains("|".join(_SECRETS)).any()
    env_of = {d.metadata.name: d.spec.template.spec.containers[0].env for d in snap.items("Deployment")}
    for i in range(3):
        for j in range(3):  # two Deployments saying the same once masked share one env list; different ones do not
            a, b = env_of[f"web{i}"], env_of[f"web{j}"]
            assert (a is b) == (a == b) and (a == b) == (len(creds[i]) == len(creds[j]))  # (masked: a length)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    page_size=st.integers(1, 3),
    late=st.sets(st.sampled_from(["deployments", "replicasets", "pods"])),
    expire=st.sampled_from([None, "deployments", "replicasets", "pods"]),
    creds=st.lists(st.sampled_from(_SECRETS), min_size=7, max_size=7),
    workers=st.sampled_from(["1", "2"]),  # the loader alone, or beside a worker process that compacts pods pages
)
def test_live_pages_are_compacted_and_masked_as_files_are_in_any_order(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    page_size: int,
    late: set[str],
    expire: str | None,
    creds: list[str],
    workers: str,
) -> None:
    """The live loader admits each page as it arrives, compacted against its owners' templates: whatever order the
    pages come in (a kind forbidden at cluster scope is listed again namespace by namespace, after the others; a
    continue token that expires makes a list start again), it keeps what the files loader keeps of the same
    objects, every credential masked, and nothing reported twice."""
    import msgspec

    from k8saudit.sources import _listing
    from k8saudit.testing import FakeApiServer

    monkeypatch.setattr(_listing, "_sleep", lambda _s: None)
    monkeypatch.setenv("K8SAUDIT_WORKERS", workers)
    tmp_path = tmp_path_factory.mktemp("live-order")

    deps = [deployment(name=f"web{i}", containers=[creds_container(creds[i])]) for i in range(3)]
    rss = [replicaset(d, "5d9c7b6f4") for d in deps]
    old = copy.deepcopy(deps[2]["spec"]["template"]["spec"])
    old["containers"] = [creds_container(creds[3], "registry.example.com/web:1.1")]
    rss.append(replicaset(deps[2], "0a1b2c3d4", spec=old))  # an older revision: keeps its own template

    pods = [pod_of(rs, f"same{i}") for i, rs in enumerate(rss)]
    pods += [pod_of(rs, f"diff{i}", mutate=_own_creds(creds[4 + i])) for i, rs in enumerate(rss[:3])]
    namespaces = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}} for n in (NS, "zzz")]
    objects = [*namespaces, *deps, *rss, *pods]
    srv = FakeApiServer(objects)
    for resource in late:  # 403 at cluster scope (and in the empty namespace zzz): listed again in namespace shop
        srv.forbid(resource, namespace="zzz")
    if expire:
        srv.expire_continue(expire, times=1)
    with srv:
        kc = srv.write_kubeconfig(tmp_path / "kubeconfig", context="fake")
        snap = ka.load_cluster(context="fake", kubeconfig=kc, page_size=page_size)
        srv.assert_read_only()
    files = ka.load(write_list(tmp_path / "all.json", objects))
    enc = msgspec.json.encode
    for kind in ("Deployment", "ReplicaSet", "Pod"):
        assert sorted(map(enc, snap.items(kind))) == sorted(map(enc, files.items(kind))), kind
    sk = snap.skipped
    assert sk.category.eq("forbidden").all() and set(sk.namespace) <= {"zzz"}, sk.to_string()
    stored = b"".join(enc(o) for k in snap.kinds for o in snap.items(k))
    assert not any(s.encode() in stored for s in _SECRETS)
    assert all(p.spec.containers is None for p in snap.items("Pod") if "-same" in p.metadata.name)


_EXTRAS = ("duplicate", "conflict", "generated", "unowned", "malformed", "widget", "owner-in-list", "applied")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    order=st.permutations(range(6)),
    creds=st.lists(st.sampled_from(_SECRETS), min_size=7, max_size=7),
    extras=st.sets(st.sampled_from(_EXTRAS)),
    workers=st.sampled_from(["2", "3"]),  # processes: the loader and 1 or 2 workers
    ready=st.sampled_from([True, False, None]),
)
def test_pods_admitted_by_workers_as_by_one_process_in_any_order(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    order: list[int],
    creds: list[str],
    extras: set[str],
    workers: str,
    ready: bool | None,
) -> None:
    """Pods admitted by worker processes (and by the loader ahead of their turn) make the very snapshot one
    process makes: objects, provenance, skipped rows, whatever the order of the pods and whatever the List
    holds besides (duplicates, conflicts, pods named by generateName, pods whose owner is not in the dump, a
    malformed item, another kind, an owner after the first pods); and nothing a worker is sent or sends back
    holds a credential."""

    from k8saudit.sources import _parallel
    from k8saudit.sources import files as files_mod

    tmp_path = tmp_path_factory.mktemp("workers")

    deps = [deployment(name=f"web{i}", containers=[creds_container(creds[i])]) for i in range(3)]
    rss = [replicaset(d, "5d9c7b6f4") for d in deps]
    pods = [pod_of(rs, f"same{i}") for i, rs in enumerate(rss)]
    pods += [pod_of(rs, f"diff{i}", mutate=_own_creds(creds[3 + i])) for i, rs in enumerate(rss)]
    items = [pods[i] for i in order]
    if "duplicate" in extras:
        items.append(copy.deepcopy(items[1]))
    if "conflict" in extras:
        items.append(pod_of(rss[order[2] % 3], f"same{order[2] % 3}", mutate=_own_creds(creds[6])))
    if "generated" in extras:
        for k in range(2):
            p = pod_of(rss[k], f"gen{k}", mutate=_own_creds(creds[6]) if k else None)
            p["metadata"]["generateName"] = p["metadata"].pop("name")[:-4]
            items.append(p)
    if "unowned" in extras:
        p = pod_of(rss[0], "lost0", mutate=_own_creds(creds[6]))
        p["metadata"]["ownerReferences"][0]["uid"] = "uid-not-in-the-dump"
        items.append(p)
    if "malformed" in extras:
        items.insert(2, {**pod_of(rss[1], "bad00"), "status": "@@BROKEN@@"})
    if "widget" in extras:
        items.insert(3, {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": NS}})
    if "owner-in-list" in extras:
        dep = deployment(name="late", containers=[creds_container(creds[6])])
        late = replicaset(dep, "0a1b2c3d4")
        items[4:4] = [dep, late]
        items += [pod_of(late, "late0"), pod_of(late, "late1", mutate=_own_creds(creds[5]))]
    if "applied" in extras:
        applied = json.dumps({"kind": "Pod", "spec": {"containers": [creds_container(creds[6])]}})
        items[0]["metadata"]["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration": applied}
    d = tmp_path / "dump"
    d.mkdir()
    write_list(d / "deploy.json", deps)
    write_list(d / "rs.json", rss)
    pods_json = write_list(d / "pods.json", items)
    pods_json.write_text(pods_json.read_text().replace('"@@BROKEN@@"', "@@BROKEN@@"))
    monkeypatch.setattr(files_mod, "CHUNK", 1500)  # a few pods a batch
    sent: list[bytes] = []

    class Watched(_parallel.Pool):
        def __init__(self, path: Path, item_kind: str | None, templates: bytes, n: int) -> None:
            sent.append(templates)
            super().__init__(path, item_kind, templates, n)

        def ready(self) -> bool:  # the loader waits for the workers, takes every batch it can, or as it comes
            return super().ready() if ready is None else ready

        def result(self) -> tuple[int, int, bytes | None]:
            got = super().result()
            if got[2] is not None:
                sent.append(got[2])
            return got

    monkeypatch.setattr(_parallel, "Pool", Watched)
    contents = snapshot_contents

    monkeypatch.setenv("K8SAUDIT_WORKERS", "0")
    alone = contents(ka.load(d))
    assert not sent
    monkeypatch.setenv("K8SAUDIT_WORKERS", workers)
    together = ka.load(d)
    assert contents(together) == alone
    assert len(sent) >= 2  # the templates, and at least one batch admitted by a worker
    for blob in sent:
        assert not any(s.encode() in blob for s in _SECRETS)
    if "malformed" in extras:
        (row,) = [r for r in together.skipped_records if r["category"] == "parse_error"]
        assert row["source"] == "pods.json" and row["document"] == "0/items/2", row
    assert len(together.items("Pod")) >= 6 and together.kinds.get("Deployment", 0) >= 3
