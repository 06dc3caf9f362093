"""The ``directory`` target: groups, members and access rights in the state database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from plugins.directory.target import (
    DirectoryOptions,
    DirectoryTarget,
    add_hand_made_group,
    open_directory,
)
from sync.app import App
from sync.contract import TargetType
from sync.hookspecs import hookimpl


@hookimpl
def register_targets(register: Callable[[TargetType[Any]], None]) -> None:
    register(
        TargetType(
            name="directory",
            options=DirectoryOptions,
            factory=DirectoryTarget,
            description="groups, members and access rights kept in the state database",
        )
    )


@click.group("directory")
def directory_cli() -> None:
    """Work on the built-in directory target directly, as an admin would in the console."""


@directory_cli.command("add-group")
@click.argument("name")
@click.option("--member", "members", multiple=True, help="a member to add (repeatable)")
@click.pass_obj
def add_group(app: App, name: str, members: tuple[str, ...]) -> None:
    """Make a group by hand; syncs never change or delete it."""
    url = app.config.state_url
    for table in app.config.targets.values():
        if table.plugin == "directory" and table.options.get("url"):
            url = str(table.options["url"])
    add_hand_made_group(open_directory(url), name, name, members)
    click.echo(f"created hand-made group {name!r}")


@hookimpl
def register_commands(cli: click.Group) -> None:
    cli.add_command(directory_cli)
