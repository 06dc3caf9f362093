"""A deterministic district: N students, about N/16 teachers, six sections of ~25 each.

N=50,000 gives 12,000 sections and 300,000 memberships. The same district can be
written as Impero CSV files and served by the tests' fake Clever server.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PERIODS = 6
SECTION_SIZE = 25


@dataclass(frozen=True)
class Section:
    id: str
    name: str
    period: int
    teacher: str
    students: tuple[str, ...]


@dataclass(frozen=True)
class District:
    students: tuple[str, ...]
    teachers: tuple[str, ...]
    sections: tuple[Section, ...]

    @property
    def memberships(self) -> int:
        return sum(len(s.students) for s in self.sections)

    def pairs(self) -> Iterator[tuple[str, str]]:
        for section in self.sections:
            for student in section.students:
                yield student, section.name


def generate(n: int, seed: int = 2026) -> District:
    """The same district for the same ``n`` and ``seed``, every time."""
    rng = random.Random(seed)
    students = tuple(f"s{i:06d}" for i in range(n))
    teachers = tuple(f"t{i:05d}" for i in range(max(1, n // 16)))
    sections = []
    for period in range(1, PERIODS + 1):
        order = list(students)
        rng.shuffle(order)
        for start in range(0, len(order), SECTION_SIZE):
            number = len(sections)
            sections.append(
                Section(
                    id=f"{number:024x}",
                    name=f"Section {number:05d} P{period}",
                    period=period,
                    teacher=teachers[number % len(teachers)],
                    students=tuple(order[start : start + SECTION_SIZE]),
                )
            )
    return District(students, teachers, tuple(sections))


def move_one_percent(district: District, seed: int = 7) -> District:
    """The same district with 1% of memberships moved to another section of the same period."""
    rng = random.Random(seed)
    sections = [list(s.students) for s in district.sections]
    by_period: dict[int, list[int]] = {}
    for index, section in enumerate(district.sections):
        by_period.setdefault(section.period, []).append(index)
    moves = district.memberships // 100
    done = 0
    while done < moves:
        source = rng.randrange(len(sections))
        if len(sections[source]) < 2:
            continue
        candidates = by_period[district.sections[source].period]
        target = candidates[rng.randrange(len(candidates))]
        if target == source:
            continue
        student = sections[source].pop(rng.randrange(len(sections[source])))
        sections[target].append(student)
        done += 1
    return District(
        district.students,
        district.teachers,
        tuple(
            Section(s.id, s.name, s.period, s.teacher, tuple(members))
            for s, members in zip(district.sections, sections, strict=True)
        ),
    )


def write_impero(district: District, folder: Path) -> Path:
    """``students.csv`` and ``teachers.csv`` in Impero's format."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "students.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["version", "1"])
        writer.writerow(["username", "class"])
        writer.writerows(district.pairs())
    with (folder / "teachers.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["version", "1"])
        writer.writerow(["username", "class"])
        writer.writerows((s.teacher, s.name) for s in district.sections)
    return folder


def write_oneroster(district: District, folder: Path) -> Path:
    """The district as a OneRoster 1.1 bulk CSV package (a folder), one school, one term."""
    folder.mkdir(parents=True, exist_ok=True)

    def table(name: str, header: list[str], rows: Iterator[list[str]] | list[list[str]]) -> None:
        with (folder / name).open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            writer.writerows(rows)

    bulk = ("academicSessions", "classes", "courses", "enrollments", "orgs", "users")
    table(
        "manifest.csv",
        ["propertyName", "value"],
        [["manifest.version", "1.0"], ["oneroster.version", "1.1"]]
        + [[f"file.{name}", "bulk"] for name in bulk],
    )
    table(
        "orgs.csv", ["sourcedId", "status", "name", "type"], [["sch", "active", "School", "school"]]
    )
    table(
        "academicSessions.csv",
        ["sourcedId", "status", "title", "type", "startDate", "endDate"],
        [["term", "active", "Year", "schoolYear", "2026-08-01", "2027-07-31"]],
    )
    table("courses.csv", ["sourcedId", "status", "title"], [["course", "active", "Course"]])
    table(
        "classes.csv",
        [
            "sourcedId",
            "status",
            "title",
            "courseSourcedId",
            "schoolSourcedId",
            "termSourcedIds",
            "periods",
        ],
        (
            [s.id, "active", s.name, "course", "sch", "term", str(s.period)]
            for s in district.sections
        ),
    )
    people = [(u, "student") for u in district.students] + [
        (t, "teacher") for t in district.teachers
    ]
    table(
        "users.csv",
        [
            "sourcedId",
            "status",
            "enabledUser",
            "orgSourcedIds",
            "role",
            "username",
            "givenName",
            "familyName",
            "email",
        ],
        (
            [f"u-{u}", "active", "true", "sch", role, u, u, "", f"{u}@district.example"]
            for u, role in people
        ),
    )

    def enrollments() -> Iterator[list[str]]:
        for section in district.sections:
            for student in section.students:
                yield [
                    f"{section.id}-{student}",
                    "active",
                    section.id,
                    "sch",
                    f"u-{student}",
                    "student",
                    "false",
                ]
            yield [
                f"{section.id}-{section.teacher}",
                "active",
                section.id,
                "sch",
                f"u-{section.teacher}",
                "teacher",
                "true",
            ]

    table(
        "enrollments.csv",
        [
            "sourcedId",
            "status",
            "classSourcedId",
            "schoolSourcedId",
            "userSourcedId",
            "role",
            "primary",
        ],
        enrollments(),
    )
    return folder
