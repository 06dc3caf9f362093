"""Member digests: a function of the member set alone."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sync.digest import digest_members, member_digests
from sync.model import Membership

names = st.text(min_size=1, max_size=8).filter(lambda s: "\n" not in s)


@given(st.sets(names, max_size=20), st.randoms(use_true_random=False))
def test_the_digest_depends_on_the_set_not_the_order(people: set[str], rnd: object) -> None:
    shuffled = list(people)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert digest_members(shuffled) == digest_members(sorted(people))


@given(st.sets(names, max_size=10), st.sets(names, max_size=10))
def test_different_sets_have_different_digests(a: set[str], b: set[str]) -> None:
    assert (digest_members(a) == digest_members(b)) == (a == b)


def test_ids_that_cannot_be_told_apart_give_no_digest() -> None:
    assert digest_members(["a\nb"]) is None
    assert digest_members(["", "x"]) is None
    assert digest_members([]) is not None


def test_member_digests_covers_the_groups_asked_for_and_no_others() -> None:
    memberships = [Membership("7A", "ron"), Membership("7A", "harry"), Membership("7B", "x")]
    found = member_digests(["7A", "7C"], memberships)
    assert found == {"7A": digest_members(["harry", "ron"]), "7C": digest_members([])}
