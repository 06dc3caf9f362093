"""What every command works on: the configuration, the plugins, the store and the engine.

Loaded lazily, so ``rostersync plugins`` works without a configuration file. Plugin
commands receive the ``App`` through ``click.pass_obj``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from sync.config import Config, load_config
from sync.plugins import PluginSystem, load_plugins
from sync.run import Engine
from sync.store import Store


@dataclass
class App:
    config_path: str | None = None
    sync_name: str | None = None
    plugins: PluginSystem = field(default_factory=load_plugins)

    @cached_property
    def config(self) -> Config:
        return load_config(self.config_path)

    @cached_property
    def store(self) -> Store:
        return Store(self.config.state_url)

    @cached_property
    def engine(self) -> Engine:
        return Engine(self.config, self.plugins, self.store)

    @property
    def sync(self) -> str:
        """The sync the user chose with --sync, or the only one configured."""
        return self.config.sync(self.sync_name)[0]
