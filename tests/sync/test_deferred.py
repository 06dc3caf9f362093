"""Built-in plugins register by name: their kinds' options and factories, and their
commands, are imported when used, and are then the same as the plugin's own."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from sync.api import DeferredCommand, PluginOptions, SourceType, TargetType
from sync.kinds import import_ref
from sync.plugins import DEFAULT_PLUGINS, load_plugins


def kinds() -> list[SourceType[object] | TargetType[object]]:
    system = load_plugins(entry_points=False)
    return [*system.sources.values(), *system.targets.values()]


def deferred_commands() -> list[DeferredCommand]:
    system = load_plugins(entry_points=False)
    group = click.Group("rostersync")
    system.add_commands(group)
    commands = list(group.commands.values())
    assert all(isinstance(c, DeferredCommand) for c in commands)
    return [c for c in commands if isinstance(c, DeferredCommand)]


def test_every_built_in_plugin_registers_from_its_hooks_module() -> None:
    assert all(name.startswith("plugins.hooks.") for name in DEFAULT_PLUGINS)
    names = {kind.name for kind in kinds()}
    assert {"impero_csv", "clever", "manual", "directory", "ldap", "scim", "sds"} <= names


@pytest.mark.parametrize("kind", kinds(), ids=lambda k: k.name)
def test_a_named_kind_imports_its_options_and_factory_when_used(
    kind: SourceType[object] | TargetType[object],
) -> None:
    fresh = load_plugins(entry_points=False)
    fresh_kind = fresh.sources.get(kind.name) or fresh.targets[kind.name]
    assert not fresh_kind.loaded
    key = hash(fresh_kind)
    assert issubclass(fresh_kind.options, PluginOptions)
    assert callable(fresh_kind.factory)
    assert fresh_kind.loaded and hash(fresh_kind) == key and fresh_kind == kind


@pytest.mark.parametrize("command", deferred_commands(), ids=lambda c: str(c.name))
def test_a_deferred_command_lists_the_commands_own_help(command: DeferredCommand) -> None:
    real = command.load()
    assert real.name == command.name
    assert command.get_short_help_str(200) == real.get_short_help_str(200)


def test_a_deferred_command_runs_in_any_click_group() -> None:
    group = click.Group(
        "tool",
        commands=[DeferredCommand("template", "plugins.roster_csv:template_command", help="")],
    )
    result = CliRunner().invoke(group, ["template", "staff"])
    assert result.exit_code == 0, result.output
    assert result.output.lstrip("\ufeff").startswith("First Name,Surname")


def test_rostersync_swaps_a_deferred_command_for_its_own() -> None:
    from sync.cli import make_cli

    cli = make_cli(load_plugins(entry_points=False))
    with click.Context(cli) as ctx:
        command = cli.get_command(ctx, "manual")
    assert isinstance(command, click.Group) and not isinstance(command, DeferredCommand)
    assert "add-student" in command.commands


def test_a_reference_that_names_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="module:name"):
        import_ref("plugins.roster_csv")
    with pytest.raises(TypeError, match="not a click command"):
        DeferredCommand("x", "plugins.roster_csv:FIELDS", help="").load()


def test_a_kind_is_frozen() -> None:
    kind = SourceType("k", "plugins.clever:CleverOptions", "plugins.clever:CleverSource")
    with pytest.raises(AttributeError, match="frozen"):
        kind.name = "other"  # type: ignore[misc]
