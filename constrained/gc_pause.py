"""``gc_paused()``: Python's cyclic garbage collector held off while a constraint compiles.

Compiling allocates millions of small, acyclic objects (NFA edge lists, interned regex nodes, DFA row lists),
and every few thousand allocations the collector walks them all, together with every automaton already cached
in the process: on large JSON schemas that was half of the compile time. Nothing the compiler builds needs the
cyclic collector to be freed (reference counting frees it), so the collector is disabled for the duration and
re-enabled when the last concurrent compile ends. It stays off if the application had turned it off.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_restore = False  # whether the collector was enabled when the outermost pause began


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic collector inside the block (reentrant and thread-safe; restores the prior setting)."""
    global _depth, _restore
    with _lock:
        if _depth == 0:
            _restore = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _restore:
                gc.enable()
