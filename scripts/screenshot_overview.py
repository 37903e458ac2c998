"""Screenshot notebooks/00-overview.ipynb as JupyterLab renders it (widgets and charts live) into docs/img/.

    python scripts/screenshot_overview.py [--out docs/img/overview.png] [--notebook notebooks/00-overview.ipynb]

Runs a JupyterLab on 127.0.0.1 over a temporary copy of the notebook (the stored
notebook is never touched), runs all cells in headless Chromium (Debian's
``/usr/bin/chromium``, or ``BROWSER_PATH``) and captures the page. The browser may
only talk to the loopback server: every other request is blocked.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = {  # user settings: render every cell (no windowing), no news or update checks
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    raise RuntimeError(f"JupyterLab did not start: {url}")


def _charts(notebook: Path) -> int:
    """How many cells of the notebook end with a chart (a ``viz.`` or ``….charts.`` call)."""
    n = 0
    for cell in json.loads(notebook.read_text())["cells"]:
        lines = "".join(cell["source"]).strip().splitlines()
        n += cell["cell_type"] == "code" and bool(lines) and (lines[-1].startswith("viz.") or ".charts." in lines[-1])
    return n


def capture(notebook: Path, out: Path, *, width: int = 1280, max_height: int = 9000, timeout: float = 120) -> Path:
    from playwright.sync_api import Route, sync_playwright

    browser_path = os.environ.get("BROWSER_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    port, token = _free_port(), secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="k8saudit-shot-") as tmp:
        work, settings = Path(tmp) / "work", Path(tmp) / "settings"
        work.mkdir()
        shutil.copy(notebook, work / notebook.name)
        for rel, value in SETTINGS.items():
            (settings / rel).parent.mkdir(parents=True, exist_ok=True)
            (settings / rel).write_text(json.dumps(value))
        env = {k: v for k, v in os.environ.items() if k != "K8SAUDIT_SOURCE"}
        env.update(
            PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
            JUPYTERLAB_SETTINGS_DIR=str(settings),
            JUPYTER_RUNTIME_DIR=str(Path(tmp) / "runtime"),
        )
        log = open(Path(tmp) / "lab.log", "w")  # noqa: SIM115  (open for the server's lifetime)
        lab = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyterlab",
                "--no-browser",
                "--allow-root",
                f"--ServerApp.port={port}",
                "--ServerApp.ip=127.0.0.1",
                f"--IdentityProvider.token={token}",
                f"--ServerApp.root_dir={work}",
                "--LabApp.expose_app_in_browser=True",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_ready(f"{base}/api/status?token={token}")
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
                page = browser.new_page(viewport={"width": width, "height": 1000}, device_scale_factor=1)

                def only_loopback(route: Route) -> None:
                    host = urlparse(route.request.url).hostname
                    route.continue_() if host in ("127.0.0.1", "localhost") else route.abort()

                page.route("**/*", only_loopback)
                page.goto(f"{base}/lab/tree/{notebook.name}?reset&token={token}")
                page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
                page.wait_for_function(
                    "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                    " && window.jupyterapp.shell.currentWidget.sessionContext?.session?.kernel"
                )
                page.evaluate("""async () => {
                    const app = window.jupyterapp;
                    await app.shell.currentWidget.sessionContext.ready;
                    await app.commands.execute('notebook:run-all-cells');
                    if (app.shell.leftCollapsed === false) { await app.commands.execute('application:toggle-left-area'); }
                    await app.commands.execute('application:set-mode', {mode: 'single-document'});
                }""")
                page.wait_for_function(
                    "n => ![...document.querySelectorAll('.jp-InputPrompt')].some(p => p.textContent.includes('*'))"
                    " && document.querySelectorAll('.js-plotly-plot').length >= n",
                    arg=_charts(notebook),
                    timeout=timeout * 1000,
                )
                page.wait_for_timeout(2000)  # plotly and widget layout settle
                outer = ".jp-NotebookPanel .jp-WindowedPanel-outer"
                content = page.evaluate(f"() => document.querySelector('{outer}').scrollHeight")
                visible = page.evaluate(f"() => document.querySelector('{outer}').clientHeight")
                page.set_viewport_size({"width": width, "height": min(max_height, 1000 - visible + int(content) + 20)})
                page.evaluate(f"() => {{ document.querySelector('{outer}').scrollTop = 0; }}")
                page.wait_for_timeout(1500)
                out.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(out))
                browser.close()
        finally:
            lab.terminate()
            try:
                lab.wait(timeout=20)
            except subprocess.TimeoutExpired:
                lab.kill()
            log.close()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notebook", type=Path, default=ROOT / "notebooks" / "00-overview.ipynb")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "overview.png")
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--max-height", type=int, default=9000, help="crop the page to this height (pixels)")
    ap.add_argument("--timeout", type=float, default=120, help="seconds to wait for every cell to run")
    args = ap.parse_args(argv)
    shot = capture(args.notebook, args.out, width=args.width, max_height=args.max_height, timeout=args.timeout)
    print(f"wrote {shot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
