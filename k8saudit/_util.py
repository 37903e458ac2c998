"""Small helpers shared across the package."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector.

    Loading and frame building create millions of small objects and no reference cycles; with the
    collector running, every allocation burst makes it rescan the whole heap (a third of the time
    when parsing 10k pods).
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def plural(n: int, word: str, many: str | None = None) -> str:
    """``"1 finding"``, ``"2 findings"``, ``"1,204 objects"``: a count and its noun, in the right number."""
    return f"{n:,} {word if n == 1 else many or word + 's'}"
