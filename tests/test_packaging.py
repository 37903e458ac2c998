"""Set-up stays honest: environment.yml mirrors pyproject.toml; CI runs the README's command."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

#: PyPI name → conda-forge name, where they differ
CONDA_NAMES = {
    "kubernetes": "python-kubernetes",
    "kaleido": "python-kaleido",
    "pyyaml": "pyyaml",
    "jsonschema": "jsonschema-with-format-nongpl",
}


def _name(req: str) -> str:
    return re.split(r"[<>=!~\[; ]", req.strip(), maxsplit=1)[0].lower()


def test_environment_yml_mirrors_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"]}
    wanted |= {_name(r) for extra in project["optional-dependencies"].values() for r in extra}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    have = {_name(d) for d in env["dependencies"] if isinstance(d, str)}
    for d in env["dependencies"]:
        if isinstance(d, dict):  # the pip: section, for packages conda-forge does not carry
            have |= {_name(x) for x in d.get("pip", []) if not x.startswith("-")}
    missing = sorted(n for n in wanted if CONDA_NAMES.get(n, n) not in have)
    extra = sorted(n for n in have - {"python", "pip"} if n not in {CONDA_NAMES.get(w, w) for w in wanted})
    assert not missing and not extra, f"environment.yml drifted from pyproject.toml: missing {missing}, extra {extra}"


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make test" in ci and "make test" in readme and "make demo" in readme


def test_makefile_targets_set_themselves_up() -> None:
    mk = (ROOT / "Makefile").read_text()
    for target in ("demo", "test", "lab", "dashboard"):
        assert re.search(rf"^{target}: \$\(STAMP\)", mk, re.MULTILINE), f"`make {target}` must depend on the set-up"
    assert "-m venv" in mk and "pip install" in mk
