"""Domain values: the apply order, and the field order the positional fast paths read."""

from __future__ import annotations

from dataclasses import FrozenInstanceError

import pytest

from sync.model import (
    APPLY_ORDER,
    CHANGE_ALL_BUT_PERSON,
    CHANGE_GROUP,
    CHANGE_GROUP_PERSON,
    CHANGE_KIND,
    CHANGE_PERSON,
    GRANT_GROUP,
    AccessGrant,
    Change,
    ChangeKind,
    Group,
    Membership,
    Person,
    Role,
    changes_of_fields,
    memberships_of_pairs,
)
from sync.store import pack_changes, unpack_changes


def test_revokes_come_before_members_are_added() -> None:
    order = list(APPLY_ORDER)
    assert order.index(ChangeKind.REVOKE_ACCESS) < order.index(ChangeKind.ADD_MEMBER)
    assert order.index(ChangeKind.ADD_BLOCK) < order.index(ChangeKind.ADD_MEMBER)
    assert order[-1] is ChangeKind.REMOVE_BLOCK


def test_the_field_order_the_fast_paths_and_the_run_record_rely_on() -> None:
    assert Change._fields == ("kind", "group", "name", "person", "options", "student", "reason")
    assert AccessGrant._fields == ("group", "principal", "options")
    assert Membership._fields == ("group", "person")


def test_each_change_accessor_reads_the_field_it_names() -> None:
    change = Change(ChangeKind.ADD_BLOCK, "7A", "Year 7A", "smith", frozenset({"x"}), "kid", "why")
    assert CHANGE_KIND(change) is ChangeKind.ADD_BLOCK
    assert CHANGE_GROUP(change) == "7A"
    assert CHANGE_PERSON(change) == "smith"
    assert CHANGE_GROUP_PERSON(change) == ("7A", "smith")
    assert CHANGE_ALL_BUT_PERSON(change) == (
        ChangeKind.ADD_BLOCK,
        "7A",
        "Year 7A",
        frozenset({"x"}),
        "kid",
        "why",
    )


def test_changes_made_from_fields_equal_changes_made_by_name() -> None:
    fields = (ChangeKind.ADD_MEMBER, "7A", "Year 7A", "Harry", frozenset(), "", "")
    (made,) = changes_of_fields([fields])
    assert type(made) is Change
    assert made == Change(ChangeKind.ADD_MEMBER, "7A", name="Year 7A", person="Harry")
    assert made.person == "Harry"


def test_grant_and_membership_fast_paths_read_the_named_fields() -> None:
    assert GRANT_GROUP(AccessGrant("7A", "smith", frozenset({"edit"}))) == "7A"
    (made,) = memberships_of_pairs([("7A", "Harry")])
    assert type(made) is Membership
    assert (made.group, made.person) == ("7A", "Harry")


def test_recorded_changes_come_back_field_for_field() -> None:
    changes = [
        Change(ChangeKind.ADD_MEMBER, "7A", "Year 7A", person, frozenset({"o"}), "s", "r")
        for person in ("Harry", "Ron")
    ] + [Change(ChangeKind.SET_PROFILE, "", "teachers", "smith", frozenset({"a", "b"}))]
    assert unpack_changes(pack_changes(changes)) == changes


def test_people_made_many_at_once_equal_people_made_one_by_one() -> None:
    made = Person.many(["ann", "bob", "ann"], Role.TEACHER)
    ann, bob = Person("ann", Role.TEACHER), Person("bob", Role.TEACHER)
    assert made == [ann, bob, ann]
    assert [hash(p) for p in made] == [hash(Person(p.id, Role.TEACHER)) for p in made]
    assert all(type(p) is Person and p.attributes == {} for p in made)
    with pytest.raises(FrozenInstanceError):
        made[0].id = "eve"  # type: ignore[misc]
    assert Person.many([], Role.STUDENT) == []
    mixed = Person.many(
        ["ann", "bob"],
        [Role.TEACHER, Role.STUDENT],
        given_name=["Ann", "Bob"],
        attributes=[{"sourced_id": "u1"}, {"sourced_id": "u2"}],
    )
    assert mixed == [
        Person("ann", Role.TEACHER, given_name="Ann", attributes={"sourced_id": "u1"}),
        Person("bob", Role.STUDENT, given_name="Bob", attributes={"sourced_id": "u2"}),
    ]
    with pytest.raises(TypeError):
        Person.many(["ann"], Role.STAFF, nickname=["A"])
    with pytest.raises(ValueError):
        Person.many(["ann"], Role.STAFF, email=[])


def test_groups_made_many_at_once_equal_groups_made_one_by_one() -> None:
    made = Group.many(["7A", "7B"], iter(["Year 7A", "Year 7B"]))
    assert made == [Group("7A", "Year 7A"), Group("7B", "Year 7B")]
    assert [hash(g) for g in made] == [hash(Group(g.key, g.name)) for g in made]
    assert all(type(g) is Group for g in made)
    with pytest.raises(FrozenInstanceError):
        made[0].name = "8A"  # type: ignore[misc]
    assert Group.many([], []) == []
    with pytest.raises(ValueError, match=r"Group\.many: name has 1 values"):
        Group.many(["7A", "7B"], ["Year 7A"])
