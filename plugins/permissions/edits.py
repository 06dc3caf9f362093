"""Edits made in the console to staff user groups: a group's permissions, a staff
member's user group. Kept in the state database, keyed by source, under their own
Alembic version table; the sources apply them when they read (they win over config).
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from plugins.permissions.values import Edits, GroupEdit, StaffEdit, fold
from sync.api import migrate, open_database

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "permissions_alembic_version"

metadata = sa.MetaData()
group_edit_t = sa.Table(
    "staff_user_group_edit",
    metadata,
    sa.Column("source", sa.String(), primary_key=True),
    sa.Column("group_key", sa.String(), primary_key=True),
    sa.Column("name", sa.String(), nullable=False),
    sa.Column("permissions", sa.Text(), nullable=False),
    sa.Column("edited_by", sa.String(), nullable=False),
    sa.Column("edited_at", sa.DateTime(timezone=True), nullable=False),
)
staff_edit_t = sa.Table(
    "staff_member_group_edit",
    metadata,
    sa.Column("source", sa.String(), primary_key=True),
    sa.Column("person", sa.String(), primary_key=True),
    sa.Column("user_group", sa.String(), nullable=False),
    sa.Column("edited_by", sa.String(), nullable=False),
    sa.Column("edited_at", sa.DateTime(timezone=True), nullable=False),
)


class PermissionEdits:
    """Reads and writes the edits; every write is one transaction."""

    def __init__(self, url: str) -> None:
        self.engine: Engine = open_database(url)
        migrate(self.engine, MIGRATIONS, VERSION_TABLE)

    def edits(self, source: str) -> Edits:
        return _read(self.engine, source)

    def put_group(self, source: str, name: str, permissions: Collection[str], *, by: str) -> None:
        key = fold(name)
        with self.engine.begin() as c:
            c.execute(
                sa.delete(group_edit_t).where(
                    group_edit_t.c.source == source, group_edit_t.c.group_key == key
                )
            )
            c.execute(
                sa.insert(group_edit_t).values(
                    source=source,
                    group_key=key,
                    name=name,
                    permissions=json.dumps(sorted(permissions)),
                    edited_by=by,
                    edited_at=datetime.now(UTC),
                )
            )

    def remove_group(self, source: str, name: str) -> bool:
        """Back to the config's (or the default) permissions; False if it was not edited."""
        with self.engine.begin() as c:
            gone = c.execute(
                sa.delete(group_edit_t).where(
                    group_edit_t.c.source == source, group_edit_t.c.group_key == fold(name)
                )
            ).rowcount
        return bool(gone)

    def put_staff(self, source: str, person: str, user_group: str, *, by: str) -> None:
        with self.engine.begin() as c:
            c.execute(
                sa.delete(staff_edit_t).where(
                    staff_edit_t.c.source == source, staff_edit_t.c.person == person
                )
            )
            c.execute(
                sa.insert(staff_edit_t).values(
                    source=source,
                    person=person,
                    user_group=user_group,
                    edited_by=by,
                    edited_at=datetime.now(UTC),
                )
            )

    def remove_staff(self, source: str, person: str) -> bool:
        """Back to the user group the source gives; False if it was not chosen here."""
        with self.engine.begin() as c:
            gone = c.execute(
                sa.delete(staff_edit_t).where(
                    staff_edit_t.c.source == source, staff_edit_t.c.person == person
                )
            ).rowcount
        return bool(gone)


def read_edits(url: str, source: str) -> Edits:
    """The edits of ``source`` without migrating: none if the console never saved one."""
    engine = open_database(url)
    if not sa.inspect(engine).has_table(staff_edit_t.name):
        return Edits()
    return _read(engine, source)


def _read(engine: Engine, source: str) -> Edits:
    with engine.connect() as c:
        groups = {
            row.group_key: GroupEdit(
                row.name, _permissions(row.permissions), row.edited_by, _utc(row.edited_at)
            )
            for row in c.execute(sa.select(group_edit_t).where(group_edit_t.c.source == source))
        }
        staff = {
            row.person: StaffEdit(row.person, row.user_group, row.edited_by, _utc(row.edited_at))
            for row in c.execute(sa.select(staff_edit_t).where(staff_edit_t.c.source == source))
        }
    return Edits(groups, staff)


def _permissions(text: str) -> frozenset[str]:
    data = json.loads(text or "[]")
    return frozenset(str(p) for p in data) if isinstance(data, list) else frozenset()


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
