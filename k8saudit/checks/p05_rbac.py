"""Practice 5: RBAC, not ABAC; namespace-scoped over cluster-wide permissions.

The ``rbac`` frame has one row per binding × subject × rule, with RoleBinding →
ClusterRole references resolved and aggregated ClusterRoles expanded. Checks keep
the rows granted to someone other than the cluster's own machinery (``granted``)
and report one finding per binding, naming the subjects, roles and rules in the
message and evidence.

``system:`` users and groups and kube-system service accounts are the cluster's
own (``is_system_subject``), with one exception: the groups that stand for
*everyone* (system:anonymous, system:unauthenticated, system:authenticated,
system:serviceaccounts[:<ns>]) count as ordinary subjects, except for the
discovery grants Kubernetes and kubeadm give them themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._arrow import TEXT, as_text, string
from ._common import (
    any_in,
    apiserver_flags,
    choose,
    concat,
    concat_text,
    first_of_groups,
    group_codes,
    group_ids,
    joined,
    joined_per_group,
    shared,
)
from ._fix import FixContext, apiserver_flag, comment, dump
from ._registry import NSA_CISA, check

K8S_RBAC = "Kubernetes docs, Using RBAC Authorization: https://kubernetes.io/docs/reference/access-authn-authz/rbac/"
K8S_RBAC_GOOD = (
    "Kubernetes docs, Role Based Access Control Good Practices: "
    "https://kubernetes.io/docs/concepts/security/rbac-good-practices/"
)
K8S_AUTHZ = "Kubernetes docs, Authorization: https://kubernetes.io/docs/reference/access-authn-authz/authorization/"


#: groups (and the anonymous user) that stand for everyone who can reach, or has any account on, the API
PUBLIC_GROUPS = ("system:anonymous", "system:unauthenticated", "system:authenticated")
#: what Kubernetes itself grants to PUBLIC_GROUPS
DISCOVERY_ROLES = ("system:public-info-viewer", "system:discovery", "system:basic-user")
#: kubeadm lets anonymous clients read the cluster-info ConfigMap in kube-public (node join discovery)
_KUBEADM_CLUSTER_INFO = "kubeadm:bootstrap-signer-clusterinfo"

_BKEYS = ["binding_kind", "binding_namespace", "binding"]
_OUT = ["kind", "namespace", "name", "message", "evidence"]

_REVIEW = (
    "List who holds the binding and what they use it for; the API server's audit log shows which "
    "permissions are exercised (`kubectl auth can-i --list --as=<subject>` shows what they have)."
)


# --------------------------------------------------------------------------- who is granted


def _is_public(df: pd.DataFrame) -> pd.Series:
    s = pc.fill_null(as_text(df["subject"]), "")
    everyone_sa = pc.or_(
        pc.equal(s, "system:serviceaccounts"),
        pc.and_(pc.starts_with(s, "system:serviceaccounts:"), pc.not_equal(s, "system:serviceaccounts:kube-system")),
    )
    public = pc.or_(pc.is_in(s, value_set=pa.array(PUBLIC_GROUPS, TEXT)), everyone_sa)
    return pd.Series(public.to_numpy(zero_copy_only=False), index=df.index, dtype=bool)


def _is(df: pd.DataFrame, column: str, *values: str) -> np.ndarray[Any, Any]:
    """Per row: is ``column`` one of ``values``? (A missing value is not.)"""
    got = pc.is_in(as_text(df[column]), value_set=pa.array(values, TEXT))
    out: np.ndarray[Any, Any] = got.to_numpy(zero_copy_only=False)
    return out


def _builtin_public_grant(df: pd.DataFrame, roles: tuple[str, ...]) -> pd.Series:
    cluster_role = _is(df, "role_kind", "ClusterRole") & _is(df, "role", *roles)
    cluster_info = (
        _is(df, "binding_kind", "RoleBinding")
        & _is(df, "binding_namespace", "kube-public")
        & _is(df, "role_kind", "Role")
        & _is(df, "role", _KUBEADM_CLUSTER_INFO)
    )
    return pd.Series(cluster_role | cluster_info, index=df.index, dtype=bool)


def granted(rbac: pd.DataFrame) -> pd.Series:
    """Rows that grant something to a subject other than the cluster's own components."""
    builtin = _builtin_public_grant(rbac, DISCOVERY_ROLES + ("system:service-account-issuer-discovery",))
    return (~rbac["is_system_subject"] | (_is_public(rbac) & ~builtin)).astype(bool)


# --------------------------------------------------------------------------- what a rule allows
#
# A rule is the same for every binding and subject that reaches it, so rules are
# judged and described once per distinct rule (role × rule index), then spread
# back over the binding × subject rows: the cost follows the number of rules,
# not the size of the frame.


class Grants:
    """What the checks read of the whole ``rbac`` frame, derived once per audit and shared by them (``shared``):
    who is granted, each row's binding and rule, the texts of each row's role, scope, subject and binding, the
    distinct rules. A check picks its rows (a mask over the frame) and gathers, so six checks cost a handful of
    pandas operations each, not dozens (the frame is small: its per-call cost is what counts)."""

    def __init__(self, rbac: pd.DataFrame) -> None:
        self.rbac = rbac
        self.granted = granted(rbac).to_numpy(dtype=bool)
        self.binding = group_ids(rbac, _BKEYS)
        role = pa.array(rbac["role_kind"].eq("Role").to_numpy(dtype=bool, na_value=False))
        role_ns = pc.if_else(role, as_text(rbac["binding_namespace"]), pa.scalar(None, TEXT))  # a Role's namespace
        index = pa.array(pd.factorize(rbac["rule_index"])[0])  # missing: -1, a value
        #: each row's rule (role × rule index), numbered in order of appearance: rule r is row r of ``rules``
        self.rule = group_codes([as_text(rbac["role_kind"]), role_ns, as_text(rbac["role"]), index])
        self.rules = rbac.take(first_of_groups(self.rule))
        self.keys = {c: as_text(rbac[c]) for c in _BKEYS}
        self.role = as_text(_role_text(rbac))  # a binding has one roleRef
        self.where = as_text(_where_text(rbac))
        self.subject = as_text(_subject_text(rbac))
        ns = pc.fill_null(concat_text(rbac["binding_namespace"], "/"), "")
        self.label = concat_text(rbac["binding_kind"], " `", ns, rbac["binding"], "`")
        self._rule_text: pa.Array | None = None

    def per_rule(self, fn: Callable[[pd.DataFrame], pd.Series]) -> pd.Series:
        """``fn`` (rules → one value per rule) evaluated once per distinct rule, aligned to the frame's rows."""
        value = fn(self.rules)
        return pd.Series(value.array.take(self.rule), index=self.rbac.index)

    @property
    def rule_text(self) -> pa.Array:
        if self._rule_text is None:
            self._rule_text = as_text(self.per_rule(_rule_text))
        return self._rule_text

    def per_binding(self, hit: Any, *, rules: bool = True, **extra: pd.Series | pa.ListArray) -> dict[str, Any]:
        """One row per binding among the rows where ``hit`` holds, in order of appearance: its ``kind``/
        ``namespace``/``name``, ``label`` (``RoleBinding `ns/x```), ``roles``, ``where``, ``subjects``, ``rules``
        (when asked) and each ``extra`` column (aligned to the frame: a text per row, or an Arrow list of texts
        per row) as the distinct texts of its rows joined; as Arrow text columns."""
        rows = np.flatnonzero(np.asarray(hit, dtype=bool))
        group, _ = pd.factorize(self.binding[rows])
        n = int(group.max()) + 1 if len(group) else 0
        first = pa.array(rows[np.unique(group, return_index=True)[1]].astype(np.int64))
        at = pa.array(rows.astype(np.int64))
        out: dict[str, Any] = {
            "kind": self.keys["binding_kind"].take(first),
            "namespace": self.keys["binding_namespace"].take(first),
            "name": self.keys["binding"].take(first),
            "label": self.label.take(first),
            "roles": self.role.take(first),
            "where": self.where.take(first),
            "subjects": joined_per_group(group, self.subject.take(at), ", ", n),
        }
        if rules:
            out["rules"] = joined_per_group(group, self.rule_text.take(at), "; ", n)
        for name, values in extra.items():
            if isinstance(values, pd.Series):
                out[name] = joined_per_group(group, as_text(values).take(at), ", ", n)
            else:  # a list of texts per row
                items = values.take(at)
                parent = pc.list_parent_indices(items).to_numpy(zero_copy_only=False)
                out[name] = joined_per_group(group[parent], pc.list_flatten(items).cast(TEXT), ", ", n)
        return out


def grants(rbac: pd.DataFrame) -> Grants:
    """The frame's :class:`Grants`, made once per audit."""
    return shared("rbac_grants", (rbac,), lambda: Grants(rbac))


def _found(b: dict[str, Any], message: pd.Series, evidence: pd.Series | pa.Array) -> pd.DataFrame:
    """A check's rows: the bindings ``b`` of :meth:`Grants.per_binding` with their message and evidence."""
    cols = {k: b[k] for k in ("kind", "namespace", "name")}
    cols.update(message=as_text(message), evidence=evidence if isinstance(evidence, pa.Array) else as_text(evidence))
    return pd.DataFrame({k: string(v) for k, v in cols.items()}, columns=_OUT)


def _can(df: pd.DataFrame, verbs: tuple[str, ...] | None, resources: tuple[str, ...], group: str) -> pd.Series:
    """Rules that allow one of ``verbs`` (None: any verb) on one of ``resources`` in ``group``.

    Matching follows the RBAC authorizer: ``*`` matches any verb, group and resource
    (subresources included) and ``*/<subresource>`` matches that subresource of any resource.
    Vectorised over the rules (:func:`any_in`); :func:`_allows` is the same test of one rule.
    """
    groups, res, verb_set = _asks(verbs, resources, group)
    verb_ok = (df["verbs"].str.len() > 0) if verb_set is None else any_in(df["verbs"], tuple(verb_set))
    return (any_in(df["api_groups"], tuple(groups)) & any_in(df["resources"], tuple(res)) & verb_ok).astype(bool)


_RULE_LISTS = ("api_groups", "resources", "verbs")


def _judged(rules: pd.DataFrame, columns: tuple[str, ...], judge: Callable[[tuple[Any, ...]], Any]) -> list[Any]:
    """``judge`` of each rule's values in ``columns``, called once per distinct tuple of them: the rules of a large
    cluster repeat the same few lists (one Role in every namespace). Values are told apart with their types
    (``["*"]`` from ``("*",)`` and from the text ``"*"``); an unhashable item is judged each time."""
    done: dict[Any, Any] = {}
    out = []
    for rule in zip(*(rules[c].to_numpy(dtype=object) for c in columns)):
        try:
            key = tuple((type(v), *v, *map(type, v)) if isinstance(v, (list, tuple)) else (type(v), v) for v in rule)
            got = done[key] if key in done else done.setdefault(key, judge(rule))
        except TypeError:
            got = judge(rule)
        out.append(got)
    return out


def _asks(
    verbs: tuple[str, ...] | None, resources: tuple[str, ...], group: str
) -> tuple[frozenset[str], frozenset[str], frozenset[str] | None]:
    """What a rule must hold to allow ``verbs`` on ``resources`` in ``group``: (groups, resources, verbs)."""
    res = set(resources) | {"*"} | {"*/" + r.split("/", 1)[1] for r in resources if "/" in r}
    return frozenset((group, "*")), frozenset(res), None if verbs is None else frozenset(verbs + ("*",))


def _allows(rule: tuple[Any, Any, Any], asks: tuple[frozenset[str], frozenset[str], frozenset[str] | None]) -> bool:
    """Does a rule (its api_groups, resources, verbs lists) allow what :func:`_asks` says? A list holds something
    only when it is a non-empty list or tuple (as :func:`any_in` reads it); any verb: a verbs value with items."""
    groups, resources, verbs = rule
    if not (_holds(groups, asks[0]) and _holds(resources, asks[1])):
        return False
    if asks[2] is None:
        try:
            return len(verbs) > 0  # as ``.str.len() > 0`` reads it
        except TypeError:
            return False
    return _holds(verbs, asks[2])


def _holds(values: Any, wanted: frozenset[str]) -> bool:
    return isinstance(values, (list, tuple)) and any(_member(x, wanted) for x in values)


def _member(x: Any, wanted: frozenset[str]) -> bool:
    try:
        return x in wanted
    except TypeError:  # an unhashable item equals no text
        return False


# --------------------------------------------------------------------------- messages


def _text_if(mask: pd.Series, text: str) -> pd.Series:
    """``text`` where ``mask`` holds, else the empty string."""
    return pd.Series(text, index=mask.index, dtype="string").where(mask, "")


def _text_list(lists: pd.Series) -> pd.Series:
    """``[a, b]`` per list (the core API group shown as ``""``); only ever run on distinct rules."""
    return lists.map(lambda xs: "[" + ", ".join(str(x) if x != "" else '""' for x in xs) + "]").astype("string")


def _role_text(df: pd.DataFrame) -> pd.Series:
    role = df["role_kind"].eq("Role").to_numpy(dtype=bool, na_value=False)
    role_ns = choose(role, concat((df["binding_namespace"], ""), "/"), "", df.index)
    return concat((df["role_kind"], "?"), " ", role_ns, (df["role"], "?"))


def _rule_text(df: pd.DataFrame) -> pd.Series:
    names = _text_list(df["resource_names"])
    named = (names != "[]").to_numpy(dtype=bool)
    return concat(
        _role_text(df),
        " rule ",
        (df["rule_index"].astype("string"), "?"),
        ": apiGroups=",
        _text_list(df["api_groups"]),
        " resources=",
        _text_list(df["resources"]),
        " verbs=",
        _text_list(df["verbs"]),
        choose(named, " resourceNames=", "", df.index),
        choose(named, names, "", df.index),
    )


def _subject_text(df: pd.DataFrame) -> pd.Series:
    sa = df["subject_kind"].eq("ServiceAccount").to_numpy(dtype=bool, na_value=False)
    ns = pc.fill_null(as_text(df["subject_namespace"]), "")
    in_ns = choose(sa & pc.not_equal(ns, "").to_numpy(zero_copy_only=False), concat(ns, "/"), "", df.index)
    return concat((df["subject_kind"], "?"), " ", in_ns, (df["subject"], "?"))


def _where_text(df: pd.DataFrame) -> pd.Series:
    cluster = df["scope"].eq("cluster").to_numpy(dtype=bool, na_value=False)
    return choose(cluster, "across the whole cluster", concat("in namespace ", (df["scope"], "?")), df.index)


# --------------------------------------------------------------------------- checks


_delete_binding = comment("kubectl delete {c.kind} {c.name}   # nobody anonymous needs these permissions")


def _rbac_subjects(c: FixContext) -> tuple[str, list[dict[str, Any]]]:
    role, subjects = "<role>", [{"kind": "Group", "name": "<who>", "apiGroup": "rbac.authorization.k8s.io"}]
    if c.snap is not None:
        r = c.snap.frame("rbac")
        rows = r[(r["binding"] == c.name) & (r["binding_kind"] == c.kind)]
        if len(rows):
            role = str(rows["role"].iloc[0])
            subjects = []
            for kind, name, sns in (
                rows[["subject_kind", "subject", "subject_namespace"]].drop_duplicates().itertuples(index=False)
            ):
                s: dict[str, Any] = {"kind": str(kind), "name": str(name)}
                if kind == "ServiceAccount":
                    s["namespace"] = str(sns)
                else:
                    s["apiGroup"] = "rbac.authorization.k8s.io"
                subjects.append(s)
    return role, subjects


def _namespaced_binding(c: FixContext, role: str | None = None, note: str = "") -> str:
    """Grant in the one namespace that needs it (a binding of everyone is deleted instead)."""
    bound, subjects = _rbac_subjects(c)
    if any(s["name"] in PUBLIC_GROUPS for s in subjects):
        return _delete_binding(c)
    ns = next((s["namespace"] for s in subjects if s["kind"] == "ServiceAccount"), c.ns or "<namespace>")
    doc = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": c.name, "namespace": ns},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role or bound},
        "subjects": subjects,
    }
    scope = "-n " + c.ns + " " if c.ns else ""
    return (
        f"# {c.check}: {c.kind} {c.name}\n# grant it in the one namespace that needs it, then: "
        f"kubectl {scope}delete {c.kind.lower()} {c.name}\n" + (f"# {note}\n" if note else "") + dump(doc)
    )


@check(
    "rbac-abac-enabled",
    practice=5,
    severity="high",
    on="apiserver",
    fires_on="apiserver",
    needs_apiserver=True,
    title="API server authorizes with ABAC or AlwaysAllow, or without RBAC",
    why="AlwaysAllow (the default when --authorization-mode is not set) lets every authenticated request do "
    "anything. ABAC reads a static policy file on the control-plane nodes: changes need node access "
    "and a restart, nothing in the API shows who may do what, and a broad line in the file is easy to "
    "miss. Without RBAC, least privilege cannot be expressed through the API at all.",
    remediation="Set the authorization modes in the kube-apiserver manifest, drop ABAC and AlwaysAllow, and "
    "remove `--authorization-policy-file`:\n\n```yaml\n    - --authorization-mode=Node,RBAC\n"
    "```\n\nTranslate whatever the ABAC policy file allowed into Roles and RoleBindings first.",
    references=[
        NSA_CISA,
        K8S_AUTHZ,
        "Kubernetes docs, ABAC mode: https://kubernetes.io/docs/reference/access-authn-authz/abac/",
    ],
    controls={"cis": ["1.2.6", "1.2.7", "1.2.8"], "nsa": ["authz.rbac"], "mitre": ["T1078"]},
    fix=apiserver_flag("--authorization-mode=Node,RBAC", "no ABAC, no AlwaysAllow"),
)
def rbac_abac_enabled(apiserver: pd.DataFrame) -> pd.DataFrame:
    f = apiserver_flags(apiserver, "authorization-mode", "authorization-config")
    modes = f["authorization-mode"].fillna("").str.split(",").map(lambda xs: [x.strip() for x in xs if x.strip()])
    structured = f["authorization-config"].notna() & f["authorization-mode"].isna()  # modes are in a file
    unset = f["authorization-mode"].isna() & ~structured
    abac, allow_all = any_in(modes, ("ABAC",)), any_in(modes, ("AlwaysAllow",))
    no_rbac = ~any_in(modes, ("RBAC",)) & ~structured
    bad = f[unset | abac | allow_all | no_rbac]
    i = bad.index
    why = concat(
        _text_if(unset[i], "is not set: it defaults to AlwaysAllow, every authenticated request is allowed; "),
        _text_if(allow_all[i], "includes AlwaysAllow: every authenticated request is allowed; "),
        _text_if(abac[i], "includes ABAC; "),
        _text_if(no_rbac[i] & ~unset[i], "does not include RBAC; "),
    )
    msg = concat("kube-apiserver on node ", (bad["node"], "?"), ": --authorization-mode ", why.str.rstrip("; "))
    ev = concat("--authorization-mode=", (bad["authorization-mode"], "<not set>"))
    return bad.assign(message=msg, evidence=ev)[_OUT]


@check(
    "rbac-cluster-admin",
    practice=5,
    severity="high",
    on="rbac",
    fires_on="binding",
    title="Subject bound to cluster-admin",
    why="cluster-admin may do anything to any object, Secrets and RBAC included; a RoleBinding to it gives "
    "the same power over a whole namespace. A stolen token or kubeconfig of such a subject, or one "
    "compromised pod running as such a service account, is a full takeover of the cluster (or "
    "namespace) with nothing left to escalate.",
    remediation="Bind a role with just the permissions needed (the built-in `admin`, `edit` or `view` in one "
    "namespace, or a custom Role), then delete the binding to cluster-admin:\n\n```yaml\n"
    "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: ci-deployer\n"
    "  namespace: shop\nsubjects:\n  - kind: ServiceAccount\n    name: deployer\n    namespace: ci\n"
    "roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n"
    "  name: edit     # or a Role with only what the subject uses\n```\n\n"
    "Keep cluster-admin for a break-glass account. " + _REVIEW,
    references=[NSA_CISA, K8S_RBAC_GOOD, K8S_RBAC + "#user-facing-roles"],
    controls={"cis": ["5.1.1"], "nsa": ["authz.rbac"], "mitre": ["T1098.006", "T1078"]},
    fix=lambda c: _namespaced_binding(c, "admin", "cluster-admin replaced by `admin` in one namespace"),
)
def rbac_cluster_admin(rbac: pd.DataFrame) -> pd.DataFrame:
    # no component of Kubernetes runs as cluster-admin cluster-wide: a ClusterRoleBinding of it to a service
    # account is an add-on's (a dashboard, Tiller), kube-system or not
    g = grants(rbac)
    sa_everywhere = rbac["subject_kind"].eq("ServiceAccount") & rbac["binding_kind"].eq("ClusterRoleBinding")
    hit = (
        (g.granted | sa_everywhere.fillna(False).to_numpy(dtype=bool))
        & rbac["role_kind"].eq("ClusterRole").fillna(False).to_numpy(dtype=bool)
        & rbac["role"].eq("cluster-admin").fillna(False).to_numpy(dtype=bool)
    )
    b = g.per_binding(hit, rules=False)
    message = concat(b["label"], " gives cluster-admin ", b["where"], " to ", b["subjects"])
    return _found(b, message, concat("roleRef: ClusterRole cluster-admin; subjects: ", b["subjects"]))


def _wildcards(rules: pd.DataFrame) -> pd.Series:
    """Per rule: which of verbs, resources, apiGroups hold ``*`` (``""`` for none)."""
    what = pd.Series("", index=rules.index, dtype="string")
    for name, col in (("verbs", "verbs"), ("resources", "resources"), ("apiGroups", "api_groups")):
        what = what + _text_if(any_in(rules[col], ("*",)), name + " ")
    return what.str.strip().str.replace(" ", ", ", regex=False)


@check(
    "rbac-wildcard",
    practice=5,
    severity="medium",
    on="rbac",
    fires_on="binding",
    title="Role with wildcard permissions bound to a subject",
    why="A `*` in verbs, resources or apiGroups grants everything that exists now and everything added "
    "later: new subresources, new verbs such as escalate or impersonate, the resources of every CRD an "
    "operator installs. What the subject may do can no longer be read from the role. (Bindings to "
    "cluster-admin itself are reported by rbac-cluster-admin.)",
    remediation="List the verbs, resources and API groups the subject needs instead of `*`:\n\n```yaml\n"
    "rules:\n  - apiGroups: [apps]\n    resources: [deployments]\n"
    "    verbs: [get, list, watch, update, patch]\n```\n\n" + _REVIEW,
    references=[NSA_CISA, K8S_RBAC_GOOD],
    controls={"cis": ["5.1.3"], "nsa": ["authz.rbac"], "mitre": ["T1098.006"]},
    fix=comment(
        "list the resources and verbs the subject uses instead of *, e.g. rules:",
        "- {{apiGroups: [apps], resources: [deployments], verbs: [get, list, watch, update]}}",
    ),
)
def rbac_wildcard(rbac: pd.DataFrame) -> pd.DataFrame:
    g = grants(rbac)
    admin = (rbac["role_kind"].eq("ClusterRole") & rbac["role"].eq("cluster-admin")).fillna(False).to_numpy(dtype=bool)
    what = g.per_rule(_wildcards)
    b = g.per_binding(g.granted & ~admin & (what != "").to_numpy(dtype=bool), what=what)
    parts = (b["label"], " grants ", b["subjects"], " `*` in ", b["what"], " ", b["where"], " through ", b["roles"])
    return _found(b, concat(*parts), b["rules"])


@check(
    "rbac-clusterwide-binding",
    practice=5,
    severity="low",
    on="rbac",
    fires_on="binding",
    title="Permissions granted cluster-wide with a ClusterRoleBinding",
    why="A ClusterRoleBinding applies its role in every namespace, including kube-system and namespaces "
    "created later. A subject that only works in a few namespaces should get RoleBindings there, so a "
    "leaked credential or a compromised pod cannot reach the rest of the cluster.",
    remediation="Bind the same ClusterRole per namespace with RoleBindings, and delete the "
    "ClusterRoleBinding:\n\n```yaml\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n"
    "metadata:\n  name: monitoring-read\n  namespace: shop     # one per namespace\nsubjects:\n"
    "  - kind: ServiceAccount\n    name: agent\n    namespace: monitoring\nroleRef:\n"
    "  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: view\n```\n\n"
    "Keep ClusterRoleBindings for what is cluster-scoped by nature (nodes, namespaces, CRDs) "
    "and for agents that truly work on every namespace.",
    references=[NSA_CISA, K8S_RBAC_GOOD, K8S_RBAC + "#rolebinding-and-clusterrolebinding"],
    controls={"nsa": ["authz.rbac"], "mitre": ["T1098.006"]},
    fix=lambda c: _namespaced_binding(c),
)
def rbac_clusterwide_binding(rbac: pd.DataFrame) -> pd.DataFrame:
    g = grants(rbac)
    b = g.per_binding(g.granted & rbac["binding_kind"].eq("ClusterRoleBinding").fillna(False).to_numpy(dtype=bool))
    message = concat(b["label"], " grants ", b["roles"], " in every namespace to ", b["subjects"])
    return _found(b, message, concat("roleRef: ", b["roles"], "; subjects: ", b["subjects"]))


@check(
    "rbac-secrets-read",
    practice=5,
    severity="medium",
    on="rbac",
    fires_on="binding",
    title="Subject may read Secrets",
    why="get, list or watch on Secrets returns their values: database passwords, API keys, TLS keys, and "
    "service account tokens that let the reader act as that account. `list` and `watch` read every "
    "Secret of the scope at once; across the whole cluster that includes the tokens and keys of "
    "kube-system components, a short step to cluster-admin.",
    remediation="Grant Secret access only to the workloads that read them, on the named Secrets they need:"
    '\n\n```yaml\nrules:\n  - apiGroups: [""]\n    resources: [secrets]\n'
    "    resourceNames: [app-db]\n    verbs: [get]\n```\n\nPeople rarely need it: the built-in "
    "`view` role leaves Secrets out; prefer it over `edit` or `admin` for read access. " + _REVIEW,
    references=[NSA_CISA, K8S_RBAC_GOOD + "#listing-secrets"],
    controls={"cis": ["5.1.2"], "nsa": ["authz.rbac"], "mitre": ["T1552.007", "T1528"]},
    fix=comment(
        "drop `secrets` from the role's rules, or name the Secrets it may read:",
        "- {{apiGroups: [''], resources: [secrets], resourceNames: [<name>], verbs: [get]}}",
    ),
)
def rbac_secrets_read(rbac: pd.DataFrame) -> pd.DataFrame:
    g = grants(rbac)
    read = ("get", "list", "watch")
    reads = g.per_rule(lambda x: _can(x, read, ("secrets",), "") & (x["resource_names"].str.len() == 0))
    b = g.per_binding(
        g.granted & reads.to_numpy(dtype=bool), verbs=g.per_rule(lambda x: joined(x["verbs"], read + ("*",)))
    )
    parts = (b["label"], " lets ", b["subjects"], " read Secrets ", b["where"], " (verbs: ", b["verbs"], ") through ")
    return _found(b, concat(*parts, b["roles"]), b["rules"])


#: (what it allows, verbs (None: any), resources, API group, cluster-scoped resources: only a
#: ClusterRoleBinding can grant them)
ESCALATION: tuple[tuple[str, tuple[str, ...] | None, tuple[str, ...], str, bool], ...] = (
    ("bind roles", ("bind",), ("roles", "clusterroles"), "rbac.authorization.k8s.io", False),
    ("escalate roles", ("escalate",), ("roles", "clusterroles"), "rbac.authorization.k8s.io", False),
    ("impersonate", ("impersonate",), ("serviceaccounts",), "", False),
    ("impersonate", ("impersonate",), ("users", "groups"), "", True),
    ("impersonate", ("impersonate",), ("uids", "userextras"), "authentication.k8s.io", True),
    ("create pods", ("create",), ("pods",), "", False),
    ("exec into pods", ("create", "get"), ("pods/exec",), "", False),
    ("attach to pods", ("create", "get"), ("pods/attach",), "", False),
    ("proxy to kubelets (nodes/proxy)", None, ("nodes/proxy",), "", True),
    ("create service account tokens", ("create",), ("serviceaccounts/token",), "", False),
)


def _escalations(rules: pd.DataFrame, *, cluster_scoped: bool) -> pd.Series:
    """Per rule: what of :data:`ESCALATION` (its cluster-scoped entries or the others) it allows, each followed by
    ``, `` (none: ""). Each distinct rule is judged once against every entry (:func:`_allows`), not each entry
    over every rule (ten :func:`_can`, thirty :func:`any_in`)."""
    asks = [(label, _asks(v, r, g)) for label, v, r, g, cluster_only in ESCALATION if cluster_only == cluster_scoped]
    texts = _judged(rules, _RULE_LISTS, lambda rule: "".join(label + ", " for label, ask in asks if _allows(rule, ask)))
    return pd.Series(texts, index=rules.index, dtype="string")


@check(
    "rbac-escalation",
    practice=5,
    severity="high",
    on="rbac",
    fires_on="binding",
    title="Subject holds a privilege-escalation permission",
    why="Some permissions are worth more than they look. bind and escalate let a subject grant itself any "
    "role; impersonate lets it act as any user, group or service account; create pods runs any image "
    "as any service account of the namespace (and mounts its token); exec or attach opens a shell in "
    "running pods with their tokens and secrets; nodes/proxy talks to the kubelet API directly, "
    "around admission and audit; creating service account tokens mints credentials for other "
    "accounts. Each is a path to more than the role seems to grant.",
    remediation="Remove these permissions from roles that do not strictly need them, or split them into a "
    "separate role bound only to the automation that needs it, in the namespaces where it "
    "works. For example replace `edit` with a custom role without `pods/exec` and "
    "`serviceaccounts/token`, and never grant `bind`, `escalate` or `impersonate` through a "
    "ClusterRoleBinding:\n\n```yaml\nrules:\n  - apiGroups: [apps]\n    resources: [deployments]\n"
    "    verbs: [get, list, watch, update, patch]\n```\n\n" + _REVIEW,
    references=[
        NSA_CISA,
        K8S_RBAC_GOOD + "#privilege-escalation-risks",
        K8S_RBAC + "#restrictions-on-role-creation-or-update",
    ],
    controls={
        "cis": ["5.1.4", "5.1.8", "5.1.10", "5.1.13"],
        "nsa": ["authz.rbac"],
        "mitre": ["T1098.006", "T1609", "T1610", "T1053.007"],
    },
    fix=comment(
        "remove bind, escalate, impersonate, pods/exec, pods/attach and create pods from the "
        "role bound by {c.kind} {c.name};",
        "grant them, if at all, for a limited time",
    ),
)
def rbac_escalation(rbac: pd.DataFrame) -> pd.DataFrame:
    g = grants(rbac)
    cluster_wide = rbac["scope"].eq("cluster").fillna(False).astype(bool)
    what = g.per_rule(lambda x: _escalations(x, cluster_scoped=False)) + g.per_rule(
        lambda x: _escalations(x, cluster_scoped=True)
    ).where(cluster_wide, "")
    paths = pc.split_pattern(pc.utf8_rtrim(as_text(what), characters=", "), ", ")  # each path apart, to dedupe them
    b = g.per_binding(g.granted & (what != "").to_numpy(dtype=bool), what=paths)
    parts = (b["label"], " lets ", b["subjects"], " ", b["what"], " ", b["where"], " through ", b["roles"])
    return _found(b, concat(*parts), b["rules"])


@check(
    "rbac-anonymous-binding",
    practice=5,
    severity="high",
    on="rbac",
    fires_on="binding",
    title="Role granted to anonymous or to every authenticated user",
    why="system:anonymous and system:unauthenticated are whoever can reach the API port; "
    "system:authenticated is everyone with any valid credential: every service account token of "
    "every pod, and on some managed platforms any account of the cloud provider. Granting them more "
    "than the built-in discovery roles hands that permission to attackers who have no foothold at "
    "all, or only the weakest one.",
    remediation="Delete the binding, or replace these groups with the specific users, groups or service "
    "accounts that need the access:\n\n```yaml\nsubjects:\n  - kind: Group\n"
    "    name: team-shop            # instead of system:authenticated\n"
    "    apiGroup: rbac.authorization.k8s.io\n```\n\nIf the binding exists for a health check or "
    "metrics scraper, give that client its own credentials.",
    references=[NSA_CISA, K8S_RBAC_GOOD, K8S_RBAC + "#discovery-roles"],
    controls={
        "cis": ["5.1.2", "5.1.4"],
        "nsa": ["authz.rbac", "authn.authentication"],
        "mitre": ["T1078.001", "T1613"],
    },
    fix=_delete_binding,
)
def rbac_anonymous_binding(rbac: pd.DataFrame) -> pd.DataFrame:
    public = rbac["subject"].isin(PUBLIC_GROUPS).fillna(False).astype(bool)
    b = grants(rbac).per_binding(
        (public & ~_builtin_public_grant(rbac, DISCOVERY_ROLES)).to_numpy(dtype=bool), rules=False
    )
    message = concat(b["label"], " grants ", b["roles"], " ", b["where"], " to ", b["subjects"])
    return _found(b, message, concat("roleRef: ", b["roles"], "; subjects: ", b["subjects"]))
