"""Prometheus metrics, computed from the run history at scrape time (text format 0.0.4).

Nothing is counted in memory, so every daemon sharing a store serves the same numbers and
a restart loses none of them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from sync.model import ChangeKind, RunStatus
from sync.store import Store, as_utc, run_t

SUCCESS = (RunStatus.OK.value, RunStatus.PARTIAL.value)


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(**labels: str) -> str:
    return "{" + ",".join(f'{k}="{_label(v)}"' for k, v in labels.items()) + "}"


def _number(value: float) -> str:
    return repr(float(value)) if isinstance(value, float) else str(value)


def _seconds(value: datetime | None) -> float | None:
    moment = as_utc(value)
    return moment.timestamp() if moment is not None else None


def metrics_text(store: Store, syncs: Sequence[str]) -> str:
    """The metrics of ``syncs`` in Prometheus' text exposition format."""
    query = (
        sa.select(
            run_t.c.sync, run_t.c.status, run_t.c.counts, run_t.c.started_at, run_t.c.finished_at
        )
        .where(run_t.c.sync.in_(list(syncs)), run_t.c.status != RunStatus.RUNNING.value)
        .order_by(run_t.c.id)
    )
    runs: Counter[tuple[str, str]] = Counter()
    changes: Counter[tuple[str, str]] = Counter()
    last_success: dict[str, float] = {}
    last_duration: dict[str, float] = {}
    with store.engine.connect() as c:
        for row in c.execute(query):
            runs[row.sync, row.status] += 1
            for kind, count in json.loads(row.counts or "{}").items():
                changes[row.sync, kind] += int(count)
            started, finished = _seconds(row.started_at), _seconds(row.finished_at)
            if finished is not None and started is not None:
                last_duration[row.sync] = max(finished - started, 0.0)
                if row.status in SUCCESS:
                    last_success[row.sync] = finished
    lines: list[str] = []

    def family(name: str, kind: str, help_text: str) -> None:
        lines.append(f"# HELP {name} {help_text}")
        lines.append(f"# TYPE {name} {kind}")

    family("rostersync_runs_total", "counter", "Finished runs, by sync and status.")
    for sync in syncs:
        for status in RunStatus:
            if status is RunStatus.RUNNING:
                continue
            value = runs[sync, status.value]
            lines.append(f"rostersync_runs_total{_labels(sync=sync, status=status)} {value}")

    def gauge_per_sync(name: str, help_text: str, values: dict[str, float]) -> None:
        family(name, "gauge", help_text)
        for sync in syncs:
            if sync in values:
                lines.append(f"{name}{_labels(sync=sync)} {_number(values[sync])}")

    gauge_per_sync(
        "rostersync_last_success_timestamp_seconds",
        "When the last ok or partial run finished (Unix time).",
        last_success,
    )
    family(
        "rostersync_changes_applied_total",
        "counter",
        "Changes applied to the target, by sync and kind of change.",
    )
    for sync in syncs:
        for change in ChangeKind:
            value = changes[sync, change.value]
            lines.append(
                f"rostersync_changes_applied_total{_labels(sync=sync, kind=change)} {value}"
            )
    gauge_per_sync(
        "rostersync_last_run_duration_seconds",
        "How long the last finished run took.",
        last_duration,
    )
    return "\n".join(lines) + "\n"
