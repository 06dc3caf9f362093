"""Prometheus metrics, computed from the run history at scrape time (prometheus-client).

Nothing is counted in memory, so every daemon sharing a store serves the same numbers and
a restart loses none of them. Each scrape is a handful of aggregate queries, so it stays
fast with hundreds of thousands of runs recorded.

``rostersync_runs_total`` counts runs by the status they finished with: a held run stays
counted as ``held`` when it is later approved or rejected (that decision is counted in
``rostersync_held_decisions_total``), so no series ever goes down.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime

import sqlalchemy as sa
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector, CollectorRegistry

from sync.model import ChangeKind, RunStatus
from sync.store import Store, as_utc, run_t

SUCCESS = (RunStatus.OK.value, RunStatus.PARTIAL.value)
DECIDED = (RunStatus.APPROVED.value, RunStatus.REJECTED.value)
FINISHED_AS = [s for s in RunStatus if s not in (RunStatus.RUNNING, *map(RunStatus, DECIDED))]
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _seconds(value: datetime | None) -> float | None:
    moment = as_utc(value)
    return moment.timestamp() if moment is not None else None


def _changes_query(dialect: str) -> sa.TextClause:
    """Changes applied per sync and kind, summed inside the database from the JSON counts."""
    if dialect == "postgresql":
        return sa.text(
            "SELECT r.sync, j.key, SUM(CAST(j.value AS BIGINT)) FROM rs_run r, "
            "json_each_text(CAST(r.counts AS json)) j WHERE r.counts <> '{}' "
            "GROUP BY r.sync, j.key"
        )
    return sa.text(
        "SELECT r.sync, j.key, SUM(j.value) FROM rs_run r, json_each(r.counts) j "
        "WHERE r.counts <> '{}' GROUP BY r.sync, j.key"
    )


class RunHistoryCollector(Collector):
    """A prometheus-client collector over the run history of ``syncs()``."""

    def __init__(self, store: Store, syncs: Callable[[], Sequence[str]]) -> None:
        self._store = store
        self._syncs = syncs

    def collect(self) -> Iterator[Metric]:
        syncs = list(self._syncs())
        statuses: dict[tuple[str, str], int] = {}
        changes: dict[tuple[str, str], int] = {}
        last_success: dict[str, float] = {}
        last_duration: dict[str, float] = {}
        wanted = run_t.c.sync.in_(syncs)
        with self._store.engine.connect() as c:
            for sync, status, count in c.execute(
                sa.select(run_t.c.sync, run_t.c.status, sa.func.count())
                .where(wanted)
                .group_by(run_t.c.sync, run_t.c.status)
            ):
                statuses[sync, status] = int(count)
            for sync, kind, total in c.execute(_changes_query(c.dialect.name)):
                changes[sync, kind] = int(total or 0)
            for sync, finished in c.execute(
                sa.select(run_t.c.sync, sa.func.max(run_t.c.finished_at))
                .where(wanted, run_t.c.status.in_(SUCCESS))
                .group_by(run_t.c.sync)
            ):
                moment = _seconds(finished)
                if moment is not None:
                    last_success[sync] = moment
            last_ids = (
                sa.select(sa.func.max(run_t.c.id))
                .where(wanted, run_t.c.finished_at.is_not(None))
                .group_by(run_t.c.sync)
            )
            for sync, started, finished in c.execute(
                sa.select(run_t.c.sync, run_t.c.started_at, run_t.c.finished_at).where(
                    run_t.c.id.in_(last_ids)
                )
            ):
                begin, end = _seconds(started), _seconds(finished)
                if begin is not None and end is not None:
                    last_duration[sync] = max(end - begin, 0.0)

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
            decided = {d: statuses.get((sync, d), 0) for d in DECIDED}
            for status in FINISHED_AS:
                value = statuses.get((sync, status.value), 0)
                if status is RunStatus.HELD:
                    value += sum(decided.values())  # decided runs finished as held
                runs.add_metric([sync, status.value], value)
            for decision, value in decided.items():
                decisions.add_metric([sync, decision], value)
            for kind in ChangeKind:
                applied.add_metric([sync, kind.value], changes.get((sync, kind.value), 0))
            if sync in last_success:
                success.add_metric([sync], last_success[sync])
            if sync in last_duration:
                duration.add_metric([sync], last_duration[sync])
        yield from (runs, decisions, success, applied, duration)


def metrics_text(store: Store, syncs: Sequence[str]) -> str:
    """The metrics of ``syncs`` in Prometheus' text exposition format."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RunHistoryCollector(store, lambda: syncs))
    return generate_latest(registry).decode()
