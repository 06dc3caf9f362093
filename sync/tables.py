"""The engine's tables (SQLModel): runs, their issues, plugin state, sync control.

Schema changes go through Alembic (``sync/migrations``); keep these in step with it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


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


class RunRow(SQLModel, table=True):
    __tablename__ = "rs_run"

    id: int | None = Field(default=None, primary_key=True)
    sync: str = Field(index=True)
    trigger: str
    status: str = Field(index=True)
    step: str = ""
    dry_run: bool = False
    started_at: datetime = Field(sa_type=UtcDateTime())
    finished_at: datetime | None = Field(default=None, sa_type=UtcDateTime())
    heartbeat_at: datetime | None = Field(default=None, sa_type=UtcDateTime())
    holder: str = ""
    counts: str = "{}"
    planned: str = "{}"
    issues: int = 0
    retries: int = 0
    error: str = ""
    plan: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    target_fingerprint: str = ""
    approved_run: int | None = None


class RunIssueRow(SQLModel, table=True):
    __tablename__ = "rs_run_issue"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(index=True, foreign_key="rs_run.id")
    severity: str
    source: str = ""
    file: str = ""
    line: int | None = None
    field: str = ""
    value: str = ""
    message: str


class PluginStateRow(SQLModel, table=True):
    __tablename__ = "rs_plugin_state"

    sync: str = Field(primary_key=True)
    plugin: str = Field(primary_key=True)
    key: str = Field(primary_key=True)
    value: str


class SyncControlRow(SQLModel, table=True):
    __tablename__ = "rs_sync_control"

    sync: str = Field(primary_key=True)
    paused: bool = False
    paused_until: datetime | None = Field(default=None, sa_type=UtcDateTime())
    paused_reason: str = ""
    lock_run_id: int | None = None
    lock_holder: str = ""
    lock_expires_at: datetime | None = Field(default=None, sa_type=UtcDateTime())
