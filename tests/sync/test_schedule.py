"""Schedules from config, and the slot a scheduled job learns it runs for."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from sync.config import ScheduleConfig, parse_config
from sync.errors import ConfigError
from sync.schedule import SlotExecutor, current_slot, make_trigger, scheduled_triggers

WHERE = "config.toml: [sync.schedule]"


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        (ScheduleConfig(cron="61 * * * *"), "[sync.schedule] cron:"),
        (ScheduleConfig(cron="* * *"), "five fields"),
        (ScheduleConfig(interval_minutes=5, timezone="Mars/Olympus"), "timezone: unknown"),
        (ScheduleConfig(cron="0 7 * * *", interval_minutes=5), "not both"),
        (ScheduleConfig(), "set cron or interval_minutes"),
    ],
)
def test_a_bad_schedule_names_the_key(schedule: ScheduleConfig, message: str) -> None:
    with pytest.raises(ConfigError, match=None) as caught:
        make_trigger(schedule, where=WHERE)
    assert message in str(caught.value) and WHERE in str(caught.value)


def test_cron_runs_in_the_configured_time_zone() -> None:
    trigger = make_trigger(
        ScheduleConfig(cron="30 6 * * mon-fri", timezone="Europe/London"), where=WHERE
    )
    summer_friday = datetime(2026, 7, 3, 12, 0, tzinfo=UTC)
    fire = trigger.get_next_fire_time(None, summer_friday)
    assert fire.astimezone(UTC) == datetime(2026, 7, 6, 5, 30, tzinfo=UTC)  # Monday, BST


def test_interval_slots_are_the_same_whenever_a_daemon_starts() -> None:
    schedule = ScheduleConfig(interval_minutes=15, timezone="Europe/Oslo")
    first, second = make_trigger(schedule, where=WHERE), make_trigger(schedule, where=WHERE)
    now = datetime(2026, 11, 23, 10, 7, 13, tzinfo=UTC)
    later = now + timedelta(minutes=4, seconds=31)
    assert first.get_next_fire_time(None, now) == second.get_next_fire_time(None, later)
    assert first.get_next_fire_time(None, now).astimezone(UTC).minute == 15


def test_only_syncs_with_a_schedule_are_scheduled(tmp_path: Path) -> None:
    config = parse_config(
        """
[syncs.daily]
sources = ["s"]
target = "t"
schedule = { cron = "0 6 * * *" }
[syncs.by_hand]
sources = ["s"]
target = "t"
[sources.s]
plugin = "impero_csv"
[targets.t]
plugin = "directory"
""",
        tmp_path / "config.toml",
    )
    assert set(scheduled_triggers(config)) == {"daily"}


def test_a_job_learns_the_fire_time_it_runs_for() -> None:
    seen: list[datetime | None] = []
    done = threading.Event()

    def job() -> None:
        seen.append(current_slot())
        done.set()

    scheduler = BackgroundScheduler(executors={"default": SlotExecutor()}, timezone=UTC)
    scheduler.start()
    try:
        when = datetime.now(UTC) + timedelta(milliseconds=200)
        trigger = IntervalTrigger(hours=1, start_date=when, timezone=UTC)
        scheduler.add_job(job, trigger, misfire_grace_time=60)
        assert done.wait(60)
    finally:
        scheduler.shutdown(wait=True)
    assert seen == [when]
    assert current_slot() is None


def test_an_interval_below_a_minute_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # Reproduction: interval_minutes = 0.0001 was accepted (4,447 runs in a minute).
    monkeypatch.delenv("ROSTERSYNC_MIN_INTERVAL_SECONDS", raising=False)
    with pytest.raises(ConfigError, match=r"interval_minutes: 0.0001 is too often.*least is 1 "):
        make_trigger(ScheduleConfig(interval_minutes=0.0001), where="[sync.schedule]")
    assert make_trigger(ScheduleConfig(interval_minutes=1), where="[sync.schedule]") is not None
