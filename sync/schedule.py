"""Schedules: a sync's ``[schedule]`` table -> an APScheduler 3.x trigger, and the slot a
scheduled job fires for.

Interval schedules count from a fixed epoch, so every daemon sharing a state store fires
at the same instants: a fire time (the *slot*) then names the same run everywhere, which
is what lets several daemons run each slot once (see ``sync.daemon``).
"""

from __future__ import annotations

import os
import threading
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.executors.base import run_job
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from sync.config import Config, ScheduleConfig
from sync.errors import ConfigError

#: Interval schedules are aligned to this instant (in the schedule's time zone).
EPOCH = datetime(2000, 1, 1)

MIN_INTERVAL_SECONDS = 60.0
"""The shortest schedule interval: ``interval_minutes = 0.0001`` is a typo, not a wish."""
MIN_INTERVAL_ENV = "ROSTERSYNC_MIN_INTERVAL_SECONDS"

_slot = threading.local()


def schedule_key(config: Config, sync: str) -> str:
    """Where a sync's schedule is written in config.toml, for error messages."""
    raw_sync = config.raw.get("sync")
    if sync == "default" and isinstance(raw_sync, dict):
        return "[sync.schedule]"
    return f"[syncs.{sync}.schedule]"


def make_trigger(schedule: ScheduleConfig, *, where: str) -> Any:
    """The APScheduler trigger for a schedule; ``ConfigError`` names ``where`` and the key."""
    try:
        zone = ZoneInfo(schedule.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{where} timezone: unknown time zone {schedule.timezone!r}; "
            "use an IANA name such as 'Europe/London' or 'UTC'"
        ) from None
    if schedule.cron and schedule.interval_minutes:
        raise ConfigError(f"{where}: set either cron or interval_minutes, not both")
    if schedule.cron:
        try:
            return CronTrigger.from_crontab(schedule.cron, timezone=zone)
        except ValueError as exc:
            raise ConfigError(
                f"{where} cron: {exc}; write five fields: minute hour day month weekday, "
                "e.g. '*/15 7-18 * * mon-fri'"
            ) from None
    if schedule.interval_minutes:
        least = min_interval_seconds()
        if schedule.interval_minutes * 60 < least:
            raise ConfigError(
                f"{where} interval_minutes: {schedule.interval_minutes:g} is too often; a run "
                f"reads every source and the whole target, so the least is {least / 60:g} "
                "(minutes, not seconds)"
            )
        return IntervalTrigger(
            seconds=schedule.interval_minutes * 60,
            start_date=EPOCH.replace(tzinfo=zone),
            timezone=zone,
        )
    raise ConfigError(f"{where}: set cron or interval_minutes (or remove the table)")


def min_interval_seconds() -> float:
    """The shortest interval a schedule may have: a minute, or less where
    ``$ROSTERSYNC_MIN_INTERVAL_SECONDS`` says (the daemon's own tests run every second)."""
    try:
        return max(0.0, float(os.environ.get(MIN_INTERVAL_ENV, MIN_INTERVAL_SECONDS)))
    except ValueError:
        return MIN_INTERVAL_SECONDS


def scheduled_triggers(config: Config) -> dict[str, Any]:
    """Every scheduled sync's trigger; syncs without a ``[schedule]`` run only by hand."""
    return {
        name: make_trigger(sync.schedule, where=f"{config.path}: {schedule_key(config, name)}")
        for name, sync in config.syncs.items()
        if sync.schedule is not None
    }


def current_slot() -> datetime | None:
    """The fire time of the scheduled job running in this thread (``SlotExecutor``)."""
    value: datetime | None = getattr(_slot, "value", None)
    return value


def _run_with_slot(job: Any, jobstore_alias: str, run_times: list[datetime], logger: str) -> Any:
    events: list[Any] = []
    for run_time in run_times:
        _slot.value = run_time
        try:
            events.extend(run_job(job, jobstore_alias, [run_time], logger))
        finally:
            _slot.value = None
    return events


class SlotExecutor(ThreadPoolExecutor):  # type: ignore[misc]
    """A thread pool executor that tells each job which fire time it runs for.

    APScheduler 3.x does not hand the scheduled time to the job; executors receive it
    (``_do_submit_job`` is the documented extension point of custom executors).
    """

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        def done(future: Any) -> None:
            exc = future.exception()
            if exc is not None:
                self._run_job_error(job.id, exc, exc.__traceback__)
            else:
                self._run_job_success(job.id, future.result())

        future = self._pool.submit(
            _run_with_slot, job, job._jobstore_alias, run_times, self._logger.name
        )
        future.add_done_callback(done)


def next_fire(trigger: Any, after: datetime) -> datetime | None:
    """The first fire time strictly after ``after``."""
    value: datetime | None = trigger.get_next_fire_time(after, after + timedelta(microseconds=1))
    return value
