"""Vertex ids of the attack graph, and what each one stands for.

Ids are readable strings, ``<type>:<name>``:

==================  ===========================================================  =========
id                  stands for                                                   role
==================  ===========================================================  =========
``internet``        anyone on the internet                                       entry
``anonymous``       an unauthenticated client of the API server                  entry
``authenticated``   anyone holding any valid credential for the API server       entry
``workload:NS/K/N`` code running in a workload's pods (kind K, name N)            (entry in assume-breach)
``sa:NS/N``         a service account's credentials
``user:N``          a user name (as RBAC subjects name them)
``group:N``         a group
``node:N``          root on node N
``node:*``          root on a node the attacker picks (it may schedule pods with  target
                    ``nodeName``); with no Node objects in the snapshot, any node
``node:?``          root on the node a workload will be scheduled on (its pods   target
                    are not in the snapshot)
``sas:NS``          run as any service account of a namespace (``sas:*``: any)  hub
``workloads:NS``    code execution in any workload of a namespace (``*``: any)   hub
``users:*``         any user; ``groups:*``: any group                           hub
``ns-admin:NS``     full control of a namespace's objects (``*``: every one)      hub
``pods:NS``         create pods in a namespace admitting privileged ones         hub
                    (``pods:*``: in every namespace)
``node-ports:*``    an open port on any node with a public address (NodePorts,  hub
                    and hostPorts of pods that may land there)
``secrets:NS``      the values of every Secret of a namespace                    target
``secrets:*``       the Secrets of every namespace                               hub
``cluster-admin``   cluster-admin or its equivalent                              target
==================  ===========================================================  =========
"""

from __future__ import annotations

ENTRIES = ("internet", "anonymous", "authenticated")
CLUSTER_ADMIN = "cluster-admin"
ANY_NODE = "node:*"
#: the node a workload will be scheduled on, when its pods (and so their nodes) are not in the snapshot
SCHEDULED_NODE = "node:?"
ALL = "*"
#: create pods in every namespace (rbac-privileged-pod → here → psa-privileged-pod, one edge per namespace)
ANY_PODS = "pods:*"
#: an open port on a node with a public address (internet → here, one edge per public node → workloads)
PUBLIC_PORTS = "node-ports:*"

#: prefixes of vertex ids (``<prefix>:<name>``)
PREFIXES = (
    "workload",
    "sa",
    "user",
    "group",
    "node",
    "sas",
    "workloads",
    "users",
    "groups",
    "ns-admin",
    "pods",
    "node-ports",
    "secrets",
)

#: vertex types in display order (left to right)
TYPES = ("entry", "workload", "service_account", "user", "group", "hub", "node", "secrets", "target")


def workload(namespace: str, kind: str, name: str) -> str:
    return f"workload:{namespace}/{kind}/{name}"


def sa(namespace: str, name: str) -> str:
    return f"sa:{namespace}/{name}"


def node(name: str) -> str:
    return f"node:{name}"


def vtype(v: str) -> str:
    """The type of a vertex id (one of :data:`TYPES`)."""
    if v in ENTRIES:
        return "entry"
    if v == CLUSTER_ADMIN:
        return "target"
    head, _, rest = v.partition(":")
    if head == "workload":
        return "workload"
    if head == "sa":
        return "service_account"
    if head in ("user", "group"):
        return head
    if head == "node":
        return "node"
    if head == "secrets":
        return "hub" if rest == ALL else "secrets"
    return "hub"


def is_target(v: str) -> bool:
    """cluster-admin, root on a node, or a namespace's Secrets."""
    return v == CLUSTER_ADMIN or v.startswith("node:") or (v.startswith("secrets:") and v != "secrets:*")


def namespace_of(v: str) -> str | None:
    head, _, rest = v.partition(":")
    if head in ("workload", "sa"):
        return rest.split("/", 1)[0]
    if head in ("sas", "workloads", "ns-admin", "pods", "secrets") and rest != ALL:
        return rest
    return None


def label(v: str) -> str:
    """A short human label: ``Deployment shop/frontend``, ``ServiceAccount legacy/legacy-admin``, ..."""
    if v == "internet":
        return "the internet"
    if v == "anonymous":
        return "anonymous API client"
    if v == "authenticated":
        return "any authenticated user"
    if v == CLUSTER_ADMIN:
        return "cluster-admin"
    head, _, rest = v.partition(":")
    if head == "workload":
        ns, kind, name = rest.split("/", 2)
        return f"{kind} {ns}/{name}"
    if head == "sa":
        return f"ServiceAccount {rest}"
    if head == "user":
        return f"User {rest}"
    if head == "group":
        return f"Group {rest}"
    if head == "node":
        if rest == ALL:
            return "root on a node"
        return "root on the node it is scheduled on" if rest == "?" else f"root on node {rest}"
    star = rest == ALL
    if head == "sas":
        return "any service account" + ("" if star else f" of {rest}")
    if head == "workloads":
        return "any workload" + ("" if star else f" of {rest}")
    if head == "users":
        return "any user"
    if head == "groups":
        return "any group"
    if head == "ns-admin":
        return "admin of every namespace" if star else f"admin of namespace {rest}"
    if head == "node-ports":
        return "an open port on a node with a public address"
    if head == "pods":
        return "create pods in every namespace" if star else f"create pods in {rest}"
    if head == "secrets":
        return "Secrets of every namespace" if star else f"Secrets of {rest}"
    return v
