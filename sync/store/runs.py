"""The run records: started, stepped, finished, held and decided, read back."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from sync.model import Change, RunStatus, RunSummary, Trigger
from sync.store.codec import (
    UndoRecord,
    change_entries,
    changes_page,
    pack_changes,
    unpack_changes,
    unpack_undo,
)
from sync.store.database import Database, run_t
from sync.store.times import iso, utcnow


@dataclass(frozen=True)
class RunDetail:
    """A run as recorded, with what it planned and what it held (if anything)."""

    summary: RunSummary
    step: str
    planned: dict[str, int]
    holder: str
    target_fingerprint: str
    approved_run: int | None


class RunRecords(Database):
    """Runs as the store records them."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self._entries: OrderedDict[int, list[list[Any]]] = OrderedDict()
        self._entries_lock = threading.Lock()

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
        undo_values: Sequence[Change] | None = None,
        undoes: int | None = None,
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
            values["plan"] = pack_changes(changes, undo_values=undo_values, undoes=undoes)
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

    def run_undo_record(self, run_id: int) -> UndoRecord:
        """The previous values a run's undo needs, and the run it undid (if an undo)."""
        with self._tx() as c:
            blob = c.execute(sa.select(run_t.c.plan).where(run_t.c.id == run_id)).scalar()
        return unpack_undo(blob)

    def run_changes_page(self, run_id: int, offset: int, limit: int) -> tuple[list[Change], int]:
        """One page of a run's recorded changes, and how many there are. The record of a
        finished run never changes, so the last two read are kept decoded."""
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

    def find_runs(
        self,
        *,
        sync: str | None = None,
        status: RunStatus | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> list[RunDetail]:
        """The history, newest first, of one sync or all, with one status or any."""
        query = (
            sa.select(*self._detail_columns)
            .order_by(run_t.c.id.desc())
            .offset(max(offset, 0))
            .limit(limit)
        )
        if sync is not None:
            query = query.where(run_t.c.sync == sync)
        if status is not None:
            query = query.where(run_t.c.status == status.value)
        with self._tx() as c:
            return [self._detail(row) for row in c.execute(query)]
