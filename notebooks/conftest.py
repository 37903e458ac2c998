"""nbval runs each notebook in a kernel started from this process: let it import the checkout's k8saudit
even when the package is not installed, run the notebooks on the bundled sample, and let them write their
files (exports, workshop progress) to a temporary folder, never to the checkout's ``out/`` nor the home folder."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

ROOT = str(Path(__file__).resolve().parent.parent)
os.environ["PYTHONPATH"] = os.pathsep.join([ROOT, *filter(None, [os.environ.get("PYTHONPATH")])])

_TMP = tempfile.mkdtemp(prefix="k8saudit-nbval-")
os.environ["K8SAUDIT_OUT"] = str(Path(_TMP) / "out")
os.environ["K8SAUDIT_PROGRESS"] = str(Path(_TMP) / "workshop-progress.json")


def pytest_sessionfinish(session: object, exitstatus: int) -> None:
    shutil.rmtree(_TMP, ignore_errors=True)
