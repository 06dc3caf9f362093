"""The directory's member rows, read and written in bulk.

Read one row per group rather than per member: a large district has millions of
member rows, and a tuple and a string object for each cost more than the query.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from psycopg.errors import UniqueViolation
from sqlalchemy.engine import Connection

from plugins.directory.sql import columns, insert_rows, is_postgres, select_in

SEPARATOR = "\n"


def read_members(c: Connection, keys: Collection[str] | None = None) -> dict[str, list[str]]:
    """The member ids of each group in ``keys`` that has members (of every group when
    None), exactly as stored, whatever characters they hold."""
    if is_postgres(c):  # an array per group: exact as it is
        query = "SELECT group_key, array_agg(person) FROM dir_member {where} GROUP BY group_key"
    else:
        query = (
            "SELECT group_key, count(*), group_concat(person, char(10)) FROM dir_member "
            "{where} GROUP BY group_key"
        )
    rows: list[tuple[Any, ...]]
    if keys is None:
        rows = list(c.exec_driver_sql(query.format(where="")).fetchall())
    else:
        rows = select_in(c, query.format(where="WHERE group_key IN ({keys})"), keys)
    if is_postgres(c):
        return {key: people for key, people in rows}
    members: dict[str, list[str]] = {}
    split = []
    for key, count, text in rows:
        people = text.split(SEPARATOR)
        if len(people) == count:
            members[key] = people
        else:
            split.append(key)  # an id holds the separator: read that group row by row
    if split:
        for key, person in select_in(
            c, "SELECT group_key, person FROM dir_member WHERE group_key IN ({keys})", split
        ):
            members.setdefault(key, []).append(person)
    return members


def count_members(c: Connection, keys: Collection[str]) -> dict[str, int]:
    """How many member rows each group in ``keys`` has (groups with none are left out)."""
    query = (
        "SELECT group_key, count(*) FROM dir_member WHERE group_key IN ({keys}) GROUP BY group_key"
    )
    return dict(select_in(c, query, keys))


def write_members(c: Connection, add: bool, pairs: list[tuple[str, str]]) -> int:
    """Insert (ignoring ones already there) or delete (group, person) rows in bulk;
    returns how many rows were inserted or deleted.

    Plain SQL straight to the driver: compiling a statement and processing parameters
    per row cost more than the writes. PostgreSQL takes the batch as two arrays.
    """
    if is_postgres(c):
        if add and _copied(c, pairs):
            return len(pairs)
        if add:  # some rows were there already: skip those
            statement = (
                "INSERT INTO dir_member (group_key, person) "
                "SELECT * FROM unnest(%b::text[], %b::text[]) ON CONFLICT DO NOTHING"
            )
        else:
            statement = (
                "DELETE FROM dir_member m USING unnest(%b::text[], %b::text[]) AS d(g, p) "
                "WHERE m.group_key = d.g AND m.person = d.p"
            )
        return c.exec_driver_sql(statement, tuple(columns(pairs, 2))).rowcount
    if add:
        return insert_rows(
            c, "INSERT INTO dir_member (group_key, person)", pairs, "ON CONFLICT DO NOTHING"
        )
    return c.exec_driver_sql(
        "DELETE FROM dir_member WHERE group_key = ? AND person = ?", pairs
    ).rowcount


def _copied(c: Connection, pairs: list[tuple[str, str]]) -> bool:
    """Whether PostgreSQL took every row by COPY, which is several times faster than an
    INSERT that skips rows already there; False, with nothing written, if one was."""
    try:
        with c.begin_nested():
            cursor = c.connection.driver_connection.cursor()  # type: ignore[union-attr]
            with cursor.copy("COPY dir_member (group_key, person) FROM STDIN") as copy:
                for pair in pairs:
                    copy.write_row(pair)
    except UniqueViolation:
        return False
    return True
