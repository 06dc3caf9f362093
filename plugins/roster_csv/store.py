"""What the console's import keeps for a roster_csv source, in the state database: the
column mapping chosen for a file layout, and rows corrected by hand.

A correction is keyed by the row as the file has it (every cell, trimmed), so the next
upload of the same uncorrected file gets the same fix, wherever the row now is. Both are
applied when the source reads its files; nothing here is written until an import is
completed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sync.api import migrate, open_database

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "roster_csv_alembic_version"

metadata = sa.MetaData()
layout_t = sa.Table(
    "roster_csv_layout",
    metadata,
    sa.Column("source", sa.String(), primary_key=True),
    sa.Column("kind", sa.String(), primary_key=True),
    sa.Column("layout_hash", sa.String(), primary_key=True),
    sa.Column("headers", sa.Text(), nullable=False),
    sa.Column("mapping", sa.Text(), nullable=False),
    sa.Column("saved_by", sa.String(), nullable=False),
    sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
)
correction_t = sa.Table(
    "roster_csv_correction",
    metadata,
    sa.Column("source", sa.String(), primary_key=True),
    sa.Column("kind", sa.String(), primary_key=True),
    sa.Column("row_key", sa.String(), primary_key=True),
    sa.Column("fields", sa.Text(), nullable=False),
    sa.Column("line", sa.Integer(), nullable=False),
    sa.Column("saved_by", sa.String(), nullable=False),
    sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
)


def row_key(raw: Sequence[str]) -> str:
    """The identity of a row as the file has it: a hash of its trimmed cells."""
    text = json.dumps([cell.strip() for cell in raw], ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _hash(layout: str) -> str:
    return hashlib.sha256(layout.encode()).hexdigest()


@dataclass(frozen=True)
class Correction:
    """A row fixed by hand: the field values that replace the file's."""

    fields: Mapping[str, str]
    line: int
    """Where the row was when it was fixed (the file may change; the key stays)."""
    saved_by: str = ""


@dataclass(frozen=True)
class Saved:
    """One source's saved mappings (by layout) and corrections (by row key), of one kind."""

    layouts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    corrections: Mapping[str, Correction] = field(default_factory=dict)

    def overlaid(
        self,
        layouts: Mapping[str, Mapping[str, str]],
        corrections: Mapping[str, Correction],
    ) -> Saved:
        """These, with an import's own (not yet saved) choices on top."""
        return Saved({**self.layouts, **layouts}, {**self.corrections, **corrections})


def read_saved(url: str, source: str, kind: str) -> Saved:
    """What is saved for ``source``'s ``kind`` file; nothing (and nothing created) when
    the console never completed an import into this database."""
    engine = open_database(url)
    if not sa.inspect(engine).has_table(VERSION_TABLE):
        return Saved()
    return ImportStore(url, engine=engine).saved(source, kind)


class ImportStore:
    """Reads and writes the roster_csv tables; every write is one transaction."""

    def __init__(self, url: str, *, engine: Engine | None = None) -> None:
        self.engine: Engine = engine or open_database(url)
        migrate(self.engine, MIGRATIONS, VERSION_TABLE)

    def saved(self, source: str, kind: str) -> Saved:
        with self.engine.connect() as c:
            layouts = {
                row.headers: _strings(row.mapping)
                for row in c.execute(
                    sa.select(layout_t.c.headers, layout_t.c.mapping).where(
                        layout_t.c.source == source, layout_t.c.kind == kind
                    )
                )
            }
            corrections = {
                row.row_key: Correction(_strings(row.fields), row.line, row.saved_by)
                for row in c.execute(
                    sa.select(correction_t).where(
                        correction_t.c.source == source, correction_t.c.kind == kind
                    )
                )
            }
        return Saved(layouts, corrections)

    def save(
        self,
        source: str,
        kind: str,
        *,
        layout: str,
        mapping: Mapping[str, str],
        corrections: Mapping[str, Correction],
        user: str,
    ) -> None:
        """Keep an import's mapping for its layout and its corrections, together."""
        now = datetime.now(UTC)
        with self.engine.begin() as c:
            c.execute(
                sa.delete(layout_t).where(
                    layout_t.c.source == source,
                    layout_t.c.kind == kind,
                    layout_t.c.layout_hash == _hash(layout),
                )
            )
            c.execute(
                sa.insert(layout_t).values(
                    source=source,
                    kind=kind,
                    layout_hash=_hash(layout),
                    headers=layout,
                    mapping=json.dumps(dict(mapping), sort_keys=True),
                    saved_by=user,
                    saved_at=now,
                )
            )
            for key, fix in corrections.items():
                c.execute(
                    sa.delete(correction_t).where(
                        correction_t.c.source == source,
                        correction_t.c.kind == kind,
                        correction_t.c.row_key == key,
                    )
                )
                c.execute(
                    sa.insert(correction_t).values(
                        source=source,
                        kind=kind,
                        row_key=key,
                        fields=json.dumps(dict(fix.fields), sort_keys=True),
                        line=fix.line,
                        saved_by=fix.saved_by or user,
                        saved_at=now,
                    )
                )

    def forget_correction(self, source: str, kind: str, key: str) -> bool:
        with self.engine.begin() as c:
            gone = c.execute(
                sa.delete(correction_t).where(
                    correction_t.c.source == source,
                    correction_t.c.kind == kind,
                    correction_t.c.row_key == key,
                )
            ).rowcount
        return bool(gone)


def _strings(text: str) -> dict[str, str]:
    data: Any = json.loads(text or "{}")
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
