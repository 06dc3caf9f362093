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
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import ldap3
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import to_dn

from plugins.companions import (
    CompanionTarget,
    Delta,
    Marked,
    Owned,
    default_prefix,
    marker,
    parse_marker,
)
from plugins.ldap.connection import Entry, LdapConnection, Refused
from plugins.ldap.options import LdapOptions
from plugins.ldap.schema import GroupSchema
from sync.api import (
    CAPABILITY_ACCESS,
    Change,
    PluginContext,
    TargetError,
    register_secret,
)

log = logging.getLogger(__name__)

#: Refusals that may concern one value only: the values are then sent one at a time.
VALUE_REFUSALS = frozenset({16, 19, 20, 21, 34, 64, 65, 80})

_SPACES = re.compile(r"\s*([,=+])\s*")
_SPACED = (" ,", ", ", " =", "= ", " +", "+ ")


def normal(dn: str) -> str:
    """A DN as compared here: case and the spaces around separators do not count."""
    lower = dn.lower()
    if any(pair in lower for pair in _SPACED):
        return _SPACES.sub(r"\1", lower)
    return lower  # (most DNs: a regex on each of 300,000 member values costs seconds)


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


def _first(entry: Entry, name: str) -> str:
    values = entry.values(name)
    return str(values[0]) if values else ""


def parent_of(dn: str) -> str:
    return ",".join(to_dn(dn)[1:])


class LdapTarget(CompanionTarget[LdapGroup]):
    """Applies plans to an LDAP directory, touching only the groups it owns."""

    refusal = Refused

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
        self.companion_suffix = options.companion_suffix
        self.capabilities = (
            frozenset({CAPABILITY_ACCESS}) if options.access_rights == "companion" else frozenset()
        )
        self.directory = LdapConnection(options, self.where)
        self._users: Users | None = None
        self._empty = normal(self.schema.empty_member) if self.schema.empty_member else ""

    # -- reading -----------------------------------------------------------------------

    def _load(self) -> Owned[LdapGroup]:
        snap: Owned[LdapGroup] = Owned()
        access = self.options.access_rights == "companion"
        for entry in self.directory.search(
            self.options.groups_dn, self.schema.search_filter, self.schema.read_attributes
        ):
            group = self._group(entry)
            snap.classify(group, group.marked, access=access, where=group.dn)
        self._snapshot = snap
        return snap

    def _group(self, entry: Entry) -> LdapGroup:
        marked = None
        for value in entry.values(self.schema.marker):
            marked = parse_marker(self.prefix, str(value))
            if marked is not None:
                break
        name = _first(entry, "cn") or to_dn(entry.dn)[0].partition("=")[2]
        members = {normal(str(m)) for m in entry.values("member")}
        return LdapGroup(dn=entry.dn, name=name, marked=marked, members=members)

    def _person_ids(self, group: LdapGroup) -> Iterable[str]:
        """The person ids of a group's members that are users under ``users_dn``."""
        id_of = self._people().id_of
        found = (id_of.get(dn) for dn in group.members)
        return [person for person in found if person is not None]

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

    def _member_id(self, person: str) -> str | None:
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
            # The server may match without case (uid, sAMAccountName); ids here are exact,
            # as the read maps members back to the values as stored.
            if person in (str(value) for value in entry.values(attribute)):
                users.add(person, entry.dn)
                return entry.dn
        users.missing.add(person)
        return None

    def _known_member_id(self, person: str) -> str | None:
        return self._people().dn_of.get(person)

    # -- messages ----------------------------------------------------------------------

    def _refused(self, what: str, exc: Exception) -> str:
        return f"the directory refused to {what}: {exc}"

    def _not_owned(self, change: Change) -> str:
        return (
            f"no group under {self.options.groups_dn!r} is marked "
            f"{marker(self.prefix, change.group)!r}; rostersync only changes groups it created"
        )

    def _no_user(self, person: str) -> str:
        return (
            f"no entry under {self.options.users_dn!r} has "
            f"{self.options.person_attribute}={person!r}; rostersync does not create "
            "accounts: create it in the directory"
        )

    # -- groups ------------------------------------------------------------------------

    def _ensure_group(self, name: str, mark: str) -> LdapGroup:
        """A new group named ``name`` under ``groups_dn``, or the one of this marker that
        is there already (an interrupted run made it)."""
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

    def _delete_group(self, group: LdapGroup) -> None:
        self.directory.delete(group.dn)

    # -- members -----------------------------------------------------------------------

    def _send(self, delta: Delta[LdapGroup], failures: dict[Change, str]) -> None:
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
