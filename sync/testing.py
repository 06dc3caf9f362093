"""A test kit for plugin authors: contract suites, a context, and fakes.

Subclass ``SourceContract`` or ``TargetContract`` in your plugin's tests and provide
the fixtures they name; every built-in source and target passes them::

    class TestMySource(SourceContract):
        @pytest.fixture
        def source(self, tmp_path):
            return MySource(MyOptions(...), make_context(tmp_path))
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from sync.contract import (
    CAPABILITY_ACCESS,
    CAPABILITY_MEMBER_DIGESTS,
    DigestTarget,
    PluginContext,
    Source,
    SourceRead,
    Target,
)
from sync.digest import member_digests, read_target
from sync.errors import RetriableError
from sync.model import (
    AccessGrant,
    Change,
    ChangeFailure,
    ChangeKind,
    Group,
    Membership,
    Person,
    Role,
    Roster,
    TargetState,
)
from sync.plan import make_plan


class MemoryState:
    """A ``StateBag`` held in memory; ``put`` takes effect at once."""

    def __init__(self, values: dict[str, Any] | None = None) -> None:
        self.values: dict[str, Any] = dict(values or {})

    def get(self, key: str) -> Any:
        return copy.deepcopy(self.values.get(key))  # the caller's own copy, as in a run

    def put(self, key: str, value: Any) -> None:
        self.values[key] = value


def make_context(
    directory: Path,
    *,
    name: str = "test",
    sync: str = "default",
    state_url: str | None = None,
    state: MemoryState | None = None,
) -> PluginContext:
    """A plugin context rooted at ``directory`` with a SQLite state database inside it."""
    return PluginContext(
        name=name,
        sync=sync,
        config_dir=directory,
        state_url=state_url or f"sqlite:///{directory / 'state.db'}",
        state=state if state is not None else MemoryState(),
    )


def sample_roster() -> Roster:
    """The Impero seed's example as a roster: four groups, two students, four teachers."""
    students = {
        "Harry_Potter": ["Potions", "Dark Arts", "Flying"],
        "Ron_Weasley": ["Potions", "Muggle Studies"],
    }
    teachers = {
        "Charity_Burbage": ["Muggle Studies"],
        "Amycus_Carrow": ["Dark Arts"],
        "Rolanda_Hooch": ["Flying"],
        "Severus_Snape": ["Potions", "Dark Arts"],
    }
    people = [Person(s, Role.STUDENT) for s in students] + [
        Person(t, Role.TEACHER) for t in teachers
    ]
    classes = sorted({c for cs in students.values() for c in cs})
    return Roster.build(
        people,
        [Group(c, c) for c in classes],
        [Membership(c, s) for s, cs in students.items() for c in cs],
        [AccessGrant(c, t) for t, cs in teachers.items() for c in cs],
    )


def sync_into(target: Target, desired: Roster) -> list[ChangeFailure]:
    """Plan against the target's current state, read as the engine reads it, and apply
    every change, in order."""
    plan = make_plan(desired, read_target(target, desired), capabilities=target.capabilities)
    failures: list[ChangeFailure] = []
    for kind in ChangeKind:
        batch = [c for c in plan.changes if c.kind is kind]
        if batch:
            failures.extend(target.apply(batch))
    return failures


class SourceContract:
    """What every source must do. Provide a ``source`` fixture: a source ready to read."""

    def test_read_returns_a_source_read(self, source: Source) -> None:
        read = source.read()
        assert isinstance(read, SourceRead)
        assert isinstance(read.roster, Roster)

    def test_memberships_and_grants_name_defined_groups(self, source: Source) -> None:
        roster = source.read().roster
        for m in roster.memberships:
            assert m.group in roster.groups, f"membership {m} names an undefined group"
        for g in roster.grants:
            assert g.group in roster.groups, f"grant {g} names an undefined group"

    def test_people_are_keyed_by_their_id(self, source: Source) -> None:
        roster = source.read().roster
        for key, person in roster.people.items():
            assert key == person.id and person.id.strip() == person.id and person.id

    def test_groups_are_keyed_and_named(self, source: Source) -> None:
        for key, group in source.read().roster.groups.items():
            assert key == group.key and group.name

    def test_reading_twice_gives_the_same_roster(self, source: Source) -> None:
        first, second = source.read().roster, source.read().roster
        assert first == second

    def test_counts_are_consistent(self, source: Source) -> None:
        read = source.read()
        assert 0 <= read.rejected <= max(read.records, read.rejected)


class TargetContract:
    """What every target must do. Provide ``target`` (a fresh, empty target) and
    ``hand_made_group`` (a callable ``(key, name, members)`` that makes a group the way an
    admin would, outside rostersync)."""

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
        self, target: Target, hand_made_group: Callable[[str, str, Sequence[str]], None]
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
        self, target: Target, hand_made_group: Callable[[str, str, Sequence[str]], None]
    ) -> None:
        hand_made_group("Staff Room", "Staff Room", [])
        failures = target.apply(
            [Change(ChangeKind.ADD_MEMBER, "Staff Room", person="Harry_Potter")]
        )
        assert [f.change.person for f in failures] == ["Harry_Potter"]
        assert Membership("Staff Room", "Harry_Potter") not in target.read().roster.memberships


@dataclass
class MemoryTarget:
    """An in-memory target with a script of faults and a history of calls.

    ``fail_calls`` maps a call number (1-based) of ``apply`` to the error it raises
    before changing anything; ``raise_for`` gives per change the error a batch holding it
    raises (before changing anything); ``reject`` decides per change whether it is refused
    for good.
    """

    capabilities: frozenset[str] = frozenset({CAPABILITY_ACCESS})
    groups: dict[str, str] = field(default_factory=dict)
    managed: set[str] = field(default_factory=set)
    members: set[tuple[str, str]] = field(default_factory=set)
    grants: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    fail_calls: dict[int, Exception] = field(default_factory=dict)
    raise_for: Callable[[Change], Exception | None] = field(default=lambda change: None)
    reject: Callable[[Change], str | None] = field(default=lambda change: None)
    calls: list[list[Change]] = field(default_factory=list)
    reads: int = 0

    def read(self) -> TargetState:
        self.reads += 1
        return TargetState(
            roster=Roster.build(
                groups=[Group(k, n) for k, n in self.groups.items()],
                memberships=[Membership(g, p) for g, p in self.members],
                grants=[AccessGrant(g, p, o) for (g, p), o in self.grants.items()],
            ),
            managed=frozenset(self.managed),
            managed_grants=frozenset(k for k in self.grants if k[0] in self.managed),
        )

    def apply(self, changes: Sequence[Change]) -> list[ChangeFailure]:
        self.calls.append(list(changes))
        error = self.fail_calls.get(len(self.calls))
        if error is not None:
            raise error
        for change in changes:
            error = self.raise_for(change)
            if error is not None:
                raise error
        failures = []
        for change in changes:
            reason = self.reject(change)
            if (
                reason is None
                and change.kind is not ChangeKind.CREATE_GROUP
                and change.group not in self.managed
            ):
                reason = "the group is not managed by rostersync"
            if reason is not None:
                failures.append(ChangeFailure(change, reason))
                continue
            self._apply_one(change)
        return failures

    def _apply_one(self, change: Change) -> None:
        kind, key = change.kind, change.group
        if kind is ChangeKind.CREATE_GROUP:
            self.groups[key] = change.name
            self.managed.add(key)
        elif kind is ChangeKind.RENAME_GROUP:
            self.groups[key] = change.name
        elif kind is ChangeKind.ADD_MEMBER:
            self.members.add((key, change.person))
        elif kind is ChangeKind.REMOVE_MEMBER:
            self.members.discard((key, change.person))
        elif kind in (ChangeKind.GRANT_ACCESS, ChangeKind.UPDATE_ACCESS):
            self.grants[(key, change.person)] = change.options
        elif kind is ChangeKind.REVOKE_ACCESS:
            self.grants.pop((key, change.person), None)
        elif kind is ChangeKind.DELETE_GROUP:
            self.groups.pop(key, None)
            self.managed.discard(key)
            self.members = {m for m in self.members if m[0] != key}
            self.grants = {k: v for k, v in self.grants.items() if k[0] != key}

    def close(self) -> None:
        pass


def flaky(error_after: int, message: str = "503 Service Unavailable") -> dict[int, Exception]:
    """A ``fail_calls`` script: the ``error_after``-th apply call fails once, retriably."""
    return {error_after: RetriableError(message)}
