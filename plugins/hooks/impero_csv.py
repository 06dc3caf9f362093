"""The ``impero_csv`` source's hooks (the source itself: ``plugins.impero_csv``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sync.api import SourceType, hookimpl


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
