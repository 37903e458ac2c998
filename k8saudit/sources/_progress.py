"""How a source reports progress: a callable taking one line of text (a small Protocol).

Sources never draw anything themselves: the command line passes a stderr printer,
the notebooks a label widget (:func:`k8saudit.notebook.progress_label`), a test a
``list.append``. A reporter may also have ``done(message)``, called once with the
outcome (objects read, or the error) when the load ends.
"""

from __future__ import annotations

import contextlib
from typing import Protocol, runtime_checkable


@runtime_checkable
class Progress(Protocol):
    """Receives a line of progress text (``reading manifests/app.yaml``, ``pods: 3,500 listed``)."""

    def __call__(self, message: str, /) -> None: ...


def finish(progress: Progress | None, message: str) -> None:
    """Tell a reporter that has a ``done(message)`` how the load ended; a broken one never stops a load."""
    done = getattr(progress, "done", None)
    if callable(done):
        with contextlib.suppress(Exception):
            done(message)
