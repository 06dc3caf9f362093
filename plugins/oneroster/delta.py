"""Bulk and delta, transport-neutral: the tables a package (or an API page run) leaves.

``current_tables`` turns a bulk read into the whole truth (``tobedeleted`` rows left out);
``apply_delta`` changes the previous tables by ``sourcedId`` (``active`` adds or updates,
``tobedeleted`` removes). ``encode``/``decode`` keep the result between runs compactly:
only the columns the mapping uses, column by column, compressed with Zstandard in one
string, so that a 50,000-student district is a few megabytes in the state store.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import zstandard

from plugins.oneroster.rows import Columns, Row, Tables, column, distinct, lines, value_set
from plugins.oneroster.spec import DELETED, FAMILY_ROLES, KEPT, NOT_KEPT, Mode
from sync.api import Issue, Severity

SNAPSHOT_FORMAT = 4
#: The formats before, still read: 3 (as 4, through zlib) and 2 (every column a JSON
#: list, through zlib).
ZLIB_FORMAT = 3
PREVIOUS_FORMAT = 2
#: Zstandard's level for the snapshot: -1, fast (see ``encode``).
SNAPSHOT_LEVEL = -1
#: How a Zstandard frame starts (a zlib stream never does: its first byte is 0x78).
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
#: A row carried over from an earlier package names its file like this in issues.
EARLIER = "{file} (earlier package)"
#: Columns the snapshot leaves out: the mapping never reads them from kept tables.
NOT_STORED = frozenset({"status"})


@dataclass
class Applied:
    tables: dict[str, Sequence[Row]]
    issues: list[Issue] = field(default_factory=list)
    added: int = 0
    updated: int = 0
    removed: int = 0


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


def _take(table: str, rows: Sequence[Row], keep: Sequence[int]) -> Columns:
    """The rows at positions ``keep`` of a table, as columns."""
    names = rows.names if isinstance(rows, Columns) else KEPT.get(table, ())
    file = rows.file if isinstance(rows, Columns) else (rows[0].file if rows else table)
    all_lines = lines(rows)
    taken = {}
    for name in names:
        values = column(rows, name)
        taken[name] = [values[i] for i in keep]
    single_line = isinstance(rows, Columns) and rows.single_line
    return Columns(table, file, [all_lines[i] for i in keep], taken, single_line=single_line)


def current_tables(tables: Tables, *, source: str) -> Applied:
    """A bulk read as the whole truth: rows marked ``tobedeleted`` left out, and of rows
    sharing a sourcedId only the first (the others reported)."""
    out = Applied({})
    for table, rows in tables.items():
        if table in NOT_KEPT:
            continue
        sids = column(rows, "sourcedId")
        statuses = column(rows, "status")
        deleted = any(s.casefold() == DELETED for s in value_set(rows, "status"))
        if not deleted and distinct(rows, "sourcedId"):
            out.tables[table] = rows  # (nearly always: nothing to leave out)
            out.added += len(rows)
            continue
        first: dict[str, int] = {}
        keep = []
        for index, (sid, status) in enumerate(zip(sids, statuses, strict=True)):
            if status.casefold() == DELETED:
                continue
            if sid in first:
                out.issues.append(_duplicate(rows[index], rows[first[sid]].line, source))
                continue
            first[sid] = index
            keep.append(index)
        out.tables[table] = _take(table, rows, keep)
        out.added += len(keep)
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
            out.tables[table] = old
            continue
        if mode == "bulk":
            replaced = current_tables({table: delta[table]}, source=source)
            out.tables[table] = replaced.tables[table]
            out.issues.extend(replaced.issues)
            continue
        by_id: dict[str, Row] = {row.get("sourcedId"): row for row in old}
        seen: dict[str, int] = {}
        for row in delta[table]:
            sid = row.get("sourcedId")
            if not sid:
                continue  # (no row to change; the mapping reports blank sourcedIds)
            if sid in seen:
                out.issues.append(_duplicate(row, seen[sid], source, " of this delta"))
                continue
            seen[sid] = row.line
            if row.get("status").casefold() == DELETED:
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
    users = tables.get("users", ())
    roles_of_users = column(users, "role")
    met = {role for role in value_set(users, "role") if role.casefold() in FAMILY_ROLES}
    family = (  # (nearly always none: a roster export without families)
        {
            sid
            for sid, role in zip(column(users, "sourcedId"), roles_of_users, strict=True)
            if role in met
        }
        if met
        else set()
    )
    roles = tables.get("roles", ())
    other: set[str] = set()
    for uid, role in zip(column(roles, "userSourcedId"), column(roles, "role"), strict=True):
        (family if role.casefold() in FAMILY_ROLES else other).add(uid)
    return family - other


def encode(tables: Tables) -> str:
    """The tables as one compact string for the plugin state (no family members).

    A JSON head (each table's file, lines and columns) and, after it, each column's values
    joined by line feeds: JSON-encoding hundreds of thousands of short strings cost more
    than compressing them. A column holding a line feed in a value (never from a CSV file)
    stays a JSON list in the head. All of it is one Zstandard frame at level -1, the
    first of its fast levels: about 4 times faster than zlib at level 1 and 1.7 times
    faster than Zstandard's level 1, for about the same size, and faster to read back.
    This is a hot path: every new bulk package is kept.
    """
    family = _family(tables)
    head: dict[str, object] = {"format": SNAPSHOT_FORMAT}
    bodies: list[bytes] = []
    for table, rows in tables.items():
        if table in NOT_KEPT:
            continue
        if family and table in ("users", "roles"):
            ids = column(rows, "sourcedId" if table == "users" else "userSourcedId")
            rows = _take(table, rows, [i for i, sid in enumerate(ids) if sid not in family])
        file = rows.file if isinstance(rows, Columns) else f"{table}.csv"
        numbers = lines(rows)
        stored_lines: object = (
            {"range": [numbers.start, numbers.stop]}
            if isinstance(numbers, range)
            else list(numbers)
        )
        columns: dict[str, object] = {}
        single_line = isinstance(rows, Columns) and rows.single_line
        for name in KEPT[table]:
            if name in NOT_STORED:
                continue
            values = column(rows, name)
            joined = "\n".join(values)
            if values and (single_line or joined.count("\n") == len(values) - 1):
                body = joined.encode("utf-8", "surrogatepass")
                columns[name] = len(body)  # (its bytes, after the head, in order)
                bodies.append(body)
            else:
                columns[name] = list(values)
        head[table] = {"file": file, "lines": stored_lines, "columns": columns}
    first = json.dumps(head, ensure_ascii=False).encode() + b"\n"
    # (fed part by part, not joined first: no copy of tens of megabytes; the size given
    # up front is written in the frame, as a one-shot compress writes it)
    size = len(first) + sum(map(len, bodies))
    compressing = zstandard.ZstdCompressor(level=SNAPSHOT_LEVEL).compressobj(size=size)
    packed = b"".join([*map(compressing.compress, [first, *bodies]), compressing.flush()])
    return base64.b64encode(packed).decode("ascii")


def decode(text: str, *, earlier: bool = True) -> dict[str, Sequence[Row]]:
    """The tables ``encode`` kept; rows name their file as from an earlier package (unless
    ``earlier`` is false: the package read again is byte-identical to the one kept).
    Reads the earlier formats (zlib; every column a JSON list) too."""
    packed = base64.b64decode(text)
    if packed.startswith(ZSTD_MAGIC):
        raw = zstandard.ZstdDecompressor().decompress(packed)
    else:
        raw = zlib.decompress(packed)
    if raw.startswith(b'{"format":%d' % PREVIOUS_FORMAT):
        data = json.loads(raw)
        offset, payload = 0, b""
    else:
        end = raw.index(b"\n")
        data, offset, payload = json.loads(raw[:end]), end + 1, raw
    if data.get("format") not in (SNAPSHOT_FORMAT, ZLIB_FORMAT, PREVIOUS_FORMAT):
        raise ValueError(f"unknown snapshot format {data.get('format')!r}")
    tables: dict[str, Sequence[Row]] = {}
    for table, stored in data.items():
        if table == "format":
            continue
        numbers = stored["lines"]
        file = stored["file"]
        columns: dict[str, Sequence[str]] = {}
        for name, kept in stored["columns"].items():
            if isinstance(kept, int):
                body = payload[offset : offset + kept].decode("utf-8", "surrogatepass")
                columns[name] = body.split("\n")
                offset += kept
            else:
                columns[name] = kept
        tables[table] = Columns(
            table,
            file if file.endswith(")") or not earlier else EARLIER.format(file=file),
            range(*numbers["range"]) if isinstance(numbers, dict) else numbers,
            columns,
        )
    return tables
