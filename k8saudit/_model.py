"""Typed views of the Kubernetes objects k8saudit reads.

Each kind is a :class:`msgspec.Struct` that declares only the fields the frames
and checks need; every other field is skipped while decoding, which is what
makes loading a 100k-pod cluster cheap. The same types decode manifests, API
list pages and saved snapshots, so every source yields the same objects.

Secrets carry no values: :class:`Secret` has ``data_keys`` only (the loader
drops values before an object is kept).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Union

import msgspec
from msgspec import Meta, Struct, field


class _S(Struct, rename="camel", omit_defaults=True, gc=False):
    """Base of every nested part: camelCase on the wire, unknown fields skipped."""


# --------------------------------------------------------------------------- metadata


class OwnerReference(_S):
    kind: str | None = None
    name: str | None = None
    uid: str | None = None
    api_version: str | None = None
    controller: bool | None = None


class ObjectMeta(_S):
    name: str | None = None
    namespace: str | None = None
    uid: str | None = None
    generate_name: str | None = None
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    owner_references: list[OwnerReference] | None = None
    creation_timestamp: str | None = None


class LabelSelectorRequirement(_S):
    key: str = ""
    operator: str = ""
    values: list[str] | None = None


class LabelSelector(_S):
    match_labels: dict[str, str] | None = None
    match_expressions: list[LabelSelectorRequirement] | None = None


# --------------------------------------------------------------------------- pods

#: an integer the API can hold (int64): a larger one makes the object invalid (skipped with the field's
#: path) instead of overflowing a frame column and failing every check that reads it
I64 = Annotated[int, Meta(ge=-(2**63), le=2**63 - 1)]

IntOrStr = I64 | str


class KeyRef(_S):
    name: str | None = None
    key: str | None = None
    optional: bool | None = None


class FieldRef(_S):
    field_path: str | None = None


class ResourceFieldRef(_S):
    resource: str | None = None
    container_name: str | None = None


class EnvVarSource(_S):
    secret_key_ref: KeyRef | None = None
    config_map_key_ref: KeyRef | None = None
    field_ref: FieldRef | None = None
    resource_field_ref: ResourceFieldRef | None = None


class EnvVar(_S):
    name: str = ""
    value: str | int | float | bool | None = None
    value_from: EnvVarSource | None = None


class NameRef(_S):
    name: str | None = None
    optional: bool | None = None


class EnvFromSource(_S):
    prefix: str | None = None
    secret_ref: NameRef | None = None
    config_map_ref: NameRef | None = None


class ContainerPort(_S):
    container_port: I64 | None = None
    host_port: I64 | None = None
    host_ip: str | None = field(default=None, name="hostIP")
    protocol: str | None = None
    name: str | None = None


class Capabilities(_S):
    add: list[str] | None = None
    drop: list[str] | None = None


class SeccompProfile(_S):
    type: str | None = None
    localhost_profile: str | None = None


class SELinuxOptions(_S):
    user: str | None = None
    role: str | None = None
    type: str | None = None
    level: str | None = None


class WindowsOptions(_S):
    host_process: bool | None = None
    run_as_user_name: str | None = None


class SecurityContext(_S):
    privileged: bool | None = None
    allow_privilege_escalation: bool | None = None
    read_only_root_filesystem: bool | None = None
    run_as_non_root: bool | None = None
    run_as_user: I64 | None = None
    run_as_group: I64 | None = None
    proc_mount: str | None = None
    capabilities: Capabilities | None = None
    seccomp_profile: SeccompProfile | None = None
    se_linux_options: SELinuxOptions | None = field(default=None, name="seLinuxOptions")
    app_armor_profile: SeccompProfile | None = None
    windows_options: WindowsOptions | None = None


class Sysctl(_S):
    name: str = ""
    value: str | int | float | None = None


class PodSecurityContext(_S):
    run_as_non_root: bool | None = None
    run_as_user: I64 | None = None
    run_as_group: I64 | None = None
    fs_group: I64 | None = None
    supplemental_groups: list[I64] | None = None
    seccomp_profile: SeccompProfile | None = None
    se_linux_options: SELinuxOptions | None = field(default=None, name="seLinuxOptions")
    app_armor_profile: SeccompProfile | None = None
    windows_options: WindowsOptions | None = None
    sysctls: list[Sysctl] | None = None


class HTTPGetAction(_S):
    host: str | None = None
    port: IntOrStr | None = None
    path: str | None = None
    scheme: str | None = None


class TCPSocketAction(_S):
    host: str | None = None
    port: IntOrStr | None = None


class Handler(_S):
    """A probe or lifecycle handler (only what the checks look at)."""

    exec: Any = None
    http_get: HTTPGetAction | None = None
    tcp_socket: TCPSocketAction | None = None
    grpc: Any = None
    sleep: Any = None


class Lifecycle(_S):
    post_start: Handler | None = None
    pre_stop: Handler | None = None


class VolumeMount(_S):
    name: str = ""
    mount_path: str | None = None
    read_only: bool | None = None


class Resources(_S):
    limits: dict[str, str | int | float] | None = None
    requests: dict[str, str | int | float] | None = None


class Container(_S):
    name: str = ""
    image: str | None = None
    command: list[str] | None = None
    args: list[str] | None = None
    env: list[EnvVar] | None = None
    env_from: list[EnvFromSource] | None = None
    ports: list[ContainerPort] | None = None
    security_context: SecurityContext | None = None
    readiness_probe: Handler | None = None
    liveness_probe: Handler | None = None
    startup_probe: Handler | None = None
    lifecycle: Lifecycle | None = None
    volume_mounts: list[VolumeMount] | None = None
    resources: Resources | None = None
    restart_policy: str | None = None


class HostPathSource(_S):
    path: str | None = None
    type: str | None = None


class SecretVolumeSource(_S):
    secret_name: str | None = None


class PVCSource(_S):
    claim_name: str | None = None
    read_only: bool | None = None


#: every volume type the API knows; the first one set is the volume's type
VOLUME_TYPES: tuple[str, ...] = (
    "host_path",
    "secret",
    "config_map",
    "persistent_volume_claim",
    "empty_dir",
    "projected",
    "downward_api",
    "csi",
    "ephemeral",
    "image",
    "aws_elastic_block_store",
    "azure_disk",
    "azure_file",
    "cephfs",
    "cinder",
    "fc",
    "flex_volume",
    "flocker",
    "gce_persistent_disk",
    "git_repo",
    "glusterfs",
    "iscsi",
    "nfs",
    "photon_persistent_disk",
    "portworx_volume",
    "quobyte",
    "rbd",
    "scale_io",
    "storageos",
    "vsphere_volume",
)


class Volume(_S):
    name: str = ""
    host_path: HostPathSource | None = None
    secret: SecretVolumeSource | None = None
    config_map: NameRef | None = None
    persistent_volume_claim: PVCSource | None = None
    empty_dir: Any = None
    projected: Any = None
    downward_api: Any = field(default=None, name="downwardAPI")
    csi: Any = None
    ephemeral: Any = None
    image: Any = None
    aws_elastic_block_store: Any = None
    azure_disk: Any = None
    azure_file: Any = None
    cephfs: Any = None
    cinder: Any = None
    fc: Any = None
    flex_volume: Any = None
    flocker: Any = None
    gce_persistent_disk: Any = None
    git_repo: Any = None
    glusterfs: Any = None
    iscsi: Any = None
    nfs: Any = None
    photon_persistent_disk: Any = None
    portworx_volume: Any = None
    quobyte: Any = None
    rbd: Any = None
    scale_io: Any = None
    storageos: Any = None
    vsphere_volume: Any = None

    @property
    def type(self) -> str:
        """The volume source as named in the API; a volume naming none is the ``emptyDir``
        the API server defaults it to (a live cluster shows it so)."""
        for name in VOLUME_TYPES:
            if getattr(self, name) is not None:
                return _VOLUME_WIRE[name]
        return "emptyDir"


_VOLUME_WIRE = {n: Volume.__struct_encode_fields__[Volume.__struct_fields__.index(n)] for n in VOLUME_TYPES}


class PodOS(_S):
    name: str | None = None


class PodSpec(_S):
    containers: list[Container] | None = None
    init_containers: list[Container] | None = None
    ephemeral_containers: list[Container] | None = None
    volumes: list[Volume] | None = None
    service_account_name: str | None = None
    service_account: str | None = None
    automount_service_account_token: bool | None = None
    host_network: bool | None = None
    host_pid: bool | None = field(default=None, name="hostPID")
    host_ipc: bool | None = field(default=None, name="hostIPC")
    host_users: bool | None = None
    security_context: PodSecurityContext | None = None
    node_name: str | None = None
    os: PodOS | None = None
    restart_policy: str | None = None


class PodTemplate(_S):
    metadata: ObjectMeta | None = None
    spec: PodSpec | None = None


class RollingUpdate(_S):
    max_unavailable: IntOrStr | None = None
    max_surge: IntOrStr | None = None
    partition: I64 | None = None


class Strategy(_S):
    type: str | None = None
    rolling_update: RollingUpdate | None = None


class PodStatus(_S):
    phase: str | None = None
    host_ip: str | None = field(default=None, name="hostIP")
    pod_ip: str | None = field(default=None, name="podIP")


# --------------------------------------------------------------------------- kinds


class K8sObject(Struct, rename="camel", omit_defaults=True, gc=False, tag_field="kind"):
    """Base of every top-level kind. ``kind`` is the struct's tag."""

    api_version: str | None = None
    metadata: ObjectMeta = field(default_factory=ObjectMeta)

    #: (group, plural, namespaced) for the API; set per subclass
    api: ClassVar[tuple[str, str, bool]] = ("", "", True)

    @property
    def kind(self) -> str:
        return type(self).__struct_config__.tag  # type: ignore[return-value]


class Generic(Struct, rename="camel", omit_defaults=True, gc=False):
    """Any kind k8saudit does not model (CRDs and custom resources): metadata only."""

    kind: str = ""
    api_version: str | None = None
    metadata: ObjectMeta = field(default_factory=ObjectMeta)


class Pod(K8sObject, tag="Pod"):
    api = ("", "pods", True)
    spec: PodSpec | None = None
    status: PodStatus | None = None


class DeploymentSpec(_S):
    replicas: I64 | None = None
    selector: LabelSelector | None = None
    template: PodTemplate | None = None
    strategy: Strategy | None = None


class Deployment(K8sObject, tag="Deployment"):
    api = ("apps", "deployments", True)
    spec: DeploymentSpec | None = None


class StatefulSetSpec(_S):
    replicas: I64 | None = None
    selector: LabelSelector | None = None
    template: PodTemplate | None = None
    update_strategy: Strategy | None = None
    service_name: str | None = None


class StatefulSet(K8sObject, tag="StatefulSet"):
    api = ("apps", "statefulsets", True)
    spec: StatefulSetSpec | None = None


class DaemonSetSpec(_S):
    selector: LabelSelector | None = None
    template: PodTemplate | None = None
    update_strategy: Strategy | None = None


class DaemonSet(K8sObject, tag="DaemonSet"):
    api = ("apps", "daemonsets", True)
    spec: DaemonSetSpec | None = None


class ReplicaSetSpec(_S):
    replicas: I64 | None = None
    selector: LabelSelector | None = None
    template: PodTemplate | None = None


class ReplicaSet(K8sObject, tag="ReplicaSet"):
    api = ("apps", "replicasets", True)
    spec: ReplicaSetSpec | None = None


class ReplicationControllerSpec(_S):
    replicas: I64 | None = None
    selector: dict[str, str] | None = None
    template: PodTemplate | None = None


class ReplicationController(K8sObject, tag="ReplicationController"):
    api = ("", "replicationcontrollers", True)
    spec: ReplicationControllerSpec | None = None


class JobSpec(_S):
    parallelism: I64 | None = None
    completions: I64 | None = None
    template: PodTemplate | None = None


class Job(K8sObject, tag="Job"):
    api = ("batch", "jobs", True)
    spec: JobSpec | None = None


class JobTemplate(_S):
    metadata: ObjectMeta | None = None
    spec: JobSpec | None = None


class CronJobSpec(_S):
    schedule: str | None = None
    suspend: bool | None = None
    job_template: JobTemplate | None = None


class CronJob(K8sObject, tag="CronJob"):
    api = ("batch", "cronjobs", True)
    spec: CronJobSpec | None = None


class Namespace(K8sObject, tag="Namespace"):
    api = ("", "namespaces", False)


class NodeAddress(_S):
    type: str | None = None
    address: str | None = None


class NodeInfo(_S):
    kubelet_version: str | None = None
    os_image: str | None = None
    container_runtime_version: str | None = None
    kernel_version: str | None = None
    operating_system: str | None = None
    architecture: str | None = None


class NodeStatus(_S):
    addresses: list[NodeAddress] | None = None
    node_info: NodeInfo | None = None


class Taint(_S):
    key: str | None = None
    value: str | None = None
    effect: str | None = None


class NodeSpec(_S):
    unschedulable: bool | None = None
    taints: list[Taint] | None = None
    pod_cidr: str | None = field(default=None, name="podCIDR")


class Node(K8sObject, tag="Node"):
    api = ("", "nodes", False)
    spec: NodeSpec | None = None
    status: NodeStatus | None = None


class ServicePort(_S):
    name: str | None = None
    port: I64 | None = None
    target_port: IntOrStr | None = None
    node_port: I64 | None = None
    protocol: str | None = None


class ServiceSpec(_S):
    type: str | None = None
    cluster_ip: str | None = field(default=None, name="clusterIP")
    ports: list[ServicePort] | None = None
    selector: dict[str, str] | None = None
    load_balancer_source_ranges: list[str] | None = None
    external_ips: list[str] | None = field(default=None, name="externalIPs")
    external_name: str | None = None
    external_traffic_policy: str | None = None


class LoadBalancerIngress(_S):
    ip: str | None = None
    hostname: str | None = None


class LoadBalancerStatus(_S):
    ingress: list[LoadBalancerIngress] | None = None


class ServiceStatus(_S):
    load_balancer: LoadBalancerStatus | None = None


class Service(K8sObject, tag="Service"):
    api = ("", "services", True)
    spec: ServiceSpec | None = None
    status: ServiceStatus | None = None


class NetworkPolicySpec(_S):
    pod_selector: LabelSelector | None = None
    policy_types: list[str] | None = None
    ingress: list[Any] | None = None
    egress: list[Any] | None = None


class NetworkPolicy(K8sObject, tag="NetworkPolicy"):
    api = ("networking.k8s.io", "networkpolicies", True)
    spec: NetworkPolicySpec | None = None


class IngressServiceBackend(_S):
    name: str | None = None


class IngressBackend(_S):
    service: IngressServiceBackend | None = None


class HTTPIngressPath(_S):
    path: str | None = None
    backend: IngressBackend | None = None


class HTTPIngressRuleValue(_S):
    paths: list[HTTPIngressPath] | None = None


class IngressRule(_S):
    host: str | None = None
    http: HTTPIngressRuleValue | None = None


class IngressSpec(_S):
    ingress_class_name: str | None = None
    default_backend: IngressBackend | None = None
    rules: list[IngressRule] | None = None


class Ingress(K8sObject, tag="Ingress"):
    """Routes from outside the cluster to Services (the attack graph's exposure edges read it)."""

    api = ("networking.k8s.io", "ingresses", True)
    spec: IngressSpec | None = None


class ServiceAccount(K8sObject, tag="ServiceAccount"):
    api = ("", "serviceaccounts", True)
    automount_service_account_token: bool | None = None
    secrets: list[NameRef] | None = None


class PolicyRule(_S):
    api_groups: list[str] | None = None
    resources: list[str] | None = None
    verbs: list[str] | None = None
    resource_names: list[str] | None = None
    non_resource_urls: list[str] | None = field(default=None, name="nonResourceURLs")


class AggregationRule(_S):
    cluster_role_selectors: list[LabelSelector] | None = None


class Role(K8sObject, tag="Role"):
    api = ("rbac.authorization.k8s.io", "roles", True)
    rules: list[PolicyRule] | None = None


class ClusterRole(K8sObject, tag="ClusterRole"):
    api = ("rbac.authorization.k8s.io", "clusterroles", False)
    rules: list[PolicyRule] | None = None
    aggregation_rule: AggregationRule | None = None


class Subject(_S):
    kind: str | None = None
    name: str | None = None
    namespace: str | None = None
    api_group: str | None = None


class RoleRef(_S):
    kind: str | None = None
    name: str | None = None
    api_group: str | None = None


class RoleBinding(K8sObject, tag="RoleBinding"):
    api = ("rbac.authorization.k8s.io", "rolebindings", True)
    subjects: list[Subject] | None = None
    role_ref: RoleRef | None = None


class ClusterRoleBinding(K8sObject, tag="ClusterRoleBinding"):
    api = ("rbac.authorization.k8s.io", "clusterrolebindings", False)
    subjects: list[Subject] | None = None
    role_ref: RoleRef | None = None


class Secret(K8sObject, tag="Secret"):
    """A Secret without its values: ``data_keys`` lists the keys it holds."""

    api = ("", "secrets", True)
    type: str | None = None
    data_keys: list[str] | None = None
    #: only ever set while decoding; the normaliser empties both before keeping it
    data: dict[str, Any] | None = None
    string_data: dict[str, Any] | None = None


class ConfigMap(K8sObject, tag="ConfigMap"):
    """A ConfigMap; values of credential-looking keys are masked on load."""

    api = ("", "configmaps", True)
    data: dict[str, str | int | float | bool | None] | None = None
    binary_data_keys: list[str] | None = None
    #: only ever set while decoding; the normaliser keeps the keys
    binary_data: dict[str, Any] | None = None


class PDBSpec(_S):
    selector: LabelSelector | None = None
    min_available: IntOrStr | None = None
    max_unavailable: IntOrStr | None = None


class PodDisruptionBudget(K8sObject, tag="PodDisruptionBudget"):
    api = ("policy", "poddisruptionbudgets", True)
    spec: PDBSpec | None = None


class Webhook(_S):
    name: str | None = None
    failure_policy: str | None = None


class ValidatingWebhookConfiguration(K8sObject, tag="ValidatingWebhookConfiguration"):
    api = ("admissionregistration.k8s.io", "validatingwebhookconfigurations", False)
    webhooks: list[Webhook] | None = None


class MutatingWebhookConfiguration(K8sObject, tag="MutatingWebhookConfiguration"):
    api = ("admissionregistration.k8s.io", "mutatingwebhookconfigurations", False)
    webhooks: list[Webhook] | None = None


class ValidatingAdmissionPolicy(K8sObject, tag="ValidatingAdmissionPolicy"):
    api = ("admissionregistration.k8s.io", "validatingadmissionpolicies", False)


class CRDNames(_S):
    kind: str | None = None
    plural: str | None = None


class CRDSpec(_S):
    group: str | None = None
    names: CRDNames | None = None


class CustomResourceDefinition(K8sObject, tag="CustomResourceDefinition"):
    api = ("apiextensions.k8s.io", "customresourcedefinitions", False)
    spec: CRDSpec | None = None


#: every modelled kind by name, in the order snapshots list them
KINDS: dict[str, type[K8sObject]] = {
    cls.__struct_config__.tag: cls  # type: ignore[misc]
    for cls in (
        Namespace,
        Node,
        Pod,
        Deployment,
        ReplicaSet,
        StatefulSet,
        DaemonSet,
        Job,
        CronJob,
        ReplicationController,
        Service,
        Ingress,
        NetworkPolicy,
        ServiceAccount,
        Secret,
        ConfigMap,
        Role,
        ClusterRole,
        RoleBinding,
        ClusterRoleBinding,
        PodDisruptionBudget,
        ValidatingWebhookConfiguration,
        MutatingWebhookConfiguration,
        ValidatingAdmissionPolicy,
        CustomResourceDefinition,
    )
}

#: kinds that own a pod template (the workload kinds), with the path to it
POD_TEMPLATE_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob")
#: the order kinds go into a snapshot: owners before the objects they own, so that a pod or a ReplicaSet keeps
#: only what it adds to its owner's template
OWNERS_FIRST = (
    "CronJob",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicationController",
    "Job",
    "ReplicaSet",
    "Pod",
)

AnyObject = Union[tuple(KINDS.values())]  # type: ignore[valid-type]  # noqa: UP007  (built at run time)

Object = K8sObject | Generic


def controller_ref(refs: list[OwnerReference] | None) -> OwnerReference | None:
    """The controlling owner reference (``controller: true``), else the first one, else None."""
    if not refs:
        return None
    for r in refs:
        if r.controller:
            return r
    return refs[0]


def pod_spec_keys(kind: str) -> tuple[str, ...]:
    """Keys from an object's root to its pod spec (Pod, CronJob, or any other workload kind)."""
    if kind == "Pod":
        return ("spec",)
    if kind == "CronJob":
        return ("spec", "jobTemplate", "spec", "template", "spec")
    return ("spec", "template", "spec")


def pod_template(obj: Object) -> PodTemplate | None:
    """The pod template of a workload object (CronJob: the job template's)."""
    if isinstance(obj, Pod):
        return PodTemplate(metadata=obj.metadata, spec=obj.spec)
    spec = getattr(obj, "spec", None)
    if spec is None:
        return None
    if isinstance(obj, CronJob):
        jt = spec.job_template
        return jt.spec.template if jt is not None and jt.spec is not None else None
    return getattr(spec, "template", None)


_decoders: dict[type, msgspec.json.Decoder[Any]] = {}


def decoder(tp: Any) -> msgspec.json.Decoder[Any]:
    dec = _decoders.get(tp)
    if dec is None:
        dec = _decoders[tp] = msgspec.json.Decoder(tp)
    return dec
