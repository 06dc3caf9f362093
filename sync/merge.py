"""Merging the rosters of several sources into one desired roster.

Precedence: sources are merged in the order ``[sync] sources`` lists them, and the
first source that defines a person, a group or a grant's options wins. A later
source that defines the same thing differently is reported as a conflict (a
warning). Memberships and grants are unions: any source can add them. Staff
profiles follow the people rule (first source wins, conflicts reported); blocks are
a union (any source can hide a child; the first source's reason is kept). When a
source rejected a person's record and another source supplies that person (a manual
entry correcting a bad CSV row), the merge says so.
"""

from __future__ import annotations

from collections.abc import Sequence

from sync.model import (
    AccessGrant,
    Block,
    Group,
    Issue,
    Memberships,
    Person,
    Roster,
    Severity,
    StaffProfile,
)


def merge(reads: Sequence[tuple[str, Roster]]) -> tuple[Roster, list[Issue]]:
    """One roster from ``(source name, roster)`` pairs, first source first."""
    if len(reads) == 1:
        return reads[0][1], []
    issues: list[Issue] = []
    people: dict[str, Person] = {}
    people_from: dict[str, str] = {}
    groups: dict[str, Group] = {}
    groups_from: dict[str, str] = {}
    grants: dict[tuple[str, str], AccessGrant] = {}
    grants_from: dict[tuple[str, str], str] = {}
    members: dict[str, list[str]] = {}
    profiles: dict[str, StaffProfile] = {}
    profiles_from: dict[str, str] = {}
    blocks: dict[tuple[str, str], Block] = {}
    for source, roster in reads:
        for person in roster.people.values():
            kept = people.get(person.id)
            if kept is None:
                people[person.id] = person
                people_from[person.id] = source
            elif kept != person:
                issues.append(
                    Issue(
                        Severity.WARNING,
                        f"person {person.id!r} is defined differently by "
                        f"{people_from[person.id]!r} and {source!r}; "
                        f"{people_from[person.id]!r} wins (listed first)",
                        source=source,
                        field="person",
                        value=person.id,
                    )
                )
        for group in roster.groups.values():
            kept_group = groups.get(group.key)
            if kept_group is None:
                groups[group.key] = group
                groups_from[group.key] = source
            elif kept_group != group:
                issues.append(
                    Issue(
                        Severity.WARNING,
                        f"group {group.key!r} is named {kept_group.name!r} by "
                        f"{groups_from[group.key]!r} and {group.name!r} by {source!r}; "
                        f"{groups_from[group.key]!r} wins (listed first)",
                        source=source,
                        field="group",
                        value=group.key,
                    )
                )
        for group_key, ids in roster.members_by_group().items():
            members.setdefault(group_key, []).extend(ids)
        for grant in roster.grants:
            key = (grant.group, grant.principal)
            kept_grant = grants.get(key)
            if kept_grant is None:
                grants[key] = grant
                grants_from[key] = source
            elif kept_grant.options != grant.options:
                issues.append(
                    Issue(
                        Severity.WARNING,
                        f"access of {grant.principal!r} to {grant.group!r} has different options "
                        f"in {grants_from[key]!r} and {source!r}; {grants_from[key]!r} wins",
                        source=source,
                        field="access",
                        value=grant.principal,
                    )
                )
        for profile in roster.profiles.values():
            kept_profile = profiles.get(profile.person)
            if kept_profile is None:
                profiles[profile.person] = profile
                profiles_from[profile.person] = source
            elif (kept_profile.user_group, kept_profile.permissions) != (
                profile.user_group,
                profile.permissions,
            ):
                first = profiles_from[profile.person]
                issues.append(
                    Issue(
                        Severity.WARNING,
                        f"user group of {profile.person!r} is {kept_profile.user_group!r} in "
                        f"{first!r} and {profile.user_group!r} in {source!r}; {first!r} wins "
                        "(listed first)",
                        source=source,
                        field="user_group",
                        value=profile.person,
                    )
                )
        for block in roster.blocks:
            blocks.setdefault((block.staff, block.student), block)
    issues.extend(_corrections(reads, people_from))
    merged = Roster.build(
        people.values(),
        groups.values(),
        Memberships.of_groups(members),
        grants.values(),
        profiles.values(),
        blocks.values(),
    )
    return merged, issues


def _corrections(reads: Sequence[tuple[str, Roster]], people_from: dict[str, str]) -> list[Issue]:
    """One warning per person a source rejected but another source supplied."""
    issues = []
    for source, roster in reads:
        for person in sorted(roster.rejected_people):
            supplier = people_from.get(person)
            if supplier is not None and supplier != source:
                issues.append(
                    Issue(
                        Severity.WARNING,
                        f"{source!r} rejected the record of {person!r}; the entry from "
                        f"{supplier!r} is used instead",
                        source=source,
                        field="person",
                        value=person,
                    )
                )
    return issues
