"""What the ldap target remembers between runs about the groups it owns, so that a rerun
need not read their members: per group entry, its change stamp and what its members were
at that stamp (a digest and count for a class group, the person ids for a companion).

A change stamp is the entry's ``entryCSN`` (OpenLDAP; unique to each change, replicated
with it) or, failing that, its ``uSNChanged`` (Active Directory) qualified by the domain
controller that numbered it (``dsServiceName``: each DC counts on its own). Any change to
the entry, by anyone, gives it a new stamp. What is remembered is only ever a pair read
together: members and stamp from one search result, or the stamp the server answered a
write with (RFC 4527 pre-read and post-read controls, atomic with the write) when the
stamp just before that write was the one the members were known at. So an entry whose
stamp is still the remembered one holds the remembered members; one whose stamp differs,
or that has none, is read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sync.api import StateBag

#: The operational attributes that make a change stamp, asked for in every read.
STAMP_ATTRIBUTES = ("entryCSN", "uSNChanged")

#: The key in the target's plugin state.
STATE_KEY = "groups"
VERSION = 1


def attribute_values(attributes: Mapping[str, Any], name: str) -> list[Any]:
    """The values of attribute ``name`` (in any case) in ``attributes``."""
    found = attributes.get(name)
    if found is None:  # ldap3 gives search results case-insensitive, control values not
        lower = name.lower()
        found = next((v for k, v in attributes.items() if k.lower() == lower), None)
    if found is None:
        return []
    return list(found) if isinstance(found, list | tuple) else [found]


def stamp_of(attributes: Mapping[str, Any] | None, server: Callable[[], str]) -> str | None:
    """The entry's change stamp from its attributes, None when it has none (or only a
    ``uSNChanged`` and ``server()``, the identity of the server that numbered it, is "")."""
    if not attributes:
        return None
    csn = attribute_values(attributes, "entryCSN")
    if csn:
        return "csn:" + ";".join(sorted(str(v) for v in csn))
    usn = attribute_values(attributes, "uSNChanged")
    if usn:
        where = server()
        return f"usn:{where}:{usn[0]}" if where else None
    return None


@dataclass(frozen=True)
class Known:
    """An owned group's members as they were at ``stamp``: ``digest`` and ``count`` of a
    class group's person ids, or ``people`` of a companion."""

    stamp: str
    digest: str | None = None
    count: int = 0
    people: tuple[str, ...] | None = None

    def as_json(self) -> dict[str, Any]:
        if self.people is not None:
            return {"s": self.stamp, "p": list(self.people)}
        return {"s": self.stamp, "d": self.digest, "n": self.count}

    @classmethod
    def from_json(cls, value: Any) -> Known | None:
        if not isinstance(value, dict) or not isinstance(value.get("s"), str):
            return None
        people = value.get("p")
        if isinstance(people, list) and all(isinstance(p, str) for p in people):
            return cls(value["s"], people=tuple(people))
        digest, count = value.get("d"), value.get("n")
        if isinstance(digest, str) and isinstance(count, int):
            return cls(value["s"], digest=digest, count=count)
        return None


class Remembered:
    """The groups remembered by the previous runs of this target, by marker (a stamp is
    unique to one change of one entry, so it tells the entry apart too), for one
    ``scope``: the options that decide what a member DN means. A record of another scope
    (``users_dn`` or ``user_attribute`` changed, another server) is not used."""

    def __init__(self, state: StateBag, scope: str) -> None:
        self.state = state
        self.scope = scope
        self._groups: dict[str, Any] | None = None
        self.changed = False

    @property
    def groups(self) -> dict[str, Any]:
        if self._groups is None:
            stored = self.state.get(STATE_KEY)
            ok = (
                isinstance(stored, dict)
                and stored.get("v") == VERSION
                and stored.get("scope") == self.scope
                and isinstance(stored.get("groups"), dict)
            )
            self._groups = dict(stored["groups"]) if ok else {}
            self.changed = self.changed or not ok  # a record of this scope is staged once
        return self._groups

    def trusted(self, mark: str, stamp: str | None, *, companion: bool) -> Known | None:
        """What is remembered of the group marked ``mark`` when its stamp is ``stamp``."""
        if stamp is None:
            return None
        known = Known.from_json(self.groups.get(mark))
        if known is None or known.stamp != stamp or (known.people is not None) != companion:
            return None
        return known

    def put(self, mark: str, known: Known) -> None:
        self.groups[mark] = known.as_json()
        self.changed = True

    def drop(self, mark: str) -> None:
        if self.groups.pop(mark, None) is not None:
            self.changed = True

    def keep_only(self, marks: set[str]) -> None:
        for mark in [mark for mark in self.groups if mark not in marks]:
            self.drop(mark)

    def save(self) -> None:
        """Stage what is remembered now (written when the run ends ok or partial)."""
        if self.changed:
            self.state.put(
                STATE_KEY, {"v": VERSION, "scope": self.scope, "groups": dict(self.groups)}
            )
            self.changed = False
