"""Access rights as companion groups, shared by the far-side targets that keep them that way
(``scim``, ``ldap``): a group's access list is an owned group "<name> - staff", one per set
of access options, marked as the companion of the group's key.

A marker is ``<prefix><key>`` for a group and ``<prefix><key>#access[:opt,opt]`` for its
companions; the prefix (``rostersync:<sync>:`` by default) says which sync owns them.

``CompanionTarget`` is what such a target does with the plan: reading the owned groups
into a ``TargetState``, refusing changes to groups it does not own, routing member and
access changes to the right groups, one delta per group per batch. A target supplies the
far side's primitives (load, create, rename, delete, look a user up, send a delta).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from sync.api import (
    APPLY_ORDER,
    AccessGrant,
    Change,
    ChangeFailure,
    ChangeKind,
    Group,
    Membership,
    RetriableError,
    Roster,
    TargetState,
)

log = logging.getLogger(__name__)

#: What follows a group's key in the marker of its companion (access) groups.
ACCESS_MARK = "#access"

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


def default_prefix(sync: str) -> str:
    return f"rostersync:{sync}:"


@dataclass(frozen=True)
class Marked:
    """What a marker says: the group's key and, for a companion, its access options."""

    key: str
    options: frozenset[str] | None = None  # None: the group itself, not a companion


def marker(prefix: str, key: str, options: frozenset[str] | None = None) -> str:
    """The marker of group ``key`` (``options=None``) or of its companion for ``options``."""
    if options is None:
        return prefix + key
    tail = ":" + ",".join(sorted(options)) if options else ""
    return f"{prefix}{key}{ACCESS_MARK}{tail}"


def parse_marker(prefix: str, text: str) -> Marked | None:
    """What ``text`` marks, or None when it is not a marker of this prefix."""
    if not text.startswith(prefix):
        return None
    rest = text[len(prefix) :]
    key, mark, tail = rest.rpartition(ACCESS_MARK)
    if mark and key and (tail == "" or tail.startswith(":")):
        return Marked(key, frozenset(o for o in tail[1:].split(",") if o))
    return Marked(rest) if rest else None


def companion_name(name: str, suffix: str, options: frozenset[str]) -> str:
    """The name of a group's companion for ``options``: "Potions - staff (basic)"."""
    extra = f" ({', '.join(sorted(options))})" if options else ""
    return f"{name}{suffix}{extra}"


class FarGroup(Protocol):
    """A group as a target read it: what people see it as."""

    @property
    def name(self) -> str: ...


G = TypeVar("G", bound=FarGroup)


@dataclass
class Owned(Generic[G]):
    """The groups a read found: owned ones by key, their companions, and the others."""

    main: dict[str, G] = field(default_factory=dict)  # key -> owned group
    companions: dict[str, dict[frozenset[str], G]] = field(default_factory=dict)
    unowned: list[G] = field(default_factory=list)

    def classify(self, group: G, marked: Marked | None, *, access: bool, where: str) -> None:
        """File ``group`` by its marker; ``where`` names it in a warning."""
        if marked is None:
            self.unowned.append(group)
        elif marked.options is not None:
            if access:
                self.companions.setdefault(marked.key, {}).setdefault(marked.options, group)
        elif marked.key in self.main:
            log.warning("two groups are marked as %r; using the first, not %s", marked.key, where)
        else:
            self.main[marked.key] = group


@dataclass
class Delta(Generic[G]):
    """Member changes for one group, each member id tied to the change that asked for it."""

    group: G
    adds: list[tuple[Change, str]] = field(default_factory=list)
    removes: list[tuple[Change, str]] = field(default_factory=list)


class CompanionTarget(Generic[G]):
    """Plans applied to a far side that keeps groups, members and companion groups.

    Subclasses set ``prefix``, ``companion_suffix`` and ``refusal`` (the exception type
    of a change refused for good), and implement the primitives below.
    """

    prefix: str
    companion_suffix: str
    refusal: type[Exception]
    _snapshot: Owned[G] | None = None

    # -- the far side's primitives -------------------------------------------------------

    def _load(self) -> Owned[G]:
        """Read every group; keep what was read as ``self._snapshot``."""
        raise NotImplementedError

    def _person_ids(self, group: G) -> Iterable[str]:
        """The person ids of a group's members (those that are users)."""
        raise NotImplementedError

    def _ensure_group(self, name: str, mark: str) -> G:
        """This marker's group: made, or adopted when it exists. Raises ``refusal``."""
        raise NotImplementedError

    def _set_name(self, group: G, name: str) -> None:
        """Rename a group (nothing when it has the name). Raises ``refusal``."""
        raise NotImplementedError

    def _delete_group(self, group: G) -> None:
        """Delete a group; one already gone is deleted. Raises ``refusal``."""
        raise NotImplementedError

    def _member_id(self, person: str) -> str | None:
        """The far side's id of a person to add, None when there is none. May raise
        ``refusal`` (a user it could not create)."""
        raise NotImplementedError

    def _known_member_id(self, person: str) -> str | None:
        """The far side's id of a person to remove, from the read (no request)."""
        raise NotImplementedError

    def _send(self, delta: Delta[G], failures: dict[Change, str]) -> None:
        """Send one group's member changes, recording refused ones in ``failures``."""
        raise NotImplementedError

    def _refused(self, what: str, exc: Exception) -> str:
        """The reason recorded for a change the far side refused to ``what``."""
        raise NotImplementedError

    def _not_owned(self, change: Change) -> str:
        raise NotImplementedError

    def _no_user(self, person: str) -> str:
        raise NotImplementedError

    # -- reading -----------------------------------------------------------------------

    def read(self) -> TargetState:
        return self._state(self._load())

    def _state(self, snap: Owned[G], skipped: AbstractSet[str] = frozenset()) -> TargetState:
        """The state ``snap`` holds; the members of the owned groups in ``skipped`` are left
        out and the groups named in ``members_matched`` (a target with member digests
        skips the groups whose digest the engine found equal)."""
        groups = [Group(key, g.name or key) for key, g in snap.main.items()]
        by_group = {
            key: sorted(set(self._person_ids(g)))
            for key, g in snap.main.items()
            if key not in skipped
        }
        for g in snap.unowned:
            # An unowned group is known by its name, which is what a source's group key
            # usually is: a same-name group is then reported as a clash.
            if g.name and g.name not in by_group and g.name not in snap.main:
                groups.append(Group(g.name, g.name))
                by_group[g.name] = sorted(set(self._person_ids(g)))
        grants = [
            AccessGrant(key, person, options)
            for key, by_options in snap.companions.items()
            for options, g in by_options.items()
            for person in set(self._person_ids(g))
        ]
        memberships = [Membership(key, p) for key, people in by_group.items() for p in people]
        return TargetState(
            roster=Roster.build(groups=groups, memberships=memberships, grants=grants),
            managed=frozenset(snap.main),
            managed_grants=frozenset((g.group, g.principal) for g in grants),
            members_matched=frozenset(skipped),
        )

    # -- applying ----------------------------------------------------------------------

    def apply(self, changes: Sequence[Change]) -> list[ChangeFailure]:
        snap = self._snapshot or self._load()
        failures: dict[Change, str] = {}
        by_kind: dict[ChangeKind, list[Change]] = {}
        for change in changes:
            by_kind.setdefault(change.kind, []).append(change)
        # Member changes of every kind go at once, so that each group gets one delta with
        # its adds and removes together (the engine's batches hold one kind each).
        members = [c for kind in APPLY_ORDER if kind in MEMBER_KINDS for c in by_kind.pop(kind, ())]
        try:
            for kind in APPLY_ORDER:
                if kind in MEMBER_KINDS and members:
                    self._apply_kind(snap, kind, members, failures)
                    members = []
                elif kind in by_kind:
                    self._apply_kind(snap, kind, by_kind[kind], failures)
        except RetriableError:
            self._snapshot = None  # what reached the far side is unknown: read it again
            raise
        return [ChangeFailure(change, reason) for change, reason in failures.items()]

    def _apply_kind(
        self, snap: Owned[G], kind: ChangeKind, batch: list[Change], failures: dict[Change, str]
    ) -> None:
        if kind is ChangeKind.CREATE_GROUP:
            for change in batch:
                self._create(snap, change, failures)
            return
        owned = [c for c in batch if self._owns(snap, c)]
        mine = set(owned)
        for change in batch:
            if change not in mine:
                failures[change] = self._not_owned(change)
        if kind is ChangeKind.RENAME_GROUP:
            for change in owned:
                self._rename(snap, change, failures)
        elif kind is ChangeKind.DELETE_GROUP:
            for change in owned:
                self._delete(snap, change, failures)
        elif kind in MEMBER_KINDS:
            deltas: dict[int, Delta[G]] = {}
            for change in owned:
                self._plan_members(snap, change, deltas, failures)
            for delta in deltas.values():
                self._send(delta, failures)
        else:  # a kind added to the engine later, never planned for this target
            for change in owned:
                failures[change] = f"this target does not support {kind.value} changes"

    def _owns(self, snap: Owned[G], change: Change) -> bool:
        if change.group in snap.main:
            return True
        return change.kind is ChangeKind.REVOKE_ACCESS and change.group in snap.companions

    def _create(self, snap: Owned[G], change: Change, failures: dict[Change, str]) -> None:
        try:
            existing = snap.main.get(change.group)
            if existing is None:
                existing = self._ensure_group(change.name, marker(self.prefix, change.group))
                snap.main[change.group] = existing
            self._set_name(existing, change.name)
        except self.refusal as exc:
            failures[change] = self._refused(f"create group {change.name!r}", exc)

    def _rename(self, snap: Owned[G], change: Change, failures: dict[Change, str]) -> None:
        try:
            self._set_name(snap.main[change.group], change.name)
            for options, companion in snap.companions.get(change.group, {}).items():
                self._set_name(
                    companion, companion_name(change.name, self.companion_suffix, options)
                )
        except self.refusal as exc:
            failures[change] = self._refused(f"rename group to {change.name!r}", exc)

    def _delete(self, snap: Owned[G], change: Change, failures: dict[Change, str]) -> None:
        doomed = [*snap.companions.get(change.group, {}).values(), snap.main[change.group]]
        try:
            for group in doomed:
                self._delete_group(group)
        except self.refusal as exc:
            failures[change] = self._refused(f"delete group {change.name or change.group!r}", exc)
            return
        snap.main.pop(change.group, None)
        snap.companions.pop(change.group, None)

    def _companion(self, snap: Owned[G], change: Change, failures: dict[Change, str]) -> G | None:
        by_options = snap.companions.setdefault(change.group, {})
        found = by_options.get(change.options)
        if found is not None:
            return found
        main = snap.main[change.group]
        name = companion_name(main.name or change.name, self.companion_suffix, change.options)
        try:
            made = self._ensure_group(name, marker(self.prefix, change.group, change.options))
        except self.refusal as exc:
            failures[change] = self._refused(f"create access group {name!r}", exc)
            return None
        by_options[change.options] = made
        return made

    def _plan_members(
        self,
        snap: Owned[G],
        change: Change,
        deltas: dict[int, Delta[G]],
        failures: dict[Change, str],
    ) -> None:
        def delta(group: G) -> Delta[G]:
            return deltas.setdefault(id(group), Delta(group))

        kind = change.kind
        if kind in (ChangeKind.REMOVE_MEMBER, ChangeKind.REVOKE_ACCESS):
            uid = self._known_member_id(change.person)
            if uid is None:
                return  # not a user there, so not a member either: nothing to remove
            if kind is ChangeKind.REMOVE_MEMBER:
                delta(snap.main[change.group]).removes.append((change, uid))
            else:
                for group in snap.companions.get(change.group, {}).values():
                    delta(group).removes.append((change, uid))
            return
        try:
            found = self._member_id(change.person)
        except self.refusal as exc:
            failures[change] = self._refused(f"create user {change.person!r}", exc)
            return
        if found is None:
            failures[change] = self._no_user(change.person)
            return
        if kind is ChangeKind.ADD_MEMBER:
            delta(snap.main[change.group]).adds.append((change, found))
            return
        target = self._companion(snap, change, failures)
        if target is None:
            return
        delta(target).adds.append((change, found))
        if kind is ChangeKind.UPDATE_ACCESS:
            for options, group in snap.companions.get(change.group, {}).items():
                if options != change.options:
                    delta(group).removes.append((change, found))
