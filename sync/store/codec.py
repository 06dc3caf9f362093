"""A run's changes as the store records them: compressed JSON, one entry per person run."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from sync.model import CHANGE_ALL_BUT_PERSON, CHANGE_PERSON, Change, ChangeKind

_RECORD_VERSION = 2


def _entries(changes: Iterable[Change]) -> list[list[Any]]:
    return [
        [kind, group, name, sorted(options), student, reason, list(map(CHANGE_PERSON, run))]
        for (kind, group, name, options, student, reason), run in groupby(
            changes,
            key=CHANGE_ALL_BUT_PERSON,  # consecutive changes but for the person: one entry
        )
    ]


def _changes(entries: list[list[Any]]) -> list[Change]:
    return [
        Change(ChangeKind(kind), group, name, person, frozenset(options), student, reason)
        for kind, group, name, options, student, reason, people in entries
        for person in people
    ]


def pack_changes(
    changes: Sequence[Change],
    *,
    undo_values: Sequence[Change] | None = None,
    undoes: int | None = None,
) -> bytes:
    """Changes as compressed JSON: consecutive changes that differ only in the person
    are one entry ``[kind, group, name, options, student, reason, [person, ...]]``.

    A district's first sync records hundreds of thousands of changes, nearly all of
    them a group's members one after another, so this is a few thousand entries.
    ``undo_values`` are the previous values undo needs (``sync.undo``), ``undoes`` the
    run an undo run undid.
    """
    record: dict[str, Any] = {"v": _RECORD_VERSION, "runs": _entries(changes)}
    if undo_values is not None:
        record["undo"] = _entries(undo_values)
    if undoes is not None:
        record["undoes"] = undoes
    text = json.dumps(record, separators=(",", ":"))
    return zlib.compress(text.encode(), 1)


def _record(blob: bytes | None) -> Any:
    return json.loads(zlib.decompress(blob)) if blob else {"runs": []}


def unpack_changes(blob: bytes | None) -> list[Change]:
    data = _record(blob)
    if isinstance(data, list):  # recorded before version 2: one array per change
        return [
            Change(ChangeKind(kind), group, name, person, frozenset(options), student, reason)
            for kind, group, name, person, options, student, reason in data
        ]
    return _changes(data["runs"])


@dataclass(frozen=True)
class UndoRecord:
    """What a run record keeps for undo: the previous values (None when the run was
    recorded before rostersync kept them), and the run it undid, if it was an undo."""

    values: list[Change] | None
    undoes: int | None


def unpack_undo(blob: bytes | None) -> UndoRecord:
    data = _record(blob)
    if not isinstance(data, dict):
        return UndoRecord(None, None)
    values = data.get("undo")
    return UndoRecord(_changes(values) if values is not None else None, data.get("undoes"))


def change_entries(blob: bytes | None) -> list[list[Any]]:
    """A record's entries as ``pack_changes`` wrote them (older records converted)."""
    if not blob:
        return []
    data = _record(blob)
    if isinstance(data, list):
        return [
            [kind, group, name, options, student, reason, [person]]
            for kind, group, name, person, options, student, reason in data
        ]
    entries: list[list[Any]] = data["runs"]
    return entries


def changes_page(entries: Sequence[list[Any]], offset: int, limit: int) -> tuple[list[Change], int]:
    """Changes ``offset`` to ``offset + limit`` of a record's entries, and how many there
    are, without making the rest (a district's first sync records hundreds of thousands)."""
    page: list[Change] = []
    seen = 0
    for kind, group, name, options, student, reason, people in entries:
        count = len(people)
        if len(page) < limit and seen + count > offset:
            start = max(offset - seen, 0)
            for person in people[start : start + limit - len(page)]:
                page.append(
                    Change(
                        ChangeKind(kind), group, name, person, frozenset(options), student, reason
                    )
                )
        seen += count
    return page, seen
