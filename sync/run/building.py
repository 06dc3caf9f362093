"""Building a run's plugins: options validated, a context each, sources and target opened."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from pydantic import ValidationError

from sync.config import (
    Config,
    PluginTable,
    SyncConfig,
    describe_validation_error,
    resolve_secrets,
)
from sync.contract import PluginContext, Source, Target
from sync.errors import ConfigError
from sync.plugins import PluginSystem
from sync.run.request import RunRequest
from sync.store import StagedState, Store

log = logging.getLogger(__name__)


def plugin_options(config: Config, table: PluginTable, model: type[Any]) -> Any:
    """A plugin table's options, secrets resolved and validated against ``model``."""
    options = resolve_secrets(dict(table.options), table=table.where, path=config.path)
    try:
        return model.model_validate(options)
    except ValidationError as exc:
        raise ConfigError(
            f"{config.path}: {describe_validation_error(exc, table=table.where)}"
        ) from None


def plugin_context(
    config: Config, sync: str, table: PluginTable, state: StagedState, request: RunRequest
) -> PluginContext:
    """What a plugin is told about the run it is built for."""
    return PluginContext(
        name=table.name,
        sync=sync,
        config_dir=config.directory,
        state_url=config.state_url,
        state=state,
        dry_run=request.dry_run,
        progress=request.progress,
    )


def check_options(config: Config, plugins: PluginSystem, sync_config: SyncConfig) -> None:
    """Validate the options of the sync's target and sources with their options models
    alone, building nothing (``ConfigError`` naming the table and key)."""
    target = config.targets[sync_config.target]
    plugin_options(
        config,
        target,
        plugins.target_type(target.plugin, where=f"{config.path}: {target.where}").options,
    )
    for name in sync_config.sources:
        table = config.sources[name]
        kind = plugins.source_type(table.plugin, where=f"{config.path}: {table.where}")
        plugin_options(config, table, kind.options)


def build_target(
    config: Config, plugins: PluginSystem, store: Store, sync: str, request: RunRequest
) -> tuple[Target, StagedState]:
    """The sync's target, built from its table, and the staged state it writes to."""
    _, sync_config = config.sync(sync)
    table = config.targets[sync_config.target]
    kind = plugins.target_type(table.plugin, where=f"{config.path}: {table.where}")
    state = StagedState(partial(store.plugin_state, sync, f"target:{table.name}"))
    target = kind.factory(
        plugin_options(config, table, kind.options),
        plugin_context(config, sync, table, state, request),
    )
    return target, state


def open_target(
    config: Config, plugins: PluginSystem, store: Store, sync: str, request: RunRequest
) -> Target:
    """The sync's target, built from its table (to read it, as ``show`` does)."""
    return build_target(config, plugins, store, sync, request)[0]


def open_sources(
    config: Config,
    plugins: PluginSystem,
    store: Store,
    sync: str,
    sync_config: SyncConfig,
    request: RunRequest,
) -> list[tuple[str, Source, StagedState]]:
    """Each source of the sync, by name, with the staged state it writes to. If one
    cannot be built, those built before it are closed and the error raised."""
    built: list[tuple[str, Source, StagedState]] = []
    try:
        for name in sync_config.sources:
            table = config.sources[name]
            kind = plugins.source_type(table.plugin, where=f"{config.path}: {table.where}")
            state = StagedState(partial(store.plugin_state, sync, f"source:{name}"))
            options = plugin_options(config, table, kind.options)
            source = kind.factory(options, plugin_context(config, sync, table, state, request))
            built.append((name, source, state))
    except BaseException:
        for name, source, _ in built:
            close_plugin(f"source {name!r}", source)
        raise
    return built


def close_plugin(what: str, plugin: Source | Target) -> None:
    """``plugin.close()``; a failure is logged and never changes the run."""
    try:
        plugin.close()
    except Exception:
        log.exception("closing %s failed", what)
