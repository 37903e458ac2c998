"""``authn-kubeconfig-static`` and ``authn-sa-token-automount``, whose texts are written by Arrow a column at a time,
against their row-by-row definitions (missing values, empty frames, equal names in two namespaces)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from k8saudit.checks._common import audit_cache
from k8saudit.checks.p02_authn import authn_kubeconfig_static, authn_sa_token_automount

NAME = st.sampled_from(["a", "b", "", None])


def _or(v: Any, missing: str) -> str:
    return missing if v is None else v


def _tuples(df: pd.DataFrame) -> list[tuple[Any, ...]]:
    return [tuple(None if v is pd.NA else v for v in r) for r in df.itertuples(index=False)]


KUBECONFIG_ROW = st.tuples(
    NAME,  # user
    st.sampled_from(["token", "client_key_data", "basic_auth", "exec", "", None]),
    st.sampled_from(["prod", "dev", "", None]),  # context
    st.sampled_from(["~/.kube/config", None]),
    st.booleans(),
)

WORDS = (("client_key_data", "an embedded client key"), ("basic_auth", "a password"), ("token", "a bearer token"))


def _kubeconfig_definition(recs: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    users: dict[Any, tuple[list[Any], list[Any], list[Any]]] = {}
    for user, auth, context, source, static in recs:
        if not static:
            continue
        ctx = _or(context, "(no context)")
        auths, ctxs, evs = users.setdefault(user, ([], [], []))
        auths.append(auth)
        ctxs.append(ctx)
        evs.append(f"user {_or(user, '?')} auth={_or(auth, '?')} context={ctx} in {_or(source, '?')}")
    out = []
    for user, (auths, ctxs, evs) in users.items():
        kinds = ", ".join(dict.fromkeys(a for a in auths if a))
        for word, text in WORDS:
            kinds = kinds.replace(word, text)
        contexts = ", ".join(dict.fromkeys(c for c in ctxs if c))
        msg = f"kubeconfig user `{_or(user, '?')}` authenticates with {kinds} (contexts: {contexts})"
        ev = "; ".join(dict.fromkeys(evs))
        out.append(("KubeconfigUser", None, user, msg if kinds and contexts else None, ev))
    return out


@settings(max_examples=150, deadline=None)
@given(st.lists(KUBECONFIG_ROW, max_size=10))
def test_kubeconfig_static_is_its_row_by_row_definition(recs: list[tuple[Any, ...]]) -> None:
    cols = ["user", "auth_type", "context", "source"]
    df = pd.DataFrame({c: pd.Series([r[i] for r in recs], dtype="string") for i, c in enumerate(cols)})
    df["static_credential"] = pd.Series([r[4] for r in recs], dtype=bool)
    got = authn_kubeconfig_static(df)
    assert list(got.columns) == ["kind", "namespace", "name", "message", "evidence"]
    assert _tuples(got) == _kubeconfig_definition(recs)


WORKLOAD_ROW = st.tuples(
    st.sampled_from(["Deployment", "Pod", None]),
    st.sampled_from(["a", "b", "", "kube-system", None]),  # equal names in two namespaces: two objects, two accounts
    st.sampled_from(["w", "v", None]),
    st.booleans(),  # automount_sa_token
    st.sampled_from(["default", "pod", "service_account", None]),
    st.sampled_from(["default", "sa", None]),
    st.sampled_from(["", "mirror", "control-plane"]),  # a static pod (mirror, or kubeadm's): never a token
)
BINDING_ROW = st.tuples(
    st.sampled_from(["ServiceAccount", "User", None]),
    NAME,  # subject namespace
    st.sampled_from(["default", "sa", None]),
    st.sampled_from(["Role", "ClusterRole", None]),
    st.sampled_from(["view", "edit", None]),
    NAME,  # binding namespace
)


def _automount_definition(wl: list[tuple[Any, ...]], rbac: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    roles: dict[str, list[str]] = {}
    for kind, sns, subject, role_kind, role, bns in rbac:
        if kind != "ServiceAccount":
            continue
        role_ns = f"{_or(bns, '')}/" if role_kind == "Role" else ""
        roles.setdefault(f"{_or(sns, '')}/{_or(subject, '')}", []).append(
            f"{_or(role_kind, '?')} {role_ns}{_or(role, '?')}"
        )
    out = []
    for kind, ns, name, automount, source, sa, static in wl:
        control_plane = static == "control-plane" and ns == "kube-system"
        if not automount or (kind == "Pod" and (static == "mirror" or control_plane)):
            continue
        sa = _or(sa, "default")
        ref = f"ServiceAccount {_or(ns, '')}/{sa}"
        if source in ("service_account", None):  # a missing source: as Series.mask reads a missing condition
            why, ev = f"{ref} sets automountServiceAccountToken: true", f"{ref} automountServiceAccountToken=true"
        elif source == "pod":
            why, ev = "the pod sets automountServiceAccountToken: true", "pod spec automountServiceAccountToken=true"
        else:
            why = f"neither the pod nor {ref} sets automountServiceAccountToken (default true)"
            ev = f"automountServiceAccountToken not set on the pod nor on {ref}"
        bound = roles.get(f"{_or(ns, '')}/{sa}")
        tail = f"; the account is bound to {', '.join(dict.fromkeys(bound))}" if bound else ""
        msg = f"{kind} `{name}` runs with the API token of service account `{sa}` mounted: {why}{tail}"
        out.append((kind, ns, name, None if kind is None or name is None else msg, ev))
    return out


@settings(max_examples=150, deadline=None)
@given(st.lists(WORKLOAD_ROW, max_size=8), st.lists(BINDING_ROW, max_size=8))
def test_sa_token_automount_is_its_row_by_row_definition(
    wl: list[tuple[Any, ...]], rbac: list[tuple[Any, ...]]
) -> None:
    text = ["kind", "namespace", "name"]
    workloads = pd.DataFrame({c: pd.Series([r[i] for r in wl], dtype="string") for i, c in enumerate(text)})
    workloads["automount_sa_token"] = pd.Series([r[3] for r in wl], dtype=bool)
    workloads["automount_source"] = pd.Series([r[4] for r in wl], dtype="string")
    workloads["service_account"] = pd.Series([r[5] for r in wl], dtype="string")
    workloads["annotations"] = pd.Series(
        [{"kubernetes.io/config.mirror": "x"} if r[6] == "mirror" else None for r in wl], dtype=object
    )
    workloads["labels"] = pd.Series([{"tier": r[6]} if r[6] else {} for r in wl], dtype=object)
    cols = ["subject_kind", "subject_namespace", "subject", "role_kind", "role", "binding_namespace"]
    frame = pd.DataFrame({c: pd.Series([r[i] for r in rbac], dtype="string") for i, c in enumerate(cols)})
    frame = frame.assign(
        binding_kind=frame["role_kind"], binding="b", rule_index=pd.Series([0] * len(rbac), dtype="Int64")
    )
    frame = frame.assign(is_system_subject=False, scope="cluster")
    with audit_cache():
        got = authn_sa_token_automount(workloads, frame)
    assert _tuples(got[["kind", "namespace", "name", "message", "evidence"]]) == _automount_definition(wl, rbac)
