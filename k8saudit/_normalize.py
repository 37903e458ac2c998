"""The one normaliser every source goes through before an object is kept.

One set of rules decides what is a credential (:func:`looks_like_credential` on a
name, :func:`mask_text` inside free text, :func:`mask_args` on a command line);
every place a value can hide applies them:

- Secrets lose their values (keys and type stay).
- ConfigMap values under credential-looking keys are masked; in other values,
  ``password=…`` / ``token: …`` lines (properties, YAML, ini, .env, JSON) keep
  their key and lose their value, and so do URL passwords and PEM private keys.
- Literal env values of credential-looking variables are masked, and so are
  ``key=value`` credentials and URL passwords inside any other literal.
- Container ``command``/``args``: credential flags (``--password=…``,
  ``--token …``) lose their value; ``--token-auth-file=/path`` and other
  ``*-file``/``*-path`` flags keep theirs.
- ``kubectl.kubernetes.io/last-applied-configuration`` (a copy of the whole
  object, on any kind) is parsed and the same rules applied to it; a Secret's
  ``data``/``stringData`` in it are dropped. A blob that cannot be parsed is
  replaced by a note saying so.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from . import _model as m
from ._podspec import TemplateIndex, residual

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
    r"_LENGTH|_TYPE|_MOUNT|_VERSION|_EXPIRATION|_ISSUER|_AUDIENCES?)$",
    re.IGNORECASE,
)

MASK_PREFIX = "<masked:"

#: version of these rules; a saved snapshot written under an older one is normalised again when read
RULES_VERSION = 2

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


#: lower-case fragments of every word :data:`CREDENTIAL_NAME` matches, and of URLs and PEM keys: text with
#: none of them holds no credential (a few substring tests, much cheaper than the full scan)
_HINT = re.compile("pass|secret|token|key|credential|conn|dsn|pwd|_pw|://")


def _hint(text: str) -> bool:
    return _HINT.search(text.lower()) is not None


#: ``key=value``, ``key: value``, ``"key": "value"``, ``--flag=value``, ``--flag value`` (the value follows the match)
_KEY_SEP = re.compile(
    r"""(?<![\w.\-/])(?P<dash>--?)?(?P<q>["']?)(?P<key>[A-Za-z_][\w.\-]*)(?P=q)"""
    r"""(?P<sep>[ \t]*[=:][ \t]*|[ \t]+)"""
)

#: a value that only refers to a variable (``$(X)``, ``${X}``, ``$X``): not a literal
_REF_VALUE = re.compile(r"\$(\([A-Za-z_][\w.-]*\)|\{[A-Za-z_][\w.-]*\}|[A-Za-z_]\w*)")

#: a YAML block scalar indicator: the value is on the lines below
_BLOCK = re.compile(r"[|>][+-]?[0-9]?[+-]?")

#: the body of a PEM private key
_PEM_KEY = re.compile(r"(-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----)(.*?)(-----END [A-Z0-9 ]*PRIVATE KEY-----)", re.DOTALL)

_BOOLEANS = frozenset({"true", "false", "True", "False", "TRUE", "FALSE"})

#: where a value ends when it is not quoted: a shell word, or (``lines=True``) the end of the line
_WORD_END = re.compile(r"[\s;&|)]")


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_key_cache: dict[str, bool] = {}


def credential_key(key: str) -> bool:
    """:func:`looks_like_credential` for a key written in any style: ``--client-secret``, ``db.password``,
    ``clientSecret`` yes; ``--token-auth-file``, ``password-file``, ``secretName``, ``tokenTTL`` no."""
    got = _key_cache.get(key)
    if got is None:
        got = looks_like_credential(_CAMEL.sub("_", key.lstrip("-")).replace("-", "_").replace(".", "_"))
        if len(_key_cache) < 100_000:
            _key_cache[key] = got
    return got


def _value_span(text: str, at: int, lines: bool) -> tuple[int, int] | None:
    """Where the value starting at ``at`` lies (inside its quotes when quoted), or None when there is none."""
    n = len(text)
    if at >= n or text[at] in "\r\n":
        return None
    ref = _REF_VALUE.match(text, at)
    if ref is not None and (ref.end() == n or text[ref.end()] in " \t\r\n;&|\"'"):
        return None  # ``$(DB_PASSWORD)``, ``${TOKEN}``: a reference, not a literal
    q = text[at]
    if q in "\"'":
        close = text.find(q, at + 1)
        eol = text.find("\n", at + 1)
        if close < 0 or (0 <= eol < close):
            close = eol if eol >= 0 else n
        return (at + 1, close) if close > at + 1 else None
    if lines:
        eol = text.find("\n", at)
        end = n if eol < 0 else eol
        while end > at and text[end - 1] in " \t\r":
            end -= 1
    else:
        mt = _WORD_END.search(text, at)
        end = n if mt is None else mt.start()
    return (at, end) if end > at else None


def _masked_spans(text: str, lines: bool) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for mt in _KEY_SEP.finditer(text):
        dash, sep = mt.group("dash"), mt.group("sep")
        if not sep.strip() and not dash:
            continue  # ``word value``: only flags take their value as the next word
        if (
            ":" in sep
            and not sep.endswith((" ", "\t"))
            and not mt.group("q")
            and not (lines and not text[text.rfind("\n", 0, mt.start()) + 1 : mt.start()].strip())
        ):
            continue  # ``image:tag``, ``host:port``; but ``"key":"value"`` and a line ``key:value``
        if not credential_key(mt.group("key")):
            continue
        span = _value_span(text, mt.end(), lines)
        if span is None:
            continue
        value = text[span[0] : span[1]]
        if value.startswith(MASK_PREFIX) or _REF_VALUE.fullmatch(value) or (dash and value in _BOOLEANS):
            continue
        if lines and not dash and ":" in sep and _BLOCK.fullmatch(value):  # ``password: |`` and the lines below
            line_start = text.rfind("\n", 0, mt.start()) + 1
            indent = len(text[line_start : mt.start()]) - len(text[line_start : mt.start()].lstrip(" "))
            pos = text.find("\n", span[1])
            while pos >= 0:
                nxt = text.find("\n", pos + 1)
                line = text[pos + 1 : nxt if nxt >= 0 else len(text)]
                body = line.lstrip(" ")
                if body.strip() and len(line) - len(body) <= indent:
                    break
                if body.strip():
                    spans.append((pos + 1 + len(line) - len(body), pos + 1 + len(line.rstrip())))
                pos = nxt
            continue
        if dash and not sep.strip() and value.startswith("-"):
            continue
        spans.append(span)
    for mt in _URL_CRED.finditer(text):
        spans.append(mt.span(2))
    for mt in _PEM_KEY.finditer(text):
        if mt.group(2).strip() and not mt.group(2).strip().startswith(MASK_PREFIX):
            spans.append(mt.span(2))
    return spans


def mask_text(text: str, *, lines: bool = False) -> str:
    """``text`` with every credential in it masked: the value of ``password=…``, ``token: …``,
    ``"secret": "…"``, ``--api-key=…``/``--api-key …`` (keys as :func:`looks_like_credential` judges
    them), URL passwords and PEM private keys. ``lines=True`` reads it as a config file (a value runs
    to the end of its line; YAML ``key: |`` blocks too); otherwise as a shell line (a value is a word).
    """
    if not text:
        return text
    cache = _text_cache_lines if lines else _text_cache
    got = cache.get(text)
    if got is None:
        got = _mask_text(text, lines) if _hint(text) else text
        if len(text) <= 256 and len(cache) < 100_000:  # short texts repeat (env values); bounded memory
            cache[text] = got
    return got


_text_cache: dict[str, str] = {}
_text_cache_lines: dict[str, str] = {}


def _mask_text(text: str, lines: bool) -> str:
    spans = _masked_spans(text, lines)
    if not spans:
        return text
    out, last = [], 0
    for a, b in sorted(spans):
        if a < last:
            continue  # inside a value already masked
        out.append(text[last:a])
        out.append(mask(text[a:b]))
        last = b
    out.append(text[last:])
    return "".join(out)


_args_cache: dict[tuple[str, ...], list[str] | None] = {}


def mask_args(tokens: list[Any]) -> list[Any] | None:
    """A command line with its credentials masked, or None when nothing needed masking.

    ``--password=x`` and ``--password x`` (two words) lose ``x``; ``--token-auth-file=/path`` keeps its
    path; a shell script passed as one word (``sh -c '…'``) is read with :func:`mask_text`.
    """
    key = tuple(str(t) for t in tokens)
    if key in _args_cache:
        return _args_cache[key]
    out: list[Any] | None = None
    if _hint("\n".join(key)):
        out = list(tokens)
        value_of_flag = False
        for i, t in enumerate(key):
            if value_of_flag:
                value_of_flag = False
                if t and not t.startswith(("-", MASK_PREFIX)) and t not in _BOOLEANS and not _REF_VALUE.fullmatch(t):
                    out[i] = mask(t)
                    continue
            if t.startswith("-") and "=" not in t and " " not in t and credential_key(t):
                value_of_flag = True  # ``--token abc``: the next word is the value
            masked = mask_text(t)
            if masked != t:
                out[i] = masked
        if all(a is b for a, b in zip(out, tokens)):
            out = None
    if len(_args_cache) < 100_000 and sum(map(len, key)) <= 1024:
        _args_cache[key] = out
    return out


def _mask_command(c: Any) -> None:
    """Mask a container's credential flags (``command`` and ``args`` read as one command line)."""
    cmd, args = c.command, c.args
    if not cmd and not args:
        return
    masked = mask_args([*(cmd or ()), *(args or ())])
    if masked is None:
        return
    n = len(cmd or ())
    if cmd:
        c.command = masked[:n]
    if args:
        c.args = masked[n:]


def mask_env_value(name: str | None, value: Any) -> Any:
    """An env literal as kept: masked whole under a credential-looking name, else credentials inside masked."""
    if value is None or value == "":
        return value
    if looks_like_credential(name):
        if isinstance(value, str) and _VAR_REF.fullmatch(value):
            return value  # "$(OTHER_VAR)": a reference to another variable, not a literal
        return mask(value)
    if isinstance(value, str):
        return mask_text(value)
    return value


def mask_config_value(key: str, value: Any) -> Any:
    """A ConfigMap value as kept: masked whole under a credential-looking key, else line by line."""
    if not value:
        return value
    if looks_like_credential(key):
        return mask(value)
    return mask_text(value, lines=True) if isinstance(value, str) else value


def mask_containers(spec: m.PodSpec | None) -> None:
    """Apply the secret rules to every container of a pod spec, in place."""
    if spec is None:
        return
    for group in (spec.containers, spec.init_containers, spec.ephemeral_containers):
        if not group:
            continue
        for c in group:
            mask_container(c)


def mask_container(c: m.Container) -> None:
    """Apply the secret rules to one container, in place (credential flags, env literals)."""
    if c.command or c.args:
        _mask_command(c)
    env = c.env
    if not env:
        return
    cache = _cred_cache
    for e in env:
        v = e.value
        if v is None or v == "":
            continue
        cred = cache.get(e.name)
        if cred is None:
            cred = looks_like_credential(e.name)
        if cred:
            e.value = mask_env_value(e.name, v)
        elif isinstance(v, str):
            masked = mask_text(v)
            if masked is not v:
                e.value = masked


# --------------------------------------------------------------------------- last-applied-configuration

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
#: what replaces a last-applied-configuration that cannot be read (it may hold anything)
LAST_APPLIED_DROPPED = "<dropped: not a readable JSON object, so it could not be masked>"


def _mask_tree(node: Any) -> Any:
    """A parsed manifest with the rules applied (a Secret's values dropped), in place; returns it."""
    if isinstance(node, dict):
        if node.get("kind") == "Secret":
            node.pop("data", None)
            node.pop("stringData", None)
        config_map = node.get("kind") == "ConfigMap"
        if config_map:
            if isinstance(node.get("data"), dict):
                node["data"] = {k: mask_config_value(k, v) for k, v in node["data"].items()}
            if isinstance(node.get("binaryData"), dict):
                node["binaryData"] = {k: mask(v) for k, v in node["binaryData"].items()}
        name = node.get("name")
        for k, v in node.items():
            if isinstance(v, (str, int, float)) and not isinstance(v, bool):
                if k == "value" and isinstance(name, str):  # env vars, and every {name, value} pair
                    node[k] = mask_env_value(name, v)
                elif v != "" and credential_key(k):
                    node[k] = mask(v)
                elif isinstance(v, str):
                    node[k] = mask_text(v, lines="\n" in v)
            elif (k in ("command", "args") and isinstance(v, list)) or (config_map and k in ("data", "binaryData")):
                continue  # done apart
            else:
                _mask_tree(v)
        cmd, args = node.get("command"), node.get("args")
        if isinstance(cmd, list) or isinstance(args, list):
            cmd = cmd if isinstance(cmd, list) else []
            args = args if isinstance(args, list) else []
            masked = mask_args([*cmd, *args])
            if masked is not None:
                if "command" in node:
                    node["command"] = masked[: len(cmd)]
                if "args" in node:
                    node["args"] = masked[len(cmd) :]
    elif isinstance(node, list):
        for i, v in enumerate(node):
            if isinstance(v, str):
                node[i] = mask_text(v, lines="\n" in v)
            else:
                _mask_tree(v)
    return node


def mask_last_applied(blob: str) -> str:
    """A last-applied-configuration with the rules applied, re-encoded; a note when it cannot be parsed."""
    try:
        doc = msgspec.json.decode(blob)
        if not isinstance(doc, dict):
            return LAST_APPLIED_DROPPED
        return msgspec.json.encode(_mask_tree(doc)).decode()
    except (msgspec.DecodeError, RecursionError, TypeError, UnicodeDecodeError):
        return LAST_APPLIED_DROPPED


def mask_metadata(md: m.ObjectMeta | None) -> None:
    """Apply the secret rules to an object's metadata, in place (its last-applied-configuration)."""
    if md is None or not md.annotations:
        return
    ann = md.annotations
    blob = ann.get(LAST_APPLIED)
    if blob is None:
        return
    masked = mask_last_applied(blob) if isinstance(blob, str) else LAST_APPLIED_DROPPED
    if masked != blob:
        md.annotations = {**ann, LAST_APPLIED: masked}  # a new dict: the old one may be shared


def normalize(obj: Any) -> Any:
    """Apply the secret rules to one decoded object, in place; returns it."""
    mask_metadata(obj.metadata)
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
                if value:
                    masked = mask_config_value(key, value)
                    if masked is not value:
                        obj.data[key] = masked
        if obj.binary_data:
            obj.binary_data_keys = sorted(obj.binary_data)
            obj.binary_data = None
    else:
        tpl = m.pod_template(obj) if isinstance(obj, m.K8sObject) else None
        if tpl is not None:
            if tpl.metadata is not obj.metadata:
                mask_metadata(tpl.metadata)
            mask_containers(tpl.spec)
        if isinstance(obj, m.CronJob) and obj.spec is not None and obj.spec.job_template is not None:
            mask_metadata(obj.spec.job_template.metadata)
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


def compact_pods(pods: list[m.Pod], templates: dict[str, TemplateIndex]) -> list[int]:
    """The work of admitting each pod that depends on nothing but the pod and its owner's template, done ahead
    of its turn (in the files loader's workers, or in its own process while they work; ``Snapshot.keep_compacted``
    admits them in order): the secret rules, the namespace defaulted, and compaction against the owner's template
    (``templates``: owner's uid → its template) as ``Snapshot`` does it. A pod named by ``generateName`` only, or
    whose name holds ``*``, is only masked, and its index returned: the snapshot names and admits it itself."""
    whole = []
    controller_ref = m.controller_ref
    for i, p in enumerate(pods):
        md = p.metadata
        ref = controller_ref(md.owner_references)
        tpl = templates.get(ref.uid or "") if ref is not None else None
        if md.name is None or "*" in md.name:
            normalize(p)
            whole.append(i)
            continue
        if tpl is None:
            normalize(p)
        else:  # compacted: masked in what it keeps (see ``Snapshot._admit``)
            mask_metadata(md)
        if md.namespace is None:
            md.namespace = "default"
        if tpl is not None and p.spec is not None:
            p.spec = residual(p.spec, tpl, md.name, mask_container)
    return whole
