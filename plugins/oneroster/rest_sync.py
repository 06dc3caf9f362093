"""One read of a OneRoster REST server as the ``oneroster`` source does it: full or incremental.

A full read is the whole truth (``tobedeleted`` records left out). An incremental read
asks for what changed since the newest ``dateLastModified`` the last read saw and applies
it to the kept tables with the same delta logic as a CSV delta package. A full read is
done instead when there are no kept tables, the server or version changed, a full read
is due (``full_sync_every_hours``, as Clever's source does it) or the server refuses the
filter; the run's issues say why. Everything goes through the staged plugin state, so a
failed run moves nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from plugins.oneroster.delta import apply_delta, current_tables, decode, encode
from plugins.oneroster.rest import FilterRefused, RestOptions, RestReader
from plugins.oneroster.rows import Tables, column
from plugins.oneroster.spec import Mode
from sync.api import Issue, PluginContext, Severity

log = logging.getLogger(__name__)

KEY_SNAPSHOT = "snapshot"
KEY_SINCE = "rest_since"
KEY_FULL_AT = "rest_full_sync_at"
KEY_SCOPE = "rest_scope"


@dataclass
class RestRead:
    tables: Tables
    issues: list[Issue] = field(default_factory=list)
    full: bool = True
    retries: int = 0


def newest_modified(tables: Tables, since: str | None) -> str | None:
    """The newest ``dateLastModified`` in ``tables`` (ISO 8601 strings compare in time order)."""
    stamps: Iterable[str] = (
        stamp for rows in tables.values() for stamp in column(rows, "dateLastModified") if stamp
    )
    newest = max(stamps, default=None)
    if since is None or (newest is not None and newest > since):
        return newest
    return since


class RestSync:
    """Reads the server for one run and stages what the next run needs."""

    def __init__(
        self,
        options: RestOptions,
        context: PluginContext,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.options = options
        self.context = context
        self.clock = clock

    @property
    def scope(self) -> dict[str, str]:
        """What the kept tables depend on: a change here makes the next read a full one."""
        return {"url": self.options.url, "version": self.options.version}

    def _full_reason(self, now: float) -> str | None:
        state = self.context.state
        if not state.get(KEY_SNAPSHOT) or not state.get(KEY_SINCE):
            return "no tables kept from an earlier read"
        if state.get(KEY_SCOPE) != self.scope:
            return "url or version changed since the last read"
        every = self.options.full_sync_every_hours
        if now - float(state.get(KEY_FULL_AT) or 0) >= every * 3600:
            return f"a full read is due (full_sync_every_hours = {every:g})"
        return None

    def read(self) -> RestRead:
        now = self.clock()
        reader = RestReader.from_options(self.options, key=f"sources.{self.context.name}")
        try:
            result = self._read(reader, now)
        finally:
            reader.close()
        result.retries = reader.retries
        return result

    def _read(self, reader: RestReader, now: float) -> RestRead:
        state = self.context.state
        name = self.context.name
        reason = self._full_reason(now)
        issues: list[Issue] = []
        if reason is None:
            since = str(state.get(KEY_SINCE))
            try:
                changed = reader.read_changed(since)
            except FilterRefused as exc:
                reason = "the server refused the dateLastModified filter"
                issues.append(
                    Issue(
                        Severity.WARNING,
                        f"{exc}; a full read was done instead",
                        source=name,
                        field="filter",
                    )
                )
            else:
                modes: dict[str, Mode] = {table: "delta" for table in changed}
                applied = apply_delta(decode(state.get(KEY_SNAPSHOT)), changed, modes, source=name)
                log.info(
                    "%s: incremental read since %s: %d added, %d updated, %d removed",
                    name,
                    since,
                    applied.added,
                    applied.updated,
                    applied.removed,
                )
                if applied.added or applied.updated or applied.removed:
                    state.put(KEY_SNAPSHOT, encode(applied.tables))
                state.put(KEY_SINCE, newest_modified(changed, since))
                return RestRead(applied.tables, applied.issues, full=False)
        log.info("%s: full read: %s", name, reason)
        tables = reader.read_all()
        bulk = current_tables(tables, source=name)
        state.put(KEY_SNAPSHOT, encode(bulk.tables))
        state.put(KEY_SINCE, newest_modified(tables, None))
        state.put(KEY_SCOPE, self.scope)
        state.put(KEY_FULL_AT, now)
        return RestRead(bulk.tables, [*issues, *bulk.issues], full=True)
