"""What every edge function reads: the snapshot's frames and a few shared derivations, each built once.

- ``placement``: which node each running pod of each workload is on (pods' ``spec.nodeName``);
- ``grants``: the rbac frame with each subject as a graph vertex, and :meth:`Context.can`, the
  RBAC authorizer's matching rules (verbs, API groups, resources and subresources, ``*`` and
  ``*/subresource``, ``resourceNames``) over it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from .. import _model as m
from ..checks.p05_rbac import PUBLIC_GROUPS
from . import _vertices as V
from ._registry import text


def join_key(x: Any) -> Any:
    """A key value with every kind of missing (None, NA, NaN) as None, as a join matches them."""
    if type(x) is str:
        return x
    return None if x is None or x is pd.NA or (isinstance(x, float) and x != x) else x


def subject_vertex(kind: Any, subject: Any, namespace: Any) -> str:
    """The vertex of an RBAC subject: ``user:N``, ``group:N``, ``sa:NS/N`` (a ServiceAccount, or a User named
    ``system:serviceaccount:NS:N``); a missing part is empty."""
    k, s = (x if type(x) is str else "" for x in (kind, subject))
    if k == "User" and s.startswith("system:serviceaccount:"):
        parts = s.split(":")
        return "sa:" + (parts[2] if len(parts) > 2 else "") + "/" + (parts[3] if len(parts) > 3 else "")
    if k == "ServiceAccount":
        return "sa:" + (namespace if type(namespace) is str else "") + "/" + s
    return ("group:" if k == "Group" else "user:") + s


def _holds(items: Any, value: str) -> bool:
    """A list (or tuple) holding ``value``: anything else holds nothing."""
    return isinstance(items, (list, tuple)) and value in items


def _empty(items: Any) -> bool:
    return isinstance(items, (list, tuple)) and not items


#: pod phases whose containers are gone (their tokens are no longer on the node)
_DONE = ("Succeeded", "Failed")
#: pod-template owners: whoever may create or change one runs pods as any service account of the namespace
TEMPLATE_OWNERS: tuple[tuple[str, str], ...] = (
    ("apps", "deployments"),
    ("apps", "replicasets"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
    ("", "replicationcontrollers"),
)

#: the containers frame's columns :attr:`Context.running_containers` keeps
RUNNING_CONTAINER_COLUMNS = (
    "kind",
    "namespace",
    "name",
    "container",
    "privileged",
    "caps_add",
    "run_as_user",
    "run_as_non_root",
    "proc_mount",
)


class Context:
    """The inputs of the edge functions for one snapshot."""

    def __init__(self, snap: Any) -> None:
        self.snap = snap
        #: vertices edges leave from / lead to so far (the graph builder fills them for the late kinds)
        self.sources: set[str] = set()
        self.targets: set[str] = set()
        #: answers of :meth:`can`
        self._can: dict[tuple[Any, ...], pd.DataFrame] = {}
        self._can_rows: dict[tuple[Any, ...], tuple[np.ndarray, np.ndarray]] = {}
        #: frames several edge kinds derive alike (pod creators, token holders): see :meth:`derive`
        self._derived: dict[str, pd.DataFrame] = {}

    def derive(self, name: str, build: Callable[[Context], pd.DataFrame]) -> pd.DataFrame:
        """``build(self)``, built once for every edge kind that asks for ``name``."""
        got = self._derived.get(name)
        if got is None:
            got = self._derived[name] = build(self)
        return got

    def frame(self, name: str) -> pd.DataFrame:
        return self.snap.frame(name)

    # ------------------------------------------------------------------ workloads and nodes

    @cached_property
    def workloads(self) -> pd.DataFrame:
        """The workloads frame plus ``vertex`` (its graph vertex id) and ``running`` (replicas > 0 or pods seen)."""
        w = self.frame("workloads").copy()
        w["vertex"] = (
            "workload:" + w["namespace"].fillna("") + "/" + w["kind"].fillna("") + "/" + w["name"].fillna("")
        ).astype(object)
        replicas = w["replicas"].fillna(1).astype(int)
        w["running"] = ((replicas > 0) | (w["pod_count"].fillna(0).astype(int) > 0)).astype(bool)
        return w

    @cached_property
    def pod_labels_by_namespace(self) -> dict[str, list[tuple[str, dict[str, str]]]]:
        """namespace → (workload vertex, pod labels) of its running workloads (what Service selectors match)."""
        w = self.workloads[self.workloads["running"]]
        out: dict[str, list[tuple[str, dict[str, str]]]] = {}
        for ns, v, labels in zip(w["namespace"], w["vertex"], w["pod_labels"]):
            if labels:
                out.setdefault(ns, []).append((v, dict(labels)))
        return out

    @cached_property
    def pods(self) -> pd.DataFrame:
        """One row per pod still running: namespace, pod, node, and the workload it rolls up to."""
        rows = []
        for p in self.snap.items("Pod"):
            if p.status is not None and p.status.phase in _DONE:
                continue
            ref = m.controller_ref(p.metadata.owner_references)
            rows.append(
                (
                    join_key(p.metadata.namespace),
                    p.metadata.name,
                    p.spec.node_name if p.spec is not None else None,
                    ref.kind if ref is not None else None,
                    ref.name if ref is not None else None,
                )
            )
        # one or two levels up: Pod -> ReplicaSet -> Deployment, Pod -> Job -> CronJob; only the owners of the
        # kinds pods name are read
        objs = self.frame("objects")
        named = {r[3] for r in rows if r[3] is not None}
        sel = (objs["kind"].isin(named) & objs["owner_kind"].notna()).to_numpy()
        up: dict[tuple[Any, ...], list[tuple[Any, Any]]] = {}
        cols = (objs[c].to_numpy()[sel].tolist() for c in ("namespace", "kind", "name", "owner_kind", "owner_name"))
        for ns, kind, name, top_kind, top_name in zip(*cols):
            up.setdefault((join_key(ns), kind, join_key(name)), []).append((top_kind, top_name))
        out = []
        for ns, pod, node, owner_kind, owner_name in rows:
            for top_kind, top_name in up.get((ns, owner_kind, join_key(owner_name)), ((None, None),)):
                top = top_kind is not None and top_kind is not pd.NA
                kind, name = (top_kind, top_name) if top else (owner_kind, owner_name)
                if kind is None or kind is pd.NA or owner_kind == "Node":  # a bare or a static pod
                    kind, name = "Pod", pod
                vertex = text("workload:", ns if ns is not None else "", "/", kind, "/", name)
                out.append((ns, pod, node, kind, name, vertex))
        cols_ = ("namespace", "pod", "node", "kind", "name", "vertex")
        return pd.DataFrame(out or None, columns=list(cols_), dtype=object)

    @cached_property
    def nodes(self) -> pd.DataFrame:
        """The nodes frame plus ``vertex`` and ``control_plane`` (a control-plane role, or it runs kube-apiserver)."""
        n = self.frame("nodes").copy()
        api_nodes = set(self.frame("apiserver")["node"].dropna())
        roles = n["roles"].map(lambda r: bool({"control-plane", "master"} & set(r or ())))
        n["control_plane"] = (roles | n["name"].isin(api_nodes)).astype(bool)
        n["vertex"] = ("node:" + n["name"]).astype(object)
        return n

    @property
    def nodes_known(self) -> bool:
        return len(self.nodes) > 0

    @property
    def unplaced_node(self) -> str:
        """Where a workload of unknown placement runs: ``node:*`` when the snapshot has no nodes at all, else
        ``node:?`` (the node it will be scheduled on)."""
        return V.ANY_NODE if not self.nodes_known else V.SCHEDULED_NODE

    @cached_property
    def placement(self) -> pd.DataFrame:
        """(workload vertex, node vertex) for every running pod with a known node."""
        p = self.pods[self.pods["node"].notna()]
        return pd.DataFrame({"workload": p["vertex"], "node": "node:" + p["node"].astype(str)}).drop_duplicates()

    @cached_property
    def placed_on(self) -> dict[str, list[str]]:
        """workload vertex → the node vertices of its pods, in the order of :attr:`placement`."""
        out: dict[str, list[str]] = {}
        for w, n in zip(self.placement["workload"].tolist(), self.placement["node"].tolist()):
            out.setdefault(w, []).append(n)
        return out

    def node_of(self, workloads: pd.DataFrame) -> pd.DataFrame:
        """Where each of ``workloads`` (rows with ``vertex``) runs: ``workload``, ``node``, ``certain``.

        Known placement gives the nodes of its pods (certain). Otherwise: ``node:*`` when the
        snapshot has no nodes at all, else ``node:?`` (the node it will be scheduled on), possible.
        """
        on = self.placed_on
        verts = workloads["vertex"].tolist()
        # each workload's nodes in its row's order (as an inner merge with the placement gives them)
        pairs = [(v, n) for v in verts for n in on.get(v, ())]
        placed = pd.DataFrame(
            {
                "workload": pd.Series([v for v, _ in pairs], dtype=object),
                "node": pd.Series([n for _, n in pairs], dtype=self.placement["node"].dtype),
                "certain": True,
            }
        )
        running = workloads["running"].tolist()
        rest = [v for v, r in zip(verts, running) if r and v not in on]
        unknown = pd.DataFrame(
            {
                "workload": pd.Series(rest, dtype=object),
                "node": self.unplaced_node,
                "certain": False,
            }
        )
        return pd.concat([placed, unknown], ignore_index=True)

    @cached_property
    def running_vertices(self) -> dict[tuple[Any, Any, Any], list[str]]:
        """(kind, namespace, name) → the vertex of that running workload (missing parts as None, as a join
        matches them)."""
        w = self.workloads[self.workloads["running"].to_numpy(dtype=bool)]
        out: dict[tuple[Any, Any, Any], list[str]] = {}
        for k, ns, n, v in zip(*(w[c].tolist() for c in ("kind", "namespace", "name", "vertex"))):
            out.setdefault((join_key(k), join_key(ns), join_key(n)), []).append(v)
        return out

    @cached_property
    def running_containers(self) -> pd.DataFrame:
        """The Linux containers of the running workloads with the workload's ``vertex`` and ``host_pid``: the
        columns of :data:`RUNNING_CONTAINER_COLUMNS` (the escape edges each read a part of it)."""
        c = self.frame("containers")
        c = c.loc[~c["windows"].astype(bool), list(RUNNING_CONTAINER_COLUMNS)]
        w = self.workloads[self.workloads["running"]][["kind", "namespace", "name", "vertex", "host_pid"]]
        return c.merge(w, on=["kind", "namespace", "name"])

    # ------------------------------------------------------------------ RBAC

    @cached_property
    def grants(self) -> pd.DataFrame:
        """The rbac frame plus ``identity`` (the subject's vertex), ``where`` (namespace or ``*``), ``public``."""
        r = self.frame("rbac")
        kind, subj, ns, scope = (r[c].tolist() for c in ("subject_kind", "subject", "subject_namespace", "scope"))
        return r.assign(
            identity=pd.Series([subject_vertex(*x) for x in zip(kind, subj, ns)], index=r.index, dtype=object),
            where=pd.Series(
                [V.ALL if join_key(x) is None or x == "cluster" else x for x in scope], index=r.index, dtype=object
            ),
            public=np.array([(x if type(x) is str else "") in PUBLIC_GROUPS for x in subj], dtype=bool),
        )

    @cached_property
    def _rules(self) -> tuple[np.ndarray, list[tuple[int, frozenset[str], frozenset[str], frozenset[str]]]]:
        """(rule id per grant row, the distinct rules as (id, verbs, groups, resources) sets): a rule is judged
        once, however many bindings reach it. A rule is its role (a Role's namespace included) and its index."""
        g = self.grants
        cols = ("role_kind", "binding_namespace", "role", "rule_index", "verbs", "api_groups", "resources")
        ids: dict[tuple[Any, ...], int] = {}
        rid = []
        rules: list[tuple[int, frozenset[str], frozenset[str], frozenset[str]]] = []
        for kind, ns, role, i, verbs, groups, res in zip(*(g[c].tolist() for c in cols)):
            role_ns = join_key(ns) if type(kind) is str and kind == "Role" else None
            key = (join_key(kind), role_ns, join_key(role), join_key(i))
            n = ids.setdefault(key, len(ids))
            if n == len(rules):  # the first grant of this rule
                rules.append((n, frozenset(verbs), frozenset(groups), frozenset(res)))
            rid.append(n)
        return np.array(rid, dtype=np.int64), rules

    def can(self, verbs: tuple[str, ...], resource: str, group: str = "") -> pd.DataFrame:
        """Grants allowing one of ``verbs`` on ``resource`` (``pods`` or ``pods/exec``) in API ``group``.

        Adds ``names`` (the rule's resourceNames: empty means every object) and ``wildcard`` (the
        grant matched only through a ``*``), as the RBAC authorizer matches: ``*`` matches any verb,
        group and resource, ``*/<sub>`` any resource's subresource ``<sub>``; ``pods`` does not match
        ``pods/exec``. Grants of full control (``*`` on ``*``) are left out unless ``verbs`` is
        ``("*",)``: rbac-admin covers them.
        """
        key = (verbs, resource, group)
        hit = self._can.get(key)
        if hit is not None:
            return hit
        at, wildcard = self.can_rows(verbs, resource, group)
        if not len(at):  # most questions have no grant at all: one empty answer, shaped as a full one
            hit = self._can[key] = self._no_grant
            return hit
        hit = self.grants.take(at)
        hit = hit.assign(names=hit["resource_names"], wildcard=wildcard)
        self._can[key] = hit
        return hit

    def can_rows(self, verbs: tuple[str, ...], resource: str, group: str = "") -> tuple[np.ndarray, np.ndarray]:
        """:meth:`can` as positions: the grant rows (positions in :attr:`grants`) and, for each, ``wildcard``."""
        key = (verbs, resource, group)
        got = self._can_rows.get(key)
        if got is not None:
            return got
        rules = self._rules[1]
        sub = resource.split("/", 1)[1] if "/" in resource else None

        def match(strict: bool) -> set[int]:
            star = () if strict else ("*",)
            vs, gs = set(verbs + star), {group, *star}
            res = {resource, *star, *(("*/" + sub,) if sub and not strict else ())}
            return {
                i for i, v, a, r in rules if not vs.isdisjoint(v) and not gs.isdisjoint(a) and not res.isdisjoint(r)
            }

        loose, strict = self._rule_mask(match(False)), self._rule_mask(match(True))
        ids = self._rule_ids
        rows = loose[ids] if verbs == ("*",) else loose[ids] & ~self._full_array
        at = np.flatnonzero(rows)
        got = self._can_rows[key] = (at, ~strict[ids[at]])
        return got

    @cached_property
    def unnamed(self) -> np.ndarray:
        """Per grant row: the rule has no resourceNames (it holds for every object)."""
        return np.array([not len(n) for n in self.grants["resource_names"].tolist()], dtype=bool)

    @cached_property
    def _no_grant(self) -> pd.DataFrame:
        g = self.grants
        return g.iloc[:0].assign(names=g["resource_names"].iloc[:0], wildcard=pd.Series([], dtype=bool))

    @cached_property
    def _rule_ids(self) -> np.ndarray:
        return self._rules[0]

    @cached_property
    def _full_array(self) -> np.ndarray:
        return self.full.to_numpy(dtype=bool)

    def _rule_mask(self, ids: set[int]) -> np.ndarray:
        """A lookup by rule id: is it among ``ids``?"""
        mask = np.zeros(len(self._rules[1]) + 1, dtype=bool)
        mask[list(ids)] = True
        return mask

    @cached_property
    def full(self) -> pd.Series:
        """Grant rows of bindings that hold ``*`` on ``*`` in ``*`` (no resourceNames) in their scope."""
        g = self.grants
        cols = ("verbs", "resources", "api_groups", "resource_names", "binding_kind", "binding_namespace", "binding")
        rows = list(zip(*(g[c].tolist() for c in cols)))
        keys = ["|".join(x if type(x) is str else "" for x in r[4:]) for r in rows]
        star = {
            k
            for k, (v, res, groups, names, *_) in zip(keys, rows)
            if _holds(v, "*") and _holds(res, "*") and _holds(groups, "*") and _empty(names)
        }
        masters = [x == "group:system:masters" for x in g["identity"].tolist()]
        return pd.Series([k in star or m for k, m in zip(keys, masters)], index=g.index, dtype=bool)

    def rbac_rests(self, g: pd.DataFrame, *specific: str) -> list[list[tuple[Any, ...]]]:
        """The findings whose fix removes a grant row: ``specific`` checks on its binding, plus rbac-wildcard
        (when the grant came through a ``*``), rbac-cluster-admin (a binding to cluster-admin) and
        rbac-anonymous-binding (a grant to everyone)."""
        out = []
        for bk, bns, b, wild, role_kind, role, public in zip(
            g["binding_kind"],
            g["binding_namespace"],
            g["binding"],
            g["wildcard"],
            g["role_kind"],
            g["role"],
            g["public"],
        ):
            ns = None if bns is None or bns is pd.NA else bns
            checks = list(specific)
            if wild:
                checks.append("rbac-wildcard")
            if role_kind == "ClusterRole" and role == "cluster-admin":
                checks.append("rbac-cluster-admin")
            if public:
                checks.append("rbac-anonymous-binding")
            out.append([(c, bk, ns, b, None) for c in checks])
        return out

    @cached_property
    def namespaces(self) -> pd.DataFrame:
        return self.frame("namespaces")

    @cached_property
    def service_accounts(self) -> pd.DataFrame:
        """Every service account: the ServiceAccount objects and those workloads name (namespace, name, vertex)."""
        sa = self.frame("service_accounts")
        w = self.workloads
        rows = list(zip(sa["namespace"].tolist(), sa["name"].tolist()))
        rows += zip(w["namespace"].tolist(), w["service_account"].fillna("default").tolist())
        # each (namespace, name) once, in order of first sight; none with a part missing
        rows = [r for r in dict.fromkeys(rows) if join_key(r[0]) is not None and join_key(r[1]) is not None]
        return pd.DataFrame(
            {
                "namespace": pd.Series([ns for ns, _ in rows], dtype=object),
                "name": pd.Series([n for _, n in rows], dtype=object),
                "vertex": pd.Series([f"sa:{ns}/{n}" for ns, n in rows], dtype=object),
            }
        )
