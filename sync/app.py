"""What every command works on: the configuration, the plugins, the store and the engine.

Loaded lazily, so ``rostersync plugins`` works without a configuration file. Plugin
commands receive the ``App`` through ``click.pass_obj``, seen through its public face
``sync.api.CommandContext``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sync.plugins import PluginSystem, load_plugins
from sync.storage import database_url

if TYPE_CHECKING:  # imported when first used: commands that need neither start fast
    from sync.command_context import CommandContext, PluginKind
    from sync.config import Config, PluginTable
    from sync.model import Roster
    from sync.run import Engine
    from sync.store import Store


@dataclass
class App:
    config_path: str | None = None
    sync_name: str | None = None
    plugins: PluginSystem = field(default_factory=load_plugins)

    @cached_property
    def config(self) -> Config:
        from sync.config import load_config  # pydantic: not for ``plugins`` or ``--help``

        config = load_config(self.config_path)
        for table in config.sources.values():  # every command: not first at the next run
            self.plugins.source_type(table.plugin, where=f"{config.path}: {table.where}")
        for table in config.targets.values():
            self.plugins.target_type(table.plugin, where=f"{config.path}: {table.where}")
        return config

    @cached_property
    def store(self) -> Store:
        from sync.store import Store

        return Store(self.config.state_url)

    @cached_property
    def engine(self) -> Engine:
        from sync.run import Engine

        return Engine(self.config, self.plugins, self.store)

    @property
    def sync(self) -> str:
        """The sync the user chose with --sync, or the only one configured."""
        return self.config.sync(self.sync_name)[0]

    # -- sync.api.CommandContext ------------------------------------------------
    @property
    def config_file(self) -> Path:
        return self.config.path

    def plugin_tables(self, kind: PluginKind, plugin: str) -> dict[str, PluginTable]:
        tables = self.config.sources if kind == "source" else self.config.targets
        return {name: table for name, table in tables.items() if table.plugin == plugin}

    def target_table(self) -> PluginTable:
        _, sync = self.config.sync(self.sync_name)
        return self.config.targets[sync.target]

    def plugin_options(self, kind: PluginKind, table_name: str) -> Any:
        if kind == "source":
            table = self.config.sources[table_name]
            model = self.plugins.source_type(table.plugin).options
        else:
            table = self.config.targets[table_name]
            model = self.plugins.target_type(table.plugin).options
        return self.engine.plugin_options(table, model)

    def known(self) -> Roster:
        return self.engine.known(self.sync)

    def syncs_reading(self, source_table: str) -> list[str]:
        return [name for name, sync in self.config.syncs.items() if source_table in sync.sources]

    def database(self, url: str | None) -> str:
        return database_url(url, self.config.directory) if url else self.config.state_url


if TYPE_CHECKING:  # plugin commands get the App as their CommandContext: mypy checks it is one

    def _as_command_context(app: App) -> CommandContext:
        return app
