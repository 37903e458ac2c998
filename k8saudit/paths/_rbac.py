"""RBAC edges: what an identity's permissions let it become.

Permissions are matched as the RBAC authorizer matches them (:meth:`Context.can`): ``*`` verbs,
groups and resources, ``*/<subresource>``, and ``resourceNames`` (a rule with names never allows
``create``, and otherwise limits the step to the named objects). A RoleBinding grants in its
namespace; a ClusterRoleBinding everywhere, and alone grants cluster-scoped resources (users,
groups, nodes, CSRs, webhooks, ClusterRoleBindings).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..checks.p03_capabilities import ENFORCING_LEVELS, policy_engines
from . import _vertices as V
from ._context import TEMPLATE_OWNERS, Context, join_key
from ._registry import edge, edges, no_edges, text

RBAC_API = "rbac.authorization.k8s.io"
CERTS_API = "certificates.k8s.io"
ADMISSION_API = "admissionregistration.k8s.io"
#: the findings on a binding whose fix removes what it grants (rbac-secrets-read is added for Secrets)
RBAC_RESTS = ("rbac-escalation", "rbac-wildcard", "rbac-cluster-admin", "rbac-anonymous-binding")
#: ClusterRoles that are full control of a namespace when bound there
ADMIN_ROLES = ("cluster-admin", "admin")


_TEXT_COLUMNS = ("binding_kind", "binding", "role_kind", "role", "identity")


def _text(g: pd.DataFrame, what: str) -> pd.Series:
    """``RoleBinding shop/devs → ClusterRole edit allows create pods`` per grant row (missing when a part is)."""
    cols = [g[c].tolist() for c in _TEXT_COLUMNS]
    return pd.Series(
        [
            pd.NA
            if any(x is None or x is pd.NA for x in (bk, b, rk, r, ident))
            else f"{bk} {_in_ns(bk, bn)}{b} → {rk} {r} lets {ident.replace(':', ' ', 1)} {what}{_names(n)}"
            for bk, b, rk, r, ident, bn, n in zip(*cols, g["binding_namespace"].tolist(), g["names"].tolist())
        ],
        index=g.index,
        dtype=object,
    )


def _in_ns(binding_kind: str, ns: Any) -> str:
    return ((ns if isinstance(ns, str) else "") + "/") if binding_kind == "RoleBinding" else ""


def _names(names: Any) -> str:
    return f" (resourceNames {', '.join(names)})" if len(names) else ""


def _hub(prefix: str, where: pd.Series) -> pd.Series:
    return prefix + ":" + where.astype(str)


def _in(where: str) -> str:
    return " in every namespace" if where == V.ALL else f" in {where}"


def _named(objs: pd.DataFrame, names: Any, where: str) -> pd.DataFrame:
    """Rows of ``objs`` (namespace, name) among ``names``, in scope ``where``."""
    return objs[objs["name"].isin(list(names)) & ((where == V.ALL) | objs["namespace"].eq(where))]


def _frame(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    """Edges from (source, target, evidence, rests, certain) rows: no loop, each (source, target, rests) once."""
    seen: set[tuple[Any, Any, str]] = set()
    keep = []
    for row in rows:
        if row[0] == row[1]:
            continue
        k = (row[0], row[1], repr(row[3]))
        if k not in seen:
            seen.add(k)
            keep.append(row)
    if not keep:
        return no_edges()
    src, tgt, ev, rests, certain = zip(*keep)
    return edges(src, tgt, ev, rests, certain)


def _unnamed(g: pd.DataFrame) -> pd.DataFrame:
    """The grants without resourceNames (they hold for every object)."""
    return g[np.array([not len(n) for n in g["names"].tolist()], dtype=bool)]


def _pod_creators(ctx: Context) -> pd.DataFrame:
    """Grants that run a pod of the attacker's making: create pods, or create/change a pod-template owner."""
    return ctx.derive("pod-creators", _find_pod_creators)


#: one question to the grants: (verbs, resource, API group, what it lets one do, esc, grants without resourceNames only)
Ask = tuple[tuple[str, ...], str, str, str, bool, bool]


def _find_pod_creators(ctx: Context) -> pd.DataFrame:
    asks: list[Ask] = [(("create",), "pods", "", "create pods", True, True)]
    for group, res in TEMPLATE_OWNERS:
        asks += [
            (("create",), res, group, f"create {res}", False, True),
            (("update", "patch"), res, group, f"update {res}", False, False),
        ]
    return _granted(ctx, asks)


def _granted(ctx: Context, asks: list[Ask]) -> pd.DataFrame:
    """The grant rows answering each of ``asks`` in turn (as :meth:`Context.can` answers, with ``what`` and ``esc``):
    one frame, taken from the grants at once."""
    ats, wildcards, whats, escs = [], [], [], []
    for verbs, res, group, what, esc, unnamed_only in asks:
        at, wildcard = ctx.can_rows(verbs, res, group)
        if unnamed_only:
            keep = ctx.unnamed[at]
            at, wildcard = at[keep], wildcard[keep]
        ats.append(at)
        wildcards.append(wildcard)
        whats += [what] * len(at)
        escs += [esc] * len(at)
    if not whats:
        none = ctx.can(*asks[0][:3]).iloc[:0]
        return none.assign(what=pd.Series([], dtype=object), esc=pd.Series([], dtype=bool))
    g = ctx.grants.take(np.concatenate(ats))
    return g.assign(
        names=g["resource_names"],
        wildcard=np.concatenate(wildcards),
        what=pd.array(whats, dtype="str"),
        esc=np.array(escs, dtype=bool),
    ).reset_index(drop=True)


def _creator_rows(ctx: Context, g: pd.DataFrame, hub: str) -> list[tuple[Any, ...]]:
    """Edge rows from pod creators to the hub ``hub:WHERE`` (``sas`` or ``pods``); the evidence is missing (NaN,
    as text columns add up) when a part of the grant's text is."""
    where = g["where"].tolist()
    ev = [
        t + what + _in(w) if type(t) is str else np.nan
        for t, what, w in zip(_text(g, "").tolist(), g["what"].tolist(), where)
    ]
    return list(
        zip(g["identity"].tolist(), [f"{hub}:{w}" for w in where], ev, _rests(ctx, g, g["esc"]), [True] * len(g))
    )


def _rests(ctx: Context, g: pd.DataFrame, esc: pd.Series | bool, specific: str = "rbac-escalation") -> list[list[Any]]:
    with_esc = ctx.rbac_rests(g, specific)
    without = ctx.rbac_rests(g)
    flags = [esc] * len(g) if isinstance(esc, bool) else list(esc)
    return [a if f else b for a, b, f in zip(with_esc, without, flags)]


@edge(
    "rbac-create-pods",
    group="rbac",
    technique="Deploy a pod as any service account of the namespace",
    attack=("T1610",),
    rests_on=RBAC_RESTS,
    on="rbac",
    title="identity → any service account of the namespace (create pods, or create/change a pod-template owner)",
    why="Whoever may create pods, or create or change a Deployment, DaemonSet, StatefulSet, ReplicaSet, Job, "
    "CronJob or ReplicationController, runs a pod with any serviceAccountName of the namespace and "
    "reads its token. rbac-escalation reports create pods; the pod-template owners are gaps unless a "
    "wildcard or a cluster-admin binding grants them.",
)
def rbac_create_pods(ctx: Context) -> pd.DataFrame:
    g = _pod_creators(ctx)
    if g.empty:
        return no_edges()
    return _frame(_creator_rows(ctx, g, "sas"))


def _unenforced(ctx: Context) -> pd.DataFrame:
    ns = ctx.namespaces
    return ns[~ns["psa_enforce"].isin(ENFORCING_LEVELS)]


@edge(
    "rbac-privileged-pod",
    group="rbac",
    technique="Deploy a pod where admission lets a privileged one in",
    attack=("T1610",),
    rests_on=RBAC_RESTS,
    on="rbac",
    title="identity → create pods in a namespace whose Pod Security admission allows privileged pods "
    "(a hub: psa-privileged-pod leads on to root on a node)",
    why="Whoever may create pods, or create or change a pod-template owner, where no Pod Security level "
    "baseline or restricted is enforced may start a privileged pod there. The step ends at the hub "
    '"create pods in NS" (or "in every namespace"), one edge per grant: psa-privileged-pod leads from '
    "it to root on a node, one edge per namespace, so the graph grows with grants plus namespaces, not "
    "their product. Admission-aware: a namespace enforcing baseline or restricted gives no edge.",
)
def rbac_privileged_pod(ctx: Context) -> pd.DataFrame:
    g = _pod_creators(ctx)
    open_ns = set(_unenforced(ctx)["name"])
    if g.empty or not open_ns:
        return no_edges()
    keep = (g["where"].eq(V.ALL) | g["where"].isin(open_ns)).to_numpy()
    g = g[keep]
    return _frame(_creator_rows(ctx, g, "pods"))


@edge(
    "psa-privileged-pod",
    group="escape",
    technique="Deploy a privileged pod on a node of one's choosing",
    attack=("T1610", "T1611"),
    rests_on=("psa-not-enforced",),
    on="namespaces",
    certainty="either",
    title="create pods in a namespace (or full control of it) → root on a node (no Pod Security level enforced there)",
    why="A namespace where no Pod Security level baseline or restricted is enforced admits a privileged pod "
    "with hostPID and the host's disk, pinned to any node with spec.nodeName: whoever may create pods "
    "there (the hub rbac-privileged-pod leads to) or controls the namespace is root on a node. From "
    '"create pods in every namespace", one edge per such namespace: fixing one namespace leaves the '
    "others. Possible rather than certain when a policy engine is installed (its policies may reject "
    "the pod).",
)
def psa_privileged_pod(ctx: Context) -> pd.DataFrame:
    open_ns = _unenforced(ctx)
    if open_ns.empty:
        return no_edges()
    certain = not policy_engines(ctx.snap)
    names = open_ns["name"].tolist()
    levels = [x if type(x) is str else "not set" for x in open_ns["psa_enforce"].tolist()]
    why = [
        text(
            "namespace ", n, ": pod-security enforce level is ", lvl, ", so it admits a privileged pod pinned to a node"
        )
        for n, lvl in zip(names, levels)
    ]
    rests = [[("psa-not-enforced", "Namespace", n, n, None)] for n in names]
    creators = set(_pod_creators(ctx)["where"].tolist())
    # the hub of each namespace someone may create pods in; the hub of every namespace, one edge per
    # namespace, each resting on its own finding; full control of a namespace (bound admin, or granted
    # itself anything there), which includes creating pods
    rows = [(text("pods:", n), w, r) for n, w, r in zip(names, why, rests) if n in creators]
    rows += [(text("ns-admin:", n), w, r) for n, w, r in zip(names, why, rests)]
    if V.ALL in creators:
        rows += [(V.ANY_PODS, w, r) for w, r in zip(why, rests)]
    return edges([r[0] for r in rows], V.ANY_NODE, [r[1] for r in rows], [r[2] for r in rows], certain)


@edge(
    "rbac-exec",
    group="rbac",
    technique="Exec into running pods",
    attack=("T1609",),
    rests_on=RBAC_RESTS,
    on="rbac",
    title="identity → every workload in scope (pods/exec, pods/attach, pods/ephemeralcontainers)",
    why="exec and attach run commands in a running container, and an ephemeral container (kubectl debug) "
    "adds one: the attacker is then that workload, with its token, its Secrets and its escape routes. "
    "resourceNames limit it to the named pods.",
)
def rbac_exec(ctx: Context) -> pd.DataFrame:
    g = _granted(
        ctx,
        [
            (("create", "get"), "pods/exec", "", "exec into pods", True, False),
            (("create", "get"), "pods/attach", "", "attach to pods", True, False),
            (("update", "patch"), "pods/ephemeralcontainers", "", "add ephemeral containers", False, False),
        ],
    )
    if g.empty:
        return no_edges()
    pods = ctx.pods
    rows = []
    for ident, where, names, ev, rests in zip(
        g["identity"], g["where"], g["names"], _text(g, "") + g["what"], _rests(ctx, g, g["esc"])
    ):
        if not len(names):
            rows.append((ident, f"workloads:{where}", ev + _in(where), rests, True))
            continue
        hit = pods[pods["pod"].isin(list(names)) & ((where == V.ALL) | pods["namespace"].eq(where))]
        for v in hit["vertex"].unique():
            rows.append((ident, v, ev, rests, True))
    return _frame(rows)


@edge(
    "rbac-token-request",
    group="rbac",
    technique="Mint a token for another service account",
    attack=("T1528",),
    rests_on=RBAC_RESTS,
    on="rbac",
    title="identity → service accounts in scope (create serviceaccounts/token)",
    why="The TokenRequest API issues a fresh token for any service account the subject may create "
    "serviceaccounts/token on (the named ones with resourceNames).",
)
def rbac_token_request(ctx: Context) -> pd.DataFrame:
    g = ctx.can(("create",), "serviceaccounts/token")
    if g.empty:
        return no_edges()
    sas = ctx.service_accounts
    rows = []
    for ident, where, names, ev, rests in zip(
        g["identity"], g["where"], g["names"], _text(g, "create serviceaccounts/token"), _rests(ctx, g, True)
    ):
        if not len(names):
            rows.append((ident, f"sas:{where}", ev, rests, True))
            continue
        rows += [(ident, v, ev, rests, True) for v in _named(sas, names, where)["vertex"]]
    return _frame(rows)


@edge(
    "rbac-impersonate",
    group="rbac",
    technique="Impersonate another identity",
    attack=("T1078",),
    rests_on=RBAC_RESTS,
    on="rbac",
    title="identity → the users, groups or service accounts it may impersonate",
    why="The impersonate verb lets a request act as another user, group or service account "
    "(Impersonate-User / Impersonate-Group headers). Impersonating groups includes system:masters, "
    "which is cluster-admin whatever RBAC says.",
)
def rbac_impersonate(ctx: Context) -> pd.DataFrame:
    rows = []
    sas = ctx.service_accounts
    for res, hub, prefix in (("users", "users:*", "user:"), ("groups", "groups:*", "group:")):
        g = ctx.can(("impersonate",), res)
        g = g[g["where"].eq(V.ALL)]  # cluster-scoped: only a ClusterRoleBinding grants it
        for ident, names, ev, rests in zip(
            g["identity"], g["names"], _text(g, f"impersonate {res}"), _rests(ctx, g, True)
        ):
            targets = [hub] if not len(names) else [prefix + n for n in names]
            rows += [(ident, t, ev, rests, True) for t in targets]
    g = ctx.can(("impersonate",), "serviceaccounts")
    for ident, where, names, ev, rests in zip(
        g["identity"], g["where"], g["names"], _text(g, "impersonate serviceaccounts"), _rests(ctx, g, True)
    ):
        if not len(names):
            rows.append((ident, f"sas:{where}", ev, rests, True))
            continue
        rows += [(ident, v, ev, rests, True) for v in _named(sas, names, where)["vertex"]]
    return _frame(rows)


def _pairs(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Grant pairs of the same identity (``_a``/``_b`` suffixes), with the scope both cover as ``scope2``."""
    x = a.merge(b, on="identity", suffixes=("_a", "_b"))
    wa, wb = x["where_a"], x["where_b"]
    ok = wa.eq(V.ALL) | wb.eq(V.ALL) | wa.eq(wb)
    x = x[ok]
    return x.assign(scope2=wa.where(~wa.eq(V.ALL), wb)[ok])


def _pair_rests(ctx: Context, x: pd.DataFrame, esc_a: bool, esc_b: bool) -> list[list[Any]]:
    def side(s: str, esc: bool) -> list[list[Any]]:
        g = x[[c for c in x.columns if c.endswith("_" + s)]].rename(columns=lambda c: c[:-2])
        return _rests(ctx, g, esc)

    return [ra + rb for ra, rb in zip(side("a", esc_a), side("b", esc_b))]


@edge(
    "rbac-bind",
    group="rbac",
    technique="Bind oneself a more powerful role",
    attack=("T1098.006",),
    rests_on=RBAC_RESTS,
    on="rbac",
    certainty="either",
    title="identity → admin of the namespace, or cluster-admin (bind on roles + create role bindings)",
    why="RBAC lets a subject create a binding to a role it does not hold only with the bind verb on that "
    "role. With bind on ClusterRoles and create on RoleBindings it binds itself admin in the namespace; "
    "with create on ClusterRoleBindings, cluster-admin. Creating bindings without bind only hands out "
    "permissions the subject already has, and gives no edge.",
)
def rbac_bind(ctx: Context) -> pd.DataFrame:
    rows: list[tuple[Any, ...]] = []
    for role_res in ("clusterroles", "roles"):
        b = ctx.can(("bind",), role_res, RBAC_API)
        names_ok = b["names"].map(lambda n: not len(n) or bool(set(n) & set(ADMIN_ROLES))).astype(bool)
        b = b[names_ok if role_res == "clusterroles" else b["names"].str.len() == 0]
        if b.empty:
            continue
        for binding_res, cluster in (("rolebindings", False), ("clusterrolebindings", True)):
            c = _unnamed(ctx.can(("create", "update", "patch"), binding_res, RBAC_API))
            if cluster:
                c = c[c["where"].eq(V.ALL)]
                if role_res == "roles":
                    continue
            if c.empty:
                continue
            x = _pairs(b, c)
            if x.empty:
                continue
            target = pd.Series(V.CLUSTER_ADMIN, index=x.index) if cluster else "ns-admin:" + x["scope2"].astype(str)
            ev = (
                "bind "
                + role_res
                + " ("
                + x["binding_kind_a"]
                + " "
                + x["binding_a"]
                + ") and create "
                + binding_res
                + " ("
                + x["binding_kind_b"]
                + " "
                + x["binding_b"]
                + ")"
                + x["scope2"].map(_in)
            )
            certain = role_res == "clusterroles"  # bind on Roles only: some Role of the namespace must be powerful
            rows += list(zip(x["identity"], target, ev, _pair_rests(ctx, x, True, False), [certain] * len(x)))
    return _frame(rows)


@edge(
    "rbac-escalate",
    group="rbac",
    technique="Rewrite one's own role",
    attack=("T1098.006",),
    rests_on=RBAC_RESTS,
    on="rbac",
    certainty="either",
    title="identity → admin of the namespace, or cluster-admin (escalate + write roles)",
    why="The escalate verb lifts RBAC's rule that a role may only hold permissions its writer has: with it "
    "and update on the roles bound to it, a subject rewrites them to `*`. Cluster-wide on ClusterRoles "
    "that is cluster-admin; on Roles of a namespace, its admin (possible: a Role of that namespace must "
    "be bound to the subject).",
)
def rbac_escalate(ctx: Context) -> pd.DataFrame:
    rows: list[tuple[Any, ...]] = []
    for role_res in ("clusterroles", "roles"):
        e = _unnamed(ctx.can(("escalate",), role_res, RBAC_API))
        w = ctx.can(("create", "update", "patch"), role_res, RBAC_API)
        if e.empty or w.empty:
            continue
        x = _pairs(e, w)
        if role_res == "clusterroles":
            x = x[x["scope2"].eq(V.ALL)]
        if x.empty:
            continue
        cluster = role_res == "clusterroles"
        target = pd.Series(V.CLUSTER_ADMIN, index=x.index) if cluster else "ns-admin:" + x["scope2"].astype(str)
        ev = (
            "escalate and write "
            + role_res
            + " ("
            + x["binding_kind_a"]
            + " "
            + x["binding_a"]
            + ", "
            + x["binding_kind_b"]
            + " "
            + x["binding_b"]
            + ")"
        )
        rows += list(zip(x["identity"], target, ev, _pair_rests(ctx, x, True, False), [cluster] * len(x)))
    return _frame(rows)


@edge(
    "rbac-nodes-proxy",
    group="rbac",
    technique="Run commands in pods through the kubelet API",
    attack=("T1609",),
    rests_on=RBAC_RESTS,
    on="rbac",
    title="identity → every workload on the nodes it may proxy to (nodes/proxy)",
    why="nodes/proxy reaches the kubelet's API, whose /exec and /run endpoints run commands in any pod of "
    "the node, around admission and the API server's audit (a websocket GET is enough).",
)
def rbac_nodes_proxy(ctx: Context) -> pd.DataFrame:
    g = ctx.can(("get", "create"), "nodes/proxy")
    g = g[g["where"].eq(V.ALL)]
    rows = []
    place = ctx.placement
    for ident, names, ev, rests in zip(
        g["identity"], g["names"], _text(g, "proxy to kubelets (nodes/proxy)"), _rests(ctx, g, True)
    ):
        if not len(names):
            rows.append((ident, "workloads:*", ev, rests, True))
            continue
        for v in place[place["node"].isin(["node:" + n for n in names])]["workload"].unique():
            rows.append((ident, v, ev, rests, True))
    return _frame(rows)


@edge(
    "rbac-approve-csr",
    group="rbac",
    technique="Issue oneself a client certificate",
    rests_on=("rbac-wildcard", "rbac-cluster-admin", "rbac-anonymous-binding"),
    on="rbac",
    title="identity → cluster-admin (create and approve certificate signing requests)",
    why="With create on certificatesigningrequests, update on their approval and approve on the "
    "kube-apiserver-client signer, a subject issues itself a client certificate for any name, "
    "including the group system:masters. No ATT&CK for Containers technique covers it.",
)
def rbac_approve_csr(ctx: Context) -> pd.DataFrame:
    c = _unnamed(ctx.can(("create",), "certificatesigningrequests", CERTS_API))
    a = ctx.can(("update", "patch"), "certificatesigningrequests/approval", CERTS_API)
    s = ctx.can(("approve",), "signers", CERTS_API)
    s = s[
        s["names"]
        .map(lambda n: not len(n) or bool({"kubernetes.io/kube-apiserver-client", "kubernetes.io/*"} & set(n)))
        .astype(bool)
    ]
    c, a, s = (d[d["where"].eq(V.ALL)] for d in (c, a, s))
    if c.empty or a.empty or s.empty:
        return no_edges()
    x = _pairs(c, a)
    if x.empty:
        return no_edges()
    rows = []
    for ident, ra_rb, eva in zip(
        x["identity"],
        _pair_rests(ctx, x, False, False),
        "create CSRs (" + x["binding_a"] + "), approve them (" + x["binding_b"] + ")",
    ):
        for sb, rs in zip(s[s["identity"].eq(ident)]["binding"], ctx.rbac_rests(s[s["identity"].eq(ident)])):
            rows.append((ident, V.CLUSTER_ADMIN, f"{eva}, sign for kube-apiserver-client ({sb})", ra_rb + rs, True))
    return _frame(rows)


@edge(
    "rbac-admission-webhook",
    group="rbac",
    technique="Register an admission webhook",
    rests_on=("rbac-wildcard", "rbac-cluster-admin", "rbac-anonymous-binding"),
    on="rbac",
    certainty="possible",
    title="identity → cluster-admin (create or change admission webhook configurations)",
    why="An admission webhook the attacker registers receives every object written to the API, Secrets "
    "included, and a mutating one rewrites pods as they are created (a privileged container in a "
    "controller's pod). Possible: it needs a reachable endpoint. No ATT&CK for Containers technique "
    "covers it.",
)
def rbac_admission_webhook(ctx: Context) -> pd.DataFrame:
    rows = []
    for res in ("mutatingwebhookconfigurations", "validatingwebhookconfigurations"):
        g = _unnamed(ctx.can(("create", "update", "patch"), res, ADMISSION_API))
        g = g[g["where"].eq(V.ALL)]
        rows += list(
            zip(
                g["identity"], [V.CLUSTER_ADMIN] * len(g), _text(g, f"write {res}"), ctx.rbac_rests(g), [False] * len(g)
            )
        )
    return _frame(rows)


@edge(
    "rbac-secrets-read",
    group="rbac",
    technique="Read Secrets through the API",
    attack=("T1552.007",),
    rests_on=(
        "rbac-secrets-read",
        "rbac-wildcard",
        "rbac-cluster-admin",
        "rbac-anonymous-binding",
        "authn-legacy-sa-token-secret",
    ),
    on="rbac",
    title="identity → the Secrets of a namespace (get, list or watch secrets)",
    why="Reading Secrets returns their values. With resourceNames the subject reads only the named ones: "
    "no edge to the namespace's Secrets, but an edge to the service account whose long-lived token "
    "is among them.",
)
def rbac_secrets_read(ctx: Context) -> pd.DataFrame:
    g = ctx.can(("get", "list", "watch"), "secrets")
    if g.empty:
        return no_edges()
    rows = []
    sec = ctx.frame("secrets")
    tok = sec[sec["is_sa_token"] & sec["service_account"].notna()]
    for ident, where, names, ev, rests in zip(
        g["identity"], g["where"], g["names"], _text(g, "read secrets"), _rests(ctx, g, True, "rbac-secrets-read")
    ):
        if not len(names):
            rows.append((ident, f"secrets:{where}", ev + _in(where), rests, True))
            continue
        hit = _named(tok, names, where)
        for ns, name, sa in zip(hit["namespace"], hit["name"], hit["service_account"]):
            rows.append(
                (
                    ident,
                    f"sa:{ns}/{sa}",
                    f"{ev}: {ns}/{name} holds a token of ServiceAccount {sa}",
                    rests + [("authn-legacy-sa-token-secret", "Secret", ns, name, None)],
                    True,
                )
            )
    return _frame(rows)


@edge(
    "rbac-admin",
    group="rbac",
    technique="Hold every permission",
    rests_on=("rbac-wildcard", "rbac-cluster-admin", "rbac-anonymous-binding"),
    on="rbac",
    title="identity → cluster-admin (`*` on `*` cluster-wide), or admin of a namespace (in a RoleBinding)",
    why="A rule with `*` verbs on `*` resources of `*` API groups is every permission of its scope: through "
    "a ClusterRoleBinding, cluster-admin; through a RoleBinding, full control of the namespace. A "
    "RoleBinding to the admin ClusterRole is the latter too.",
)
def rbac_admin(ctx: Context) -> pd.DataFrame:
    g = ctx.can(("*",), "*", "*")
    full = _unnamed(g)
    full = full[(full["identity"] != "group:system:masters").to_numpy(dtype=bool)].assign(wildcard=True)
    # RoleBindings to the admin ClusterRole, each (identity, binding) once
    gr = ctx.grants
    cols = ("role_kind", "role", "where", "identity", "binding_kind", "binding_namespace", "binding")
    seen: dict[tuple[Any, ...], int] = {}
    for at, (rk, role, w, *key) in enumerate(zip(*(gr[c].tolist() for c in cols))):
        if rk == "ClusterRole" and role == "admin" and w != V.ALL:
            seen.setdefault(tuple(join_key(x) for x in key), at)
    admin_rb = gr.take(list(seen.values()))
    admin_rb = admin_rb.assign(names=[[] for _ in range(len(admin_rb))], wildcard=False)
    rows: list[tuple[Any, ...]] = []
    for d in (full, admin_rb):
        if d.empty:
            continue
        where = d["where"].tolist()
        target = [V.CLUSTER_ADMIN if w == V.ALL else f"ns-admin:{w}" for w in where]
        ev = [
            text(t, " cluster-wide" if w == V.ALL else f" in {w}")
            for t, w in zip(_text(d, "do anything").tolist(), where)
        ]
        rows += list(zip(d["identity"].tolist(), target, ev, ctx.rbac_rests(d), [True] * len(d)))
    return _frame(rows)
