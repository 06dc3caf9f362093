"""The engine's tables (SQLModel): runs, their issues, plugin state, sync control.

Schema changes go through Alembic (``sync/migrations``); keep these in step with it.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class RunRow(SQLModel, table=True):
    __tablename__ = "rs_run"

    id: int | None = Field(default=None, primary_key=True)
    sync: str = Field(index=True)
    trigger: str
    status: str = Field(index=True)
    step: str = ""
    dry_run: bool = False
    started_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    finished_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    heartbeat_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
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
    paused_until: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    paused_reason: str = ""
    lock_run_id: int | None = None
    lock_holder: str = ""
    lock_expires_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
