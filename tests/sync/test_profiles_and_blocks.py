"""Planning staff profiles and blocked children; the fail-closed rule on a target that
cannot hide one child inside a group (``MemoryTarget`` has no ``hide_members``)."""

from __future__ import annotations

from sync.contract import CAPABILITY_ACCESS, CAPABILITY_HIDE_MEMBERS, CAPABILITY_PROFILES
from sync.merge import merge
from sync.model import (
    APPLY_ORDER,
    AccessGrant,
    Block,
    Change,
    ChangeKind,
    Group,
    Membership,
    Person,
    Role,
    Roster,
    Severity,
    StaffProfile,
    TargetState,
)
from sync.plan import make_plan
from sync.testing import MemoryTarget, sync_into

BLOCK = Block("snape", "harry", "parent")


def school(*blocks: Block) -> Roster:
    return Roster.build(
        groups=[Group("7A", "Form 7A"), Group("7B", "Form 7B")],
        memberships=[Membership("7A", "harry"), Membership("7A", "ron"), Membership("7B", "ron")],
        grants=[AccessGrant("7A", "snape"), AccessGrant("7B", "snape"), AccessGrant("7A", "mcg")],
        blocks=blocks,
    )


def test_a_target_that_cannot_hide_gets_no_grant_showing_a_blocked_child() -> None:
    target = MemoryTarget()
    assert CAPABILITY_HIDE_MEMBERS not in target.capabilities
    plan = make_plan(school(BLOCK), target.read(), capabilities=target.capabilities)
    granted = {(c.group, c.person) for c in plan.changes if c.kind is ChangeKind.GRANT_ACCESS}
    assert granted == {("7B", "snape"), ("7A", "mcg")}
    assert not [c for c in plan.changes if c.kind is ChangeKind.ADD_BLOCK]
    [issue] = plan.issues
    assert issue.severity is Severity.ERROR
    assert issue.message == (
        "access of 'snape' to group 'Form 7A' withheld: child 'harry' in that group is blocked "
        "from them (parent) and this target cannot hide one child inside a group"
    )
    assert sync_into(target, school(BLOCK)) == []
    assert ("7A", "snape") not in target.grants and ("7B", "snape") in target.grants


def test_an_existing_grant_is_revoked_when_a_block_arrives() -> None:
    target = MemoryTarget()
    sync_into(target, school())
    assert ("7A", "snape") in target.grants
    plan = make_plan(school(BLOCK), target.read(), capabilities=target.capabilities)
    assert [(c.kind, c.group, c.person) for c in plan.changes] == [
        (ChangeKind.REVOKE_ACCESS, "7A", "snape")
    ]
    sync_into(target, school(BLOCK))
    assert ("7A", "snape") not in target.grants
    # lifting the block gives the access back
    sync_into(target, school())
    assert ("7A", "snape") in target.grants


def test_a_child_joining_a_granted_group_withdraws_the_grant() -> None:
    target = MemoryTarget()
    before = Roster.build(
        groups=[Group("7B", "7B")],
        memberships=[Membership("7B", "ron")],
        grants=[AccessGrant("7B", "snape")],
        blocks=[BLOCK],
    )
    sync_into(target, before)
    assert ("7B", "snape") in target.grants
    after = Roster.build(
        groups=before.groups.values(),
        memberships=[*before.memberships, Membership("7B", "harry")],
        grants=before.grants,
        blocks=[BLOCK],
    )
    plan = make_plan(after, target.read(), capabilities=target.capabilities)
    assert {c.kind for c in plan.changes} == {ChangeKind.ADD_MEMBER, ChangeKind.REVOKE_ACCESS}


def test_a_grant_the_sync_did_not_make_is_reported() -> None:
    current = TargetState(
        roster=Roster.build(
            groups=[Group("7A", "7A")],
            memberships=[Membership("7A", "harry")],
            grants=[AccessGrant("7A", "snape")],
        ),
        managed=frozenset({"7A"}),
    )
    plan = make_plan(
        Roster.build(groups=[Group("7A", "7A")], memberships=[Membership("7A", "harry")],
                     blocks=[BLOCK]),
        current,
    )  # fmt: skip
    assert not [c for c in plan.changes if c.kind is ChangeKind.REVOKE_ACCESS]
    assert any("was not given by rostersync" in i.message for i in plan.issues)


def test_a_target_that_can_hide_gets_the_block_and_every_grant() -> None:
    caps = {CAPABILITY_ACCESS, CAPABILITY_HIDE_MEMBERS}
    plan = make_plan(school(BLOCK), TargetState(), capabilities=caps)
    kinds = [c.kind for c in plan.changes]
    assert kinds.count(ChangeKind.GRANT_ACCESS) == 3 and plan.issues == ()
    assert kinds.index(ChangeKind.ADD_BLOCK) < kinds.index(ChangeKind.ADD_MEMBER)
    [block] = [c for c in plan.changes if c.kind is ChangeKind.ADD_BLOCK]
    assert (block.person, block.student, block.reason) == ("snape", "harry", "parent")


def test_restrictions_go_in_first_and_come_out_last() -> None:
    order = list(APPLY_ORDER)
    for access in (ChangeKind.ADD_MEMBER, ChangeKind.GRANT_ACCESS, ChangeKind.UPDATE_ACCESS):
        assert order.index(ChangeKind.ADD_BLOCK) < order.index(access)
        assert order.index(ChangeKind.SET_PROFILE) < order.index(access)
    for removal in (ChangeKind.REVOKE_ACCESS, ChangeKind.REMOVE_MEMBER, ChangeKind.DELETE_GROUP):
        assert order.index(ChangeKind.REMOVE_BLOCK) > order.index(removal)


def test_profiles_are_planned_only_for_targets_that_carry_them() -> None:
    profile = StaffProfile("snape", "Teachers", frozenset({"log_concerns"}), "default")
    desired = Roster.build(profiles=[profile])
    plan = make_plan(desired, MemoryTarget().read(), capabilities={CAPABILITY_ACCESS})
    assert plan.changes == ()
    assert "does not carry staff user groups" in plan.issues[0].message
    plan = make_plan(desired, TargetState(), capabilities={CAPABILITY_PROFILES})
    assert [c.describe() for c in plan.changes] == [
        "set snape's user group to 'Teachers' [log_concerns]"
    ]
    held = TargetState(
        roster=Roster.build(profiles=[profile, StaffProfile("gone", "TAs")]),
        managed_profiles=frozenset({"snape", "gone"}),
    )
    changed = Roster.build(profiles=[StaffProfile("snape", "DSLs", frozenset(), "x")])
    plan = make_plan(changed, held, capabilities={CAPABILITY_PROFILES})
    assert [(c.kind, c.person) for c in plan.changes] == [
        (ChangeKind.CLEAR_PROFILE, "gone"),
        (ChangeKind.SET_PROFILE, "snape"),
    ]
    by_hand = TargetState(roster=Roster.build(profiles=[profile]))
    plan = make_plan(changed, by_hand, capabilities={CAPABILITY_PROFILES})
    assert plan.changes == () and "set in the target by hand" in plan.issues[0].message


def test_new_change_kinds_round_trip() -> None:
    changes = [
        Change(ChangeKind.SET_PROFILE, "", name="DSLs", person="a", options=frozenset({"x"}),
               reason="default"),
        Change(ChangeKind.CLEAR_PROFILE, "", person="a"),
        Change(ChangeKind.ADD_BLOCK, "", person="a", student="b", reason="parent"),
        Change(ChangeKind.REMOVE_BLOCK, "", person="a", student="b"),
    ]  # fmt: skip
    for change in changes:
        assert Change.from_dict(change.to_dict()) == change
    assert [c.describe() for c in changes] == [
        "set a's user group to 'DSLs' [x]",
        "clear a's user group and permissions",
        "block b from a (parent)",
        "unblock b for a",
    ]


def test_merge_profiles_first_wins_and_blocks_add_up() -> None:
    person = Person("snape", Role.STAFF)
    first = Roster.build(
        [person], profiles=[StaffProfile("snape", "DSLs")], blocks=[Block("snape", "h", "one")]
    )
    second = Roster.build(
        [person],
        profiles=[StaffProfile("snape", "Teachers")],
        blocks=[Block("snape", "h", "two"), Block("snape", "r", "")],
    )
    merged, issues = merge([("manual", first), ("csv", second)])
    assert merged.profiles["snape"].user_group == "DSLs"
    assert {(b.student, b.reason) for b in merged.blocks} == {("h", "one"), ("r", "")}
    assert [i.message for i in issues] == [
        "user group of 'snape' is 'DSLs' in 'manual' and 'Teachers' in 'csv'; 'manual' wins "
        "(listed first)"
    ]
