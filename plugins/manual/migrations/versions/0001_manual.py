"""Manual entries: people, groups, memberships and blocked children.

Revision ID: manual0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "manual0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "manual_person",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("given_name", sa.String(), nullable=False, server_default=""),
        sa.Column("family_name", sa.String(), nullable=False, server_default=""),
        sa.Column("email", sa.String(), nullable=False, server_default=""),
        sa.Column("attributes", sa.Text(), nullable=False, server_default="{}"),
        sa.Column("user_group", sa.String(), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "manual_group",
        sa.Column("key", sa.String(), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
    )
    op.create_table(
        "manual_member",
        sa.Column("group_key", sa.String(), primary_key=True),
        sa.Column("person", sa.String(), primary_key=True),
        sa.Column("access", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "manual_block",
        sa.Column("staff", sa.String(), primary_key=True),
        sa.Column("student", sa.String(), primary_key=True),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("manual_block")
    op.drop_table("manual_member")
    op.drop_table("manual_group")
    op.drop_table("manual_person")
