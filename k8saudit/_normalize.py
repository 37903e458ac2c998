"""The one normaliser every source goes through before an object is kept.

- Secrets lose their values (keys and type stay).
- ConfigMap values under credential-looking keys are masked.
- Literal env values of credential-looking variables are masked.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from . import _model as m

#: a name that looks like it holds a credential (env var or ConfigMap key)
CREDENTIAL_NAME = re.compile(
    r"(PASSW(OR)?D|PASSPHRASE|SECRET|TOKEN|API[_-]?KEY|APIKEY|ACCESS[_-]?KEY|PRIVATE[_-]?KEY|"
    r"CREDENTIAL|AUTH[_-]?KEY|CLIENT[_-]?SECRET|CONN(ECTION)?[_-]?STRING|DSN|SIGNING[_-]?KEY|"
    r"ENCRYPTION[_-]?KEY|SESSION[_-]?KEY|PWD$|^PWD|_PW$)",
    re.IGNORECASE,
)

#: names that match the pattern but never hold a credential
_NOT_CREDENTIAL = re.compile(
    r"(_FILE|_PATH|_DIR|_NAME|_REF|_URL_PATH|_TTL|_EXPIRY|_EXPIRES|_TIMEOUT|_HEADER|_ENABLED|"
    r"_LENGTH|_TYPE|_MOUNT)$",
    re.IGNORECASE,
)

MASK_PREFIX = "<masked:"

#: an env value that only references another variable
_VAR_REF = re.compile(r"\$\([A-Za-z_][A-Za-z0-9_.-]*\)")

#: a password inside a URL (postgres://user:password@host)
_URL_CRED = re.compile(r"(://[^/\s:@]+:)([^@\s/]+)@")


_cred_cache: dict[str, bool] = {}


def looks_like_credential(name: str | None) -> bool:
    """True when a variable or key name suggests it holds a credential."""
    if not name:
        return False
    got = _cred_cache.get(name)
    if got is None:
        got = bool(CREDENTIAL_NAME.search(name)) and not _NOT_CREDENTIAL.search(name)
        if len(_cred_cache) < 100_000:
            _cred_cache[name] = got
    return got


def mask(value: Any) -> str:
    """Replace a credential value with a marker that keeps only its length."""
    text = "" if value is None else str(value)
    if text == "" or text.startswith(MASK_PREFIX):
        return text
    return f"{MASK_PREFIX} {len(text)} chars>"


def _mask_containers(spec: m.PodSpec | None) -> None:
    if spec is None:
        return
    cache = _cred_cache
    for group in (spec.containers, spec.init_containers, spec.ephemeral_containers):
        if not group:
            continue
        for c in group:
            env = c.env
            if not env:
                continue
            for e in env:
                v = e.value
                if v is None or v == "":
                    continue
                cred = cache.get(e.name)
                if cred is None:
                    cred = looks_like_credential(e.name)
                if cred and isinstance(v, str) and _VAR_REF.fullmatch(v):
                    continue  # "$(OTHER_VAR)": a reference to another variable, not a literal
                if cred:
                    e.value = mask(v)
                elif isinstance(v, str) and "@" in v and _URL_CRED.search(v):
                    e.value = _URL_CRED.sub(lambda mt: mt.group(1) + mask(mt.group(2)) + "@", v)


def normalize(obj: Any) -> Any:
    """Apply the secret rules to one decoded object, in place; returns it."""
    if isinstance(obj, m.Secret):
        keys: set[str] = set(obj.data_keys or ())
        keys.update(obj.data or ())
        keys.update(obj.string_data or ())
        obj.data_keys = sorted(keys) if keys else obj.data_keys
        obj.data = None
        obj.string_data = None
    elif isinstance(obj, m.ConfigMap):
        if obj.data:
            for key, value in obj.data.items():
                if value and looks_like_credential(key):
                    obj.data[key] = mask(value)
        if obj.binary_data:
            obj.binary_data_keys = sorted(obj.binary_data)
            obj.binary_data = None
    else:
        tpl = m.pod_template(obj) if isinstance(obj, m.K8sObject) else None
        if tpl is not None:
            _mask_containers(tpl.spec)
    return obj


def convert(doc: dict[str, Any]) -> Any:
    """Turn one decoded document (a dict with ``kind``) into its typed object.

    Raises :class:`msgspec.ValidationError` with the path of the offending field.
    """
    kind = doc.get("kind")
    cls = m.KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        return normalize(msgspec.convert(doc, m.Generic, strict=False))
    return normalize(msgspec.convert(doc, cls, strict=False))
