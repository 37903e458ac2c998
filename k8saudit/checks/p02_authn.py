"""Practice 2: strong authentication at the API server.

Who may talk to the API server, and with what: no anonymous requests, no static
token or password files, people signing in through an identity provider rather
than with long-lived tokens and client keys, pods holding an API token only when
they use it, and no long-lived service account token Secrets.

The kube-apiserver checks read the flags of its static pod (``apiserver`` frame)
and return one row per kube-apiserver pod; on a managed control plane the flags
are not visible and the checks are reported as not assessable.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._arrow import TEXT, as_text, string
from ._common import apiserver_flags, choose, concat, concat_text, first_of_groups, group_codes, joined_per_group, rows
from ._fix import FixContext, apiserver_flag, comment, dump
from ._registry import NSA_CISA, check
from .p05_rbac import grants

K8S_AUTHN = "Kubernetes docs, Authenticating: https://kubernetes.io/docs/reference/access-authn-authz/authentication/"
K8S_APISERVER = (
    "Kubernetes docs, kube-apiserver flags: "
    "https://kubernetes.io/docs/reference/command-line-tools-reference/kube-apiserver/"
)
K8S_SA_ADMIN = (
    "Kubernetes docs, Managing Service Accounts: "
    "https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/"
)
K8S_SA_CONFIG = (
    "Kubernetes docs, Configure Service Accounts for Pods (opt out of API credential automounting): "
    "https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/"
    "#opt-out-of-api-credential-automounting"
)

_POD_KEYS = ["kind", "namespace", "name"]
_FALSE = ("false", "0", "f")

#: annotations the kubelet puts on mirror pods of static pods (which never get a service account token)
_STATIC_POD_ANNOTATIONS = ("kubernetes.io/config.mirror", "kubernetes.io/config.source")


def _on_node(df: pd.DataFrame) -> pd.Series:
    """``kube-apiserver on node <node>`` (``?``: not known)."""
    return concat("kube-apiserver on node ", (df["node"], "?"))


def _kubeconfig_fix(c: FixContext) -> str:
    return (
        f"# {c.check}: kubeconfig user {c.name}\n# replace the stored token/key with an exec plugin that fetches "
        "short-lived credentials\n"
        + dump(
            {
                "users": [
                    {
                        "name": c.name,
                        "user": {
                            "exec": {
                                "apiVersion": "client.authentication.k8s.io/v1",
                                "command": "kubectl",
                                "args": [
                                    "oidc-login",
                                    "get-token",
                                    "--oidc-issuer-url=https://issuer.example.com",
                                    "--oidc-client-id=kubernetes",
                                ],
                            }
                        },
                    }
                ]
            }
        )
    )


@check(
    "authn-anonymous",
    practice=2,
    severity="medium",
    on="apiserver",
    fires_on="apiserver",
    needs_apiserver=True,
    title="API server accepts anonymous requests",
    why="With --anonymous-auth left at its default (true), any request without credentials is served as "
    "user system:anonymous. Whatever RBAC grants that user or system:unauthenticated, by design or by a "
    "careless binding, is then open to anyone who can reach the API port, and the unauthenticated "
    "endpoints give attackers version and discovery information for free.",
    remediation="Edit the kube-apiserver static pod manifest (/etc/kubernetes/manifests/kube-apiserver.yaml) "
    "and set:\n\n```yaml\n    - --anonymous-auth=false\n```\n\nLoad balancer health checks "
    "that call /healthz or /livez without credentials must then use a client certificate, or (on "
    "Kubernetes 1.32+) use an AuthenticationConfiguration that allows anonymous access to those "
    "health endpoints only.",
    references=[NSA_CISA, K8S_AUTHN + "#anonymous-requests", K8S_APISERVER],
    controls={"cis": ["1.2.1"], "nsa": ["authn.authentication"], "mitre": ["T1133", "T1613"]},
    fix=apiserver_flag("--anonymous-auth=false", "health checks that relied on anonymous access need credentials"),
)
def authn_anonymous(apiserver: pd.DataFrame) -> pd.DataFrame:
    f = apiserver_flags(apiserver, "anonymous-auth", "authentication-config")
    bad = f[~f["anonymous-auth"].str.lower().isin(_FALSE).fillna(False)]
    anon = bad["anonymous-auth"]
    state = pc.fill_null(concat_text("--anonymous-auth=", anon), "--anonymous-auth is not set and defaults to true")
    restricted = (anon.isna() & bad["authentication-config"].notna()).to_numpy(dtype=bool)
    caveat = choose(restricted, " (unless the --authentication-config file restricts anonymous access)", "", bad.index)
    msg = concat(_on_node(bad), " accepts anonymous requests: ", state, caveat)
    ev = concat("--anonymous-auth=", (anon, "<not set>"))
    return bad.assign(message=msg, evidence=ev)[_POD_KEYS + ["message", "evidence"]]


@check(
    "authn-token-file",
    practice=2,
    severity="high",
    on="apiserver",
    fires_on="apiserver",
    needs_apiserver=True,
    title="API server accepts static bearer tokens from a file",
    why="Tokens listed in --token-auth-file never expire, sit in clear text on every control-plane node, "
    "and can only be changed or revoked by editing the file and restarting the API server. A token "
    "copied once (from a backup, a node image, a CI log) keeps working for as long as the file does.",
    remediation="Move people to an identity provider (OIDC or an authentication webhook) and workloads to "
    "service account tokens, then remove the flag from the kube-apiserver manifest:\n\n"
    "```yaml\n    # delete this line\n    - --token-auth-file=/etc/kubernetes/tokens.csv\n```",
    references=[NSA_CISA, K8S_AUTHN + "#static-token-file", K8S_APISERVER],
    controls={"cis": ["1.2.2"], "nsa": ["authn.authentication"], "mitre": ["T1078", "T1110"]},
    fix=apiserver_flag(
        "--oidc-issuer-url=https://issuer.example.com",
        "delete the --token-auth-file line; people sign in through the identity provider",
    ),
)
def authn_token_file(apiserver: pd.DataFrame) -> pd.DataFrame:
    return _flag_set(apiserver, "token-auth-file", " reads static bearer tokens from ")


def _flag_set(apiserver: pd.DataFrame, flag: str, says: str) -> pd.DataFrame:
    """One row per kube-apiserver pod that sets ``--flag``: "kube-apiserver on NODE{says}{value}"."""
    f = apiserver_flags(apiserver, flag)
    bad = f[f[flag].notna()]
    msg = concat(_on_node(bad), says, bad[flag])
    return bad.assign(message=msg, evidence=concat(f"--{flag}=", bad[flag]))[_POD_KEYS + ["message", "evidence"]]


@check(
    "authn-basic-auth-file",
    practice=2,
    severity="high",
    on="apiserver",
    fires_on="apiserver",
    needs_apiserver=True,
    title="API server accepts passwords from a basic-auth file",
    why="--basic-auth-file lets clients log in with a user name and password kept in clear text on the "
    "control-plane nodes and sent with every request; the passwords never expire and cannot be "
    "revoked without a restart. The flag was removed in Kubernetes 1.19, so a manifest still carrying "
    "it also means a control plane that is several years out of support.",
    remediation="Remove `--basic-auth-file` from the kube-apiserver manifest, move people to an identity "
    "provider (OIDC or an authentication webhook), and upgrade the control plane to a supported "
    "Kubernetes version.",
    references=[
        (
            "CIS Kubernetes Benchmark v1.5.1 1.2.2 (--basic-auth-file; the flag was removed in "
            "Kubernetes 1.19: no v1.12.0 control)"
        ),
        NSA_CISA,
        K8S_AUTHN,
        "Kubernetes 1.19 release notes (basic authentication removed): "
        "https://github.com/kubernetes/kubernetes/blob/master/CHANGELOG/CHANGELOG-1.19.md",
    ],
    controls={"nsa": ["authn.authentication"], "mitre": ["T1078", "T1110"]},
    fix=apiserver_flag("--oidc-issuer-url=https://issuer.example.com", "delete the --basic-auth-file line"),
)
def authn_basic_auth_file(apiserver: pd.DataFrame) -> pd.DataFrame:
    return _flag_set(apiserver, "basic-auth-file", " accepts passwords from ")


@check(
    "authn-no-external-idp",
    practice=2,
    severity="medium",
    on="apiserver",
    fires_on="apiserver",
    needs_apiserver=True,
    title="No identity provider configured for people",
    why="Without OIDC, an authentication webhook or a structured authentication configuration, people "
    "authenticate with client certificates or static tokens. Kubernetes cannot revoke a client "
    "certificate: a leaked admin kubeconfig stays valid until the certificate expires, usually a "
    "year, and group membership baked into a certificate cannot be taken away. There is no MFA, no "
    "central off-boarding and no single place to see who has access.",
    remediation="Configure an identity provider, either with flags:\n\n```yaml\n"
    "    - --oidc-issuer-url=https://login.example.com\n"
    "    - --oidc-client-id=kubernetes\n"
    "    - --oidc-username-claim=email\n"
    "    - --oidc-groups-claim=groups\n```\n\n"
    "or, on Kubernetes 1.30+, with `--authentication-config=/etc/kubernetes/authn.yaml` (a "
    "structured AuthenticationConfiguration with one or more JWT issuers), or with "
    "`--authentication-token-webhook-config-file`. Keep client certificates for break-glass "
    "and components only.",
    references=[NSA_CISA, K8S_AUTHN + "#openid-connect-tokens", K8S_AUTHN + "#webhook-token-authentication"],
    controls={"cis": ["3.1.1", "3.1.2"], "nsa": ["authn.authentication"], "mitre": ["T1078"]},
    fix=apiserver_flag(
        "--oidc-issuer-url=https://issuer.example.com",
        "also --oidc-client-id, --oidc-username-claim=email, --oidc-groups-claim=groups",
    ),
)
def authn_no_external_idp(apiserver: pd.DataFrame) -> pd.DataFrame:
    idp = ("oidc-issuer-url", "authentication-token-webhook-config-file", "authentication-config")
    f = apiserver_flags(apiserver, *idp)
    bad = f[~f[list(idp)].notna().any(axis=1)]
    msg = concat(
        _on_node(bad),
        " has no OIDC issuer, authentication webhook or "
        "--authentication-config: people can only sign in with client certificates or static tokens",
    )
    ev = "not set: " + ", ".join("--" + x for x in idp)
    return bad.assign(message=msg, evidence=ev)[_POD_KEYS + ["message", "evidence"]]


@check(
    "authn-kubeconfig-static",
    practice=2,
    severity="medium",
    on="kubeconfig_users",
    fires_on="kubeconfig user",
    title="Kubeconfig user holds a long-lived credential",
    why="A kubeconfig that embeds a bearer token, a password or a client key is a credential file: copied "
    "from a laptop, a CI variable or a backup, it works from anywhere until the token is deleted or "
    "the certificate expires, and Kubernetes cannot revoke a client certificate at all. An exec "
    "plugin or auth provider fetches short-lived tokens from an identity provider instead.",
    remediation="Replace the static credential with an exec credential plugin that obtains short-lived "
    "tokens, for example:\n\n```yaml\nusers:\n  - name: alice\n    user:\n      exec:\n"
    "        apiVersion: client.authentication.k8s.io/v1\n        command: kubectl\n"
    "        args: [oidc-login, get-token, --oidc-issuer-url=https://login.example.com,\n"
    "               --oidc-client-id=kubernetes]\n```\n\n(cloud clusters: `aws eks "
    "get-token`, `gke-gcloud-auth-plugin`, `kubelogin`). Then revoke what was embedded: delete "
    "the token's Secret or entry, or rotate the CA / stop trusting the certificate's group.",
    references=[
        NSA_CISA,
        "Kubernetes docs, client-go credential plugins: "
        "https://kubernetes.io/docs/reference/access-authn-authz/authentication/"
        "#client-go-credential-plugins",
    ],
    controls={
        "cis": ["3.1.1", "3.1.2"],
        "nsa": ["authn.authentication", "net.kubeconfig"],
        "mitre": ["T1552.001", "T1078"],
    },
    fix=_kubeconfig_fix,
)
def authn_kubeconfig_static(kubeconfig_users: pd.DataFrame) -> pd.DataFrame:
    k = kubeconfig_users
    at = pa.array(np.flatnonzero(k["static_credential"].to_numpy(dtype=bool, na_value=False)))
    user, auth, source = (as_text(k[c]).take(at) for c in ("user", "auth_type", "source"))
    ctx = pc.fill_null(as_text(k["context"]).take(at), "(no context)")
    uid = group_codes([user])
    first = pa.array(first_of_groups(uid))
    n = len(first)
    ev = concat_text("user ", (user, "?"), " auth=", (auth, "?"), " context=", ctx, " in ", (source, "?"))
    kinds = joined_per_group(uid, auth, ", ", n)
    for word, text in _CREDENTIAL_WORDS:
        kinds = pc.replace_substring(kinds, word, text)
    name = user.take(first)
    message = concat_text(
        "kubeconfig user `",
        (name, "?"),
        "` authenticates with ",
        kinds,
        " (contexts: ",
        joined_per_group(uid, ctx, ", ", n),
        ")",
    )
    out = {"kind": pa.array(["KubeconfigUser"] * n, TEXT), "namespace": pa.nulls(n, TEXT), "name": name}
    out.update(message=message, evidence=joined_per_group(uid, ev, "; ", n))
    return pd.DataFrame({c: string(v) for c, v in out.items()}, copy=False)


#: the auth types of the kubeconfig_users frame in words, replaced in this order
_CREDENTIAL_WORDS = (
    ("client_key_data", "an embedded client key"),
    ("basic_auth", "a password"),
    ("token", "a bearer token"),
)


def _static_pod(workloads: pd.DataFrame) -> np.ndarray[Any, Any]:
    """Static pods (a kubelet mirror pod, or a kubeadm control-plane manifest): they never get a token."""
    out = np.zeros(len(workloads), dtype=bool)
    pods = np.flatnonzero(workloads["kind"].eq("Pod").to_numpy(dtype=bool, na_value=False))
    system = workloads["namespace"].eq("kube-system").to_numpy(dtype=bool, na_value=False)[pods]
    annotations, labels = (workloads[c].to_numpy(dtype=object)[pods] for c in ("annotations", "labels"))
    for i, a, x, sys_ns in zip(pods, annotations, labels, system):
        mirror = any(k in (a or {}) for k in _STATIC_POD_ANNOTATIONS)
        out[i] = mirror or (sys_ns and (x or {}).get("tier") == "control-plane")
    return out


@check(
    "authn-sa-token-automount",
    practice=2,
    severity="low",
    on="workloads",
    fires_on="workload",
    title="Service account token mounted into pods that may not need it",
    why="Unless told otherwise, every pod gets a token for its service account at "
    "/var/run/secrets/kubernetes.io/serviceaccount. Most applications never call the Kubernetes API, "
    "but anyone who gets code execution in the pod (an RCE, a malicious dependency) can read the token "
    "and act with the account's RBAC permissions, or probe the API for misconfigurations.",
    remediation="Turn automounting off on the ServiceAccount, and on the pod template of workloads that do "
    "not call the API (the pod field wins over the ServiceAccount's):\n\n```yaml\n"
    "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web\n"
    "automountServiceAccountToken: false\n---\n# in the pod template\nspec:\n"
    "  serviceAccountName: web\n  automountServiceAccountToken: false\n```\n\n"
    "Workloads that do need the API: give them their own ServiceAccount with a minimal Role "
    "and keep automounting on for those only.",
    references=[NSA_CISA, K8S_SA_CONFIG],
    controls={"cis": ["5.1.5", "5.1.6"], "nsa": ["pod.sa-tokens"], "mitre": ["T1528"]},
    fix=lambda c: c.pod({"automountServiceAccountToken": False}),
)
def authn_sa_token_automount(workloads: pd.DataFrame, rbac: pd.DataFrame) -> pd.DataFrame:
    bad = workloads[workloads["automount_sa_token"].to_numpy(dtype=bool, na_value=False) & ~_static_pod(workloads)]
    ns, sa = as_text(bad["namespace"]), pc.fill_null(as_text(bad["service_account"]), "default")
    sa_ref = concat_text("ServiceAccount ", (ns, ""), "/", sa)
    source = as_text(bad["automount_source"])
    # as Series.mask has it: a missing source counts as a match (the later one wins)
    pod, by_sa = (pc.fill_null(pc.equal(source, s), True) for s in ("pod", "service_account"))

    def said(by_account: str, by_pod: str, neither: tuple[str, str]) -> pa.Array:
        default = concat_text(neither[0], sa_ref, neither[1])
        return pc.if_else(by_sa, concat_text(sa_ref, by_account), pc.if_else(pod, by_pod, default))

    why = said(
        " sets automountServiceAccountToken: true",
        "the pod sets automountServiceAccountToken: true",
        ("neither the pod nor ", " sets automountServiceAccountToken (default true)"),
    )
    ev = said(
        " automountServiceAccountToken=true",
        "pod spec automountServiceAccountToken=true",
        ("automountServiceAccountToken not set on the pod nor on ", ""),
    )
    # what the token is worth: the roles bound to the account
    roles = _bound_roles(rbac, concat_text((ns, ""), "/", sa))
    bound = (concat_text("; the account is bound to ", roles), "")
    parts = (bad["kind"], " `", bad["name"], "` runs with the API token of service account `", sa, "` mounted: ")
    msg = concat(*parts, why, bound)
    return rows(bad, msg, pd.Series(string(ev), index=bad.index))


def _bound_roles(rbac: pd.DataFrame, accounts: pa.Array) -> pa.Array:
    """Per service account (``namespace/name`` of ``accounts``): the roles bound to it, distinct and joined in
    order of appearance (none: missing)."""
    at = pa.array(np.flatnonzero(rbac["subject_kind"].eq("ServiceAccount").to_numpy(dtype=bool, na_value=False)))
    keys = concat_text((as_text(rbac["subject_namespace"]).take(at), ""), "/", (as_text(rbac["subject"]).take(at), ""))
    group = group_codes([keys])
    roles = joined_per_group(group, grants(rbac).role.take(at), ", ", int(group.max()) + 1 if len(at) else 0)
    return roles.take(pc.index_in(accounts, value_set=pc.unique(keys)))  # accounts in order of appearance


@check(
    "authn-legacy-sa-token-secret",
    practice=2,
    severity="medium",
    on="secrets",
    fires_on="Secret",
    title="Long-lived service account token stored in a Secret",
    why="A Secret of type kubernetes.io/service-account-token holds a token that never expires and is not "
    "bound to a pod: whoever can read the Secret, or finds it in a backup or a leaked manifest, can act "
    "as the service account for as long as the Secret exists. Since Kubernetes 1.24 pods get "
    "short-lived, audience-bound tokens through the TokenRequest API instead.",
    remediation="Delete the Secret once nothing uses it (Kubernetes 1.29+ labels unused ones with "
    "`kubernetes.io/legacy-token-last-used` and can clean them up). Workloads get projected "
    "tokens automatically; an external system that needs a token should request a short-lived "
    "one:\n\n```sh\nkubectl create token <service-account> --duration=1h\n```",
    references=[
        NSA_CISA,
        K8S_SA_ADMIN + "#manual-secret-management-for-serviceaccounts",
        "Kubernetes docs, Legacy service account token cleaner: "
        "https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/"
        "#legacy-serviceaccount-token-cleaner",
    ],
    controls={"cis": ["5.1.6"], "nsa": ["pod.sa-tokens"], "mitre": ["T1528", "T1550.001"]},
    fix=comment(
        "kubectl -n {c.ns} delete secret {c.name}",
        "where a token is needed: kubectl create token <service-account> --duration=1h",
    ),
)
def authn_legacy_sa_token_secret(secrets: pd.DataFrame) -> pd.DataFrame:
    bad = secrets[secrets["is_sa_token"]]
    sa = bad["service_account"].fillna("?")
    msg = "Secret `" + bad["name"] + "` holds a long-lived token of service account `" + sa + "`"
    typ = ("type=" + bad["type"]).where(bad["type"].notna(), "type not listed (metadata only)")
    ev = typ + "; annotation kubernetes.io/service-account.name=" + sa
    return bad.assign(kind="Secret", message=msg, evidence=ev)[_POD_KEYS + ["message", "evidence"]]
