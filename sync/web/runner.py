"""Runs started from the console: in this process, in a thread, under the sync's run lock.

The engine takes the same run lock as every other run, so a click while a run of the
sync is in progress (here, in the daemon, or on another machine sharing the store) is
told so and starts nothing. Progress is kept in memory for the overview's live bar.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace

from sync.app import App
from sync.errors import RostersyncError, RunInProgressError
from sync.model import RunStatus, Trigger
from sync.run import RunOutcome, RunRequest

log = logging.getLogger(__name__)

_APPLIED = re.compile(r"^applied (\d+)/(\d+)$")
_STEPS = {"starting": 0.02, "checking the held plan": 0.05, "fetching": 0.1, "planning": 0.3}
WAIT_FOR_START = 30.0


@dataclass(frozen=True)
class Progress:
    """Where a console-started run is: its step, and how far along (0 to 1)."""

    sync: str
    user: str
    step: str = "starting"
    fraction: float = 0.0
    run_id: int | None = None
    status: RunStatus = RunStatus.RUNNING
    message: str = ""


def fraction_of(step: str, previous: float) -> float:
    """A step's place on the progress bar: reading and planning first, then applying."""
    if step in _STEPS:
        return max(previous, _STEPS[step])
    if step == "applying":
        return max(previous, 0.4)
    applied = _APPLIED.match(step)
    if applied and int(applied.group(2)):
        return max(previous, 0.4 + 0.6 * int(applied.group(1)) / int(applied.group(2)))
    return previous


@dataclass(frozen=True)
class Started:
    """The answer to a click: whether a run started, and what to tell the user."""

    started: bool
    message: str
    run_id: int | None = None


Recorder = Callable[[str, str, str, int], None]
"""``record(user, action, sync, run_id)``: who started which run, for the audit record."""


class ConsoleRunner:
    """Starts runs and approvals in background threads and follows their progress."""

    def __init__(self, app: Callable[[], App], record: Recorder) -> None:
        self._app = app
        self._record = record
        self._lock = threading.Lock()
        self._progress: dict[str, Progress] = {}
        self._threads: dict[str, threading.Thread] = {}

    def progress(self, sync: str) -> Progress | None:
        with self._lock:
            return self._progress.get(sync)

    def busy(self, sync: str) -> bool:
        with self._lock:
            thread = self._threads.get(sync)
            return thread is not None and thread.is_alive()

    def start(self, sync: str, user: str, *, approve: int | None = None) -> Started:
        """Start a run of ``sync`` (or apply the plan held by run ``approve``) for ``user``.

        Returns once the run holds the lock and has a run number, or has been refused."""
        with self._lock:
            thread = self._threads.get(sync)
            if thread is not None and thread.is_alive():
                current = self._progress.get(sync)
                who = f" (started by {current.user})" if current else ""
                return Started(False, f"a run of sync {sync!r} is already in progress{who}")
            ready = threading.Event()
            answer: list[Started] = []
            self._progress[sync] = Progress(sync=sync, user=user)
            thread = threading.Thread(
                target=self._run,
                args=(sync, user, approve, ready, answer),
                name=f"console-run-{sync}",
                daemon=True,
            )
            self._threads[sync] = thread
            thread.start()
        ready.wait(WAIT_FOR_START)
        return answer[0] if answer else Started(True, f"sync {sync!r} started")

    def _update(self, sync: str, **changes: object) -> Progress:
        with self._lock:
            current = replace(self._progress[sync], **changes)  # type: ignore[arg-type]
            self._progress[sync] = current
            return current

    def _run(
        self,
        sync: str,
        user: str,
        approve: int | None,
        ready: threading.Event,
        answer: list[Started],
    ) -> None:
        app = self._app()

        def on_progress(step: str) -> None:
            now = self.progress(sync)
            fraction = fraction_of(step, now.fraction if now else 0.0)
            run_id = now.run_id if now else None
            if run_id is None:
                lock = app.store.current_lock(sync)
                run_id = lock[0] if lock else None
            self._update(sync, step=step, fraction=fraction, run_id=run_id)
            if run_id is not None and not ready.is_set():
                what = f"approval of run {approve}" if approve is not None else "run"
                answer.append(Started(True, f"{what} {run_id} of sync {sync!r} started", run_id))
                self._record(user, action, sync, run_id)
                ready.set()

        action = "approve" if approve is not None else "sync"
        request = RunRequest(trigger=Trigger.WEB, progress=on_progress)
        try:
            outcome: RunOutcome = (
                app.engine.approve(approve, request)
                if approve is not None
                else app.engine.run(sync, request)
            )
        except RunInProgressError as exc:
            self._update(sync, status=RunStatus.FAILED, message=str(exc))
            answer.append(Started(False, f"nothing started: {exc}"))
            ready.set()
            return
        except RostersyncError as exc:
            self._update(sync, status=RunStatus.FAILED, message=str(exc))
            answer.append(Started(False, f"nothing started: {exc}"))
            ready.set()
            return
        except Exception as exc:
            log.exception("a run started from the console failed")
            self._update(sync, status=RunStatus.FAILED, message=type(exc).__name__)
            answer.append(Started(False, "the run failed to start; see the log"))
            ready.set()
            return
        self._update(
            sync,
            status=outcome.status,
            fraction=1.0,
            step="",
            run_id=outcome.run_id,
            message=outcome.error,
        )
        if not ready.is_set():
            answer.append(Started(True, f"run {outcome.run_id} finished", outcome.run_id))
            if outcome.run_id is not None:
                self._record(user, action, sync, outcome.run_id)
            ready.set()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the runs in flight (shutting down, and tests)."""
        with self._lock:
            threads = list(self._threads.values())
        for thread in threads:
            thread.join(timeout)
