"""Member digests per group; on SQLite, the member table without a rowid.

Revision ID: dir0003
Revises: dir0002
"""

import sqlalchemy as sa
from alembic import op

from plugins.directory.digests import refresh_digests

revision = "dir0003"
down_revision = "dir0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dir_group") as batch:
        batch.add_column(sa.Column("member_digest", sa.String(), nullable=True))
        batch.add_column(
            sa.Column("member_count", sa.Integer(), nullable=False, server_default="0")
        )
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # The primary key is the table: one B-tree per insert instead of two.
        op.execute(
            "CREATE TABLE dir_member_new (group_key VARCHAR NOT NULL, person VARCHAR NOT NULL, "
            "PRIMARY KEY (group_key, person)) WITHOUT ROWID"
        )
        op.execute(
            "INSERT INTO dir_member_new (group_key, person) SELECT group_key, person FROM dir_member"
        )
        op.execute("DROP TABLE dir_member")
        op.execute("ALTER TABLE dir_member_new RENAME TO dir_member")
    refresh_digests(bind)


def downgrade() -> None:
    with op.batch_alter_table("dir_group") as batch:
        batch.drop_column("member_count")
        batch.drop_column("member_digest")
