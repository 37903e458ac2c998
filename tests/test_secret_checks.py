"""The checks over the ``env`` frame (``secret-env-ref``, ``secret-envfrom``, ``secret-env-literal``), whose texts
are written once per distinct tuple of values, against their row-by-row definitions: one finding per container
(kind, namespace, name, container; a missing value is one value), its items and evidence joined in order of
appearance, without repeats or empty texts."""

from __future__ import annotations

from typing import Any

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from k8saudit._normalize import MASK_PREFIX
from k8saudit.checks.p01_secrets import secret_configmap_credential, secret_env_literal, secret_env_ref, secret_envfrom

WORD = {"container": "container", "init": "init container", "ephemeral": "ephemeral container"}
COLUMNS = ["kind", "namespace", "name", "container", "container_type", "pod", "var", "source", "value"]
COLUMNS += ["looks_like_credential", "secret_name", "secret_key"]

ROW = st.tuples(
    st.sampled_from(["Deployment", "Job"]),
    st.sampled_from(["a", "b", None]),  # namespaces: equal names in two of them are two objects
    st.sampled_from(["w", "v"]),
    st.sampled_from(["app", "side", None]),
    st.sampled_from(["container", "init", "ephemeral", None]),
    st.sampled_from([None, "w-1", "w-5d8/w-5d8-x"]),  # a pod that differs, an older revision's
    st.sampled_from(["TOKEN", "DB_PASSWORD", "", None]),
    st.sampled_from(["secret_key_ref", "env_from_secret", "literal", "field_ref", None]),
    st.sampled_from(["s3cr3t", "", None, MASK_PREFIX + " 6 chars>", "ünïcode"]),
    st.booleans(),
    st.sampled_from(["db", "api", None]),
    st.sampled_from(["password", None]),
)


def _env(recs: list[tuple[Any, ...]]) -> pd.DataFrame:
    df = pd.DataFrame({c: pd.Series([r[i] for r in recs], dtype="string") for i, c in enumerate(COLUMNS)})
    df["looks_like_credential"] = pd.Series([r[9] for r in recs], dtype=bool)
    return df


def _or(v: Any, missing: str) -> str:
    return missing if v is None else v


def _note(pod: Any) -> str:
    if pod is None:
        return ""
    where = f"older revision {pod}" if "/" in pod else f"pod `{pod}`"
    return f" (seen in {where}, which differs from the template)"


def _masked(v: Any) -> str:
    v = "" if v is None else v
    return v if v.startswith(MASK_PREFIX) else f"{MASK_PREFIX} {len(v)} chars>"


def _definition(recs: list[tuple[Any, ...]], source: str, verb: str) -> list[tuple[Any, ...]]:
    groups: dict[tuple[Any, ...], tuple[Any, list[Any], list[Any]]] = {}
    for kind, ns, name, cont, ctype, pod, var, src, value, cred, secret, key in recs:
        if src != source:
            continue
        if source == "secret_key_ref":
            item = None if var is None else f"{var} from Secret {_or(ns, '')}/{_or(secret, '?')}"
            ev = None if var is None else f"env {var} valueFrom.secretKeyRef={_or(secret, '?')}/{_or(key, '?')}"
        elif source == "env_from_secret":
            item = f"Secret {_or(ns, '')}/{_or(secret, '?')}" + (f" (prefix {var})" if var else "")
            ev = f"envFrom.secretRef={_or(secret, '?')}" + (f" prefix={var}" if var else "")
        else:
            if not cred or not value:
                continue
            item = None if var is None else f"{var} ({_masked(value)})"
            ev = None if var is None else f"env {var}={_masked(value)}"
        ev = None if ev is None else ev + _note(pod)
        who = None if cont is None else f"{WORD.get(ctype, 'container')} `{cont}`"
        g = groups.setdefault((kind, ns, name, cont), (who, [], []))
        g[1].append(item)
        g[2].append(ev)
    out = []
    for (kind, ns, name, cont), (who, items, evs) in groups.items():
        item = ", ".join(dict.fromkeys(x for x in items if x))
        ev = "; ".join(dict.fromkeys(x for x in evs if x))
        msg = None if who is None or not item else f"{who} {verb} {item}"
        out.append((kind, ns, name, cont, msg, ev or None))
    return out


@settings(max_examples=150, deadline=None)
@given(st.lists(ROW, max_size=12))
def test_the_env_checks_are_their_row_by_row_definitions(recs: list[tuple[Any, ...]]) -> None:
    env = _env(recs)
    for fn, source, verb in (
        (secret_env_ref, "secret_key_ref", "reads"),
        (secret_envfrom, "env_from_secret", "loads every key into its environment from"),
        (secret_env_literal, "literal", "sets a literal credential in"),
    ):
        got = fn(env.iloc[:0], env)
        rows = [tuple(None if v is pd.NA else v for v in r) for r in got.itertuples(index=False)]
        assert rows == _definition(recs, source, verb), fn.__name__
        assert not any(str(r[5]).find("s3cr3t") >= 0 or str(r[4]).find("s3cr3t") >= 0 for r in rows)


CONFIGMAP_ROW = st.tuples(
    st.sampled_from(["a", "b", None]),  # namespace: equal names in two namespaces are two ConfigMaps
    st.sampled_from(["cm", "other", None]),
    st.sampled_from(["password", "url", "", None]),
    st.booleans(),  # looks_like_credential
    st.sampled_from(["s3cr3t", "", None, MASK_PREFIX + " 6 chars>", "ünïcode"]),
    st.sampled_from([None, 0, 6]),  # value_length
    st.sampled_from([None, [], ["password=<masked: 4 chars>"], ["token=<masked: 2 chars>", "a=<masked: 1 chars>"]]),
)


def _configmap_definition(recs: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    groups: dict[tuple[Any, ...], tuple[list[Any], list[Any], list[int]]] = {}
    for ns, name, key, cred, value, length, lines in recs:
        whole = cred and (length or 0) > 0
        if not (whole or lines):
            continue
        shown, line = _masked(value), "; ".join(lines or ())
        item = None if key is None else f"{key} ({shown if whole else line})"
        ev = None if key is None else (f"data.{key}={shown}" if whole else f"data.{key}: {line}")
        items, evs, count = groups.setdefault((ns, name), ([], [], [0]))
        items.append(item)
        evs.append(ev)
        count[0] += 1
    out = []
    for (ns, name), (items, evs, count) in groups.items():
        joined = ", ".join(dict.fromkeys(x for x in items if x))
        noun = "keys" if count[0] > 1 else "key"
        msg = None if name is None or not joined else f"ConfigMap `{name}` holds credentials under {noun} {joined}"
        out.append(("ConfigMap", ns, name, msg, "; ".join(dict.fromkeys(x for x in evs if x)) or None))
    return out


@settings(max_examples=150, deadline=None)
@given(st.lists(CONFIGMAP_ROW, max_size=10))
def test_the_configmap_check_is_its_row_by_row_definition(recs: list[tuple[Any, ...]]) -> None:
    cols = ["namespace", "name", "key"]
    df = pd.DataFrame({c: pd.Series([r[i] for r in recs], dtype="string") for i, c in enumerate(cols)})
    df["looks_like_credential"] = pd.Series([r[3] for r in recs], dtype=bool)
    df["value"] = pd.Series([r[4] for r in recs], dtype="string")
    df["value_length"] = pd.Series([r[5] for r in recs], dtype="Int64")
    df["credential_lines"] = pd.Series([r[6] for r in recs], dtype=object)
    got = secret_configmap_credential(df)
    rows = [tuple(None if v is pd.NA else v for v in r) for r in got.itertuples(index=False)]
    assert rows == _configmap_definition(recs)
    assert not any("s3cr3t" in str(v) for r in rows for v in r)
