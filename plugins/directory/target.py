"""The directory target: groups, members, access rights, staff profiles and blocked
children, kept in a database.

The embedded stand-in for an Impero server console. Every change is idempotent, and
a batch is one transaction, so a crash mid-apply leaves whole batches or nothing.
Blocks are enforced where the directory answers who sees whom (``visible_members``,
``can_see``): a blocked child is hidden from that staff member in every group, even a
group they are granted, whoever made the grant.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from plugins.directory.digests import refresh_digests, stored_digests
from plugins.directory.members import count_members, read_members, write_members
from plugins.directory.options import DirectoryOptions
from plugins.directory.sql import columns, insert_rows, is_postgres, select_in
from plugins.directory.tables import block_t, grant_t, group_t, member_t, profile_t
from sync.api import (
    CAPABILITY_ACCESS,
    CAPABILITY_HIDE_MEMBERS,
    CAPABILITY_MEMBER_DIGESTS,
    CAPABILITY_PROFILES,
    CHANGE_GROUP,
    CHANGE_GROUP_PERSON,
    CHANGE_KIND,
    AccessGrant,
    Block,
    Change,
    ChangeFailure,
    ChangeKind,
    Group,
    Memberships,
    PluginContext,
    Roster,
    StaffProfile,
    TargetState,
    digest_members,
    group_members,
    migrate,
    open_database,
    retriable_database_errors,
)

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "dir_alembic_version"

#: A locked SQLite file, a PostgreSQL serialization failure or deadlock, a connection
#: lost: the engine retries the batch (each batch is one transaction, so none half-done).
_DATABASE = "the directory database"


def open_directory(url: str) -> Engine:
    """The directory's database, migrated to the newest schema."""
    engine = open_database(url)
    migrate(engine, MIGRATIONS, VERSION_TABLE)
    return engine


def _options_text(options: Iterable[str]) -> str:
    return ",".join(sorted(options))


def _options_set(text: str) -> frozenset[str]:
    return frozenset(part for part in text.split(",") if part)


def read_state(engine: Engine, sync: str, matched: AbstractSet[str] = frozenset()) -> TargetState:
    """Everything in the directory, marking what ``sync`` manages; without the members
    of the managed groups in ``matched`` (see ``DigestTarget``)."""
    with engine.connect() as c:
        group_rows = c.execute(
            sa.select(group_t.c.key, group_t.c.name, group_t.c.managed_by, group_t.c.member_count)
        ).all()
        skipped = {row[0]: row[3] for row in group_rows if row[0] in matched and row[2] == sync}
        members = read_members(
            c, [row[0] for row in group_rows if row[0] not in skipped] if skipped else None
        )
        grant_rows = c.execute(
            sa.select(
                grant_t.c.group_key, grant_t.c.principal, grant_t.c.options, grant_t.c.managed_by
            )
        ).all()
        profile_rows = c.execute(
            sa.select(
                profile_t.c.person,
                profile_t.c.user_group,
                profile_t.c.permissions,
                profile_t.c.reason,
                profile_t.c.managed_by,
            )
        ).all()
        block_rows = c.execute(
            sa.select(block_t.c.staff, block_t.c.student, block_t.c.reason, block_t.c.managed_by)
        ).all()
    groups = [Group(row[0], row[1]) for row in group_rows]
    roster = Roster.build(
        groups=groups,
        memberships=Memberships.of_groups(members),
        grants=(AccessGrant(g, p, _options_set(o)) for g, p, o, _ in grant_rows),
        profiles=(StaffProfile(p, g, _options_set(o), r) for p, g, o, r, _ in profile_rows),
        blocks=(Block(s, c, r) for s, c, r, _ in block_rows),
    )
    return TargetState(
        roster=roster,
        managed=frozenset(row[0] for row in group_rows if row[2] == sync),
        managed_grants=frozenset((g, p) for g, p, _, owner in grant_rows if owner == sync),
        managed_profiles=frozenset(p for p, _, _, _, owner in profile_rows if owner == sync),
        managed_blocks=frozenset((s, c) for s, c, _, owner in block_rows if owner == sync),
        members_matched=frozenset(skipped),
        matched_memberships=sum(skipped.values()),
    )


class DirectoryTarget:
    """Applies plans to the directory tables; only rows ``managed_by`` this sync change."""

    capabilities = frozenset(
        {
            CAPABILITY_ACCESS,
            CAPABILITY_PROFILES,
            CAPABILITY_HIDE_MEMBERS,
            CAPABILITY_MEMBER_DIGESTS,
        }
    )

    def __init__(self, options: DirectoryOptions, context: PluginContext) -> None:
        self.sync = context.sync
        with retriable_database_errors(_DATABASE):
            self.engine = open_directory(context.database(options.url))

    @retriable_database_errors(_DATABASE)
    def read(self) -> TargetState:
        return read_state(self.engine, self.sync)

    @retriable_database_errors(_DATABASE)
    def member_digests(self) -> dict[str, str]:
        with self.engine.connect() as c:
            return stored_digests(c, self.sync)

    @retriable_database_errors(_DATABASE)
    def read_changed(self, matched: AbstractSet[str]) -> TargetState:
        return read_state(self.engine, self.sync, matched)

    def close(self) -> None:
        """The engine is pooled per URL and shared; nothing to close per run."""

    @retriable_database_errors(_DATABASE)
    def apply(self, changes: Sequence[Change]) -> list[ChangeFailure]:
        failures: list[ChangeFailure] = []
        with self.engine.begin() as c:
            owned = self._owned(c, set(map(_GROUP, changes)))
            by_kind: dict[ChangeKind, list[Change]] = {}
            for kind, run in groupby(changes, key=_KIND):
                by_kind.setdefault(kind, []).extend(run)
            touched: set[str] = set()
            filled: dict[str, list[str]] = {}
            for kind, batch in by_kind.items():
                if kind is ChangeKind.CREATE_GROUP:
                    failures += self._create(c, batch, owned)
                    # Rows left under a new group's key are its members from now on.
                    created = {ch.group for ch in batch if owned.get(ch.group) == self.sync}
                    touched |= count_members(c, created).keys()
                    continue
                if kind in _PERSON_KINDS:
                    failures += self._apply_person(c, kind, batch)
                    continue
                groups = set(map(_GROUP, batch))
                theirs = {key for key in groups if owned.get(key) != self.sync}
                mine = batch
                if theirs:
                    mine = [ch for ch in batch if ch.group not in theirs]
                    failures += [
                        ChangeFailure(ch, self._not_owned(owned.get(ch.group)))
                        for ch in batch
                        if ch.group in theirs
                    ]
                if mine and kind is ChangeKind.ADD_MEMBER:
                    filled = self._add_members(c, mine)
                elif mine:
                    self._apply_kind(c, kind, mine)
                if mine and kind in _MEMBER_KINDS:
                    touched |= groups - theirs
            if touched:
                removed = set(map(_GROUP, by_kind.get(ChangeKind.REMOVE_MEMBER, ())))
                known = {key: people for key, people in filled.items() if key not in removed}
                refresh_digests(c, touched, owner=self.sync, known=known)
        return failures

    def _add_members(self, c: Connection, batch: list[Change]) -> dict[str, list[str]]:
        """Insert the members of ``batch``. Returns the member ids of each group that had
        no member rows before and now has exactly these (every row went in): their
        digests need not be read back, which on a first sync is every group."""
        pairs = list(map(_GROUP_PERSON, batch))
        added = group_members(pairs)
        before = count_members(c, added.keys())
        if write_members(c, True, pairs) != len(pairs):
            return {}
        return {key: people for key, people in added.items() if key not in before}

    def _apply_person(
        self, c: Connection, kind: ChangeKind, batch: list[Change]
    ) -> list[ChangeFailure]:
        """Profile and block changes: rows are keyed by person, owned per row."""
        profiles = kind in (ChangeKind.SET_PROFILE, ChangeKind.CLEAR_PROFILE)
        table = profile_t if profiles else block_t
        person_col = table.c.person if profiles else table.c.staff
        key_cols = [person_col] if profiles else [table.c.staff, table.c.student]

        def key_of(ch: Change) -> tuple[str, ...]:
            return (ch.person,) if profiles else (ch.person, ch.student)

        owners: dict[tuple[str, ...], str] = {}
        people = sorted({ch.person for ch in batch})
        for start in range(0, len(people), 500):
            query = sa.select(*key_cols, table.c.managed_by).where(
                person_col.in_(people[start : start + 500])
            )
            owners.update({tuple(row[:-1]): row[-1] for row in c.execute(query)})
        failures = []
        mine = []
        for ch in batch:
            owner = owners.get(key_of(ch))
            if owner is not None and owner != self.sync:
                failures.append(ChangeFailure(ch, self._not_owned_row(owner)))
            else:
                mine.append(ch)
        if not mine:
            return failures
        b = sa.bindparam
        now = datetime.now(UTC)
        if kind is ChangeKind.SET_PROFILE:
            c.execute(
                sa.delete(profile_t).where(profile_t.c.person == b("p")),
                [{"p": ch.person} for ch in mine],
            )
            c.execute(
                sa.insert(profile_t),
                [
                    {
                        "person": ch.person,
                        "user_group": ch.name,
                        "permissions": _options_text(ch.options),
                        "reason": ch.reason,
                        "managed_by": self.sync,
                    }
                    for ch in mine
                ],
            )
        elif kind is ChangeKind.CLEAR_PROFILE:
            c.execute(
                sa.delete(profile_t).where(profile_t.c.person == b("p")),
                [{"p": ch.person} for ch in mine],
            )
        elif kind is ChangeKind.ADD_BLOCK:
            params = [{"s": ch.person, "c": ch.student} for ch in mine]
            c.execute(
                sa.delete(block_t).where(block_t.c.staff == b("s"), block_t.c.student == b("c")),
                params,
            )
            c.execute(
                sa.insert(block_t),
                [
                    {
                        "staff": ch.person,
                        "student": ch.student,
                        "reason": ch.reason,
                        "managed_by": self.sync,
                        "created_at": now,
                    }
                    for ch in mine
                ],
            )
        else:
            c.execute(
                sa.delete(block_t).where(block_t.c.staff == b("s"), block_t.c.student == b("c")),
                [{"s": ch.person, "c": ch.student} for ch in mine],
            )
        return failures

    def _not_owned_row(self, owner: str) -> str:
        if not owner:
            return "it was set in the directory by hand; syncs never change it"
        return f"it belongs to sync {owner!r}"

    def _owned(self, c: Connection, keys: set[str]) -> dict[str, str]:
        rows = select_in(c, "SELECT key, managed_by FROM dir_group WHERE key IN ({keys})", keys)
        return dict(rows)

    def _not_owned(self, owner: str | None) -> str:
        if owner is None:
            return "the group does not exist in the directory"
        return "the group was not created by this sync" + (
            f" (it belongs to {owner!r})" if owner else ""
        )

    def _create(
        self, c: Connection, batch: list[Change], owned: dict[str, str]
    ) -> list[ChangeFailure]:
        taken = "a group with this key exists and was not created by this sync"
        failures = []
        rows = []
        created_at = self._stored_time(c, datetime.now(UTC))
        for change in batch:
            owner = owned.get(change.group)
            if owner is None:
                rows.append((change.group, change.name, self.sync, created_at, _NO_MEMBERS, 0))
            elif owner != self.sync:
                failures.append(ChangeFailure(change, taken))
        if rows and is_postgres(c):
            keys, names = columns([(row[0], row[1]) for row in rows], 2)
            c.exec_driver_sql(
                "INSERT INTO dir_group (key, name, managed_by, created_at, member_digest, "
                "member_count) SELECT k, n, %s, %s, %s, 0 FROM unnest(%b::text[], %b::text[]) "
                "AS v(k, n) ON CONFLICT DO NOTHING",
                (self.sync, created_at, _NO_MEMBERS, keys, names),
            )
        elif rows:
            insert_rows(
                c,
                "INSERT INTO dir_group (key, name, managed_by, created_at, member_digest, "
                "member_count)",
                rows,
                "ON CONFLICT DO NOTHING",
            )
        if rows:  # who owns them now: a group made by hand meanwhile is not ours
            inserted = {row[0] for row in rows}
            owned.update(self._owned(c, inserted))
            failures += [
                ChangeFailure(change, taken)
                for change in batch
                if change.group in inserted and owned.get(change.group) != self.sync
            ]
        return failures

    @staticmethod
    def _stored_time(c: Connection, when: datetime) -> Any:
        """``when`` as SQLAlchemy would hand it to this driver for ``created_at``."""
        process = group_t.c.created_at.type.dialect_impl(c.dialect).bind_processor(c.dialect)
        return process(when) if process else when

    def _apply_kind(self, c: Connection, kind: ChangeKind, batch: list[Change]) -> None:
        b = sa.bindparam
        if kind is ChangeKind.RENAME_GROUP:
            c.execute(
                sa.update(group_t).where(group_t.c.key == b("k")).values(name=b("n")),
                [{"k": ch.group, "n": ch.name} for ch in batch],
            )
        elif kind is ChangeKind.REMOVE_MEMBER:
            write_members(c, False, list(map(_GROUP_PERSON, batch)))
        elif kind in (ChangeKind.GRANT_ACCESS, ChangeKind.UPDATE_ACCESS):
            self._upsert_grants(c, batch)
        elif kind is ChangeKind.REVOKE_ACCESS:
            c.execute(
                sa.delete(grant_t).where(
                    grant_t.c.group_key == b("g"),
                    grant_t.c.principal == b("p"),
                    grant_t.c.managed_by == self.sync,
                ),
                [{"g": ch.group, "p": ch.person} for ch in batch],
            )
        elif kind is ChangeKind.DELETE_GROUP:
            keys = [{"g": ch.group} for ch in batch]
            c.execute(sa.delete(member_t).where(member_t.c.group_key == b("g")), keys)
            c.execute(sa.delete(grant_t).where(grant_t.c.group_key == b("g")), keys)
            c.execute(
                sa.delete(group_t).where(
                    group_t.c.key == b("g"), group_t.c.managed_by == self.sync
                ),
                keys,
            )
        else:  # pragma: no cover - every kind is handled above
            raise AssertionError(kind)

    def _upsert_grants(self, c: Connection, batch: list[Change]) -> None:
        rows = [(ch.group, ch.person, _options_text(ch.options)) for ch in batch]
        if is_postgres(c):
            groups, people, options = columns(rows, 3)
            c.exec_driver_sql(
                "DELETE FROM dir_grant t USING unnest(%b::text[], %b::text[]) AS v(g, p) "
                "WHERE t.group_key = v.g AND t.principal = v.p AND t.managed_by = %s",
                (groups, people, self.sync),
            )
            c.exec_driver_sql(
                "INSERT INTO dir_grant (group_key, principal, options, managed_by) "
                "SELECT g, p, o, %s FROM unnest(%b::text[], %b::text[], %b::text[]) "
                "AS v(g, p, o) ON CONFLICT DO NOTHING",
                (self.sync, groups, people, options),
            )
            return
        c.exec_driver_sql(
            "DELETE FROM dir_grant WHERE group_key = ? AND principal = ? AND managed_by = ?",
            [(group, person, self.sync) for group, person, _ in rows],
        )
        insert_rows(
            c,
            "INSERT INTO dir_grant (group_key, principal, options, managed_by)",
            [(*row, self.sync) for row in rows],
            "ON CONFLICT DO NOTHING",
        )


_NO_MEMBERS = digest_members(())
_KIND, _GROUP, _GROUP_PERSON = CHANGE_KIND, CHANGE_GROUP, CHANGE_GROUP_PERSON
# Changes after which a group's member digest is computed again.
_MEMBER_KINDS = frozenset({ChangeKind.ADD_MEMBER, ChangeKind.REMOVE_MEMBER})

_PERSON_KINDS = frozenset(
    {
        ChangeKind.SET_PROFILE,
        ChangeKind.CLEAR_PROFILE,
        ChangeKind.ADD_BLOCK,
        ChangeKind.REMOVE_BLOCK,
    }
)


def blocked_students(engine: Engine, staff: str) -> dict[str, str]:
    """The children hidden from ``staff``, with the reason for each (any owner)."""
    with engine.connect() as c:
        rows = c.execute(
            sa.select(block_t.c.student, block_t.c.reason).where(block_t.c.staff == staff)
        ).all()
    return {student: reason for student, reason in rows}


def visible_members(engine: Engine, staff: str, group: str) -> list[str]:
    """The members of ``group`` that ``staff`` may see: none without access to the group,
    and never a child blocked from them. Every view of the directory goes through here."""
    with engine.connect() as c:
        granted = c.execute(
            sa.select(grant_t.c.group_key).where(
                grant_t.c.group_key == group, grant_t.c.principal == staff
            )
        ).first()
        if granted is None:
            return []
        hidden = sa.select(block_t.c.student).where(block_t.c.staff == staff)
        rows = c.execute(
            sa.select(member_t.c.person)
            .where(member_t.c.group_key == group, member_t.c.person.not_in(hidden))
            .order_by(member_t.c.person)
        ).all()
    return [person for (person,) in rows]


@dataclass(frozen=True)
class AccessAnswer:
    """Whether a staff member can see a child, and why."""

    allowed: bool
    reason: str
    through: tuple[str, ...] = ()


def can_see(engine: Engine, staff: str, student: str) -> AccessAnswer:
    """May ``staff`` see ``student``? Only through a granted group holding the child, and
    never when the child is blocked from them."""
    with engine.connect() as c:
        rows = c.execute(
            sa.select(group_t.c.name)
            .select_from(
                grant_t.join(member_t, member_t.c.group_key == grant_t.c.group_key).join(
                    group_t, group_t.c.key == grant_t.c.group_key
                )
            )
            .where(grant_t.c.principal == staff, member_t.c.person == student)
            .order_by(group_t.c.name)
        ).all()
    groups = tuple(name for (name,) in rows)
    blocked = blocked_students(engine, staff)
    if student in blocked:
        why = f"{student} is blocked from {staff}"
        why += f" ({blocked[student]})" if blocked[student] else ""
        if groups:
            why += f"; hidden even in the granted groups {', '.join(groups)}"
        return AccessAnswer(False, why, groups)
    if not groups:
        return AccessAnswer(False, f"{staff} is not given access to any group that {student} is in")
    return AccessAnswer(
        True, f"{staff} has access to {', '.join(groups)}, where {student} is a member", groups
    )


def add_hand_made_group(engine: Engine, key: str, name: str, members: Iterable[str] = ()) -> None:
    """A group as an admin makes it in the console: rostersync never touches it."""
    with engine.begin() as c:
        c.execute(
            sa.insert(group_t).values(
                key=key, name=name, managed_by="", created_at=datetime.now(UTC)
            )
        )
        people = [{"group_key": key, "person": person} for person in members]
        if people:
            c.execute(sa.insert(member_t), people)
