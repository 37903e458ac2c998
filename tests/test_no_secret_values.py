"""No finding ever carries a secret value.

The fixtures of the secrets, authentication and RBAC checks hold literal credentials
(env values, ConfigMap values, Secret data, kubeconfig tokens, passwords and keys).
Every check runs on each of them; no credential may appear in any column of the
findings, masked forms (``<masked: N chars>``) only.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import k8saudit as ka
from k8saudit._normalize import looks_like_credential
from k8saudit.findings import FINDINGS_COLUMNS, audit

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
    return {v for doc in yaml.safe_load_all(case.read_text()) if isinstance(doc, dict)
            for v in secret_values(doc) if len(v) >= MIN_LENGTH}


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
