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

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from typing import overload


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


class Columns(Sequence[Row]):
    """A table held column by column, as the CSV reader and the snapshot keep big tables:
    a ``Sequence[Row]`` whose rows are made only when asked for (for an issue, say), while
    the mapping reads whole columns (``column``) without making a row at all."""

    __slots__ = (
        "_columns",
        "_distinct",
        "_empty",
        "_sets",
        "file",
        "lines",
        "single_line",
        "table",
    )

    def __init__(
        self,
        table: str,
        file: str,
        lines: Sequence[int],
        columns: Mapping[str, Sequence[str]],
        *,
        single_line: bool = False,
    ) -> None:
        self.table = table
        self.file = file
        self.lines = lines
        #: No value holds a line feed (each was a cell of one CSV line, say).
        self.single_line = single_line
        self._columns = dict(columns)
        self._empty: Sequence[str] = ("",) * len(lines)
        self._distinct: dict[str, bool] = {}
        self._sets: dict[str, Set[str]] = {}

    def __len__(self) -> int:
        return len(self.lines)

    @overload
    def __getitem__(self, index: int) -> Row: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Row]: ...

    def __getitem__(self, index: int | slice) -> Row | Sequence[Row]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        line = self.lines[index]  # (raises IndexError past the end, as a sequence must)
        values = {name: column[index] for name, column in self._columns.items()}
        return Row(self.table, self.file, line, values)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._columns)

    def column(self, name: str) -> Sequence[str]:
        """The values of one column, in row order ('' for each row when it is absent)."""
        return self._columns.get(name, self._empty)

    def value_set(self, name: str) -> Set[str]:
        """The values of column ``name``, each once (worked out once: the mapping's checks
        and its people both ask it of the enrolments' users)."""
        found = self._sets.get(name)
        if found is None:
            found = self._sets[name] = frozenset(self.column(name))
        return found

    def distinct(self, name: str) -> bool:
        """Whether no two rows share a value of ``name`` (worked out once: the bulk step and
        the mapping both ask it of the biggest table, 300,000 enrolments at N = 50,000)."""
        found = self._distinct.get(name)
        if found is None:
            values = self.column(name)
            found = self._distinct[name] = len(set(values)) == len(values)
        return found


def column(rows: Sequence[Row], name: str) -> Sequence[str]:
    """One column of any table: read whole from ``Columns``, else gathered row by row."""
    if isinstance(rows, Columns):
        return rows.column(name)
    return [row.values.get(name, "") for row in rows]


def value_set(rows: Sequence[Row], name: str) -> Set[str]:
    """The values of column ``name`` of any table, each once."""
    if isinstance(rows, Columns):
        return rows.value_set(name)
    return frozenset(column(rows, name))


def distinct(rows: Sequence[Row], name: str) -> bool:
    """Whether no two rows of any table share a value of ``name``."""
    if isinstance(rows, Columns):
        return rows.distinct(name)
    values = column(rows, name)
    return len(set(values)) == len(values)


def lines(rows: Sequence[Row]) -> Sequence[int]:
    if isinstance(rows, Columns):
        return rows.lines
    return [row.line for row in rows]


def laid_out(values: list[str]) -> list[str]:
    """``values`` as new strings, one after another in memory in this order (equal to
    them, or ``values`` itself when one holds a line feed).

    Strings met at random (a user's id or login, looked up for each of hundreds of
    thousands of enrolments) cost a wait on memory each when they lie scattered among
    the other cells of their file; laid out together they stay in the processor's caches.
    A membership's person is its user's login, met in every class: the later steps (the
    plan, the target's writes, the run record) walk the memberships group by group, and a
    copy in that order lets the processor read ahead: the full sync of a 50,000-student
    district spent about a third longer in those steps without it.
    """
    joined = "\n".join(values)
    if not values or joined.count("\n") != len(values) - 1:
        return values
    return joined.split("\n")
