"""What every OneRoster reader yields: plain rows with where they came from.

The CSV reader (a .zip or a folder) and the REST reader both give ``Tables``: for each
OneRoster table name (``orgs``, ``academicSessions``, ``courses``, ``classes``, ``users``,
``enrollments``, ``demographics``, ``roles``, ``userProfiles``) its rows, with values keyed
by the column names of the OneRoster CSV binding of that version (``sourcedId``,
``schoolSourcedId``, ``courseSourcedId``, ``termSourcedIds``, ``orgSourcedIds``,
``userIds``, ...). A REST reader flattens JSON into those columns, so the one mapping
(``plugins.oneroster.mapping``) cannot tell the transports apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Row:
    """One record as read: ``values`` by spec column name (every value a string, "" when
    blank), and where it came from: ``file`` (``classes.csv``, or the REST path) and
    ``line`` (the CSV line number, or the record's 1-based position across pages)."""

    table: str
    file: str
    line: int
    values: Mapping[str, str]

    def get(self, column: str) -> str:
        return self.values.get(column, "")


#: Rows by table name; a table absent from the package is absent from the mapping.
Tables = Mapping[str, Sequence[Row]]
