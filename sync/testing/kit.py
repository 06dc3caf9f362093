"""A plugin built exactly as a run builds it, and runs through the real engine.

``PluginKit`` writes a ``config.toml`` holding the plugin's table (as an admin would),
registers the plugin under test beside the kit's stand-ins (an in-memory target for a
source, a scripted source for a target), and builds the plugin with the engine's own
code: its registered ``SourceType``/``TargetType``, the options model, secrets resolved,
a context with staged state in a state database inside the kit's folder.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from sync.config import Config, load_config
from sync.contract import (
    PluginContext,
    PluginOptions,
    Source,
    SourceRead,
    SourceType,
    Target,
    TargetType,
)
from sync.hookspecs import hookimpl
from sync.model import Roster
from sync.plugins import PluginSystem, load_plugins
from sync.run import Engine, RunOutcome, RunRequest, building
from sync.store import StagedState, Store
from sync.testing.fakes import MemoryTarget, sample_roster

#: The kinds the kit's stand-ins register under.
KIT_TARGET = "kit_memory"
KIT_SOURCE = "kit_roster"


class KitSource:
    """The kit's source: reads ``stand_ins.roster``, or raises ``stand_ins.fail_read``."""

    def __init__(self, stand_ins: StandIns) -> None:
        self.stand_ins = stand_ins
        self.closed = False

    def read(self) -> SourceRead:
        if self.stand_ins.fail_read is not None:
            raise self.stand_ins.fail_read
        roster = self.stand_ins.roster
        return SourceRead(roster=roster, records=len(roster.people))

    def close(self) -> None:
        self.closed = True


@dataclass(eq=False)  # a plugin is told apart by identity
class StandIns:
    """The other end of a kit's sync: ``target`` (for a source under test) and ``roster``
    or ``fail_read`` (for a target under test). Replace them between runs at will."""

    target: MemoryTarget = field(default_factory=MemoryTarget)
    roster: Roster = field(default_factory=sample_roster)
    fail_read: Exception | None = None

    @hookimpl
    def register_targets(self, register: Callable[[TargetType[Any]], None]) -> None:
        register(TargetType(name=KIT_TARGET, options=PluginOptions, factory=self._target))

    @hookimpl
    def register_sources(self, register: Callable[[SourceType[Any]], None]) -> None:
        register(SourceType(name=KIT_SOURCE, options=PluginOptions, factory=self._source))

    def _target(self, options: PluginOptions, context: PluginContext) -> MemoryTarget:
        return self.target

    def _source(self, options: PluginOptions, context: PluginContext) -> KitSource:
        return KitSource(self)


def toml_table(table: Mapping[str, Any]) -> str:
    """A plugin's table as the lines of ``config.toml`` (strings, numbers, booleans,
    lists and inline tables such as ``{ env = "TOKEN" }``)."""
    return "".join(f"{key} = {_toml_value(value)}\n" for key, value in table.items())


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str | Path):
        return json.dumps(str(value))  # a JSON string is a TOML basic string
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, Iterable):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} into config.toml")


@dataclass
class PluginKit:
    """One source or one target, configured by a table of ``config.toml`` and built as a
    run builds it. Make one with ``for_source`` or ``for_target``."""

    directory: Path
    kind: str
    """``source`` or ``target``: which one is under test."""
    name: str
    stand_ins: StandIns
    plugins: PluginSystem
    sync: str = "default"

    @classmethod
    def for_source(
        cls,
        directory: Path,
        table: Mapping[str, Any] | str,
        *,
        plugins: Iterable[object] = (),
        name: str = "school",
        state_url: str | None = None,
    ) -> PluginKit:
        """A kit for the source configured by ``table`` (which names its ``plugin``),
        syncing into an in-memory target. ``plugins``: the modules (or objects) with your
        hook implementations, registered as an installed package's would be."""
        return cls._make(directory, "source", name, table, plugins, state_url)

    @classmethod
    def for_target(
        cls,
        directory: Path,
        table: Mapping[str, Any] | str,
        *,
        plugins: Iterable[object] = (),
        name: str = "console",
        state_url: str | None = None,
    ) -> PluginKit:
        """A kit for the target configured by ``table``, fed by a scripted source."""
        return cls._make(directory, "target", name, table, plugins, state_url)

    @classmethod
    def _make(
        cls,
        directory: Path,
        kind: str,
        name: str,
        table: Mapping[str, Any] | str,
        plugins: Iterable[object],
        state_url: str | None,
    ) -> PluginKit:
        stand_ins = StandIns()
        system = load_plugins(entry_points=False, extra=[*plugins, stand_ins])
        if system.failures:
            raise AssertionError(f"the plugin did not load: {system.failures[0]}")
        body = table if isinstance(table, str) else toml_table(table)
        source, target = (name, "kit") if kind == "source" else ("kit", name)
        source_body = body if kind == "source" else f'plugin = "{KIT_SOURCE}"\n'
        target_body = body if kind == "target" else f'plugin = "{KIT_TARGET}"\n'
        url = state_url or f"sqlite:///{directory / 'state.db'}"
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "config.toml").write_text(
            f"[state]\nurl = {json.dumps(url)}\n\n"
            f'[sync]\nsources = ["{source}"]\ntarget = "{target}"\n'
            "retry_wait_seconds = 0\napply_attempts = 2\n\n"
            f"[sources.{source}]\n{source_body}\n[targets.{target}]\n{target_body}",
            encoding="utf-8",
        )
        return cls(directory, kind, name, stand_ins, system)

    # -- what a run works on ------------------------------------------------
    @property
    def config(self) -> Config:
        """``config.toml`` as the engine reads it (read again each time: edit it freely)."""
        return load_config(self.directory / "config.toml")

    @cached_property
    def store(self) -> Store:
        return Store(self.config.state_url)

    def engine(self) -> Engine:
        return Engine(self.config, self.plugins, self.store)

    def run(self, *, dry_run: bool = False) -> RunOutcome:
        """One run of the kit's sync through the real engine."""
        return self.engine().run(self.sync, RunRequest(dry_run=dry_run))

    # -- the plugin, built as a run builds it -------------------------------
    def source(self) -> Source:
        return self.source_with_state()[0]

    def source_with_state(self) -> tuple[Source, StagedState]:
        """The source under test and the staged state it writes to."""
        assert self.kind == "source", "a target kit has no source under test"
        config = self.config
        _, sync_config = config.sync(self.sync)
        [(_, source, state)] = building.open_sources(
            config, self.plugins, self.store, self.sync, sync_config, RunRequest()
        )
        return source, state

    def target(self) -> Target:
        return self.target_with_state()[0]

    def target_with_state(self) -> tuple[Target, StagedState]:
        """The target under test and the staged state it writes to."""
        assert self.kind == "target", "a source kit has no target under test"
        return building.build_target(self.config, self.plugins, self.store, self.sync, RunRequest())

    def stored_state(self) -> dict[str, Any]:
        """The plugin's state as saved in the store (what its next run will ``get``)."""
        return self.store.plugin_state(self.sync, f"{self.kind}:{self.name}")

    # -- what was written ---------------------------------------------------
    def snapshot(self, *, engine_tables: bool = True) -> dict[str, Any]:
        """Every row of every database the kit's folder holds (and of the state database),
        and a digest of every other file: equal snapshots mean nothing was written.
        Schemas are left out (a dry run may create them; see docs/plugins.md), and so
        are the engine's ``rs_`` tables when ``engine_tables`` is false."""
        found: dict[str, Any] = {}
        urls = {self.config.state_url}
        for path in sorted(self.directory.rglob("*")):
            if not path.is_file() or path.name.endswith(("-wal", "-shm", "-journal")):
                continue
            if path.suffix == ".db":
                urls.add(f"sqlite:///{path}")
            else:
                found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
        for url in sorted(urls):
            found.update(_rows(url, engine_tables=engine_tables))
        return found


def _rows(url: str, *, engine_tables: bool) -> dict[str, list[str]]:
    """Each non-empty table of the database at ``url`` -> its rows, sorted."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as c:
            tables: dict[str, list[str]] = {}
            for name in sa.inspect(c).get_table_names():
                if name.endswith("alembic_version") or (
                    not engine_tables and name.startswith("rs_")
                ):
                    continue
                table = sa.Table(name, sa.MetaData(), autoload_with=c)
                rows = sorted(repr(tuple(row)) for row in c.execute(sa.select(table)))
                if rows:
                    tables[f"{url} {name}"] = rows
            return tables
    finally:
        engine.dispose()
