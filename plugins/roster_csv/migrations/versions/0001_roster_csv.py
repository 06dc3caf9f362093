"""Column mappings saved for a file layout, and rows corrected by hand, per source.

Revision ID: roster_csv0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "roster_csv0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "roster_csv_layout",
        sa.Column("source", sa.String(), primary_key=True),
        sa.Column("kind", sa.String(), primary_key=True),
        sa.Column("layout_hash", sa.String(), primary_key=True),
        sa.Column("headers", sa.Text(), nullable=False),
        sa.Column("mapping", sa.Text(), nullable=False),
        sa.Column("saved_by", sa.String(), nullable=False, server_default=""),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "roster_csv_correction",
        sa.Column("source", sa.String(), primary_key=True),
        sa.Column("kind", sa.String(), primary_key=True),
        sa.Column("row_key", sa.String(), primary_key=True),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("saved_by", sa.String(), nullable=False, server_default=""),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("roster_csv_correction")
    op.drop_table("roster_csv_layout")
