"""``python -m k8saudit.paths`` prints docs/attack-paths.md (the model page) from the edge-kind registry."""

import sys

from ._report import model_markdown

sys.stdout.write(model_markdown())
