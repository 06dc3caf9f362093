"""Plain SQL straight to the driver, for the directory's bulk reads and writes.

SQLAlchemy's statement compilation and per-row parameter processing cost more than
the work itself on tables of hundreds of thousands of rows.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy.engine import Connection

_MARKS = {"sqlite": "?", "postgresql": "%s"}
CHUNK = 500


def mark(c: Connection) -> str:
    """The driver's parameter placeholder."""
    return _MARKS[c.dialect.name]


def select_in(c: Connection, query: str, keys: Collection[str]) -> list[tuple[Any, ...]]:
    """The rows of ``query`` for every key, in chunks: ``query`` holds ``{keys}`` where
    the placeholder list belongs, as in ``WHERE key IN ({keys})``."""
    ordered = sorted(keys)
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(ordered), CHUNK):
        chunk = tuple(ordered[start : start + CHUNK])
        marks = ",".join([mark(c)] * len(chunk))
        rows.extend(c.exec_driver_sql(query.format(keys=marks), chunk).fetchall())
    return rows
