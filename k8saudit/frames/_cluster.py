"""Cluster-level frames: objects, nodes, services, network policies, namespaces, apiserver, ..."""

from __future__ import annotations

from typing import Any

from .. import _model as m
from .._network import is_public_ip
from .._normalize import MASK_PREFIX, looks_like_credential
from ._schema import make
from ._workloads import _selector, workload_index

SYSTEM_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease")
PSA = "pod-security.kubernetes.io/"


def build_objects(snap: Any) -> Any:
    names = "cluster kind api_version namespace name uid owner_kind owner_name created source line".split()
    cols: dict[str, list[Any]] = {c: [] for c in names}
    for kind in snap.kinds:
        items = snap.items(kind)
        prov = snap.provenance(kind)
        n = len(items)
        mds = [o.metadata for o in items]
        refs = [m.controller_ref(md.owner_references) for md in mds]
        cols["cluster"] += [snap.cluster] * n
        cols["kind"] += [kind] * n
        cols["api_version"] += [o.api_version for o in items]
        cols["namespace"] += [md.namespace for md in mds]
        cols["name"] += [md.name for md in mds]
        cols["uid"] += [md.uid for md in mds]
        cols["owner_kind"] += [r.kind if r is not None else None for r in refs]
        cols["owner_name"] += [r.name if r is not None else None for r in refs]
        cols["created"] += [md.creation_timestamp for md in mds]
        cols["source"] += [p[0] for p in prov]
        cols["line"] += [p[1] for p in prov]
    return make("objects", cols)


def build_nodes(snap: Any) -> Any:
    names = ("cluster name roles internal_ips external_ips public_ips has_public_address kubelet_version os_image "
             "container_runtime unschedulable").split()
    cols: dict[str, list[Any]] = {c: [] for c in names}
    for n in snap.items("Node"):
        st = n.status or m.NodeStatus()
        addrs = st.addresses or []
        internal = [a.address for a in addrs if a.type == "InternalIP" and a.address]
        external = [a.address for a in addrs if a.type == "ExternalIP" and a.address]
        public = [a.address for a in addrs if a.type in ("InternalIP", "ExternalIP") and is_public_ip(a.address)]
        labels = n.metadata.labels or {}
        roles = sorted(k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/") and "/" in k)
        info = st.node_info or m.NodeInfo()
        cols["cluster"].append(snap.cluster)
        cols["name"].append(n.metadata.name)
        cols["roles"].append(roles)
        cols["internal_ips"].append(internal)
        cols["external_ips"].append(external)
        cols["public_ips"].append(public)
        cols["has_public_address"].append(bool(external or public))
        cols["kubelet_version"].append(info.kubelet_version)
        cols["os_image"].append(info.os_image)
        cols["container_runtime"].append(info.container_runtime_version)
        cols["unschedulable"].append(bool(n.spec is not None and n.spec.unschedulable))
    return make("nodes", cols)


def build_services(snap: Any) -> Any:
    names = ("cluster namespace name type cluster_ip ports node_ports selector load_balancer_source_ranges "
             "external_ips lb_ingress annotations").split()
    cols: dict[str, list[Any]] = {c: [] for c in names}
    for s in snap.items("Service"):
        sp = s.spec or m.ServiceSpec()
        ports = sp.ports or []
        lb = s.status.load_balancer if s.status is not None else None
        cols["cluster"].append(snap.cluster)
        cols["namespace"].append(s.metadata.namespace)
        cols["name"].append(s.metadata.name)
        cols["type"].append(sp.type or "ClusterIP")
        cols["cluster_ip"].append(sp.cluster_ip)
        cols["ports"].append([f"{p.port}/{p.protocol or 'TCP'}" for p in ports])
        cols["node_ports"].append([p.node_port for p in ports if p.node_port])
        cols["selector"].append(dict(sp.selector or {}))
        cols["load_balancer_source_ranges"].append(list(sp.load_balancer_source_ranges or []))
        cols["external_ips"].append(list(sp.external_ips or []))
        cols["lb_ingress"].append([i.ip or i.hostname for i in (lb.ingress if lb is not None else None) or []])
        cols["annotations"].append(dict(s.metadata.annotations or {}))
    return make("services", cols)


def _policy_row(p: m.NetworkPolicy) -> dict[str, Any]:
    sp = p.spec or m.NetworkPolicySpec()
    sel = _selector(sp.pod_selector) or {"match_labels": {}, "match_expressions": []}
    select_all = not sel["match_labels"] and not sel["match_expressions"]
    types = list(sp.policy_types or [])
    if not types:  # the API's default: Ingress, plus Egress when egress rules exist
        types = ["Ingress"] + (["Egress"] if sp.egress else [])
    n_in, n_out = len(sp.ingress or []), len(sp.egress or [])
    return {
        "namespace": p.metadata.namespace, "name": p.metadata.name, "pod_selector": sel,
        "selects_all_pods": select_all, "policy_types": types, "ingress_rules": n_in, "egress_rules": n_out,
        "default_deny_ingress": select_all and "Ingress" in types and n_in == 0,
        "default_deny_egress": select_all and "Egress" in types and n_out == 0,
    }


def build_network_policies(snap: Any) -> Any:
    rows = [_policy_row(p) for p in snap.items("NetworkPolicy")]
    names = ("namespace name pod_selector selects_all_pods policy_types ingress_rules egress_rules "
             "default_deny_ingress default_deny_egress").split()
    cols = {c: [r[c] for r in rows] for c in names}
    cols["cluster"] = [snap.cluster] * len(rows)
    return make("network_policies", cols)


def build_namespaces(snap: Any) -> Any:
    declared = {n.metadata.name: n for n in snap.items("Namespace")}
    wl_count: dict[str | None, int] = {}
    for rec in workload_index(snap):
        wl_count[rec.namespace] = wl_count.get(rec.namespace, 0) + 1
    per_ns = snap.frame("network_policies").groupby("namespace").agg(
        n=("name", "size"), deny_in=("default_deny_ingress", "any"), deny_out=("default_deny_egress", "any"))
    np_count = per_ns["n"].to_dict()
    deny_in = per_ns["deny_in"].to_dict()
    deny_out = per_ns["deny_out"].to_dict()
    referenced: set[str] = set()
    for kind, n in snap.kinds.items():
        if n and kind != "Namespace":
            referenced.update(o.metadata.namespace for o in snap.items(kind) if o.metadata.namespace)
    names = sorted(set(declared) | referenced, key=lambda s: (s is None, s))
    cols: dict[str, list[Any]] = {c: [] for c in (
        "cluster name declared is_system labels workload_count network_policy_count default_deny_ingress "
        "default_deny_egress psa_enforce psa_audit psa_warn").split()}
    for name in names:
        ns = declared.get(name)
        labels = dict(ns.metadata.labels or {}) if ns is not None else {}
        cols["cluster"].append(snap.cluster)
        cols["name"].append(name)
        cols["declared"].append(ns is not None)
        cols["is_system"].append(name in SYSTEM_NAMESPACES)
        cols["labels"].append(labels)
        cols["workload_count"].append(wl_count.get(name, 0))
        cols["network_policy_count"].append(np_count.get(name, 0))
        cols["default_deny_ingress"].append(deny_in.get(name, False))
        cols["default_deny_egress"].append(deny_out.get(name, False))
        cols["psa_enforce"].append(labels.get(PSA + "enforce"))
        cols["psa_audit"].append(labels.get(PSA + "audit"))
        cols["psa_warn"].append(labels.get(PSA + "warn"))
    return make("namespaces", cols)


def _is_apiserver_pod(p: m.Pod) -> bool:
    md = p.metadata
    if md.namespace != "kube-system":
        return False
    labels = md.labels or {}
    if labels.get("component") == "kube-apiserver":
        return True
    return bool(md.name and md.name.startswith("kube-apiserver") and p.spec is not None and any(
        "kube-apiserver" in (c.image or "") for c in p.spec.containers or ()))


#: kube-apiserver flags that are booleans: like Go's pflag, ``--flag value`` does not give them ``value``
BOOL_FLAGS = frozenset({
    "anonymous-auth", "allow-privileged", "profiling", "contention-profiling", "enable-bootstrap-token-auth",
    "enable-aggregator-routing", "enable-priority-and-fairness", "enable-garbage-collector",
    "enable-logs-handler", "enable-swagger-ui", "kubelet-https", "service-account-lookup",
    "audit-log-compress", "watch-cache", "storage-media-type-json", "strict-transport-security-directives-enabled",
    "authorization-always-allow-paths-enabled", "service-account-extend-token-expiration", "logtostderr",
    "alsologtostderr", "tls-sni-cert-key-enabled",
})


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


def build_apiserver(snap: Any) -> Any:
    """One row per flag of each kube-apiserver static pod; a pod that sets no flag at all
    still gets one row (``flag`` and ``value`` missing), so its defaults are judged too."""
    cols: dict[str, list[Any]] = {c: [] for c in ("cluster", "node", "pod", "flag", "value")}
    for p in snap.items("Pod"):
        if not _is_apiserver_pod(p) or p.spec is None:
            continue
        cs = p.spec.containers or []
        c = next((c for c in cs if c.name == "kube-apiserver"), cs[0] if cs else None)
        if c is None:
            continue
        flags: list[tuple[str | None, str | None]] = list(parse_flags(list(c.command or []) + list(c.args or [])))
        for flag, value in flags or [(None, None)]:
            cols["cluster"].append(snap.cluster)
            cols["node"].append(p.spec.node_name)
            cols["pod"].append(p.metadata.name)
            cols["flag"].append(flag)
            cols["value"].append(value)
    return make("apiserver", cols)


def build_kubeconfig_users(snap: Any) -> Any:
    names = ("context kubeconfig_cluster user auth_type static_credential server namespace exec_command "
             "is_current source").split()
    rows = snap.kubeconfig_entries
    cols = {c: [r.get(c) for r in rows] for c in names}
    cols["cluster"] = [snap.cluster] * len(rows)
    cols["static_credential"] = [bool(v) for v in cols["static_credential"]]
    cols["is_current"] = [bool(v) for v in cols["is_current"]]
    return make("kubeconfig_users", cols)


def build_pdbs(snap: Any) -> Any:
    cols: dict[str, list[Any]] = {c: [] for c in "cluster namespace name selector min_available max_unavailable".split()}
    for p in snap.items("PodDisruptionBudget"):
        sp = p.spec or m.PDBSpec()
        cols["cluster"].append(snap.cluster)
        cols["namespace"].append(p.metadata.namespace)
        cols["name"].append(p.metadata.name)
        cols["selector"].append(_selector(sp.selector))
        cols["min_available"].append(None if sp.min_available is None else str(sp.min_available))
        cols["max_unavailable"].append(None if sp.max_unavailable is None else str(sp.max_unavailable))
    return make("pdbs", cols)


def build_service_accounts(snap: Any) -> Any:
    cols: dict[str, list[Any]] = {c: [] for c in "cluster namespace name automount_sa_token secrets".split()}
    for sa in snap.items("ServiceAccount"):
        cols["cluster"].append(snap.cluster)
        cols["namespace"].append(sa.metadata.namespace)
        cols["name"].append(sa.metadata.name)
        cols["automount_sa_token"].append(sa.automount_service_account_token)
        cols["secrets"].append([s.name for s in sa.secrets or () if s.name])
    return make("service_accounts", cols)


def build_config_maps(snap: Any) -> Any:
    cols: dict[str, list[Any]] = {c: [] for c in
                                  ("cluster namespace name key looks_like_credential value value_length "
                                   "credential_lines").split()}
    for cm in snap.items("ConfigMap"):
        for key, value in (cm.data or {}).items():
            cred = looks_like_credential(key)
            text = "" if value is None else str(value)
            cols["cluster"].append(snap.cluster)
            cols["namespace"].append(cm.metadata.namespace)
            cols["name"].append(cm.metadata.name)
            cols["key"].append(key)
            cols["looks_like_credential"].append(cred)
            cols["value"].append(text if cred else None)  # already masked on load
            cols["value_length"].append(_masked_len(text))
            cols["credential_lines"].append(
                [ln.strip() for ln in text.splitlines() if MASK_PREFIX in ln] if not cred and MASK_PREFIX in text else [])
    return make("config_maps", cols)


def _masked_len(text: str) -> int:
    if text.startswith("<masked: ") and text.endswith(" chars>"):
        try:
            return int(text[len("<masked: "):-len(" chars>")])
        except ValueError:
            pass
    return len(text)


def build_secrets(snap: Any) -> Any:
    cols: dict[str, list[Any]] = {c: [] for c in "cluster namespace name type keys service_account is_sa_token".split()}
    for s in snap.items("Secret"):
        ann = s.metadata.annotations or {}
        sa = ann.get("kubernetes.io/service-account.name")
        cols["cluster"].append(snap.cluster)
        cols["namespace"].append(s.metadata.namespace)
        cols["name"].append(s.metadata.name)
        cols["type"].append(s.type)
        cols["keys"].append(list(s.data_keys or []))
        cols["service_account"].append(sa)
        metadata_only = s.type is None and s.data_keys is None  # listed live as metadata: type unknown
        cols["is_sa_token"].append(s.type == "kubernetes.io/service-account-token" or (metadata_only and sa is not None))
    return make("secrets", cols)
