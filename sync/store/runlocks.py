"""The run lock: a lease per sync, taken by compare-and-swap on the holder token."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import timedelta

import sqlalchemy as sa

from sync.errors import RunInProgressError
from sync.model import RunStatus
from sync.store.database import Database, control_t, run_t
from sync.store.times import as_utc, iso, utcnow

log = logging.getLogger(__name__)


def this_machine() -> str:
    """The host name, and the PID namespace where it can be read: two containers may
    share a host name, and only in the same PID namespace does a process id mean the
    same process."""
    try:
        namespace = os.readlink("/proc/self/ns/pid").removeprefix("pid:").strip("[]")
    except OSError:
        return socket.gethostname()
    return f"{socket.gethostname()}@{namespace}"


def new_holder() -> str:
    """A lock holder token: machine and process id (a dead holder on this machine is
    detectable), and a random part so two runs in one process never share a token."""
    return f"{this_machine()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _holder_is_dead(holder: str) -> bool:
    host, pid, _ = [*holder.split(":"), "", "", ""][:3]
    if host != this_machine() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class RunLocks(Database):
    """Each sync's run lock."""

    def acquire_lock(self, sync: str, holder: str, lease: timedelta) -> None:
        """Take the sync's run lock, or raise ``RunInProgressError`` naming the run in progress.

        The lock is a lease that the holder renews (``renew_lock``). One whose lease ran
        out, or whose holder process on this host is gone, is taken over, and the run it
        was doing is marked interrupted. Taking it is a compare-and-swap on the holder,
        so two processes racing for it never both win, on SQLite or PostgreSQL.
        """
        with self._tx() as c:
            self._ensure_control(c, sync)
        for _ in range(3):
            now = utcnow()
            with self._tx() as c:
                row = c.execute(sa.select(control_t).where(control_t.c.sync == sync)).one()
                since = c.execute(
                    sa.select(run_t.c.started_at).where(run_t.c.id == row.lock_run_id)
                ).scalar()
            expires = as_utc(row.lock_expires_at)
            alive = (
                bool(row.lock_holder)
                and expires is not None
                and expires > now
                and not _holder_is_dead(row.lock_holder)
            )
            if alive:
                run = f"run {row.lock_run_id}" if row.lock_run_id else "a run"
                raise RunInProgressError(
                    f"{run} of sync {sync!r} is in progress since {iso(since) or 'just now'} "
                    f"(process {row.lock_holder.rsplit(':', 1)[0]})",
                    run_id=row.lock_run_id,
                    since=iso(since) or "",
                )
            with self._tx() as c:
                # Swap only if neither holder nor lease changed since we looked: a holder
                # that renewed its lease in the meantime keeps the lock.
                same_lease = (
                    control_t.c.lock_expires_at.is_(None)
                    if row.lock_expires_at is None
                    else control_t.c.lock_expires_at == row.lock_expires_at
                )
                swapped = c.execute(
                    sa.update(control_t)
                    .where(
                        control_t.c.sync == sync,
                        control_t.c.lock_holder == row.lock_holder,
                        same_lease,
                    )
                    .values(lock_run_id=None, lock_holder=holder, lock_expires_at=now + lease)
                ).rowcount
                if swapped == 1 and row.lock_run_id is not None:
                    log.warning(
                        "took over the lock of run %s: its process %s is gone",
                        row.lock_run_id,
                        row.lock_holder,
                    )
                    c.execute(
                        sa.update(run_t)
                        .where(run_t.c.id == row.lock_run_id)
                        .where(run_t.c.status == RunStatus.RUNNING.value)
                        .values(
                            status=RunStatus.INTERRUPTED.value,
                            step="",
                            finished_at=now,
                            error="the process running it stopped before it finished",
                        )
                    )
            if swapped == 1:
                return
        raise RunInProgressError(f"another run of sync {sync!r} has just started")

    def attach_run(self, sync: str, holder: str, run_id: int) -> None:
        """Name the run that the lock ``holder`` is doing, so a second caller can be told."""
        with self._tx() as c:
            c.execute(
                sa.update(control_t)
                .where(control_t.c.sync == sync, control_t.c.lock_holder == holder)
                .values(lock_run_id=run_id)
            )

    def renew_lock(self, sync: str, holder: str, lease: timedelta) -> bool:
        now = utcnow()
        with self._tx() as c:
            updated = c.execute(
                sa.update(control_t)
                .where(control_t.c.sync == sync, control_t.c.lock_holder == holder)
                .values(lock_expires_at=now + lease)
            )
            run_id = c.execute(
                sa.select(control_t.c.lock_run_id).where(control_t.c.sync == sync)
            ).scalar()
            if run_id is not None:
                c.execute(sa.update(run_t).where(run_t.c.id == run_id).values(heartbeat_at=now))
        return updated.rowcount == 1

    def release_lock(self, sync: str, holder: str) -> None:
        with self._tx() as c:
            c.execute(
                sa.update(control_t)
                .where(control_t.c.sync == sync, control_t.c.lock_holder == holder)
                .values(lock_run_id=None, lock_holder="", lock_expires_at=None)
            )

    def current_lock(self, sync: str) -> tuple[int | None, str] | None:
        with self._tx() as c:
            row = c.execute(sa.select(control_t).where(control_t.c.sync == sync)).first()
        if row is None or not row.lock_holder:
            return None
        return row.lock_run_id, row.lock_holder
