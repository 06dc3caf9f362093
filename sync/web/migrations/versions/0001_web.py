"""The admin console: accounts, the session key, and the record of who did what.

Revision ID: web0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "web0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_account",
        sa.Column("name", sa.String(), primary_key=True),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("password_hash", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "web_secret",
        sa.Column("name", sa.String(), primary_key=True),
        sa.Column("value", sa.String(), nullable=False),
    )
    op.create_table(
        "web_audit",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("sync", sa.String(), nullable=False, server_default=""),
        sa.Column("run_id", sa.Integer(), nullable=True, index=True),
        sa.Column("detail", sa.String(), nullable=False, server_default=""),
    )


def downgrade() -> None:
    op.drop_table("web_audit")
    op.drop_table("web_secret")
    op.drop_table("web_account")
