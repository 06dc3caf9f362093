"""The cyclic garbage collector's thresholds, raised while an entry point works.

Used by the entry points (the command line, the daemon's loop), not by a run itself:
a library call should not change a process-wide setting behind its caller's back.
``rostersync`` itself, which owns its process, keeps them raised until it exits.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_gc_lock = threading.Lock()
_gc_users: list[int] = []
_gc_saved: list[int] = []

#: Collect the youngest objects after 100,000 allocations, not 700.
RELAXED = (100_000, 50, 100)


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
            gc.set_threshold(*RELAXED)
        _gc_users.append(1)  # uses may nest or overlap (the daemon, several syncs)
    try:
        yield
    finally:
        with _gc_lock:
            _gc_users.pop()
            if not _gc_users:
                gc.set_threshold(*_gc_saved)


@contextlib.contextmanager
def exiting_process() -> Iterator[None]:
    """Around the whole of a program that ends its process (``rostersync``): few passes
    from the start, and none over what it made when it ends.

    Restoring the thresholds would make the next allocation scan every object the
    command made, and the interpreter's exit collects and frees them all: for ``rostersync
    status`` that was a fifth of its time. So the thresholds stay raised, and at the end
    ``gc.freeze()`` sets everything aside; memory goes back with the process. What must
    be closed at exit the caller closes first, explicitly: an object left in a reference
    cycle is not finalized then (``rostersync`` closes the state database).
    """
    gc.set_threshold(*RELAXED)
    try:
        yield
    finally:
        gc.freeze()
