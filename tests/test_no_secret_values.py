"""No finding, frame, snapshot, export or notebook output ever carries a secret value.

The fixtures of the secrets, authentication and RBAC checks hold literal credentials
(env values, ConfigMap values, Secret data, kubeconfig tokens, passwords and keys).
Every check runs on each of them; no credential may appear in any column of the
findings, masked forms (``<masked: N chars>``) only.
"""

from __future__ import annotations

import base64
import copy
import gzip
import json
import os
import string
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import nbformat
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import k8saudit as ka
from k8saudit import cli
from k8saudit._normalize import (
    LAST_APPLIED,
    LAST_APPLIED_DROPPED,
    MASK_PREFIX,
    convert,
    looks_like_credential,
    mask_args,
    mask_text,
    normalize,
)
from k8saudit.export import FORMATS
from k8saudit.findings import FINDINGS_COLUMNS, audit
from k8saudit.frames import FRAMES
from k8saudit.testing import FakeApiServer

ROOT = Path(__file__).resolve().parent.parent

FIXTURES = Path(__file__).parent / "checks"
PREFIXES = ("secret-", "authn-", "rbac-")
CASES = sorted(p for p in FIXTURES.glob("*/*.yaml") if p.parent.name.startswith(PREFIXES))
KUBECONFIG_SECRETS = ("token", "password", "client-key-data")
MIN_LENGTH = 6  # shorter values could match unrelated text


def _env_values(node: Any) -> Iterator[str]:
    """Literal values of credential-looking env vars, anywhere in a document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "env" and isinstance(value, list):
                for e in value:
                    if isinstance(e, dict) and looks_like_credential(e.get("name")) and e.get("value"):
                        yield str(e["value"])
            else:
                yield from _env_values(value)
    elif isinstance(node, list):
        for item in node:
            yield from _env_values(item)


def secret_values(doc: dict[str, Any]) -> Iterator[str]:
    kind = doc.get("kind")
    if kind == "Secret":
        for field in ("data", "stringData"):
            yield from (str(v) for v in (doc.get(field) or {}).values())
    elif kind == "ConfigMap":
        yield from (str(v) for k, v in (doc.get("data") or {}).items() if v and looks_like_credential(k))
    elif kind == "Config":
        for u in doc.get("users") or []:
            user = u.get("user") or {}
            yield from (str(user[k]) for k in KUBECONFIG_SECRETS if user.get(k))
    else:
        yield from _env_values(doc)


def _secrets_of(case: Path) -> set[str]:
    return {
        v
        for doc in yaml.safe_load_all(case.read_text())
        if isinstance(doc, dict)
        for v in secret_values(doc)
        if len(v) >= MIN_LENGTH
    }


WITH_SECRETS = [p for p in CASES if _secrets_of(p)]


def test_fixtures_hold_secrets() -> None:
    """The test below is only meaningful if the fixtures do hold credentials."""
    assert len(WITH_SECRETS) >= 10


@pytest.mark.parametrize("case", WITH_SECRETS, ids=[f"{p.parent.name}/{p.stem}" for p in WITH_SECRETS])
def test_no_secret_value_in_findings(case: Path) -> None:
    values = _secrets_of(case)
    findings = audit(ka.load(case), default_exemptions=False)
    text = "\n".join(findings[c].astype("string").fillna("").str.cat(sep="\n") for c in FINDINGS_COLUMNS)
    leaked = sorted(v for v in values if v in text)
    assert not leaked, f"secret values in findings of {case.name}: {leaked}"


@pytest.mark.parametrize("name", ["main", "legacy"])
def test_no_secret_value_of_a_bundled_sample_leaves_it(name: str, tmp_path: Path) -> None:
    """The samples' literal credentials (env, ConfigMaps, kubeconfig) reach no finding, frame or saved snapshot."""
    values: set[str] = set()
    for f in sorted(ka.sample_path(name).glob("*.yaml")):
        for doc in yaml.safe_load_all(f.read_text()):
            for item in (doc.get("items") or [doc]) if isinstance(doc, dict) else []:
                values |= {v for v in secret_values(item) if len(v) >= MIN_LENGTH}
    assert len(values) >= 3, values
    snap = ka.sample(name)
    findings = audit(snap, default_exemptions=False)
    snap.save(tmp_path / "snap")
    texts = [findings.to_csv()] + [snap.frame(f).to_csv() for f in ("env", "config_maps", "kubeconfig_users")]
    texts += [p.read_text(errors="replace") for p in (tmp_path / "snap").rglob("*") if p.is_file()]
    leaked = sorted(v for v in values if any(v in t for t in texts))
    assert not leaked, f"secret values of the {name} sample leaked: {leaked}"


# --------------------------------------------------------------------------- canaries everywhere
#
# Distinct values planted in every place a credential hides: Secret data (base64) and stringData,
# kubectl's last-applied-configuration on a Secret, a Deployment, a Pod, a ConfigMap and a custom
# resource, env literals, credential flags in command/args (``--flag=value`` and ``--flag value``),
# config-file lines in ConfigMap values, URL passwords, a PEM key. Every way out of k8saudit (frames,
# snapshots, every export format, the CLI's report and snapshot, executed notebooks) is searched,
# byte by byte, for each canary and its base64.

CANARY_NAMES = (
    "secret_data secret_string la_secret_data la_secret_string "
    "env_literal env_url java_opt arg_eq arg_two arg_client shell_flag shell_url init_arg "
    "la_env la_arg_eq la_arg_two la_url la_pod_env la_pod_arg pod_env "
    "cm_key cm_props cm_yaml cm_yaml_block cm_env cm_ini cm_url cm_json cm_pem cm_binary "
    "la_cm_key la_cm_props la_cr la_cr_param la_broken apiserver_secret"
).split()
C = {n: f"Kq7{n.replace('_', '')}X{i:02d}zW" for i, n in enumerate(CANARY_NAMES)}


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _applied(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with the annotation ``kubectl apply`` leaves on it: the object as applied, in JSON."""
    out = copy.deepcopy(doc)
    md = out.setdefault("metadata", {})
    md.setdefault("annotations", {})[LAST_APPLIED] = json.dumps(doc) + "\n"
    return out


def _canary_docs() -> list[dict[str, Any]]:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db", "namespace": "shop"},
        "type": "Opaque",
        "data": {"password": _b64(C["la_secret_data"])},
        "stringData": {"token": C["la_secret_string"]},
    }
    secret_live = _applied(secret) | {
        "data": {"password": _b64(C["secret_data"])},
        "stringData": {"token": C["secret_string"]},
    }

    def deployment(env: list[dict[str, str]], args: list[str]) -> dict[str, Any]:
        return {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "api", "namespace": "shop"},
            "spec": {
                "selector": {"matchLabels": {"app": "api"}},
                "template": {
                    "metadata": {"labels": {"app": "api"}},
                    "spec": {
                        "containers": [
                            {"name": "api", "image": "example/api:1", "command": ["/app"], "args": args, "env": env},
                            {
                                "name": "job",
                                "image": "example/job:1",
                                "command": ["sh", "-c"],
                                "args": [
                                    f"exec run --api-key={C['shell_flag']} --db postgres://u:{C['shell_url']}@db/x"
                                ],
                            },
                        ],
                        "initContainers": [
                            {
                                "name": "init",
                                "image": "example/init:1",
                                "command": ["/init", "--password"],
                                "args": [C["init_arg"]],
                            },
                        ],
                    },
                },
            },
        }

    applied = deployment(
        [
            {"name": "PASSWORD", "value": C["la_env"]},
            {"name": "DATABASE_URL", "value": f"postgres://app:{C['la_url']}@db/shop"},
        ],
        [f"--password={C['la_arg_eq']}", "--token", C["la_arg_two"]],
    )
    dep = deployment(
        [
            {"name": "PASSWORD", "value": C["env_literal"]},
            {"name": "DATABASE_URL", "value": f"postgres://app:{C['env_url']}@db/shop"},
            {"name": "JAVA_OPTS", "value": f"-Xmx1g -Dspring.datasource.password={C['java_opt']}"},
        ],
        [
            f"--password={C['arg_eq']}",
            "--token",
            C["arg_two"],
            "--token-auth-file=/etc/tokens.csv",
            "--client-secret",
            C["arg_client"],
            "--password-file=/run/secrets/pw",
        ],
    )
    dep["metadata"]["annotations"] = {LAST_APPLIED: json.dumps(applied)}

    pod_applied = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "debug", "namespace": "ops"},
        "spec": {
            "containers": [
                {
                    "name": "sh",
                    "image": "busybox",
                    "args": ["--api-key", C["la_pod_arg"]],
                    "env": [{"name": "SECRET_KEY", "value": C["la_pod_env"]}],
                }
            ]
        },
    }
    pod = copy.deepcopy(_applied(pod_applied))
    pod["spec"]["containers"][0]["env"] = [{"name": "API_TOKEN", "value": C["pod_env"]}]
    pod["spec"]["containers"][0]["args"] = ["--api-key", "$(API_TOKEN)"]

    cm_applied = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "app-config", "namespace": "shop"},
        "data": {"DB_PASSWORD": C["la_cm_key"], "application.properties": f"db.password={C['la_cm_props']}\n"},
    }
    cm = _applied(cm_applied) | {
        "data": {
            "DB_PASSWORD": C["cm_key"],
            "application.properties": f"server.port=8080\nspring.datasource.password={C['cm_props']}\n",
            "config.yaml": f"auth:\n  token: {C['cm_yaml']}\n  cert: |\n    plain\nsecret: |\n  {C['cm_yaml_block']}\n",
            "app.env": f'LOG_LEVEL=info\nexport API_KEY="{C["cm_env"]}"\n',
            "settings.ini": f"[db]\npassword = {C['cm_ini']}\nurl = amqp://u:{C['cm_url']}@mq:5672/\n",
            "settings.json": json.dumps({"db": {"host": "db", "password": C["cm_json"]}}, indent=2),
            "tls.pem": f"-----BEGIN PRIVATE KEY-----\n{C['cm_pem']}\n-----END PRIVATE KEY-----\n",
        },
        "binaryData": {"blob": _b64(C["cm_binary"])},
    }

    cr = _applied(
        {
            "apiVersion": "example.com/v1",
            "kind": "Database",
            "metadata": {"name": "orders", "namespace": "shop"},
            "spec": {"password": C["la_cr"], "params": [{"name": "token", "value": C["la_cr_param"]}]},
        }
    )
    broken = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "worker",
            "namespace": "shop",
            "annotations": {
                LAST_APPLIED: '{"kind":"Deployment","spec":{"env":[{"name":"PASSWORD","value":"' + C["la_broken"]
            },
        },
        "spec": {
            "selector": {"matchLabels": {"app": "worker"}},
            "template": {
                "metadata": {"labels": {"app": "worker"}},
                "spec": {"containers": [{"name": "w", "image": "example/worker:1"}]},
            },
        },
    }
    apiserver = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "kube-apiserver-cp-1",
            "namespace": "kube-system",
            "labels": {"component": "kube-apiserver"},
        },
        "spec": {
            "nodeName": "cp-1",
            "containers": [
                {
                    "name": "kube-apiserver",
                    "image": "registry.k8s.io/kube-apiserver:v1.31.2",
                    "command": [
                        "kube-apiserver",
                        "--anonymous-auth=false",
                        "--authorization-mode=Node,RBAC",
                        "--token-auth-file=/etc/kubernetes/tokens.csv",
                        "--oidc-issuer-url=https://idp",
                        "--oidc-client-secret",
                        C["apiserver_secret"],
                    ],
                }
            ],
        },
    }
    return [secret_live, dep, pod, cm, cr, broken, apiserver]


def _forbidden() -> list[bytes]:
    """Every canary, plain and in base64."""
    return [v.encode() for v in C.values()] + [_b64(v).encode() for v in C.values()]


def _bytes_of(path: Path) -> bytes:
    """A file's bytes, or (for a directory) all of its files'; zip members and gzip decompressed."""
    if path.is_dir():
        return b"\n".join(_bytes_of(p) for p in sorted(path.rglob("*")) if p.is_file())
    raw = path.read_bytes()
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            raw += b"\n".join(z.read(n) for n in z.namelist())
    if raw[:2] == b"\x1f\x8b":
        raw += gzip.decompress(raw)
    return raw


def _leaks(blob: bytes | str) -> list[str]:
    data = blob.encode() if isinstance(blob, str) else blob
    return sorted(v.decode() for v in _forbidden() if v in data)


def _frames_text(snap: ka.Snapshot) -> str:
    parts = []
    for name in FRAMES:
        df = snap.frame(name)
        parts.append(df.to_csv(index=False))
        parts.extend(repr(v) for c in df.columns if df[c].dtype == object for v in df[c])
    return "\n".join(parts)


@pytest.fixture(scope="module")
def canary_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("canary-cluster")
    (root / "cluster.yaml").write_text(yaml.safe_dump_all(_canary_docs(), sort_keys=False))
    (root / "kubectl-dump.json").write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "List",
                "items": [
                    _canary_docs()[0]
                    | {
                        "metadata": {
                            "name": "db-copy",
                            "namespace": "shop",
                            "annotations": _canary_docs()[0]["metadata"]["annotations"],
                        }
                    }
                ],
            }
        )
    )
    return root


def test_the_canary_manifests_hold_every_canary(canary_dir: Path) -> None:
    """The test below is only meaningful if the input does hold every canary (base64 for Secret data)."""
    text = _bytes_of(canary_dir)
    missing = [n for n, v in C.items() if v.encode() not in text and _b64(v).encode() not in text]
    assert not missing


def _assert_masked_model(snap: ka.Snapshot) -> None:
    """What the rules keep: keys, paths, references and the checks that need them."""
    env = snap.env
    assert env.loc[env["var"] == "PASSWORD", "value"].str.startswith(MASK_PREFIX).all()
    api = snap.get("Deployment", "shop", "api").spec.template.spec.containers[0]
    assert api.args[2].startswith(MASK_PREFIX) and api.args[1] == "--token"
    assert "--token-auth-file=/etc/tokens.csv" in api.args and "--password-file=/run/secrets/pw" in api.args
    flags = dict(snap.apiserver[["flag", "value"]].itertuples(index=False))
    assert flags["token-auth-file"] == "/etc/kubernetes/tokens.csv" and flags["anonymous-auth"] == "false"
    assert flags["oidc-client-secret"].startswith(MASK_PREFIX)
    secrets = snap.secrets.set_index("name")
    assert not secrets.loc["db", "is_sa_token"]
    cms = snap.config_maps.set_index("key")
    assert cms.loc["DB_PASSWORD", "value"].startswith(MASK_PREFIX)
    assert any(
        "spring.datasource.password=" + MASK_PREFIX in ln
        for ln in cms.loc["application.properties", "credential_lines"]
    )
    dep = snap.get("Deployment", "shop", "worker")
    assert dep.metadata.annotations[LAST_APPLIED] == LAST_APPLIED_DROPPED  # unreadable: dropped, and says so
    applied = json.loads(snap.get("Deployment", "shop", "api").metadata.annotations[LAST_APPLIED])
    assert applied["spec"]["template"]["spec"]["containers"][0]["args"][1] == "--token"  # parsed, kept, masked
    findings = audit(snap, default_exemptions=False)
    fired = set(findings["check_id"])
    assert {"secret-env-literal", "secret-configmap-credential", "authn-token-file"} <= fired


def _every_output(snap: ka.Snapshot, out: Path, exports: bool = True) -> bytes:
    """Frames, the findings (in every export format with ``exports``), and the saved snapshot, as bytes.

    Every export is fed by the findings frame alone, so one source through every format is enough.
    """
    findings = audit(snap, default_exemptions=False)
    parts = [_frames_text(snap).encode(), findings.to_csv().encode(), repr(snap.skipped_records).encode()]
    for exts in FORMATS.values() if exports else ():
        parts.append(_bytes_of(ka.export(findings, out / f"findings{exts[0]}", snapshot=snap)))
    parts.append(_bytes_of(snap.save(out / "saved")))
    parts.append(_frames_text(ka.load(out / "saved")).encode())
    return b"\n".join(parts)


def test_no_canary_leaves_a_files_load(canary_dir: Path, tmp_path: Path) -> None:
    snap = ka.load(canary_dir)
    _assert_masked_model(snap)
    assert not _leaks(_every_output(snap, tmp_path))


def test_no_canary_leaves_a_live_load(canary_dir: Path, tmp_path: Path) -> None:
    docs = _canary_docs()
    with FakeApiServer(docs) as srv:
        snap = ka.load_cluster(kubeconfig=srv.write_kubeconfig(tmp_path / "kubeconfig", context="fake"), context="fake")
        srv.assert_read_only()
    assert snap.get("Secret", "shop", "db").metadata.annotations[LAST_APPLIED]  # metadata-only, annotation kept
    _assert_masked_model(snap)
    assert not _leaks(_every_output(snap, tmp_path, exports=False))


def test_a_snapshot_saved_under_older_rules_is_masked_when_read(canary_dir: Path, tmp_path: Path) -> None:
    """A snapshot written before these rules holds objects as they were read: read back, nothing leaks."""
    root = tmp_path / "old"
    (root / "objects").mkdir(parents=True)
    kinds: dict[str, Any] = {}
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for doc in _canary_docs():
        by_kind.setdefault(doc["kind"], []).append(doc)
    for kind, items in by_kind.items():
        body = json.dumps(
            {"kind": kind, "items": items, "sources": ["old.yaml"] * len(items), "lines": [0] * len(items)}
        ).encode()
        (root / f"objects/{kind}.json.gz").write_bytes(gzip.compress(body))
        kinds[kind] = {"count": len(items), "file": f"objects/{kind}.json.gz"}
    (root / "snapshot.json").write_text(
        json.dumps(
            {
                "format": "k8saudit-snapshot",
                "version": 1,
                "cluster": "old",
                "captured_at": "2026-01-01T00:00:00Z",
                "source": "old.yaml",
                "meta": {},
                "kinds": kinds,
                "skipped": [],
                "kubeconfig": [],
            }
        )
    )
    assert _leaks(_bytes_of(root))  # the old snapshot does hold them
    snap = ka.load(root)
    _assert_masked_model(snap)
    assert not _leaks(_every_output(snap, tmp_path / "out", exports=False))


def test_no_canary_in_the_cli_report_or_snapshot(
    canary_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli.main(["scan", str(canary_dir)])
    cli.main(["snapshot", str(canary_dir), "-o", str(tmp_path / "snap")])
    for name in FRAMES:
        cli.main(["frames", name, str(canary_dir), "--format", "csv"])
    out = capsys.readouterr()
    assert "secret-env-literal" in out.out
    assert not _leaks(out.out + out.err)
    assert not _leaks(_bytes_of(tmp_path / "snap"))


@pytest.mark.parametrize("notebook", ["00-overview.ipynb", "01-secrets-in-env.ipynb"])
def test_no_canary_in_executed_notebooks(
    notebook: str, canary_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("K8SAUDIT_SOURCE", str(canary_dir))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    nb = nbformat.read(ROOT / "notebooks" / notebook, as_version=4)
    nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    written = tmp_path / notebook
    nbformat.write(nb, written)
    text = written.read_text()
    assert str(canary_dir) in text  # it did read the canary cluster
    assert not _leaks(_bytes_of(tmp_path))


# --------------------------------------------------------------------------- the rules, property-based

#: a value that cannot be mistaken for any other part of a manifest (its "Zq9" is found nowhere else)
_SECRETISH = st.text(alphabet=string.ascii_letters + string.digits + "+/_!%^*~", min_size=5, max_size=40).map(
    lambda s: "Zq9" + s
)
_CRED_KEYS = st.sampled_from(
    [
        "password",
        "DB_PASSWORD",
        "api_key",
        "apiKey",
        "client-secret",
        "clientSecret",
        "token",
        "GITHUB_TOKEN",
        "secret",
        "db.password",
        "access_key",
        "passwd",
        "private_key",
        "SESSION_KEY",
        "dsn",
    ]
)
_FLAGS = st.sampled_from(
    [
        "--password",
        "--token",
        "--client-secret",
        "--api-key",
        "-password",
        "--db-password",
        "--oidc-client-secret",
        "--access-key",
    ]
)
_SEPS = st.sampled_from(["=", ": ", " = ", ":\t"])


def _where(value: str) -> st.SearchStrategy[dict[str, Any]]:
    """A manifest with ``value`` in one of the places a credential hides."""

    def container(**c: Any) -> dict[str, Any]:
        return {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "d", "namespace": "n"},
            "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "i", **c}]}}},
        }

    return st.one_of(
        _CRED_KEYS.map(
            lambda k: container(env=[{"name": k.upper().replace(".", "_").replace("-", "_"), "value": value}])
        ),
        _FLAGS.map(lambda f: container(args=[f"{f}={value}"])),
        _FLAGS.map(lambda f: container(args=["serve", f, value])),
        st.tuples(_FLAGS, st.sampled_from(["sh -c '", "exec app ", ""])).map(
            lambda t: container(command=["sh", "-c"], args=[f"{t[1]}{t[0]}={value} --port 80"])
        ),
        st.tuples(_CRED_KEYS, _SEPS, st.sampled_from(["", "  ", "export "])).map(
            lambda t: {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "c", "namespace": "n"},
                "data": {"app.conf": f"host=db\n{t[2]}{t[0]}{t[1]}{value}\nport=1\n"},
            }
        ),
        _CRED_KEYS.map(
            lambda k: {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "c", "namespace": "n"},
                "data": {"settings.json": json.dumps({"db": {k: value}})},
            }
        ),
        st.just(container(env=[{"name": "URL", "value": f"https://user:{value.replace('/', 'x')}@host/x"}])),
        st.just(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "s", "namespace": "n"},
                "data": {"k": _b64(value)},
                "stringData": {"k2": value},
            }
        ),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=_SECRETISH, data=st.data())
def test_secret_looking_values_never_survive_the_normaliser(value: str, data: st.DataObject) -> None:
    doc = data.draw(_where(value))
    applied = data.draw(st.booleans())
    if applied:
        doc = _applied(doc)
    obj = convert(copy.deepcopy(doc))
    kept = msgspec.json.encode(obj)
    assert value.encode() not in kept and _b64(value).encode() not in kept
    assert json.dumps(value)[1:-1].encode() not in kept  # nor JSON-escaped
    assert msgspec.json.encode(normalize(obj)) == kept  # the rules are idempotent: normalising twice changes nothing


@settings(max_examples=100, deadline=None)
@given(
    path=st.from_regex(r"/[a-z]{1,8}(/[a-z0-9._-]{1,8}){0,3}", fullmatch=True),
    flag=st.sampled_from(
        [
            "--token-auth-file",
            "--password-file",
            "--client-secret-file",
            "--tls-private-key-file",
            "--service-account-key-file",
            "--basic-auth-file",
            "--api-key-path",
        ]
    ),
    two_words=st.booleans(),
)
def test_file_flags_keep_their_paths(path: str, flag: str, two_words: bool) -> None:
    """A flag that names a file holds a path, not a secret: the apiserver checks read it."""
    args = [flag, path] if two_words else [f"{flag}={path}"]
    assert mask_args(["kube-apiserver", *args]) is None


# --------------------------------------------------------------------------- the rules, case by case

MASKED = [  # (text, read as config-file lines?, the value that must go)
    ("db.password=hunter2-x\nhost=db", True, "hunter2-x"),
    ("password = s3cr3t-ini  \n[other]", True, "s3cr3t-ini"),
    ("auth:\n  token: tok-yaml-1\n", True, "tok-yaml-1"),
    ("secret: |\n  block-line-1\n  block-line-2\nnext: 1\n", True, "block-line-2"),
    ('{"db": {"password": "json-pw-1"}}', True, "json-pw-1"),
    ('export API_KEY="env-file-key"', True, "env-file-key"),
    ("password:colon-no-space", True, "colon-no-space"),
    ("url = amqp://u:amqp-pw-1@mq:5672/", True, "amqp-pw-1"),
    ("jdbc:postgresql://db/x?user=a&password=query-pw-1", True, "query-pw-1"),
    ("-----BEGIN EC PRIVATE KEY-----\npem-body-1\n-----END EC PRIVATE KEY-----", True, "pem-body-1"),
    ("run --token tok-two-words --port 80", False, "tok-two-words"),
    ("run --client-secret=cs-eq-1", False, "cs-eq-1"),
    ("java -Dspring.datasource.password=jvm-pw-1 -jar app.jar", False, "jvm-pw-1"),
    ("PGPASSWORD=pg-pw-1 psql -h db", False, "pg-pw-1"),
    ("clientSecret: camel-cs-1", True, "camel-cs-1"),
]
KEPT = [  # (text, lines): nothing in it is a credential
    ("password_file=/run/secrets/db\nsecret_name: app\ntoken_ttl: 3600\ntokenTTL: 5m", True),
    ("password: ${DB_PASSWORD}\ntoken: $(TOKEN)", True),
    ("image: example/secret-manager:v1\nhost: db:5432", True),
    ("--token-auth-file=/etc/kubernetes/tokens.csv --password-file /run/pw --authorization-mode=Node,RBAC", False),
    ("--enable-bootstrap-token-auth=true --service-account-max-token-expiration=24h", False),
    ("--oidc-client-secret $(OIDC_SECRET) --secret-name=app", False),
    ("https://db.example.com:5432/x and http://user@host/", False),
    ("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", True),
]


@pytest.mark.parametrize(("text", "lines", "value"), MASKED, ids=[t[2] for t in MASKED])
def test_mask_text_masks(text: str, lines: bool, value: str) -> None:
    out = mask_text(text, lines=lines)
    assert value not in out and MASK_PREFIX in out
    assert mask_text(out, lines=lines) == out  # idempotent


@pytest.mark.parametrize(("text", "lines"), KEPT, ids=[t[0][:30] for t in KEPT])
def test_mask_text_keeps(text: str, lines: bool) -> None:
    assert mask_text(text, lines=lines) == text


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["--password", "two-words-1"], ["--password", "<masked: 11 chars>"]),
        (["--api-key=eq-form-1"], ["--api-key=<masked: 9 chars>"]),
        (["--password", "--verbose"], None),  # a flag with no value
        (["--token", "true"], None),
        (["--token-auth-file", "/etc/tokens.csv", "--basic-auth-file=/etc/basic.csv"], None),
        (["--password", "$(DB_PASSWORD)"], None),  # a reference the kubelet expands, not a literal
    ],
    ids=["two-words", "equals", "no-value", "boolean", "file-flags", "reference"],
)
def test_mask_args(args: list[str], expect: list[str] | None) -> None:
    assert mask_args(args) == expect


def test_command_and_args_are_one_command_line() -> None:
    """``command: [app, --password]`` with ``args: [value]``: the value is masked across the two."""
    doc = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {
            "containers": [{"name": "c", "command": ["app", "--password"], "args": ["split-pw-1", "--port", "80"]}]
        },
    }
    c = convert(doc).spec.containers[0]
    assert c.command == ["app", "--password"] and c.args == ["<masked: 10 chars>", "--port", "80"]


def test_an_unreadable_last_applied_is_dropped_and_says_so() -> None:
    for blob in ('{"kind": "Secret", "data": {"a": "trunc', "[1, 2]", "not json"):
        doc = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "annotations": {LAST_APPLIED: blob}}}
        assert convert(doc).metadata.annotations[LAST_APPLIED] == LAST_APPLIED_DROPPED
    deep = '{"a":' * 5000 + "1" + "}" * 5000
    doc = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "annotations": {LAST_APPLIED: deep}}}
    assert convert(doc).metadata.annotations[LAST_APPLIED] == LAST_APPLIED_DROPPED


def test_a_secret_keeps_its_keys_type_and_metadata() -> None:
    applied = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/basic-auth",
        "metadata": {"name": "s", "labels": {"app": "a"}},
        "data": {"password": "c2VjcmV0LXgx"},
    }
    doc = _applied(applied) | {"data": {"password": "c2VjcmV0LXgx"}, "stringData": {"username": "u"}}
    s = convert(doc)
    assert s.data_keys == ["password", "username"] and s.type == "kubernetes.io/basic-auth"
    kept = json.loads(s.metadata.annotations[LAST_APPLIED])
    assert kept == {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/basic-auth",
        "metadata": {"name": "s", "labels": {"app": "a"}},
    }


def test_last_applied_in_nested_metadata_is_masked_too() -> None:
    """A pod template's and a CronJob's job template's metadata carry annotations of their own."""
    blob = json.dumps({"kind": "Pod", "spec": {"containers": [{"name": "c", "args": ["--token", "nested-tok-1"]}]}})
    ann = {LAST_APPLIED: blob}
    doc = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "c"},
        "spec": {
            "jobTemplate": {
                "metadata": {"annotations": ann},
                "spec": {"template": {"metadata": {"annotations": ann}, "spec": {"containers": [{"name": "c"}]}}},
            }
        },
    }
    kept = msgspec.json.encode(convert(doc))
    assert b"nested-tok-1" not in kept and kept.count(b"<masked: 12 chars>") == 2
