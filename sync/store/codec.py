"""A run's changes as the store records them: compressed JSON, one entry per person run."""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from itertools import groupby
from typing import Any

from sync.model import CHANGE_ALL_BUT_PERSON, CHANGE_PERSON, Change, ChangeKind

_RECORD_VERSION = 2


def pack_changes(changes: Sequence[Change]) -> bytes:
    """Changes as compressed JSON: consecutive changes that differ only in the person
    are one entry ``[kind, group, name, options, student, reason, [person, ...]]``.

    A district's first sync records hundreds of thousands of changes, nearly all of
    them a group's members one after another, so this is a few thousand entries.
    """
    entries = [
        [kind, group, name, sorted(options), student, reason, list(map(CHANGE_PERSON, run))]
        for (kind, group, name, options, student, reason), run in groupby(
            changes,
            key=CHANGE_ALL_BUT_PERSON,  # consecutive changes but for the person: one entry
        )
    ]
    text = json.dumps({"v": _RECORD_VERSION, "runs": entries}, separators=(",", ":"))
    return zlib.compress(text.encode(), 1)


def unpack_changes(blob: bytes | None) -> list[Change]:
    if not blob:
        return []
    data = json.loads(zlib.decompress(blob))
    if isinstance(data, list):  # recorded before version 2: one array per change
        return [
            Change(ChangeKind(kind), group, name, person, frozenset(options), student, reason)
            for kind, group, name, person, options, student, reason in data
        ]
    return [
        Change(ChangeKind(kind), group, name, person, frozenset(options), student, reason)
        for kind, group, name, options, student, reason, people in data["runs"]
        for person in people
    ]


def change_entries(blob: bytes | None) -> list[list[Any]]:
    """A record's entries as ``pack_changes`` wrote them (older records converted)."""
    if not blob:
        return []
    data = json.loads(zlib.decompress(blob))
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
