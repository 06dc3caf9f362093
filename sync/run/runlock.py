"""Keeping a run's lock: the lease heartbeat, and the stop signal it feeds."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sync.store import Store

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(seconds=120)


class AnyOf:
    """Set when any of its events is: a stop request, or a lost run lock."""

    def __init__(self, *events: threading.Event | None) -> None:
        self._events = [e for e in events if e is not None]

    def is_set(self) -> bool:
        return any(e.is_set() for e in self._events)


class Heartbeat:
    """Renews the run lock's lease while a run goes on; ``lost`` is set if another
    process took the lock over (the run then stops after the batch in flight)."""

    def __init__(self, store: Store, sync: str, holder: str, lease: timedelta) -> None:
        self._store = store
        self._sync = sync
        self._holder = holder
        self._lease = lease
        self._stop = threading.Event()
        self.lost = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{sync}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _beat(self) -> None:
        interval = max(self._lease.total_seconds() / 4, 0.5)
        while not self._stop.wait(interval):
            try:
                if not self._store.renew_lock(self._sync, self._holder, self._lease):
                    log.error("lost the run lock of sync %s; stopping the run", self._sync)
                    self.lost.set()
                    return
            except Exception:
                log.exception("could not renew the run lock of sync %s", self._sync)
