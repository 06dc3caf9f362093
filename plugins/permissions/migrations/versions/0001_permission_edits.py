"""Edits made in the console: a user group's permissions, a staff member's user group.

Revision ID: permissions0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "permissions0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_user_group_edit",
        sa.Column("source", sa.String(), primary_key=True),
        sa.Column("group_key", sa.String(), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("permissions", sa.Text(), nullable=False),
        sa.Column("edited_by", sa.String(), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "staff_member_group_edit",
        sa.Column("source", sa.String(), primary_key=True),
        sa.Column("person", sa.String(), primary_key=True),
        sa.Column("user_group", sa.String(), nullable=False),
        sa.Column("edited_by", sa.String(), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("staff_member_group_edit")
    op.drop_table("staff_user_group_edit")
