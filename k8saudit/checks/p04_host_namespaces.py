"""Practice 4: no sharing of the host's IPC, PID or network namespace, and no host ports."""

from __future__ import annotations

import pandas as pd

from ._common import joined, pod_spec_path, rows, who, workload_column
from ._registry import CIS, NSA_CISA, PSS_BASELINE, check

_NS_DOC = "Kubernetes docs, Pod spec (hostNetwork, hostPID, hostIPC): https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#security-context"


def _host_namespace(workloads: pd.DataFrame, column: str, field: str, what: str) -> pd.DataFrame:
    bad = workloads[workloads[column]]
    msg = bad["kind"] + " `" + bad["name"] + f"` shares the host's {what} namespace ({field}: true)"
    return rows(bad, msg, pod_spec_path(bad["kind"], field) + "=true")


@check("host-ipc", practice=4, severity="high", on="workloads", fires_on="workload",
       title="Pod shares the host's IPC namespace",
       why=("With hostIPC a container sees the node's System V shared memory and message queues and "
            "/dev/shm: it can read or corrupt data that other processes on the node, including other pods, "
            "exchange there."),
       remediation="Remove `hostIPC: true` from the pod spec (or set it to false).",
       references=[f"{CIS} 5.2.4", PSS_BASELINE, NSA_CISA, _NS_DOC])
def host_ipc(workloads: pd.DataFrame) -> pd.DataFrame:
    return _host_namespace(workloads, "host_ipc", "hostIPC", "IPC")


@check("host-pid", practice=4, severity="high", on="workloads", fires_on="workload",
       title="Pod shares the host's PID namespace",
       why=("With hostPID a container sees every process on the node, their command lines and environment "
            "(secrets included); as root it can signal or ptrace them and reach their filesystems through "
            "/proc/<pid>/root: a short path to owning the node."),
       remediation="Remove `hostPID: true` from the pod spec (or set it to false).",
       references=[f"{CIS} 5.2.3", PSS_BASELINE, NSA_CISA, _NS_DOC])
def host_pid(workloads: pd.DataFrame) -> pd.DataFrame:
    return _host_namespace(workloads, "host_pid", "hostPID", "PID")


@check("host-network", practice=4, severity="high", on="workloads", fires_on="workload",
       title="Pod shares the host's network namespace",
       why=("With hostNetwork a container uses the node's interfaces: it can reach services bound to "
            "localhost on the node (kubelet, etcd, metadata endpoints), sniff node traffic with NET_RAW, and "
            "every port it opens is open on the node. NetworkPolicies no longer apply to it."),
       remediation="Remove `hostNetwork: true` from the pod spec; expose the workload through a Service instead.",
       references=[f"{CIS} 5.2.5", PSS_BASELINE, NSA_CISA, _NS_DOC])
def host_network(workloads: pd.DataFrame) -> pd.DataFrame:
    return _host_namespace(workloads, "host_network", "hostNetwork", "network")


@check("host-port", practice=4, severity="medium", on="containers", fires_on="container",
       title="Container binds a port on the node",
       why=("A hostPort opens the port on the node's own address, around Services and NetworkPolicies, "
            "and ties the pod to nodes where the port is free. A hostNetwork pod is not reported here: the "
            "API sets its hostPorts to its containerPorts, and host-network already reports it."),
       remediation=("Remove `hostPort` from the container's `ports` and expose the workload with a Service "
                    "(ClusterIP, or a LoadBalancer/Ingress with source ranges when it must be reached from "
                    "outside)."),
       references=[f"{CIS} 5.2.13", PSS_BASELINE, NSA_CISA])
def host_port(containers: pd.DataFrame, workloads: pd.DataFrame) -> pd.DataFrame:
    on_host = workload_column(containers, workloads, "host_network").fillna(False).astype(bool)
    bad = containers[(containers["host_ports"].str.len() > 0) & ~on_host]
    ports = joined(bad["host_ports"])
    return rows(bad, who(bad) + " binds host port(s) " + ports, "ports[].hostPort=[" + ports + "]")
