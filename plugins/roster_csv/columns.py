"""The fields of the Backdrop student and staff files, and matching a file's headers to them.

A header matches a field when the config maps it (``[sources.NAME.student_columns]``
``"Forename" = "first_name"``) or when it spells the field's label or name in any case
with any spacing ("first name", "FIRST_NAME", " First  Name ").
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from plugins.csvfile import UTF8_BOM

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
    """Match ``headers`` to the fields of ``kind``; ``mapping`` is the config's header -> field
    (a header mapped to ``""``, as a mapping saved in the console may, is ignored)."""
    fields = FIELDS[kind]
    by_fold = {fold(label): name for name, label in fields.items()}
    by_fold.update({fold(name): name for name in fields})
    mapped = {fold(header): name for header, name in mapping.items()}
    columns: dict[str, int] = {}
    ignored = []
    clashes = []
    for index, header in enumerate(headers):
        key = fold(header)
        name = (mapped[key] or None) if key in mapped else by_fold.get(key)
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


def template_text(kind: Kind) -> str:
    """The header row of an empty ``kind`` file, as ``rostersync template`` writes it."""
    return "\r\n".join([",".join(_quoted(h) for h in template_header(kind)), ""])


def template_bytes(kind: Kind) -> bytes:
    """The template as a file: UTF-8 with a BOM, so that Excel opens it as UTF-8."""
    return UTF8_BOM + template_text(kind).encode()


def _quoted(cell: str) -> str:
    return f'"{cell.replace(chr(34), chr(34) * 2)}"' if any(c in cell for c in ',"\r\n') else cell


#: Headers other spreadsheets use for each field, folded (see ``suggest``).
SYNONYMS: Mapping[Kind, Mapping[str, str]] = {
    "students": {
        **dict.fromkeys(
            ("forename", "forenames", "given name", "first", "firstname", "preferred name"),
            "first_name",
        ),
        **dict.fromkeys(
            ("last name", "lastname", "family name", "legal surname", "second name"), "surname"
        ),
        **dict.fromkeys(
            ("dob", "d.o.b.", "d.o.b", "birth date", "birthday", "date of birth", "born"),
            "date_of_birth",
        ),
        **dict.fromkeys(("sex", "legal sex", "m/f"), "gender"),
        **dict.fromkeys(("year", "yr", "nc year", "year group", "curriculum year"), "year_group"),
        **dict.fromkeys(
            (
                "reg",
                "reg group",
                "reg grp",
                "form",
                "form group",
                "tutor group",
                "registration",
                "class",
            ),
            "registration_group",
        ),
        **dict.fromkeys(("unique pupil number", "pupil number", "upn number", "pupil id"), "upn"),
    },
    "staff": {
        **dict.fromkeys(("forename", "given name", "first", "firstname"), "first_name"),
        **dict.fromkeys(("last name", "lastname", "family name"), "surname"),
        **dict.fromkeys(("role", "job title", "job", "position", "title"), "job_role"),
        **dict.fromkeys(
            ("group", "access group", "permission group", "permissions", "user role"),
            "user_group",
        ),
        **dict.fromkeys(("login", "user", "user name", "account"), "username"),
        **dict.fromkeys(("e-mail", "email address", "mail", "work email"), "email"),
        **dict.fromkeys(
            ("reg", "form", "tutor group", "classes", "reg group"), "registration_group"
        ),
    },
}


def suggest(header: str, kind: Kind) -> str | None:
    """The field a header that ``match`` does not know probably means: a synonym other
    spreadsheets use ("Forename", "DOB", "Reg"), or a near spelling ("Surnmae")."""
    key = fold(header).strip(" .:")
    if not key:
        return None
    known = SYNONYMS[kind]
    if key in known:
        return known[key]
    spellings = {fold(label): name for name, label in FIELDS[kind].items()}
    spellings.update({word: name for word, name in known.items() if len(word) > 3})
    close = difflib.get_close_matches(key, list(spellings), n=1, cutoff=0.8)
    return spellings[close[0]] if close else None


def layout_key(headers: Sequence[str]) -> str:
    """A file's layout: its headers as ``match`` compares them, in order. A mapping saved
    for one layout is used again for every file with the same headers."""
    return json.dumps([fold(h) for h in headers], ensure_ascii=False)
