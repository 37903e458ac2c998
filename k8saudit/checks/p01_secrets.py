"""Practice 1: secrets are not passed in environment variables.

Environment variables are the leakiest place for a credential: every process of
the container inherits them, ``/proc/<pid>/environ`` exposes them to anyone who
can exec in or read the node, crash reporters and debug endpoints dump them, and
a literal value sits in the workload's manifest (in Git, in etcd, readable by
every role that may ``get`` Deployments). Mounted Secret files, or a CSI secret
store, avoid all of that.

One finding per (workload, container): several offending variables of one
container are listed in one message. Values never appear: literal credentials
are masked in the frames already (``<masked: N chars>``) and stay masked here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._arrow import TEXT, as_text, string
from .._normalize import MASK_PREFIX
from ._common import (
    concat_text,
    first_of_groups,
    group_codes,
    joined_per_group,
    pod_note_text,
    shared,
    truthy,
    who_text,
)
from ._fix import PLURAL, FixContext, comment, dump, nest, pod_path
from ._registry import NSA_CISA, check

K8S_SECRETS_GOOD = (
    "Kubernetes docs, Good practices for Secrets: https://kubernetes.io/docs/concepts/security/secrets-good-practices/"
)
K8S_SECRET_FILES = (
    "Kubernetes docs, Using Secrets as files from a Pod: "
    "https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-files-from-a-pod"
)

_CONTAINER_KEYS = ["kind", "namespace", "name", "container"]

_MOUNT_AS_FILE = """Mount the Secret as a file and have the application read it from there:

```yaml
spec:
  containers:
    - name: api
      volumeMounts:
        - name: stripe
          mountPath: /var/run/secrets/stripe
          readOnly: true
  volumes:
    - name: stripe
      secret:
        secretName: stripe
        defaultMode: 0400
```

If the application only reads environment variables, point it at a file
(many support `*_FILE` variables, e.g. `STRIPE_API_KEY_FILE=/var/run/secrets/stripe/key`),
or fetch the secret at start-up from a secret store (Secrets Store CSI driver,
Vault agent)."""


def _masked(values: pd.Series | pa.Array) -> pa.Array:
    """Values as shown in findings: masked whatever the frame holds (defence in depth)."""
    v = pc.fill_null(values if isinstance(values, pa.Array) else as_text(values), "")
    length = pc.cast(pc.utf8_length(v), TEXT)
    return pc.if_else(pc.starts_with(v, MASK_PREFIX), v, concat_text(MASK_PREFIX + " ", length, " chars>"))


def _env_rows(env: pd.DataFrame, source: str, *columns: str, also: Any = True) -> dict[str, pa.Array]:
    """The keys and ``columns`` (Arrow text) of the rows of ``env`` whose ``source`` is ``source`` (and where
    ``also`` holds): each env check reads a few columns of a few rows of a large frame. The rows of each source
    are found once per audit."""
    codes, sources = shared("env_sources", (env,), lambda: pd.factorize(env["source"]))
    at = list(sources).index(source) if source in list(sources) else -2
    keep = pa.array(np.flatnonzero((codes == at) & also))
    return {c: as_text(env[c]).take(keep) for c in [*_CONTAINER_KEYS, "container_type", "pod", *columns]}


def _per_container(rows: dict[str, pa.Array], item: pa.Array, evidence: pa.Array, verb: str) -> pd.DataFrame:
    """One row per container: ``<type> `name` <verb> item1, item2`` and the evidence joined."""
    gid = group_codes([rows[k] for k in _CONTAINER_KEYS])
    first = pa.array(first_of_groups(gid))
    n = len(first)
    out = {k: rows[k].take(first) for k in _CONTAINER_KEYS}
    who = who_text(rows["container_type"].take(first), out["container"])
    out["message"] = concat_text(who, " " + verb + " ", joined_per_group(gid, item, ", ", n))
    out["evidence"] = joined_per_group(gid, evidence, "; ", n)
    return pd.DataFrame({k: string(v) for k, v in out.items()}, copy=False)


def _secrets_fix(c: FixContext) -> str:
    """Mount the Secret as files instead (for a literal: first a Secret to hold it, the old value rotated)."""
    names: list[str] = []
    env_vars: list[str] = []
    rows = c.rows("env")
    if len(rows):
        refs = rows[rows["source"].isin(["secret_key_ref", "env_from_secret"]).fillna(False).astype(bool)]
        names = sorted({str(x) for x in refs["secret_name"].dropna()})
        env_vars = [str(v) for v in refs["var"] if v]
    if c.check == "secret-env-literal":
        var = str(c.f.get("evidence") or "").replace("env ", "").split("=")[0] or "<VAR>"
        secret = f"{c.name}-credentials"
        new = dump(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": secret, "namespace": c.ns},
                "type": "Opaque",
                "stringData": {var.lower(): "<from your secret store; rotate the old value>"},
            }
        )
        names, env_vars = [secret], [var]
        ns = f" -n {c.ns}" if c.ns else ""
        pre = (
            f"# 1. create the Secret (kubectl apply), rotating the leaked value:\n{new}---\n"
            f"# 2. mount it: kubectl{ns} patch {PLURAL.get(c.kind, c.kind.lower())} {c.name} --patch-file fix.yaml\n"
        )
    else:
        pre = ""
    names = names or ["<secret-name>"]
    mounts = [{"name": f"secret-{n}", "mountPath": f"/etc/secrets/{n}", "readOnly": True} for n in names]
    volumes = [{"name": f"secret-{n}", "secret": {"secretName": n}} for n in names]
    drop = (
        f"# remove from env/envFrom: {', '.join(env_vars) or 'the envFrom secretRef'}; the app reads "
        f"/etc/secrets/<secret>/<key> instead\n"
    )
    return (
        c.header(how="" if pre else None)
        + pre
        + drop
        + dump(
            nest(
                pod_path(c.kind),
                {c.list_key: [{"name": c.container or "<container>", "volumeMounts": mounts}], "volumes": volumes},
            )
        )
    )


@check(
    "secret-env-ref",
    practice=1,
    severity="low",
    on="containers",
    fires_on="container",
    title="Secret passed to a container as an environment variable",
    why="A Secret read through `valueFrom.secretKeyRef` ends up in the process environment: every child "
    "process inherits it, it can be read from /proc/<pid>/environ by anyone who can exec into the "
    "container or read the node, and crash dumps, debug pages and `env` in a support session print it. "
    "Unlike a mounted file, it is never refreshed when the Secret rotates, so rotation needs a restart "
    "and old values linger.",
    remediation=_MOUNT_AS_FILE,
    references=[NSA_CISA, K8S_SECRETS_GOOD, K8S_SECRET_FILES],
    controls={"cis": ["5.4.1"], "nsa": ["net.secrets"], "mitre": ["T1552.007"]},
    fix=_secrets_fix,
)
def secret_env_ref(containers: pd.DataFrame, env: pd.DataFrame) -> pd.DataFrame:
    rows = _env_rows(env, "secret_key_ref", "var", "secret_name", "secret_key")
    var, secret, note = rows["var"], (rows["secret_name"], "?"), pod_note_text(rows["pod"])
    item = concat_text(var, " from Secret ", (rows["namespace"], ""), "/", secret)
    ev = concat_text("env ", var, " valueFrom.secretKeyRef=", secret, "/", (rows["secret_key"], "?"), note)
    return _per_container(rows, item, ev, "reads")


@check(
    "secret-envfrom",
    practice=1,
    severity="medium",
    on="containers",
    fires_on="container",
    title="Whole Secret loaded into a container's environment with envFrom",
    why="`envFrom.secretRef` copies every key of the Secret into the environment, including keys added later "
    "for other consumers, and the pod spec does not say which variables hold credentials. Everything "
    "said about secrets in environment variables applies, to the whole Secret at once.",
    remediation="Replace `envFrom: [{secretRef: ...}]` with a Secret volume mounted read-only "
    "(see below), or at least with `valueFrom.secretKeyRef` for the one key the container "
    "needs.\n\n" + _MOUNT_AS_FILE,
    references=[NSA_CISA, K8S_SECRETS_GOOD, K8S_SECRET_FILES],
    controls={"cis": ["5.4.1"], "nsa": ["net.secrets"], "mitre": ["T1552.007"]},
    fix=_secrets_fix,
)
def secret_envfrom(containers: pd.DataFrame, env: pd.DataFrame) -> pd.DataFrame:
    rows = _env_rows(env, "env_from_secret", "var", "secret_name")
    prefix = pc.fill_null(rows["var"], "")
    none = pc.equal(prefix, "")
    with_prefix = pc.if_else(none, "", concat_text(" (prefix ", prefix, ")"))
    item = concat_text("Secret ", (rows["namespace"], ""), "/", (rows["secret_name"], "?"), with_prefix)
    note = pod_note_text(rows["pod"])
    ev = concat_text(
        "envFrom.secretRef=", (rows["secret_name"], "?"), pc.if_else(none, "", concat_text(" prefix=", prefix)), note
    )
    return _per_container(rows, item, ev, "loads every key into its environment from")


@check(
    "secret-env-literal",
    practice=1,
    severity="high",
    on="containers",
    fires_on="container",
    title="Credential written literally in a container's environment",
    why="A password, token or key written as `env[].value` is stored in the workload object itself: in "
    "the Git repository and Helm values it came from, in etcd without Secret encryption at rest, in "
    "`kubectl get -o yaml` output, and readable by every role allowed to get Deployments or Pods (the "
    "built-in `view` role included), which is far wider than who may read Secrets.",
    remediation="Move the value into a Secret (created out of band or by an external-secrets operator), "
    "rotate it since it has been exposed, and mount the Secret as a file:\n\n" + _MOUNT_AS_FILE,
    references=[
        NSA_CISA,
        K8S_SECRETS_GOOD,
        "Kubernetes docs, Secrets: https://kubernetes.io/docs/concepts/configuration/secret/",
    ],
    controls={"cis": ["5.4.1"], "nsa": ["net.secrets"], "mitre": ["T1552.007"]},
    fix=_secrets_fix,
)
def secret_env_literal(containers: pd.DataFrame, env: pd.DataFrame) -> pd.DataFrame:
    value = env["value"].fillna("")
    credential = (env["looks_like_credential"] & (value != "")).to_numpy(dtype=bool, na_value=False)
    rows = _env_rows(env, "literal", "var", "value", also=credential)
    var, shown = rows["var"], _masked(rows["value"])
    item = concat_text(var, " (", shown, ")")
    ev = concat_text("env ", var, "=", shown, pod_note_text(rows["pod"]))
    return _per_container(rows, item, ev, "sets a literal credential in")


@check(
    "secret-configmap-credential",
    practice=1,
    severity="high",
    on="config_maps",
    fires_on="ConfigMap",
    title="Credential stored in a ConfigMap",
    why="ConfigMaps are meant to be read widely: the built-in `view` role can read them but not Secrets, "
    "encryption at rest is usually configured for Secrets only, and dashboards and `kubectl describe` "
    "print ConfigMap values in full. A password or token under a ConfigMap key is readable by everyone "
    "who can look at the namespace, and any pod that loads the ConfigMap with envFrom puts it in its "
    "environment.",
    remediation="Move the key into a Secret (and rotate the credential, it has been exposed), then mount "
    "that Secret as a file:\n\n```yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: "
    "app-db\ntype: Opaque\nstringData:\n  password: <from your secret store>\n```\n\nRemove the "
    "key from the ConfigMap.",
    references=[
        NSA_CISA,
        K8S_SECRETS_GOOD,
        "Kubernetes docs, ConfigMaps: https://kubernetes.io/docs/concepts/configuration/configmap/",
    ],
    controls={"nsa": ["net.secrets"], "mitre": ["T1552.001", "T1552.007"]},
    fix=comment(
        "move the key into a Secret (rotate the value: it has been exposed), mount that Secret as a file,",
        "then remove the key: kubectl -n {c.ns} edit configmap {c.name}",
    ),
)
def secret_configmap_credential(config_maps: pd.DataFrame) -> pd.DataFrame:
    whole_s = config_maps["looks_like_credential"] & (config_maps["value_length"].fillna(0) > 0)
    whole = whole_s.to_numpy(dtype=bool, na_value=False)
    sel = np.flatnonzero(whole | truthy(config_maps["credential_lines"]))
    at = pa.array(sel)
    key, value = as_text(config_maps["key"]).take(at), as_text(config_maps["value"]).take(at)
    shown = _masked(value)
    lines = pa.array(["; ".join(ls or ()) for ls in config_maps["credential_lines"].to_numpy(dtype=object)[sel]], TEXT)
    is_whole = pa.array(whole[sel])
    item = pc.if_else(is_whole, concat_text(key, " (", shown, ")"), concat_text(key, " (", lines, ")"))
    ev = pc.if_else(is_whole, concat_text("data.", key, "=", shown), concat_text("data.", key, ": ", lines))
    names = {c: as_text(config_maps[c]).take(at) for c in ("namespace", "name")}
    gid = group_codes(list(names.values()))
    first = pa.array(first_of_groups(gid))
    n = len(first)
    noun = pa.array(np.where(np.bincount(gid, minlength=n) > 1, "keys", "key"), TEXT)
    items = joined_per_group(gid, item, ", ", n)
    name = names["name"].take(first)
    message = concat_text("ConfigMap `", name, "` holds credentials under ", noun, " ", items)
    out = {"kind": pa.array(["ConfigMap"] * n, TEXT), "namespace": names["namespace"].take(first), "name": name}
    out.update(message=message, evidence=joined_per_group(gid, ev, "; ", n))
    return pd.DataFrame({k: string(v) for k, v in out.items()}, copy=False)
