"""Every notebook in a real JupyterLab at 1280x800: run them all, none fails or writes to stderr, each that draws
charts (its code calls ``viz.`` or ``fleet.charts.``: all but the export) shows them, and no chart is wider
than its output area (a fixed-width chart is clipped: the RBAC Sankey's third column, the capabilities axis).

JupyterLab runs from this checkout on a copy of the notebooks (loopback only; every other request is blocked
and must not happen), driven by Debian's chromium through Python playwright. Screenshots of each chart go to
the test's temporary folder (``K8SAUDIT_SCREENSHOTS=DIR`` keeps them in DIR).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"  # the `browser` fixture (conftest.py) launches it
#: every notebook: the overview, the ten practices, the export, the attack paths (the widest chart of all), the fleet
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))


def _draws_charts(name: str) -> bool:
    """Does the notebook's code call ``viz.`` or ``fleet.charts.`` (where every chart comes from)?"""
    cells = json.loads((ROOT / "notebooks" / name).read_text(encoding="utf-8"))["cells"]
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    return any("viz." in src or "fleet.charts." in src for src in code)


#: the notebooks that must show charts
CHARTED = frozenset(n for n in NOTEBOOKS if _draws_charts(n))
TOKEN = "k8saudit-browser-test"
#: JupyterLab settings: render every cell (no windowing: charts off screen are measured too), no news prompt
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason=f"needs Debian's chromium at {CHROMIUM}: apt-get install chromium"
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A JupyterLab server on a copy of the notebooks; yields its base URL."""
    tmp = tmp_path_factory.mktemp("lab")
    nbdir = tmp / "notebooks"
    nbdir.mkdir()
    for name in NOTEBOOKS:
        shutil.copy(ROOT / "notebooks" / name, nbdir / name)
    for rel, value in SETTINGS.items():
        f = tmp / "settings" / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(json.dumps(value))
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
        "K8SAUDIT_OUT": str(tmp / "out"),
        "K8SAUDIT_PROGRESS": str(tmp / "progress.json"),
        "JUPYTER_CONFIG_DIR": str(tmp / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"),
    }
    env.pop("K8SAUDIT_SOURCE", None)
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--ServerApp.token={TOKEN}",
        f"--ServerApp.root_dir={nbdir}",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.news_url=",
        "--ServerApp.open_browser=False",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = (tmp / "lab.log").open("w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("JupyterLab did not start:\n" + (tmp / "lab.log").read_text()[-3000:])
                time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


#: every notebook panel: its path, whether its kernel is idle, and how many cells ran / are still queued
_STATE = """() => {
  const app = window.jupyterapp;
  return [...app.shell.widgets('main')].filter(w => w.sessionContext && w.content).map(w => {
    const code = w.content.widgets.filter(c => c.model.type === 'code');
    const k = w.sessionContext.session && w.sessionContext.session.kernel;
    return {path: w.context.path, id: w.id, idle: !!k && k.status === 'idle' && !w.sessionContext.pendingInput,
            ran: code.filter(c => c.model.executionCount !== null).length, code: code.length};
  });
}"""

_RUN_ALL = """async (id) => {
  const app = window.jupyterapp;
  app.shell.activateById(id);
  for (let i = 0; i < 200 && (!app.shell.currentWidget || app.shell.currentWidget.id !== id); i++)
    await new Promise(r => setTimeout(r, 50));
  app.commands.execute('notebook:run-all-cells');
  await new Promise(r => setTimeout(r, 200));
}"""

#: every chart of the active notebook: its drawn width against the width of the output area holding it
_CHARTS = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  return [...w.node.querySelectorAll('.js-plotly-plot')].map(p => {
    const out = p.closest('.jp-OutputArea-output');
    const svg = p.querySelector('.main-svg');
    return {title: (p.querySelector('.gtitle') || {}).textContent || '', svg: svg ? svg.getBoundingClientRect().width : -1,
            out: out.clientWidth, scroll: out.scrollWidth};
  });
}"""


def test_notebooks_run_and_no_chart_is_clipped(lab: str, browser: Any, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    blocked: list[str] = []
    errors: list[str] = []

    def route(r: Any) -> None:
        url = r.request.url
        if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")):
            r.continue_()
        else:
            blocked.append(url)
            r.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{lab}/lab?token={TOKEN}")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.started !== undefined", timeout=60_000)
    page.evaluate("async () => { await window.jupyterapp.started; await window.jupyterapp.restored; }")
    # open every notebook (each gets its kernel), then run them all at once
    page.evaluate(
        "async (paths) => { for (const p of paths) await window.jupyterapp.commands.execute("
        "'docmanager:open', {path: p, factory: 'Notebook'}); }",
        NOTEBOOKS,
    )
    page.wait_for_function(
        f"() => ({_STATE})().length === {len(NOTEBOOKS)} && ({_STATE})().every(s => s.idle)",
        timeout=120_000,
        polling=500,
    )
    for s in page.evaluate(_STATE):  # run-all acts on the current notebook: make each current, start it, go on
        page.evaluate(_RUN_ALL, s["id"])
    page.wait_for_function(f"() => ({_STATE})().every(s => s.idle && s.ran === s.code)", timeout=240_000, polling=1000)

    shots = Path(os.environ.get("K8SAUDIT_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    measured: dict[str, list[dict[str, Any]]] = {}
    for s in page.evaluate(_STATE):
        page.evaluate("(id) => window.jupyterapp.shell.activateById(id)", s["id"])
        page.wait_for_timeout(400)  # charts resize to the now visible panel
        errs = page.evaluate(
            "(id) => [...document.getElementById(id).querySelectorAll('.jp-OutputArea-output')]"
            ".filter(o => o.dataset.mimeType === 'application/vnd.jupyter.stderr' "
            "|| o.classList.contains('jp-RenderedText') && o.textContent.includes('Traceback')).length",
            s["id"],
        )
        assert errs == 0, f"{s['path']}: a cell failed or wrote to stderr"
        charts = measured[s["path"]] = page.evaluate(_CHARTS)
        if s["path"] in CHARTED:
            assert charts, f"{s['path']}: no chart rendered"
        plots = page.locator(f"#{s['id']} .js-plotly-plot")
        for i in range(plots.count()):
            plots.nth(i).scroll_into_view_if_needed()
            page.screenshot(path=str(shots / f"{Path(s['path']).stem}-chart{i}.png"))
    for path, charts in measured.items():
        for c in charts:
            assert 0 < c["svg"] <= c["out"] + 1, (
                f"{path}: chart {c['title']!r} is {c['svg']:.0f}px in a {c['out']}px output"
            )
            assert c["scroll"] <= c["out"] + 1, f"{path}: the output of chart {c['title']!r} scrolls sideways"
    assert blocked == [], blocked
    assert errors == [], errors
    page.close()
