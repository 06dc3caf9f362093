"""Fakes for plugin tests: a state bag, a context, a sample roster, an in-memory target."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sync.contract import (
    CAPABILITY_ACCESS,
    PluginContext,
    Target,
)
from sync.digest import read_target
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


@dataclass
class MemoryTarget:
    """An in-memory target with a script of faults and a history of calls.

    ``fail_read`` is raised by every ``read``. ``fail_calls`` maps a call number
    (1-based) of ``apply`` to the error it raises before changing anything;
    ``raise_for`` gives per change the error a batch holding it raises (before changing
    anything); ``reject`` decides per change whether it is refused for good.
    """

    capabilities: frozenset[str] = frozenset({CAPABILITY_ACCESS})
    groups: dict[str, str] = field(default_factory=dict)
    managed: set[str] = field(default_factory=set)
    members: set[tuple[str, str]] = field(default_factory=set)
    grants: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    fail_calls: dict[int, Exception] = field(default_factory=dict)
    raise_for: Callable[[Change], Exception | None] = field(default=lambda change: None)
    fail_read: Exception | None = None
    reject: Callable[[Change], str | None] = field(default=lambda change: None)
    calls: list[list[Change]] = field(default_factory=list)
    reads: int = 0

    def read(self) -> TargetState:
        self.reads += 1
        if self.fail_read is not None:
            raise self.fail_read
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
