"""The contract every target keeps, as a pytest class to subclass."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import cast

import pytest

from sync.apply import apply_plan
from sync.contract import (
    CAPABILITY_ACCESS,
    CAPABILITY_HIDE_MEMBERS,
    CAPABILITY_MEMBER_DIGESTS,
    CAPABILITY_PROFILES,
    DigestTarget,
    Target,
)
from sync.digest import member_digests, read_target
from sync.errors import FatalError, RetriableError, SourceError
from sync.model import (
    Block,
    Change,
    ChangeKind,
    Membership,
    Roster,
    RunStatus,
    StaffProfile,
)
from sync.plan import make_plan
from sync.testing.applicability import Suite, provide
from sync.testing.fakes import sample_roster, sync_into
from sync.testing.kit import PluginKit

#: ``target_fault(kind)``: make the target's far side fail from now on, ``"retriable"``
#: (a lock held, a 503) or ``"fatal"`` (credentials refused), until the test ends.
TargetFault = Callable[[str], None]

HandMadeGroup = Callable[[str, str, Sequence[str]], None]


def _sample_with(*, profiles: Sequence[StaffProfile] = (), blocks: Sequence[Block] = ()) -> Roster:
    roster = sample_roster()
    return Roster.build(
        roster.people.values(),
        roster.groups.values(),
        roster.memberships,
        roster.grants,
        profiles=profiles,
        blocks=blocks,
    )


class TargetContract(Suite):
    """What every target must do. Provide ``target_kit`` (a ``PluginKit.for_target`` on a
    fresh, empty target) and ``hand_made_group`` (a callable ``(key, name, members)``
    that makes a group the way an admin would, outside rostersync). Optionally provide
    ``target_fault`` (see ``TargetFault``); a test that cannot apply is listed in
    ``not_applicable`` with why.
    Targets claiming ``CAPABILITY_PROFILES`` or ``CAPABILITY_HIDE_MEMBERS`` are held to
    them; ``CAPABILITY_MEMBER_DIGESTS`` likewise.
    """

    @pytest.fixture
    def target(self, target_kit: PluginKit) -> Target:
        return target_kit.target()

    @pytest.fixture
    def target_fault(self) -> TargetFault | None:
        return None

    def test_a_new_target_manages_nothing(self, target: Target) -> None:
        assert target.read().managed == frozenset()

    def test_sync_creates_exactly_the_roster(self, target: Target) -> None:
        desired = sample_roster()
        assert sync_into(target, desired) == []
        state = target.read()
        assert state.managed == frozenset(desired.groups)
        assert {m for m in state.roster.memberships if m.group in state.managed} == set(
            desired.memberships
        )
        if CAPABILITY_ACCESS in target.capabilities:
            assert {(g.group, g.principal) for g in state.roster.grants} >= {
                (g.group, g.principal) for g in desired.grants
            }

    def test_a_second_sync_plans_nothing(self, target: Target) -> None:
        sync_into(target, sample_roster())
        plan = make_plan(sample_roster(), target.read(), capabilities=target.capabilities)
        assert plan.changes == ()

    def test_applying_twice_is_harmless(self, target: Target) -> None:
        plan = make_plan(sample_roster(), target.read(), capabilities=target.capabilities)
        for kind in ChangeKind:
            batch = [c for c in plan.changes if c.kind is kind]
            if batch:
                assert list(target.apply(batch)) == []
                assert list(target.apply(batch)) == []
        again = make_plan(sample_roster(), target.read(), capabilities=target.capabilities)
        assert again.changes == ()

    def test_moves_and_deletions_converge(self, target: Target) -> None:
        sync_into(target, sample_roster())
        roster = sample_roster()
        moved = Roster.build(
            roster.people.values(),
            [g for g in roster.groups.values() if g.key != "Flying"],
            [m for m in roster.memberships if m.group != "Flying"]
            + [Membership("Muggle Studies", "Harry_Potter")],
            [g for g in roster.grants if g.group != "Flying"],
        )
        assert sync_into(target, moved) == []
        state = target.read()
        assert "Flying" not in state.roster.groups
        assert Membership("Muggle Studies", "Harry_Potter") in state.roster.memberships
        assert make_plan(moved, state, capabilities=target.capabilities).changes == ()

    def test_member_digests_vouch_for_exactly_what_is_stored(self, target: Target) -> None:
        """A target without ``CAPABILITY_MEMBER_DIGESTS`` is read whole; one with it
        vouches for exactly the groups whose stored members are the desired ones."""
        desired = sample_roster()
        sync_into(target, desired)
        if CAPABILITY_MEMBER_DIGESTS not in target.capabilities:
            assert read_target(target, desired) == target.read()
            return
        digesting = cast(DigestTarget, target)
        assert digesting.member_digests() == member_digests(desired.groups, desired.memberships)
        state = digesting.read_changed(set(desired.groups))
        assert state.members_matched == frozenset(desired.groups)
        assert state.roster.memberships == frozenset()
        assert state.matched_memberships == len(desired.memberships)
        assert make_plan(desired, state, capabilities=target.capabilities).changes == ()
        moved = Roster.build(
            desired.people.values(),
            desired.groups.values(),
            [*desired.memberships, Membership("Flying", "Ron_Weasley")],
            desired.grants,
        )
        assert sync_into(target, moved) == []
        changed = {
            key
            for key, digest in member_digests(moved.groups, moved.memberships).items()
            if digesting.member_digests().get(key) != digest
        }
        assert changed == set()
        state = read_target(target, desired)  # back to the first roster: Flying differs
        assert set(desired.groups) - state.members_matched == {"Flying"}
        assert {m.group for m in state.roster.memberships} == {"Flying"}

    def test_hand_made_groups_are_never_touched(
        self, target: Target, hand_made_group: HandMadeGroup
    ) -> None:
        hand_made_group("Staff Room", "Staff Room", ["Minerva_McGonagall"])
        sync_into(target, sample_roster())
        state = target.read()
        assert "Staff Room" in state.roster.groups and "Staff Room" not in state.managed
        assert Membership("Staff Room", "Minerva_McGonagall") in state.roster.memberships
        sync_into(target, Roster.build())  # would delete everything the sync owns
        state = target.read()
        assert state.managed == frozenset()
        assert "Staff Room" in state.roster.groups
        assert Membership("Staff Room", "Minerva_McGonagall") in state.roster.memberships

    def test_changes_to_a_hand_made_group_are_refused(
        self, target: Target, hand_made_group: HandMadeGroup
    ) -> None:
        hand_made_group("Staff Room", "Staff Room", [])
        failures = target.apply(
            [Change(ChangeKind.ADD_MEMBER, "Staff Room", person="Harry_Potter")]
        )
        assert [f.change.person for f in failures] == ["Harry_Potter"]
        assert Membership("Staff Room", "Harry_Potter") not in target.read().roster.memberships

    def test_a_refused_change_never_stops_the_rest_of_its_batch(
        self, target: Target, hand_made_group: HandMadeGroup
    ) -> None:
        """Returned as a ``ChangeFailure`` or raised as ``SkippableError``: either way the
        engine reports that one change and applies the others."""
        hand_made_group("Staff Room", "Staff Room", [])
        sync_into(target, sample_roster())
        refused = Change(ChangeKind.ADD_MEMBER, "Staff Room", person="Harry_Potter")
        fine = Change(ChangeKind.ADD_MEMBER, "Muggle Studies", person="Harry_Potter")
        result = apply_plan(target, [refused, fine], batch_size=10, attempts=1, retry_wait=0)
        assert result.complete, result.error
        assert [f.change for f in result.failures] == [refused]
        assert result.applied == [fine]
        members = target.read().roster.memberships
        assert Membership("Muggle Studies", "Harry_Potter") in members
        assert Membership("Staff Room", "Harry_Potter") not in members

    def test_close_after_use(self, target: Target) -> None:
        target.read()
        target.close()

    # -- capabilities it claims -------------------------------------------------
    def test_staff_profiles_are_set_and_cleared(self, target: Target) -> None:
        if CAPABILITY_PROFILES not in target.capabilities:
            provide("staff profiles capability", "test_staff_profiles_are_set_and_cleared")
        profile = StaffProfile("Severus_Snape", "Teachers", frozenset({"view_students"}), "why")
        with_profile = _sample_with(profiles=[profile])
        assert sync_into(target, with_profile) == []
        state = target.read()
        assert state.roster.profiles.get("Severus_Snape") == profile
        assert state.managed_profiles == frozenset({"Severus_Snape"})
        assert make_plan(with_profile, state, capabilities=target.capabilities).changes == ()
        assert sync_into(target, sample_roster()) == []
        assert "Severus_Snape" not in target.read().roster.profiles

    def test_blocks_are_added_and_lifted(self, target: Target) -> None:
        if CAPABILITY_HIDE_MEMBERS not in target.capabilities:
            provide("hide_members capability", "test_blocks_are_added_and_lifted")
        block = Block("Severus_Snape", "Harry_Potter", "a parent's request")
        blocked = _sample_with(blocks=[block])
        assert sync_into(target, blocked) == []
        state = target.read()
        assert block in state.roster.blocks
        assert state.managed_blocks == frozenset({("Severus_Snape", "Harry_Potter")})
        assert make_plan(blocked, state, capabilities=target.capabilities).changes == ()
        assert sync_into(target, sample_roster()) == []
        assert block not in target.read().roster.blocks

    # -- through the engine -----------------------------------------------------
    def test_a_dry_run_writes_nothing(self, target_kit: PluginKit) -> None:
        target_kit.stand_ins.roster = Roster.build()
        target_kit.run()  # the store, and every schema, in place
        target_kit.stand_ins.roster = sample_roster()
        before = target_kit.snapshot()
        outcome = target_kit.run(dry_run=True)
        assert outcome.run_id is None and outcome.plan.changes
        assert target_kit.snapshot() == before
        assert target_kit.target().read().managed == frozenset()

    def test_staged_state_is_saved_only_when_the_run_succeeds(self, target_kit: PluginKit) -> None:
        target_kit.stand_ins.fail_read = SourceError("students.csv: file not found")
        before = target_kit.snapshot(engine_tables=False)
        assert target_kit.run().status is RunStatus.FAILED
        assert target_kit.stored_state() == {}
        assert target_kit.snapshot(engine_tables=False) == before
        assert target_kit.target().read().managed == frozenset()
        target, state = target_kit.target_with_state()  # from the same (empty) state
        target.read()
        target.close()
        target_kit.stand_ins.fail_read = None
        assert target_kit.run().status is RunStatus.OK
        assert set(target_kit.stored_state()) == set(state.staged), (
            "a run that succeeds saves what the target put in context.state"
        )

    # -- errors -----------------------------------------------------------------
    def test_a_passing_fault_raises_retriable_and_the_run_retries(
        self, target_kit: PluginKit, target: Target, target_fault: TargetFault | None
    ) -> None:
        if target_fault is None:
            provide("target_fault", "test_a_passing_fault_raises_retriable_and_the_run_retries")
        target_fault("retriable")
        with pytest.raises(RetriableError):
            target.apply([Change(ChangeKind.CREATE_GROUP, "Potions", name="Potions")])
        outcome = target_kit.run()
        assert outcome.status is RunStatus.FAILED and "gave up after retries" in outcome.error

    def test_a_fatal_fault_raises_fatal_and_fails_the_run(
        self, target_kit: PluginKit, target: Target, target_fault: TargetFault | None
    ) -> None:
        if target_fault is None:
            provide("target_fault", "test_a_fatal_fault_raises_fatal_and_fails_the_run")
        target_fault("fatal")
        with pytest.raises(FatalError):
            target.apply([Change(ChangeKind.CREATE_GROUP, "Potions", name="Potions")])
        outcome = target_kit.run()
        assert outcome.status is RunStatus.FAILED and outcome.error
        assert "unexpected error" not in outcome.error
