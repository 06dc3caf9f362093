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

Member digests (``CAPABILITY_MEMBER_DIGESTS``): the target remembers, in its plugin state,
each owned group's change stamp and what its members were at that stamp (see
``plugins.ldap.remembered``). A run first reads every group without its members; a group
whose stamp is still the remembered one is vouched for, any other is read with its
members. A rerun with nothing changed reads no member value and no user.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
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
from plugins.ldap.connection import Entry, LdapConnection, Refused, Written
from plugins.ldap.options import LdapOptions
from plugins.ldap.remembered import (
    STAMP_ATTRIBUTES,
    Known,
    Remembered,
    attribute_values,
    stamp_of,
)
from plugins.ldap.schema import GroupSchema
from sync.api import (
    CAPABILITY_ACCESS,
    CAPABILITY_MEMBER_DIGESTS,
    Change,
    ChangeFailure,
    PluginContext,
    RetriableError,
    TargetError,
    TargetState,
    digest_members,
    register_secret,
)

log = logging.getLogger(__name__)

#: Member DNs looked up one at a time, at most, before one search of every user instead.
USER_LOOKUPS = 1000

#: Groups whose members are fetched at once by one search for their names.
NAMES_PER_SEARCH = 100

#: What the first member write to a group this run created reads back: its members and
#: stamp just after that write (a new group is small: read back, not reasoned about).
FRESH_READ = ("member", *STAMP_ATTRIBUTES)

#: Refusals that may concern one value only: the values are then sent one at a time.
VALUE_REFUSALS = frozenset({16, 19, 20, 21, 34, 64, 65, 80})

_SPACES = re.compile(r"\s*([,=+])\s*")
_SPACED = (" ,", ", ", " =", "= ", " +", "+ ")


def normal(dn: str) -> str:
    """A DN as compared here: case and the spaces around separators do not count."""
    lower = dn.lower()
    if " " in lower and any(pair in lower for pair in _SPACED):  # (each pair has a space)
        return _SPACES.sub(r"\1", lower)
    return lower  # (most DNs: a regex on each of 300,000 member values costs seconds)


@dataclass(eq=False)
class LdapGroup:
    """A group as read from the directory: its DN, name, marker and member DNs (normal),
    with the change stamp they are known at (None: not known).

    ``members`` is None when they were not read: ``known`` then says what they were at
    ``stamp`` (remembered from an earlier run). ``fresh``: this run created it and has
    written no member yet (its stamp is not known until then).
    """

    dn: str
    name: str
    marked: Marked | None
    members: set[str] | None = field(default_factory=set)
    stamp: str | None = None
    known: Known | None = None
    fresh: bool = False


@dataclass
class Users:
    """The entries under ``users_dn`` by person id: every one (``complete``, one search a
    run), or those looked up one by one so far."""

    dn_of: dict[str, str] = field(default_factory=dict)  # person id -> DN
    id_of: dict[str, str] = field(default_factory=dict)  # normal DN -> person id
    missing: set[str] = field(default_factory=set)  # looked up since, and not found
    complete: bool = False
    looked_up: set[str] = field(default_factory=set)  # member DNs (normal) looked up
    lookups: int = 0

    def add(self, person: str, dn: str) -> None:
        self.dn_of.setdefault(person, dn)
        self.id_of.setdefault(normal(dn), person)


def _first(entry: Entry, name: str) -> str:
    values = entry.values(name)
    return str(values[0]) if values else ""


def parent_of(dn: str) -> str:
    return ",".join(to_dn(dn)[1:])


def _forget(snap: Owned[LdapGroup], group: LdapGroup) -> None:
    """Leave a group that is gone out of ``snap``."""
    snap.main = {k: g for k, g in snap.main.items() if g is not group}
    for by_options in snap.companions.values():
        for options in [o for o, g in by_options.items() if g is group]:
            del by_options[options]
    snap.unowned = [g for g in snap.unowned if g is not group]


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
        self.capabilities |= {CAPABILITY_MEMBER_DIGESTS}
        scope = "|".join(
            [
                options.url.lower(),
                normal(options.groups_dn),
                normal(options.users_dn),
                options.person_attribute,
                options.user_filter,
                str(options.flavour),
                self.schema.marker,
                self._empty,
                self.prefix,
            ]
        )
        self.remembered = Remembered(context.state, scope)
        self._touched: dict[int, LdapGroup] = {}  # members or stamp changed since remembered
        self._scanned: Owned[LdapGroup] | None = None  # member_digests' search, for read_changed

    # -- reading -----------------------------------------------------------------------

    def _load(self) -> Owned[LdapGroup]:
        """Every group with its members, and (for them) every user: a whole read."""
        snap = self._search_groups(self.schema.read_attributes)
        groups = [*snap.main.values(), *snap.unowned]
        groups += [g for by_options in snap.companions.values() for g in by_options.values()]
        if any(g.members for g in groups):
            self._people()
        return snap

    def _search_groups(self, attributes: list[str]) -> Owned[LdapGroup]:
        snap: Owned[LdapGroup] = Owned()
        access = self.options.access_rights == "companion"
        members = "member" in attributes
        self._touched.clear()
        self._scanned = None
        for entry in self.directory.search(
            self.options.groups_dn, self.schema.search_filter, attributes
        ):
            group = self._group(entry, members=members)
            snap.classify(group, group.marked, access=access, where=group.dn)
            if members:
                self._touched[id(group)] = group
        self._snapshot = snap
        return snap

    def _group(self, entry: Entry, *, members: bool = True) -> LdapGroup:
        marked = None
        for value in entry.values(self.schema.marker):
            marked = parse_marker(self.prefix, str(value))
            if marked is not None:
                break
        name = _first(entry, "cn") or to_dn(entry.dn)[0].partition("=")[2]
        group = LdapGroup(dn=entry.dn, name=name, marked=marked, stamp=self._stamp(entry))
        group.members = {normal(str(m)) for m in entry.values("member")} if members else None
        return group

    def _mark(self, group: LdapGroup) -> str:
        """An owned group's marker: what it is remembered by."""
        assert group.marked is not None
        return marker(self.prefix, group.marked.key, group.marked.options)

    def _stamp(self, entry: Entry) -> str | None:
        attributes = {name: entry.values(name) for name in STAMP_ATTRIBUTES}
        return stamp_of(attributes, self.directory.server_id)

    def _wrote(self, group: LdapGroup, written: Written) -> None:
        """After a write to ``group``: its new stamp, when the server says the stamp just
        before the write was the one its members are known at (else: not known)."""
        before = stamp_of(written.before, self.directory.server_id)
        after = stamp_of(written.after, self.directory.server_id)
        known = group.stamp is not None and before == group.stamp
        group.stamp = after if known else None
        group.known = None if group.members is not None else group.known
        self._touched[id(group)] = group

    def _wrote_fresh(self, group: LdapGroup, written: Written) -> None:
        """After the first member write to a group this run created, which read back
        (``FRESH_READ``) its members and stamp just after it: they are known together,
        whatever anyone else wrote to it since its creation."""
        stamp = stamp_of(written.after, self.directory.server_id)
        if written.after is not None and stamp is not None:
            group.members = {normal(str(m)) for m in attribute_values(written.after, "member")}
        group.stamp = stamp
        group.fresh = False
        group.known = None
        self._touched[id(group)] = group

    def _around(self, group: LdapGroup) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """What a write to ``group`` reads before and after it: no pre-read when its stamp
        is not known (the answer could not vouch for its members)."""
        return (STAMP_ATTRIBUTES if group.stamp is not None else ()), STAMP_ATTRIBUTES

    def _person_ids(self, group: LdapGroup) -> Iterable[str]:
        """The person ids of a group's members that are users under ``users_dn``."""
        if group.members is None:
            known = group.known
            return known.people or () if known is not None else ()
        if not group.members:
            return []
        id_of = self._users_of(group.members).id_of
        found = (id_of.get(dn) for dn in group.members)
        return [person for person in found if person is not None]

    def read(self) -> TargetState:
        state = super().read()
        assert self._snapshot is not None
        self._remember(self._snapshot, everything=True)
        return state

    # -- member digests ------------------------------------------------------------------

    def member_digests(self) -> dict[str, str]:
        """The digest of each owned group whose entry is unchanged since a run knew its
        members: one paged search of ``groups_dn`` without members."""
        snap = self._search_groups(self.schema.scan_attributes)
        digests: dict[str, str] = {}
        for key, group in snap.main.items():
            group.known = self.remembered.trusted(self._mark(group), group.stamp, companion=False)
            if group.known is not None and group.known.digest is not None:
                digests[key] = group.known.digest
        for by_options in snap.companions.values():
            for group in by_options.values():
                group.known = self.remembered.trusted(
                    self._mark(group), group.stamp, companion=True
                )
        self._scanned = snap
        return digests

    def read_changed(self, matched: AbstractSet[str]) -> TargetState:
        """``read`` without the members of the owned groups in ``matched`` (whose digest
        the engine found equal to the desired one); companions unchanged since they were
        remembered are not read either. When most groups must be read, it is one read."""
        if self._scanned is None:
            self.member_digests()
        snap, self._scanned = self._scanned, None
        assert snap is not None
        skipped = {k for k in matched if k in snap.main and snap.main[k].known is not None}
        wanted = [g for k, g in snap.main.items() if k not in skipped]
        wanted += [g for by in snap.companions.values() for g in by.values() if g.known is None]
        wanted += snap.unowned
        total = len(snap.main) + len(snap.unowned) + sum(map(len, snap.companions.values()))
        if 3 * len(wanted) > total:
            return self.read()
        self._read_members(snap, wanted)
        self._users_of(dn for g in wanted if g.members is not None for dn in g.members)
        state = self._state(snap, skipped)
        self._remember(snap, everything=True)
        return state

    def _read_members(self, snap: Owned[LdapGroup], wanted: Sequence[LdapGroup]) -> None:
        """Read the members of ``wanted`` (with their stamps), a search per hundred
        names; a group gone since the first search is left out of ``snap``."""
        by_dn = {normal(g.dn): g for g in wanted}
        named = sorted({g.name for g in wanted if g.name})
        found: set[str] = set()
        for start in range(0, len(named), NAMES_PER_SEARCH):
            names = "".join(
                f"(cn={escape_filter_chars(n)})" for n in named[start : start + NAMES_PER_SEARCH]
            )
            search = f"(&{self.schema.search_filter}(|{names}))"
            for entry in self.directory.search(
                self.options.groups_dn, search, self.schema.read_attributes
            ):
                group = by_dn.get(normal(entry.dn))
                if group is not None:
                    self._fill(group, entry)
                    found.add(normal(entry.dn))
        for dn, group in by_dn.items():
            if dn in found:
                continue
            alone = self.directory.entry(group.dn, self.schema.read_attributes)
            if alone is not None:
                self._fill(group, alone)
            else:
                _forget(snap, group)

    def _members_of(self, group: LdapGroup) -> set[str]:
        """The group's members, read now if they were not (a group taken on its digest
        that a change is for)."""
        if group.members is None:
            entry = self.directory.entry(group.dn, self.schema.read_attributes)
            if entry is None:
                self._snapshot = None  # gone since the read: read everything again
                raise RetriableError(f"{self.where}: {group.dn!r} is gone since the read")
            self._fill(group, entry)
        assert group.members is not None
        return group.members

    def _fill(self, group: LdapGroup, entry: Entry) -> None:
        group.members = {normal(str(m)) for m in entry.values("member")}
        group.stamp = self._stamp(entry)
        group.known = None
        self._touched[id(group)] = group

    def _state(
        self, snap: Owned[LdapGroup], skipped: AbstractSet[str] = frozenset()
    ) -> TargetState:
        """The shared state, with the members of the groups in ``skipped`` counted from
        what was remembered of them, so that the guards see the whole target."""
        counted = (snap.main[key].known for key in skipped)
        return dataclasses.replace(
            super()._state(snap, skipped),
            matched_memberships=sum(k.count for k in counted if k is not None),
        )

    def _remember(self, snap: Owned[LdapGroup], *, everything: bool = False) -> None:
        """Remember the groups whose members or stamp changed (all read ones when
        ``everything``), forget what no longer is, and stage it."""
        groups = [*snap.main.values(), *(g for by in snap.companions.values() for g in by.values())]
        if everything:
            self.remembered.keep_only({self._mark(g) for g in groups})
        mine = {id(g) for g in groups}
        touched = [g for g in self._touched.values() if id(g) in mine]
        self._users_of(dn for g in touched if g.members is not None for dn in g.members)
        for group in touched:
            dn = self._mark(group)
            if group.stamp is None or (group.members is None and group.known is None):
                self.remembered.drop(dn)
                continue
            if group.members is None and group.known is not None:  # renamed: same members
                self.remembered.put(dn, dataclasses.replace(group.known, stamp=group.stamp))
                continue
            people = sorted(set(self._person_ids(group)))
            if group.marked is not None and group.marked.options is not None:
                self.remembered.put(dn, Known(group.stamp, people=tuple(people)))
            else:
                digest = digest_members(people)
                if digest is None:
                    self.remembered.drop(dn)
                else:
                    self.remembered.put(dn, Known(group.stamp, digest, len(people)))
        if everything:
            for group in groups:
                if id(group) not in self._touched and group.known is None:
                    self.remembered.drop(self._mark(group))
        self._touched.clear()
        self.remembered.save()

    def apply(self, changes: Sequence[Change]) -> list[ChangeFailure]:
        """``CompanionTarget.apply``; then what the changed groups hold is remembered."""
        failures = super().apply(changes)
        if self._snapshot is not None:
            self._remember(self._snapshot)
        return failures

    def _people(self) -> Users:
        """Every entry under ``users_dn`` with ``user_attribute``: one paged search a run."""
        if self._users is None or not self._users.complete:
            attribute = self.options.person_attribute
            users = Users(complete=True)
            for entry in self.directory.search(
                self.options.users_dn, self._user_filter(f"({attribute}=*)"), [attribute]
            ):
                for value in entry.values(attribute):
                    users.add(str(value), entry.dn)
            self._users = users
        return self._users

    def _users_of(self, dns: Iterable[str]) -> Users:
        """The users, knowing at least those among the member DNs ``dns``: each looked up
        by itself while that is cheaper than the search of every user (a run that read
        few groups), else that search."""
        users = self._users if self._users is not None else Users()
        if users.complete:
            return users
        unknown = [dn for dn in dns if dn not in users.id_of and dn not in users.looked_up]
        if users.lookups + len(unknown) > USER_LOOKUPS:
            return self._people()
        self._users = users
        attribute = self.options.person_attribute
        under = normal(self.options.users_dn)
        for dn in unknown:
            users.looked_up.add(dn)
            users.lookups += 1
            if dn != under and not dn.endswith("," + under):
                continue
            entry = self.directory.entry(
                dn, [attribute], search_filter=self._user_filter(f"({attribute}=*)")
            )
            if entry is not None:
                for value in entry.values(attribute):
                    users.add(str(value), entry.dn)
        return users

    def _user_filter(self, match: str) -> str:
        extra = self.options.user_filter
        return f"(&{match}{extra})" if extra else match

    def _member_id(self, person: str) -> str | None:
        """The DN of the person's entry: from the run's search, else looked up once (an
        entry made since then, or none of the users was read)."""
        users = self._users if self._users is not None else Users()
        if not users.complete and users.lookups >= USER_LOOKUPS:
            users = self._people()
        self._users = users
        if person in users.dn_of:
            return users.dn_of[person]
        if person in users.missing:
            return None
        attribute = self.options.person_attribute
        wanted = f"({attribute}={escape_filter_chars(person)})"
        users.lookups += 1
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
        users = self._users
        if users is not None and users.complete:
            return users.dn_of.get(person)
        return self._member_id(person)  # (a member of a group taken on its digest)

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
            # No read controls: the first member write reads the new group back instead.
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
            self._touched[id(group)] = group
            return group
        members = {self._empty} if self._empty else set()
        made = LdapGroup(
            dn=dn,
            name=name,
            marked=parse_marker(self.prefix, mark),
            members=members,
            fresh=True,
        )
        self._touched[id(made)] = made
        return made

    def _set_name(self, group: LdapGroup, name: str) -> None:
        if group.name == name:
            return
        new_rdn = self.schema.rdn(name)
        before, after = self._around(group)
        written = self.directory.rename(group.dn, new_rdn, before, after)
        group.dn = f"{new_rdn},{parent_of(group.dn)}"
        group.name = name
        self._wrote(group, written)
        follow = self.schema.renamed(name)
        if follow:
            before, after = self._around(group)
            written = self.directory.modify(
                group.dn,
                {a: [(ldap3.MODIFY_REPLACE, [v])] for a, v in follow.items()},
                before,
                after,
            )
            self._wrote(group, written)

    def _delete_group(self, group: LdapGroup) -> None:
        self.remembered.drop(self._mark(group))
        self.directory.delete(group.dn)

    # -- members -----------------------------------------------------------------------

    def _send(self, delta: Delta[LdapGroup], failures: dict[Change, str]) -> None:
        """The group's member changes in as few modify requests as the size limit allows,
        adds and deletes together; only what would change the group is sent."""
        group = delta.group
        members = self._members_of(group)
        adds = [(c, dn) for c, dn in delta.adds if normal(dn) not in members]
        removes = [(c, dn) for c, dn in delta.removes if normal(dn) in members]
        items = [("add", c, dn) for c, dn in adds] + [("delete", c, dn) for c, dn in removes]
        size = self.options.max_values_per_modify
        for start in range(0, len(items), size):
            self._send_members(group, items[start : start + size], failures)

    def _placeholder(self, group: LdapGroup, items: list[tuple[str, Change, str]]) -> str:
        """``add`` or ``delete`` of the stand-in member that keeps a ``groupOfNames`` valid,
        or "" when this request needs neither."""
        if not self._empty:
            return ""
        members = self._members_of(group)
        after = set(members)
        for op, _, dn in items:
            (after.add if op == "add" else after.discard)(normal(dn))
        real = after - {self._empty}
        if not real and self._empty not in members:
            return "add"
        if real and self._empty in members:
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
        fresh = group.fresh
        before, after = ((), FRESH_READ) if fresh else self._around(group)
        try:
            written = self.directory.modify(group.dn, {"member": operations}, before, after)
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
        members = self._members_of(group)
        for dn in added:
            members.add(normal(dn))
        for dn in deleted:
            members.discard(normal(dn))
        if fresh:
            self._wrote_fresh(group, written)
        else:
            self._wrote(group, written)

    def close(self) -> None:
        self.directory.close()
