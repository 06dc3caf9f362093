"""The ``manual`` source's hooks and its ``manual`` command group and its console pages (the
source, the commands and the pages themselves: ``plugins.manual``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from sync.api import DeferredCommand, SourceType, WebLink, WebPages, hookimpl


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


@hookimpl
def register_web_pages(register: Callable[[WebPages], None]) -> None:
    register(
        WebPages(
            plugin="manual",
            router="plugins.manual.web:router",
            templates=Path(__file__).parents[1] / "manual" / "templates",
            links=(
                WebLink("Enter by hand", "/entries", "operator"),
                WebLink("Blocked children", "/blocks", "admin"),
            ),
        )
    )
