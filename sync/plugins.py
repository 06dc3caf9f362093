"""The one plugin manager: built-ins and entry points registered the same way."""

from __future__ import annotations

import difflib
import importlib
import logging
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pluggy

from sync import hookspecs
from sync.contract import SourceType, TargetType
from sync.errors import ConfigError

log = logging.getLogger(__name__)

#: Built-in plugins: ordinary hookimpl modules, loaded by name like any other.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "plugins.impero_csv",
    "plugins.directory",
    "plugins.clever",
    "plugins.roster_csv",
    "plugins.manual",
    "plugins.scim",
    "plugins.webhook",
    "plugins.mail",
)

#: The entry-point group third-party packages declare their plugin module in.
ENTRY_POINT_GROUP = "rostersync"

BUILT_IN = "built-in"


@dataclass
class PluginSystem:
    """The loaded plugins and the source and target kinds they registered."""

    manager: pluggy.PluginManager
    sources: dict[str, SourceType[Any]] = field(default_factory=dict)
    targets: dict[str, TargetType[Any]] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def source_type(self, name: str, *, where: str = "") -> SourceType[Any]:
        """The source kind ``name``; ``where`` (file and table) is named if it is unknown."""
        try:
            return self.sources[name]
        except KeyError:
            raise ConfigError(_unknown("source", name, self.sources, where)) from None

    def target_type(self, name: str, *, where: str = "") -> TargetType[Any]:
        """The target kind ``name``; ``where`` (file and table) is named if it is unknown."""
        try:
            return self.targets[name]
        except KeyError:
            raise ConfigError(_unknown("target", name, self.targets, where)) from None


def _unknown(kind: str, name: str, known: Iterable[str], where: str) -> str:
    names = sorted(known)
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    prefix = f"{where} plugin: " if where else ""
    return f"{prefix}unknown {kind} plugin {name!r}; {hint}available: {', '.join(names)}"


def _plugin_origin(manager: pluggy.PluginManager, plugin: object) -> str:
    for loaded, dist in manager.list_plugin_distinfo():
        if loaded is plugin:
            return f"{dist.project_name} {dist.version}"
    return BUILT_IN


def load_plugins(*, entry_points: bool | None = None, extra: Iterable[object] = ()) -> PluginSystem:
    """Register the built-ins, then third-party entry points, then ``extra`` modules.

    ``entry_points=None`` scans installed packages except inside the test suite
    (which sets ``sys._called_from_test``), so tests only see plugins they ask for.
    """
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    for module_name in DEFAULT_PLUGINS:
        manager.register(importlib.import_module(module_name), name=module_name)
    system = PluginSystem(manager=manager)
    if entry_points is None:
        entry_points = not getattr(sys, "_called_from_test", False)
    if entry_points:
        try:
            manager.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        except Exception as exc:  # a broken third-party package must not stop the others
            log.error("could not load a rostersync plugin: %s", exc)
            system.failures.append(str(exc))
    for plugin in extra:
        manager.register(plugin)

    def registrar(kind: str, table: dict[str, Any], plugin: object) -> Any:
        def register(item: Any) -> None:
            if item.name in table:
                first = system.origins[f"{kind}:{item.name}"]
                raise ConfigError(
                    f"two plugins register the {kind} {item.name!r}: "
                    f"{first} and {manager.get_name(plugin)}"
                )
            table[item.name] = item
            origin = _plugin_origin(manager, plugin)
            system.origins[f"{kind}:{item.name}"] = (
                f"{manager.get_name(plugin)} ({origin})" if origin != BUILT_IN else BUILT_IN
            )

        return register

    # Call each implementation on its own so every registration knows where it came from.
    for hook_caller, kind, table in (
        (manager.hook.register_sources, "source", system.sources),
        (manager.hook.register_targets, "target", system.targets),
    ):
        for impl in hook_caller.get_hookimpls():
            impl.function(register=registrar(kind, table, impl.plugin))
    return system
