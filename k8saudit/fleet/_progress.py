"""Progress of a fleet run: a widget bar in Jupyter, a one-line bar on a terminal, or a callback."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from typing import IO, Any, Protocol

from ._task import ClusterResult

#: a user's callback: (clusters done, clusters in all, the result just in)
Callback = Callable[[int, int, ClusterResult], None]


class Progress(Protocol):
    def start(self, futures: Sequence[Any], total: int) -> None: ...
    def update(self, done: int, total: int, result: ClusterResult) -> None: ...
    def finish(self, done: int, total: int) -> None: ...


class Silent:
    def start(self, futures: Sequence[Any], total: int) -> None:
        pass

    def update(self, done: int, total: int, result: ClusterResult) -> None:
        pass

    def finish(self, done: int, total: int) -> None:
        pass


class FromCallback(Silent):
    def __init__(self, fn: Callback) -> None:
        self.fn = fn

    def update(self, done: int, total: int, result: ClusterResult) -> None:
        self.fn(done, total, result)


class TerminalBar(Silent):
    """``[#########-----------]  23/40 clusters  1 failed  12.3 s`` redrawn in place on a terminal;
    on a pipe or file, a line at each tenth of the way."""

    def __init__(self, stream: IO[str] | None = None, width: int = 30) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.failed = 0
        self.started = time.monotonic()
        self.last_step = -1

    def start(self, futures: Sequence[Any], total: int) -> None:
        self.started = time.monotonic()
        if self.tty:
            self._draw(0, total)

    def update(self, done: int, total: int, result: ClusterResult) -> None:
        self.failed += not result.ok
        if self.tty:
            self._draw(done, total)
        else:
            step = done * 10 // max(total, 1)
            if step != self.last_step:
                self.last_step = step
                self.stream.write(self._line(done, total) + "\n")
                self.stream.flush()

    def finish(self, done: int, total: int) -> None:
        if self.tty:
            self._draw(done, total)
            self.stream.write("\n")
            self.stream.flush()

    def _line(self, done: int, total: int) -> str:
        filled = self.width * done // max(total, 1)
        bar = "#" * filled + "-" * (self.width - filled)
        failed = f"  {self.failed} failed" if self.failed else ""
        return f"[{bar}] {done:>{len(str(total))}}/{total} clusters{failed}  {time.monotonic() - self.started:.1f} s"

    def _draw(self, done: int, total: int) -> None:
        self.stream.write("\r\x1b[K" + self._line(done, total))
        self.stream.flush()


class NotebookBar(Silent):
    """A progress bar widget under the notebook cell, filled as each cluster's result comes back.

    Dask's own widget (``distributed.progress``) listens on the kernel's event loop, which a blocking
    ``fleet.audit`` call holds until the end: it would only ever show the finished run. This bar is
    updated from the loop that collects the results, so it moves while the fleet runs.
    """

    def __init__(self) -> None:
        import ipywidgets as w

        self.bar = w.FloatProgress(
            value=0, min=0, max=1, description="clusters", bar_style="info", layout=w.Layout(width="60%")
        )
        self.label = w.HTML()
        self.box = w.HBox([self.bar, self.label])
        self.failed = 0
        self.started = time.monotonic()

    def start(self, futures: Sequence[Any], total: int) -> None:
        from IPython.display import display

        self.started = time.monotonic()
        self.bar.max = max(total, 1)
        self._label(0, total)
        display(self.box)

    def update(self, done: int, total: int, result: ClusterResult) -> None:
        self.failed += not result.ok
        self.bar.value = done
        self._label(done, total)

    def finish(self, done: int, total: int) -> None:
        self.bar.value = done
        self.bar.bar_style = "warning" if self.failed else "success"
        self._label(done, total, "finished: ")

    def _label(self, done: int, total: int, prefix: str = "") -> None:
        failed = f", <b>{self.failed} failed</b>" if self.failed else ""
        self.label.value = f"{prefix}{done}/{total}{failed} &middot; {time.monotonic() - self.started:.1f} s"


def in_notebook() -> bool:
    try:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is None or not hasattr(shell, "kernel"):
            return False
        import ipywidgets  # noqa: F401  (the widget bar needs it)
    except Exception:
        return False
    return True


def choose(progress: bool | Callback | Progress | None) -> Progress:
    """``None``: a widget bar in Jupyter, a bar on a terminal, else nothing; ``True``: a bar or the
    widget always; ``False``: nothing; a callable: called once per cluster."""
    if progress is False:
        return Silent()
    if progress is None or progress is True:
        if in_notebook():
            return NotebookBar()
        if progress is True or sys.stderr.isatty():
            return TerminalBar()
        return Silent()
    if hasattr(progress, "update") and hasattr(progress, "start"):
        return progress  # type: ignore[return-value]
    if callable(progress):
        return FromCallback(progress)
    raise TypeError(f"progress must be None, a bool or a callable, not {type(progress).__name__}")
