"""Desired roster vs the target's current state -> a Plan of changes. Pure: no I/O.

Ownership: the plan only ever changes groups the target marks as managed by this
sync, and only revokes grants the sync made. A desired group whose key already
exists unmanaged in the target (an admin made it by hand) is left alone and reported.
Profiles and blocks follow the same rule: only those the sync set are ever cleared.

Blocked children fail closed: a target that cannot hide one child inside a group
(no ``CAPABILITY_HIDE_MEMBERS``) is never granted a blocked staff member's access to
a group holding that child; the grant is withheld (revoked if the sync made it) and
reported, naming staff, child and group.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from itertools import repeat

from sync.contract import CAPABILITY_ACCESS, CAPABILITY_HIDE_MEMBERS, CAPABILITY_PROFILES
from sync.model import (
    APPLY_ORDER,
    AccessGrant,
    Block,
    Change,
    ChangeKind,
    Issue,
    Plan,
    Roster,
    Severity,
    TargetState,
    changes_of_fields,
)

_ORDER = {kind: i for i, kind in enumerate(APPLY_ORDER)}
_NO_OPTIONS: frozenset[str] = frozenset()


def _sort_key(change: Change) -> tuple[int, str, str, str]:
    return (_ORDER[change.kind], change.group, change.person, change.student)


def make_plan(
    desired: Roster, current: TargetState, *, capabilities: Iterable[str] = (CAPABILITY_ACCESS,)
) -> Plan:
    """The changes that make ``current`` hold exactly ``desired`` within what the sync owns."""
    now = current.roster
    caps = set(capabilities)
    carries_access = CAPABILITY_ACCESS in caps
    changes: list[Change] = []
    issues: list[Issue] = []
    untouchable: set[str] = set()

    names = {key: group.name for key, group in now.groups.items()}
    names.update((key, group.name) for key, group in desired.groups.items())

    def name_of(key: str) -> str:
        return names.get(key, key)

    for key, group in desired.groups.items():
        existing = now.groups.get(key)
        if existing is None:
            changes.append(Change(ChangeKind.CREATE_GROUP, key, name=group.name))
        elif key not in current.managed:
            untouchable.add(key)
            issues.append(
                Issue(
                    Severity.WARNING,
                    f"group {group.name!r} already exists in the target and was not created "
                    "by rostersync; it is left as it is",
                    field="group",
                    value=key,
                )
            )
        elif existing.name != group.name:
            changes.append(Change(ChangeKind.RENAME_GROUP, key, name=group.name))

    gone = [key for key in current.managed if key in now.groups and key not in desired.groups]
    for key in gone:
        changes.append(Change(ChangeKind.DELETE_GROUP, key, name=name_of(key)))

    # Groups whose members the target did not read (their digest matched) hold exactly
    # the desired members: both sides leave them out.
    skipped = untouchable | current.members_matched if current.members_matched else untouchable
    additions, removals, held_count = _member_diff(desired, current, skipped)
    member_changes = {
        ChangeKind.ADD_MEMBER: _member_changes(ChangeKind.ADD_MEMBER, additions, names),
        ChangeKind.REMOVE_MEMBER: _member_changes(ChangeKind.REMOVE_MEMBER, removals, names),
    }

    grants = desired.grants
    if carries_access and desired.blocks and CAPABILITY_HIDE_MEMBERS not in caps:
        grants, withheld = _withhold_blocked(desired, current, name_of)
        issues.extend(withheld)
    if carries_access:
        changes.extend(_grant_changes(grants, current, untouchable, name_of))
    elif desired.grants:
        issues.append(
            Issue(
                Severity.WARNING,
                f"this target does not carry access rights; {len(desired.grants)} access "
                "grants from the sources are not applied",
                field="access",
            )
        )

    if CAPABILITY_PROFILES in caps:
        changes.extend(_profile_changes(desired, current, issues))
    elif desired.profiles:
        issues.append(
            Issue(
                Severity.WARNING,
                f"this target does not carry staff user groups and permissions; "
                f"{len(desired.profiles)} staff profiles from the sources are not applied",
                field="profiles",
            )
        )
    if CAPABILITY_HIDE_MEMBERS in caps:
        changes.extend(_block_changes(desired, current))

    changes.sort(key=_sort_key)
    ordered = _in_apply_order(changes, member_changes)
    managed_counts = {
        "groups": len(current.managed),
        "memberships": held_count + current.matched_memberships,
        "grants": len(current.managed_grants),
        "profiles": len(current.managed_profiles),
        "blocks": len(current.managed_blocks),
    }
    return Plan(changes=tuple(ordered), issues=tuple(issues), managed_counts=managed_counts)


def _member_diff(
    desired: Roster, current: TargetState, skipped: Set[str]
) -> tuple[dict[str, list[str]], dict[str, list[str]], int]:
    """Each group's members to add and to remove, and how many members the sync's groups
    hold now. Compared group by group, from both rosters' index by group: a group whose
    members are equal costs two small sets, and no membership tuples.

    The sync's groups are those it manages and those it is about to create: member rows
    left under a key that has no group yet become the new group's members, so those not
    wanted are removed in the same run.
    """
    wanted = desired.members_by_group()
    held = current.roster.members_by_group()
    managed = current.managed
    creating = desired.groups.keys() - current.roster.groups.keys()
    additions: dict[str, list[str]] = {}
    removals: dict[str, list[str]] = {}
    held_count = 0
    for key, people in held.items():
        if key in skipped or (key not in managed and key not in creating):
            continue  # (a matched group's members are counted by the target apart)
        held_count += len(people)
        gone = _outside(people, wanted.get(key, ()))
        if gone:
            removals[key] = gone
    for key, people in wanted.items():
        if key in skipped:
            continue
        new = _outside(people, held.get(key, ()) if key in managed or key in creating else ())
        if new:
            additions[key] = new
    return additions, removals, held_count


def _outside(people: Sequence[str], others: Sequence[str]) -> list[str]:
    """The ids in ``people`` that are not in ``others``, in order."""
    if not others:
        return list(people)
    outside = set(people).difference(others)
    return [person for person in people if person in outside] if outside else []


def _member_changes(
    kind: ChangeKind, by_group: dict[str, list[str]], names: Mapping[str, str]
) -> list[Change]:
    """Member changes sorted by group, then person: the bulk of a first sync's plan.

    Sorting each group's small list is several times faster than sorting hundreds of
    thousands of tuples, and each change is made by ``changes_of_fields`` (``tuple.__new__``),
    without a Python call per change.
    """
    changes: list[Change] = []
    for group in sorted(by_group):
        people = by_group[group]
        people.sort()
        fields = zip(
            repeat(kind),
            repeat(group),
            repeat(names.get(group, group)),
            people,
            repeat(_NO_OPTIONS),
            repeat(""),
            repeat(""),
        )
        changes.extend(changes_of_fields(fields))
    return changes


def _in_apply_order(
    changes: list[Change], presorted: dict[ChangeKind, list[Change]]
) -> list[Change]:
    """``changes`` (sorted by kind) with each presorted list spliced in at its kind."""
    by_kind: dict[ChangeKind, list[Change]] = {kind: [] for kind in APPLY_ORDER}
    for change in changes:
        by_kind[change.kind].append(change)
    by_kind.update(presorted)
    return [change for kind in APPLY_ORDER for change in by_kind[kind]]


def _withhold_blocked(
    desired: Roster, current: TargetState, name_of: Callable[[str], str]
) -> tuple[frozenset[AccessGrant], list[Issue]]:
    """The desired grants minus those that would show a blocked child (fail closed).

    A group counts as holding the child if it does now or will after the plan, so the
    child is hidden at every moment of the apply too.
    """
    blocked: dict[str, dict[str, Block]] = {}
    for block in desired.blocks:
        blocked.setdefault(block.staff, {})[block.student] = block
    members: dict[str, set[str]] = {}
    for m in desired.memberships | current.roster.memberships:
        members.setdefault(m.group, set()).add(m.person)

    def hidden(grant: AccessGrant) -> list[Block]:
        mine = blocked.get(grant.principal)
        if not mine:
            return []
        return [mine[s] for s in sorted(members.get(grant.group, set()) & mine.keys())]

    issues: list[Issue] = []
    kept = []
    for grant in sorted(desired.grants):
        found = hidden(grant)
        if not found:
            kept.append(grant)
            continue
        for block in found:
            issues.append(
                Issue(
                    Severity.ERROR,
                    f"access of {grant.principal!r} to group {name_of(grant.group)!r} withheld: "
                    f"child {block.student!r} in that group is blocked from them"
                    + (f" ({block.reason})" if block.reason else "")
                    + " and this target cannot hide one child inside a group",
                    field="access",
                    value=grant.principal,
                )
            )
    for grant in sorted(current.roster.grants):
        if current.is_managed_grant(grant):
            continue  # a managed grant not kept is revoked by _grant_changes
        for block in hidden(grant):
            issues.append(
                Issue(
                    Severity.ERROR,
                    f"{grant.principal!r} can see blocked child {block.student!r} through "
                    f"group {name_of(grant.group)!r}, whose access was not given by rostersync; "
                    "remove that access in the target by hand",
                    field="access",
                    value=grant.principal,
                )
            )
    return frozenset(kept), issues


def _profile_changes(desired: Roster, current: TargetState, issues: list[Issue]) -> list[Change]:
    held = current.roster.profiles
    changes = []
    for person, profile in sorted(desired.profiles.items()):
        existing = held.get(person)
        if existing == profile:
            continue
        if existing is not None and person not in current.managed_profiles:
            issues.append(
                Issue(
                    Severity.WARNING,
                    f"the user group of {person!r} was set in the target by hand "
                    f"({existing.user_group!r}); it is left as it is",
                    field="user_group",
                    value=person,
                )
            )
            continue
        changes.append(
            Change(
                ChangeKind.SET_PROFILE,
                "",
                name=profile.user_group,
                person=person,
                options=profile.permissions,
                reason=profile.reason,
            )
        )
    for person in sorted(held):
        if person not in desired.profiles and person in current.managed_profiles:
            changes.append(Change(ChangeKind.CLEAR_PROFILE, "", person=person))
    return changes


def _block_changes(desired: Roster, current: TargetState) -> list[Change]:
    held = {(b.staff, b.student): b for b in current.roster.blocks}
    wanted = {(b.staff, b.student): b for b in desired.blocks}
    changes = []
    for key, block in sorted(wanted.items()):
        existing = held.get(key)
        if existing is None or (key in current.managed_blocks and existing.reason != block.reason):
            changes.append(
                Change(
                    ChangeKind.ADD_BLOCK,
                    "",
                    person=block.staff,
                    student=block.student,
                    reason=block.reason,
                )
            )
    for key in sorted(held):
        if key not in wanted and key in current.managed_blocks:
            changes.append(Change(ChangeKind.REMOVE_BLOCK, "", person=key[0], student=key[1]))
    return changes


def _grant_changes(
    grants: Iterable[AccessGrant],
    current: TargetState,
    untouchable: set[str],
    name_of: Callable[[str], str],
) -> list[Change]:
    now = current.roster
    wanted = {(g.group, g.principal): g for g in grants if g.group not in untouchable}
    held = {(g.group, g.principal): g for g in now.grants}
    changes = []
    for key, grant in wanted.items():
        existing = held.get(key)
        if existing is None:
            changes.append(_grant(ChangeKind.GRANT_ACCESS, grant, name_of(grant.group)))
        elif current.is_managed_grant(existing) and existing.options != grant.options:
            changes.append(_grant(ChangeKind.UPDATE_ACCESS, grant, name_of(grant.group)))
    for key, grant in held.items():
        if key not in wanted and current.is_managed_grant(grant):
            changes.append(_grant(ChangeKind.REVOKE_ACCESS, grant, name_of(grant.group)))
    return changes


def _grant(kind: ChangeKind, grant: AccessGrant, name: str) -> Change:
    return Change(kind, grant.group, name=name, person=grant.principal, options=grant.options)


def removal_counts(plan: Plan) -> dict[str, int]:
    """How many groups, memberships, grants, profiles and blocks the plan would remove (for
    the guards)."""
    counts = plan.counts()
    return {
        "groups": counts[ChangeKind.DELETE_GROUP.value],
        "memberships": counts[ChangeKind.REMOVE_MEMBER.value],
        "grants": counts[ChangeKind.REVOKE_ACCESS.value],
        "profiles": counts[ChangeKind.CLEAR_PROFILE.value],
        "blocks": counts[ChangeKind.REMOVE_BLOCK.value],
    }
