"""The engine's tables (SQLAlchemy Core): runs, their issues, plugin state, sync control.

Schema changes go through Alembic (``sync/migrations``); keep these in step with it. Plain
``sa.Table``s, not SQLModel classes: the store only ever used their tables, and SQLModel
(with SQLAlchemy's ORM and pydantic) cost every command that reads the store, such as
``rostersync status``, a fifth of a second at start.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """A moment, stored as UTC and read back UTC-aware, on SQLite as on PostgreSQL.

    SQLite keeps no offset: an aware 06:00 in New York was stored as 06:00 and read back
    as 06:00 UTC. So every value is turned to UTC before it is stored; a naive value is
    refused (it would be ambiguous).
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("a naive datetime cannot be stored: give it a time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = sa.MetaData()

run_t = sa.Table(
    "rs_run",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sync", sa.String, nullable=False, index=True),
    sa.Column("trigger", sa.String, nullable=False),
    sa.Column("status", sa.String, nullable=False, index=True),
    sa.Column("step", sa.String, nullable=False, default=""),
    sa.Column("dry_run", sa.Boolean, nullable=False, default=False),
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("finished_at", UtcDateTime()),
    sa.Column("heartbeat_at", UtcDateTime()),
    sa.Column("holder", sa.String, nullable=False, default=""),
    sa.Column("counts", sa.String, nullable=False, default="{}"),
    sa.Column("planned", sa.String, nullable=False, default="{}"),
    sa.Column("issues", sa.Integer, nullable=False, default=0),
    sa.Column("retries", sa.Integer, nullable=False, default=0),
    sa.Column("error", sa.String, nullable=False, default=""),
    sa.Column("plan", sa.LargeBinary),
    sa.Column("target_fingerprint", sa.String, nullable=False, default=""),
    sa.Column("approved_run", sa.Integer),
)

issue_t = sa.Table(
    "rs_run_issue",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("rs_run.id"), nullable=False, index=True),
    sa.Column("severity", sa.String, nullable=False),
    sa.Column("source", sa.String, nullable=False, default=""),
    sa.Column("file", sa.String, nullable=False, default=""),
    sa.Column("line", sa.Integer),
    sa.Column("field", sa.String, nullable=False, default=""),
    sa.Column("value", sa.String, nullable=False, default=""),
    sa.Column("message", sa.String, nullable=False),
)

state_t = sa.Table(
    "rs_plugin_state",
    metadata,
    sa.Column("sync", sa.String, primary_key=True),
    sa.Column("plugin", sa.String, primary_key=True),
    sa.Column("key", sa.String, primary_key=True),
    sa.Column("value", sa.String, nullable=False),
)

control_t = sa.Table(
    "rs_sync_control",
    metadata,
    sa.Column("sync", sa.String, primary_key=True),
    sa.Column("paused", sa.Boolean, nullable=False, default=False),
    sa.Column("paused_until", UtcDateTime()),
    sa.Column("paused_reason", sa.String, nullable=False, default=""),
    sa.Column("lock_run_id", sa.Integer),
    sa.Column("lock_holder", sa.String, nullable=False, default=""),
    sa.Column("lock_expires_at", UtcDateTime()),
)
