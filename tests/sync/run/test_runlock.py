"""The run lock while a run goes on: the lease heartbeat, and a lock lost to another."""

from __future__ import annotations

import threading
from pathlib import Path

from sync.model import RunStatus
from sync.store import new_holder
from sync.testing import MemoryTarget
from tests.sync.run.test_faults import engine_for


def test_a_run_that_loses_its_lock_stops(workdir: Path) -> None:
    from datetime import timedelta

    target = MemoryTarget()
    engine = engine_for(workdir, target, batch_size=1)
    engine.lease = timedelta(seconds=2)  # the heartbeat renews every 0.5 s
    original = target.apply

    def apply_and_lose_the_lock(changes):  # type: ignore[no-untyped-def]
        if len(target.calls) == 1:  # another process takes the lock over
            lock = engine.store.current_lock("default")
            assert lock is not None
            engine.store.release_lock("default", lock[1])
            engine.store.acquire_lock("default", new_holder(), timedelta(minutes=5))
            heartbeat = next(t for t in threading.enumerate() if t.name == "heartbeat-default")
            heartbeat.join(timeout=10)  # it ends once it finds the lock gone
            assert not heartbeat.is_alive()
        return original(changes)

    target.apply = apply_and_lose_the_lock  # type: ignore[method-assign]
    outcome = engine.run()
    assert outcome.status is RunStatus.INTERRUPTED
    assert sum(outcome.applied.values()) == 2  # the batch in flight, then it stopped
