"""An example third-party rostersync source: a roster kept in one JSON file.

    {"classes": {"Potions": {"members": ["Harry_Potter"], "teachers": ["Severus_Snape"]}}}

It uses only rostersync's public plugin surface, ``sync.api``, exactly as docs/plugins.md
describes; its tests run rostersync's contract suites (``sync.testing``).
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
    SkippableError,
    SkippedRecords,
    SourceError,
    SourceRead,
    SourceType,
    hookimpl,
)


class JsonOptions(PluginOptions):
    path: str


def _names(entry: dict[str, Any], key: str, group: str) -> list[str]:
    names = entry.get(key, [])
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise SkippableError(f"{key} must be a list of user names", field=key, value=group)
    return names


class JsonSource:
    def __init__(self, options: JsonOptions, context: PluginContext) -> None:
        self.path = context.resolve_path(options.path)
        self.name = context.name

    def close(self) -> None:
        """Nothing is held between reads."""

    def read(self) -> SourceRead:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SourceError(f"{self.path}: file not found") from None
        except json.JSONDecodeError as exc:
            raise SourceError(f"{self.path} line {exc.lineno}: not valid JSON: {exc.msg}") from None
        classes = data.get("classes", {}) if isinstance(data, dict) else None
        if not isinstance(classes, dict):
            raise SourceError(f'{self.path}: expected {{"classes": {{...}}}}')
        people: dict[str, Person] = {}
        groups, members, grants, issues = [], [], [], []
        skipped = SkippedRecords(self.name)  # a bad class is reported; the others are read
        for name, entry in classes.items():
            with skipped.record(file=str(self.path)):
                if not isinstance(entry, dict):
                    raise SkippableError("a class must be an object", value=name)
                students = _names(entry, "members", name)
                teachers = _names(entry, "teachers", name)
                if not students:
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
                for student in students:
                    people.setdefault(student, Person(student, Role.STUDENT))
                    members.append(Membership(name, student))
                for teacher in teachers:
                    people.setdefault(teacher, Person(teacher, Role.TEACHER))
                    grants.append(AccessGrant(name, teacher))
        return SourceRead(
            roster=Roster.build(people.values(), groups, members, grants),
            issues=(*issues, *skipped.issues),
            records=len(classes),
            rejected=skipped.rejected,
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
