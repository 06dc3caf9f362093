"""The ``impero_csv`` source's hooks and its console page of SIS settings (the source
itself: ``plugins.impero_csv``; the page: ``plugins.sis_settings``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from plugins.hooks.sis import sis_pages
from sync.api import SourceType, WebPages, hookimpl


@hookimpl
def register_sources(register: Callable[[SourceType[Any]], None]) -> None:
    register(
        SourceType(
            name="impero_csv",
            options="plugins.impero_csv:ImperoCsvOptions",
            factory="plugins.impero_csv:ImperoCsvSource",
            description="Impero Education Pro SIS CSV files (teachers.csv, students.csv)",
        )
    )


@hookimpl
def register_web_pages(register: Callable[[WebPages], None]) -> None:
    register(sis_pages("impero_csv", "Impero", "plugins.impero_csv.sis:sis_settings"))
