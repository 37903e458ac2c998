"""Dependencies where they belong: the library loads, audits and exports without the extras (JupyterLab,
Voilà, kaleido), and ``k8saudit.testing`` imports without the test-only packages.

Each case runs in a fresh interpreter whose import system refuses the packages named, as a machine that never
installed them would.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

from k8saudit.export import FORMATS

ROOT = Path(__file__).resolve().parents[1]

#: installed by the extras, never needed by `import k8saudit`, ka.load, ka.audit or ka.export
EXTRAS_ONLY = ("jupyterlab", "jupyter_server", "voila", "kaleido", "choreographer", "ipykernel", "notebook")
#: the test extra's packages, which k8saudit.testing must not need at import time
TEST_ONLY = ("trustme", "pytest", "_pytest", "hypothesis", "nbval", "playwright")

_BLOCKER = '''
import sys

class _Refuse:
    """A meta path finder that refuses the blocked top-level packages."""
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, _Refuse())
for _name in [n for n in sys.modules if n.partition(".")[0] in BLOCKED]:
    del sys.modules[_name]

def assert_blocked():
    for _name in BLOCKED:
        try:
            __import__(_name)
        except ModuleNotFoundError:
            continue
        raise AssertionError(f"{_name} imported although blocked")
    loaded = sorted(n for n in sys.modules if n.partition(".")[0] in BLOCKED)
    assert not loaded, f"blocked packages were imported: {loaded}"
'''


def _run_without(blocked: tuple[str, ...], body: str, cwd: Path) -> str:
    code = f"BLOCKED = {set(blocked)!r}\n{_BLOCKER}\n{textwrap.dedent(body)}"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, timeout=600)
    assert r.returncode == 0, f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r.stdout


def test_the_blocker_blocks(tmp_path: Path) -> None:
    """The harness itself: a blocked package that is installed (pytest, here) cannot be imported."""
    code = f"BLOCKED = {{'pytest'}}\n{_BLOCKER}\nimport pytest\n"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert r.returncode != 0 and "No module named 'pytest'" in r.stderr


def test_load_audit_export_without_the_extras(tmp_path: Path) -> None:
    out = _run_without(
        EXTRAS_ONLY,
        """
        from pathlib import Path
        import k8saudit as ka
        from k8saudit.export import FORMATS

        snap = ka.load("sample")
        findings = ka.audit(snap)
        assert len(findings) > 0
        for fmt, exts in FORMATS.items():
            path = ka.export(findings, Path("out") / f"findings{exts[0]}", snapshot=snap)
            assert Path(path).stat().st_size > 0, fmt
            print(fmt)
        import k8saudit.cli, k8saudit.report, k8saudit.diff  # the CLI and the text report too
        assert_blocked()
    """,
        tmp_path,
    )
    assert out.split() == list(FORMATS)


def test_testing_imports_without_test_only_packages(tmp_path: Path) -> None:
    _run_without(
        TEST_ONLY,
        """
        import k8saudit.testing
        from k8saudit.testing import FakeApiServer
        assert callable(FakeApiServer)
        assert_blocked()
    """,
        tmp_path,
    )


def test_extras_declared_and_installed_by_make() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    core = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {r.split(">")[0].split("=")[0].split("[")[0].strip().lower() for r in core}
    assert not names & {"jupyterlab", "voila", "kaleido", "ipykernel"}, "the core library must not need them"
    assert {"lab", "dashboard", "charts"} <= set(extras)
    installed = re.search(r"pip install .*-e '\.\[([^\]]*)\]'", (ROOT / "Makefile").read_text())
    assert installed, "the Makefile installs the project with its extras"
    assert set(installed.group(1).split(",")) == set(extras), "make installs every extra"
