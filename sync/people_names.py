"""People's names beside their ids ("Harry Potter (A1234)"), for the CLI and the console.

A target keeps ids; the names come from what the sync's sources say (``Engine.known``).
"""

from __future__ import annotations

from collections.abc import Mapping

from sync.model import Person


def person_names(people: Mapping[str, Person]) -> dict[str, str]:
    """Each named person's name ("Harry Potter") by id; people without a name are left out."""
    names = {}
    for ident, person in people.items():
        name = f"{person.given_name} {person.family_name}".strip()
        if name:
            names[ident] = name
    return names


def labelled(ident: str, names: Mapping[str, str]) -> str:
    """``Harry Potter (A1234)``, or the id alone when no source names the person."""
    name = names.get(ident)
    return f"{name} ({ident})" if name else ident
