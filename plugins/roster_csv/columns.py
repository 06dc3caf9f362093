"""The fields of the Backdrop student and staff files, and matching a file's headers to them.

A header matches a field when the config maps it (``[sources.NAME.student_columns]``
``"Forename" = "first_name"``) or when it spells the field's label or name in any case
with any spacing ("first name", "FIRST_NAME", " First  Name ").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["students", "staff"]

STUDENT_FIELDS: Mapping[str, str] = {
    "first_name": "First Name",
    "surname": "Surname",
    "date_of_birth": "Date Of Birth",
    "gender": "Gender",
    "year_group": "Year Group",
    "registration_group": "Registration Group",
    "upn": "UPN",
}
STUDENT_REQUIRED = ("first_name", "surname", "date_of_birth", "year_group", "registration_group")

STAFF_FIELDS: Mapping[str, str] = {
    "first_name": "First Name",
    "surname": "Surname",
    "job_role": "Job Role",
    "user_group": "User Group",
    "username": "Username",
    "email": "Email",
    "registration_group": "Registration Group",
}
STAFF_REQUIRED = ("first_name", "surname", "job_role", "user_group")
STAFF_ONE_OF = ("username", "email")

FIELDS: Mapping[Kind, Mapping[str, str]] = {"students": STUDENT_FIELDS, "staff": STAFF_FIELDS}


def fold(text: str) -> str:
    """A header or field name compared loosely: case, spaces and underscores ignored."""
    return " ".join(text.replace("_", " ").split()).casefold()


@dataclass(frozen=True)
class Matching:
    """Which column holds each field, and what could not be matched."""

    kind: Kind
    columns: Mapping[str, int]
    headers: Sequence[str]
    ignored: Sequence[str] = ()
    missing: Sequence[str] = ()
    clashes: Sequence[str] = field(default_factory=tuple)

    @property
    def complete(self) -> bool:
        return not self.missing and not self.clashes

    def label(self, name: str) -> str:
        """The header the file uses for ``name`` (what an admin sees in their file)."""
        index = self.columns.get(name)
        return self.headers[index].strip() if index is not None else FIELDS[self.kind][name]


def match(headers: Sequence[str], kind: Kind, mapping: Mapping[str, str]) -> Matching:
    """Match ``headers`` to the fields of ``kind``; ``mapping`` is the config's header -> field."""
    fields = FIELDS[kind]
    by_fold = {fold(label): name for name, label in fields.items()}
    by_fold.update({fold(name): name for name in fields})
    mapped = {fold(header): name for header, name in mapping.items()}
    columns: dict[str, int] = {}
    ignored = []
    clashes = []
    for index, header in enumerate(headers):
        key = fold(header)
        name = mapped.get(key) or by_fold.get(key)
        if name is None:
            if key:
                ignored.append(header.strip())
            continue
        if name in columns:
            clashes.append(
                f"columns {columns[name] + 1} ({headers[columns[name]].strip()!r}) and "
                f"{index + 1} ({header.strip()!r}) both match {fields[name]!r}"
            )
            continue
        columns[name] = index
    required = STUDENT_REQUIRED if kind == "students" else STAFF_REQUIRED
    missing = [fields[name] for name in required if name not in columns]
    if kind == "staff" and not any(name in columns for name in STAFF_ONE_OF):
        missing.append("Username or Email")
    return Matching(kind, columns, list(headers), ignored, missing, clashes)


def guess_kind(headers: Sequence[str]) -> Kind:
    """``staff`` when the headers name a user group or job role, else ``students``."""
    folded = {fold(h) for h in headers}
    return "staff" if folded & {"user group", "job role"} else "students"


def template_header(kind: Kind) -> list[str]:
    return list(FIELDS[kind].values())
