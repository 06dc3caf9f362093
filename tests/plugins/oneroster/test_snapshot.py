"""The kept tables (the plugin state's snapshot) come back as they went in, in this
format and in the ones before it."""

from __future__ import annotations

import base64
import json
import zlib

import zstandard

from plugins.oneroster.delta import (
    PREVIOUS_FORMAT,
    SNAPSHOT_FORMAT,
    ZLIB_FORMAT,
    ZSTD_MAGIC,
    decode,
    encode,
)
from plugins.oneroster.rows import Columns, Row, column, lines


def _tables() -> dict[str, Columns]:
    return {
        "classes": Columns(
            "classes",
            "classes.csv",
            range(2, 4),
            {"sourcedId": ["c1", "c2"], "title": ["Maths é", "Line\nbreak (REST)"]},
        ),
        "enrollments": Columns(
            "enrollments",
            "enrollments.csv",
            [2, 5],
            {"sourcedId": ["e1", "e2"], "classSourcedId": ["c1", "c2"], "role": ["", ""]},
        ),
        "users": Columns("users", "users.csv", [], {"sourcedId": []}),
    }


def _same(found: dict[str, object], wanted: dict[str, Columns]) -> None:
    assert set(found) == set(wanted)
    for table, rows in wanted.items():
        kept = found[table]
        assert isinstance(kept, Columns)
        assert list(lines(kept)) == list(lines(rows))
        for name in rows.names:
            assert list(column(kept, name)) == list(column(rows, name)), (table, name)


def test_tables_come_back_as_they_went_in() -> None:
    tables = _tables()
    back = decode(encode(tables), earlier=False)
    _same(back, tables)  # (a value with a line feed, an empty column, no rows)
    assert back["classes"][1] == Row("classes", "classes.csv", 3, back["classes"][1].values)


def test_a_snapshot_of_the_previous_format_still_reads() -> None:
    tables = _tables()
    old = {"format": PREVIOUS_FORMAT}
    for table, rows in tables.items():
        numbers = lines(rows)
        old[table] = {  # type: ignore[assignment]
            "file": rows.file,
            "lines": {"range": [numbers.start, numbers.stop]}
            if isinstance(numbers, range)
            else list(numbers),
            "columns": {name: list(column(rows, name)) for name in rows.names},
        }
    text = base64.b64encode(zlib.compress(json.dumps(old, separators=(",", ":")).encode()))
    _same(decode(text.decode("ascii"), earlier=False), tables)


def test_a_snapshot_is_one_zstandard_frame() -> None:
    packed = base64.b64decode(encode(_tables()))
    assert packed.startswith(ZSTD_MAGIC)
    head = zstandard.ZstdDecompressor().decompress(packed).partition(b"\n")[0]
    assert json.loads(head)["format"] == SNAPSHOT_FORMAT


def test_a_snapshot_of_the_zlib_format_still_reads() -> None:
    """Format 3 was this layout through zlib: a database an earlier version wrote keeps
    its bulk package, so the next delta still applies."""
    tables = _tables()
    raw = zstandard.ZstdDecompressor().decompress(base64.b64decode(encode(tables)))
    head, _, bodies = raw.partition(b"\n")
    old = json.dumps({**json.loads(head), "format": ZLIB_FORMAT}).encode() + b"\n" + bodies
    text = base64.b64encode(zlib.compress(old, 1)).decode("ascii")
    _same(decode(text, earlier=False), tables)
