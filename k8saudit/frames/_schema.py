"""Column schemas of the public frames: names, dtypes and meaning.

Dtypes: ``string`` (``<NA>`` when missing), ``boolean`` (tri-state: ``<NA>`` means
"not set in the manifest"), ``bool`` (always known), ``Int64`` (nullable int),
``object`` (a Python list or dict per row).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

S, B, TB, I, O = "string", "bool", "boolean", "Int64", "object"  # noqa: E741  (dtype shorthands for the tables)

WORKLOAD_KEYS: list[tuple[str, str, str]] = [
    ("cluster", S, "cluster name"),
    ("kind", S, "workload kind (Deployment, StatefulSet, DaemonSet, Job, CronJob, ReplicaSet, ReplicationController, Pod, or the kind of a controller not in the snapshot)"),
    ("namespace", S, "namespace"),
    ("name", S, "workload name"),
]

SCHEMAS: dict[str, list[tuple[str, str, str]]] = {
    "objects": [
        ("cluster", S, "cluster name"),
        ("kind", S, "object kind"),
        ("api_version", S, "apiVersion"),
        ("namespace", S, "namespace (<NA> for cluster-scoped kinds)"),
        ("name", S, "metadata.name"),
        ("uid", S, "metadata.uid"),
        ("owner_kind", S, "kind of the controlling owner"),
        ("owner_name", S, "name of the controlling owner"),
        ("created", S, "metadata.creationTimestamp"),
        ("source", S, "where it was read: file#document/item, or API path"),
        ("line", I, "line in the file where its document starts (0 when unknown)"),
    ],
    "workloads": WORKLOAD_KEYS + [
        ("pod", S, "<NA> for the workload's own row (its template); else the first pod whose own fields (host namespaces, security context, service account) give it another outcome than its template (count workloads with `pod.isna()`), or `ReplicaSet/<name>` of an older revision still running"),
        ("synthetic", B, "the controller is not in the snapshot (e.g. `kubectl get pods` alone, or ReplicaSets not readable): this row stands for it and is read from its pods; a Deployment is inferred from the pod-template-hash naming"),
        ("uid", S, "uid of the workload object"),
        ("api_version", S, "apiVersion"),
        ("replicas", I, "desired replicas (Deployment/StatefulSet/ReplicaSet/RC: default 1; Job: parallelism; Pod: 1)"),
        ("pod_count", I, "pods in the snapshot that roll up to this workload"),
        ("service_account", S, "effective service account name"),
        ("automount_sa_token", B, "is the service account token mounted (pod field, else ServiceAccount's, else true)"),
        ("automount_source", S, "where automount_sa_token comes from: pod, service_account, default"),
        ("host_network", B, "spec.hostNetwork"),
        ("host_pid", B, "spec.hostPID"),
        ("host_ipc", B, "spec.hostIPC"),
        ("host_users", TB, "spec.hostUsers (false: user namespace)"),
        ("os", S, "spec.os.name"),
        ("strategy", S, "Deployment strategy / StatefulSet, DaemonSet updateStrategy type (defaults filled)"),
        ("max_unavailable", S, "rollingUpdate.maxUnavailable as written, or its default"),
        ("max_unavailable_pods", I, "maxUnavailable resolved against replicas (percentages round down)"),
        ("labels", O, "metadata.labels"),
        ("pod_labels", O, "labels of the pods (template labels)"),
        ("selector", O, "spec.selector as {match_labels, match_expressions}"),
        ("annotations", O, "metadata.annotations and pod template annotations (merged)"),
        ("pss_level", S, "highest Pod Security Standards level satisfied: restricted, baseline, privileged"),
        ("pss_violations", O, "PSS controls broken (list of control ids)"),
        ("pss_enforce", S, "the namespace's pod-security.kubernetes.io/enforce level"),
        ("pss_rejected", B, "would the namespace's enforce level reject these pods"),
        ("source", S, "where the workload object was read"),
    ],
    "containers": WORKLOAD_KEYS + [
        ("container", S, "container name"),
        ("pod", S, "<NA> for a container of the workload's template; else the first pod running this container as it is (a container its template lacks or says otherwise, or any container of a pod whose own security context differs), or `ReplicaSet/<name>` of an older revision"),
        ("container_type", S, "container, init or ephemeral"),
        ("differs_from_template", B, "a pod's container that its template also names, but with other settings (image, security context, ...): mutated by a webhook, edited, or an older revision"),
        ("sidecar", B, "an init container with restartPolicy Always"),
        ("injected", B, "found on the workload's live pods but not in its template (added by an admission webhook)"),
        ("long_running", B, "expected to keep running (not a Job's, not a plain init container)"),
        ("windows", B, "the pod runs on Windows (spec.os.name): Linux-only settings do not apply"),
        ("image", S, "image reference"),
        ("privileged", TB, "securityContext.privileged"),
        ("allow_privilege_escalation", TB, "securityContext.allowPrivilegeEscalation"),
        ("read_only_root_filesystem", TB, "securityContext.readOnlyRootFilesystem"),
        ("run_as_non_root", TB, "effective runAsNonRoot (container over pod)"),
        ("run_as_user", I, "effective runAsUser (container over pod)"),
        ("run_as_group", I, "effective runAsGroup (container over pod)"),
        ("proc_mount", S, "securityContext.procMount"),
        ("seccomp_profile", S, "effective seccompProfile.type (container over pod)"),
        ("seccomp_annotation", S, "legacy seccomp annotation value (container.seccomp.security.alpha.kubernetes.io/<c> "
                                  "over seccomp.security.alpha.kubernetes.io/pod), e.g. runtime/default, unconfined"),
        ("apparmor_profile", S, "effective AppArmor profile type: container appArmorProfile, else the legacy "
                                "container.apparmor.security.beta.kubernetes.io/<c> annotation (runtime/default → "
                                "RuntimeDefault, localhost/* → Localhost, unconfined → Unconfined), else the pod's"),
        ("caps_add", O, "capabilities.add, upper case, CAP_ prefix removed"),
        ("caps_drop", O, "capabilities.drop, upper case, CAP_ prefix removed"),
        ("host_ports", O, "non-zero hostPorts"),
        ("readiness_probe", B, "has a readinessProbe"),
        ("liveness_probe", B, "has a livenessProbe"),
    ],
    "env": WORKLOAD_KEYS + [
        ("container", S, "container name"),
        ("pod", S, "<NA> for the template's containers; else the pod whose own container this is (see containers.pod)"),
        ("container_type", S, "container, init or ephemeral"),
        ("var", S, "variable name (envFrom: the prefix, or empty)"),
        ("source", S, "literal, secret_key_ref, config_map_key_ref, field_ref, resource_field_ref, env_from_secret, env_from_config_map, unset"),
        ("value", S, "literal value; masked when the name looks like a credential"),
        ("looks_like_credential", B, "the name looks like it holds a credential"),
        ("secret_name", S, "Secret referenced"),
        ("secret_key", S, "key of the Secret referenced"),
        ("config_map_name", S, "ConfigMap referenced"),
        ("config_map_key", S, "key of the ConfigMap referenced"),
    ],
    "volumes": WORKLOAD_KEYS + [
        ("volume", S, "volume name"),
        ("pod", S, "<NA> for the template's volumes; else the first pod that adds this volume (the service account token volume and StatefulSet claims are not counted)"),
        ("type", S, "volume type as in the API (hostPath, secret, configMap, ...)"),
        ("host_path", S, "hostPath.path"),
        ("host_path_type", S, "hostPath.type"),
        ("secret_name", S, "secret.secretName"),
        ("config_map_name", S, "configMap.name"),
        ("claim_name", S, "persistentVolumeClaim.claimName"),
    ],
    "rbac": [
        ("cluster", S, "cluster name"),
        ("binding_kind", S, "RoleBinding or ClusterRoleBinding"),
        ("binding", S, "binding name"),
        ("binding_namespace", S, "namespace of a RoleBinding (<NA> for ClusterRoleBinding)"),
        ("scope", S, "where the grant applies: 'cluster' or the namespace"),
        ("subject_kind", S, "User, Group or ServiceAccount"),
        ("subject", S, "subject name"),
        ("subject_namespace", S, "namespace of a ServiceAccount subject"),
        ("role_kind", S, "Role or ClusterRole"),
        ("role", S, "role name"),
        ("role_found", B, "the referenced role is in the snapshot"),
        ("rule_index", I, "index of the rule in the (aggregated) role; <NA> when the role has no rules"),
        ("api_groups", O, "rule apiGroups"),
        ("resources", O, "rule resources"),
        ("verbs", O, "rule verbs"),
        ("resource_names", O, "rule resourceNames"),
        ("non_resource_urls", O, "rule nonResourceURLs"),
        ("is_system_subject", B, "a system: user/group or a kube-system service account"),
        ("is_everyone", B, "a group (or user) that stands for everyone: system:authenticated, system:unauthenticated, system:anonymous, system:serviceaccounts[:ns]"),
    ],
    "nodes": [
        ("cluster", S, "cluster name"),
        ("name", S, "node name"),
        ("roles", O, "node-role.kubernetes.io/* labels"),
        ("internal_ips", O, "InternalIP addresses"),
        ("external_ips", O, "ExternalIP addresses"),
        ("public_ips", O, "addresses outside private, loopback, link-local and shared ranges"),
        ("has_public_address", B, "an ExternalIP or any public address"),
        ("kubelet_version", S, "status.nodeInfo.kubeletVersion"),
        ("os_image", S, "status.nodeInfo.osImage"),
        ("container_runtime", S, "status.nodeInfo.containerRuntimeVersion"),
        ("unschedulable", B, "spec.unschedulable"),
    ],
    "services": [
        ("cluster", S, "cluster name"),
        ("namespace", S, "namespace"),
        ("name", S, "service name"),
        ("type", S, "ClusterIP, NodePort, LoadBalancer, ExternalName"),
        ("cluster_ip", S, "spec.clusterIP"),
        ("ports", O, "port/protocol list"),
        ("node_ports", O, "node ports (NodePort and LoadBalancer)"),
        ("selector", O, "spec.selector"),
        ("load_balancer_source_ranges", O, "spec.loadBalancerSourceRanges"),
        ("external_ips", O, "spec.externalIPs"),
        ("lb_ingress", O, "status.loadBalancer.ingress ip/hostname"),
        ("annotations", O, "metadata.annotations (cloud load-balancer settings live there)"),
    ],
    "network_policies": [
        ("cluster", S, "cluster name"),
        ("namespace", S, "namespace"),
        ("name", S, "policy name"),
        ("pod_selector", O, "spec.podSelector"),
        ("selects_all_pods", B, "empty podSelector: applies to every pod of the namespace"),
        ("policy_types", O, "effective policyTypes"),
        ("ingress_rules", I, "number of ingress rules"),
        ("egress_rules", I, "number of egress rules"),
        ("default_deny_ingress", B, "selects all pods, Ingress type, no ingress rules"),
        ("default_deny_egress", B, "selects all pods, Egress type, no egress rules"),
    ],
    "namespaces": [
        ("cluster", S, "cluster name"),
        ("name", S, "namespace"),
        ("declared", B, "a Namespace object is in the snapshot (else only referenced)"),
        ("is_system", B, "kube-system, kube-public, kube-node-lease"),
        ("labels", O, "metadata.labels"),
        ("workload_count", I, "workloads in the namespace"),
        ("network_policy_count", I, "NetworkPolicies in the namespace"),
        ("default_deny_ingress", B, "some policy denies all ingress by default"),
        ("default_deny_egress", B, "some policy denies all egress by default"),
        ("psa_enforce", S, "pod-security.kubernetes.io/enforce"),
        ("psa_audit", S, "pod-security.kubernetes.io/audit"),
        ("psa_warn", S, "pod-security.kubernetes.io/warn"),
    ],
    "apiserver": [
        ("cluster", S, "cluster name"),
        ("node", S, "node running the kube-apiserver static pod"),
        ("pod", S, "pod name"),
        ("flag", S, "flag name without leading dashes (missing on the one row of a pod that sets no flag)"),
        ("value", S, "flag value ('true' for a bare flag)"),
    ],
    "kubeconfig_users": [
        ("cluster", S, "cluster name of the snapshot"),
        ("context", S, "kubeconfig context"),
        ("kubeconfig_cluster", S, "cluster entry of the context"),
        ("user", S, "user entry"),
        ("auth_type", S, "token, token_file, basic_auth, client_key_data, client_cert_file, exec, auth_provider, none"),
        ("static_credential", B, "a long-lived credential is stored in the kubeconfig"),
        ("server", S, "API server URL"),
        ("namespace", S, "context namespace"),
        ("exec_command", S, "exec plugin command (basename) or auth-provider name"),
        ("is_current", B, "the current context"),
        ("source", S, "kubeconfig file"),
    ],
    "pdbs": [
        ("cluster", S, "cluster name"),
        ("namespace", S, "namespace"),
        ("name", S, "PodDisruptionBudget name"),
        ("selector", O, "spec.selector"),
        ("min_available", S, "spec.minAvailable"),
        ("max_unavailable", S, "spec.maxUnavailable"),
    ],
    "service_accounts": [
        ("cluster", S, "cluster name"),
        ("namespace", S, "namespace"),
        ("name", S, "service account"),
        ("automount_sa_token", TB, "automountServiceAccountToken"),
        ("secrets", O, "secrets listed by the account"),
    ],
    "config_maps": [
        ("cluster", S, "cluster name"),
        ("namespace", S, "namespace"),
        ("name", S, "ConfigMap"),
        ("key", S, "data key"),
        ("looks_like_credential", B, "the key looks like it holds a credential"),
        ("value", S, "the value when the key looks like a credential: always masked"),
        ("value_length", I, "length of the value"),
        ("credential_lines", O, "lines of any other value that held a credential (``db.password=…``), "
                                "as kept: masked"),
    ],
    "secrets": [
        ("cluster", S, "cluster name"),
        ("namespace", S, "namespace"),
        ("name", S, "Secret"),
        ("type", S, "Secret type (<NA> when listed as metadata only)"),
        ("keys", O, "keys it holds (values are never read)"),
        ("service_account", S, "kubernetes.io/service-account.name annotation"),
        ("is_sa_token", B, "a long-lived service account token Secret"),
    ],
}


def columns(name: str) -> list[str]:
    return [c for c, _, _ in SCHEMAS[name]]


def empty(name: str) -> pd.DataFrame:
    return make(name, {c: [] for c in columns(name)})


def make(name: str, data: dict[str, list[Any]]) -> pd.DataFrame:
    """Build a frame from column lists, in schema order with schema dtypes."""
    out = {}
    for col, dtype, _ in SCHEMAS[name]:
        values = data[col]
        if dtype == O:
            arr = pd.Series(values, dtype=object) if values else pd.Series([], dtype=object)
            out[col] = arr.array
        else:
            out[col] = pd.array(values, dtype=dtype)
    return pd.DataFrame(out)
