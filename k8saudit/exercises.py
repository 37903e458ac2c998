"""One workshop exercise per practice: a broken manifest, its solution, and the checks that judge it.

>>> from k8saudit.exercises import exercise
>>> exercise(8)          # a ManifestExercise widget: edit, Re-check, Show solution
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .widgets import ManifestExercise


@dataclass(frozen=True)
class Exercise:
    practice: int
    task: str
    broken: str
    solution: str
    checks: tuple[str, ...]


def _deploy(name: str, pod: str, *, ns: str = "workshop", replicas: int = 2, spec: str = "") -> str:
    """A Deployment whose pod spec (``pod``, indented 6 spaces) and extra spec lines are given."""
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {ns}
spec:
  replicas: {replicas}
{spec}  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
{pod}"""



_EX7_BROKEN = """apiVersion: v1
kind: Namespace
metadata:
  name: workshop
---
""" + _deploy("api", "      containers:\n      - name: api\n        image: registry.example.com/api:1.4\n") + """---
apiVersion: v1
kind: Service
metadata:
  name: api
  namespace: workshop
spec:
  type: NodePort
  selector: {app: api}
  ports:
  - {port: 80, targetPort: 8080}
"""

EXERCISES: dict[int, Exercise] = {
    1: Exercise(1, "The billing service gets its database password as a literal env var and its API token from a "
                   "Secret through env. Deliver both as files from a Secret volume instead.",
                _deploy("billing", """      containers:
      - name: billing
        image: registry.example.com/billing:2.3
        env:
        - name: DB_PASSWORD
          value: hunter2-workshop
        - name: API_TOKEN
          valueFrom:
            secretKeyRef: {name: billing-api, key: token}
"""),
                _deploy("billing", """      containers:
      - name: billing
        image: registry.example.com/billing:2.3
        volumeMounts:
        - {name: credentials, mountPath: /etc/billing/credentials, readOnly: true}
      volumes:
      - name: credentials
        secret:
          secretName: billing-credentials   # holds db-password and api-token
"""),
                ("secret-env-literal", "secret-env-ref", "secret-envfrom")),
    2: Exercise(2, "This web frontend never calls the Kubernetes API, yet every pod gets a service account token. "
                   "Stop mounting it.",
                _deploy("storefront", """      containers:
      - name: web
        image: registry.example.com/storefront:1.0
"""),
                _deploy("storefront", """      automountServiceAccountToken: false
      containers:
      - name: web
        image: registry.example.com/storefront:1.0
"""),
                ("authn-sa-token-automount",)),
    3: Exercise(3, "The container keeps the default capabilities (NET_RAW among them) and adds NET_ADMIN. Drop "
                   "everything and add back only NET_BIND_SERVICE (it listens on port 80).",
                _deploy("edge", """      containers:
      - name: edge
        image: registry.example.com/edge:4.1
        securityContext:
          capabilities:
            add: [NET_ADMIN, NET_BIND_SERVICE]
"""),
                _deploy("edge", """      containers:
      - name: edge
        image: registry.example.com/edge:4.1
        securityContext:
          capabilities:
            drop: [ALL]
            add: [NET_BIND_SERVICE]
"""),
                ("cap-net-raw", "cap-dangerous-add")),
    4: Exercise(4, "A metrics sidecar was given the node's network and PID namespaces and a host port. It only "
                   "needs its own pod: remove them.",
                _deploy("metrics", """      hostNetwork: true
      hostPID: true
      containers:
      - name: metrics
        image: registry.example.com/metrics:0.9
        ports:
        - {containerPort: 9100, hostPort: 9100}
"""),
                _deploy("metrics", """      containers:
      - name: metrics
        image: registry.example.com/metrics:0.9
        ports:
        - {containerPort: 9100}
"""),
                ("host-network", "host-pid", "host-ipc", "host-port")),
    5: Exercise(5, "The CI deployer may do anything to anything, everywhere. It only updates Deployments in the "
                   "namespace `shop`: grant exactly that.",
                """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: ci-deployer
rules:
- apiGroups: ["*"]
  resources: ["*"]
  verbs: ["*"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: ci-deployer
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ci-deployer}
subjects:
- {kind: ServiceAccount, name: deployer, namespace: ci}
""",
                """apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: ci-deployer
  namespace: shop
rules:
- apiGroups: [apps]
  resources: [deployments]
  verbs: [get, list, watch, update, patch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: ci-deployer
  namespace: shop
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: ci-deployer}
subjects:
- {kind: ServiceAccount, name: deployer, namespace: ci}
""",
                ("rbac-cluster-admin", "rbac-wildcard", "rbac-clusterwide-binding", "rbac-secrets-read",
                 "rbac-escalation", "rbac-anonymous-binding")),
    6: Exercise(6, "Make the root filesystem read-only. The app writes temporary files to /tmp: give it a "
                   "small writable emptyDir there.",
                _deploy("reports", """      containers:
      - name: reports
        image: registry.example.com/reports:3.2
"""),
                _deploy("reports", """      containers:
      - name: reports
        image: registry.example.com/reports:3.2
        securityContext:
          readOnlyRootFilesystem: true
        volumeMounts:
        - {name: tmp, mountPath: /tmp}
      volumes:
      - name: tmp
        emptyDir: {sizeLimit: 64Mi}
"""),
                ("rootfs-writable",)),
    7: Exercise(7, "Any pod in the cluster can reach this namespace's pods, and the Service is open on every node. "
                   "Add a default-deny NetworkPolicy and make the Service internal (ClusterIP).",
                _EX7_BROKEN,
                _EX7_BROKEN.replace("type: NodePort", "type: ClusterIP") + """---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: workshop
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
""",
                ("net-no-policy", "net-no-default-deny", "svc-nodeport", "svc-lb-open")),
    8: Exercise(8, "This container runs privileged, as root. Make it unprivileged, block privilege escalation "
                   "and run it as user 10001.",
                _deploy("legacy-app", """      containers:
      - name: app
        image: registry.example.com/legacy-app:7
        securityContext:
          privileged: true
          runAsUser: 0
"""),
                _deploy("legacy-app", """      containers:
      - name: app
        image: registry.example.com/legacy-app:7
        securityContext:
          privileged: false
          allowPrivilegeEscalation: false
          runAsNonRoot: true
          runAsUser: 10001
"""),
                ("privileged", "priv-escalation", "run-as-root")),
    9: Exercise(9, "Someone unmasked /proc while debugging a sandbox. Restore the default, masked /proc.",
                _deploy("sandbox", """      hostUsers: false
      containers:
      - name: sandbox
        image: registry.example.com/sandbox:1.0
        securityContext:
          procMount: Unmasked
"""),
                _deploy("sandbox", """      hostUsers: false
      containers:
      - name: sandbox
        image: registry.example.com/sandbox:1.0
        securityContext:
          procMount: Default
"""),
                ("proc-mount-unmasked",)),
    10: Exercise(10, "Every release of the checkout service is an outage: one replica, Recreate, no readiness "
                     "probe, no disruption budget. Make updates and node drains keep it serving.",
                 _deploy("checkout", """      containers:
      - name: checkout
        image: registry.example.com/checkout:5.0
""", replicas=1, spec="  strategy:\n    type: Recreate\n"),
                 _deploy("checkout", """      containers:
      - name: checkout
        image: registry.example.com/checkout:5.0
        readinessProbe:
          httpGet: {path: /healthz/ready, port: 8080}
          periodSeconds: 5
""", replicas=3, spec="  strategy:\n    type: RollingUpdate\n    rollingUpdate: {maxUnavailable: 0, maxSurge: 1}\n")
                 + """---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: checkout
  namespace: workshop
spec:
  maxUnavailable: 1
  selector:
    matchLabels: {app: checkout}
""",
                 ("rollout-recreate", "rollout-max-unavailable", "rollout-single-replica", "rollout-no-readiness",
                  "rollout-no-pdb", "rollout-ondelete")),
}

def exercise(practice: int) -> ManifestExercise:
    """The exercise of a practice (1-10) as a widget."""
    from .widgets import ManifestExercise

    ex = EXERCISES[practice]
    return ManifestExercise(ex.practice, ex.broken, ex.solution, checks=list(ex.checks), task=ex.task)
