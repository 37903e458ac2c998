"""The built-in exemptions are packaged data (k8saudit/data/default-exemptions.yaml), validated on load."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import k8saudit as ka
from k8saudit.findings import DEFAULT_EXEMPTIONS_FILE, ConfigError, audit, default_exemptions

ROOT = Path(__file__).resolve().parents[1]


def test_the_packaged_defaults_load_and_apply(sample_snap: ka.Snapshot) -> None:
    defaults = default_exemptions()
    assert len(defaults) >= 10 and all(d.checks and d.reason for d in defaults)
    assert any(d.kind == "DaemonSet" and d.name == "kube-proxy" and "host-network" in d.checks for d in defaults)
    f = audit(sample_snap)
    hit = f[f["exempt_reason"].str.startswith("default exemption: ").fillna(False)]
    assert len(hit) > 0 and set(hit["kind"]) <= {d.kind for d in defaults}
    assert not audit(sample_snap, default_exemptions=False)["exempt_reason"].str.startswith("default").any()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- {checks: [host-network], namespace: x, kind: Pod, name: y}\n", "missing required field `reason`"),
        (
            "- {checks: [host-network], namespace: x, kind: Pod, name: y, reason: r, until: 2030}\n",
            "unknown field `until`",
        ),
        ("- {checks: host-network, namespace: x, kind: Pod, name: y, reason: r}\n", "Expected `array`, got `str`"),
        (
            "- {checks: [no-such-check], namespace: x, kind: Pod, name: y, reason: r}\n",
            r"entry 0 \(Pod x/y\): unknown check id\(s\) no-such-check",
        ),
        ("- {checks: [], namespace: x, kind: Pod, name: y, reason: r}\n", "no check ids"),
        ("- {checks: [host-network\n", "not YAML"),
    ],
    ids=["missing-field", "unknown-field", "wrong-type", "unknown-check", "no-checks", "bad-yaml"],
)
def test_a_bad_file_is_one_clear_error_naming_it(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "defaults.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as e:
        default_exemptions(path)
    assert str(e.value).startswith(str(path)) and "\n" not in str(e.value)


def test_the_wheel_ships_the_defaults(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("k8saudit-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "k8saudit/data/default-exemptions.yaml" in names
    assert DEFAULT_EXEMPTIONS_FILE.relative_to(ROOT).as_posix() == "k8saudit/data/default-exemptions.yaml"
