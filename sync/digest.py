"""Digests of group member sets: how a target says "this group's members are unchanged"
without the engine reading them (``CAPABILITY_MEMBER_DIGESTS``), and the read that
uses them.

A digest depends only on the set of member ids, never on their order. A target that
offers digests keeps one per managed group, computed with ``digest_members`` from what
it actually stores, and refreshes it in the same transaction as every member change.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from hashlib import blake2b
from typing import cast

from sync.contract import CAPABILITY_MEMBER_DIGESTS, DigestTarget, Target
from sync.memberships import members_by_group
from sync.model import Membership, Memberships, Roster, TargetState

SEPARATOR = "\n"


def digest_members(people: Iterable[str]) -> str | None:
    """The digest of one group's member set.

    None when a member id is empty or holds the separator: such a group has no digest
    and is always compared member by member.
    """
    ordered = sorted(people)
    text = SEPARATOR.join(ordered)
    if text.count(SEPARATOR) != max(len(ordered) - 1, 0) or (ordered and not ordered[0]):
        return None
    return blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def member_digests(groups: Iterable[str], memberships: Iterable[Membership]) -> dict[str, str]:
    """The digest of each group in ``groups`` (an empty group has one too) from the
    memberships of those groups; groups without a digest (see ``digest_members``) are
    left out."""
    by_group = members_by_group(memberships)
    found = {key: digest_members(by_group.get(key, ())) for key in groups}
    return {key: digest for key, digest in found.items() if digest is not None}


def read_target(target: Target, desired: Roster, *, use_digests: bool = True) -> TargetState:
    """What ``target`` holds now, as the planner needs it to reach ``desired``: from a
    target with member digests, without the members of groups that already hold
    exactly the desired ones (see ``DigestTarget``). ``use_digests=False`` reads and
    compares every member (the engine does so every ``compare_all_hours``)."""
    if (
        not use_digests
        or CAPABILITY_MEMBER_DIGESTS not in target.capabilities
        or not all(hasattr(target, method) for method in ("member_digests", "read_changed"))
    ):
        return target.read()  # (a wrapper may pass on capabilities but not the methods)
    digesting = cast(DigestTarget, target)
    stored = digesting.member_digests()
    if not stored:
        return target.read()
    members = desired.members_by_group()
    matched = {
        key
        for key in stored.keys() & desired.groups.keys()
        if digest_members(members.get(key, ())) == stored[key]
    }
    return digesting.read_changed(matched)


def with_matched_members(current: TargetState, desired: Roster) -> TargetState:
    """``current`` as a whole read would have given it: the members of the groups it
    matched are the desired ones (their digests are equal), so they are filled in from
    ``desired``. A held run fingerprints this, the very state its plan was made from."""
    if not current.members_matched:
        return current
    wanted = desired.members_by_group()
    members = dict(current.roster.members_by_group())
    members.update((key, wanted.get(key, ())) for key in current.members_matched)
    roster = dataclasses.replace(current.roster, memberships=Memberships.of_groups(members))
    return dataclasses.replace(
        current, roster=roster, members_matched=frozenset(), matched_memberships=0
    )
