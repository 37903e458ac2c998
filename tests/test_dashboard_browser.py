"""The dashboard (``k8saudit dashboard``: the notebooks under Voilà) in a real browser, offline.

Starts Voilà on a free loopback port on the bundled sample, opens a practice notebook in
Debian's chromium through Python playwright, waits for the widgets, changes a filter of
the findings explorer and checks the list of findings follows. Every request that is not
to 127.0.0.1 is blocked and must not happen (no CDN: the widgets' JavaScript is served
locally). With K8SAUDIT_UPDATE_DOCS=1 the screenshot refreshes docs/img/dashboard.png.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from k8saudit.dashboard import urls, voila_command

CHROMIUM = "/usr/bin/chromium"  # the `browser` fixture (conftest.py) launches it
DOCS_IMG = Path(__file__).resolve().parent.parent / "docs" / "img" / "dashboard.png"
NOTEBOOK = "03-capabilities.ipynb"

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


def _start(log: Any) -> tuple[subprocess.Popen[bytes], int]:
    """Voilà on a free port; it must not wander to another port when this one was taken meanwhile
    (``port_retries=0``): then a fresh port is tried."""
    for _attempt in range(3):
        port = _free_port()
        argv, env = voila_command("sample", port=port)
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                [*argv, "--ServerApp.port_retries=0"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/voila/tree", timeout=2).close()
                return proc, port
            except OSError:
                if proc.poll() is not None:
                    break  # the port was taken between choosing and binding: try another
                if time.monotonic() > deadline:
                    _stop(proc)
                    pytest.fail("Voilà did not start:\n" + log.read_text(errors="replace")[-3000:])
                time.sleep(0.5)
    pytest.fail("Voilà did not start on three free ports:\n" + log.read_text(errors="replace")[-3000:])


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    pytest.importorskip("voila")
    log = tmp_path_factory.mktemp("voila") / "voila.log"
    proc, port = _start(log)
    try:
        yield port
    finally:
        _stop(proc)


def _harmless(error: Any) -> bool:
    """plotly's JupyterLab renderer draws the chart, then tries to keep a PNG of it in the notebook's output
    model (``setData``), which Voilà's read-only outputs do not have: nothing is lost on the page."""
    return "setData is not a function" in str(error) and "jupyterlab-plotly" in str(error.stack)


FINDINGS = ".widget-select select"  # the explorer's list of findings (the only Select of the notebook)


def _options(page: Any) -> list[str]:
    texts = page.eval_on_selector_all(FINDINGS + " option", "os => os.map(o => o.text)")
    return [t.replace("\xa0", " ") for t in texts]  # the widget spaces its labels with no-break spaces


def test_dashboard_in_chromium(dashboard: int, browser: Any, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    blocked: list[str] = []
    errors: list[str] = []

    def route(r: Any) -> None:
        url = r.request.url
        if url.startswith(("data:", "blob:", "about:")) or url.startswith(f"http://127.0.0.1:{dashboard}/"):
            r.continue_()
        else:
            blocked.append(url)
            r.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda e: None if _harmless(e) else errors.append(f"{e}: {e.stack}"))
    page.goto(urls(dashboard)[NOTEBOOK], timeout=120_000)
    page.wait_for_selector(FINDINGS + " option", timeout=120_000)
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    assert blocked == [], f"requests that would leave the machine: {blocked}"
    assert errors == [], errors
    text = page.locator("body").inner_text()
    assert page.locator(".jp-CodeCell .jp-InputArea-editor").count() == 0, "code cells are shown"
    assert "FindingsExplorer(" not in text and "open_source(" not in text, "code is shown"
    assert "Why it matters" in text  # the prose is

    before = _options(page)
    assert len(before) > 5
    namespace = page.get_by_label("namespace", exact=True)
    choices = [o for o in namespace.locator("option").all_inner_texts() if o != "(all)"]
    assert "legacy" in choices
    namespace.select_option(label="legacy")
    page.wait_for_function(
        "n => document.querySelectorAll('.widget-select select option').length !== n", arg=len(before), timeout=30_000
    )
    after = _options(page)
    assert 0 < len(after) < len(before)
    assert all(" legacy/" in o for o in after), after[:5]
    # the selection moved to the first finding left, and its detail (with the suggested fix) followed
    check, obj = after[0].split(" · ", 1)[1].split(" [")[0].split(": ", 1)
    page.wait_for_function("t => document.body.innerText.includes(t)", arg=f"# {check}: {obj}", timeout=30_000)
    assert blocked == [] and errors == []

    namespace.evaluate("e => e.closest('.widget-vbox').scrollIntoView({block: 'start'})")
    shot = tmp_path / "dashboard.png"
    page.screenshot(path=str(shot), full_page=False)
    if os.environ.get("K8SAUDIT_UPDATE_DOCS") == "1":
        shutil.copy(shot, DOCS_IMG)
    page.close()
