"""People's names for the console's pages, kept per sync in the web process.

Reading a sync's sources for names (``Engine.known``) takes seconds for a big district, so
the console does it once per sync, in a thread, and again only when a newer run of that
sync has finished (the cache key is the sync's newest finished run id). A page asks
``NamesCache.get``: it gets the names read after that run, or, while they are being read,
the names read after an earlier run (marked stale); it waits only when it has nothing
usable. A read that fails gives ids with a note, never an error page. A person who left
the sources keeps the name read before, so a held plan's removals are listed by name.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from sync.errors import RostersyncError
from sync.model import Person, RunStatus
from sync.people_names import labelled, person_names
from sync.report import plural
from sync.store import Store

log = logging.getLogger(__name__)

#: How long a page waits for names when it has none usable (the first view of a sync).
WAIT_SECONDS = 30.0

NewestRun = Callable[[str], "int | None"]
"""``newest(sync)``: the id of the sync's newest finished run, or None before its first."""
ReadPeople = Callable[[str], Mapping[str, Person]]
"""``read(sync)``: the people the sync's sources know now, by id (``Engine.known``)."""


@dataclass(frozen=True)
class Names:
    """The names of one sync's people, read after run ``run_id``; ``note`` says why some
    or all people show as ids (a read failed, or the names are still being read)."""

    names: Mapping[str, str] = field(default_factory=dict)
    run_id: int | None = None
    note: str = ""
    failed: bool = False

    def name(self, ident: str) -> str:
        """The person's name, or their id when no source names them."""
        return self.names.get(ident, ident)

    def label(self, ident: str) -> str:
        """``Harry Potter (A1234)``, or the id alone."""
        return labelled(ident, self.names)

    def matches(self, needle: str, ident: str) -> bool:
        """Whether a casefolded search ``needle`` is in the person's id or name."""
        return needle in ident.casefold() or needle in self.names.get(ident, "").casefold()


def unnamed_note(names: Names, people: Iterable[str]) -> str:
    """Why people on a page show as ids: the read's own note, or how many no source names."""
    if names.note:
        return names.note
    unnamed = sum(1 for p in set(people) if p not in names.names)
    if not unnamed:
        return ""
    return (
        f"{plural(unnamed, 'person', 'people')} shown by id: no source names them now "
        "(a source that could not be read is in the log)"
    )


class NamesCache:
    """One ``Names`` per sync, refreshed off the request path when a newer run finished."""

    def __init__(
        self, newest: NewestRun, read: ReadPeople, *, wait_seconds: float = WAIT_SECONDS
    ) -> None:
        self._newest = newest
        self._read = read
        self._wait = wait_seconds
        self._lock = threading.Lock()
        self._entries: dict[str, Names] = {}
        self._reading: dict[str, tuple[threading.Event, threading.Thread]] = {}

    def warm(self, syncs: list[str]) -> None:
        """Start reading the names of these syncs, so the first page need not wait."""
        for sync in syncs:
            self._refresh(sync, self._newest(sync))

    def get(self, sync: str) -> Names:
        """The names of ``sync``'s people after its newest finished run (see the module)."""
        key = self._newest(sync)
        with self._lock:
            entry = self._entries.get(sync)
        if entry is not None and entry.run_id == key and not entry.failed:
            return entry
        done = self._refresh(sync, key)
        if entry is not None and entry.run_id is not None and not entry.failed:
            stale = f"names as of run {entry.run_id}; newer names are being read"
            return Names(entry.names, entry.run_id, stale)
        if not done.wait(self._wait):
            return Names(note="names are still being read from the sources; reload shortly")
        with self._lock:
            return self._entries.get(sync, Names())

    def join(self, timeout: float | None = None) -> None:
        """Wait for the reads going on (a test's or a shutdown's)."""
        with self._lock:
            threads = [thread for _, thread in self._reading.values()]
        for thread in threads:
            thread.join(timeout)

    def _refresh(self, sync: str, key: int | None) -> threading.Event:
        """Start one read of ``sync``'s names unless one goes on; its done event."""
        with self._lock:
            going = self._reading.get(sync)
            if going is not None:
                return going[0]
            done = threading.Event()
            thread = threading.Thread(
                target=self._read_names,
                args=(sync, key, done),
                name=f"rostersync-names-{sync}",
                daemon=True,
            )
            self._reading[sync] = (done, thread)
        thread.start()
        return done

    def _read_names(self, sync: str, key: int | None, done: threading.Event) -> None:
        with self._lock:
            before = self._entries.get(sync)
        # People who left the sources keep their names: a held plan's removals list them.
        kept = before.names if before is not None else {}
        try:
            entry = Names({**kept, **person_names(self._read(sync))}, key)
        except RostersyncError as exc:
            log.warning("names of sync %r not read: %s", sync, type(exc).__name__)
            entry = Names(run_id=key, note=f"names not shown: {exc}", failed=True)
        except Exception as exc:  # a thread's edge: the page shows ids and this note
            log.error("names of sync %r not read: %s", sync, type(exc).__name__)
            note = "names not shown: the sources could not be read (see the log)"
            entry = Names(run_id=key, note=note, failed=True)
        with self._lock:
            self._entries[sync] = entry
            del self._reading[sync]
        done.set()


def newest_finished(store: Store, sync: str) -> int | None:
    """The id of ``sync``'s newest run that is not running (the names cache's key)."""
    for detail in store.runs(sync, limit=3):
        if detail.summary.status is not RunStatus.RUNNING:
            return detail.summary.id
    return None
