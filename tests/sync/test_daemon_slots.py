"""One run per schedule slot, however many daemons fire it (the job, called directly)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sync.app import App
from sync.daemon import Daemon, claim_slot
from sync.errors import ConfigError
from sync.plugins import load_plugins
from sync.store import Store, new_holder

SCHEDULE = '\n[sync.schedule]\ncron = "*/15 * * * *"\n'


def daemon_for(workdir: Path, state_url: str) -> Daemon:
    config = workdir / "config.toml"
    text = config.read_text().replace(f"sqlite:///{workdir / 'state.db'}", state_url)
    if "[sync.schedule]" not in text:
        config.write_text(
            text.replace("retry_wait_seconds = 0\n", "retry_wait_seconds = 0\n" + SCHEDULE)
        )
    plugins = load_plugins()
    return Daemon(lambda: App(config_path=str(config), plugins=plugins))


def scheduled(store: Store) -> list[int]:
    return [r.summary.id for r in store.runs() if r.summary.trigger.value == "scheduled"]


def test_a_late_daemon_does_not_run_a_slot_again(
    workdir: Path, state_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sync.daemon")
    first, late = daemon_for(workdir, state_url), daemon_for(workdir, state_url)
    slot = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    first.fire("default", slot)
    late.fire("default", slot)
    [run] = scheduled(first.app.store)
    assert f"ran run {run}: ok" in caplog.text
    assert f"skipped, run {run} already did it" in caplog.text
    first.fire("default", slot + timedelta(minutes=15))  # the next slot runs again
    assert len(scheduled(first.app.store)) == 2


@pytest.mark.postgres
def test_a_slot_claimed_by_another_daemon_is_skipped(
    workdir: Path, pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sync.daemon")
    daemon, other = daemon_for(workdir, pg_url), Store(pg_url)
    slot = datetime.now(UTC).replace(microsecond=0)
    with claim_slot(other, "default", slot) as claimed:  # another daemon is mid-run
        assert claimed
        daemon.fire("default", slot)
    assert "skipped, another daemon is running it" in caplog.text
    assert scheduled(daemon.app.store) == []
    daemon.fire("default", slot)  # it let go without running: this one runs it now
    assert len(scheduled(daemon.app.store)) == 1


def test_a_run_in_progress_is_logged_not_raised(
    workdir: Path, state_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    daemon = daemon_for(workdir, state_url)
    holder = new_holder()
    daemon.app.store.acquire_lock("default", holder, timedelta(minutes=5))
    daemon.fire("default", datetime.now(UTC))
    daemon.app.store.release_lock("default", holder)
    assert "skipped: a run of sync 'default' is in progress since" in caplog.text
    assert scheduled(daemon.app.store) == []


def test_a_paused_sync_skips_its_slot(
    workdir: Path, state_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sync.daemon")
    daemon = daemon_for(workdir, state_url)
    daemon.app.store.pause("default", None, "exams")
    daemon.fire("default", datetime.now(UTC))
    assert "skipped, the sync is paused (until resumed by hand)" in caplog.text
    assert scheduled(daemon.app.store) == []


def test_a_rejected_reload_keeps_the_old_configuration(
    workdir: Path, state_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    daemon = daemon_for(workdir, state_url)
    old = daemon.app
    (workdir / "config.toml").write_text("[sync]\nsources = []\n")
    assert daemon.reload() is False
    assert daemon.app is old
    assert "rejected; the old one keeps running" in caplog.text
    assert "[sync] sources: " in caplog.text


def test_a_daemon_refuses_a_sync_it_does_not_know(workdir: Path, state_url: str) -> None:
    daemon_for(workdir, state_url)
    config = str(workdir / "config.toml")
    with pytest.raises(ConfigError, match="no sync called 'nope'"):
        Daemon(lambda: App(config_path=config, plugins=load_plugins()), only="nope")
