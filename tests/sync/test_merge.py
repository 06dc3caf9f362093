"""Merging several sources: the first listed wins, conflicts are warnings, memberships,
grants and blocks are unions, and a rejected record supplied elsewhere is said."""

from __future__ import annotations

from sync.merge import merge
from sync.model import (
    AccessGrant,
    Block,
    Group,
    Membership,
    Person,
    Role,
    Roster,
    Severity,
    StaffProfile,
)

HARRY = Person("Harry_Potter", Role.STUDENT, "Harry", "Potter")
SNAPE = Person("Severus_Snape", Role.TEACHER, "Severus", "Snape")


def test_one_source_is_its_own_roster() -> None:
    roster = Roster.build([HARRY], [Group("potions", "Potions")])
    merged, issues = merge([("school", roster)])
    assert merged is roster and issues == []


def test_memberships_grants_and_blocks_are_unions() -> None:
    first = Roster.build(
        [HARRY, SNAPE],
        [Group("potions", "Potions")],
        [Membership("potions", "Harry_Potter")],
        [AccessGrant("potions", "Severus_Snape")],
        blocks=[Block("Severus_Snape", "Harry_Potter", "a parent's request")],
    )
    ron = Person("Ron_Weasley", Role.STUDENT, "Ron", "Weasley")
    second = Roster.build(
        [ron],
        [Group("potions", "Potions"), Group("chess", "Chess Club")],
        [Membership("potions", "Ron_Weasley"), Membership("chess", "Ron_Weasley")],
        blocks=[Block("Severus_Snape", "Harry_Potter", "another reason")],
    )
    merged, issues = merge([("sis", first), ("manual", second)])
    assert issues == []
    assert set(merged.groups) == {"potions", "chess"}
    assert merged.memberships == {
        Membership("potions", "Harry_Potter"),
        Membership("potions", "Ron_Weasley"),
        Membership("chess", "Ron_Weasley"),
    }
    assert merged.grants == {AccessGrant("potions", "Severus_Snape")}
    (block,) = merged.blocks
    assert block.reason == "a parent's request"  # the first source's reason is kept


def test_the_first_source_wins_a_conflict_and_it_is_reported() -> None:
    renamed = Person("Harry_Potter", Role.STUDENT, "Harold", "Potter")
    first = Roster.build(
        [HARRY, SNAPE],
        [Group("potions", "Potions")],
        grants=[AccessGrant("potions", "Severus_Snape")],
        profiles=[StaffProfile("Severus_Snape", "Teachers", frozenset({"view"}), "config")],
    )
    second = Roster.build(
        [renamed, SNAPE],
        [Group("potions", "Advanced Potions")],
        grants=[AccessGrant("potions", "Severus_Snape", frozenset({"primary"}))],
        profiles=[StaffProfile("Severus_Snape", "Admins", frozenset({"view"}), "config")],
    )
    merged, issues = merge([("sis", first), ("manual", second)])
    assert merged.people["Harry_Potter"] == HARRY
    assert merged.groups["potions"].name == "Potions"
    assert merged.grants == {AccessGrant("potions", "Severus_Snape")}
    assert merged.profiles["Severus_Snape"].user_group == "Teachers"
    assert [i.severity for i in issues] == [Severity.WARNING] * 4
    assert {i.field for i in issues} == {"person", "group", "access", "user_group"}
    assert all(i.source == "manual" and "'sis'" in i.message for i in issues)


def test_a_rejected_record_supplied_by_another_source_is_said() -> None:
    bad_csv = Roster.build([SNAPE], rejected_people=["Harry_Potter"])
    manual = Roster.build([HARRY])
    merged, issues = merge([("sis", bad_csv), ("manual", manual)])
    assert "Harry_Potter" in merged.people
    (issue,) = issues
    assert issue.severity is Severity.WARNING and issue.value == "Harry_Potter"
    assert "'sis' rejected the record" in issue.message and "'manual'" in issue.message
