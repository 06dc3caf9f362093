"""Runs, run issues, plugin state and sync control.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rs_run",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sync", sa.String(), nullable=False, index=True),
        sa.Column("trigger", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False, index=True),
        sa.Column("step", sa.String(), nullable=False, server_default=""),
        sa.Column("dry_run", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True)),
        sa.Column("holder", sa.String(), nullable=False, server_default=""),
        sa.Column("counts", sa.String(), nullable=False, server_default="{}"),
        sa.Column("planned", sa.String(), nullable=False, server_default="{}"),
        sa.Column("issues", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("retries", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("error", sa.String(), nullable=False, server_default=""),
        sa.Column("plan", sa.LargeBinary()),
        sa.Column("target_fingerprint", sa.String(), nullable=False, server_default=""),
        sa.Column("approved_run", sa.Integer()),
    )
    op.create_table(
        "rs_run_issue",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("rs_run.id"), nullable=False, index=True),
        sa.Column("severity", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False, server_default=""),
        sa.Column("file", sa.String(), nullable=False, server_default=""),
        sa.Column("line", sa.Integer()),
        sa.Column("field", sa.String(), nullable=False, server_default=""),
        sa.Column("value", sa.String(), nullable=False, server_default=""),
        sa.Column("message", sa.String(), nullable=False),
    )
    op.create_table(
        "rs_plugin_state",
        sa.Column("sync", sa.String(), primary_key=True),
        sa.Column("plugin", sa.String(), primary_key=True),
        sa.Column("key", sa.String(), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.create_table(
        "rs_sync_control",
        sa.Column("sync", sa.String(), primary_key=True),
        sa.Column("paused", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("paused_until", sa.DateTime(timezone=True)),
        sa.Column("paused_reason", sa.String(), nullable=False, server_default=""),
        sa.Column("lock_run_id", sa.Integer()),
        sa.Column("lock_holder", sa.String(), nullable=False, server_default=""),
        sa.Column("lock_expires_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("rs_sync_control")
    op.drop_table("rs_plugin_state")
    op.drop_table("rs_run_issue")
    op.drop_table("rs_run")
