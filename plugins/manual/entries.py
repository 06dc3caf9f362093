"""What the CLI and the console's forms both check before a manual entry is stored: the
same rules, the same messages, each naming the field it is about."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from plugins import people as rules
from plugins.permissions import UserGroups
from plugins.suggest import did_you_mean
from sync.api import Role


class FieldError(ValueError):
    """A value that cannot be stored; ``field`` is the form field (and CLI option) at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Entry:
    """One manual person as stored."""

    id: str
    role: Role
    given_name: str
    family_name: str
    email: str
    attributes: dict[str, str]
    user_group: str

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


def _words(value: str) -> str:
    return " ".join(value.split())


def student_entry(
    *,
    first_name: str,
    surname: str,
    dob: str,
    gender: str = "",
    year_group: str = "",
    registration_group: str = "",
    upn: str = "",
) -> Entry:
    """A student as the roster CSV would read them (same id, same groups), or FieldError."""
    if not first_name.strip():
        raise FieldError("first_name", "the first name is empty")
    if not surname.strip():
        raise FieldError("surname", "the surname is empty")
    try:
        born = rules.date_of_birth(dob)
    except rules.InvalidValue as exc:
        raise FieldError("dob", str(exc)) from None
    try:
        sex = rules.gender(gender)
    except rules.InvalidValue as exc:
        raise FieldError("gender", str(exc)) from None
    try:
        number = rules.upn(upn)
    except rules.InvalidValue as exc:
        raise FieldError("upn", str(exc)) from None
    ident = rules.student_id(first_name.strip(), surname.strip(), born, number)
    return Entry(
        ident,
        Role.STUDENT,
        first_name.strip(),
        surname.strip(),
        "",
        {
            "date_of_birth": born.isoformat(),
            "gender": sex,
            "year_group": _words(year_group),
            "registration_group": _words(registration_group),
            "upn": number,
        },
        "",
    )


def staff_entry(
    groups: UserGroups,
    *,
    login: str,
    first_name: str,
    surname: str,
    user_group: str,
    job_role: str = "",
    email: str = "",
) -> Entry:
    """A staff member in a user group the source defines, or FieldError."""
    if not login.strip() or any(c.isspace() for c in login.strip()):
        raise FieldError("login", "the login is their username or e-mail, with no spaces")
    found = groups.find(user_group)
    if found is None:
        names = groups.names()
        raise FieldError(
            "user_group",
            f"unknown user group {user_group!r} (user groups: {', '.join(names)})"
            + did_you_mean(user_group, names),
        )
    return Entry(
        login.strip(),
        Role.STAFF,
        first_name.strip(),
        surname.strip(),
        email.strip(),
        {"job_role": _words(job_role), "user_group": _words(user_group)},
        _words(user_group),
    )


def check_new(entry: Entry, entered: Mapping[str, Entry], *, replacing: str | None) -> None:
    """Refuse a form's entry whose id another entered person has: a duplicate UPN (or the
    same name and date of birth, or login). The CLI corrects that person instead."""
    other = entered.get(entry.id)
    if other is None or entry.id == replacing:
        return
    if entry.role is Role.STUDENT and entry.attributes.get("upn"):
        raise FieldError("upn", f"UPN {entry.id} is already entered, for {other.name}")
    if entry.role is Role.STUDENT:
        raise FieldError(
            "dob",
            f"{other.name} with the same date of birth is already entered; give their UPNs "
            "to tell them apart, or edit that student",
        )
    raise FieldError("login", f"the login {entry.id} is already entered, for {other.name}")


def require_known(what: str, field: str, key: str, known: Collection[str], hint: str = "") -> None:
    """Refuse ``key`` (``FieldError`` on ``field``) unless it is known, naming the closest
    known ones."""
    if key not in known:
        raise FieldError(field, f"unknown {what} {key!r}{hint}{did_you_mean(key, known)}")
