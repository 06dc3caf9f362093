"""The ``roster_csv`` source's hooks, its ``template`` and ``columns`` commands and its
console pages, the spreadsheet import (the source, the commands and the pages themselves:
``plugins.roster_csv``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from sync.api import DeferredCommand, SourceType, WebLink, WebPages, hookimpl

#: The import's templates, found without importing ``plugins.roster_csv``.
TEMPLATES = Path(__file__).resolve().parents[1] / "roster_csv" / "templates"


@hookimpl
def register_sources(register: Callable[[SourceType[Any]], None]) -> None:
    register(
        SourceType(
            name="roster_csv",
            options="plugins.roster_csv.source:RosterCsvOptions",
            factory="plugins.roster_csv.source:RosterCsvSource",
            description="Impero Backdrop student and staff CSV files, columns matched by name",
        )
    )


@hookimpl
def register_commands(cli: click.Group) -> None:
    cli.add_command(
        DeferredCommand(
            "template",
            "plugins.roster_csv:template_command",
            help="Write an empty students or staff file with the expected headers (UTF-8, "
            "with a BOM so that Excel opens it as UTF-8).",
        )
    )
    cli.add_command(
        DeferredCommand(
            "columns",
            "plugins.roster_csv:columns_command",
            help="Show how FILE's headers match the student or staff fields, and what is missing.",
        )
    )


@hookimpl
def register_web_pages(register: Callable[[WebPages], None]) -> None:
    register(
        WebPages(
            plugin="roster_csv",
            router="plugins.roster_csv.web:router",
            templates=TEMPLATES,
            links=(WebLink("Import", "/import", "operator"),),
        )
    )
