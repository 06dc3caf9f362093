"""Bulk and delta, transport-neutral: the tables a package (or an API page run) leaves.

``current_tables`` turns a bulk read into the whole truth (``tobedeleted`` rows left out);
``apply_delta`` changes the previous tables by ``sourcedId`` (``active`` adds or updates,
``tobedeleted`` removes). ``encode``/``decode`` keep the result between runs compactly:
only the columns the mapping uses, as zlib-compressed JSON in one string, so that a
50,000-student district is a few megabytes in the state store, not tens.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from plugins.oneroster.rows import Row, Tables
from plugins.oneroster.spec import DELETED, FAMILY_ROLES, KEPT, NOT_KEPT, Mode
from sync.api import Issue, Severity

SNAPSHOT_FORMAT = 1
#: A row carried over from an earlier package names its file like this in issues.
EARLIER = "{file} (earlier package)"


@dataclass
class Applied:
    tables: dict[str, list[Row]]
    issues: list[Issue] = field(default_factory=list)
    added: int = 0
    updated: int = 0
    removed: int = 0


def _status(row: Row) -> str:
    return row.get("status").casefold()


def _duplicate(row: Row, first: int, source: str, where: str = "") -> Issue:
    return Issue(
        Severity.ERROR,
        f"sourcedId already used on line {first}{where}; this row is left out",
        source=source,
        file=row.file,
        line=row.line,
        field="sourcedId",
        value=row.get("sourcedId"),
    )


def current_tables(tables: Tables, *, source: str) -> Applied:
    """A bulk read as the whole truth: rows marked ``tobedeleted`` left out, and of rows
    sharing a sourcedId only the first (the others reported)."""
    out = Applied({})
    for table, rows in tables.items():
        if table in NOT_KEPT:
            continue
        first: dict[str, int] = {}
        kept = out.tables[table] = []
        for row in rows:
            if _status(row) == DELETED:
                continue
            sid = row.get("sourcedId")
            if sid in first:
                out.issues.append(_duplicate(row, first[sid], source))
                continue
            first[sid] = row.line
            kept.append(row)
        out.added += len(kept)
    return out


def apply_delta(
    previous: Tables, delta: Tables, modes: Mapping[str, Mode], *, source: str
) -> Applied:
    """``previous`` changed by ``delta``: per table, ``modes`` says ``delta`` (rows by
    sourcedId), ``bulk`` (the table replaced) or ``absent`` (the table unchanged)."""
    out = Applied({})
    for table in sorted(set(previous) | set(delta)):
        if table in NOT_KEPT:
            continue
        mode = modes.get(table, "absent")
        old = previous.get(table, ())
        if mode == "absent" or table not in delta:
            out.tables[table] = list(old)
            continue
        if mode == "bulk":
            replaced = current_tables({table: delta[table]}, source=source)
            out.tables[table] = replaced.tables[table]
            out.issues.extend(replaced.issues)
            continue
        by_id = {row.get("sourcedId"): row for row in old}
        seen: dict[str, int] = {}
        for row in delta[table]:
            sid = row.get("sourcedId")
            if not sid:
                continue  # (no row to change; the mapping reports blank sourcedIds)
            if sid in seen:
                out.issues.append(_duplicate(row, seen[sid], source, " of this delta"))
                continue
            seen[sid] = row.line
            if _status(row) == DELETED:
                if by_id.pop(sid, None) is not None:
                    out.removed += 1
            else:
                if sid in by_id:
                    out.updated += 1
                else:
                    out.added += 1
                by_id[sid] = row
        out.tables[table] = list(by_id.values())
    return out


def _family(tables: Tables) -> set[str]:
    """Users whose only roles are parent, guardian or relative: never kept."""
    family = {
        row.get("sourcedId")
        for row in tables.get("users", ())
        if row.get("role").casefold() in FAMILY_ROLES
    }
    other: set[str] = set()
    for row in tables.get("roles", ()):
        uid = row.get("userSourcedId")
        (family if row.get("role").casefold() in FAMILY_ROLES else other).add(uid)
    return family - other


def encode(tables: Tables) -> str:
    """The tables as one compact string for the plugin state."""
    family = _family(tables)
    data: dict[str, object] = {"format": SNAPSHOT_FORMAT}
    for table, rows in tables.items():
        if table in NOT_KEPT:
            continue
        columns = list(KEPT[table])
        kept = [
            r
            for r in rows
            if not (
                (table == "users" and r.get("sourcedId") in family)
                or (table == "roles" and r.get("userSourcedId") in family)
            )
        ]
        data[table] = {
            "file": f"{table}.csv",
            "columns": columns,
            "rows": [[r.line, *(r.values.get(c, "") for c in columns)] for r in kept],
        }
    raw = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.b64encode(zlib.compress(raw, 6)).decode("ascii")


def decode(text: str) -> dict[str, list[Row]]:
    """The tables ``encode`` kept; rows name their file as from an earlier package."""
    data = json.loads(zlib.decompress(base64.b64decode(text)))
    if data.get("format") != SNAPSHOT_FORMAT:
        raise ValueError(f"unknown snapshot format {data.get('format')!r}")
    tables: dict[str, list[Row]] = {}
    for table, stored in data.items():
        if table == "format":
            continue
        file = EARLIER.format(file=stored["file"])
        columns = stored["columns"]
        tables[table] = [
            Row(table, file, values[0], dict(zip(columns, values[1:], strict=True)))
            for values in stored["rows"]
        ]
    return tables
