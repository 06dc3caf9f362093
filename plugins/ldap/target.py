"""The ``ldap`` target: class groups, their members and (as companion groups) the teachers'
access in Active Directory or an OpenLDAP directory.

Ownership lives in the directory: a group under ``groups_dn`` belongs to this sync when its
marker attribute (``info`` on AD, ``description`` on OpenLDAP) holds
``rostersync:<sync>:<group key>``. The key, not the DN, is the group's identity, so a
renamed class keeps its entry (it is moved with a modrdn). Groups without the marker are
read, so that the planner reports same-name clashes, and never changed; nothing outside
``groups_dn`` is read or changed. Members are the DNs of the entries under ``users_dn``
whose ``user_attribute`` is the person's id; a person with no entry is reported, never
created.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import ldap3
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import to_dn

from plugins.companions import Marked, companion_name, default_prefix, marker, parse_marker
from plugins.ldap.connection import Entry, LdapConnection, Refused
from plugins.ldap.options import LdapOptions
from plugins.ldap.schema import GroupSchema
from sync.api import (
    APPLY_ORDER,
    CAPABILITY_ACCESS,
    AccessGrant,
    Change,
    ChangeFailure,
    ChangeKind,
    Group,
    Membership,
    PluginContext,
    RetriableError,
    Roster,
    TargetError,
    TargetState,
    register_secret,
)

log = logging.getLogger(__name__)

#: Changes that become member operations on a group or on its companion groups.
MEMBER_KINDS = frozenset(
    {
        ChangeKind.ADD_MEMBER,
        ChangeKind.REMOVE_MEMBER,
        ChangeKind.GRANT_ACCESS,
        ChangeKind.UPDATE_ACCESS,
        ChangeKind.REVOKE_ACCESS,
    }
)

#: Refusals that may concern one value only: the values are then sent one at a time.
VALUE_REFUSALS = frozenset({16, 19, 20, 21, 34, 64, 65, 80})

_SPACES = re.compile(r"\s*([,=+])\s*")


def normal(dn: str) -> str:
    """A DN as compared here: case and the spaces around separators do not count."""
    return _SPACES.sub(r"\1", dn.lower())


@dataclass
class LdapGroup:
    """A group as read from the directory: its DN, name, marker and member DNs (normal)."""

    dn: str
    name: str
    marked: Marked | None
    members: set[str] = field(default_factory=set)


@dataclass
class Users:
    """The entries under ``users_dn`` by person id, read once per run."""

    dn_of: dict[str, str] = field(default_factory=dict)  # person id -> DN
    id_of: dict[str, str] = field(default_factory=dict)  # normal DN -> person id
    missing: set[str] = field(default_factory=set)  # looked up since, and not found

    def add(self, person: str, dn: str) -> None:
        self.dn_of.setdefault(person, dn)
        self.id_of.setdefault(normal(dn), person)


@dataclass
class Snapshot:
    """What the last read found; kept up to date while applying."""

    main: dict[str, LdapGroup] = field(default_factory=dict)  # key -> owned group
    companions: dict[str, dict[frozenset[str], LdapGroup]] = field(default_factory=dict)
    unowned: list[LdapGroup] = field(default_factory=list)


@dataclass
class _Delta:
    """Member changes for one group, each value tied to the change that asked for it."""

    group: LdapGroup
    adds: list[tuple[Change, str]] = field(default_factory=list)
    removes: list[tuple[Change, str]] = field(default_factory=list)


def _first(entry: Entry, name: str) -> str:
    values = entry.values(name)
    return str(values[0]) if values else ""


def parent_of(dn: str) -> str:
    return ",".join(to_dn(dn)[1:])


class LdapTarget:
    """Applies plans to an LDAP directory, touching only the groups it owns."""

    def __init__(self, options: LdapOptions, context: PluginContext) -> None:
        self.options = options
        self.where = f"[targets.{context.name}]"
        password = options.password.get_secret_value()
        if options.bind_dn and not password:
            raise TargetError(
                f'{self.where} password: is empty for bind_dn; give it as {{ env = "NAME" }}'
            )
        if password:
            register_secret(password)
        if options.ca_file:
            ca_file = context.resolve_path(options.ca_file)
            if not ca_file.is_file():
                raise TargetError(f"{self.where} ca_file: {ca_file} is not a file")
            options = options.model_copy(update={"ca_file": str(ca_file)})
        self.schema = GroupSchema.of(options)
        self.prefix = default_prefix(context.sync)
        self.capabilities = (
            frozenset({CAPABILITY_ACCESS}) if options.access_rights == "companion" else frozenset()
        )
        self.directory = LdapConnection(options, self.where)
        self._snapshot: Snapshot | None = None
        self._users: Users | None = None
        self._empty = normal(self.schema.empty_member) if self.schema.empty_member else ""

    # -- reading -----------------------------------------------------------------------

    def read(self) -> TargetState:
        snap = self._load()
        users = self._people()
        groups = [Group(key, g.name or key) for key, g in snap.main.items()]
        by_group: dict[str, list[str]] = {key: self._ids(users, g) for key, g in snap.main.items()}
        for g in snap.unowned:
            # An unowned group is known by its name, which is what a source's group key
            # usually is: a same-name group is then reported as a clash.
            if g.name and g.name not in snap.main and g.name not in by_group:
                groups.append(Group(g.name, g.name))
                by_group[g.name] = self._ids(users, g)
        grants = [
            AccessGrant(key, person, options)
            for key, by_options in snap.companions.items()
            if key in snap.main
            for options, g in by_options.items()
            for person in self._ids(users, g)
        ]
        memberships = [Membership(key, p) for key, people in by_group.items() for p in people]
        return TargetState(
            roster=Roster.build(groups=groups, memberships=memberships, grants=grants),
            managed=frozenset(snap.main),
            managed_grants=frozenset((g.group, g.principal) for g in grants),
        )

    def _ids(self, users: Users, group: LdapGroup) -> list[str]:
        """The person ids of a group's members that are users under ``users_dn``."""
        found = (users.id_of.get(dn) for dn in group.members)
        return sorted({person for person in found if person is not None})

    def _load(self) -> Snapshot:
        snap = Snapshot()
        for entry in self.directory.search(
            self.options.groups_dn, self.schema.search_filter, self.schema.read_attributes
        ):
            self._classify(snap, self._group(entry))
        self._snapshot = snap
        return snap

    def _group(self, entry: Entry) -> LdapGroup:
        marked = None
        for value in entry.values(self.schema.marker):
            marked = parse_marker(self.prefix, str(value))
            if marked is not None:
                break
        rdn = to_dn(entry.dn)[0]
        name = _first(entry, "cn") or rdn.partition("=")[2]
        return LdapGroup(
            dn=entry.dn,
            name=name,
            marked=marked,
            members={normal(str(m)) for m in entry.values("member")},
        )

    def _classify(self, snap: Snapshot, group: LdapGroup) -> None:
        marked = group.marked
        if marked is None:
            snap.unowned.append(group)
            return
        if marked.options is not None:
            if self.options.access_rights == "companion":
                by_options = snap.companions.setdefault(marked.key, {})
                by_options.setdefault(marked.options, group)
            return
        if marked.key in snap.main:
            log.warning(
                "%s: two groups are marked as %r (%s and %s); using the first",
                self.where,
                marked.key,
                snap.main[marked.key].dn,
                group.dn,
            )
            return
        snap.main[marked.key] = group

    def _people(self) -> Users:
        """Every entry under ``users_dn`` with ``user_attribute``: one paged search a run."""
        if self._users is None:
            attribute = self.options.person_attribute
            users = Users()
            for entry in self.directory.search(
                self.options.users_dn, self._user_filter(f"({attribute}=*)"), [attribute]
            ):
                for value in entry.values(attribute):
                    users.add(str(value), entry.dn)
            self._users = users
        return self._users

    def _user_filter(self, match: str) -> str:
        extra = self.options.user_filter
        return f"(&{match}{extra})" if extra else match

    def _user_dn(self, person: str) -> str | None:
        """The DN of the person's entry: from the run's search, else looked up once (an
        entry made since then)."""
        users = self._people()
        if person in users.dn_of:
            return users.dn_of[person]
        if person in users.missing:
            return None
        attribute = self.options.person_attribute
        wanted = f"({attribute}={escape_filter_chars(person)})"
        for entry in self.directory.search(
            self.options.users_dn, self._user_filter(wanted), [attribute]
        ):
            users.add(person, entry.dn)
            return entry.dn
        users.missing.add(person)
        return None

    # -- applying ----------------------------------------------------------------------

    def apply(self, changes: Sequence[Change]) -> list[ChangeFailure]:
        snap = self._snapshot or self._load()
        failures: dict[Change, str] = {}
        by_kind: dict[ChangeKind, list[Change]] = {}
        for change in changes:
            by_kind.setdefault(change.kind, []).append(change)
        # Member changes of every kind go at once, so that each group gets one modify with
        # its adds and deletes together (the engine's batches hold one kind each).
        members = [c for kind in APPLY_ORDER if kind in MEMBER_KINDS for c in by_kind.pop(kind, ())]
        try:
            for kind in APPLY_ORDER:
                if kind in MEMBER_KINDS and members:
                    self._apply_kind(snap, kind, members, failures)
                    members = []
                elif kind in by_kind:
                    self._apply_kind(snap, kind, by_kind[kind], failures)
        except RetriableError:
            self._snapshot = None  # what reached the server is unknown: read it again
            raise
        return [ChangeFailure(change, reason) for change, reason in failures.items()]

    def _apply_kind(
        self, snap: Snapshot, kind: ChangeKind, batch: list[Change], failures: dict[Change, str]
    ) -> None:
        if kind is ChangeKind.CREATE_GROUP:
            for change in batch:
                self._create(snap, change, failures)
            return
        owned = [c for c in batch if self._owns(snap, c)]
        mine = set(owned)
        for change in batch:
            if change not in mine:
                failures[change] = (
                    f"no group under {self.options.groups_dn!r} is marked "
                    f"{marker(self.prefix, change.group)!r}; rostersync only changes groups it "
                    "created"
                )
        if kind is ChangeKind.RENAME_GROUP:
            for change in owned:
                self._rename(snap, change, failures)
        elif kind is ChangeKind.DELETE_GROUP:
            for change in owned:
                self._delete(snap, change, failures)
        elif kind in MEMBER_KINDS:
            deltas: dict[str, _Delta] = {}
            for change in owned:
                self._plan_members(snap, change, deltas, failures)
            for delta in deltas.values():
                self._modify_members(delta, failures)
        else:  # a kind added to the engine later, never planned for this target
            for change in owned:
                failures[change] = f"the ldap target does not support {kind.value} changes"

    def _owns(self, snap: Snapshot, change: Change) -> bool:
        if change.group in snap.main:
            return True
        return change.kind is ChangeKind.REVOKE_ACCESS and change.group in snap.companions

    # groups

    def _add_group(self, name: str, mark: str) -> LdapGroup:
        """A new group named ``name`` under ``groups_dn``, or the one of this marker that
        is there already (an interrupted run made it). Raises ``Refused``."""
        dn = self.schema.dn(name, self.options.groups_dn)
        object_classes, attributes = self.schema.new_entry(name, mark)
        try:
            self.directory.add(dn, object_classes, attributes)
        except Refused as exc:
            if exc.code != 68:  # entryAlreadyExists
                raise
            existing = self.directory.entry(dn, self.schema.read_attributes)
            group = self._group(existing) if existing is not None else None
            if group is None or group.marked != parse_marker(self.prefix, mark):
                raise Refused(
                    exc.code,
                    f"{dn!r} exists and is not marked {mark!r} (made by hand, or by another "
                    "sync); rostersync leaves it alone",
                ) from None
            return group
        members = {self._empty} if self._empty else set()
        return LdapGroup(dn=dn, name=name, marked=parse_marker(self.prefix, mark), members=members)

    def _create(self, snap: Snapshot, change: Change, failures: dict[Change, str]) -> None:
        try:
            existing = snap.main.get(change.group)
            if existing is None:
                existing = self._add_group(change.name, marker(self.prefix, change.group))
                snap.main[change.group] = existing
            self._set_name(existing, change.name)
        except Refused as exc:
            failures[change] = f"the directory refused to create group {change.name!r}: {exc}"

    def _set_name(self, group: LdapGroup, name: str) -> None:
        if group.name == name:
            return
        new_rdn = self.schema.rdn(name)
        self.directory.rename(group.dn, new_rdn)
        group.dn = f"{new_rdn},{parent_of(group.dn)}"
        group.name = name
        follow = self.schema.renamed(name)
        if follow:
            self.directory.modify(
                group.dn, {a: [(ldap3.MODIFY_REPLACE, [v])] for a, v in follow.items()}
            )

    def _rename(self, snap: Snapshot, change: Change, failures: dict[Change, str]) -> None:
        try:
            self._set_name(snap.main[change.group], change.name)
            for options, companion in snap.companions.get(change.group, {}).items():
                suffix = self.options.companion_suffix
                self._set_name(companion, companion_name(change.name, suffix, options))
        except Refused as exc:
            failures[change] = f"the directory refused to rename group to {change.name!r}: {exc}"

    def _delete(self, snap: Snapshot, change: Change, failures: dict[Change, str]) -> None:
        doomed = [*snap.companions.get(change.group, {}).values(), snap.main[change.group]]
        try:
            for group in doomed:
                self.directory.delete(group.dn)
        except Refused as exc:
            what = change.name or change.group
            failures[change] = f"the directory refused to delete group {what!r}: {exc}"
            return
        snap.main.pop(change.group, None)
        snap.companions.pop(change.group, None)

    def _companion(
        self, snap: Snapshot, change: Change, failures: dict[Change, str]
    ) -> LdapGroup | None:
        by_options = snap.companions.setdefault(change.group, {})
        found = by_options.get(change.options)
        if found is not None:
            return found
        main = snap.main[change.group]
        name = companion_name(main.name, self.options.companion_suffix, change.options)
        try:
            created = self._add_group(name, marker(self.prefix, change.group, change.options))
        except Refused as exc:
            failures[change] = f"the directory refused to create access group {name!r}: {exc}"
            return None
        by_options[change.options] = created
        return created

    # members

    def _plan_members(
        self,
        snap: Snapshot,
        change: Change,
        deltas: dict[str, _Delta],
        failures: dict[Change, str],
    ) -> None:
        def delta(group: LdapGroup) -> _Delta:
            return deltas.setdefault(group.dn, _Delta(group))

        kind = change.kind
        if kind in (ChangeKind.REMOVE_MEMBER, ChangeKind.REVOKE_ACCESS):
            dn = self._people().dn_of.get(change.person)
            if dn is None:
                return  # not an entry here, so not a member either: nothing to remove
            if kind is ChangeKind.REMOVE_MEMBER:
                delta(snap.main[change.group]).removes.append((change, dn))
            else:
                for group in snap.companions.get(change.group, {}).values():
                    delta(group).removes.append((change, dn))
            return
        dn = self._user_dn(change.person)
        if dn is None:
            failures[change] = (
                f"no entry under {self.options.users_dn!r} has "
                f"{self.options.person_attribute}={change.person!r}; rostersync does not create "
                "accounts: create it in the directory"
            )
            return
        if kind is ChangeKind.ADD_MEMBER:
            delta(snap.main[change.group]).adds.append((change, dn))
            return
        target = self._companion(snap, change, failures)
        if target is None:
            return
        delta(target).adds.append((change, dn))
        if kind is ChangeKind.UPDATE_ACCESS:
            for options, group in snap.companions.get(change.group, {}).items():
                if options != change.options:
                    delta(group).removes.append((change, dn))

    def _modify_members(self, delta: _Delta, failures: dict[Change, str]) -> None:
        """The group's member changes in as few modify requests as the size limit allows,
        adds and deletes together; only what would change the group is sent."""
        group = delta.group
        adds = [(c, dn) for c, dn in delta.adds if normal(dn) not in group.members]
        removes = [(c, dn) for c, dn in delta.removes if normal(dn) in group.members]
        items = [("add", c, dn) for c, dn in adds] + [("delete", c, dn) for c, dn in removes]
        size = self.options.max_values_per_modify
        for start in range(0, len(items), size):
            self._send_members(group, items[start : start + size], failures)

    def _placeholder(self, group: LdapGroup, items: list[tuple[str, Change, str]]) -> str:
        """``add`` or ``delete`` of the stand-in member that keeps a ``groupOfNames`` valid,
        or "" when this request needs neither."""
        if not self._empty:
            return ""
        after = set(group.members)
        for op, _, dn in items:
            (after.add if op == "add" else after.discard)(normal(dn))
        real = after - {self._empty}
        if not real and self._empty not in group.members:
            return "add"
        if real and self._empty in group.members:
            return "delete"
        return ""

    def _send_members(
        self, group: LdapGroup, items: list[tuple[str, Change, str]], failures: dict[Change, str]
    ) -> None:
        if not items:
            return
        added = sorted({dn for op, _, dn in items if op == "add"})
        deleted = sorted({dn for op, _, dn in items if op == "delete"})
        stand_in = self._placeholder(group, items)
        if stand_in == "add":
            added.append(self.schema.empty_member)
        elif stand_in == "delete":
            deleted.append(self.schema.empty_member)
        operations: list[tuple[str, list[Any]]] = []
        if added:
            operations.append((ldap3.MODIFY_ADD, added))
        if deleted:
            operations.append((ldap3.MODIFY_DELETE, deleted))
        try:
            self.directory.modify(group.dn, {"member": operations})
        except Refused as exc:
            if len(items) > 1 and exc.code in VALUE_REFUSALS:
                for item in items:  # find the one the directory objects to
                    self._send_members(group, [item], failures)
                return
            for op, change, _ in items:
                verb = "add" if op == "add" else "remove"
                failures.setdefault(
                    change,
                    f"the directory refused to {verb} {change.person!r} in group "
                    f"{group.name!r}: {exc}",
                )
            return
        for dn in added:
            group.members.add(normal(dn))
        for dn in deleted:
            group.members.discard(normal(dn))

    def close(self) -> None:
        self.directory.close()
