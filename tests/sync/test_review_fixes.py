"""Regression tests for faults found in review: each fails without its fix."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from sync.errors import TargetError
from sync.model import APPLY_ORDER, ChangeKind, RunStatus, Trigger
from sync.store import Store, new_holder
from sync.testing import MemoryTarget
from tests.conftest import CliRun
from tests.sync.test_faults import engine_for
from tests.sync.test_guards import low_thresholds, shown, shrink_to_potions


def test_a_stale_held_plan_can_never_be_approved(rostersync: CliRun, workdir: Path) -> None:
    low_thresholds(workdir)
    rostersync("sync")
    original = (workdir / "impero" / "students.csv").read_bytes()
    shrink_to_potions(workdir)  # a truncated upload: held
    assert rostersync("sync").exit_code == 4
    (workdir / "impero" / "students.csv").write_bytes(original)  # fixed, synced fine
    assert rostersync("sync").exit_code == 0
    result = rostersync("approve", "2")
    assert result.exit_code == 1 and "run 2 is rejected, not held" in result.output
    run2 = json.loads(rostersync("runs", "show", "2", "--json").output)
    assert run2["status"] == "rejected" and "superseded by run 3" in run2["error"]
    assert len(shown(rostersync)) == 4


def test_a_held_run_is_decided_once(state_url: str) -> None:
    store = Store(state_url)
    holder = new_holder()
    run_id = store.start_run("default", Trigger.MANUAL, holder=holder)
    store.finish_run(run_id, RunStatus.HELD)
    assert store.decide_held(run_id, RunStatus.REJECTED, "rejected")
    assert not store.decide_held(run_id, RunStatus.APPROVED, "approved")
    assert store.run(run_id).summary.status is RunStatus.REJECTED  # type: ignore[union-attr]


def test_a_target_refusing_a_batch_keeps_what_earlier_batches_applied(workdir: Path) -> None:
    target = MemoryTarget(fail_calls={3: TargetError("401 the token was revoked")})
    engine = engine_for(workdir, target)
    outcome = engine.run()
    assert outcome.status is RunStatus.FAILED
    assert "the target refused a batch: 401 the token was revoked" in outcome.error
    recorded = engine.store.run(outcome.run_id or 0)
    assert recorded is not None and sum(recorded.summary.counts.values()) == 4  # two batches
    assert len(engine.store.run_changes(outcome.run_id or 0)) == 4


def test_an_interrupt_never_leaves_a_run_running(workdir: Path) -> None:
    target = MemoryTarget(fail_calls={2: KeyboardInterrupt()})
    engine = engine_for(workdir, target)
    with pytest.raises(KeyboardInterrupt):
        engine.run()
    last = engine.store.last_run("default")
    assert last is not None and last.summary.status is RunStatus.INTERRUPTED
    assert engine.store.current_lock("default") is None
    assert engine.run().status is RunStatus.OK


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


def test_revokes_come_before_members_are_added() -> None:
    order = list(APPLY_ORDER)
    assert order.index(ChangeKind.REVOKE_ACCESS) < order.index(ChangeKind.ADD_MEMBER)
    assert order.index(ChangeKind.ADD_BLOCK) < order.index(ChangeKind.ADD_MEMBER)
    assert order[-1] is ChangeKind.REMOVE_BLOCK


def test_a_bad_state_database_is_a_clear_error(rostersync: CliRun, workdir: Path) -> None:
    config = workdir / "config.toml"
    text = config.read_text()
    start = text.index('url = "') + len('url = "')
    config.write_text(
        text[:start] + "sqlite:////proc/1/nope/state.db" + text[text.index('"', start) :]
    )
    result = rostersync("status")
    assert result.exit_code == 2
    assert "[state] url: cannot" in result.output and "Traceback" not in result.output


def test_blocks_lost_by_the_sources_hold_the_run_on_any_target() -> None:
    from sync.config import GuardsConfig
    from sync.guard import check_guards
    from sync.model import Plan

    verdict = check_guards(
        Plan(), GuardsConfig(), desired_empty=False, allow_deletes=False, lifted_blocks=10
    )
    assert verdict.held and "remove 10 blocks" in verdict.reason


def test_blocks_dropped_by_a_source_hold_the_run_through_the_engine(workdir: Path) -> None:
    from collections.abc import Callable
    from typing import Any

    from sync.config import load_config
    from sync.contract import PluginOptions, SourceRead, SourceType
    from sync.hookspecs import hookimpl
    from sync.model import Block, Roster
    from sync.plugins import load_plugins
    from sync.run import Engine
    from tests.sync.test_faults import MemoryPlugin

    blocks = [Block(f"teacher{n}", "Harry_Potter", "relative") for n in range(6)]

    class BlockSource:
        @hookimpl
        def register_sources(self, register: Callable[[SourceType[Any]], None]) -> None:
            register(SourceType(name="blocks", options=PluginOptions, factory=self._make))

        def _make(self, options: object, context: object) -> Any:
            return self

        def read(self) -> SourceRead:
            return SourceRead(roster=Roster.build(blocks=blocks))

    config = workdir / "config.toml"
    text = config.read_text().replace('plugin = "directory"', 'plugin = "memory"')
    text = text.replace('sources = ["school"]', 'sources = ["school", "extra"]')
    config.write_text(text + '\n[sources.extra]\nplugin = "blocks"\n')
    target = MemoryTarget()
    extra = [MemoryPlugin(target), BlockSource()]
    engine = Engine(load_config(config), load_plugins(entry_points=False, extra=extra))
    assert engine.run().status is RunStatus.OK
    blocks.clear()  # the manual store lost its blocks
    outcome = engine.run()
    assert outcome.status is RunStatus.HELD
    assert "it would remove 6 blocks, more than the limit of 5" in outcome.error


def test_overlapping_runs_restore_the_collector_thresholds_once_all_are_done() -> None:
    import gc

    from sync.gc_tuning import few_gc_passes

    before = gc.get_threshold()
    first, second = few_gc_passes(), few_gc_passes()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # the first run ends while the second goes on
    assert gc.get_threshold() == (100_000, 50, 100)
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before
