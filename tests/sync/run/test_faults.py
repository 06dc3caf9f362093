"""Surviving faults: a flaky or refusing target, a failing source, a process killed mid-apply."""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sync.config import load_config
from sync.contract import PluginOptions, TargetType
from sync.errors import RetriableError, TargetError
from sync.hookspecs import hookimpl
from sync.model import Change, ChangeKind, RunStatus
from sync.plugins import load_plugins
from sync.run import Engine, RunRequest
from sync.testing import MemoryTarget, flaky
from tests.fakes.entry_points import install_entry_point, rostersync_env, run_rostersync
from tests.fakes.stalling_target import kill_when_stalled

SEED_ACCESS = {
    ("Potions", "Severus_Snape"),
    ("Dark Arts", "Severus_Snape"),
    ("Dark Arts", "Amycus_Carrow"),
    ("Flying", "Rolanda_Hooch"),
    ("Muggle Studies", "Charity_Burbage"),
}
SEED_MEMBERS = {
    ("Potions", "Harry_Potter"),
    ("Dark Arts", "Harry_Potter"),
    ("Flying", "Harry_Potter"),
    ("Potions", "Ron_Weasley"),
    ("Muggle Studies", "Ron_Weasley"),
}


class MemoryPlugin:
    """Offers one shared MemoryTarget as the target kind ``memory``."""

    def __init__(self, target: MemoryTarget) -> None:
        self.target = target

    @hookimpl
    def register_targets(self, register: Callable[[TargetType[Any]], None]) -> None:
        register(TargetType(name="memory", options=PluginOptions, factory=self._make))

    def _make(self, options: PluginOptions, context: object) -> MemoryTarget:
        return self.target


def engine_for(workdir: Path, target: MemoryTarget, batch_size: int = 2) -> Engine:
    config = workdir / "config.toml"
    text = config.read_text().replace('plugin = "directory"', 'plugin = "memory"')
    config.write_text(
        text.replace("retry_wait_seconds = 0", f"retry_wait_seconds = 0\nbatch_size = {batch_size}")
    )
    return Engine(
        load_config(config), load_plugins(entry_points=False, extra=[MemoryPlugin(target)])
    )


def test_a_flaky_target_converges_through_retries(workdir: Path) -> None:
    target = MemoryTarget(fail_calls={**flaky(2), **flaky(5)})
    engine = engine_for(workdir, target)
    outcome = engine.run()
    assert outcome.status is RunStatus.OK and outcome.retries == 2
    assert target.members == SEED_MEMBERS
    assert engine.run().applied == {}


def test_a_target_that_keeps_failing_fails_the_run_and_the_next_run_converges(
    workdir: Path,
) -> None:
    target = MemoryTarget(fail_calls={n: RetriableError("timeout") for n in range(3, 8)})
    engine = engine_for(workdir, target)
    outcome = engine.run()
    assert outcome.status is RunStatus.FAILED and "gave up after retries" in outcome.error
    assert outcome.retries == 4  # five attempts at batch 3
    detail = engine.store.run(outcome.run_id or 0)
    assert detail is not None and detail.summary.retries == 4
    assert len(target.calls) == 7
    assert target.members != SEED_MEMBERS
    target.fail_calls.clear()
    assert engine.run().status is RunStatus.OK
    assert target.members == SEED_MEMBERS


def test_a_rejected_change_is_reported_the_rest_applied_and_retried_next_run(
    workdir: Path,
) -> None:
    refuse = {"on": True}

    def reject(change: Change) -> str | None:
        if refuse["on"] and change.kind is ChangeKind.ADD_MEMBER and change.person == "Ron_Weasley":
            return "409 user is locked"
        return None

    target = MemoryTarget(reject=reject)
    engine = engine_for(workdir, target)
    outcome = engine.run()
    assert outcome.status is RunStatus.PARTIAL and outcome.failed == 2
    assert target.members == {m for m in SEED_MEMBERS if m[1] != "Ron_Weasley"}
    issues = engine.store.run_issues(outcome.run_id or 0)
    assert any("add Ron_Weasley to 'Potions': 409 user is locked" in i.message for i in issues)
    refuse["on"] = False
    again = engine.run()
    assert again.status is RunStatus.OK and again.applied == {"add_member": 2}
    assert target.members == SEED_MEMBERS


def test_a_failing_source_never_touches_the_target(workdir: Path) -> None:
    target = MemoryTarget()
    engine = engine_for(workdir, target)
    engine.run()
    calls = len(target.calls)
    (workdir / "impero" / "teachers.csv").unlink()
    outcome = engine.run()
    assert outcome.status is RunStatus.FAILED and "teachers.csv: file not found" in outcome.error
    assert len(target.calls) == calls and target.members == SEED_MEMBERS


def test_a_stop_request_finishes_the_batch_in_flight_and_the_next_run_completes(
    workdir: Path,
) -> None:
    target = MemoryTarget()
    engine = engine_for(workdir, target, batch_size=1)
    stop = __import__("threading").Event()
    calls_before_stop = 3
    original_apply = target.apply

    def apply_then_stop(changes: Any) -> Any:
        result = original_apply(changes)
        if len(target.calls) == calls_before_stop:
            stop.set()
        return result

    target.apply = apply_then_stop  # type: ignore[method-assign]
    outcome = engine.run(request=RunRequest(stop=stop))
    assert outcome.status is RunStatus.INTERRUPTED
    assert sum(outcome.applied.values()) == calls_before_stop
    target.apply = original_apply  # type: ignore[method-assign]
    assert engine.run().status is RunStatus.OK
    assert target.members == SEED_MEMBERS


@pytest.mark.slow
def test_sigkill_mid_apply_then_the_next_run_converges(workdir: Path, tmp_path: Path) -> None:
    site = install_entry_point(
        tmp_path / "site", "stalling-target", "stall", "tests.fakes.stalling_target"
    )
    env = rostersync_env(site)
    config = workdir / "config.toml"
    good = config.read_text().replace(
        "retry_wait_seconds = 0", "retry_wait_seconds = 0\nbatch_size = 2"
    )
    marker = tmp_path / "stalled"
    config.write_text(
        good.replace(
            'plugin = "directory"',
            f'plugin = "stalling_directory"\nstall_after = 3\nmarker = "{marker}"',
        )
    )
    assert kill_when_stalled(config, marker, env) == -signal.SIGKILL

    config.write_text(good)
    assert_the_rerun_converges(config, env)


def assert_the_rerun_converges(config: Path, env: dict[str, str]) -> None:
    """After a sync of the seed was killed mid-apply: the next one completes it, the killed
    run is recorded as interrupted, and a third plans nothing."""
    result = run_rostersync("--config", str(config), "sync", "--json", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    second = json.loads(result.stdout)
    assert second["applied"] and second["status"] == "ok"
    shown = json.loads(run_rostersync("--config", str(config), "show", "--json", env=env).stdout)
    members = {(g["name"], m) for g in shown["groups"] for m in g["members"]}
    access = {(g["name"], a) for g in shown["groups"] for a in g["access"]}
    assert members == SEED_MEMBERS
    assert access == SEED_ACCESS
    runs = json.loads(run_rostersync("--config", str(config), "runs", "--json", env=env).stdout)
    assert [(r["id"], r["status"]) for r in runs] == [(2, "ok"), (1, "interrupted")]
    third = json.loads(run_rostersync("--config", str(config), "sync", "--json", env=env).stdout)
    assert third["changes"] == []


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
