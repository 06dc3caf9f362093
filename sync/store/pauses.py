"""Pausing a sync's scheduled runs, until a time or until resumed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from sync.store.database import Database, control_t
from sync.store.times import as_utc, utcnow


@dataclass(frozen=True)
class Pause:
    paused: bool
    until: datetime | None
    reason: str

    def active(self, now: datetime | None = None) -> bool:
        if not self.paused:
            return False
        return self.until is None or (now or utcnow()) < self.until


class Pauses(Database):
    """Each sync's pause."""

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
