"""The ``manual`` source's options: light to import, for a fast command line."""

from __future__ import annotations

from pydantic import Field

from plugins import people as rules
from plugins.permissions import StaffOptions


class ManualOptions(StaffOptions):
    url: str | None = Field(default=None, description="database URL; by default the state database")
    groups: list[rules.GroupField] = Field(
        default_factory=rules.default_groups,
        description="which student fields make groups (as in roster_csv)",
    )
