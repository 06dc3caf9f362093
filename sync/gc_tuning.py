"""The cyclic garbage collector's thresholds, raised while an entry point works.

Used by the entry points (the command line, the daemon's loop), not by a run itself:
a library call should not change a process-wide setting behind its caller's back.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_gc_lock = threading.Lock()
_gc_users: list[int] = []
_gc_saved: list[int] = []


@contextlib.contextmanager
def few_gc_passes() -> Iterator[None]:
    """Let the cyclic garbage collector run rarely while inside.

    A run allocates hundreds of thousands of small tuples and keeps them; with the
    default thresholds the collector rescans them over and over, which measured at
    more than half of a no-change resync of a 50,000-student district.
    """
    with _gc_lock:
        if not _gc_users:
            _gc_saved[:] = gc.get_threshold()
            gc.set_threshold(100_000, 50, 100)
        _gc_users.append(1)  # uses may nest or overlap (the daemon, several syncs)
    try:
        yield
    finally:
        with _gc_lock:
            _gc_users.pop()
            if not _gc_users:
                gc.set_threshold(*_gc_saved)
