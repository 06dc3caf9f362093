"""Desired roster vs the target's current state -> a Plan of changes. Pure: no I/O.

Ownership: the plan only ever changes groups the target marks as managed by this
sync, and only revokes grants the sync made. A desired group whose key already
exists unmanaged in the target (an admin made it by hand) is left alone and reported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sync.contract import CAPABILITY_ACCESS
from sync.model import (
    APPLY_ORDER,
    AccessGrant,
    Change,
    ChangeKind,
    Issue,
    Plan,
    Roster,
    Severity,
    TargetState,
)

_ORDER = {kind: i for i, kind in enumerate(APPLY_ORDER)}


def _sort_key(change: Change) -> tuple[int, str, str]:
    return (_ORDER[change.kind], change.group, change.person)


def make_plan(
    desired: Roster, current: TargetState, *, capabilities: Iterable[str] = (CAPABILITY_ACCESS,)
) -> Plan:
    """The changes that make ``current`` hold exactly ``desired`` within what the sync owns."""
    now = current.roster
    carries_access = CAPABILITY_ACCESS in set(capabilities)
    changes: list[Change] = []
    issues: list[Issue] = []
    untouchable: set[str] = set()

    def name_of(key: str) -> str:
        group = desired.groups.get(key) or now.groups.get(key)
        return group.name if group else key

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

    wanted_members = (
        {m for m in desired.memberships if m.group not in untouchable}
        if untouchable
        else desired.memberships
    )
    held_members = (
        now.memberships
        if current.managed.issuperset(now.groups)
        else {m for m in now.memberships if m.group in current.managed}
    )
    for m in wanted_members - held_members:
        changes.append(
            Change(ChangeKind.ADD_MEMBER, m.group, name=name_of(m.group), person=m.person)
        )
    for m in held_members - wanted_members:
        changes.append(
            Change(ChangeKind.REMOVE_MEMBER, m.group, name=name_of(m.group), person=m.person)
        )

    if carries_access:
        changes.extend(_grant_changes(desired, current, untouchable, name_of))
    elif desired.grants:
        issues.append(
            Issue(
                Severity.WARNING,
                f"this target does not carry access rights; {len(desired.grants)} access "
                "grants from the sources are not applied",
                field="access",
            )
        )

    changes.sort(key=_sort_key)
    managed_counts = {
        "groups": len(current.managed),
        "memberships": len(held_members),
        "grants": len(current.managed_grants),
    }
    return Plan(changes=tuple(changes), issues=tuple(issues), managed_counts=managed_counts)


def _grant_changes(
    desired: Roster, current: TargetState, untouchable: set[str], name_of: Callable[[str], str]
) -> list[Change]:
    now = current.roster
    wanted = {(g.group, g.principal): g for g in desired.grants if g.group not in untouchable}
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
    """How many groups, memberships and grants the plan would remove (for the guards)."""
    counts = plan.counts()
    return {
        "groups": counts[ChangeKind.DELETE_GROUP.value],
        "memberships": counts[ChangeKind.REMOVE_MEMBER.value],
        "grants": counts[ChangeKind.REVOKE_ACCESS.value],
    }
