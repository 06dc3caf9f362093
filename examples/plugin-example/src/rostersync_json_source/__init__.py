"""An example third-party rostersync source: a roster kept in one JSON file.

    {"classes": {"Potions": {"members": ["Harry_Potter"], "teachers": ["Severus_Snape"]}}}

It uses only rostersync's public plugin surface, exactly as docs/plugins.md describes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sync.api import (
    AccessGrant,
    Group,
    Issue,
    Membership,
    Person,
    PluginContext,
    PluginOptions,
    Role,
    Roster,
    Severity,
    SourceError,
    SourceRead,
    SourceType,
    hookimpl,
)


class JsonOptions(PluginOptions):
    path: str


class JsonSource:
    def __init__(self, options: JsonOptions, context: PluginContext) -> None:
        self.path = context.resolve_path(options.path)
        self.name = context.name

    def read(self) -> SourceRead:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SourceError(f"{self.path}: file not found") from None
        except json.JSONDecodeError as exc:
            raise SourceError(f"{self.path} line {exc.lineno}: not valid JSON: {exc.msg}") from None
        people: dict[str, Person] = {}
        groups, members, grants, issues = [], [], [], []
        for name, entry in data.get("classes", {}).items():
            if not entry.get("members"):
                issues.append(
                    Issue(
                        Severity.WARNING,
                        "class has no members; skipped",
                        source=self.name,
                        file=str(self.path),
                        value=name,
                    )
                )
                continue
            groups.append(Group(name, name))
            for student in entry["members"]:
                people.setdefault(student, Person(student, Role.STUDENT))
                members.append(Membership(name, student))
            for teacher in entry.get("teachers", []):
                people.setdefault(teacher, Person(teacher, Role.TEACHER))
                grants.append(AccessGrant(name, teacher))
        return SourceRead(
            roster=Roster.build(people.values(), groups, members, grants),
            issues=tuple(issues),
            records=len(data.get("classes", {})),
        )


@hookimpl
def register_sources(register: Callable[[SourceType[Any]], None]) -> None:
    register(
        SourceType(
            name="json_file",
            options=JsonOptions,
            factory=JsonSource,
            description="a roster kept in one JSON file (example plugin)",
        )
    )
