"""The one plugin manager: built-ins and entry points registered the same way.

Each entry point is loaded on its own, and each hook is called through pluggy once per
implementing plugin, guarded: a package that fails to import, or whose hook raises, is
recorded in ``PluginSystem.failures`` (``rostersync plugins`` lists them) and every
other plugin still works.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import logging
import sys
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import click
import pluggy

from sync import hookspecs
from sync.errors import ConfigError
from sync.kinds import SourceType, TargetType
from sync.web_pages import WebPages

log = logging.getLogger(__name__)

#: Built-in plugins: ordinary hookimpl modules, loaded by name like any other. Each is a
#: small module that names its plugin's kinds and commands (``plugins.hooks``): every
#: command imports them, so the plugins' own packages load only when used.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "plugins.hooks.impero_csv",
    "plugins.hooks.directory",
    "plugins.hooks.clever",
    "plugins.hooks.roster_csv",
    "plugins.hooks.manual",
    "plugins.hooks.permissions",
    "plugins.hooks.scim",
    "plugins.hooks.webhook",
    "plugins.hooks.mail",
    "plugins.hooks.oneroster",
    "plugins.hooks.sds",
    "plugins.hooks.ldap",
)

#: The entry-point group third-party packages declare their plugin module in.
ENTRY_POINT_GROUP = "rostersync"

BUILT_IN = "built-in"

#: Who added each command of a command line: ``rostersync`` for its own commands.
_command_owners: weakref.WeakKeyDictionary[click.Group, dict[str, str]] = (
    weakref.WeakKeyDictionary()
)


@dataclass(frozen=True)
class PluginFailure:
    """A plugin that could not be loaded, or one of whose hooks raised."""

    plugin: str
    """The entry point's name (or the module's, for a built-in)."""
    package: str
    """The distribution and version it came from, or ``built-in``."""
    stage: str
    """``import``, ``register``, or the name of the hook that failed."""
    error: str

    def __str__(self) -> str:
        return f"{self.plugin} ({self.package}): {self.stage}: {self.error}"

    def row(self) -> dict[str, str]:
        """As ``rostersync plugins --json`` lists it, beside the kinds that loaded."""
        return {
            "kind": "failed",
            "name": self.plugin,
            "origin": self.package,
            "description": f"{self.stage}: {self.error}",
            "stage": self.stage,
            "error": self.error,
        }


@dataclass
class PluginSystem:
    """The loaded plugins and the source and target kinds they registered."""

    manager: pluggy.PluginManager
    sources: dict[str, SourceType[Any]] = field(default_factory=dict)
    targets: dict[str, TargetType[Any]] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    failures: list[PluginFailure] = field(default_factory=list)
    packages: dict[str, str] = field(default_factory=dict)
    """Plugin name (as registered with pluggy) -> ``distribution version``."""
    web_pages: dict[str, WebPages] = field(default_factory=dict)
    """Console pages by the prefix they are mounted under (``register_web_pages``)."""
    web_owners: dict[str, object] = field(default_factory=dict)
    """Prefix -> the plugin that registered those pages."""

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

    def label(self, plugin: object) -> str:
        """The plugin's name: its entry point's, a built-in's module, or its own name."""
        name = self.manager.get_name(plugin) or ""
        if name.isdigit():  # registered without a name (``extra``): pluggy used its id
            return str(getattr(plugin, "__name__", None) or type(plugin).__name__)
        return name

    def package(self, plugin: object) -> str:
        return self.packages.get(self.manager.get_name(plugin) or "", BUILT_IN)

    def owner(self, plugin: object) -> str:
        """The plugin and its package, as errors name them: ``json_source (pkg 1.0)``."""
        return f"{self.label(plugin)} ({self.package(plugin)})"

    def origin(self, plugin: object) -> str:
        package = self.package(plugin)
        return BUILT_IN if package == BUILT_IN else f"{self.label(plugin)} ({package})"

    # -- calling hooks ------------------------------------------------------
    def call_each(self, hook: str, **arguments: Any) -> list[PluginFailure]:
        """Call ``hook`` through pluggy with ``arguments``, once per implementing plugin;
        a plugin whose implementation raises is logged, the others still run, and the
        failures are returned (not kept: this is for hooks called at run time)."""
        failures = [self.call_one(plugin, hook, arguments) for plugin in self.implementers(hook)]
        return [failure for failure in failures if failure is not None]

    def implementers(self, hook: str) -> list[object]:
        return [impl.plugin for impl in getattr(self.manager.hook, hook).get_hookimpls()]

    def call_one(
        self, plugin: object, hook: str, arguments: dict[str, Any]
    ) -> PluginFailure | None:
        """Call ``plugin``'s implementation of ``hook`` alone, through pluggy (a subset
        hook caller); the failure, logged, if it raised."""
        others = [p for p in self.implementers(hook) if p is not plugin]
        try:
            self.manager.subset_hook_caller(hook, remove_plugins=others)(**arguments)
        except Exception as exc:
            return self.failure(self.label(plugin), self.package(plugin), hook, exc)
        return None

    def _call_kept(self, plugin: object, hook: str, arguments: dict[str, Any]) -> bool:
        failure = self.call_one(plugin, hook, arguments)
        if failure is not None:
            self.failures.append(failure)
        return failure is None

    def _refuse(self, plugin: object, stage: str, reason: str) -> None:
        self.failures.append(self.failure(self.label(plugin), self.package(plugin), stage, reason))

    @staticmethod
    def failure(plugin: str, package: str, stage: str, error: Exception | str) -> PluginFailure:
        """A failure of ``plugin``, logged (with its traceback for an exception)."""
        text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        failure = PluginFailure(plugin, package, stage, text)
        log.error("rostersync plugin %s", failure, exc_info=not isinstance(error, str))
        return failure

    # -- loading ------------------------------------------------------------
    def load_entry_point(self, entry_point: importlib.metadata.EntryPoint) -> None:
        name = entry_point.name
        dist = entry_point.dist
        package = f"{dist.name} {dist.version}" if dist is not None else "unknown package"
        if self.manager.get_plugin(name) is not None or self.manager.is_blocked(name):
            return
        try:
            plugin = entry_point.load()
        except Exception as exc:
            self.failures.append(self.failure(name, package, "import", exc))
            return
        if self.register(plugin, name=name, package=package):
            self.packages[name] = package

    def register(self, plugin: object, *, name: str | None = None, package: str = BUILT_IN) -> bool:
        """Register ``plugin`` with pluggy; False (and a failure recorded) if refused."""
        label = name or str(getattr(plugin, "__name__", None) or type(plugin).__name__)
        try:
            hash(plugin)  # each plugin's hooks are called on their own (``call_one``)
        except TypeError:
            reason = "a plugin must be hashable: a module, or an object compared by identity"
            self.failures.append(self.failure(label, package, "register", reason))
            return False
        try:
            self.manager.register(plugin, name=name)
        except Exception as exc:  # pluggy refuses a hook it does not know, or a bad signature
            self.failures.append(self.failure(label, package, "register", exc))
            return False
        return True

    def register_kinds(self) -> None:
        """Collect every plugin's sources and targets; a name taken is refused."""
        owners: dict[str, str] = {}
        for hook, kind, table in (
            ("register_sources", "source", self.sources),
            ("register_targets", "target", self.targets),
        ):
            for plugin in self.implementers(hook):
                register = self._registrar(kind, table, plugin, owners)
                self._call_kept(plugin, hook, {"register": register})
        for plugin in self.implementers("register_web_pages"):
            self._call_kept(plugin, "register_web_pages", {"register": self._pages_of(plugin)})

    def _pages_of(self, plugin: object) -> Callable[[WebPages], None]:
        def register(pages: WebPages) -> None:
            if not isinstance(pages, WebPages):
                raise TypeError(f"register_web_pages takes a WebPages, not {type(pages).__name__}")
            taken = self.web_owners.get(pages.mount)
            if taken is not None:
                self._refuse(
                    plugin,
                    "register_web_pages",
                    f"two plugins register console pages at {pages.mount}: "
                    f"{self.owner(taken)} and "
                    f"{self.owner(plugin)}; the second is refused",
                )
                return
            self.web_pages[pages.mount] = pages
            self.web_owners[pages.mount] = plugin

        return register

    def web_failure(self, prefix: str, error: Exception) -> PluginFailure:
        """The pages at ``prefix`` could not be mounted (their router failed): recorded
        beside the load failures, and the console starts without them."""
        plugin = self.web_owners[prefix]
        failure = self.failure(self.label(plugin), self.package(plugin), "web pages", error)
        self.failures.append(failure)
        return failure

    def _registrar(
        self, kind: str, table: dict[str, Any], plugin: object, owners: dict[str, str]
    ) -> Callable[[Any], None]:
        def register(item: Any) -> None:
            key = f"{kind}:{item.name}"
            if item.name in table:  # the first stays; this plugin's other kinds still count
                self._refuse(
                    plugin,
                    f"register_{kind}s",
                    f"two plugins register the {kind} {item.name!r}: "
                    f"{owners[key]} and {self.owner(plugin)}; the second is refused",
                )
                return
            table[item.name] = item
            self.origins[key] = self.origin(plugin)
            owners[key] = self.owner(plugin)

        return register

    def add_commands(self, cli: click.Group) -> None:
        """Add every plugin's commands to ``cli``; a name already taken is refused, naming
        both packages."""
        owners = _command_owners.setdefault(cli, {})
        for plugin in self.implementers("register_commands"):
            collected = click.Group(cli.name)
            if not self._call_kept(plugin, "register_commands", {"cli": collected}):
                continue
            owner = self.owner(plugin)
            for name, command in collected.commands.items():
                built_in = name in cli.commands or name in getattr(cli, "lazy", {})
                taken = owners.get(name, "rostersync" if built_in else None)
                if taken is not None and taken != owner:
                    self._refuse(
                        plugin,
                        "register_commands",
                        f"two plugins add the command {name!r}: {taken} and {owner}; "
                        "the second is refused",
                    )
                    continue
                cli.add_command(command, name)
                owners[name] = owner


def _unknown(kind: str, name: str, known: Iterable[str], where: str) -> str:
    import difflib  # only for a name that is not known

    names = sorted(known)
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    prefix = f"{where} plugin: " if where else ""
    return f"{prefix}unknown {kind} plugin {name!r}; {hint}available: {', '.join(names)}"

    # -- who a plugin is ----------------------------------------------------


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
        found = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
        # In a stable order, so that of two clashing packages the same one always wins.
        for entry_point in sorted(found, key=lambda ep: (ep.dist.name if ep.dist else "", ep.name)):
            system.load_entry_point(entry_point)
    for plugin in extra:
        system.register(plugin)
    system.register_kinds()
    return system
