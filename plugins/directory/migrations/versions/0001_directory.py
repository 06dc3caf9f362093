"""Directory groups, members and grants.

Revision ID: dir0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "dir0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dir_group",
        sa.Column("key", sa.String(), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("managed_by", sa.String(), nullable=False, server_default="", index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "dir_member",
        sa.Column("group_key", sa.String(), primary_key=True),
        sa.Column("person", sa.String(), primary_key=True),
    )
    op.create_table(
        "dir_grant",
        sa.Column("group_key", sa.String(), primary_key=True),
        sa.Column("principal", sa.String(), primary_key=True),
        sa.Column("options", sa.String(), nullable=False, server_default=""),
        sa.Column("managed_by", sa.String(), nullable=False, server_default="", index=True),
    )


def downgrade() -> None:
    op.drop_table("dir_grant")
    op.drop_table("dir_member")
    op.drop_table("dir_group")
