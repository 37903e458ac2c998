"""Small helpers shared across the package."""

from __future__ import annotations

import contextlib
import difflib
import gc
import re
import threading
from collections.abc import Iterable, Iterator

_gc_lock = threading.Lock()
_gc_depth = 0


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (nested uses and threads share one pause).

    Loading, frame building and the audit create millions of small objects and no reference cycles;
    with the collector running, every allocation burst makes it rescan the whole heap (a third of the
    time when parsing 10k pods). When the outermost pause ends, what it allocated moves straight to
    the oldest generation (``gc.freeze()`` then ``gc.unfreeze()``: no scan), so the young collections
    that follow do not walk millions of survivors either; nothing stays frozen, and a later full
    collection still reclaims any cycle among them (a long-lived notebook kernel does not leak).
    """
    global _gc_depth
    with _gc_lock:
        _gc_depth += 1
        if _gc_depth == 1:
            _gc_state[0] = gc.isenabled()
            gc.disable()
    try:
        yield
    finally:
        with _gc_lock:
            _gc_depth -= 1
            if _gc_depth == 0:
                gc.freeze()
                gc.unfreeze()
                if _gc_state[0]:
                    gc.enable()


_gc_state = [True]


#: characters that reorder or hide what a reader sees, or drive a terminal: bidirectional controls
#: (U+202A-U+202E, U+2066-U+2069, U+200E/U+200F, U+061C), zero-width and invisible formatting
#: characters, line/paragraph separators, and C0/C1 controls other than tab and newline
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
_ESCAPED = re.compile(r"\\(?:x([01][0-9a-f]|7f|[89][0-9a-f])|u(061c|200[b-f]|202[8-9a-e]|206[0-9]|feff))")


def visible(text: str) -> str:
    """``text`` with every character that could reorder, hide or control what is shown written as an escape.

    ``"evil\\u202etxt.exe"`` stays readable as such in a terminal, a CSV cell or a Markdown table
    instead of displaying reversed. Tabs and newlines are kept. :func:`unvisible` undoes it.
    """
    if not _UNSAFE.search(text):
        return text
    return _UNSAFE.sub(
        lambda mt: f"\\u{ord(mt.group()):04x}" if ord(mt.group()) > 0xFF else f"\\x{ord(mt.group()):02x}", text
    )


def unvisible(text: str) -> str:
    """Back from :func:`visible` (reading an export)."""
    if "\\" not in text:
        return text
    return _ESCAPED.sub(lambda mt: chr(int(mt.group(1) or mt.group(2), 16)), text)


def closest(word: str, choices: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The choice most like ``word`` (a misspelt id, key or namespace), or None when none is near enough."""
    got = difflib.get_close_matches(word, list(choices), n=1, cutoff=cutoff)
    return got[0] if got else None


def plural(n: int, word: str, many: str | None = None) -> str:
    """``"1 finding"``, ``"2 findings"``, ``"1,204 objects"``: a count and its noun, in the right number."""
    return f"{n:,} {word if n == 1 else many or word + 's'}"
