"""The ``impero_csv`` source: Impero Education Pro's SIS CSV import.

``students.csv`` makes groups (one per class that has members) and memberships;
``teachers.csv`` grants each teacher access to exactly the classes listed for them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool

from plugins.csvfile import settle_field
from plugins.impero_csv.reader import FileRead, read_pairs, without_duplicates
from plugins.lookalike import case_variants
from sync.api import (
    AccessGrant,
    Group,
    Issue,
    Memberships,
    Person,
    PluginContext,
    PluginOptions,
    Role,
    Roster,
    Severity,
    SourceRead,
)

BASIC_CONSOLE_ONLY = "basic_console_only"
RESTRICT_CUSTOMISATION = "restrict_customisation"


class ImperoCsvOptions(PluginOptions):
    path: str = Field(description="folder holding teachers.csv and students.csv")
    students_file: str = "students.csv"
    teachers_file: str = "teachers.csv"
    identity: Literal["username", "email_local_part"] = Field(
        default="username",
        description="'username': as written; 'email_local_part': the part before '@' "
        "(Chromebook logins)",
    )
    global_access: list[str] = Field(
        default_factory=list, description="users given access to every imported group"
    )
    basic_console_only: StrictBool = False
    restrict_customisation: StrictBool = False
    settle_seconds: float = settle_field()


class ImperoCsvSource:
    """Reads the two files of one Impero CSV import folder."""

    def __init__(self, options: ImperoCsvOptions, context: PluginContext) -> None:
        self.options = options
        self.context = context
        self.folder = context.resolve_path(options.path)

    def _read(self, filename: str) -> FileRead:
        path = self.folder / filename
        self.context.progress(f"reading {path}")
        return read_pairs(
            path,
            source=self.context.name,
            display=filename,
            identity=self.options.identity,
            settle_seconds=self.options.settle_seconds,
        )

    def close(self) -> None:
        """Each read opens and closes its files; nothing is held between reads."""

    def read(self) -> SourceRead:
        name = self.context.name
        students = self._read(self.options.students_file)
        memberships = Memberships(zip(students.classes, students.usernames, strict=True))
        if len(memberships) != len(students):
            without_duplicates(students, source=name, display=self.options.students_file)
        teachers = self._read(self.options.teachers_file)
        if len(set(zip(teachers.usernames, teachers.classes, strict=True))) != len(teachers):
            without_duplicates(teachers, source=name, display=self.options.teachers_file)
        issues: list[Issue] = [*students.issues, *teachers.issues]

        pupils = list(dict.fromkeys(students.usernames))
        people = dict(zip(pupils, Person.many(pupils, Role.STUDENT), strict=True))
        groups = {k: Group(k, k) for k in dict.fromkeys(students.classes)}
        students_file = self.options.students_file
        issues.extend(
            case_variants(groups, what="classes", source=name, file=students_file, field="class")
        )

        options = frozenset(
            flag
            for flag, enabled in (
                (BASIC_CONSOLE_ONLY, self.options.basic_console_only),
                (RESTRICT_CUSTOMISATION, self.options.restrict_customisation),
            )
            if enabled
        )
        grants = []
        for line, username, klass in teachers.rows():
            known = people.get(username)
            if known is not None and known.role is Role.STUDENT:
                issues.append(
                    Issue(
                        Severity.WARNING,
                        f"{username!r} is also listed in {self.options.students_file}; "
                        "they keep their memberships and also get this access",
                        source=name,
                        file=self.options.teachers_file,
                        line=line,
                        field="username",
                        value=username,
                    )
                )
            else:
                people[username] = Person(username, Role.TEACHER)
            if klass not in groups:
                issues.append(
                    Issue(
                        Severity.WARNING,
                        f"class {klass!r} has no students in {self.options.students_file}, "
                        "so no group is created and no access is granted",
                        source=name,
                        file=self.options.teachers_file,
                        line=line,
                        field="class",
                        value=klass,
                    )
                )
                continue
            grants.append(AccessGrant(klass, username, options))
        issues.extend(
            case_variants(
                people, what="usernames", source=name, file=students_file, field="username"
            )
        )
        for user in self.options.global_access:
            people.setdefault(user, Person(user, Role.STAFF))
            grants.extend(AccessGrant(key, user) for key in groups)

        return SourceRead(
            roster=Roster.build(people.values(), groups.values(), memberships, _dedupe(grants)),
            issues=tuple(issues),
            records=students.records + teachers.records,
            rejected=students.rejected + teachers.rejected,
        )


def _dedupe(grants: list[AccessGrant]) -> list[AccessGrant]:
    """One grant per teacher and group; a teacher row wins over global access."""
    kept: dict[tuple[str, str], AccessGrant] = {}
    for grant in grants:
        kept.setdefault((grant.group, grant.principal), grant)
    return list(kept.values())
