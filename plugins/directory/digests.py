"""Member digests of the directory's managed groups (``CAPABILITY_MEMBER_DIGESTS``).

Each managed group row keeps the digest and the count of its member rows. Both are
computed from the member table itself, in the transaction that changed it, so a
digest never describes members the table does not hold.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy.engine import Connection

from plugins.directory.members import read_members
from plugins.directory.sql import columns, is_postgres, mark
from sync.api import digest_members


def refresh_digests(
    c: Connection,
    keys: Iterable[str] | None = None,
    *,
    owner: str | None = None,
    known: Mapping[str, list[str]] | None = None,
) -> None:
    """Recompute the member digest and count of groups ``keys`` (every managed group
    when None) from their member rows; with ``owner``, only of the groups it manages.

    ``known`` gives the member rows of some of those groups, as this transaction
    wrote them into groups that had none: those are not read back.
    """
    if keys is None:
        managed = c.exec_driver_sql("SELECT key FROM dir_group WHERE managed_by <> ''")
        keys = [key for (key,) in managed]
    wanted = set(keys)
    known = known or {}
    unread = wanted - known.keys()
    members = read_members(c, unread) if unread else {}
    members.update((key, people) for key, people in known.items() if key in wanted)
    updates: list[tuple[str | None, int, str]] = []
    for key in sorted(wanted):
        people = members.get(key, [])
        updates.append((digest_members(people), len(people), key))
    owned = "managed_by <> ''" if owner is None else f"managed_by = {mark(c)}"
    if updates and is_postgres(c):
        c.exec_driver_sql(
            "UPDATE dir_group t SET member_digest = v.d, member_count = v.n "
            "FROM unnest(%b::text[], %b::int[], %b::text[]) AS v(d, n, k) "
            f"WHERE t.key = v.k AND t.{owned}",
            (*columns(updates, 3), *([owner] if owner is not None else [])),
        )
    elif updates:
        c.exec_driver_sql(
            f"UPDATE dir_group SET member_digest = ?, member_count = ? WHERE key = ? AND {owned}",
            [(*row, owner) for row in updates] if owner is not None else updates,
        )


def stored_digests(c: Connection, sync: str) -> dict[str, str]:
    """The digest of every group ``sync`` manages that has one and still has as many
    member rows as the digest was made from.

    The count is checked against the member table itself, so rows added or deleted
    behind rostersync's back (by hand, in SQL) make the group compared member by member.
    """
    counted = c.exec_driver_sql("SELECT group_key, count(*) FROM dir_member GROUP BY group_key")
    counts: dict[str, int] = dict(counted.fetchall())
    rows = c.exec_driver_sql(
        "SELECT key, member_digest, member_count FROM dir_group "
        f"WHERE managed_by = {mark(c)} AND member_digest IS NOT NULL",
        (sync,),
    ).fetchall()
    return {key: digest for key, digest, count in rows if counts.get(key, 0) == count}
