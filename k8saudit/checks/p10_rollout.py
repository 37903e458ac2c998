"""Practice 10: a rolling update strategy that keeps the workload available."""

from __future__ import annotations

from collections.abc import ItemsView
from typing import Any

import numpy as np
import pandas as pd

from .._selectors import matches
from ._common import choose, concat, rows, who
from ._fix import FixContext, dump, nest, pod_path, text
from ._registry import NSA_CISA, check

_DEPLOY_DOC = "Kubernetes docs, Deployment strategy: https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#strategy"
_STS_DOC = "Kubernetes docs, StatefulSet update strategies: https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#update-strategies"
_DS_DOC = "Kubernetes docs, DaemonSet rolling update: https://kubernetes.io/docs/tasks/manage-daemon/update-daemon-set/"
_PROBE_DOC = "Kubernetes docs, readiness probes: https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/"
_PDB_DOC = "Kubernetes docs, Pod disruption budgets: https://kubernetes.io/docs/concepts/workloads/pods/disruptions/"


def _pdb_fix(c: FixContext) -> str:
    doc = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": c.name, "namespace": c.ns},
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": c.pod_labels()}},
    }
    return f"# {c.check}: {c.kind} {c.ns}/{c.name}\n# apply: kubectl apply -f fix.yaml\n" + dump(doc)


def _strategy_fix(c: FixContext) -> str:
    if c.kind == "Deployment":
        spec = {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}}
    else:
        spec = {"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}}}
    return c.header() + dump({"spec": spec})


def _pin_image_fix(c: FixContext) -> str:
    row = c.container_row
    image = text(row["image"]) if row is not None else None
    repo = "<image>"
    if image:
        repo = image.split("@", 1)[0]
        last = repo.rsplit("/", 1)
        if ":" in last[-1]:
            repo = repo[: len(repo) - len(last[-1]) + last[-1].index(":")]
    return (
        c.header()
        + "# find the digest: crane digest "
        + repo
        + ":<version>\n"
        + dump(
            nest(
                pod_path(c.kind),
                {c.list_key: [{"name": c.container or "<container>", "image": f"{repo}:<version>@sha256:<digest>"}]},
            )
        )
    )


@check(
    "rollout-recreate",
    practice=10,
    severity="low",
    on="workloads",
    fires_on="workload",
    where="kind == 'Deployment'",
    title="Deployment updates with Recreate",
    why=(
        "The Recreate strategy stops every old pod before starting new ones, so each rollout, including "
        "the urgent one that ships a security fix, is an outage; teams then delay patches to avoid it."
    ),
    remediation=(
        "Use a rolling update:\n```yaml\nspec:\n  strategy:\n    type: RollingUpdate\n"
        "    rollingUpdate: {maxUnavailable: 0, maxSurge: 1}\n```\n(Recreate is only needed when two "
        "versions must never run together, e.g. a ReadWriteOnce volume.)"
    ),
    references=[_DEPLOY_DOC],
    controls={"nsa": ["ops.availability"], "mitre": ["T1499"]},
    fix=_strategy_fix,
)
def rollout_recreate(workloads: pd.DataFrame) -> pd.DataFrame:
    bad = workloads[workloads["strategy"] == "Recreate"]
    return rows(
        bad,
        concat("Deployment `", bad["name"], "` stops every pod before starting new ones (Recreate)"),
        "spec.strategy.type=Recreate",
    )


@check(
    "rollout-max-unavailable",
    practice=10,
    severity="medium",
    on="workloads",
    fires_on="workload",
    where="strategy == 'RollingUpdate'",
    title="Rolling update may take every pod down at once",
    why=(
        "A maxUnavailable of 100%, or of at least the replica count, lets the controller take all pods "
        "down together: the rolling update is a Recreate in disguise. Single-replica StatefulSets, which "
        "cannot update without a gap, are left to rollout-single-replica; DaemonSets are judged on 100% "
        "only (their replica count is the node count); workloads scaled to 0 are skipped."
    ),
    remediation=(
        "Keep some pods serving during the update:\n```yaml\nspec:\n  strategy:\n    rollingUpdate:\n"
        "      maxUnavailable: 25%   # or 0 with maxSurge: 1\n```"
    ),
    references=[_DEPLOY_DOC, _STS_DOC, _DS_DOC],
    controls={"nsa": ["ops.availability"], "mitre": ["T1499"]},
    fix=_strategy_fix,
)
def rollout_max_unavailable(workloads: pd.DataFrame) -> pd.DataFrame:
    w = workloads
    mu = w["max_unavailable"].astype("string").str.strip()
    pct = pd.to_numeric(mu.str.extract(r"^(\d+(?:\.\d+)?)%$", expand=False), errors="coerce")
    all_pct = (pct >= 100).fillna(False).astype(bool)
    all_pods = (w["max_unavailable_pods"] >= w["replicas"]) & (w["replicas"] >= 1) & (w["kind"] != "DaemonSet")
    sts_single = (w["kind"] == "StatefulSet") & (w["replicas"] < 2)
    running = (w["replicas"] != 0).fillna(True).astype(bool)  # DaemonSets: <NA>
    bad = w[(all_pct | all_pods.fillna(False).astype(bool)) & ~sts_single.fillna(False).astype(bool) & running]
    replicas = ("replicas=" + bad["replicas"].astype("string")).fillna("one pod per node")
    mu = mu[bad.index]
    parts = (bad["kind"], " `", bad["name"], "` may take all its pods down during an update (maxUnavailable=")
    msg = concat(*parts, mu, ", ", replicas, ")")
    field = bad["kind"].map({"Deployment": "spec.strategy"}).fillna("spec.updateStrategy").astype("string")
    return rows(bad, msg, concat(field, ".rollingUpdate.maxUnavailable=", mu, "; ", replicas))


@check(
    "rollout-single-replica",
    practice=10,
    severity="low",
    on="workloads",
    fires_on="workload",
    where="kind in ['Deployment', 'StatefulSet']",
    title="Workload runs a single replica",
    why=(
        "With one replica every node drain, eviction, crash or StatefulSet update is an outage, and a "
        "PodDisruptionBudget cannot protect it. Workloads scaled to 0 are not reported; an autoscaler "
        "managing replicas is not visible here, so waive such findings."
    ),
    remediation=("Run at least two replicas (`spec.replicas: 2`), spread across nodes with topologySpreadConstraints."),
    references=[_DEPLOY_DOC, _PDB_DOC],
    controls={"nsa": ["ops.availability"], "mitre": ["T1499"]},
    fix=lambda c: c.header() + dump({"spec": {"replicas": 2}}),
)
def rollout_single_replica(workloads: pd.DataFrame) -> pd.DataFrame:
    bad = workloads[(workloads["replicas"] == 1).fillna(False).astype(bool)]
    msg = concat(bad["kind"], " `", bad["name"], "` runs a single replica")
    return rows(bad, msg, "spec.replicas=1 (or not set: the default)")


@check(
    "rollout-no-readiness",
    practice=10,
    severity="low",
    on="containers",
    fires_on="container",
    where="long_running",
    title="Long-running container has no readiness probe",
    why=(
        "Without a readiness probe a pod receives traffic as soon as its process starts, and a rolling "
        "update moves on to the next pod before the new one can serve: a broken release replaces every "
        "healthy pod. Jobs' containers and plain init containers are not evaluated."
    ),
    remediation=(
        "Add a readiness probe on an endpoint that answers only when the app can serve:\n```yaml\n"
        "readinessProbe:\n  httpGet: {path: /healthz/ready, port: 8080}\n  periodSeconds: 5\n```"
    ),
    references=[_PROBE_DOC, _DEPLOY_DOC],
    controls={"nsa": ["ops.availability"]},
    fix=lambda c: c.container_patch(
        {"readinessProbe": {"httpGet": {"path": "/healthz/ready", "port": 8080}, "periodSeconds": 5}}
    ),
)
def rollout_no_readiness(containers: pd.DataFrame) -> pd.DataFrame:
    bad = containers[~containers["readiness_probe"]]
    return rows(bad, concat(who(bad), " has no readiness probe"), "readinessProbe not set")


def _covered(namespaces: pd.Series, labels: pd.Series, pdb_namespaces: pd.Series, selectors: pd.Series) -> np.ndarray:
    """Per workload (its namespace and pod labels): does a budget of its namespace select its pods (``matches``;
    a missing namespace is one namespace, as a merge on it pairs them)?

    Not pair by pair: a budget of ``matchLabels`` alone (most) is filed under its namespace and its first
    label, and a workload looks up only the budgets filed under its namespace and its own value of that key,
    then tests their other labels; an empty one selects every workload of its namespace. Other selectors, and
    workloads whose labels are not a dict, are matched pair by pair."""
    first: dict[tuple[Any, str, str], list[ItemsView[str, Any]]] = {}
    keys: dict[Any, dict[str, None]] = {}  # per namespace, the first keys of its budgets
    everything: set[Any] = set()  # namespaces with a budget that selects every set of labels
    other: dict[Any, list[Any]] = {}  # the budgets ``matches`` decides, per namespace
    every: dict[Any, list[Any]] = {}  # all of them, per namespace
    for ns, sel in zip(_keys(pdb_namespaces), selectors.tolist()):
        every.setdefault(ns, []).append(sel)
        items = _label_subset(sel)
        if items is None:
            other.setdefault(ns, []).append(sel)
        elif not items:
            everything.add(ns)
        else:
            k, v = next(iter(items))
            first.setdefault((ns, k, v), []).append(items)
            keys.setdefault(ns, {})[k] = None
    out = []
    for ns, lab in zip(_keys(namespaces), labels.tolist()):
        if type(lab) is not dict:
            out.append(any(matches(sel, lab) for sel in every.get(ns, ())))
            continue
        hit = ns in everything
        if not hit:
            for k in keys.get(ns, ()):
                v = lab.get(k)
                if type(v) is str and any(items <= lab.items() for items in first.get((ns, k, v), ())):
                    hit = True
                    break
        if not hit and ns in other:
            hit = any(matches(sel, lab) for sel in other[ns])
        out.append(hit)
    return np.array(out, dtype=bool)


def _keys(values: pd.Series) -> list[Any]:
    """A column's values as dict keys: a missing value (however missing) is ``None``."""
    missing = values.isna().to_numpy(dtype=bool)
    return [None if m else v for v, m in zip(values.tolist(), missing)]


def _label_subset(selector: Any) -> ItemsView[str, Any] | None:
    """A selector of ``matchLabels`` alone, every value text, as its items: it selects the labels (a dict) that
    hold every one of them, as ``matches`` says, in one subset test per workload; ``None`` for any other
    selector (expressions, a value that is not text, no selector), which ``matches`` decides."""
    if not isinstance(selector, dict) or selector.get("match_expressions"):
        return None
    wanted = selector.get("match_labels") or {}
    if type(wanted) is not dict or any(type(v) is not str for v in wanted.values()):
        return None
    return wanted.items()


@check(
    "rollout-no-pdb",
    practice=10,
    severity="low",
    on="workloads",
    fires_on="workload",
    where="kind in ['Deployment', 'StatefulSet'] and replicas >= 2",
    title="Replicated workload has no PodDisruptionBudget",
    why=(
        "Node drains (upgrades, autoscaler scale-down) evict pods without regard for the service; without "
        "a PodDisruptionBudget a drain may evict every replica at once even though there are several."
    ),
    remediation=(
        "Add a budget whose selector matches the pods:\n```yaml\napiVersion: policy/v1\n"
        "kind: PodDisruptionBudget\nmetadata:\n  name: web\nspec:\n  maxUnavailable: 1\n"
        "  selector:\n    matchLabels: {app: web}\n```"
    ),
    references=[_PDB_DOC],
    controls={"nsa": ["ops.availability"], "mitre": ["T1499"]},
    fix=_pdb_fix,
)
def rollout_no_pdb(workloads: pd.DataFrame, pdbs: pd.DataFrame) -> pd.DataFrame:
    covered = _covered(workloads["namespace"], workloads["pod_labels"], pdbs["namespace"], pdbs["selector"])
    bad = workloads[~covered]
    replicas = bad["replicas"].astype("string")
    msg = concat(
        bad["kind"], " `", bad["name"], "` runs ", replicas, " replicas and no PodDisruptionBudget selects its pods"
    )
    return rows(bad, msg, "PodDisruptionBudgets selecting the pod labels: 0")


@check(
    "rollout-ondelete",
    practice=10,
    severity="low",
    on="workloads",
    fires_on="workload",
    where="kind in ['DaemonSet', 'StatefulSet']",
    title="Updates wait for pods to be deleted by hand (OnDelete)",
    why=(
        "With OnDelete a changed template, a patched image included, reaches a pod only when someone "
        "deletes that pod; the old, vulnerable version keeps running on part of the fleet indefinitely."
    ),
    remediation=(
        "Use a rolling update:\n```yaml\nspec:\n  updateStrategy:\n    type: RollingUpdate\n"
        "    rollingUpdate: {maxUnavailable: 1}\n```"
    ),
    references=[_STS_DOC, _DS_DOC],
    controls={"nsa": ["ops.availability"]},
    fix=_strategy_fix,
)
def rollout_ondelete(workloads: pd.DataFrame) -> pd.DataFrame:
    bad = workloads[workloads["strategy"] == "OnDelete"]
    return rows(
        bad,
        concat(bad["kind"], " `", bad["name"], "` updates its pods only when they are deleted (OnDelete)"),
        "spec.updateStrategy.type=OnDelete",
    )


_IMAGE_DOC = "Kubernetes docs, Images (image names, tags and digests): https://kubernetes.io/docs/concepts/containers/images/#image-names"
#: ``[registry[:port]/]path[:tag][@digest]``: the tag is after the last ``:`` of the last path segment
_IMAGE = r"^(?P<repo>(?:[^/@]+/)*[^/:@]+)(?::(?P<tag>[^/@]+))?(?:@(?P<digest>.+))?$"


def image_reference(images: pd.Series) -> pd.DataFrame:
    """Per image: ``repo``, ``tag`` and ``digest`` (``<NA>`` when absent), vectorised: each distinct image is
    parsed once (a cluster runs the same few hundred images in thousands of containers)."""
    codes, distinct = pd.factorize(images.astype("string"), use_na_sentinel=True)
    parts = pd.Series(distinct, dtype="string").str.strip().str.extract(_IMAGE)
    missing = pd.DataFrame({c: pd.Series([pd.NA], dtype="string") for c in parts.columns})
    got = pd.concat([parts, missing], ignore_index=True).take(codes)  # -1 (no image): the last row, missing
    return got.set_axis(images.index)


@check(
    "image-mutable-tag",
    practice=10,
    severity="medium",
    on="containers",
    fires_on="container",
    where="image == image",  # a container with no image is invalid and judged by the API, not here
    title="Container image is not pinned (tag latest or none)",
    why=(
        "`:latest`, or no tag at all (which means latest), names whatever was pushed last: two pods of one "
        "rollout can run different code, a rollback goes to the same moving target, and whoever can push "
        "to the repository changes what runs at the next restart, with no change to the manifest to "
        "review. A fixed version tag can be moved too; only a digest (`@sha256:...`) pins the bytes, and it "
        "is never reported. Other tags are not reported."
    ),
    remediation=(
        "Deploy a version, ideally pinned by digest (tools such as Renovate or `crane digest` keep "
        "it current):\n```yaml\ncontainers:\n- name: app\n  image: registry.example.com/app:1.4.2@sha256:<digest>\n```"
    ),
    references=[NSA_CISA, _IMAGE_DOC],
    controls={"nsa": ["pod.secure-images"], "mitre": ["T1525", "T1204.003"]},
    fix=_pin_image_fix,
)
def image_mutable_tag(containers: pd.DataFrame) -> pd.DataFrame:
    ref = image_reference(containers["image"])
    no_digest = ref["digest"].isna()
    tag = ref["tag"]
    bad_mask = (no_digest & (tag.isna() | tag.eq("latest"))).fillna(False).astype(bool)
    bad = containers[bad_mask.to_numpy()]
    t = tag[bad_mask.to_numpy()]
    img, w = bad["image"].astype("string"), who(bad)
    latest, untagged = (concat(w, " runs `", img, end) for end in ("`, tag latest", "` with no tag (latest)"))
    msg = choose(t.notna().to_numpy(dtype=bool), latest, untagged, bad.index)
    return rows(bad, msg, concat("image=", img))
