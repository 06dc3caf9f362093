"""Staff profiles (user group and permissions) and blocked children.

Revision ID: dir0002
Revises: dir0001
"""

import sqlalchemy as sa
from alembic import op

revision = "dir0002"
down_revision = "dir0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dir_profile",
        sa.Column("person", sa.String(), primary_key=True),
        sa.Column("user_group", sa.String(), nullable=False),
        sa.Column("permissions", sa.Text(), nullable=False, server_default=""),
        sa.Column("reason", sa.Text(), nullable=False, server_default=""),
        sa.Column("managed_by", sa.String(), nullable=False, server_default="", index=True),
    )
    op.create_table(
        "dir_block",
        sa.Column("staff", sa.String(), primary_key=True),
        sa.Column("student", sa.String(), primary_key=True),
        sa.Column("reason", sa.Text(), nullable=False, server_default=""),
        sa.Column("managed_by", sa.String(), nullable=False, server_default="", index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("dir_block")
    op.drop_table("dir_profile")
