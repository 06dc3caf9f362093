"""Memberships kept by group behave exactly as the frozenset of the same pairs."""

from __future__ import annotations

import pickle

from hypothesis import given
from hypothesis import strategies as st

from sync.model import Membership, Memberships, Roster

ids = st.sampled_from(["7A", "7B", "8C", "ron", "harry", "hermione", ""])
pairs = st.lists(st.tuples(ids, ids), max_size=30)


@given(pairs, pairs)
def test_it_is_the_frozenset_of_its_pairs(
    left: list[tuple[str, str]], right: list[tuple[str, str]]
) -> None:
    kept, other = Memberships(left), Memberships(right)
    plain, other_plain = (
        frozenset(map(Membership._make, left)),
        frozenset(map(Membership._make, right)),
    )
    assert kept == plain and plain == kept
    assert (kept == other) == (plain == other_plain)
    assert (kept != other_plain) == (plain != other_plain)
    assert len(kept) == len(plain)
    assert sorted(kept) == sorted(plain)
    assert all(isinstance(m, Membership) for m in kept)
    assert kept | other == plain | other_plain
    assert kept - other_plain == plain - other_plain
    assert other_plain - kept == other_plain - plain
    assert kept & other == plain & other_plain
    assert (kept <= other) == (plain <= other_plain)
    assert hash(kept) == hash(plain)
    assert all((m in kept) for m in plain)
    assert pickle.loads(pickle.dumps(kept)) == plain


@given(st.dictionaries(ids, st.lists(ids, max_size=6), max_size=4))
def test_built_from_groups_it_counts_a_repeat_once_and_drops_empty_groups(
    by_group: dict[str, list[str]],
) -> None:
    kept = Memberships.of_groups(by_group)
    expected = {(g, p) for g, people in by_group.items() for p in people}
    assert kept == frozenset(map(Membership._make, expected))
    assert {g: set(people) for g, people in kept.by_group().items()} == {
        g: set(people) for g, people in by_group.items() if people
    }


def test_a_roster_keeps_its_memberships_by_group() -> None:
    roster = Roster.build(memberships=[Membership("7A", "ron"), Membership("7A", "harry")])
    assert isinstance(roster.memberships, Memberships)
    assert sorted(roster.members_by_group()["7A"]) == ["harry", "ron"]
    assert Membership("7A", "ron") in roster.memberships
    assert roster.memberships == {Membership("7A", "harry"), Membership("7A", "ron")}
