"""Who and what a sync knows: its sources' people and groups, read now, and the ids its
target holds. For commands that name people or groups (``show``, ``manual block``), not
for runs: nothing is recorded, and a source that cannot be read is only logged."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sync.config import Config, SyncConfig
from sync.errors import RostersyncError
from sync.merge import merge
from sync.model import Person, Role, Roster
from sync.plugins import PluginSystem
from sync.run import building
from sync.run.request import RunRequest
from sync.store import Store

log = logging.getLogger(__name__)


def known_roster(config: Config, plugins: PluginSystem, store: Store, sync: str) -> Roster:
    """The sync's sources merged (people with their names, groups), plus the groups and
    member and grantee ids of its target that no source defines (without names)."""
    _, sync_config = config.sync(sync)
    merged, _ = merge(list(_reads(config, plugins, store, sync, sync_config)))
    target = building.open_target(config, plugins, store, sync, RunRequest(dry_run=True))
    try:
        held = target.read().roster
    finally:
        target.close()
    people = dict(merged.people)
    groups = dict(merged.groups)
    for key, group in held.groups.items():
        groups.setdefault(key, group)
    members = {m.person for m in held.memberships}
    for person in _ids(held):
        if person not in people:
            role = Role.STUDENT if person in members else Role.STAFF
            people[person] = Person(person, role)
    return Roster.build(people=people.values(), groups=groups.values())


def _reads(
    config: Config, plugins: PluginSystem, store: Store, sync: str, sync_config: SyncConfig
) -> Iterable[tuple[str, Roster]]:
    request = RunRequest(dry_run=True)
    sources = building.open_sources(config, plugins, store, sync, sync_config, request)
    try:
        for name, source, _ in sources:
            try:
                yield name, source.read().roster
            except RostersyncError as exc:
                log.info("source %r could not be read, its people are not known: %s", name, exc)
    finally:
        for name, source, _ in sources:
            building.close_plugin(f"source {name!r}", source)


def _ids(roster: Roster) -> Iterable[str]:
    yield from (m.person for m in roster.memberships)
    yield from (g.principal for g in roster.grants)
    yield from roster.profiles
    yield from (b.staff for b in roster.blocks)
    yield from (b.student for b in roster.blocks)
