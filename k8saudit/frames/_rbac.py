"""RBAC: one row per binding × subject × rule, roles resolved, aggregation expanded."""

from __future__ import annotations

from collections.abc import Iterator

from .. import _model as m
from .._selectors import matches
from ._spec import B, I, O, Row, S, SnapshotView, frame

#: subjects that are the cluster's own machinery
SYSTEM_NAMESPACES = ("kube-system",)


#: system: groups that stand for everyone (or every service account)
EVERYONE = ("system:anonymous", "system:unauthenticated", "system:authenticated", "system:serviceaccounts")


def is_system_subject(kind: str | None, name: str | None, namespace: str | None) -> bool:
    """A ``system:`` user or group, or a kube-system service account.

    Note the ``system:`` groups that stand for everyone (``system:authenticated``, …) are system
    subjects here; the ``is_everyone`` column marks them, and the RBAC checks treat grants to them
    as grants to all.
    """
    if kind == "ServiceAccount":
        return namespace in SYSTEM_NAMESPACES
    return bool(name) and str(name).startswith("system:")


def is_everyone(kind: str | None, name: str | None) -> bool:
    n = str(name or "")
    return kind in ("Group", "User") and (n in EVERYONE or n.startswith("system:serviceaccounts:"))


def _rule_tuple(r: m.PolicyRule) -> tuple[tuple[str, ...], ...]:
    return (
        tuple(r.api_groups or ()),
        tuple(r.resources or ()),
        tuple(r.verbs or ()),
        tuple(r.resource_names or ()),
        tuple(r.non_resource_urls or ()),
    )


def cluster_role_rules(snap: SnapshotView) -> dict[str, list[m.PolicyRule]]:
    """Rules of every ClusterRole, aggregated ClusterRoles expanded (to a fixed point)."""
    roles = {r.metadata.name: r for r in snap.items("ClusterRole")}
    rules: dict[str, list[m.PolicyRule]] = {n: list(r.rules or ()) for n, r in roles.items()}
    aggregated = {
        n: r for n, r in roles.items() if r.aggregation_rule is not None and r.aggregation_rule.cluster_role_selectors
    }
    for _ in range(len(aggregated) + 1):
        changed = False
        for name, role in aggregated.items():
            have = {_rule_tuple(x) for x in rules[name]}
            for sel in role.aggregation_rule.cluster_role_selectors or ():
                sel_d = {
                    "match_labels": sel.match_labels or {},
                    "match_expressions": [
                        {"key": e.key, "operator": e.operator, "values": e.values or []}
                        for e in sel.match_expressions or ()
                    ],
                }
                for other, orole in roles.items():
                    if other == name or not matches(sel_d, orole.metadata.labels or {}):
                        continue
                    for rule in rules[other]:
                        t = _rule_tuple(rule)
                        if t not in have:
                            have.add(t)
                            rules[name].append(rule)
                            changed = True
        if not changed:
            break
    return rules


@frame(
    "rbac",
    "One row per binding x subject x rule.",
    keys=("cluster", "binding_kind", "binding_namespace", "binding"),
    kinds=("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"),
    one_row_per_object=False,
    columns=[
        ("cluster", S, "cluster name"),
        ("binding_kind", S, "RoleBinding or ClusterRoleBinding"),
        ("binding", S, "binding name"),
        ("binding_namespace", S, "namespace of a RoleBinding (<NA> for ClusterRoleBinding)"),
        ("scope", S, "where the grant applies: 'cluster' or the namespace"),
        ("subject_kind", S, "User, Group or ServiceAccount"),
        ("subject", S, "subject name"),
        ("subject_namespace", S, "namespace of a ServiceAccount subject"),
        ("role_kind", S, "Role or ClusterRole"),
        ("role", S, "role name"),
        ("role_found", B, "the referenced role is in the snapshot"),
        ("rule_index", I, "index of the rule in the (aggregated) role; <NA> when the role has no rules"),
        ("api_groups", O, "rule apiGroups"),
        ("resources", O, "rule resources"),
        ("verbs", O, "rule verbs"),
        ("resource_names", O, "rule resourceNames"),
        ("non_resource_urls", O, "rule nonResourceURLs"),
        ("is_system_subject", B, "a system: user/group or a kube-system service account"),
        (
            "is_everyone",
            B,
            "a group (or user) that stands for everyone: system:authenticated, system:unauthenticated, system:anonymous, system:serviceaccounts[:ns]",
        ),
    ],
)
def build_rbac(snap: SnapshotView) -> Iterator[Row]:
    cluster = snap.cluster
    cr_rules = cluster_role_rules(snap)
    ns_roles = {(r.metadata.namespace, r.metadata.name): list(r.rules or ()) for r in snap.items("Role")}
    bindings = [("ClusterRoleBinding", b) for b in snap.items("ClusterRoleBinding")]
    bindings += [("RoleBinding", b) for b in snap.items("RoleBinding")]
    for bkind, b in bindings:
        ref = b.role_ref or m.RoleRef()
        bns = b.metadata.namespace if bkind == "RoleBinding" else None
        if ref.kind == "Role":
            rules = ns_roles.get((bns, ref.name))
        else:
            rules = cr_rules.get(ref.name or "")
        found = rules is not None
        rule_rows: list[tuple[int | None, m.PolicyRule | None]] = list(enumerate(rules)) if rules else [(None, None)]
        for s in b.subjects or ():
            s_ns = s.namespace if s.kind == "ServiceAccount" else None
            if s.kind == "ServiceAccount" and not s_ns and bns:
                s_ns = bns
            system = is_system_subject(s.kind, s.name, s_ns)
            everyone = is_everyone(s.kind, s.name)
            head = (
                cluster,
                bkind,
                b.metadata.name,
                bns,
                "cluster" if bkind == "ClusterRoleBinding" else bns,
                s.kind,
                s.name,
                s_ns,
                ref.kind,
                ref.name,
                found,
            )
            for idx, r in rule_rows:
                if r is None:
                    yield (*head, idx, [], [], [], [], [], system, everyone)
                else:
                    yield (
                        *head,
                        idx,
                        list(r.api_groups or ()),
                        list(r.resources or ()),
                        list(r.verbs or ()),
                        list(r.resource_names or ()),
                        list(r.non_resource_urls or ()),
                        system,
                        everyone,
                    )
