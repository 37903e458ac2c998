"""nbval runs each notebook in a kernel started from this process: let it import the checkout's k8saudit
even when the package is not installed, and run the notebooks on the bundled sample."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = str(Path(__file__).resolve().parent.parent)
os.environ["PYTHONPATH"] = os.pathsep.join([ROOT, *filter(None, [os.environ.get("PYTHONPATH")])])
