"""The ``oneroster`` source plugin: OneRoster 1.0, 1.1 and 1.2 CSV packages (bulk and delta).

Readers (``package``: a .zip or a folder) give ``Tables``; ``delta`` keeps the tables
between runs; ``mapping`` turns them into groups, members and access grants.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from plugins.oneroster.source import OneRosterOptions, OneRosterSource
from sync.api import SourceType, hookimpl

__all__ = ["OneRosterOptions", "OneRosterSource"]


@hookimpl
def register_sources(register: Callable[[SourceType[Any]], None]) -> None:
    register(
        SourceType(
            name="oneroster",
            options=OneRosterOptions,
            factory=OneRosterSource,
            description="OneRoster 1.0/1.1/1.2 CSV package (.zip or folder), bulk and delta",
        )
    )
