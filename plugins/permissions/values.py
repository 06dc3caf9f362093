"""The console's edits of staff user groups as values (no SQLAlchemy: light to import)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime


def fold(name: str) -> str:
    """A user group's name as matched: any case, any spacing."""
    return " ".join(name.split()).casefold()


@dataclass(frozen=True)
class GroupEdit:
    """A user group's permissions as saved in the console."""

    name: str
    permissions: frozenset[str]
    by: str
    at: datetime


@dataclass(frozen=True)
class StaffEdit:
    """A staff member's user group as chosen in the console."""

    person: str
    user_group: str
    by: str
    at: datetime


@dataclass(frozen=True)
class Edits:
    """The edits of one source: groups by folded name, staff by person id."""

    groups: Mapping[str, GroupEdit] = field(default_factory=dict)
    staff: Mapping[str, StaffEdit] = field(default_factory=dict)
