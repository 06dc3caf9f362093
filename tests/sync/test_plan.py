"""The planner's member changes, against the set arithmetic they must equal."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from sync.model import ChangeKind, Group, Membership, Roster, TargetState
from sync.plan import make_plan

keys = st.sampled_from(["7A", "7B", "8C", "9D"])
people = st.sampled_from(["ron", "harry", "hermione", "neville", "luna"])
memberships = st.frozensets(st.builds(Membership, keys, people), max_size=16)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Roster, TargetState, frozenset[str]]:
    """A desired roster, a whole read of the target, and the groups a digest read
    would have matched (managed groups already holding exactly the desired members)."""
    desired_groups = draw(st.frozensets(keys))
    wanted = frozenset(m for m in draw(memberships) if m.group in desired_groups)
    desired = Roster.build(groups=[Group(k, k) for k in desired_groups], memberships=wanted)
    target_groups = draw(st.frozensets(keys))
    managed = draw(st.frozensets(keys)) & target_groups
    # Member rows may also sit under a key with no group yet (left there by hand).
    held = draw(memberships)
    current = TargetState(
        roster=Roster.build(groups=[Group(k, k) for k in target_groups], memberships=held),
        managed=managed,
    )
    matched = frozenset(
        key
        for key in managed & desired_groups
        if {m for m in wanted if m.group == key} == {m for m in held if m.group == key}
    )
    return desired, current, matched


def member_changes(plan_changes: tuple, kind: ChangeKind) -> list[tuple[str, str]]:
    return [(c.group, c.person) for c in plan_changes if c.kind is kind]


@given(scenarios(), st.booleans())
def test_member_changes_are_the_set_differences_within_what_the_sync_owns(
    scenario: tuple[Roster, TargetState, frozenset[str]], digest_read: bool
) -> None:
    desired, current, matched = scenario
    untouchable = {key for key in desired.groups if key in current.roster.groups} - current.managed
    creating = desired.groups.keys() - current.roster.groups.keys()
    wanted = {m for m in desired.memberships if m.group not in untouchable}
    ours = current.managed | creating
    held = {m for m in current.roster.memberships if m.group in ours}
    if digest_read:  # as DigestTarget.read_changed gives it: matched groups' members left out
        kept = frozenset(m for m in current.roster.memberships if m.group not in matched)
        current = dataclasses.replace(
            current,
            roster=dataclasses.replace(current.roster, memberships=kept),
            members_matched=matched,
            matched_memberships=len(current.roster.memberships) - len(kept),
        )
    plan = make_plan(desired, current)
    adds = member_changes(plan.changes, ChangeKind.ADD_MEMBER)
    removes = member_changes(plan.changes, ChangeKind.REMOVE_MEMBER)
    assert set(adds) == {(m.group, m.person) for m in wanted - held}
    assert set(removes) == {(m.group, m.person) for m in held - wanted}
    assert adds == sorted(adds) and removes == sorted(removes)
    assert len(adds) == len(set(adds)) and len(removes) == len(set(removes))
    assert plan.managed_counts["memberships"] == len(held)
