"""The ``clever`` source's hooks and its console page of SIS settings (the source
itself: ``plugins.clever``; the page: ``plugins.sis_settings``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from plugins.hooks.sis import sis_pages
from sync.api import SourceType, WebPages, hookimpl


@hookimpl
def register_sources(register: Callable[[SourceType[Any]], None]) -> None:
    register(
        SourceType(
            name="clever",
            options="plugins.clever:CleverOptions",
            factory="plugins.clever:CleverSource",
            description="Clever v3.0 Data API: sections, students and teachers (with events)",
        )
    )


@hookimpl
def register_web_pages(register: Callable[[WebPages], None]) -> None:
    register(sis_pages("clever", "Clever", "plugins.clever.sis:sis_settings"))
