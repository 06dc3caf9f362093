"""The ``directory`` target's hooks and its ``directory`` and ``access`` commands (the
target and the commands themselves: ``plugins.directory``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from sync.api import DeferredCommand, TargetType, hookimpl


@hookimpl
def register_targets(register: Callable[[TargetType[Any]], None]) -> None:
    register(
        TargetType(
            name="directory",
            options="plugins.directory.options:DirectoryOptions",
            factory="plugins.directory:open_target",
            description="groups, members, access rights, staff profiles and blocks in the state db",
        )
    )


@hookimpl
def register_commands(cli: click.Group) -> None:
    cli.add_command(
        DeferredCommand(
            "directory",
            "plugins.directory:directory_cli",
            help="Work on the built-in directory target directly, as an admin would in the "
            "console.",
        )
    )
    cli.add_command(
        DeferredCommand(
            "access",
            "plugins.directory:access_cli",
            help="What a staff member can see in the directory target, and why.",
        )
    )
