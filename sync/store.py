"""The state store: runs and their issues, plugin state, pauses and run locks.

SQLite by default, PostgreSQL for several daemons sharing one store. Thousands of
issues are written with one bulk statement, never one ORM object per row.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import uuid
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from sync.errors import ConfigError, RunInProgressError
from sync.model import Change, ChangeKind, Issue, RunStatus, RunSummary, Severity, Trigger
from sync.redact import redact
from sync.storage import migrate, open_database, redact_url
from sync.tables import PluginStateRow, RunIssueRow, RunRow, SyncControlRow

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "rs_alembic_version"

run_t = RunRow.__table__  # type: ignore[attr-defined]
issue_t = RunIssueRow.__table__  # type: ignore[attr-defined]
state_t = PluginStateRow.__table__  # type: ignore[attr-defined]
control_t = SyncControlRow.__table__  # type: ignore[attr-defined]


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def iso(value: datetime | None) -> str | None:
    value = as_utc(value)
    return value.isoformat(timespec="seconds") if value else None


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


_RECORD_VERSION = 2
# A change without its person: consecutive changes sharing it are recorded as one run.
_ALL_BUT_PERSON = itemgetter(0, 1, 2, 4, 5, 6)
_PERSON = itemgetter(3)


def pack_changes(changes: Sequence[Change]) -> bytes:
    """Changes as compressed JSON: consecutive changes that differ only in the person
    are one entry ``[kind, group, name, options, student, reason, [person, ...]]``.

    A district's first sync records hundreds of thousands of changes, nearly all of
    them a group's members one after another, so this is a few thousand entries.
    """
    entries = [
        [kind, group, name, sorted(options), student, reason, list(map(_PERSON, run))]
        for (kind, group, name, options, student, reason), run in groupby(
            changes, key=_ALL_BUT_PERSON
        )
    ]
    text = json.dumps({"v": _RECORD_VERSION, "runs": entries}, separators=(",", ":"))
    return zlib.compress(text.encode(), 1)


def unpack_changes(blob: bytes | None) -> list[Change]:
    if not blob:
        return []
    data = json.loads(zlib.decompress(blob))
    if isinstance(data, list):  # recorded before version 2: one array per change
        return [
            Change(ChangeKind(kind), group, name, person, frozenset(options), student, reason)
            for kind, group, name, person, options, student, reason in data
        ]
    return [
        Change(ChangeKind(kind), group, name, person, frozenset(options), student, reason)
        for kind, group, name, options, student, reason, people in data["runs"]
        for person in people
    ]


def change_entries(blob: bytes | None) -> list[list[Any]]:
    """A record's entries as ``pack_changes`` wrote them (older records converted)."""
    if not blob:
        return []
    data = json.loads(zlib.decompress(blob))
    if isinstance(data, list):
        return [
            [kind, group, name, options, student, reason, [person]]
            for kind, group, name, person, options, student, reason in data
        ]
    entries: list[list[Any]] = data["runs"]
    return entries


def changes_page(entries: Sequence[list[Any]], offset: int, limit: int) -> tuple[list[Change], int]:
    """Changes ``offset`` to ``offset + limit`` of a record's entries, and how many there
    are, without making the rest (a district's first sync records hundreds of thousands)."""
    page: list[Change] = []
    seen = 0
    for kind, group, name, options, student, reason, people in entries:
        count = len(people)
        if len(page) < limit and seen + count > offset:
            start = max(offset - seen, 0)
            for person in people[start : start + limit - len(page)]:
                page.append(
                    Change(
                        ChangeKind(kind), group, name, person, frozenset(options), student, reason
                    )
                )
        seen += count
    return page, seen


@dataclass(frozen=True)
class RunDetail:
    """A run as recorded, with what it planned and what it held (if anything)."""

    summary: RunSummary
    step: str
    planned: dict[str, int]
    holder: str
    target_fingerprint: str
    approved_run: int | None


@dataclass(frozen=True)
class Pause:
    paused: bool
    until: datetime | None
    reason: str

    def active(self, now: datetime | None = None) -> bool:
        if not self.paused:
            return False
        return self.until is None or (now or utcnow()) < self.until


class Store:
    """The engine's view of the state database."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = open_database(url)
        self._entries: OrderedDict[int, list[list[Any]]] = OrderedDict()
        self._entries_lock = threading.Lock()
        try:
            migrate(self.engine, MIGRATIONS, VERSION_TABLE)
        except (OSError, sa.exc.SQLAlchemyError) as exc:
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            raise ConfigError(
                f"[state] url: cannot open the state database {redact_url(url)}: {redact(reason)}"
            ) from None

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        with self.engine.begin() as connection:
            yield connection

    # -- runs ---------------------------------------------------------------
    def start_run(self, sync: str, trigger: Trigger, *, holder: str) -> int:
        now = utcnow()
        with self._tx() as c:
            result = c.execute(
                sa.insert(run_t).values(
                    sync=sync,
                    trigger=trigger.value,
                    status=RunStatus.RUNNING.value,
                    step="starting",
                    started_at=now,
                    heartbeat_at=now,
                    holder=holder,
                )
            )
            run_id = result.inserted_primary_key
            assert run_id is not None
            return int(run_id[0])

    def set_step(self, run_id: int, step: str) -> None:
        with self._tx() as c:
            c.execute(
                sa.update(run_t)
                .where(run_t.c.id == run_id)
                .values(step=step, heartbeat_at=utcnow())
            )

    def add_issues(self, run_id: int, issues: Sequence[Issue]) -> None:
        if not issues:
            return
        rows = [
            {
                "run_id": run_id,
                "severity": i.severity.value,
                "source": i.source,
                "file": i.file,
                "line": i.line,
                "field": i.field,
                "value": i.value[:500],
                "message": i.message,
            }
            for i in issues
        ]
        with self._tx() as c:
            c.execute(sa.insert(issue_t), rows)
            c.execute(
                sa.update(run_t)
                .where(run_t.c.id == run_id)
                .values(issues=run_t.c.issues + len(rows))
            )

    def finish_run(
        self,
        run_id: int,
        status: RunStatus,
        *,
        counts: dict[str, int] | None = None,
        planned: dict[str, int] | None = None,
        retries: int = 0,
        error: str = "",
        changes: Sequence[Change] | None = None,
        target_fingerprint: str = "",
        approved_run: int | None = None,
    ) -> None:
        values: dict[str, Any] = {
            "status": status.value,
            "step": "",
            "finished_at": utcnow(),
            "retries": retries,
            "error": error,
            "target_fingerprint": target_fingerprint,
            "approved_run": approved_run,
        }
        if counts is not None:
            values["counts"] = json.dumps(counts, sort_keys=True)
        if planned is not None:
            values["planned"] = json.dumps(planned, sort_keys=True)
        if changes is not None:
            values["plan"] = pack_changes(changes)
        with self._tx() as c:
            c.execute(sa.update(run_t).where(run_t.c.id == run_id).values(**values))

    def decide_held(self, run_id: int, status: RunStatus, error: str) -> bool:
        """Move a held run to ``status`` if it is still held; False if someone decided first."""
        with self._tx() as c:
            changed = c.execute(
                sa.update(run_t)
                .where(run_t.c.id == run_id, run_t.c.status == RunStatus.HELD.value)
                .values(status=status.value, error=error)
            ).rowcount
        return changed == 1

    def supersede_held(self, sync: str, newer: int) -> list[int]:
        """Mark the sync's held runs older than ``newer`` as rejected: a later run planned
        from later input, so their plans are stale and must never be approved."""
        with self._tx() as c:
            stale = [
                run_id
                for (run_id,) in c.execute(
                    sa.select(run_t.c.id).where(
                        run_t.c.sync == sync,
                        run_t.c.status == RunStatus.HELD.value,
                        run_t.c.id < newer,
                    )
                )
            ]
            if stale:
                c.execute(
                    sa.update(run_t)
                    .where(run_t.c.id.in_(stale), run_t.c.status == RunStatus.HELD.value)
                    .values(
                        status=RunStatus.REJECTED.value,
                        error=f"superseded by run {newer}, planned from newer input",
                    )
                )
        return stale

    def _detail(self, row: Any) -> RunDetail:
        summary = RunSummary(
            id=row.id,
            sync=row.sync,
            trigger=Trigger(row.trigger),
            status=RunStatus(row.status),
            started_at=iso(row.started_at) or "",
            finished_at=iso(row.finished_at),
            counts=json.loads(row.counts or "{}"),
            issues=row.issues,
            retries=row.retries,
            error=row.error,
        )
        return RunDetail(
            summary=summary,
            step=row.step,
            planned=json.loads(row.planned or "{}"),
            holder=row.holder,
            target_fingerprint=row.target_fingerprint,
            approved_run=row.approved_run,
        )

    _detail_columns = [c for c in run_t.c if c.name != "plan"]

    def run(self, run_id: int) -> RunDetail | None:
        with self._tx() as c:
            row = c.execute(sa.select(*self._detail_columns).where(run_t.c.id == run_id)).first()
        return self._detail(row) if row else None

    def runs(self, sync: str | None = None, limit: int = 20) -> list[RunDetail]:
        query = sa.select(*self._detail_columns).order_by(run_t.c.id.desc()).limit(limit)
        if sync is not None:
            query = query.where(run_t.c.sync == sync)
        with self._tx() as c:
            return [self._detail(row) for row in c.execute(query)]

    def last_run(self, sync: str) -> RunDetail | None:
        found = self.runs(sync, limit=1)
        return found[0] if found else None

    def last_success(self, sync: str) -> RunDetail | None:
        query = (
            sa.select(*self._detail_columns)
            .where(run_t.c.sync == sync)
            .where(run_t.c.status.in_([RunStatus.OK.value, RunStatus.PARTIAL.value]))
            .order_by(run_t.c.id.desc())
            .limit(1)
        )
        with self._tx() as c:
            row = c.execute(query).first()
        return self._detail(row) if row else None

    def run_changes(self, run_id: int) -> list[Change]:
        with self._tx() as c:
            blob = c.execute(sa.select(run_t.c.plan).where(run_t.c.id == run_id)).scalar()
        return unpack_changes(blob)

    def run_changes_page(self, run_id: int, offset: int, limit: int) -> tuple[list[Change], int]:
        """One page of a run's recorded changes, and how many there are. The record of a
        finished run never changes, so the last few read are kept decoded."""
        with self._entries_lock:
            entries = self._entries.get(run_id)
        if entries is None:
            with self._tx() as c:
                row = c.execute(
                    sa.select(run_t.c.plan, run_t.c.status).where(run_t.c.id == run_id)
                ).first()
            entries = change_entries(row.plan if row else None)
            if row is not None and row.status != RunStatus.RUNNING.value:
                with self._entries_lock:
                    self._entries[run_id] = entries
                    while len(self._entries) > 2:
                        self._entries.popitem(last=False)
        return changes_page(entries, offset, limit)

    def run_issues(self, run_id: int) -> list[Issue]:
        query = sa.select(issue_t).where(issue_t.c.run_id == run_id).order_by(issue_t.c.id)
        with self._tx() as c:
            return [
                Issue(
                    severity=Severity(r.severity),
                    message=r.message,
                    source=r.source,
                    file=r.file,
                    line=r.line,
                    field=r.field,
                    value=r.value,
                )
                for r in c.execute(query)
            ]

    def plugin_state(self, sync: str, plugin: str) -> dict[str, Any]:
        query = sa.select(state_t.c.key, state_t.c.value).where(
            state_t.c.sync == sync, state_t.c.plugin == plugin
        )
        with self._tx() as c:
            return {key: json.loads(value) for key, value in c.execute(query)}

    def save_plugin_state(self, sync: str, plugin: str, values: dict[str, Any]) -> None:
        if not values:
            return
        with self._tx() as c:
            c.execute(
                sa.delete(state_t).where(
                    state_t.c.sync == sync,
                    state_t.c.plugin == plugin,
                    state_t.c.key.in_(list(values)),
                )
            )
            c.execute(
                sa.insert(state_t),
                [
                    {"sync": sync, "plugin": plugin, "key": k, "value": json.dumps(v)}
                    for k, v in values.items()
                ],
            )

    # -- control: pause and lock ---------------------------------------------
    def _ensure_control(self, c: Connection, sync: str) -> None:
        exists = c.execute(sa.select(control_t.c.sync).where(control_t.c.sync == sync)).first()
        if exists is None:
            try:
                with c.begin_nested():
                    c.execute(sa.insert(control_t).values(sync=sync))
            except sa.exc.IntegrityError:
                pass  # another process inserted it first

    def pause(self, sync: str, until: datetime | None, reason: str = "") -> None:
        with self._tx() as c:
            self._ensure_control(c, sync)
            c.execute(
                sa.update(control_t)
                .where(control_t.c.sync == sync)
                .values(paused=True, paused_until=until, paused_reason=reason)
            )

    def resume(self, sync: str) -> None:
        with self._tx() as c:
            self._ensure_control(c, sync)
            c.execute(
                sa.update(control_t)
                .where(control_t.c.sync == sync)
                .values(paused=False, paused_until=None, paused_reason="")
            )

    def pause_state(self, sync: str) -> Pause:
        with self._tx() as c:
            row = c.execute(sa.select(control_t).where(control_t.c.sync == sync)).first()
        if row is None:
            return Pause(False, None, "")
        return Pause(bool(row.paused), as_utc(row.paused_until), row.paused_reason)

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


class StagedState:
    """A plugin's ``StateBag``: reads from the store on first use, holds writes until the
    run succeeds.

    Read lazily: a snapshot can be megabytes of JSON, and a run that only checks a
    plugin's options never needs it. Each run decodes its own copy.
    """

    def __init__(self, load: Callable[[], dict[str, Any]]) -> None:
        self._load = load
        self._values: dict[str, Any] | None = None
        self.staged: dict[str, Any] = {}

    def get(self, key: str) -> Any:
        if key in self.staged:
            return self.staged[key]
        if self._values is None:
            self._values = self._load()
        return self._values.get(key)

    def put(self, key: str, value: Any) -> None:
        self.staged[key] = value
