"""The daemon: runs each scheduled sync on its schedule, once per slot, however many
daemons share the state store.

A scheduled job fires for a *slot* (its fire time, the same on every daemon: see
``sync.schedule``). Before running it the job

1. skips the slot if the sync is paused (manual runs still work);
2. claims the slot: on PostgreSQL a session-level advisory lock keyed by (sync, slot),
   held for the whole run and dropped by the server if the daemon's connection dies;
3. skips the slot if a scheduled run of the sync already started at or after the slot
   (a slower daemon arriving after the first one finished);
4. runs it; the store's lease lock still keeps any two runs of a sync from overlapping.

So two daemons firing at the same instant make one run, not one run and a refused one.
"""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler

from sync.app import App
from sync.errors import ConfigError, RostersyncError, RunInProgressError
from sync.gc_tuning import few_gc_passes
from sync.model import RunStatus, Trigger
from sync.redact import redact
from sync.run import Engine, RunOutcome, RunRequest
from sync.schedule import SlotExecutor, current_slot, scheduled_triggers
from sync.sdnotify import notify, watchdog_interval
from sync.storage import is_postgresql
from sync.store import Store, run_t

log = logging.getLogger(__name__)

PID_FILE_ENV = "ROSTERSYNC_PID_FILE"
PID_FILE_NAME = "rostersync.pid"


# -- one slot, once -----------------------------------------------------------
def slot_text(slot: datetime) -> str:
    return slot.astimezone(UTC).isoformat(timespec="milliseconds")


def _slot_key(sync: str, slot: datetime) -> int:
    digest = hashlib.blake2b(f"rostersync-slot:{sync}:{slot_text(slot)}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


@contextmanager
def claim_slot(store: Store, sync: str, slot: datetime) -> Iterator[bool]:
    """Yield True if this process may run the slot; on PostgreSQL, hold an advisory lock
    on (sync, slot) meanwhile. SQLite has one daemon per store, so the claim always wins."""
    if not is_postgresql(store.engine):
        yield True
        return
    key = _slot_key(sync, slot)
    connection = store.engine.connect()
    claimed = False
    try:
        claimed = bool(
            connection.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar()
        )
        connection.commit()  # the lock is held by the session, not the transaction
        yield claimed
    finally:
        try:
            if claimed:
                connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                connection.commit()
        except sa.exc.DBAPIError:
            connection.invalidate()  # closing the session releases the lock anyway
        finally:
            connection.close()


def scheduled_run_since(store: Store, sync: str, slot: datetime) -> int | None:
    """The first scheduled run of ``sync`` that started at or after ``slot``, if any."""
    query = (
        sa.select(run_t.c.id)
        .where(
            run_t.c.sync == sync,
            run_t.c.trigger == Trigger.SCHEDULED.value,
            run_t.c.started_at >= slot.astimezone(UTC),
        )
        .order_by(run_t.c.id)
        .limit(1)
    )
    with store.engine.connect() as c:
        found = c.execute(query).scalar()
    return int(found) if found is not None else None


# -- sync now, or when the run in progress is done ---------------------------------
def run_when_free(
    engine: Engine,
    sync: str | None,
    request: RunRequest,
    *,
    timeout: float,
    notice: Callable[[str], None],
) -> RunOutcome:
    """``engine.run``, waiting (polling the run lock with backoff) while another run holds
    it; ``RunInProgressError`` once ``timeout`` seconds have gone by."""
    deadline = time.monotonic() + timeout
    delay = 0.2
    told = False
    name = engine.config.sync(sync)[0]
    while True:
        try:
            return engine.run(sync, request)
        except RunInProgressError as exc:
            if not told:
                notice(f"{exc}; waiting for it to finish (at most {timeout:g} s)")
                told = True
            # Every few polls try anyway: a holder that died keeps its row until taken over.
            for _ in range(5):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise RunInProgressError(
                        f"{exc}; still running after waiting {timeout:g} s "
                        "(wait longer with --timeout SECONDS)",
                        run_id=exc.run_id,
                        since=exc.since,
                    ) from None
                time.sleep(min(delay, remaining))
                delay = min(delay * 2, 2.0)
                lock = engine.store.current_lock(name)
                if lock is None or lock[0] != exc.run_id:
                    break  # free, or a different run: try again


# -- the pid file, for `rostersync reload` -----------------------------------------
def pid_file_path(explicit: str | None, config_path: Path) -> Path:
    """``--pid-file``, else ``$ROSTERSYNC_PID_FILE``, else rostersync.pid beside the config."""
    chosen = explicit or os.environ.get(PID_FILE_ENV)
    return Path(chosen) if chosen else config_path.resolve().parent / PID_FILE_NAME


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_pid_file(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the pid file: {exc.strerror}") from None
    if not text.isdigit():
        raise ConfigError(f"{path}: not a pid file (expected a process id); remove it")
    return int(text)


def write_pid_file(path: Path) -> None:
    other = read_pid_file(path)
    if other is not None and other != os.getpid() and _alive(other):
        raise ConfigError(
            f"{path}: a rostersync daemon (pid {other}) already runs with this pid file; "
            "stop it first, or give this one another with --pid-file"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{os.getpid()}\n", encoding="ascii")


def signal_daemon(path: Path, signum: int) -> int:
    """Send ``signum`` to the daemon named in the pid file; return its pid."""
    pid = read_pid_file(path)
    if pid is None or not _alive(pid):
        raise ConfigError(
            f"{path}: no rostersync daemon is running with this pid file "
            "(give the daemon's with --pid-file or $ROSTERSYNC_PID_FILE; "
            "under systemd use 'systemctl reload rostersync')"
        )
    os.kill(pid, signum)
    return pid


# -- the daemon -------------------------------------------------------------------
class Daemon:
    """Schedules the configured syncs and runs them until SIGTERM.

    ``load`` builds a fresh ``App`` from the configuration file; it runs at start and on
    each reload (SIGHUP), and a configuration it rejects leaves the old one running.
    """

    def __init__(self, load: Callable[[], App], *, only: str | None = None) -> None:
        self._load = load
        self._only = only
        self.stop = threading.Event()
        self._reload = threading.Event()
        self._wake = threading.Event()
        self.app, self._triggers = self._prepare()
        self.scheduler = BackgroundScheduler(
            executors={"default": SlotExecutor(max_workers=max(len(self._triggers), 1) + 1)},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=UTC,
        )

    def _prepare(self) -> tuple[App, dict[str, Any]]:
        """Load and check a configuration: its schedules, and that the store opens."""
        app = self._load()
        config = app.config
        triggers = scheduled_triggers(config)
        if self._only is not None:
            name = config.sync(self._only)[0]
            triggers = {k: v for k, v in triggers.items() if k == name}
        if not triggers:
            raise ConfigError(
                f"{config.path}: no sync has a schedule, so the daemon has nothing to do; add "
                "[sync.schedule] (or [syncs.NAME.schedule]) with cron or interval_minutes"
            )
        app.store  # noqa: B018 -- opens the store and runs its migrations now
        return app, triggers

    def _schedule(self) -> None:
        self.scheduler.remove_all_jobs()
        config = self.app.config
        for name, trigger in self._triggers.items():
            schedule = config.syncs[name].schedule
            assert schedule is not None
            job = self.scheduler.add_job(
                self.fire,
                trigger,
                args=[name],
                id=f"sync:{name}",
                name=f"sync {name}",
                coalesce=True,
                max_instances=1,
                misfire_grace_time=schedule.misfire_grace_seconds,
                replace_existing=True,
            )
            log.info("sync %s scheduled by %s; next run at %s", name, trigger, job.next_run_time)

    # -- one scheduled job -------------------------------------------------------
    def fire(self, sync: str, slot: datetime | None = None) -> None:
        """The scheduled job: run ``sync`` for its slot (the fire time the scheduler hands
        over, see ``SlotExecutor``), unless something says not to."""
        slot = slot or current_slot() or datetime.now(UTC)
        where = f"sync {sync} slot {slot_text(slot)}"
        if self.stop.is_set():
            return
        app = self.app
        try:
            pause = app.store.pause_state(sync)
            if pause.active():
                until = pause.until.isoformat() if pause.until else "resumed by hand"
                log.info("%s: skipped, the sync is paused (until %s)", where, until)
                return
            with claim_slot(app.store, sync, slot) as claimed:
                if not claimed:
                    log.info("%s: skipped, another daemon is running it", where)
                    return
                done = scheduled_run_since(app.store, sync, slot)
                if done is not None:
                    log.info("%s: skipped, run %d already did it", where, done)
                    return
                request = RunRequest(trigger=Trigger.SCHEDULED, stop=self.stop)
                outcome = app.engine.run(sync, request)
            level = logging.INFO if outcome.status is RunStatus.OK else logging.WARNING
            log.log(level, "%s: ran run %s: %s", where, outcome.run_id, outcome.status.value)
        except RunInProgressError as exc:
            log.warning("%s: skipped: %s", where, exc)
        except RostersyncError as exc:
            log.error("%s: could not run: %s", where, exc)
        except sa.exc.SQLAlchemyError as exc:
            reason = redact(str(exc).splitlines()[0]) if str(exc) else type(exc).__name__
            log.error("%s: the state store failed, the next slot tries again: %s", where, reason)

    # -- reload, stop ------------------------------------------------------------
    def reload(self) -> bool:
        """Re-read the configuration; a bad one is logged and the old one keeps running."""
        log.info("reloading the configuration")
        try:
            app, triggers = self._prepare()
        except RostersyncError as exc:
            log.error("the new configuration was rejected; the old one keeps running: %s", exc)
            notify("STATUS=configuration rejected on reload; running the old one")
            return False
        self.app, self._triggers = app, triggers
        self._schedule()
        log.info("configuration reloaded: %d scheduled syncs", len(triggers))
        notify(f"STATUS=running {len(triggers)} scheduled syncs")
        return True

    def request_stop(self, signum: int = signal.SIGTERM, _frame: FrameType | None = None) -> None:
        self.stop.set()
        self._wake.set()

    def request_reload(self, signum: int = signal.SIGHUP, _frame: FrameType | None = None) -> None:
        self._reload.set()
        self._wake.set()

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self.request_stop)
        signal.signal(signal.SIGINT, self.request_stop)
        signal.signal(signal.SIGHUP, self.request_reload)

    def serve(self, on_started: Callable[[], None] = lambda: None) -> int:
        """Run until asked to stop; the batch in flight finishes and its run is recorded."""
        with few_gc_passes():
            return self._serve(on_started)

    def _serve(self, on_started: Callable[[], None]) -> int:
        self.scheduler.start()
        self._schedule()
        on_started()
        notify(f"READY=1\nSTATUS=running {len(self._triggers)} scheduled syncs")
        interval = watchdog_interval()
        while not self.stop.is_set():
            self._wake.wait(timeout=interval or 60.0)
            self._wake.clear()
            if self._reload.is_set():
                self._reload.clear()
                self.reload()
            if interval and self.scheduler.running:
                notify("WATCHDOG=1")
        notify("STOPPING=1")
        log.info("stopping: the run in progress (if any) stops after its current batch")
        self.scheduler.shutdown(wait=True)
        log.info("stopped")
        return 0
