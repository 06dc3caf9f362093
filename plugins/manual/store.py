"""The manual-entry store: people, groups, memberships and blocks typed in by an admin.

Kept in the state database (or ``url``) under its own Alembic version table. Students
get the same id as the roster CSV gives them (UPN, or generated from name and date of
birth), so a manual entry stands in for, or corrects, the same student's CSV row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from plugins.manual.entries import Entry
from sync.api import Block, Role, migrate, open_database

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "manual_alembic_version"

metadata = sa.MetaData()
person_t = sa.Table(
    "manual_person",
    metadata,
    sa.Column("id", sa.String(), primary_key=True),
    sa.Column("role", sa.String(), nullable=False),
    sa.Column("given_name", sa.String(), nullable=False),
    sa.Column("family_name", sa.String(), nullable=False),
    sa.Column("email", sa.String(), nullable=False),
    sa.Column("attributes", sa.Text(), nullable=False),
    sa.Column("user_group", sa.String(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
group_t = sa.Table(
    "manual_group",
    metadata,
    sa.Column("key", sa.String(), primary_key=True),
    sa.Column("name", sa.String(), nullable=False),
)
member_t = sa.Table(
    "manual_member",
    metadata,
    sa.Column("group_key", sa.String(), primary_key=True),
    sa.Column("person", sa.String(), primary_key=True),
    sa.Column("access", sa.Boolean(), nullable=False),
)
block_t = sa.Table(
    "manual_block",
    metadata,
    sa.Column("staff", sa.String(), primary_key=True),
    sa.Column("student", sa.String(), primary_key=True),
    sa.Column("reason", sa.String(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class Contents:
    people: list[Entry]
    groups: dict[str, str]
    members: list[tuple[str, str, bool]]
    blocks: list[Block]


class ManualStore:
    """Reads and writes the manual tables; every write is one transaction."""

    def __init__(self, url: str) -> None:
        self.engine: Engine = open_database(url)
        migrate(self.engine, MIGRATIONS, VERSION_TABLE)

    def put_person(self, entry: Entry) -> bool:
        """Add or replace a person; True when one with this id existed (a correction)."""
        with self.engine.begin() as c:
            existed = c.execute(sa.delete(person_t).where(person_t.c.id == entry.id)).rowcount
            _insert_person(c, entry)
        return bool(existed)

    def replace_person(self, old: str, entry: Entry) -> None:
        """Store ``entry`` in place of the person ``old`` (an edit that changed their id,
        e.g. a UPN given at last): their memberships and blocks follow them."""
        with self.engine.begin() as c:
            c.execute(sa.delete(person_t).where(person_t.c.id.in_([old, entry.id])))
            c.execute(sa.update(member_t).where(member_t.c.person == old).values(person=entry.id))
            for column in (block_t.c.staff, block_t.c.student):
                c.execute(sa.update(block_t).where(column == old).values({column.name: entry.id}))
            _insert_person(c, entry)

    def put_group(self, key: str, name: str) -> None:
        with self.engine.begin() as c:
            c.execute(sa.delete(group_t).where(group_t.c.key == key))
            c.execute(sa.insert(group_t).values(key=key, name=name))

    def put_member(self, group: str, person: str, access: bool) -> None:
        with self.engine.begin() as c:
            c.execute(
                sa.delete(member_t).where(
                    member_t.c.group_key == group, member_t.c.person == person
                )
            )
            c.execute(sa.insert(member_t).values(group_key=group, person=person, access=access))

    def put_block(self, staff: str, student: str, reason: str) -> None:
        with self.engine.begin() as c:
            c.execute(
                sa.delete(block_t).where(block_t.c.staff == staff, block_t.c.student == student)
            )
            c.execute(
                sa.insert(block_t).values(
                    staff=staff, student=student, reason=reason, created_at=datetime.now(UTC)
                )
            )

    def remove_block(self, staff: str, student: str) -> bool:
        with self.engine.begin() as c:
            gone = c.execute(
                sa.delete(block_t).where(block_t.c.staff == staff, block_t.c.student == student)
            ).rowcount
        return bool(gone)

    def remove_member(self, group: str, person: str) -> bool:
        with self.engine.begin() as c:
            gone = c.execute(
                sa.delete(member_t).where(
                    member_t.c.group_key == group, member_t.c.person == person
                )
            ).rowcount
        return bool(gone)

    def remove(self, key: str) -> str:
        """Remove the person or group ``key`` with its memberships: 'person', 'group' or ''."""
        with self.engine.begin() as c:
            if c.execute(sa.delete(person_t).where(person_t.c.id == key)).rowcount:
                c.execute(sa.delete(member_t).where(member_t.c.person == key))
                return "person"
            if c.execute(sa.delete(group_t).where(group_t.c.key == key)).rowcount:
                c.execute(sa.delete(member_t).where(member_t.c.group_key == key))
                return "group"
        return ""

    def contents(self) -> Contents:
        with self.engine.connect() as c:
            people = [
                Entry(
                    row.id,
                    Role(row.role),
                    row.given_name,
                    row.family_name,
                    row.email,
                    _attributes(row.attributes),
                    row.user_group,
                )
                for row in c.execute(sa.select(person_t).order_by(person_t.c.id))
            ]
            groups = {
                row.key: row.name for row in c.execute(sa.select(group_t).order_by(group_t.c.key))
            }
            members = [
                (row.group_key, row.person, bool(row.access))
                for row in c.execute(
                    sa.select(member_t).order_by(member_t.c.group_key, member_t.c.person)
                )
            ]
            blocks = [
                Block(row.staff, row.student, row.reason)
                for row in c.execute(
                    sa.select(block_t).order_by(block_t.c.staff, block_t.c.student)
                )
            ]
        return Contents(people, groups, members, blocks)


def _insert_person(c: sa.Connection, entry: Entry) -> None:
    c.execute(
        sa.insert(person_t).values(
            id=entry.id,
            role=entry.role.value,
            given_name=entry.given_name,
            family_name=entry.family_name,
            email=entry.email,
            attributes=json.dumps(entry.attributes, sort_keys=True),
            user_group=entry.user_group,
            created_at=datetime.now(UTC),
        )
    )


def _attributes(text: str) -> dict[str, str]:
    data: Any = json.loads(text or "{}")
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
