"""Microsoft School Data Sync CSV (v1 with US or UK headers, v2 and v2.1) -> OneRoster tables.

The format is found from the file names. Each file is read with its own column names
(any case), then translated into the OneRoster ``Tables`` the one mapping reads, so an SDS
section and a OneRoster class make the same group. Passwords, guardians
(``relationships.csv``), demographics and user flags are never read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from plugins.csvfile import strict_text
from plugins.oneroster.package import files_in, read_rows
from plugins.oneroster.rows import Row
from plugins.oneroster.spec import is_true
from sync.api import Issue, SourceError

Format = Literal["v1", "v2", "v2.1"]

#: SDS v1 files (both header styles).
V1_FILES = (
    "School.csv",
    "Section.csv",
    "Student.csv",
    "Teacher.csv",
    "StudentEnrollment.csv",
    "TeacherRoster.csv",
)
#: SDS v2 / v2.1 files rostersync reads (v2.1 adds roles.csv).
V2_FILES = ("orgs.csv", "users.csv", "classes.csv", "enrollments.csv")
V2_OPTIONAL = ("roles.csv", "academicSessions.csv", "courses.csv")
#: Roles that teach a class: they get access to it.
TEACHING_ROLES = frozenset({"teacher", "professor", "lecturer", "faculty"})

# column -> the header texts SDS writes for it (US first, then UK).
V1_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "School.csv": {"id": ("SIS ID", "DfE Number", "ID"), "name": ("Name", "School Name")},
    "Section.csv": {
        "id": ("SIS ID", "ID"),
        "school": ("School SIS ID", "School DfE Number"),
        "title": ("Section Name", "Name"),
        "code": ("Section Number", "Section Code"),
        "term_id": ("Term SIS ID", "Term ID"),
        "term": ("Term Name",),
        "start": ("Term StartDate", "Term Start Date"),
        "end": ("Term EndDate", "Term End Date"),
        "course_id": ("Course SIS ID", "Course ID"),
        "course": ("Course Name",),
        "periods": ("Periods", "Period"),
        "status": ("Status",),
    },
    "Student.csv": {
        "id": ("SIS ID", "ID"),
        "school": ("School SIS ID", "School DfE Number"),
        "username": ("Username",),
        "given": ("First Name",),
        "family": ("Last Name",),
        "email": ("Email",),
        "status": ("Status",),
    },
    "StudentEnrollment.csv": {"section": ("Section SIS ID", "Section ID"), "id": ("SIS ID", "ID")},
}
V1_COLUMNS["Teacher.csv"] = V1_COLUMNS["Student.csv"]
V1_COLUMNS["TeacherRoster.csv"] = V1_COLUMNS["StudentEnrollment.csv"]
V1_REQUIRED = {
    "School.csv": ("id",),
    "Section.csv": ("id", "school"),
    "Student.csv": ("id",),
    "Teacher.csv": ("id",),
    "StudentEnrollment.csv": ("section", "id"),
    "TeacherRoster.csv": ("section", "id"),
}

V2_COLUMNS: dict[str, tuple[str, ...]] = {
    "orgs.csv": ("sourcedId", "name", "type", "parentSourcedId"),
    "users.csv": (
        "sourcedId",
        "username",
        "givenName",
        "familyName",
        "email",
        "role",
        "orgSourcedIds",
        "status",
    ),
    "roles.csv": ("userSourcedId", "orgSourcedId", "role", "isPrimary"),
    "classes.csv": (
        "sourcedId",
        "orgSourcedId",
        "title",
        "code",
        "sessionSourcedIds",
        "courseSourcedId",
    ),
    "enrollments.csv": ("classSourcedId", "userSourcedId", "role"),
    "academicSessions.csv": (
        "sourcedId",
        "title",
        "type",
        "startDate",
        "endDate",
        "parentSourcedId",
    ),
    "courses.csv": ("sourcedId", "title", "code"),
}
V2_REQUIRED: dict[str, tuple[str, ...]] = {
    "orgs.csv": ("sourcedId",),
    "users.csv": ("sourcedId",),
    "roles.csv": ("userSourcedId", "role"),
    "classes.csv": ("sourcedId",),
    "enrollments.csv": ("classSourcedId", "userSourcedId", "role"),
    "academicSessions.csv": ("sourcedId",),
    "courses.csv": ("sourcedId",),
}


@dataclass
class Read:
    """One SDS folder as OneRoster tables, with what was wrong in it."""

    format: Format
    tables: dict[str, list[Row]] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    records: int = 0
    rejected: int = 0


def find_format(names: Sequence[str]) -> Format:
    """The SDS format of a folder holding files ``names`` (case-folded)."""
    have = set(names)
    if {"section.csv", "student.csv"} & have or "studentenrollment.csv" in have:
        return "v1"
    if {"users.csv", "orgs.csv"} <= have:
        return "v2.1" if "roles.csv" in have else "v2"
    raise SourceError(
        "not a School Data Sync folder: expected the SDS v1 files "
        f"({', '.join(V1_FILES)}) or the v2/v2.1 files ({', '.join(V2_FILES)}, "
        f"and {', '.join(V2_OPTIONAL)})"
        + (f"; found {', '.join(sorted(have))}" if have else "; found no CSV files")
    )


def read_sds(path: Path, *, source: str) -> Read:
    """Every SDS file in ``path`` as OneRoster tables; ``SourceError`` for a structural fault."""
    files = files_in(path)
    found = find_format(list(files))
    out = Read(found)

    def table(
        filename: str, columns: Mapping[str, Sequence[str]], required: Sequence[str]
    ) -> Sequence[Row]:
        entry = files.get(filename.casefold())
        if entry is None:
            return []
        name, load = entry
        lookup = {text.casefold(): column for column, texts in columns.items() for text in texts}
        return read_rows(
            name,
            strict_text(load(), display=name),
            table=filename,
            lookup=lookup,
            kept=tuple(columns),
            required=required,
            tally=out,
            source=source,
        )

    if found == "v1":
        missing = [f for f in ("Section.csv", "Student.csv") if f.casefold() not in files]
        if missing:
            raise SourceError(f"{path.name}: an SDS v1 folder needs {', '.join(missing)} too")
        read = {f: table(f, V1_COLUMNS[f], V1_REQUIRED[f]) for f in V1_FILES}
        out.tables = _from_v1(read)
    else:
        read = {f: table(f, {c: (c,) for c in V2_COLUMNS[f]}, V2_REQUIRED[f]) for f in V2_COLUMNS}
        out.tables = _from_v2(read)
    return out


def _row(table: str, like: Row, values: dict[str, str]) -> Row:
    return Row(table, like.file, like.line, values)


def _from_v1(read: Mapping[str, Sequence[Row]]) -> dict[str, list[Row]]:
    """SDS v1 rows as OneRoster tables. Students and teachers have separate id spaces in
    SDS v1, so their sourcedIds are prefixed (``student:ID``, ``teacher:ID``)."""
    orgs = [
        _row("orgs", r, {"sourcedId": r.get("id"), "name": r.get("name"), "type": "school"})
        for r in read["School.csv"]
    ]
    classes, sessions, courses = [], {}, {}
    for r in read["Section.csv"]:
        term = r.get("term_id") or r.get("term")
        if term and term not in sessions:
            sessions[term] = _row(
                "academicSessions",
                r,
                {
                    "sourcedId": term,
                    "title": r.get("term") or term,
                    "type": "term",
                    "startDate": r.get("start"),
                    "endDate": r.get("end"),
                },
            )
        course = r.get("course_id") or r.get("course")
        if course and course not in courses:
            courses[course] = _row("courses", r, {"sourcedId": course, "title": r.get("course")})
        status = "tobedeleted" if r.get("status").casefold() == "inactive" else ""
        classes.append(
            _row(
                "classes",
                r,
                {
                    "sourcedId": r.get("id"),
                    "status": status,
                    "title": r.get("title"),
                    "classCode": r.get("code"),
                    "courseSourcedId": course,
                    "schoolSourcedId": r.get("school"),
                    "termSourcedIds": term,
                    "periods": r.get("periods"),
                },
            )
        )
    users, enrollments = [], []
    for role, people, roster in (
        ("student", "Student.csv", "StudentEnrollment.csv"),
        ("teacher", "Teacher.csv", "TeacherRoster.csv"),
    ):
        for r in read[people]:
            users.append(
                _row(
                    "users",
                    r,
                    {
                        "sourcedId": f"{role}:{r.get('id')}",
                        "status": "tobedeleted" if r.get("status").casefold() == "inactive" else "",
                        "orgSourcedIds": r.get("school"),
                        "role": role,
                        "username": r.get("username"),
                        "givenName": r.get("given"),
                        "familyName": r.get("family"),
                        "email": r.get("email"),
                    },
                )
            )
        for r in read[roster]:
            user = f"{role}:{r.get('id')}"
            enrollments.append(
                _row(
                    "enrollments",
                    r,
                    {
                        "sourcedId": f"{r.get('section')}/{user}",
                        "classSourcedId": r.get("section"),
                        "userSourcedId": user,
                        "role": role,
                    },
                )
            )
    return {
        "orgs": orgs,
        "academicSessions": list(sessions.values()),
        "courses": list(courses.values()),
        "classes": classes,
        "users": users,
        "enrollments": enrollments,
    }


def _role(value: str) -> str:
    role = value.strip().casefold()
    return "teacher" if role in TEACHING_ROLES else role


def _from_v2(read: Mapping[str, Sequence[Row]]) -> dict[str, list[Row]]:
    """SDS v2 / v2.1 rows as OneRoster tables (close already: mostly renamed columns)."""
    roles = [
        _row(
            "roles",
            r,
            {
                "sourcedId": f"{r.get('userSourcedId')}/{r.get('orgSourcedId')}/{r.get('role')}",
                "userSourcedId": r.get("userSourcedId"),
                "orgSourcedId": r.get("orgSourcedId"),
                "role": _role(r.get("role")),
                "roleType": "primary" if is_true(r.get("isPrimary")) else "secondary",
            },
        )
        for r in read["roles.csv"]
    ]
    users = [
        _row(
            "users",
            r,
            {
                "sourcedId": r.get("sourcedId"),
                "status": r.get("status"),
                "username": r.get("username"),
                "givenName": r.get("givenName"),
                "familyName": r.get("familyName"),
                "email": r.get("email"),
                "role": _role(r.get("role")),
                "orgSourcedIds": r.get("orgSourcedIds"),
            },
        )
        for r in read["users.csv"]
    ]
    classes = [
        _row(
            "classes",
            r,
            {
                "sourcedId": r.get("sourcedId"),
                "title": r.get("title"),
                "classCode": r.get("code"),
                "schoolSourcedId": r.get("orgSourcedId"),
                "termSourcedIds": r.get("sessionSourcedIds"),
                "courseSourcedId": r.get("courseSourcedId"),
            },
        )
        for r in read["classes.csv"]
    ]
    enrollments = [
        _row(
            "enrollments",
            r,
            {
                "sourcedId": f"{r.get('classSourcedId')}/{r.get('userSourcedId')}",
                "classSourcedId": r.get("classSourcedId"),
                "userSourcedId": r.get("userSourcedId"),
                "role": _role(r.get("role")),
            },
        )
        for r in read["enrollments.csv"]
    ]
    courses = [
        _row("courses", r, {"sourcedId": r.get("sourcedId"), "title": r.get("title")})
        for r in read["courses.csv"]
    ]
    return {
        "orgs": [_row("orgs", r, dict(r.values)) for r in read["orgs.csv"]],
        "academicSessions": [
            _row("academicSessions", r, dict(r.values)) for r in read["academicSessions.csv"]
        ],
        "courses": courses,
        "classes": classes,
        "users": users,
        "roles": roles,
        "enrollments": enrollments,
    }
