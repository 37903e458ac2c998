"""``k8saudit dashboard``: the overview and the practice notebooks as a web app, for people without Jupyter.

Voilà runs the notebooks of ``notebooks/`` and shows their outputs (the same widgets and
charts) with the code cells hidden. The source reaches every notebook through
``$K8SAUDIT_SOURCE``, which their parameters cells read. It listens on 127.0.0.1 only
and loads nothing from the internet: Voilà serves the widgets' and charts' JavaScript
from the installed packages, and the ``k8saudit`` template drops the Font Awesome
stylesheets Voilà's own template takes from a CDN (the widget manager bundles the icons).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .notebook import ENV_VAR, NOTEBOOKS

DEFAULT_PORT = 8866
#: Voilà's lab template minus the two stylesheets it fetches from a CDN (k8saudit/_jupyter/voila/templates/)
TEMPLATE = "k8saudit"
TEMPLATES = Path(__file__).resolve().parent / "_jupyter"


class DashboardError(Exception):
    """Something the user can fix (no notebooks here, a source path that does not exist)."""


def notebooks_dir() -> Path:
    """The checkout's ``notebooks/`` (the dashboard serves the notebooks themselves)."""
    here = Path(__file__).resolve().parent.parent / "notebooks"
    if (here / NOTEBOOKS[0]).is_file():
        return here
    raise DashboardError(
        "the notebooks are not installed with this copy of k8saudit: run the dashboard from a "
        "checkout of the repository (`make dashboard`)"
    )


def resolve_source(source: str | None) -> str:
    """The source for ``$K8SAUDIT_SOURCE``: ``sample`` by default, ``sample:NAME`` and ``context:NAME`` as given,
    a path made absolute (the notebooks run in their own directory)."""
    from .snapshot import SnapshotError
    from .sources import parse_source

    try:
        src = parse_source(source or "sample")
    except SnapshotError as e:
        raise DashboardError(str(e)) from None
    if src.kind == "stdin":
        raise DashboardError("the dashboard cannot read standard input: save the manifests to a file and give its path")
    return str(Path(src.name or "").resolve()) if src.kind == "path" else str(src)


def voila_command(
    source: str | None = None, *, port: int = DEFAULT_PORT, open_browser: bool = False, notebooks: Path | None = None
) -> tuple[list[str], dict[str, str]]:
    """The Voilà command line and environment that serve the dashboard on 127.0.0.1:``port``."""
    argv = [
        sys.executable,
        "-m",
        "voila",
        str(notebooks or notebooks_dir()),
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        f"--template={TEMPLATE}",
        "--strip_sources=True",
        "--show_tracebacks=False",
        "--theme=light",
    ]
    if not open_browser:
        argv.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # Jupyter's server refuses root without it
        argv.append("--ServerApp.allow_root=True")
    jupyter_path = os.pathsep.join(p for p in (str(TEMPLATES), os.environ.get("JUPYTER_PATH", "")) if p)
    env = {**os.environ, ENV_VAR: resolve_source(source), "JUPYTER_PATH": jupyter_path, "PYTHONUNBUFFERED": "1"}
    return argv, env


def urls(port: int = DEFAULT_PORT) -> dict[str, str]:
    """Where the overview and each practice notebook render."""
    base = f"http://127.0.0.1:{port}/voila/render/"
    return {name: base + name for n, name in sorted(NOTEBOOKS.items()) if n <= 10}
