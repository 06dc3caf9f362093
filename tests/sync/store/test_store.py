"""The state store on SQLite and PostgreSQL: runs, issues, plugin state, pauses, the run lock."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sync.errors import RunInProgressError
from sync.model import Change, ChangeKind, Issue, RunStatus, Severity, Trigger
from sync.store import StagedState, Store, new_holder, this_machine
from tests.conftest import CliRun

LEASE = timedelta(minutes=2)


@pytest.fixture
def store(state_url: str) -> Store:
    return Store(state_url)


def test_a_run_is_recorded_with_counts_changes_and_issues(store: Store) -> None:
    holder = new_holder()
    run_id = store.start_run("default", Trigger.MANUAL, holder=holder)
    assert store.last_run("default").summary.status is RunStatus.RUNNING  # type: ignore[union-attr]
    issues = [
        Issue(Severity.ERROR, f"bad row {n}", source="s", file="f.csv", line=n, field="class")
        for n in range(3, 2003)
    ]
    store.add_issues(run_id, issues)
    changes = [Change(ChangeKind.ADD_MEMBER, "Potions", name="Potions", person="Harry")]
    store.finish_run(
        run_id, RunStatus.PARTIAL, counts={"add_member": 1}, retries=2, changes=changes
    )
    detail = store.run(run_id)
    assert detail is not None
    assert detail.summary.status is RunStatus.PARTIAL and detail.summary.issues == 2000
    assert detail.summary.counts == {"add_member": 1} and detail.summary.retries == 2
    assert store.run_changes(run_id) == changes
    assert store.run_issues(run_id)[0] == issues[0] and len(store.run_issues(run_id)) == 2000
    assert store.last_success("default").summary.id == run_id  # type: ignore[union-attr]


def test_plugin_state_round_trips(store: Store) -> None:
    store.save_plugin_state("default", "source:x", {"cursor": "abc", "snapshot": {"a": [1, 2]}})
    store.save_plugin_state("default", "source:x", {"cursor": "def"})
    assert store.plugin_state("default", "source:x") == {"cursor": "def", "snapshot": {"a": [1, 2]}}
    assert store.plugin_state("other", "source:x") == {}


def test_pause_until_a_date(store: Store) -> None:
    until = datetime.now(UTC) + timedelta(days=60)
    store.pause("default", until, "summer rollover")
    pause = store.pause_state("default")
    assert pause.active() and pause.reason == "summer rollover"
    assert not pause.active(until + timedelta(seconds=1))
    store.resume("default")
    assert not store.pause_state("default").active()


def test_the_lock_admits_one_run_and_names_it(store: Store) -> None:
    first = new_holder()
    store.acquire_lock("default", first, LEASE)
    run_id = store.start_run("default", Trigger.SCHEDULED, holder=first)
    store.attach_run("default", first, run_id)
    with pytest.raises(RunInProgressError) as busy:
        store.acquire_lock("default", new_holder(), LEASE)
    assert busy.value.run_id == run_id and f"run {run_id}" in str(busy.value)
    store.acquire_lock("other-sync", new_holder(), LEASE)  # other syncs are independent
    store.release_lock("default", first)
    store.acquire_lock("default", new_holder(), LEASE)


def test_an_expired_lease_is_taken_over_and_its_run_marked_interrupted(store: Store) -> None:
    gone = "another-host:1:deadbeef"
    store.acquire_lock("default", gone, timedelta(seconds=-1))
    run_id = store.start_run("default", Trigger.SCHEDULED, holder=gone)
    store.attach_run("default", gone, run_id)
    store.acquire_lock("default", new_holder(), LEASE)
    assert store.run(run_id).summary.status is RunStatus.INTERRUPTED  # type: ignore[union-attr]


def test_a_dead_process_on_this_host_loses_its_lock_at_once(store: Store) -> None:
    import subprocess

    child = subprocess.Popen(["true"])
    child.wait()
    dead = f"{this_machine()}:{child.pid}:cafe0000"
    store.acquire_lock("default", dead, LEASE)
    store.acquire_lock("default", new_holder(), LEASE)
    assert store.current_lock("default") is not None
    alive = f"{this_machine()}:{os.getpid()}:cafe0001"
    store.release_lock("default", store.current_lock("default")[1])  # type: ignore[index]
    store.acquire_lock("default", alive, LEASE)
    with pytest.raises(RunInProgressError):
        store.acquire_lock("default", new_holder(), LEASE)


def test_change_records_round_trip_and_old_records_still_read() -> None:
    import zlib

    from sync.store import pack_changes, unpack_changes

    changes = [
        Change(ChangeKind.CREATE_GROUP, "7A", name="7A"),
        Change(ChangeKind.ADD_MEMBER, "7A", name="7A", person="harry"),
        Change(ChangeKind.ADD_MEMBER, "7A", name="7A", person="ron"),
        Change(ChangeKind.GRANT_ACCESS, "7A", "7A", "snape", frozenset({"b", "a"})),
        Change(ChangeKind.ADD_MEMBER, "7B", name="7B", person="harry"),
        Change(ChangeKind.ADD_BLOCK, "", person="snape", student="harry", reason="court order"),
    ]
    assert unpack_changes(pack_changes(changes)) == changes
    runs = json.loads(zlib.decompress(pack_changes(changes)))["runs"]
    assert len(runs) == 5  # harry and ron joining 7A are one entry
    # Recorded before version 2: one array per change.
    old = [["add_member", "7A", "7A", "ron", [], "", ""]]
    assert unpack_changes(zlib.compress(json.dumps(old).encode())) == [changes[2]]


def test_staged_state_reads_the_store_once_and_only_when_asked() -> None:
    """A snapshot can be megabytes: a run that never asks for it never decodes it."""
    loads: list[int] = []

    def load() -> dict[str, object]:
        loads.append(1)
        return {"cursor": "abc"}

    state = StagedState(load)
    state.put("other", 1)
    assert state.get("other") == 1 and loads == []
    assert state.get("cursor") == "abc" and state.get("cursor") == "abc"
    assert loads == [1]


def test_a_held_run_is_decided_once(state_url: str) -> None:
    store = Store(state_url)
    holder = new_holder()
    run_id = store.start_run("default", Trigger.MANUAL, holder=holder)
    store.finish_run(run_id, RunStatus.HELD)
    assert store.decide_held(run_id, RunStatus.REJECTED, "rejected")
    assert not store.decide_held(run_id, RunStatus.APPROVED, "approved")
    assert store.run(run_id).summary.status is RunStatus.REJECTED  # type: ignore[union-attr]


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
