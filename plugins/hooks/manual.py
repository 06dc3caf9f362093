"""The ``manual`` source's hooks and its ``manual`` command group (the source and the
commands themselves: ``plugins.manual``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from sync.api import DeferredCommand, SourceType, hookimpl


@hookimpl
def register_sources(register: Callable[[SourceType[Any]], None]) -> None:
    register(
        SourceType(
            name="manual",
            options="plugins.manual.options:ManualOptions",
            factory="plugins.manual:open_source",
            description="people, groups, memberships and blocks entered with 'rostersync manual'",
        )
    )


@hookimpl
def register_commands(cli: click.Group) -> None:
    cli.add_command(
        DeferredCommand(
            "manual",
            "plugins.manual:manual_cli",
            help="Enter people, groups, memberships and blocked children by hand.",
        )
    )
