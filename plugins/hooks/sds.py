"""The ``sds`` source's hooks (the source itself: ``plugins.sds``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sync.api import SourceType, hookimpl


@hookimpl
def register_sources(register: Callable[[SourceType[Any]], None]) -> None:
    register(
        SourceType(
            name="sds",
            options="plugins.sds:SdsOptions",
            factory="plugins.sds:SdsSource",
            description="Microsoft School Data Sync CSV (v1 US/UK headers, v2, v2.1)",
        )
    )
