"""Member digests of the directory's managed groups (``CAPABILITY_MEMBER_DIGESTS``).

Each managed group row keeps the digest and the count of its member rows. Both are
computed from the member table itself, in the transaction that changed it, so a
digest never describes members the table does not hold.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.engine import Connection

from sync.digest import SEPARATOR, digest_members

_AGGREGATE = {
    "sqlite": "group_concat(person, char(10))",
    "postgresql": "string_agg(person, chr(10))",
}
_MARK = {"sqlite": "?", "postgresql": "%s"}
_CHUNK = 500


def refresh_digests(c: Connection, keys: Iterable[str] | None = None) -> None:
    """Recompute the member digest and count of groups ``keys`` (every managed group
    when None) from their member rows."""
    dialect = c.dialect.name
    if keys is None:
        keys = [
            key for (key,) in c.exec_driver_sql("SELECT key FROM dir_group WHERE managed_by <> ''")
        ]
    ordered = sorted(set(keys))
    mark = _MARK[dialect]
    updates: list[tuple[str | None, int, str]] = []
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        rows = c.exec_driver_sql(
            f"SELECT group_key, count(*), {_AGGREGATE[dialect]} FROM dir_member "
            f"WHERE group_key IN ({','.join([mark] * len(chunk))}) GROUP BY group_key",
            tuple(chunk),
        )
        found = {key: (count, text) for key, count, text in rows}
        for key in chunk:
            count, text = found.get(key, (0, ""))
            people = text.split(SEPARATOR) if count else []
            # A member id holding the separator splits into more parts than rows: no digest.
            digest = digest_members(people) if len(people) == count else None
            updates.append((digest, count, key))
    if updates:
        c.exec_driver_sql(
            f"UPDATE dir_group SET member_digest = {mark}, member_count = {mark} "
            f"WHERE key = {mark}",
            updates,
        )
