"""Cluster-level frames: objects, nodes, services, network policies, namespaces, apiserver, ..."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .. import _model as m
from .._network import is_public_ip
from .._normalize import MASK_PREFIX, looks_like_credential
from ._spec import TB, B, I, O, Row, S, SnapshotView, columns_of, frame, repeat_runs
from ._workloads import WORKLOAD_KINDS, _selector, workload_index

SYSTEM_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease")
PSA = "pod-security.kubernetes.io/"


@frame(
    "objects",
    "One row per loaded object.",
    keys=("cluster", "kind", "namespace", "name"),
    kinds=tuple(m.KINDS),
    columnar=True,
    columns=[
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
)
def build_objects(snap: SnapshotView) -> list[Any]:
    cols: list[list[Any]] = [[] for _ in range(9)]
    api, ns, name, uid, owner_kind, owner_name, created, source, line = cols
    kinds = [(snap.cluster, kind) for kind in snap.kinds]  # the cluster and kind columns: one run per kind
    counts: list[int] = []
    for _, kind in kinds:
        items = snap.items(kind)
        prov = snap.provenance(kind)
        counts.append(len(items))
        mds = [o.metadata for o in items]
        refs = [m.controller_ref(md.owner_references) for md in mds]
        api += [o.api_version for o in items]
        ns += [md.namespace for md in mds]
        name += [md.name for md in mds]
        uid += [md.uid for md in mds]
        owner_kind += [r.kind if r is not None else None for r in refs]
        owner_name += [r.name if r is not None else None for r in refs]
        created += [md.creation_timestamp for md in mds]
        source += [p[0] for p in prov]
        line += [p[1] for p in prov]
    return [*repeat_runs(kinds, counts, 2), *cols]


@frame(
    "nodes",
    "One row per node.",
    keys=("cluster", "name"),
    kinds=("Node",),
    columns=[
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
)
def build_nodes(snap: SnapshotView) -> Iterator[Row]:
    for n in snap.items("Node"):
        st = n.status or m.NodeStatus()
        addrs = st.addresses or []
        internal = [a.address for a in addrs if a.type == "InternalIP" and a.address]
        external = [a.address for a in addrs if a.type == "ExternalIP" and a.address]
        public = [a.address for a in addrs if a.type in ("InternalIP", "ExternalIP") and is_public_ip(a.address)]
        labels = n.metadata.labels or {}
        roles = sorted(k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/") and "/" in k)
        info = st.node_info or m.NodeInfo()
        yield (
            snap.cluster,
            n.metadata.name,
            roles,
            internal,
            external,
            public,
            bool(external or public),
            info.kubelet_version,
            info.os_image,
            info.container_runtime_version,
            bool(n.spec is not None and n.spec.unschedulable),
        )


@frame(
    "services",
    "One row per Service.",
    keys=("cluster", "namespace", "name"),
    kinds=("Service",),
    columns=[
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
)
def build_services(snap: SnapshotView) -> Iterator[Row]:
    for s in snap.items("Service"):
        sp = s.spec or m.ServiceSpec()
        ports = sp.ports or []
        lb = s.status.load_balancer if s.status is not None else None
        yield (
            snap.cluster,
            s.metadata.namespace,
            s.metadata.name,
            sp.type or "ClusterIP",
            sp.cluster_ip,
            [f"{p.port}/{p.protocol or 'TCP'}" for p in ports],
            [p.node_port for p in ports if p.node_port],
            dict(sp.selector or {}),
            list(sp.load_balancer_source_ranges or []),
            list(sp.external_ips or []),
            [i.ip or i.hostname for i in (lb.ingress if lb is not None else None) or []],
            dict(s.metadata.annotations or {}),
        )


@frame(
    "network_policies",
    "One row per NetworkPolicy.",
    keys=("cluster", "namespace", "name"),
    kinds=("NetworkPolicy",),
    columns=[
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
)
def build_network_policies(snap: SnapshotView) -> Iterator[Row]:
    for p in snap.items("NetworkPolicy"):
        sp = p.spec or m.NetworkPolicySpec()
        sel = _selector(sp.pod_selector) or {"match_labels": {}, "match_expressions": []}
        select_all = not sel["match_labels"] and not sel["match_expressions"]
        types = list(sp.policy_types or [])
        if not types:  # the API's default: Ingress, plus Egress when egress rules exist
            types = ["Ingress"] + (["Egress"] if sp.egress else [])
        n_in, n_out = len(sp.ingress or []), len(sp.egress or [])
        yield (
            snap.cluster,
            p.metadata.namespace,
            p.metadata.name,
            sel,
            select_all,
            types,
            n_in,
            n_out,
            select_all and "Ingress" in types and n_in == 0,
            select_all and "Egress" in types and n_out == 0,
        )


@frame(
    "namespaces",
    "One row per namespace.",
    keys=("cluster", "name"),
    # rows: declared namespaces and those objects live in; the checks keep those running workloads
    kinds=("Namespace", *WORKLOAD_KINDS),
    columns=[
        ("cluster", S, "cluster name"),
        ("name", S, "namespace"),
        ("declared", B, "a Namespace object is in the snapshot (else only referenced)"),
        ("is_system", B, "kube-system, kube-public, kube-node-lease"),
        ("labels", O, "metadata.labels"),
        ("workload_count", I, "workloads in the namespace"),
        ("network_policy_count", I, "NetworkPolicies in the namespace", ("NetworkPolicy",)),
        ("default_deny_ingress", B, "some policy denies all ingress by default", ("NetworkPolicy",)),
        ("default_deny_egress", B, "some policy denies all egress by default", ("NetworkPolicy",)),
        ("psa_enforce", S, "pod-security.kubernetes.io/enforce"),
        ("psa_audit", S, "pod-security.kubernetes.io/audit"),
        ("psa_warn", S, "pod-security.kubernetes.io/warn"),
    ],
)
def build_namespaces(snap: SnapshotView) -> Iterator[Row]:
    declared = {n.metadata.name: n for n in snap.items("Namespace")}
    wl_count: dict[str | None, int] = {}
    for rec in workload_index(snap):
        wl_count[rec.namespace] = wl_count.get(rec.namespace, 0) + 1
    per_ns = (
        snap.frame("network_policies")
        .groupby("namespace")
        .agg(n=("name", "size"), deny_in=("default_deny_ingress", "any"), deny_out=("default_deny_egress", "any"))
    )
    np_count = per_ns["n"].to_dict()
    deny_in = per_ns["deny_in"].to_dict()
    deny_out = per_ns["deny_out"].to_dict()
    referenced: set[str] = set()
    for kind, n in snap.kinds.items():
        if n and kind != "Namespace":
            referenced.update(o.metadata.namespace for o in snap.items(kind) if o.metadata.namespace)
    names = sorted(set(declared) | referenced, key=lambda s: (s is None, s))
    for name in names:
        ns = declared.get(name)
        labels = dict(ns.metadata.labels or {}) if ns is not None else {}
        yield (
            snap.cluster,
            name,
            ns is not None,
            name in SYSTEM_NAMESPACES,
            labels,
            wl_count.get(name, 0),
            np_count.get(name, 0),
            deny_in.get(name, False),
            deny_out.get(name, False),
            labels.get(PSA + "enforce"),
            labels.get(PSA + "audit"),
            labels.get(PSA + "warn"),
        )


def _is_apiserver_pod(p: m.Pod) -> bool:
    md = p.metadata
    if md.namespace != "kube-system":
        return False
    labels = md.labels or {}
    if labels.get("component") == "kube-apiserver":
        return True
    return bool(
        md.name
        and md.name.startswith("kube-apiserver")
        and p.spec is not None
        and any("kube-apiserver" in (c.image or "") for c in p.spec.containers or ())
    )


#: kube-apiserver flags that are booleans: like Go's pflag, ``--flag value`` does not give them ``value``
BOOL_FLAGS = frozenset(
    {
        "anonymous-auth",
        "allow-privileged",
        "profiling",
        "contention-profiling",
        "enable-bootstrap-token-auth",
        "enable-aggregator-routing",
        "enable-priority-and-fairness",
        "enable-garbage-collector",
        "enable-logs-handler",
        "enable-swagger-ui",
        "kubelet-https",
        "service-account-lookup",
        "audit-log-compress",
        "watch-cache",
        "storage-media-type-json",
        "strict-transport-security-directives-enabled",
        "authorization-always-allow-paths-enabled",
        "service-account-extend-token-expiration",
        "logtostderr",
        "alsologtostderr",
        "tls-sni-cert-key-enabled",
    }
)


def parse_flags(tokens: list[str]) -> list[tuple[str, str]]:
    """``--flag=value``, ``--flag value`` and bare ``--flag`` from a command line.

    A boolean flag never takes the next token: ``--anonymous-auth false`` sets it to true (and
    ``false`` is a stray argument), exactly as the API server's own flag parser reads it.
    """
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(tokens):
        t = str(tokens[i])
        if t.startswith("-"):
            body = t.lstrip("-")
            if "=" in body:
                k, v = body.split("=", 1)
                out.append((k, v))
            elif body not in BOOL_FLAGS and i + 1 < len(tokens) and not str(tokens[i + 1]).startswith("-"):
                out.append((body, str(tokens[i + 1])))
                i += 1
            else:
                out.append((body, "true"))
        i += 1
    return out


@frame(
    "apiserver",
    "One row per kube-apiserver flag.",
    keys=("cluster", "pod"),
    kinds=("Pod",),  # the kube-apiserver's static (mirror) pod
    one_row_per_object=False,
    columns=[
        ("cluster", S, "cluster name"),
        ("node", S, "node running the kube-apiserver static pod"),
        ("pod", S, "pod name"),
        ("flag", S, "flag name without leading dashes (missing on the one row of a pod that sets no flag)"),
        ("value", S, "flag value ('true' for a bare flag)"),
    ],
)
def build_apiserver(snap: SnapshotView) -> Iterator[Row]:
    """One row per flag of each kube-apiserver static pod; a pod that sets no flag at all
    still gets one row (``flag`` and ``value`` missing), so its defaults are judged too."""
    for p in snap.items("Pod"):
        if not _is_apiserver_pod(p) or p.spec is None:
            continue
        cs = p.spec.containers or []
        c = next((c for c in cs if c.name == "kube-apiserver"), cs[0] if cs else None)
        if c is None:
            continue
        flags: list[tuple[str | None, str | None]] = list(parse_flags(list(c.command or []) + list(c.args or [])))
        for flag, value in flags or [(None, None)]:
            yield (snap.cluster, p.spec.node_name, p.metadata.name, flag, value)


@frame(
    "kubeconfig_users",
    "One row per kubeconfig user.",
    keys=("cluster", "context"),
    kinds=(),  # from the kubeconfig file, not from the cluster
    columns=[
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
)
def build_kubeconfig_users(snap: SnapshotView) -> Iterator[Row]:
    for r in snap.kubeconfig_entries:
        yield (
            snap.cluster,
            r.get("context"),
            r.get("kubeconfig_cluster"),
            r.get("user"),
            r.get("auth_type"),
            bool(r.get("static_credential")),
            r.get("server"),
            r.get("namespace"),
            r.get("exec_command"),
            bool(r.get("is_current")),
            r.get("source"),
        )


@frame(
    "pdbs",
    "One row per PodDisruptionBudget.",
    keys=("cluster", "namespace", "name"),
    kinds=("PodDisruptionBudget",),
    columns=[
        ("cluster", S, "cluster name"),
        ("namespace", S, "namespace"),
        ("name", S, "PodDisruptionBudget name"),
        ("selector", O, "spec.selector"),
        ("min_available", S, "spec.minAvailable"),
        ("max_unavailable", S, "spec.maxUnavailable"),
    ],
)
def build_pdbs(snap: SnapshotView) -> Iterator[Row]:
    for p in snap.items("PodDisruptionBudget"):
        sp = p.spec or m.PDBSpec()
        yield (
            snap.cluster,
            p.metadata.namespace,
            p.metadata.name,
            _selector(sp.selector),
            None if sp.min_available is None else str(sp.min_available),
            None if sp.max_unavailable is None else str(sp.max_unavailable),
        )


@frame(
    "service_accounts",
    "One row per ServiceAccount.",
    keys=("cluster", "namespace", "name"),
    kinds=("ServiceAccount",),
    columns=[
        ("cluster", S, "cluster name"),
        ("namespace", S, "namespace"),
        ("name", S, "service account"),
        ("automount_sa_token", TB, "automountServiceAccountToken"),
        ("secrets", O, "secrets listed by the account"),
    ],
)
def build_service_accounts(snap: SnapshotView) -> Iterator[Row]:
    for sa in snap.items("ServiceAccount"):
        yield (
            snap.cluster,
            sa.metadata.namespace,
            sa.metadata.name,
            sa.automount_service_account_token,
            [s.name for s in sa.secrets or () if s.name],
        )


@frame(
    "config_maps",
    "One row per ConfigMap key (values masked).",
    keys=("cluster", "namespace", "name"),
    kinds=("ConfigMap",),
    one_row_per_object=False,
    columnar=True,
    columns=[
        ("cluster", S, "cluster name"),
        ("namespace", S, "namespace"),
        ("name", S, "ConfigMap"),
        ("key", S, "data key"),
        ("looks_like_credential", B, "the key looks like it holds a credential"),
        ("value", S, "the value when the key looks like a credential: always masked"),
        ("value_length", I, "length of the value"),
        ("credential_lines", O, "lines of any other value that held a credential (``db.password=…``), as kept: masked"),
    ],
)
def build_config_maps(snap: SnapshotView) -> list[Any]:
    # a ConfigMap's rows share its cluster, namespace and name: those are built once per ConfigMap
    heads: list[Row] = []
    counts: list[int] = []
    rows: list[Row] = []  # key, looks_like_credential, value, value_length, credential_lines
    for cm in snap.items("ConfigMap"):
        if not cm.data:
            continue
        for key, value in cm.data.items():
            cred = looks_like_credential(key)
            text = "" if value is None else str(value)
            lines = (
                [ln.strip() for ln in text.splitlines() if MASK_PREFIX in ln]
                if not cred and MASK_PREFIX in text
                else []
            )
            rows.append((key, cred, text if cred else None, _masked_len(text), lines))  # (masked on load)
        heads.append((snap.cluster, cm.metadata.namespace, cm.metadata.name))
        counts.append(len(cm.data))
    return [*repeat_runs(heads, counts, 3), *columns_of(rows, 5)]


def _masked_len(text: str) -> int:
    if text.startswith("<masked: ") and text.endswith(" chars>"):
        try:
            return int(text[len("<masked: ") : -len(" chars>")])
        except ValueError:
            pass
    return len(text)


@frame(
    "secrets",
    "One row per Secret (metadata only).",
    keys=("cluster", "namespace", "name"),
    kinds=("Secret",),
    columns=[
        ("cluster", S, "cluster name"),
        ("namespace", S, "namespace"),
        ("name", S, "Secret"),
        ("type", S, "Secret type (<NA> when listed as metadata only)"),
        ("keys", O, "keys it holds (values are never read)"),
        ("service_account", S, "kubernetes.io/service-account.name annotation"),
        ("is_sa_token", B, "a long-lived service account token Secret"),
    ],
)
def build_secrets(snap: SnapshotView) -> Iterator[Row]:
    for s in snap.items("Secret"):
        ann = s.metadata.annotations or {}
        sa = ann.get("kubernetes.io/service-account.name")
        metadata_only = s.type is None and s.data_keys is None  # listed live as metadata: type unknown
        yield (
            snap.cluster,
            s.metadata.namespace,
            s.metadata.name,
            s.type,
            list(s.data_keys or []),
            sa,
            s.type == "kubernetes.io/service-account-token" or (metadata_only and sa is not None),
        )
