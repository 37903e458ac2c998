#!/usr/bin/env python3
"""Generate the second bundled sample, the legacy cluster: ``data/legacy-cluster/`` and its story in data/README.md.

Regenerate with::

    python data/generate_legacy.py

An old self-managed cluster: set up with kubeadm 1.14 in 2019, upgraded once to 1.15 and left
alone since. It is where the checks that the first sample cannot show fire: ABAC and AlwaysAllow
authorization, basic-auth and token files, the insecure port, no admission policy at all
(PodSecurityPolicies defined, their admission plugin never enabled). The capture is what an old
``kubectl`` (1.15) returns: Deployments, DaemonSets, ReplicaSets and Ingresses as
``extensions/v1beta1``, CronJobs as ``batch/v1beta1``, PodDisruptionBudgets and PodSecurityPolicies as
``policy/v1beta1``, service account tokens as Secrets mounted into every pod.

It reuses ``generate_sample.py``'s helpers, with this cluster's name, nodes and dates set on that
module before anything is built: the same determinism (uuid5 uids, hashed suffixes, fixed times),
byte-identical files on every run. Do not edit the generated files by hand. The story goes to
data/README.md, from the heading ``# The legacy cluster`` on (generate_sample.py keeps that part).
"""

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate_sample as gs
from generate_sample import (
    at,
    binding,
    configmap,
    container,
    daemonset,
    deployment,
    env,
    env_ref,
    exec_probe,
    fake_b64,
    flags,
    host_path,
    http_probe,
    netpol,
    new,
    pdb,
    pod_spec,
    port,
    res,
    role,
    rule,
    secret,
    service,
    subject,
    suffix,
    template,
)

CLUSTER = "legacy-cluster"
K8S = "v1.15.12"
CP = "master-1"
NODES = [  # name, InternalIP, ExternalIP, control plane?, kubelet version
    (CP, "10.20.0.10", None, True, K8S),
    ("node-1", "10.20.0.11", "198.51.100.61", False, K8S),  # public ExternalIP (the old bastion)
    ("node-2", "10.20.0.12", None, False, K8S),
    ("node-3", "10.20.0.13", None, False, "v1.14.10"),  # missed the upgrade
]
UTC = UTC
UPGRADE = datetime(2020, 5, 26, 19, 40, 12, tzinfo=UTC)  # kubeadm upgrade apply v1.15.12

gs.CLUSTER, gs.K8S, gs.CP, gs.NODES = CLUSTER, K8S, CP, NODES
gs.ALL_NODES = [n[0] for n in NODES]
gs.WORKERS = [n[0] for n in NODES if not n[3]]
gs.HOST_IP = {n[0]: n[1] for n in NODES}
gs.T0 = datetime(2019, 4, 2, 14, 7, 31, tzinfo=UTC)  # kubeadm init (1.14)
gs.NOW = datetime(2026, 11, 20, 9, 30, 0, tzinfo=UTC)  # time of the capture
OUT = gs.DATA / CLUSTER
TOKENS = {}  # (namespace, service account) -> its token Secret


# ------------------------------------------------------------------------------------ helpers --
def service_account(ns, name, *, created, automount=None):
    """A ServiceAccount and the token Secret the token controller made for it (every account had one then)."""
    token = f"{name}-token-{suffix(5, ns, name, 'token')}"
    TOKENS[(ns, name)] = token
    gs.service_account(ns, name, created=created, automount=automount, secrets=[token])
    secret(
        ns,
        token,
        "kubernetes.io/service-account-token",
        created=created,
        annotations={
            "kubernetes.io/service-account.name": name,
            "kubernetes.io/service-account.uid": gs.uid("ServiceAccount", ns, name),
        },
    )


def namespace(name, created, labels=None):
    """A Namespace as 1.15 shows it: no kubernetes.io/metadata.name label, no kube-root-ca.crt ConfigMap."""
    n = new("v1", "Namespace", name, created=created, labels=labels)
    n["spec"], n["status"] = {"finalizers": ["kubernetes"]}, {"phase": "Active"}
    service_account(name, "default", created=created)


def psp(name, spec, *, created, annotations=None):
    new("policy/v1beta1", "PodSecurityPolicy", name, created=created, annotations=annotations)["spec"] = spec


def img(name):
    return f"k8s.gcr.io/{name}"


# ------------------------------------------------------------------------------ the cluster --
def build_cluster():
    gs.build_nodes()
    for n in (o for o in gs.FILES["cluster"] if o["kind"] == "Node"):
        md, status = n["metadata"], n["status"]
        ip = status["addresses"][0]["address"]
        md["annotations"] = {k: v for k, v in md["annotations"].items() if not k.startswith("projectcalico")} | {
            "kubeadm.alpha.kubernetes.io/cri-socket": "/var/run/dockershim.sock",
            "flannel.alpha.coreos.com/backend-data": '{"VtepMAC":"'
            + ":".join(gs.hexid(12, md["name"], "mac")[i : i + 2] for i in range(0, 12, 2))
            + '"}',
            "flannel.alpha.coreos.com/backend-type": "vxlan",
            "flannel.alpha.coreos.com/kube-subnet-manager": "true",
            "flannel.alpha.coreos.com/public-ip": ip,
        }
        if "node-role.kubernetes.io/control-plane" in md["labels"]:
            md["labels"] = {k: v for k, v in md["labels"].items() if not k.startswith("node")} | {
                "node-role.kubernetes.io/master": ""
            }
            n["spec"]["taints"] = [{"effect": "NoSchedule", "key": "node-role.kubernetes.io/master"}]
        status["nodeInfo"] |= {
            "containerRuntimeVersion": "docker://18.9.7",
            "kernelVersion": "4.15.0-213-generic",
            "osImage": "Ubuntu 18.04.6 LTS",
        }
        status["conditions"][0] |= {"reason": "FlannelIsUp", "message": "Flannel is running on this node"}
    for name, created in (
        ("default", at()),
        ("kube-system", at()),
        ("kube-public", at()),
        ("kube-node-lease", UPGRADE - timedelta(days=400)),
        ("ci", at(days=3)),
        ("intranet", at(days=60)),
    ):
        namespace(name, created, {"team": name} if name in ("ci", "intranet") else None)

    gs.builtin_rbac()
    # The PodSecurityPolicies: the team's own `restricted` and the one the flannel manifest ships. The
    # PodSecurityPolicy admission plugin was never enabled, so neither is enforced.
    created = at(days=200)
    psp(
        "restricted",
        {
            "allowPrivilegeEscalation": False,
            "fsGroup": {"rule": "MustRunAs", "ranges": [{"min": 1, "max": 65535}]},
            "privileged": False,
            "readOnlyRootFilesystem": False,
            "requiredDropCapabilities": ["ALL"],
            "runAsUser": {"rule": "MustRunAsNonRoot"},
            "seLinux": {"rule": "RunAsAny"},
            "supplementalGroups": {"rule": "MustRunAs", "ranges": [{"min": 1, "max": 65535}]},
            "volumes": ["configMap", "emptyDir", "projected", "secret", "downwardAPI", "persistentVolumeClaim"],
        },
        created=created,
        annotations={
            "seccomp.security.alpha.kubernetes.io/allowedProfileNames": "docker/default",
            "seccomp.security.alpha.kubernetes.io/defaultProfileName": "docker/default",
        },
    )
    role("psp:restricted", [rule("policy", "podsecuritypolicies", "use", "restricted")], created=created)
    psp(
        "psp.flannel.unprivileged",
        {
            "allowPrivilegeEscalation": False,
            "allowedCapabilities": ["NET_ADMIN"],
            "allowedHostPaths": [{"pathPrefix": p} for p in ("/etc/cni/net.d", "/etc/kube-flannel", "/run/flannel")],
            "defaultAllowPrivilegeEscalation": False,
            "fsGroup": {"rule": "RunAsAny"},
            "hostIPC": False,
            "hostNetwork": True,
            "hostPID": False,
            "hostPorts": [{"max": 65535, "min": 0}],
            "privileged": False,
            "readOnlyRootFilesystem": False,
            "runAsUser": {"rule": "RunAsAny"},
            "seLinux": {"rule": "RunAsAny"},
            "supplementalGroups": {"rule": "RunAsAny"},
            "volumes": ["configMap", "secret", "emptyDir", "hostPath"],
        },
        created=at(minutes=30),
        annotations={
            "seccomp.security.alpha.kubernetes.io/allowedProfileNames": "docker/default",
            "seccomp.security.alpha.kubernetes.io/defaultProfileName": "docker/default",
        },
    )
    role(
        "flannel",
        [
            rule("extensions", "podsecuritypolicies", "use", "psp.flannel.unprivileged"),
            rule("", "pods", "get"),
            rule("", "nodes", "list,watch"),
            rule("", "nodes/status", "patch"),
        ],
        created=at(minutes=30),
    )
    binding("flannel", "flannel", [subject("ServiceAccount", "flannel", "kube-system")], created=at(minutes=30))
    role(
        "system:coredns",
        [rule("", "endpoints,services,pods,namespaces", "list,watch"), rule("", "nodes", "get")],
        created=at(minutes=1),
    )
    binding(
        "system:coredns", "system:coredns", [subject("ServiceAccount", "coredns", "kube-system")], created=at(minutes=1)
    )
    binding(
        "kubeadm:node-proxier",
        "system:node-proxier",
        [subject("ServiceAccount", "kube-proxy", "kube-system")],
        created=at(minutes=1),
    )
    # Deliberate misconfigurations, of their time
    binding(
        "kubernetes-dashboard",
        "cluster-admin",
        [subject("ServiceAccount", "kubernetes-dashboard", "kube-system")],
        created=at(days=1),
    )
    binding("tiller", "cluster-admin", [subject("ServiceAccount", "tiller", "kube-system")], created=at(days=2))
    role("jenkins", [rule("*", "*", "*")], created=at(days=3))
    binding("jenkins", "jenkins", [subject("ServiceAccount", "jenkins", "ci")], created=at(days=3))


def build_kube_system():
    ns, ip, pki = "kube-system", gs.HOST_IP[CP], "/etc/kubernetes/pki"
    static_pod(
        "kube-apiserver",
        flags(
            """kube-apiserver --advertise-address={ip} --allow-privileged=true
        --anonymous-auth=false --authorization-mode=Node,ABAC,RBAC,AlwaysAllow
        --authorization-policy-file=/etc/kubernetes/abac-policy.jsonl --basic-auth-file=/etc/kubernetes/basic-auth.csv
        --client-ca-file={pki}/ca.crt --enable-admission-plugins=NamespaceLifecycle,LimitRanger,ServiceAccount,DefaultStorageClass,DefaultTolerationSeconds,NodeRestriction,ResourceQuota
        --enable-bootstrap-token-auth=true --etcd-cafile={pki}/etcd/ca.crt
        --etcd-certfile={pki}/apiserver-etcd-client.crt --etcd-keyfile={pki}/apiserver-etcd-client.key
        --etcd-servers=https://127.0.0.1:2379 --insecure-bind-address=0.0.0.0 --insecure-port=8080
        --kubelet-client-certificate={pki}/apiserver-kubelet-client.crt
        --kubelet-client-key={pki}/apiserver-kubelet-client.key --kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname
        --oidc-client-id=kubernetes --oidc-groups-claim=groups --oidc-issuer-url=https://dex.legacy.example.com
        --oidc-username-claim=email --proxy-client-cert-file={pki}/front-proxy-client.crt
        --proxy-client-key-file={pki}/front-proxy-client.key --requestheader-allowed-names=front-proxy-client
        --requestheader-client-ca-file={pki}/front-proxy-ca.crt --requestheader-extra-headers-prefix=X-Remote-Extra-
        --requestheader-group-headers=X-Remote-Group --requestheader-username-headers=X-Remote-User
        --secure-port=6443 --service-account-key-file={pki}/sa.pub --service-cluster-ip-range=10.96.0.0/12
        --tls-cert-file={pki}/apiserver.crt --tls-private-key-file={pki}/apiserver.key
        --token-auth-file=/etc/kubernetes/known-tokens.csv""",
            ip=ip,
            pki=pki,
        ),
        K8S,
        gs.PKI + [("auth-files", "/etc/kubernetes/auth", "DirectoryOrCreate")],
        6443,
        ip,
        cpu="250m",
    )
    static_pod(
        "etcd",
        flags(
            """etcd --advertise-client-urls=https://{ip}:2379 --cert-file={pki}/etcd/server.crt
        --client-cert-auth=true --data-dir=/var/lib/etcd --initial-advertise-peer-urls=https://{ip}:2380
        --initial-cluster={cp}=https://{ip}:2380 --key-file={pki}/etcd/server.key
        --listen-client-urls=https://127.0.0.1:2379,https://{ip}:2379 --listen-peer-urls=https://{ip}:2380
        --name={cp} --peer-cert-file={pki}/etcd/peer.crt --peer-client-cert-auth=true
        --peer-key-file={pki}/etcd/peer.key --peer-trusted-ca-file={pki}/etcd/ca.crt --snapshot-count=10000
        --trusted-ca-file={pki}/etcd/ca.crt""",
            ip=ip,
            pki=pki,
            cp=CP,
        ),
        "3.3.10",
        [("etcd-certs", f"{pki}/etcd"), ("etcd-data", "/var/lib/etcd")],
        2379,
        host="127.0.0.1",
    )
    static_pod(
        "kube-controller-manager",
        flags(
            """kube-controller-manager --allocate-node-cidrs=true
        --authentication-kubeconfig={conf} --authorization-kubeconfig={conf} --bind-address=127.0.0.1
        --client-ca-file={pki}/ca.crt --cluster-cidr=10.244.0.0/16 --cluster-signing-cert-file={pki}/ca.crt
        --cluster-signing-key-file={pki}/ca.key --controllers=*,bootstrapsigner,tokencleaner --kubeconfig={conf}
        --leader-elect=true --node-cidr-mask-size=24 --requestheader-client-ca-file={pki}/front-proxy-ca.crt
        --root-ca-file={pki}/ca.crt --service-account-private-key-file={pki}/sa.key
        --use-service-account-credentials=true""",
            conf="/etc/kubernetes/controller-manager.conf",
            pki=pki,
        ),
        K8S,
        gs.PKI + [("kubeconfig", "/etc/kubernetes/controller-manager.conf", "FileOrCreate")],
        10252,
        scheme="HTTP",
    )
    static_pod(
        "kube-scheduler",
        flags(
            """kube-scheduler --bind-address=127.0.0.1 --kubeconfig={conf}
        --leader-elect=true""",
            conf="/etc/kubernetes/scheduler.conf",
        ),
        K8S,
        [("kubeconfig", "/etc/kubernetes/scheduler.conf", "FileOrCreate")],
        10251,
        scheme="HTTP",
    )
    for sa in (
        "clusterrole-aggregation-controller deployment-controller generic-garbage-collector "
        "namespace-controller replicaset-controller kube-proxy coredns"
    ).split():
        service_account(ns, sa, created=at(minutes=1))
    service_account(ns, "flannel", created=at(minutes=30))
    service_account(ns, "kubernetes-dashboard", created=at(days=1))
    service_account(ns, "tiller", created=at(days=2))
    configmap(
        ns,
        "kubeadm-config",
        {
            "ClusterConfiguration": f"""\
apiServer:
  extraArgs:
    anonymous-auth: "false"
    authorization-mode: Node,ABAC,RBAC,AlwaysAllow
    authorization-policy-file: /etc/kubernetes/abac-policy.jsonl
    basic-auth-file: /etc/kubernetes/basic-auth.csv
    insecure-bind-address: 0.0.0.0
    insecure-port: "8080"
    oidc-client-id: kubernetes
    oidc-issuer-url: https://dex.legacy.example.com
    token-auth-file: /etc/kubernetes/known-tokens.csv
  extraVolumes:
  - hostPath: /etc/kubernetes/auth
    mountPath: /etc/kubernetes/auth
    name: auth-files
apiVersion: kubeadm.k8s.io/v1beta2
certificatesDir: {pki}
clusterName: {CLUSTER}
controlPlaneEndpoint: {ip}:6443
kind: ClusterConfiguration
kubernetesVersion: {K8S}
networking:
  podSubnet: 10.244.0.0/16
  serviceSubnet: 10.96.0.0/12
"""
        },
        created=at(minutes=1),
    )
    configmap(
        ns,
        "kube-proxy",
        {
            "config.conf": "apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
            "clusterCIDR: 10.244.0.0/16\nkind: KubeProxyConfiguration\nmode: iptables\n"
        },
        created=at(minutes=1),
        labels={"app": "kube-proxy"},
    )
    configmap(
        ns,
        "kube-flannel-cfg",
        {"net-conf.json": '{\n  "Network": "10.244.0.0/16",\n  "Backend": {\n    "Type": "vxlan"\n  }\n}\n'},
        created=at(minutes=30),
        labels={"app": "flannel", "tier": "node"},
    )
    configmap(
        ns,
        "coredns",
        {
            "Corefile": ".:53 {\n    errors\n    health\n    kubernetes cluster.local "
            "in-addr.arpa ip6.arpa {\n       pods insecure\n       fallthrough in-addr.arpa "
            "ip6.arpa\n    }\n    prometheus :9153\n    forward . /etc/resolv.conf\n    cache 30\n"
            "    loop\n    reload\n    loadbalance\n}\n"
        },
        created=at(minutes=1),
    )
    linux = {"beta.kubernetes.io/os": "linux"}
    daemonset(
        ns,
        "kube-proxy",
        template(
            {"k8s-app": "kube-proxy"},
            pod_spec(
                [
                    container(
                        "kube-proxy",
                        img(f"kube-proxy:{K8S}"),
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
                tolerations=[{"key": "CriticalAddonsOnly", "operator": "Exists"}, {"operator": "Exists"}],
                volumes=[
                    {"name": "kube-proxy", "configMap": {"defaultMode": 420, "name": "kube-proxy"}},
                    host_path("xtables-lock", "/run/xtables.lock", "FileOrCreate"),
                    host_path("lib-modules", "/lib/modules"),
                ],
            ),
        ),
        created=UPGRADE,
        nodes=gs.ALL_NODES,
        sel={"k8s-app": "kube-proxy"},
    )
    flannel = {"app": "flannel", "tier": "node"}
    # applied from the flannel v0.11 manifest (extensions/v1beta1): such DaemonSets default to OnDelete
    daemonset(
        ns,
        "kube-flannel-ds-amd64",
        template(
            flannel,
            pod_spec(
                [
                    container(
                        "kube-flannel",
                        "quay.io/coreos/flannel:v0.11.0-amd64",
                        command=["/opt/bin/flanneld"],
                        args=["--ip-masq", "--kube-subnet-mgr"],
                        resources=res("100m", "50Mi", "100m", "50Mi"),
                        env_=[
                            env_ref("POD_NAME", "field", "metadata.name"),
                            env_ref("POD_NAMESPACE", "field", "metadata.namespace"),
                        ],
                        sc={"privileged": False, "capabilities": {"add": ["NET_ADMIN"]}},
                        mounts=[("run", "/run/flannel"), ("flannel-cfg", "/etc/kube-flannel/")],
                    )
                ],
                init=[
                    container(
                        "install-cni",
                        "quay.io/coreos/flannel:v0.11.0-amd64",
                        command=["cp"],
                        args=["-f", "/etc/kube-flannel/cni-conf.json", "/etc/cni/net.d/10-flannel.conflist"],
                        mounts=[("cni", "/etc/cni/net.d"), ("flannel-cfg", "/etc/kube-flannel/")],
                    )
                ],
                sa="flannel",
                host_network=True,
                node_selector=linux | {"beta.kubernetes.io/arch": "amd64"},
                tolerations=[{"effect": "NoSchedule", "operator": "Exists"}],
                volumes=[
                    host_path("run", "/run/flannel"),
                    host_path("cni", "/etc/cni/net.d"),
                    {"name": "flannel-cfg", "configMap": {"defaultMode": 420, "name": "kube-flannel-cfg"}},
                ],
            ),
        ),
        created=at(minutes=30),
        nodes=gs.ALL_NODES,
        sel=flannel,
        update={"type": "OnDelete"},
    )
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
                        img("coredns:1.3.1"),
                        args=["-conf", "/etc/coredns/Corefile"],
                        ports=[port(53, "dns", proto="UDP"), port(53, "dns-tcp"), port(9153, "metrics")],
                        resources=res("100m", "70Mi", lmem="170Mi"),
                        mounts=[("config-volume", "/etc/coredns", True)],
                        readiness=http_probe("/health", 8080),
                        liveness=http_probe("/health", 8080, initial=60, timeout=5, failure=5),
                        sc={
                            "allowPrivilegeEscalation": False,
                            "readOnlyRootFilesystem": True,
                            "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["all"]},
                        },
                    )
                ],
                sa="coredns",
                priority_class="system-cluster-critical",
                dnsPolicy="Default",
                node_selector=linux,
                tolerations=[
                    {"key": "CriticalAddonsOnly", "operator": "Exists"},
                    {"effect": "NoSchedule", "key": "node-role.kubernetes.io/master"},
                ],
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
        created=UPGRADE,
        sel=dns,
        strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}},
    )
    service(
        ns,
        "kube-dns",
        (("dns", 53, 53, "UDP"), ("dns-tcp", 53, 53), ("metrics", 9153, 9153)),
        created=at(minutes=1),
        selector=dns,
        cluster_ip="10.96.0.10",
        labels=dns | {"kubernetes.io/cluster-service": "true", "kubernetes.io/name": "KubeDNS"},
    )
    kd = {"k8s-app": "kubernetes-dashboard"}
    deployment(
        ns,
        "kubernetes-dashboard",
        template(
            kd,
            pod_spec(
                [
                    container(
                        "kubernetes-dashboard",
                        img("kubernetes-dashboard-amd64:v1.10.1"),
                        args=["--auto-generate-certificates", "--enable-skip-login"],
                        ports=[port(8443, proto="TCP")],
                        liveness=http_probe("/", 8443, "HTTPS", 30, timeout=30),
                        mounts=[("kubernetes-dashboard-certs", "/certs"), ("tmp-volume", "/tmp")],
                    )
                ],
                sa="kubernetes-dashboard",
                tolerations=[{"effect": "NoSchedule", "key": "node-role.kubernetes.io/master"}],
                volumes=[
                    {
                        "name": "kubernetes-dashboard-certs",
                        "secret": {"defaultMode": 420, "secretName": "kubernetes-dashboard-certs"},
                    },
                    {"name": "tmp-volume", "emptyDir": {}},
                ],
            ),
        ),
        1,
        created=at(days=1),
        sel=kd,
        labels=kd,
    )
    secret(ns, "kubernetes-dashboard-certs", created=at(days=1), labels=kd)
    service(
        ns,
        "kubernetes-dashboard",
        (("https", 443, 8443),),
        created=at(days=1),
        selector=kd,
        labels=kd,
        type_="NodePort",
        node_ports={"https": 30443},
    )
    tiller = {"app": "helm", "name": "tiller"}
    deployment(
        ns,
        "tiller-deploy",
        template(
            tiller,
            pod_spec(
                [
                    container(
                        "tiller",
                        "gcr.io/kubernetes-helm/tiller:v2.14.3",
                        env_=[env("TILLER_NAMESPACE", "kube-system"), env("TILLER_HISTORY_MAX", "0")],
                        ports=[port(44134, "tiller"), port(44135, "http")],
                        readiness=http_probe("/readiness", 44135, initial=1),
                        liveness=http_probe("/liveness", 44135, initial=1),
                    )
                ],
                sa="tiller",
            ),
        ),
        1,
        created=at(days=2),
        sel=tiller,
        labels=tiller,
    )
    service(ns, "tiller-deploy", (("tiller", 44134, "tiller"),), created=at(days=2), selector=tiller, labels=tiller)
    service(
        "default",
        "kubernetes",
        (("https", 443, 6443),),
        created=at(),
        selector={},
        cluster_ip="10.96.0.1",
        labels={"component": "apiserver", "provider": "kubernetes"},
    )


def static_pod(component, command, version, mounts, port_, host="127.0.0.1", scheme="HTTPS", cpu="100m"):
    gs.static_pod(component, command, version, mounts, port_, host, scheme, cpu)
    p = gs.FILES["kube-system"][-1]
    p["metadata"]["creationTimestamp"] = gs.ts(UPGRADE)
    for c in p["spec"]["containers"] + p["status"]["containerStatuses"]:
        c["image"] = c["image"].replace("registry.k8s.io/", "k8s.gcr.io/")
    p["metadata"]["annotations"]["kubernetes.io/config.seen"] = "2020-05-26T19:40:12.504071877Z"


def build_default():
    ns, created = "default", at(days=5)
    secret(ns, "mysql-pass", created=created)
    wp_password = "wp-" + suffix(14, "wordpress-db", alphabet="abcdefghjkmnpqrstuvwxyz23456789")
    deployment(
        ns,
        "wordpress",
        template(
            {"app": "wordpress", "tier": "frontend"},
            pod_spec(
                [
                    container(
                        "wordpress",
                        "wordpress:5.2.2-apache",
                        ports=[port(80, "wordpress")],
                        env_=[
                            env("WORDPRESS_DB_HOST", "mysql"),
                            env("WORDPRESS_DB_USER", "wordpress"),
                            env("WORDPRESS_DB_PASSWORD", wp_password),
                        ],
                        mounts=[("wordpress-persistent-storage", "/var/www/html")],
                    )
                ],
                volumes=[host_path("wordpress-persistent-storage", "/srv/wordpress")],
            ),
        ),
        2,
        created=created,
        sel={"app": "wordpress", "tier": "frontend"},
        strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 1}},
    )
    deployment(
        ns,
        "mysql",
        template(
            {"app": "wordpress", "tier": "mysql"},
            pod_spec(
                [
                    container(
                        "mysql",
                        "mysql:5.7.26",
                        ports=[port(3306, "mysql")],
                        env_=[env_ref("MYSQL_ROOT_PASSWORD", "secret", "mysql-pass", "password")],
                        readiness=exec_probe(["mysqladmin", "ping"]),
                        mounts=[("mysql-persistent-storage", "/var/lib/mysql")],
                    )
                ],
                node_selector={"kubernetes.io/hostname": "node-2"},
                volumes=[host_path("mysql-persistent-storage", "/srv/mysql")],
            ),
        ),
        1,
        created=created,
        sel={"app": "wordpress", "tier": "mysql"},
        nodes=["node-2"],
        strategy={"type": "Recreate"},
    )
    service(
        ns, "wordpress", created=created, selector={"app": "wordpress", "tier": "frontend"}, labels={"app": "wordpress"}
    )
    service(
        ns,
        "mysql",
        (("mysql", 3306, 3306),),
        created=created,
        selector={"app": "wordpress", "tier": "mysql"},
        labels={"app": "wordpress"},
    )
    ing = new(
        "networking.k8s.io/v1",
        "Ingress",
        "wordpress",
        ns,
        created=created,
        generation=1,
        annotations={"kubernetes.io/ingress.class": "nginx"},
    )
    ing["spec"] = {
        "rules": [
            {
                "host": "blog.legacy.example.com",
                "http": {"paths": [{"path": "/", "backend": {"serviceName": "wordpress", "servicePort": 80}}]},
            }
        ]
    }
    ing["status"] = {"loadBalancer": {}}
    gs.cronjob(
        ns,
        "mysql-backup",
        "30 1 * * *",
        template(
            {"app": "mysql-backup"},
            pod_spec(
                [
                    container(
                        "backup",
                        "mysql:5.7.26",
                        command=[
                            "sh",
                            "-c",
                            "mysqldump -h mysql -uroot -p$MYSQL_ROOT_PASSWORD --all-databases"
                            " | gzip > /backup/all-$(date +%F).sql.gz",
                        ],
                        env_from=[{"secretRef": {"name": "mysql-pass"}}],
                        env_=[env_ref("MYSQL_ROOT_PASSWORD", "secret", "mysql-pass", "password")],
                        mounts=[("backup", "/backup")],
                    )
                ],
                restart="OnFailure",
                volumes=[host_path("backup", "/srv/backup")],
            ),
        ),
        created=created,
        last_run=gs.NOW.replace(hour=1, minute=30),
    )


def build_ci():
    ns, created = "ci", at(days=3)
    service_account(ns, "jenkins", created=created)
    secret(ns, "jenkins", created=created)
    configmap(
        ns,
        "jenkins-agent",
        {
            "JENKINS_URL": "http://jenkins.ci:8080",
            "JENKINS_AGENT_NAME": "docker-1",
            "JENKINS_SECRET": gs.hexid(64, "jenkins-agent"),
        },
        created=created,
    )
    j = {"app": "jenkins"}
    deployment(
        ns,
        "jenkins",
        template(
            j,
            pod_spec(
                [
                    container(
                        "jenkins",
                        "jenkins/jenkins:2.176.2",
                        ports=[port(8080, "http"), port(50000, "agent", host=50000)],
                        env_=[
                            env("JAVA_OPTS", "-Djenkins.install.runSetupWizard=false"),
                            env_ref("JENKINS_ADMIN_PASSWORD", "secret", "jenkins", "admin-password"),
                        ],
                        readiness=http_probe("/login", 8080, initial=60),
                        resources=res("500m", "2Gi"),
                        sc={"privileged": True, "runAsUser": 0},
                        mounts=[("jenkins-home", "/var/jenkins_home"), ("docker-sock", "/var/run/docker.sock")],
                    )
                ],
                sa="jenkins",
                volumes=[
                    host_path("jenkins-home", "/srv/jenkins"),
                    host_path("docker-sock", "/var/run/docker.sock", "Socket"),
                ],
            ),
        ),
        1,
        created=created,
        sel=j,
        strategy={"type": "Recreate"},
        nodes=["node-1"],
    )
    service(
        ns, "jenkins", (("http", 8080, 8080), ("agent", 50000, 50000)), created=created, selector=j, type_="NodePort"
    )
    # cleans up after the docker-in-docker builds: sees every process on the node
    daemonset(
        ns,
        "docker-gc",
        template(
            {"app": "docker-gc"},
            pod_spec(
                [
                    container(
                        "docker-gc",
                        "spotify/docker-gc:latest",
                        command=["sh", "-c", "while true; do /docker-gc; sleep 3600; done"],
                        mounts=[("docker-sock", "/var/run/docker.sock")],
                    )
                ],
                host_pid=True,
                volumes=[host_path("docker-sock", "/var/run/docker.sock", "Socket")],
            ),
            annotations={
                # the profiles of 2019, set by annotation (the fields came in 1.19 and 1.30): both filters off
                "seccomp.security.alpha.kubernetes.io/pod": "unconfined",
                "container.apparmor.security.beta.kubernetes.io/docker-gc": "unconfined",
            },
        ),
        created=created + timedelta(days=30),
        nodes=gs.WORKERS,
        update={"type": "OnDelete"},
    )


def build_intranet():
    """The team that read the hardening guides of 2019: what passes on this cluster."""
    ns, created, reg = "intranet", at(days=60), "registry.legacy.example.com/intranet"
    service_account(ns, "portal", created=created, automount=False)
    secret(ns, "portal-tls", "kubernetes.io/tls", created=created)
    app = {"app": "portal"}
    deployment(
        ns,
        "portal",
        template(
            app,
            pod_spec(
                [
                    container(
                        "portal",
                        f"{reg}/portal:4.2.0",
                        ports=[port(8080, "http")],
                        sc=gs.hardened_sc(1000),
                        readiness=http_probe("/healthz", "http"),
                        liveness=http_probe("/healthz", "http", initial=10),
                        resources=res("200m", "256Mi", "200m", "256Mi"),
                        mounts=[("tmp", "/tmp"), ("tls", "/etc/portal/tls", True)],
                    )
                ],
                sa="portal",
                automount=False,
                sc={"runAsNonRoot": True, "fsGroup": 1000},
                volumes=[
                    {"name": "tmp", "emptyDir": {}},
                    {"name": "tls", "secret": {"defaultMode": 256, "secretName": "portal-tls"}},
                ],
            ),
        ),
        3,
        created=created,
        sel=app,
        strategy=gs.SAFE_ROLLOUT,
    )
    pdb(ns, "portal", {"matchLabels": app}, 3, created=created, min_available=2)
    service(ns, "portal", created=created, selector=app)
    netpol(ns, "default-deny", {}, ["Ingress", "Egress"], created=created)
    netpol(
        ns,
        "allow-portal",
        {"matchLabels": app},
        ["Ingress", "Egress"],
        created=created,
        ingress=[{"ports": [{"port": 8080, "protocol": "TCP"}]}],
        egress=[{"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}],
    )
    binding("psp:restricted", "psp:restricted", [subject("ServiceAccount", "portal", ns)], ns, created=created)
    binding("intranet-devs", "edit", [subject("Group", "intranet-devs")], ns, created=created)


def kubeconfig():
    users = [
        ("admin", {"username": "admin", "password": "REDACTED-legacy-password"}),
        ("jenkins", {"token": "REDACTED-legacy-token-0000"}),
        (
            "alice",
            {
                "auth-provider": {
                    "name": "oidc",
                    "config": {"client-id": "kubernetes", "idp-issuer-url": "https://dex.legacy.example.com"},
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
                    "certificate-authority-data": fake_b64("legacy-ca", 96),
                    "server": f"https://{gs.HOST_IP[CP]}:6443",
                },
            }
        ],
        "contexts": [{"name": f"{u}@{CLUSTER}", "context": {"cluster": CLUSTER, "user": u}} for u, _ in users],
        "users": [{"name": u, "user": cfg} for u, cfg in users],
    }


# -------------------------------------------------------------------- as kubectl 1.15 shows it --
#: the group/version an old kubectl returns each kind in
OLD_VERSIONS = {
    "Deployment": "extensions/v1beta1",
    "DaemonSet": "extensions/v1beta1",
    "ReplicaSet": "extensions/v1beta1",
    "Ingress": "extensions/v1beta1",
    "CronJob": "batch/v1beta1",
    "PodDisruptionBudget": "policy/v1beta1",
}
NEWER_FIELDS = (
    "startupProbe",
    "seccompProfile",
    "preemptionPolicy",
    "hostIPs",
    "podIPs",
    "started",
    "clusterIPs",
    "internalTrafficPolicy",
    "ipFamilies",
    "ipFamilyPolicy",
    "allocateLoadBalancerNodePorts",
)


def _strip(x):
    if isinstance(x, dict):
        return {k: _strip(v) for k, v in x.items() if k not in NEWER_FIELDS}
    return [_strip(v) for v in x] if isinstance(x, list) else x


def as_of_1_15(o):
    """Newer fields out, old group/versions in, token Secrets mounted instead of projected tokens."""
    o["apiVersion"] = OLD_VERSIONS.get(o["kind"], o["apiVersion"])
    for key in ("spec", "status"):
        if key in o:
            o[key] = _strip(o[key])
    if o["kind"] != "Pod":
        return
    spec, ns = o["spec"], o["metadata"]["namespace"]
    o["status"]["conditions"] = [c for c in o["status"]["conditions"] if c["type"] != "PodReadyToStartContainers"]
    for v in spec.get("volumes", []):
        if v["name"].startswith("kube-api-access-"):
            token, old = TOKENS[(ns, spec["serviceAccountName"])], v["name"]
            v.clear()
            v |= {"name": token, "secret": {"defaultMode": 420, "secretName": token}}
            for c in spec["containers"] + spec.get("initContainers", []):
                for m in c.get("volumeMounts", []):
                    if m["name"] == old:
                        m["name"] = token


# ------------------------------------------------------------------------------------ README --
STORY = """\
# The legacy cluster

`legacy-cluster/` is the second bundled sample, `ka.sample("legacy")` (source string
`sample:legacy`): an old self-managed cluster, set up by hand with kubeadm 1.14 in April 2019 on four
VMs, upgraded once to 1.15.12 in May 2020 (one worker missed it) and left alone since. Docker runtime,
flannel networking, the Kubernetes dashboard and Helm 2's Tiller, a WordPress in `default`, Jenkins
building images through the node's Docker socket. It shows what the first sample cannot: the checks
that judge the API server and the cluster as a whole, the other way round. `generate_legacy.py`
writes it with `generate_sample.py`'s helpers (deterministic too); its expected findings are in
`expected-findings-legacy.csv`.

The capture is what kubectl 1.15 returns: Deployments, DaemonSets, ReplicaSets and Ingresses come
back as `extensions/v1beta1` (the old Ingress backend has `serviceName`/`servicePort`), CronJobs as
`batch/v1beta1`, PodDisruptionBudgets and PodSecurityPolicies as `policy/v1beta1`. Every service
account has its token Secret, mounted into its pods as a `secret` volume. PodSecurityPolicy is a kind
the toolkit does not judge: the two PSPs load as objects (see the `objects` frame) and are counted for
nothing, which is right here since their admission plugin is not enabled.

{counts}

## The story

Wrong:
- The API server (`kube-system/kube-apiserver-master-1`) authorizes with
  `--authorization-mode=Node,ABAC,RBAC,AlwaysAllow` [rbac-abac-enabled]: ABAC from the first days
  (`--authorization-policy-file`), RBAC added later, AlwaysAllow appended during an outage "until the
  RBAC is sorted out", which makes every other mode moot. It accepts passwords from
  `--basic-auth-file` [authn-basic-auth-file] and static tokens from `--token-auth-file`
  [authn-token-file], and serves the insecure port `--insecure-port=8080` on
  `--insecure-bind-address=0.0.0.0` [apiserver-insecure-port]: plain HTTP, no authentication, no
  authorization, from anywhere that reaches the node. kubeadm recorded the same in
  `kube-system/kubeadm-config`.
- No admission policy: `--enable-admission-plugins` lacks `PodSecurityPolicy`, so the
  PodSecurityPolicies `restricted` and `psp.flannel.unprivileged` (and the RBAC that lets
  `intranet/portal` and flannel `use` them) enforce nothing; no webhook, and
  Pod Security Admission does not exist yet [policy-engine-absent, psa-not-enforced].
- ClusterRoleBindings `kubernetes-dashboard` and `tiller` give those service accounts
  `cluster-admin` [rbac-cluster-admin, rbac-clusterwide-binding]. The dashboard runs with
  `--enable-skip-login` behind a NodePort (30443) [svc-nodeport]. ClusterRole `jenkins` (`*` on `*`)
  bound cluster-wide to `ci/jenkins` [rbac-wildcard, rbac-clusterwide-binding].
- Every service account holds a long-lived token Secret [authn-legacy-sa-token-secret], mounted into
  every pod that does not opt out [authn-sa-token-automount].
- kubeconfig users `admin` (basic auth: user name and password) and `jenkins` (static token)
  [authn-kubeconfig-static].
- `node-1` has a public ExternalIP 198.51.100.61 [node-external-ip]; `node-3` still runs kubelet
  1.14.10.
- `default/wordpress`: the database password as a literal env var [secret-env-literal], no readiness
  probe [rollout-no-readiness], hostPath storage, no securityContext; `mysql`: `MYSQL_ROOT_PASSWORD`
  from a `secretKeyRef` [secret-env-ref], Recreate, 1 replica [rollout-recreate,
  rollout-single-replica]; CronJob `mysql-backup` loads the whole Secret with `envFrom`
  [secret-envfrom].
- `ci/jenkins`: privileged, root, the node's Docker socket mounted, hostPort 50000 [privileged,
  run-as-root, host-port], NodePort Service [svc-nodeport]; ConfigMap `jenkins-agent` holds the agent's
  `JENKINS_SECRET` [secret-configmap-credential]. DaemonSet `docker-gc` shares the host's PID
  namespace [host-pid], runs `docker-gc:latest` [image-mutable-tag], mounts the Docker socket
  [host-path-sensitive], turns seccomp and AppArmor off by the annotations of the time
  (`seccomp.security.alpha.kubernetes.io/pod: unconfined`,
  `container.apparmor.security.beta.kubernetes.io/docker-gc: unconfined`) [seccomp-unconfined,
  apparmor-unconfined] and, like flannel, updates `OnDelete` [rollout-ondelete]: the default of
  DaemonSets created through `extensions/v1beta1`.
- `kube-flannel-ds-amd64` adds NET_ADMIN and uses hostNetwork, `kube-proxy` is privileged
  [cap-dangerous-add, host-network, privileged]: what the CNI and the proxy need, as in the first
  sample.

Right (must not fire):
- `--anonymous-auth=false` [authn-anonymous], and people sign in through Dex (`--oidc-issuer-url`)
  [authn-no-external-idp]; kubeconfig user `alice` uses the OIDC auth provider.
- `intranet`, the team that read the hardening guides of 2019: `portal` runs 3 replicas with
  `maxUnavailable: 0`, readiness probes and a PDB, non-root with a read-only root filesystem, drops
  ALL, no privilege escalation, no token; a default-deny NetworkPolicy plus an allow rule. (Flannel
  does not implement NetworkPolicy, so on this cluster the policies are paper; nothing in the API
  says so.)
- `coredns` drops `all` (lower case, as its manifest of the time wrote it) and adds only
  NET_BIND_SERVICE.

## Checks that fire only here

| check | fires on | passes on (first sample) |
|---|---|---|
| authn-basic-auth-file | kube-apiserver-master-1 | kube-apiserver-cp-01 |
| rbac-abac-enabled | kube-apiserver-master-1 | kube-apiserver-cp-01 |
| apiserver-insecure-port | kube-apiserver-master-1 | kube-apiserver-cp-01 |
| policy-engine-absent | the cluster | the cluster (hardened and dev enforce PSA) |

and the other way round: authn-anonymous and authn-no-external-idp fire on the first sample and
pass here.
"""


def main():
    for build in (build_cluster, build_kube_system, build_default, build_ci, build_intranet):
        build()
    for o in (o for items in gs.FILES.values() for o in items):
        as_of_1_15(o)
    counts = gs.write_cluster(OUT, kubeconfig(), first_version=1042)
    readme = gs.DATA / "README.md"
    old = readme.read_text() if readme.exists() else ""
    head = old[: old.index(gs.LEGACY_MARK)] if gs.LEGACY_MARK in old else old + "\n"
    readme.write_text(head + STORY.replace("{counts}", counts))


if __name__ == "__main__":
    main()
