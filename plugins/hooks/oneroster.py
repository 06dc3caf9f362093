"""The ``oneroster`` source's hooks (the source itself: ``plugins.oneroster``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sync.api import SourceType, hookimpl


@hookimpl
def register_sources(register: Callable[[SourceType[Any]], None]) -> None:
    register(
        SourceType(
            name="oneroster",
            options="plugins.oneroster.source:OneRosterOptions",
            factory="plugins.oneroster.source:OneRosterSource",
            description="OneRoster 1.0/1.1/1.2 CSV package (.zip or folder), bulk and delta",
        )
    )
