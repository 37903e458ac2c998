from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import k8saudit as ka

# exercise widgets record workshop progress: never into the tester's home folder
os.environ["K8SAUDIT_PROGRESS"] = str(Path(tempfile.mkdtemp(prefix="k8saudit-tests-")) / "progress.json")


@pytest.fixture(scope="session")
def sample_snap() -> ka.Snapshot:
    """The bundled sample cluster, loaded once per test session (treat it as read-only)."""
    return ka.sample()


#: Debian's chromium, driven by Python playwright (never a downloaded browser build) in the `browser` tests
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless chromium for the tests of one module."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The long fuzz run only when asked for (``-m fuzz``); a short one is part of every run."""
    if "fuzz" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="the long fuzz run: pytest -m fuzz")
    for item in items:
        if "fuzz" in item.keywords:
            item.add_marker(skip)
