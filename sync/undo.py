"""Undo: the inverse of exactly the changes a run applied, minus what changed since.

Pure functions, no I/O. Most changes carry their own inverse (an added member is
removed, a created group deleted, a revoked grant granted again with the options it
had). Renames, access updates, staff profiles and lifted blocks need the value before
the run; ``previous_values`` takes them from the target state the run planned from, and
the run record keeps them. An undo is applied by the engine as a run of its own, so it
is recorded, guarded and undoable (undoing an undo redoes).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sync.model import APPLY_ORDER, Change, ChangeKind, Issue, Severity, TargetState

K = ChangeKind
#: Changes whose inverse needs the value before the run.
VALUED = frozenset(
    {K.RENAME_GROUP, K.UPDATE_ACCESS, K.SET_PROFILE, K.CLEAR_PROFILE, K.REMOVE_BLOCK}
)
_SIMPLE = {
    K.CREATE_GROUP: K.DELETE_GROUP,
    K.DELETE_GROUP: K.CREATE_GROUP,
    K.ADD_MEMBER: K.REMOVE_MEMBER,
    K.REMOVE_MEMBER: K.ADD_MEMBER,
    K.GRANT_ACCESS: K.REVOKE_ACCESS,
    K.REVOKE_ACCESS: K.GRANT_ACCESS,
    K.ADD_BLOCK: K.REMOVE_BLOCK,
}
_ORDER = {kind: i for i, kind in enumerate(APPLY_ORDER)}


class CannotUndo(Exception):
    """The run cannot be undone at all (nothing applied, or its record lacks values)."""


def _slot(change: Change) -> tuple[str, ...]:
    """What a change is about: one group's name, one grant, one profile, one block."""
    kind = change.kind
    if kind is K.RENAME_GROUP:
        return ("group", change.group)
    if kind is K.UPDATE_ACCESS:
        return ("grant", change.group, change.person)
    if kind in (K.SET_PROFILE, K.CLEAR_PROFILE):
        return ("profile", change.person)
    return ("block", change.person, change.student)


def previous_values(applied: Iterable[Change], before: TargetState) -> list[Change]:
    """For each applied change in ``VALUED``, the change that restores the value before."""
    valued = [change for change in applied if change.kind in VALUED]
    if not valued:
        return []
    roster = before.roster
    grants = {(g.group, g.principal): g for g in roster.grants}
    reasons = {(b.staff, b.student): b.reason for b in roster.blocks}
    values = []
    for change in valued:
        kind = change.kind
        if kind is K.RENAME_GROUP:
            group = roster.groups.get(change.group)
            values.append(Change(K.RENAME_GROUP, change.group, name=group.name if group else ""))
        elif kind is K.UPDATE_ACCESS:
            grant = grants.get((change.group, change.person))
            options = grant.options if grant else frozenset()
            values.append(
                Change(K.UPDATE_ACCESS, change.group, person=change.person, options=options)
            )
        elif kind in (K.SET_PROFILE, K.CLEAR_PROFILE):
            profile = roster.profiles.get(change.person)
            values.append(
                Change(K.CLEAR_PROFILE, "", person=change.person)
                if profile is None
                else Change(
                    K.SET_PROFILE,
                    "",
                    name=profile.user_group,
                    person=change.person,
                    options=profile.permissions,
                    reason=profile.reason,
                )
            )
        elif kind is K.REMOVE_BLOCK:
            reason = reasons.get((change.person, change.student), "")
            values.append(
                Change(K.ADD_BLOCK, "", person=change.person, student=change.student, reason=reason)
            )
    return values


def inverse(change: Change, values: Mapping[tuple[str, ...], Change]) -> Change:
    """The change that takes ``change`` back."""
    if change.kind in VALUED:
        return values[_slot(change)]
    return change._replace(kind=_SIMPLE[change.kind], reason="")


class _Now:
    """The target as it is now, indexed for the questions undo asks of it."""

    def __init__(self, state: TargetState, restored_groups: set[str]) -> None:
        self.state = state
        self.restored = restored_groups
        roster = state.roster
        self.grants = {(g.group, g.principal): g for g in roster.grants}
        self.blocks = {(b.staff, b.student) for b in roster.blocks}
        self._members: dict[str, set[str]] = {}

    def members(self, group: str) -> set[str]:
        if group not in self._members:
            self._members[group] = set(self.state.roster.members_by_group().get(group, ()))
        return self._members[group]

    def exists(self, group: str) -> bool:
        return group in self.state.roster.groups or group in self.restored

    def in_effect(self, change: Change) -> bool:
        """Whether what ``change`` did is still so in the target."""
        state = self.state
        kind, key, person = change.kind, change.group, change.person
        group = state.roster.groups.get(key)
        if kind in (K.CREATE_GROUP, K.RENAME_GROUP):
            return key in state.managed and group is not None and group.name == change.name
        if kind is K.DELETE_GROUP:
            return group is None
        if kind is K.ADD_MEMBER:
            return person in self.members(key)
        if kind is K.REMOVE_MEMBER:
            return self.exists(key) and person not in self.members(key)
        grant = self.grants.get((key, person))
        if kind in (K.GRANT_ACCESS, K.UPDATE_ACCESS):
            return (
                grant is not None
                and state.is_managed_grant(grant)
                and grant.options == change.options
            )
        if kind is K.REVOKE_ACCESS:
            return grant is None and self.exists(key)
        profile = state.roster.profiles.get(person)
        if kind is K.SET_PROFILE:
            return (
                person in state.managed_profiles
                and profile is not None
                and (profile.user_group, profile.permissions) == (change.name, change.options)
            )
        if kind is K.CLEAR_PROFILE:
            return profile is None
        if kind is K.ADD_BLOCK:
            return (person, change.student) in state.managed_blocks
        return (person, change.student) not in self.blocks  # REMOVE_BLOCK


@dataclass(frozen=True)
class UndoPlan:
    """The changes that undo a run, in apply order, and what was skipped (as issues)."""

    changes: tuple[Change, ...]
    skipped: tuple[Issue, ...]


def undo_plan(
    run_id: int, applied: Sequence[Change], values: Sequence[Change] | None, now: TargetState
) -> UndoPlan:
    """Undo ``applied`` (run ``run_id``'s changes) where the target ``now`` still shows
    them; ``values`` as ``previous_values`` gave them when the run was recorded."""
    if not applied:
        raise CannotUndo(f"run {run_id} applied no changes; there is nothing to undo")
    if values is None and any(c.kind in VALUED for c in applied):
        raise CannotUndo(
            f"run {run_id} was recorded before rostersync kept the previous values undo "
            "needs (names, access options, profiles, block reasons); it cannot be undone"
        )
    by_slot = {_slot(v): v for v in values or ()}
    deleted = {c.group for c in applied if c.kind is K.DELETE_GROUP}
    target = _Now(now, {key for key in deleted if key not in now.roster.groups})
    changes: list[Change] = []
    skipped: list[Issue] = []
    for change in applied:
        if target.in_effect(change):
            changes.append(inverse(change, by_slot))
        else:
            skipped.append(
                Issue(
                    Severity.WARNING,
                    f"not undone, it changed since run {run_id}: {change.describe()}",
                    field="undo",
                    value=change.kind.value,
                )
            )
    changes.sort(key=lambda c: _ORDER[c.kind])
    return UndoPlan(tuple(changes), tuple(skipped))
