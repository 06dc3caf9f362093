"""Prometheus metrics, computed from the run history at scrape time (prometheus-client).

Nothing is counted in memory, so every daemon sharing a store serves the same numbers and
a restart loses none of them. Each scrape is a handful of aggregate queries, so it stays
fast with hundreds of thousands of runs recorded.

``rostersync_runs_total`` counts runs by the status they finished with: a held run stays
counted as ``held`` when it is later approved or rejected (that decision is counted in
``rostersync_held_decisions_total``), so no series ever goes down.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector, CollectorRegistry
from sqlalchemy.engine import Connection

from sync.model import ChangeKind, RunStatus
from sync.store import Store, as_utc, run_t

SUCCESS = (RunStatus.OK.value, RunStatus.PARTIAL.value)
DECIDED = (RunStatus.APPROVED.value, RunStatus.REJECTED.value)
FINISHED_AS = [s for s in RunStatus if s not in (RunStatus.RUNNING, *map(RunStatus, DECIDED))]
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _seconds(value: datetime | None) -> float | None:
    moment = as_utc(value)
    return moment.timestamp() if moment is not None else None


KINDS = [kind.value for kind in ChangeKind]


def _sums(dialect: str) -> list[Any]:
    """Each kind's changes summed inside the database from the runs' JSON counts."""
    if dialect == "postgresql":
        column = "COALESCE(CAST(CAST(counts AS json) ->> '{kind}' AS BIGINT), 0)"
    else:
        column = "COALESCE(json_extract(counts, '$.{kind}'), 0)"
    return [sa.func.sum(sa.literal_column(column.format(kind=kind))) for kind in KINDS]


@dataclass
class _Totals:
    """The run history summed: runs by the status they finished with, changes applied
    by kind, each sync's last success and last finished run."""

    runs: dict[tuple[str, str], int] = field(default_factory=dict)
    changes: dict[tuple[str, str], int] = field(default_factory=dict)
    last_success: dict[str, datetime] = field(default_factory=dict)
    last_finished: dict[str, int] = field(default_factory=dict)

    def copy(self) -> _Totals:
        return _Totals(
            dict(self.runs), dict(self.changes), dict(self.last_success), dict(self.last_finished)
        )

    def add(self, c: Connection, after: int, upto: int) -> None:
        """Add the finished runs with ids in (after, upto]: one range of the primary key."""
        query = (
            sa.select(
                run_t.c.sync,
                run_t.c.status,
                sa.func.count(),
                sa.func.max(run_t.c.finished_at),
                sa.func.max(run_t.c.id),
                *_sums(c.dialect.name),
            )
            .where(
                run_t.c.id > after,
                run_t.c.id <= upto,
                run_t.c.status != RunStatus.RUNNING.value,
            )
            .group_by(run_t.c.sync, run_t.c.status)
        )
        for sync, status, count, finished, last_id, *totals in c.execute(query):
            finished_as = RunStatus.HELD.value if status in DECIDED else status
            self.runs[sync, finished_as] = self.runs.get((sync, finished_as), 0) + count
            for kind, total in zip(KINDS, totals, strict=True):
                self.changes[sync, kind] = self.changes.get((sync, kind), 0) + int(total or 0)
            moment = as_utc(finished)
            if status in SUCCESS and moment is not None:
                before = self.last_success.get(sync)
                self.last_success[sync] = moment if before is None else max(before, moment)
            if finished is not None:
                self.last_finished[sync] = max(self.last_finished.get(sync, 0), int(last_id))


class _History:
    """``_Totals`` kept across scrapes for every run that has finished, added to for newer
    runs only: what a finished run counted never changes (a held run decided later still
    finished as held), so a scrape reads just the runs recorded since the last one. It is
    derived from the store alone, so every daemon sharing it serves the same numbers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._url = ""
        self._upto = 0
        self._totals = _Totals()

    def read(self, c: Connection, url: str) -> _Totals:
        with self._lock:
            if url != self._url:  # another store (the daemon re-read its configuration)
                self._url, self._upto, self._totals = url, 0, _Totals()
            newest = c.execute(sa.select(sa.func.max(run_t.c.id))).scalar() or 0
            running = c.execute(
                sa.select(sa.func.min(run_t.c.id)).where(
                    run_t.c.id > self._upto, run_t.c.status == RunStatus.RUNNING.value
                )
            ).scalar()
            settled = newest if running is None else running - 1
            if settled > self._upto:
                self._totals.add(c, self._upto, settled)
                self._upto = settled
            totals = self._totals.copy()
        if newest > settled:  # runs after one still going: counted now, not kept
            totals.add(c, settled, newest)
        return totals


class RunHistoryCollector(Collector):
    """A prometheus-client collector over the run history of ``syncs()``."""

    def __init__(self, store: Callable[[], Store], syncs: Callable[[], Sequence[str]]) -> None:
        self._store = store
        self._syncs = syncs
        self._history = _History()

    def collect(self) -> Iterator[Metric]:
        syncs = list(self._syncs())
        last_duration: dict[str, float] = {}
        decided: dict[tuple[str, str], int] = {}
        store = self._store()
        with store.engine.connect() as c:
            totals = self._history.read(c, store.url)
            for sync, status, count in c.execute(  # by the status index: few rows
                sa.select(run_t.c.sync, run_t.c.status, sa.func.count())
                .where(run_t.c.status.in_(DECIDED))
                .group_by(run_t.c.sync, run_t.c.status)
            ):
                decided[sync, status] = int(count)
            last_ids = [totals.last_finished[s] for s in syncs if s in totals.last_finished]
            for sync, started, finished in c.execute(
                sa.select(run_t.c.sync, run_t.c.started_at, run_t.c.finished_at).where(
                    run_t.c.id.in_(last_ids)
                )
            ):
                begin, end = _seconds(started), _seconds(finished)
                if begin is not None and end is not None:
                    last_duration[sync] = max(end - begin, 0.0)
        statuses = totals.runs
        changes = totals.changes
        last_success = {s: m.timestamp() for s, m in totals.last_success.items()}

        runs = CounterMetricFamily(
            "rostersync_runs",
            "Finished runs, by sync and the status they finished with.",
            labels=["sync", "status"],
        )
        decisions = CounterMetricFamily(
            "rostersync_held_decisions",
            "Held runs decided since, by sync and decision (approved or rejected).",
            labels=["sync", "decision"],
        )
        applied = CounterMetricFamily(
            "rostersync_changes_applied",
            "Changes applied to the target, by sync and kind of change.",
            labels=["sync", "kind"],
        )
        success = GaugeMetricFamily(
            "rostersync_last_success_timestamp_seconds",
            "When the last ok or partial run finished (Unix time).",
            labels=["sync"],
        )
        duration = GaugeMetricFamily(
            "rostersync_last_run_duration_seconds",
            "How long the last finished run took.",
            labels=["sync"],
        )
        for sync in syncs:
            for status in FINISHED_AS:
                runs.add_metric([sync, status.value], statuses.get((sync, status.value), 0))
            for decision in DECIDED:
                decisions.add_metric([sync, decision], decided.get((sync, decision), 0))
            for kind in ChangeKind:
                applied.add_metric([sync, kind.value], changes.get((sync, kind.value), 0))
            if sync in last_success:
                success.add_metric([sync], last_success[sync])
            if sync in last_duration:
                duration.add_metric([sync], last_duration[sync])
        yield from (runs, decisions, success, applied, duration)


class MetricsPage:
    """``/metrics``: one collector kept across scrapes, so each reads only new runs."""

    def __init__(self, store: Callable[[], Store], syncs: Callable[[], Sequence[str]]) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(RunHistoryCollector(store, syncs))

    def text(self) -> str:
        return generate_latest(self.registry).decode()


def metrics_text(store: Store, syncs: Sequence[str]) -> str:
    """The metrics of ``syncs`` in Prometheus' text exposition format."""
    return MetricsPage(lambda: store, lambda: syncs).text()
