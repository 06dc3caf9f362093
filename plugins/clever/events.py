"""Incremental sync: Clever's ``/events`` applied to the snapshot of the last sync.

Events come oldest first and carry the whole object (``data.object``), so applying
one is idempotent: ``created`` and ``updated`` replace the record, ``deleted`` drops
it. Only users, sections and schools matter; other record types are passed over.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from plugins.clever.mapping import compact_school, compact_section, compact_user

log = logging.getLogger(__name__)

JSON = dict[str, Any]
KINDS = {"users": "users", "sections": "sections", "schools": "schools"}
ACTIONS = frozenset({"created", "updated", "deleted"})


def empty_snapshot() -> JSON:
    return {"users": {}, "sections": {}, "schools": {}}


def apply_event(snapshot: JSON, event: JSON, roles: Iterable[str]) -> bool:
    """Apply one event (the inner object of a list item); True if it was one we use."""
    kind, _, action = str(event.get("type", "")).partition(".")
    if kind not in KINDS or action not in ACTIONS:
        return False
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict) or not obj.get("id"):
        log.warning("event %s (%s) has no object id; ignored", event.get("id"), event.get("type"))
        return False
    oid = str(obj["id"])
    table: dict[str, Any] = snapshot[KINDS[kind]]
    if action == "deleted":
        table.pop(oid, None)
        return True
    if kind == "users":
        record = compact_user(obj, roles)
        if record is None:
            table.pop(oid, None)  # no longer holds a role we read
        else:
            table[oid] = record
    elif kind == "sections":
        table[oid] = compact_section(obj)
    else:
        table[oid] = compact_school(obj)
    return True
