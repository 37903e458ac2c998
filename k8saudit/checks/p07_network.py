"""Practice 7: nodes are isolated from public networks, and traffic is restricted."""

from __future__ import annotations

import functools
import ipaddress

import pandas as pd

from .._network import is_public_ip
from ._common import any_in, apiserver_flags, bracket, concat, rows
from ._fix import FixContext, apiserver_flag, comment, dump
from ._registry import NSA_CISA, check

#: the legacy way to restrict a cloud load balancer, honoured when spec.loadBalancerSourceRanges is empty
SOURCE_RANGES_ANNOTATION = "service.beta.kubernetes.io/load-balancer-source-ranges"
#: annotations that make a cloud load balancer internal (values compared in lower case)
INTERNAL_LB_ANNOTATIONS: dict[str, tuple[str, ...]] = {
    "service.beta.kubernetes.io/aws-load-balancer-internal": ("true", "0.0.0.0/0"),
    "service.beta.kubernetes.io/aws-load-balancer-scheme": ("internal",),
    "networking.gke.io/load-balancer-type": ("internal",),
    "cloud.google.com/load-balancer-type": ("internal",),
    "service.beta.kubernetes.io/azure-load-balancer-internal": ("true",),
    "service.beta.kubernetes.io/oci-load-balancer-internal": ("true",),
    "service.beta.kubernetes.io/openstack-internal-load-balancer": ("true",),
    "service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type": ("private",),
}
OPEN_RANGES = ("0.0.0.0/0", "::/0")

_NP_DOC = "Kubernetes docs, Network Policies: https://kubernetes.io/docs/concepts/services-networking/network-policies/"
_SVC_DOC = "Kubernetes docs, Service types: https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types"
_NS_WHERE = "not is_system and workload_count > 0"


def _default_deny_fix(c: FixContext) -> str:
    ns = c.ns or c.name
    doc = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "default-deny", "namespace": ns},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }
    return (
        f"# {c.check}: namespace {ns}\n# apply: kubectl apply -f fix.yaml, then allow the flows each app needs "
        "(and DNS egress) with narrower policies\n" + dump(doc)
    )


@check(
    "node-external-ip",
    practice=7,
    severity="medium",
    on="nodes",
    fires_on="node",
    title="Node has a public address",
    why=(
        "A node reachable from the internet exposes the kubelet API, every NodePort and hostPort, and "
        "SSH to the world, so one weak setting there is an entry point. Nodes belong on private subnets "
        "behind load balancers and a NAT gateway."
    ),
    remediation=(
        "Move the node pool to private subnets (managed clusters: private nodes / no public IP), "
        "or firewall the node addresses so only the load balancers and admins' bastion reach them."
    ),
    references=[NSA_CISA, "CIS Amazon EKS Benchmark 5.4.3; CIS GKE Benchmark 5.6.5 (private nodes)"],
    controls={"nsa": ["net.worker-segmentation"], "mitre": ["T1133", "T1190"]},
    fix=comment(
        "move node {c.name} to a private subnet (no public IP), or firewall its public",
        "address so only load balancers and a bastion reach it",
    ),
)
def node_external_ip(nodes: pd.DataFrame) -> pd.DataFrame:
    bad = nodes[nodes["has_public_address"]]
    has_pub = bad["public_ips"].str.len() > 0
    external, public = bracket(bad["external_ips"]), bracket(bad["public_ips"])
    msg = concat("node `", bad["name"], "` has ExternalIP ", external).mask(
        has_pub, concat("node `", bad["name"], "` has public address(es) ", public)
    )
    ev = concat("status.addresses ExternalIP=", external, "; public=", public)
    return rows(bad.assign(kind="Node", namespace=None), msg, ev)


@check(
    "net-no-policy",
    practice=7,
    severity="medium",
    on="namespaces",
    fires_on="namespace",
    where=_NS_WHERE,
    title="Namespace has no NetworkPolicy",
    why=(
        "Without a NetworkPolicy every pod of the namespace accepts connections from every pod of the "
        "cluster and may connect anywhere: one compromised pod can reach databases, admin ports and "
        "cloud metadata endpoints of any namespace. NetworkPolicies only take effect with a CNI that "
        "enforces them (Calico, Cilium, ...)."
    ),
    remediation=(
        "Start with a default deny and open what the workloads need:\n```yaml\n"
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny\n"
        "spec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]\n```"
    ),
    references=[NSA_CISA, _NP_DOC],
    controls={"cis": ["5.3.2"], "nsa": ["net.policies"], "mitre": ["T1046"]},
    fix=_default_deny_fix,
)
def net_no_policy(namespaces: pd.DataFrame) -> pd.DataFrame:
    bad = namespaces[namespaces["network_policy_count"] == 0]
    msg = concat(
        "namespace `",
        bad["name"],
        "` runs ",
        bad["workload_count"].astype("string"),
        " workload(s) and has no NetworkPolicy",
    )
    return rows(bad.assign(kind="Namespace", namespace=bad["name"]), msg, "NetworkPolicies in the namespace: 0")


@check(
    "net-no-default-deny",
    practice=7,
    severity="low",
    on="namespaces",
    fires_on="namespace",
    where=_NS_WHERE,
    title="Namespace has no default-deny ingress policy",
    why=(
        "Policies that select some pods leave every other pod open; a new workload is reachable by the "
        "whole cluster until someone writes a policy for it. A policy with an empty podSelector and no "
        "ingress rules makes denial the default, so only traffic a policy names gets in. The evidence "
        "also says whether egress is denied by default (it stops exfiltration and lateral movement)."
    ),
    remediation=(
        "Add a default-deny policy to the namespace (keep the allow policies beside it):\n```yaml\n"
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny\n"
        "spec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]\n```\nWith Egress denied, "
        "allow DNS (UDP/TCP 53 to kube-dns) explicitly."
    ),
    references=[NSA_CISA, _NP_DOC],
    controls={"cis": ["5.3.2"], "nsa": ["net.policies"], "mitre": ["T1046"]},
    fix=_default_deny_fix,
)
def net_no_default_deny(namespaces: pd.DataFrame) -> pd.DataFrame:
    bad = namespaces[~namespaces["default_deny_ingress"]]
    egress = bad["default_deny_egress"].map({True: "denied by default", False: "not denied by default either"})
    msg = concat(
        "namespace `", bad["name"], "` has no default-deny ingress policy; egress is ", egress.astype("string")
    )
    ev = concat(
        "default-deny ingress: no; default-deny egress: ",
        bad["default_deny_egress"].map({True: "yes", False: "no"}).astype("string"),
        "; NetworkPolicies: ",
        bad["network_policy_count"].astype("string"),
    )
    return rows(bad.assign(kind="Namespace", namespace=bad["name"]), msg, ev)


@check(
    "svc-nodeport",
    practice=7,
    severity="low",
    on="services",
    fires_on="Service",
    title="Service is exposed on every node (NodePort)",
    why=(
        "A NodePort Service opens the same port on every node's address, so anything that can reach a "
        "node reaches the workload, around ingress controllers and their TLS and authentication. With "
        "public nodes that is the internet."
    ),
    remediation=(
        "Use `type: ClusterIP` behind an Ingress or Gateway, or a LoadBalancer with "
        "`loadBalancerSourceRanges`; if a NodePort is needed, firewall the node port range."
    ),
    references=[NSA_CISA, _SVC_DOC],
    controls={"nsa": ["net.worker-segmentation"], "mitre": ["T1133", "T1190"]},
    fix=lambda c: (
        c.header() + "# and publish it through an Ingress or Gateway\n" + dump({"spec": {"type": "ClusterIP"}})
    ),
)
def svc_nodeport(services: pd.DataFrame) -> pd.DataFrame:
    bad = services[services["type"] == "NodePort"]
    ports = bracket(bad["node_ports"]).replace("not set", "assigned at creation")
    msg = concat("Service `", bad["name"], "` is exposed on every node (NodePort ", ports, ")")
    return rows(bad.assign(kind="Service"), msg, concat("spec.type=NodePort; nodePort=", ports))


def _ip_private(address: str) -> bool:
    """A private (internal) address, by the same ranges as the nodes frame; a hostname cannot tell."""
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return not is_public_ip(address)


def _internal(lb: pd.DataFrame) -> pd.Series:
    """Internal load balancers: an internal annotation, or only private ingress addresses."""
    ann = lb["annotations"]
    internal = pd.Series(False, index=lb.index)
    for key, values in INTERNAL_LB_ANNOTATIONS.items():
        internal |= ann.map(lambda a, k=key, v=values: str(a.get(k, "")).strip().lower() in v)
    is_private = functools.cache(_ip_private)  # each distinct address parsed once (balancers share a few ranges)
    private = lb["lb_ingress"].map(lambda ips: bool(ips) and all(is_private(str(i)) for i in ips))
    return internal | private.astype(bool)


@check(
    "svc-lb-open",
    practice=7,
    severity="medium",
    on="services",
    fires_on="Service",
    where="type == 'LoadBalancer'",
    title="LoadBalancer Service accepts traffic from any address",
    why=(
        "A LoadBalancer Service without `loadBalancerSourceRanges` (or with 0.0.0.0/0) gets a cloud load "
        "balancer open to the whole internet, in front of an application that may never have been meant "
        "to face it. Internal load balancers (cloud annotations, or only private ingress addresses) are "
        "not reported; the legacy source-ranges annotation counts as source ranges."
    ),
    remediation=(
        "Restrict the sources, or make it internal:\n```yaml\nspec:\n  type: LoadBalancer\n"
        "  loadBalancerSourceRanges: [203.0.113.0/24]\n```"
    ),
    references=[
        NSA_CISA,
        _SVC_DOC,
        "Kubernetes docs, loadBalancerSourceRanges: https://kubernetes.io/docs/tasks/access-application-cluster/configure-cloud-provider-firewall/",
    ],
    controls={"nsa": ["net.worker-segmentation"], "mitre": ["T1133", "T1190"]},
    fix=lambda c: (
        c.header() + dump({"spec": {"loadBalancerSourceRanges": ["<office or VPN CIDR, e.g. 203.0.113.0/24>"]}})
    ),
)
def svc_lb_open(services: pd.DataFrame) -> pd.DataFrame:
    lb = services
    ann_ranges = lb["annotations"].map(
        lambda a: [r.strip() for r in str(a.get(SOURCE_RANGES_ANNOTATION, "")).split(",") if r.strip()]
    )
    ranges = lb["load_balancer_source_ranges"].where(lb["load_balancer_source_ranges"].str.len() > 0, ann_ranges)
    restricted = (ranges.str.len() > 0) & ~any_in(ranges, OPEN_RANGES)
    bad = lb[~restricted & ~_internal(lb)]
    msg = concat("LoadBalancer Service `", bad["name"], "` accepts traffic from any address")
    ev = concat(
        "source ranges (spec or annotation)=",
        bracket(ranges[bad.index]),
        "; ports=",
        bracket(bad["ports"]),
        "; ingress=",
        bracket(bad["lb_ingress"]),
    )
    return rows(bad.assign(kind="Service"), msg, ev)


@check(
    "apiserver-insecure-port",
    practice=7,
    severity="critical",
    on="apiserver",
    fires_on="apiserver",
    title="API server serves the insecure port",
    why=(
        "The insecure port serves the whole API over plain HTTP with no authentication and no "
        "authorization: whoever reaches it is cluster-admin. Kubernetes 1.20 forced it to 0 and 1.24 "
        "removed the flags; an API server that still sets them is old and exposed."
    ),
    remediation=(
        "Remove `--insecure-port` (or set it to 0) and `--insecure-bind-address` from the "
        "kube-apiserver manifest (/etc/kubernetes/manifests/kube-apiserver.yaml), and upgrade."
    ),
    references=[
        "CIS Kubernetes Benchmark v1.6.0 1.2.18, 1.2.19 (--insecure-bind-address, --insecure-port; "
        "the flags were removed in Kubernetes 1.24: no v1.12.0 control)",
        NSA_CISA,
    ],
    needs_apiserver=True,
    controls={"nsa": ["net.control-plane"], "mitre": ["T1133"]},
    fix=apiserver_flag("--insecure-port=0", "and delete --insecure-bind-address; then upgrade"),
)
def apiserver_insecure_port(apiserver: pd.DataFrame) -> pd.DataFrame:
    p = apiserver_flags(apiserver, "insecure-port", "insecure-bind-address")
    port, bind = p["insecure-port"], p["insecure-bind-address"]
    open_port = port.notna() & (port.str.strip() != "0")
    bad = p[(open_port | bind.notna()).fillna(False).astype(bool)]
    node = bad["node"].astype("string").fillna("?")
    port, bind = port[bad.index], bind[bad.index]
    msg = concat(
        "kube-apiserver on node `",
        node,
        "` serves the unauthenticated port ",
        (port, "(default)"),
        " on ",
        (bind, "127.0.0.1"),
    )
    msg = msg.mask(
        ~open_port[bad.index].fillna(False).astype(bool),
        concat("kube-apiserver on node `", node, "` sets --insecure-bind-address (insecure port disabled)"),
    )
    ev = concat("--insecure-port=", (port, "not set"), "; --insecure-bind-address=", (bind, "not set"))
    return rows(bad, msg, ev)
