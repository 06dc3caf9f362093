"""The ldap target's member digests against a real slapd: a rerun with nothing changed
reads no member value and no user, a changed group is read alone, and edits made in the
directory by hand (to a group's members, to a companion, between a run's read and its
write) are noticed and repaired."""

from __future__ import annotations

import copy

import ldap3
import pytest

from plugins.ldap.remembered import stamp_of
from sync.digest import read_target
from sync.model import ChangeKind, Membership, Roster
from sync.plan import make_plan
from sync.testing import MemoryState, sample_roster, sync_into
from tests.fakes.slapd import Search, Slapd, Tree, add_people, people_in
from tests.plugins.ldap.conftest import MakeTarget
from tests.plugins.ldap.test_ldap_target import member_ids

pytestmark = pytest.mark.ldap

GROUPS = "(objectClass=groupOfNames)"


def with_membership(roster: Roster, membership: Membership) -> Roster:
    return Roster.build(
        roster.people.values(),
        roster.groups.values(),
        [*roster.memberships, membership],
        roster.grants,
    )


def reading_members(searches: list[Search]) -> list[Search]:
    return [s for s in searches if "member" in s.attributes]


def edit_by_hand(slapd: Slapd, tree: Tree, group: str, op: str, person: str) -> None:
    """An admin adds (``op`` = "add") or removes ("delete") a person in a group."""
    dn = people_in(slapd, tree)[person]
    admin = slapd.admin()
    operation = ldap3.MODIFY_ADD if op == "add" else ldap3.MODIFY_DELETE
    admin.modify(f"cn={group},{tree.groups_dn}", {"member": [(operation, [dn])]})
    admin.unbind()


def test_a_rerun_with_nothing_changed_reads_no_member_and_no_user(
    make_target: MakeTarget, slapd: Slapd, tree: Tree
) -> None:
    roster = sample_roster()
    assert sync_into(make_target(), roster) == []
    mark = slapd.log_mark()
    rerun = make_target()
    state = read_target(rerun, roster)
    assert state.members_matched == frozenset(roster.groups)
    assert state.matched_memberships == len(roster.memberships)
    assert {(g.group, g.principal) for g in state.roster.grants} == {
        (g.group, g.principal) for g in roster.grants
    }
    assert make_plan(roster, state, capabilities=rerun.capabilities).changes == ()
    searches = slapd.searches(mark)
    # 4 groups and 4 companions, pages of 3: three requests of one search, no members
    assert [(s.base, s.filter) for s in searches] == [(tree.groups_dn, GROUPS)] * 3
    assert reading_members(searches) == []
    assert all(s.base != tree.users_dn for s in searches)


def test_only_the_group_whose_members_changed_is_read_with_them(
    make_target: MakeTarget, slapd: Slapd, tree: Tree
) -> None:
    sync_into(make_target(), sample_roster())
    moved = with_membership(sample_roster(), Membership("Flying", "Ron_Weasley"))
    mark = slapd.log_mark()
    target = make_target()
    state = read_target(target, moved)
    assert set(moved.groups) - state.members_matched == {"Flying"}
    assert {m.group for m in state.roster.memberships} == {"Flying"}
    searches = slapd.searches(mark)
    read = reading_members(searches)
    assert [s.filter for s in read] == [f"(&{GROUPS}(|(cn=flying)))"]  # (as slapd logs it)
    # Its one member is looked up alone, not among every user.
    assert [s.base for s in searches if "uid" in s.attributes] == [
        f"uid=harry_potter,{tree.users_dn}".lower()
    ]
    plan = make_plan(moved, state, capabilities=target.capabilities)
    assert [(c.group, c.person) for c in plan.changes] == [("Flying", "Ron_Weasley")]
    assert target.apply(plan.changes) == []
    assert [
        s for s in slapd.searches(mark) if s.base == tree.users_dn and s.filter == "(uid=*)"
    ] == []
    assert member_ids(slapd, tree, "Flying") == {"Harry_Potter", "Ron_Weasley"}
    mark = slapd.log_mark()
    again = read_target(make_target(), moved)  # what the write answered is remembered
    assert again.members_matched == frozenset(moved.groups)
    assert reading_members(slapd.searches(mark)) == []


def test_members_changed_by_hand_are_noticed_and_repaired(
    make_target: MakeTarget, slapd: Slapd, tree: Tree
) -> None:
    roster = sample_roster()
    sync_into(make_target(), roster)
    edit_by_hand(slapd, tree, "Flying", "add", "Ron_Weasley")
    edit_by_hand(slapd, tree, "Potions", "delete", "Harry_Potter")
    edit_by_hand(slapd, tree, "Potions - staff", "add", "Harry_Potter")
    target = make_target()
    state = read_target(target, roster)
    assert {"Flying", "Potions"} <= set(roster.groups) - state.members_matched
    assert Membership("Flying", "Ron_Weasley") in state.roster.memberships
    assert ("Potions", "Harry_Potter") in {(g.group, g.principal) for g in state.roster.grants}
    assert sync_into(target, roster) == []
    assert member_ids(slapd, tree, "Flying") == {"Harry_Potter"}
    assert member_ids(slapd, tree, "Potions") == {"Harry_Potter", "Ron_Weasley"}
    assert member_ids(slapd, tree, "Potions - staff") == {"Severus_Snape"}
    rerun = make_target()
    state = read_target(rerun, roster)
    assert state.members_matched == frozenset(roster.groups)
    assert make_plan(roster, state, capabilities=rerun.capabilities).changes == ()


def test_an_edit_between_a_runs_read_and_its_write_is_not_taken_for_the_runs_own(
    make_target: MakeTarget, slapd: Slapd, tree: Tree
) -> None:
    add_people(slapd, tree, ["Draco_Malfoy"])
    sync_into(make_target(), sample_roster())
    moved = with_membership(sample_roster(), Membership("Flying", "Ron_Weasley"))
    target = make_target()
    plan = make_plan(moved, read_target(target, moved), capabilities=target.capabilities)
    edit_by_hand(slapd, tree, "Flying", "add", "Draco_Malfoy")  # while the run plans
    assert target.apply(plan.changes) == []
    assert member_ids(slapd, tree, "Flying") == {"Harry_Potter", "Ron_Weasley", "Draco_Malfoy"}
    # The write's answer says Flying changed since the read: its members are not known.
    assert "Flying" not in read_target(make_target(), moved).members_matched
    assert sync_into(make_target(), moved) == []
    assert member_ids(slapd, tree, "Flying") == {"Harry_Potter", "Ron_Weasley"}


def test_an_edit_between_a_groups_creation_and_its_first_members_is_not_taken_for_the_runs_own(
    make_target: MakeTarget, slapd: Slapd, tree: Tree
) -> None:
    add_people(slapd, tree, ["Draco_Malfoy"])
    roster = sample_roster()
    target = make_target()
    plan = make_plan(roster, read_target(target, roster), capabilities=target.capabilities)
    creations = [c for c in plan.changes if c.kind is ChangeKind.CREATE_GROUP]
    assert creations
    assert target.apply(creations) == []  # the engine's first batch: the new groups
    edit_by_hand(slapd, tree, "Flying", "add", "Draco_Malfoy")  # before its members
    assert target.apply([c for c in plan.changes if c not in creations]) == []
    assert member_ids(slapd, tree, "Flying") == {"Harry_Potter", "Draco_Malfoy"}
    # What the first member write read back holds the admin's member: not the run's own.
    state = read_target(make_target(), roster)
    assert set(roster.groups) - state.members_matched == {"Flying"}
    assert sync_into(make_target(), roster) == []
    assert member_ids(slapd, tree, "Flying") == {"Harry_Potter"}
    assert read_target(make_target(), roster).members_matched == frozenset(roster.groups)


def test_a_new_group_is_vouched_for_by_the_answer_to_its_first_member_write(
    make_target: MakeTarget, slapd: Slapd, tree: Tree
) -> None:
    roster = sample_roster()
    target = make_target()
    assert sync_into(target, roster) == []
    recorded = target.remembered.groups
    admin = slapd.admin()
    admin.search(tree.groups_dn, GROUPS, attributes=["description", "entryCSN"])
    csn = {
        str(e["attributes"]["description"][0]): e["attributes"]["entryCSN"] for e in admin.response
    }
    admin.unbind()
    assert set(recorded) == set(csn)  # every group made, classes and companions
    assert {mark: known["s"] for mark, known in recorded.items()} == {
        mark: stamp_of({"entryCSN": value}, lambda: "") for mark, value in csn.items()
    }


def test_a_group_renamed_by_the_sync_stays_vouched_for(
    make_target: MakeTarget, slapd: Slapd, tree: Tree
) -> None:
    from tests.plugins.ldap.test_ldap_target import potions_renamed

    roster = sample_roster()
    sync_into(make_target(), roster)
    renamed = potions_renamed(roster, "Potions, Advanced")
    assert sync_into(make_target(), renamed) == []
    mark = slapd.log_mark()
    state = read_target(make_target(), renamed)
    assert state.members_matched == frozenset(renamed.groups)
    assert reading_members(slapd.searches(mark)) == []
    assert member_ids(slapd, tree, "Potions, Advanced") == {"Harry_Potter", "Ron_Weasley"}


def test_when_most_groups_changed_it_is_one_read_of_everything(
    make_target: MakeTarget, slapd: Slapd, tree: Tree
) -> None:
    roster = sample_roster()
    sync_into(make_target(), roster)
    emptied = Roster.build(roster.people.values(), roster.groups.values(), (), roster.grants)
    mark = slapd.log_mark()
    state = read_target(make_target(), emptied)
    assert state.members_matched == frozenset()
    assert {m for m in state.roster.memberships} == set(roster.memberships)
    read = reading_members(slapd.searches(mark))
    assert [(s.base, s.filter) for s in read] == [(tree.groups_dn, GROUPS)] * 3


def test_what_is_remembered_serves_only_the_same_options(
    make_target: MakeTarget, slapd: Slapd, tree: Tree
) -> None:
    roster = sample_roster()
    sync_into(make_target(), roster)
    assert make_target().member_digests().keys() == roster.groups.keys()
    # Members looked up otherwise may be other people: nothing is vouched for.
    assert make_target(user_filter="(objectClass=inetOrgPerson)").member_digests() == {}
    assert make_target(state=MemoryState()).member_digests() == {}  # no earlier run


def test_a_run_killed_after_its_writes_leaves_a_record_that_vouches_for_none_of_them(
    make_target: MakeTarget, slapd: Slapd, tree: Tree
) -> None:
    kept = MemoryState()
    roster = sample_roster()
    assert sync_into(make_target(state=kept), roster) == []
    before_kill = MemoryState(copy.deepcopy(kept.values))  # what the store still holds
    moved = with_membership(roster, Membership("Flying", "Ron_Weasley"))
    assert sync_into(make_target(state=kept), moved) == []  # killed: its state not saved
    assert member_ids(slapd, tree, "Flying") == {"Harry_Potter", "Ron_Weasley"}
    state = read_target(make_target(state=before_kill), roster)
    assert set(roster.groups) - state.members_matched == {"Flying"}
    assert sync_into(make_target(state=before_kill), roster) == []
    assert member_ids(slapd, tree, "Flying") == {"Harry_Potter"}


def test_a_stamp_is_the_entry_csn_or_a_usn_of_a_named_domain_controller() -> None:
    dc = "CN=NTDS Settings,CN=DC1,CN=Servers,CN=Default-First-Site-Name,CN=Sites,CN=Config"
    csn = "20261201121215.362137Z#000000#000#000000"
    assert stamp_of({"entryCSN": [csn], "uSNChanged": ["7"]}, lambda: dc) == f"csn:{csn}"
    assert stamp_of({"usnchanged": ["41230"]}, lambda: dc) == f"usn:{dc}:41230"
    # Each DC numbers its own changes: a USN from a server that does not say who it is
    # could equal another DC's number for another state of the entry.
    assert stamp_of({"uSNChanged": ["41230"]}, lambda: "") is None
    assert stamp_of({"entryCSN": [], "uSNChanged": []}, lambda: dc) is None
    assert stamp_of(None, lambda: dc) is None
