"""The ``clever`` source's hooks (the source itself: ``plugins.clever``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sync.api import SourceType, hookimpl


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
