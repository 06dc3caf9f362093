"""Memberships: which person is in which group, the bulk of every roster.

A district has millions of them, so they are kept the way sources read them, targets
store them and the planner and digests compare them: as each group's member ids
(``Memberships``). They still behave as a set of ``Membership`` pairs, like a frozenset.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence, Set
from itertools import chain, repeat
from types import MappingProxyType
from typing import Any, NamedTuple


class Membership(NamedTuple):
    """A person (a student, usually) is a member of a group.

    A NamedTuple rather than a dataclass: districts have millions of these, and set
    arithmetic on them needs tuple's C-level hashing and equality.
    """

    group: str
    person: str


def memberships_of_pairs(pairs: Iterable[tuple[str, str]]) -> Iterator[Membership]:
    """``Membership``s made from (group, person) pairs by ``tuple.__new__``: no Python
    call per membership, for the millions of a district."""
    made: Iterator[Membership] = map(tuple.__new__, repeat(Membership), pairs)
    return made


def group_members(memberships: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Each group's member ids, in the order met (one pass; a district has millions)."""
    by_group: dict[str, list[str]] = {}
    for group, person in memberships:
        members = by_group.get(group)
        if members is None:
            by_group[group] = [person]
        else:
            members.append(person)
    return by_group


class Memberships(Set[Membership]):
    """An immutable set of memberships, kept as each group's member ids.

    It is a set of ``Membership`` like a frozenset: ``in``, ``len``, iteration,
    ``==`` with any set, and ``|``, ``&``, ``-``, ``^`` (which give frozensets). Building
    it from groups (``of_groups``) and reading it by group (``by_group``) cost no tuple
    per membership; the frozenset is made only if something asks a set question.
    """

    __slots__ = ("_by_group", "_len", "_set")

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._set: frozenset[Membership] | None = None
        self._adopt(group_members(pairs))

    @classmethod
    def of_groups(cls, by_group: Mapping[str, Iterable[str]]) -> Memberships:
        """The memberships of each group's member ids (repeats count once; groups
        without members are left out)."""
        made = cls.__new__(cls)
        made._set = None
        made._adopt(by_group)
        return made

    def _adopt(self, by_group: Mapping[str, Iterable[str]]) -> None:
        kept: dict[str, tuple[str, ...]] = {}
        size = 0
        for group, people in by_group.items():
            members = tuple(people)
            if len(set(members)) != len(members):
                members = tuple(dict.fromkeys(members))
            if members:
                kept[group] = members
                size += len(members)
        self._by_group: Mapping[str, tuple[str, ...]] = MappingProxyType(kept)
        self._len = size

    def by_group(self) -> Mapping[str, Sequence[str]]:
        """Each group's member ids, in the order they were given."""
        return self._by_group

    def frozen(self) -> frozenset[Membership]:
        """The same memberships as a frozenset (made once, on first use)."""
        if self._set is None:
            self._set = frozenset(iter(self))
        return self._set

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[Membership]:
        pairs = chain.from_iterable(zip(repeat(g), people) for g, people in self._by_group.items())
        return memberships_of_pairs(pairs)

    def __contains__(self, item: object) -> bool:
        return item in self.frozen()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Memberships):
            mine, theirs = self._by_group, other._by_group
            return (
                self._len == other._len
                and mine.keys() == theirs.keys()
                and all(set(people) == set(theirs[g]) for g, people in mine.items())
            )
        if isinstance(other, Set):
            return self._len == len(other) and all(m in other for m in self)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.frozen())

    @classmethod
    def _from_iterable(cls, it: Iterable[Any]) -> frozenset[Any]:
        return frozenset(it)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Memberships.of_groups, (dict(self._by_group),))

    def __repr__(self) -> str:
        return f"Memberships({len(self._by_group)} groups, {self._len} members)"


def members_by_group(memberships: Iterable[Membership]) -> Mapping[str, Sequence[str]]:
    """Each group's member ids: kept already by a ``Memberships``, else grouped in one pass."""
    if isinstance(memberships, Memberships):
        return memberships.by_group()
    return group_members(memberships)
