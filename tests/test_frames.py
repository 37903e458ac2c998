"""Frames on hand-written fixtures: the subtle parts (effective securityContext, rollup, RBAC, ...)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest

import k8saudit as ka
from k8saudit.frames import FRAMES, SCHEMAS


def load_yaml(tmp_path: Path, text: str, name: str = "m.yaml") -> ka.Snapshot:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    snap = ka.load(p)
    assert snap.skipped.empty, snap.skipped.to_string()
    return snap


POD_SC = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      securityContext: {runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}
      initContainers:
      - {name: init, image: busybox, securityContext: {runAsUser: 0}}
      - {name: sidecar, image: envoy, restartPolicy: Always}
      containers:
      - name: app
        image: app:1
        securityContext: {runAsNonRoot: false, capabilities: {add: [cap_net_admin, SYS_TIME], drop: [all]}}
        ports: [{containerPort: 80, hostPort: 8080}, {containerPort: 81}]
        readinessProbe: {httpGet: {port: 80}}
      - name: plain
        image: plain:1
      ephemeralContainers:
      - {name: debug, image: busybox, securityContext: {privileged: true}}
"""


def test_effective_security_context_container_over_pod(tmp_path: Path) -> None:
    c = load_yaml(tmp_path, POD_SC).containers.set_index("container")
    assert list(c.index) == ["app", "plain", "init", "sidecar", "debug"]
    assert c.loc["app", "run_as_non_root"] is False or c.loc["app", "run_as_non_root"] == False  # noqa: E712
    assert c.loc["plain", "run_as_non_root"] == True  # noqa: E712  inherited from the pod
    assert c.loc["init", "run_as_user"] == 0 and c.loc["plain", "run_as_user"] == 1000
    assert c.loc["plain", "seccomp_profile"] == "RuntimeDefault"
    assert c.loc["app", "caps_add"] == ["NET_ADMIN", "SYS_TIME"] and c.loc["app", "caps_drop"] == ["ALL"]
    assert c.loc["app", "host_ports"] == [8080]
    assert c.loc["app", "readiness_probe"] and not c.loc["plain", "readiness_probe"]
    assert c.loc["debug", "container_type"] == "ephemeral" and c.loc["debug", "privileged"] == True  # noqa: E712
    assert pd.isna(c.loc["plain", "privileged"])  # not set stays <NA>, not False
    assert c.loc["sidecar", "sidecar"] and c.loc["sidecar", "long_running"]
    assert not c.loc["init", "long_running"] and c.loc["app", "long_running"]


LIVE_STYLE = """
apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: api, namespace: shop, uid: d1}
  spec:
    replicas: 2
    strategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: "50%"}}
    selector: {matchLabels: {app: api}}
    template: {metadata: {labels: {app: api}}, spec: {containers: [{name: api, image: api}]}}
- apiVersion: apps/v1
  kind: ReplicaSet
  metadata: {name: api-7d9f, namespace: shop, uid: rs1, ownerReferences: [{kind: Deployment, name: api, uid: d1, controller: true}]}
  spec: {replicas: 2, template: {spec: {containers: [{name: api, image: api}]}}}
- apiVersion: v1
  kind: Pod
  metadata: {name: api-7d9f-a, namespace: shop, ownerReferences: [{kind: ReplicaSet, name: api-7d9f, uid: rs1, controller: true}]}
  spec: {containers: [{name: api, image: api}]}
- apiVersion: v1
  kind: Pod
  metadata: {name: api-7d9f-b, namespace: shop, ownerReferences: [{kind: ReplicaSet, name: api-7d9f, uid: rs1, controller: true}]}
  spec: {containers: [{name: api, image: api}]}
- apiVersion: batch/v1
  kind: CronJob
  metadata: {name: nightly, namespace: batch, uid: cj1}
  spec: {schedule: "0 1 * * *", jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: r, image: r}]}}}}}
- apiVersion: batch/v1
  kind: Job
  metadata: {name: nightly-29000, namespace: batch, uid: j1, ownerReferences: [{kind: CronJob, name: nightly, uid: cj1, controller: true}]}
  spec: {template: {spec: {restartPolicy: Never, containers: [{name: r, image: r}]}}}
- apiVersion: v1
  kind: Pod
  metadata: {name: nightly-29000-x, namespace: batch, ownerReferences: [{kind: Job, name: nightly-29000, uid: j1, controller: true}]}
  spec: {restartPolicy: Never, containers: [{name: r, image: r}]}
- apiVersion: v1
  kind: Pod
  metadata: {name: debug-shell, namespace: shop}
  spec: {containers: [{name: sh, image: busybox}]}
- apiVersion: v1
  kind: Pod
  metadata: {name: kube-apiserver-cp1, namespace: kube-system, labels: {component: kube-apiserver},
             ownerReferences: [{kind: Node, name: cp1, uid: n1, controller: true}]}
  spec:
    nodeName: cp1
    hostNetwork: true
    containers:
    - name: kube-apiserver
      image: registry.k8s.io/kube-apiserver:v1.31.2
      command: [kube-apiserver, --anonymous-auth=false, "--authorization-mode=Node,RBAC", --profiling, --secure-port, "6443"]
- apiVersion: v1
  kind: Pod
  metadata: {name: roll-abc, namespace: shop, ownerReferences: [{kind: Rollout, name: roll, uid: r9, controller: true}]}
  spec: {containers: [{name: c, image: c}]}
- apiVersion: v1
  kind: Pod
  metadata: {name: roll-def, namespace: shop, ownerReferences: [{kind: Rollout, name: roll, uid: r9, controller: true}]}
  spec: {containers: [{name: c, image: c}]}
"""


def test_live_pods_roll_up_to_their_top_owner(tmp_path: Path) -> None:
    snap = load_yaml(tmp_path, LIVE_STYLE)
    w = snap.workloads.set_index(["kind", "namespace", "name"])
    assert sorted(w.index) == sorted(
        [
            ("Deployment", "shop", "api"),
            ("CronJob", "batch", "nightly"),
            ("Pod", "shop", "debug-shell"),
            ("Pod", "kube-system", "kube-apiserver-cp1"),
            ("Rollout", "shop", "roll"),
        ]
    )
    assert w.loc[("Deployment", "shop", "api"), "pod_count"] == 2
    assert w.loc[("CronJob", "batch", "nightly"), "pod_count"] == 1
    assert w.loc[("Rollout", "shop", "roll"), "pod_count"] == 2
    assert w.loc[("Deployment", "shop", "api"), "max_unavailable"] == "50%"
    assert w.loc[("Deployment", "shop", "api"), "max_unavailable_pods"] == 1
    # containers come from the top owner's template, once
    c = snap.containers
    assert len(c[(c.kind == "Deployment") & (c.name == "api")]) == 1
    assert not c[c.kind == "CronJob"].long_running.any()


def test_apiserver_flags_from_command_and_args(tmp_path: Path) -> None:
    a = load_yaml(tmp_path, LIVE_STYLE).apiserver
    flags = dict(zip(a.flag, a.value))
    assert flags == {
        "anonymous-auth": "false",
        "authorization-mode": "Node,RBAC",
        "profiling": "true",
        "secure-port": "6443",
    }
    assert set(a.node) == {"cp1"}


RBAC = """
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: view}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {rbac.authorization.k8s.io/aggregate-to-view: "true"}}]
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: extra-view, labels: {rbac.authorization.k8s.io/aggregate-to-view: "true"}}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get, list]}
- {apiGroups: [apps], resources: [deployments], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: devs-view, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
- {kind: Group, name: devs}
- {kind: ServiceAccount, name: ci}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: system-thing}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: missing-role}
subjects: [{kind: User, name: "system:kube-scheduler"}]
"""


def test_rbac_binding_subject_rule_rows(tmp_path: Path) -> None:
    r = load_yaml(tmp_path, RBAC).rbac
    rb = r[r.binding == "devs-view"]
    assert len(rb) == 4  # 2 subjects x 2 aggregated rules
    assert set(rb.scope) == {"shop"}
    sa = rb[rb.subject_kind == "ServiceAccount"]
    assert set(sa.subject_namespace) == {"shop"}  # defaults to the binding's namespace
    assert sorted(map(tuple, rb[rb.subject == "devs"].resources)) == [("deployments",), ("pods",)]
    missing = r[r.binding == "system-thing"].iloc[0]
    assert missing.role_found == False and pd.isna(missing.rule_index) and missing.is_system_subject  # noqa: E712


NODES = """
apiVersion: v1
kind: Node
metadata: {name: a, labels: {node-role.kubernetes.io/control-plane: ""}}
status: {addresses: [{type: InternalIP, address: 10.0.0.1}, {type: Hostname, address: a}]}
---
apiVersion: v1
kind: Node
metadata: {name: b}
status: {addresses: [{type: InternalIP, address: 10.0.0.2}, {type: ExternalIP, address: 203.0.113.7}]}
---
apiVersion: v1
kind: Node
metadata: {name: c}
status: {addresses: [{type: InternalIP, address: 198.51.100.9}]}
---
apiVersion: v1
kind: Node
metadata: {name: d}
status: {addresses: [{type: InternalIP, address: 100.64.3.4}]}
"""


def test_nodes_public_addresses(tmp_path: Path) -> None:
    n = load_yaml(tmp_path, NODES).nodes.set_index("name")
    assert n.has_public_address.to_dict() == {"a": False, "b": True, "c": True, "d": False}
    assert n.loc["a", "roles"] == ["control-plane"]
    assert n.loc["c", "public_ips"] == ["198.51.100.9"]


ENV = """
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: ns}
spec:
  containers:
  - name: c
    image: c
    env:
    - {name: DB_PASSWORD, value: hunter2}
    - {name: LOG_LEVEL, value: debug}
    - {name: PASSWORD_FILE, value: /run/secrets/pw}
    - {name: API_KEY, valueFrom: {secretKeyRef: {name: s, key: k}}}
    - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
    envFrom:
    - secretRef: {name: all-secrets}
    - {prefix: CFG_, configMapRef: {name: cfg}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: ns}
data: {api_token: abcdef, color: blue}
"""


def test_env_and_configmap_credentials_are_masked(tmp_path: Path) -> None:
    snap = load_yaml(tmp_path, ENV)
    e = snap.env.set_index("var")
    assert e.loc["DB_PASSWORD", "value"] == "<masked: 7 chars>"
    assert e.loc["LOG_LEVEL", "value"] == "debug"
    assert e.loc["PASSWORD_FILE", "value"] == "/run/secrets/pw" and not e.loc["PASSWORD_FILE", "looks_like_credential"]
    assert e.loc["API_KEY", "source"] == "secret_key_ref" and e.loc["API_KEY", "secret_name"] == "s"
    assert e.loc["POD_IP", "source"] == "field_ref"
    assert set(snap.env.source) >= {"env_from_secret", "env_from_config_map"}
    cm = snap.config_maps.set_index("key")
    assert cm.loc["api_token", "value"] == "<masked: 6 chars>" and cm.loc["api_token", "value_length"] == 6
    assert pd.isna(cm.loc["color", "value"])
    assert "hunter2" not in repr(snap.items("Pod")) and "abcdef" not in repr(snap.items("ConfigMap"))


RUNS = """
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: ns}
spec:
  initContainers: [{name: init, image: i, env: [{name: STAGE, value: init}]}]
  containers:
  - {name: quiet, image: q, envFrom: [{prefix: NOTHING_}]}
  - name: a
    image: a
    env: [{name: A1, value: x}, {name: A2, valueFrom: {configMapKeyRef: {name: cfg, key: k}}}]
    envFrom: [{secretRef: {name: s}}]
  - name: b
    image: b
    env: [{name: B1, value: "true"}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: empty, namespace: ns}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: one, namespace: ns}
data: {k1: v}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: three, namespace: other}
data: {x: "1", password: hunter2, z: ""}
"""


def test_rows_sharing_their_first_columns_keep_them_row_by_row(tmp_path: Path) -> None:
    # env rows and ConfigMap keys are built as runs (the container's, the ConfigMap's columns once per run):
    # each row keeps its own, a container or ConfigMap with no rows takes none
    snap = load_yaml(tmp_path, RUNS)
    env = snap.env
    assert list(zip(env.container, env.container_type, env["var"], env.source)) == [
        ("a", "container", "A1", "literal"),
        ("a", "container", "A2", "config_map_key_ref"),
        ("a", "container", "", "env_from_secret"),
        ("b", "container", "B1", "literal"),
        ("init", "init", "STAGE", "literal"),
    ]
    assert set(env.cluster) == {snap.cluster} and set(env.kind) == {"Pod"} and set(env.name) == {"p"}
    assert env.pod.isna().all() and env.config_map_name.tolist()[1] == "cfg"
    cm = snap.config_maps
    assert list(zip(cm.namespace, cm["name"], cm.key, cm.value_length)) == [
        ("ns", "one", "k1", 1),
        ("other", "three", "x", 1),
        ("other", "three", "password", 7),
        ("other", "three", "z", 0),
    ]
    assert cm.looks_like_credential.tolist() == [False, False, True, False]
    assert cm.value.tolist()[2] == "<masked: 7 chars>" and cm.value.isna().sum() == 3
    objects = snap.objects
    assert list(zip(objects.kind, objects["name"])) == [
        ("Pod", "p"),
        ("ConfigMap", "empty"),
        ("ConfigMap", "one"),
        ("ConfigMap", "three"),
    ]
    assert (objects.cluster == snap.cluster).all()
    for name in ("env", "config_maps", "objects"):
        assert snap.frame(name).dtypes.to_dict() == {c: d for c, d, _ in SCHEMAS[name]}, name


def test_env_values_written_as_other_types_are_text_as_the_pod_gets_them(tmp_path: Path) -> None:
    env = "[{name: A, value: true}, {name: B, value: false}, {name: C, value: 0}, {name: D, value: 1.5}, {name: E}, "
    env += '{name: F, value: ""}, {name: G, value: text}]'
    pod = f"{{apiVersion: v1, kind: Pod, metadata: {{name: p, namespace: ns}}, spec: {{containers: [{{name: c, image: c, env: {env}}}]}}}}"
    snap = load_yaml(tmp_path, pod)
    assert snap.env[["var", "value"]].values.tolist() == [
        ["A", "true"],
        ["B", "false"],
        ["C", "0"],
        ["D", "1.5"],
        ["E", ""],
        ["F", ""],
        ["G", "text"],
    ]


def test_namespaces_and_network_policies(tmp_path: Path) -> None:
    snap = load_yaml(
        tmp_path,
        """
        apiVersion: v1
        kind: Namespace
        metadata: {name: shop, labels: {pod-security.kubernetes.io/enforce: restricted}}
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: deny, namespace: shop}
        spec: {podSelector: {}, policyTypes: [Ingress]}
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: db, namespace: other}
        spec: {podSelector: {matchLabels: {app: db}}, egress: [{}]}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: p, namespace: other}
        spec: {containers: [{name: c, image: c}]}
        """,
    )
    np_ = snap.network_policies.set_index("name")
    assert np_.loc["deny", "default_deny_ingress"] and not np_.loc["deny", "default_deny_egress"]
    assert np_.loc["db", "policy_types"] == ["Ingress", "Egress"] and not np_.loc["db", "selects_all_pods"]
    ns = snap.namespaces.set_index("name")
    assert ns.loc["shop", "psa_enforce"] == "restricted" and ns.loc["shop", "declared"]
    assert not ns.loc["other", "declared"] and ns.loc["other", "workload_count"] == 1
    assert ns.loc["other", "network_policy_count"] == 1 and not ns.loc["other", "default_deny_ingress"]


def test_automount_pod_over_serviceaccount_over_default(tmp_path: Path) -> None:
    w = load_yaml(
        tmp_path,
        """
        apiVersion: v1
        kind: ServiceAccount
        metadata: {name: quiet, namespace: a}
        automountServiceAccountToken: false
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: uses-sa, namespace: a}
        spec: {serviceAccountName: quiet, containers: [{name: c, image: c}]}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: overrides, namespace: a}
        spec: {serviceAccountName: quiet, automountServiceAccountToken: true, containers: [{name: c, image: c}]}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: default-sa, namespace: a}
        spec: {containers: [{name: c, image: c}]}
        """,
    ).workloads.set_index("name")
    assert w.automount_sa_token.to_dict() == {"uses-sa": False, "overrides": True, "default-sa": True}
    assert w.automount_source.to_dict() == {"uses-sa": "service_account", "overrides": "pod", "default-sa": "default"}


@pytest.mark.parametrize("name", list(FRAMES))
def test_frame_schema_on_the_sample(name: str, sample_snap: ka.Snapshot) -> None:
    df = sample_snap.frame(name)
    expected = [(c, d) for c, d, _ in SCHEMAS[name]]
    assert [(c, str(df[c].dtype)) for c in df.columns] == [
        (c, "str" if d == "string" and str(df[c].dtype) == "str" else d) for c, d in expected
    ]
    assert len(df) > 0, f"the sample cluster has no rows in {name}"


@pytest.mark.parametrize("name", list(FRAMES))
def test_empty_snapshot_frames_have_the_schema(name: str) -> None:
    df = ka.Snapshot("empty").frame(name)
    assert list(df.columns) == [c for c, _, _ in SCHEMAS[name]] and df.empty


def test_frames_are_cached(sample_snap: ka.Snapshot) -> None:
    assert sample_snap.workloads is sample_snap.workloads


def test_ephemeral_containers_of_live_pods_count(tmp_path: Path) -> None:
    """`kubectl debug` adds ephemeral containers to pods, never to templates: they roll up too."""
    text = LIVE_STYLE.replace(
        "  metadata: {name: api-7d9f-b, namespace: shop, ownerReferences: [{kind: ReplicaSet, name: api-7d9f, uid: rs1, controller: true}]}\n"
        "  spec: {containers: [{name: api, image: api}]}",
        "  metadata: {name: api-7d9f-b, namespace: shop, ownerReferences: [{kind: ReplicaSet, name: api-7d9f, uid: rs1, controller: true}]}\n"
        "  spec: {containers: [{name: api, image: api}], ephemeralContainers: [{name: debugger, image: busybox, securityContext: {runAsUser: 0}}]}",
    )
    assert text != LIVE_STYLE
    c = load_yaml(tmp_path, text).containers
    dbg = c[c.container == "debugger"]
    assert dbg[["kind", "name", "container_type"]].values.tolist() == [["Deployment", "api", "ephemeral"]]
    assert dbg.run_as_user.tolist() == [0]


def test_injected_sidecars_of_live_pods_are_containers_too(tmp_path: Path) -> None:
    """A mutating webhook (a service mesh) adds containers to pods that the template never had."""
    text = LIVE_STYLE.replace(
        "  metadata: {name: api-7d9f-a, namespace: shop, ownerReferences: [{kind: ReplicaSet, name: api-7d9f, uid: rs1, controller: true}]}\n"
        "  spec: {containers: [{name: api, image: api}]}",
        "  metadata: {name: api-7d9f-a, namespace: shop, ownerReferences: [{kind: ReplicaSet, name: api-7d9f, uid: rs1, controller: true}]}\n"
        "  spec: {containers: [{name: api, image: api}, {name: istio-proxy, image: proxyv2}],"
        " initContainers: [{name: istio-init, image: proxyv2, securityContext: {capabilities: {add: [NET_ADMIN, NET_RAW]}}}]}",
    )
    assert text != LIVE_STYLE
    snap = load_yaml(tmp_path, text)
    c = snap.containers[(snap.containers.kind == "Deployment") & (snap.containers.name == "api")].set_index("container")
    assert list(c.index) == ["api", "istio-proxy", "istio-init"]
    assert c.injected.to_dict() == {"api": False, "istio-proxy": True, "istio-init": True}
    assert c.loc["istio-init", "caps_add"] == ["NET_ADMIN", "NET_RAW"]
    # owned objects were compacted: the pods keep only what their template lacks, the ReplicaSet no template
    pods = {p.metadata.name: p for p in snap.items("Pod")}
    assert [x.name for x in pods["api-7d9f-a"].spec.containers] == ["istio-proxy"]
    assert pods["api-7d9f-b"].spec.containers is None
    assert snap.items("ReplicaSet")[0].spec.template.spec is None


def test_boolean_flags_never_take_the_next_token() -> None:
    from k8saudit.frames import parse_flags

    got = dict(
        parse_flags(["kube-apiserver", "--anonymous-auth", "false", "--secure-port", "6443", "--profiling=false"])
    )
    assert got == {"anonymous-auth": "true", "secure-port": "6443", "profiling": "false"}
