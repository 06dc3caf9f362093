"""School people as the Backdrop roster describes them, shared by ``roster_csv`` and ``manual``.

Both sources must give the same student the same id and put them in the same groups,
so that a manual entry can stand in for (or correct) a CSV row: the rules live here.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import date
from typing import Literal

from sync.api import Group

DateOrder = Literal["day_first", "month_first", "year_first"]
GroupField = Literal["registration_group", "year_group"]

GENERATED_PREFIX = "gen-"
_GENDERS = {"m": "M", "male": "M", "f": "F", "female": "F", "": ""}
_DATE = re.compile(r"^\s*(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})\s*$")
_UPN = re.compile(r"^[A-Za-z0-9]+$")


class InvalidValue(ValueError):
    """A value that cannot be accepted; the message says what is allowed."""


def gender(value: str) -> str:
    """``M``, ``F`` or ``''`` from Male/Female/M/F in any case, or blank."""
    found = _GENDERS.get(value.strip().casefold())
    if found is None:
        raise InvalidValue("gender must be Male, Female, M, F or blank")
    return found


def date_of_birth(value: str, order: DateOrder = "day_first", *, today: date | None = None) -> date:
    """A date of birth as written in a UK (day-first) spreadsheet, or as configured.

    An ISO date (2014-09-01) is always accepted. Impossible dates (31/02/2014), two-digit
    years and dates in the future are refused.
    """
    text = value.strip()
    if not text:
        raise InvalidValue("the date of birth is empty")
    match = _DATE.match(text)
    if match is None:
        raise InvalidValue(f"not a date; write it as {_EXAMPLES[order]}")
    a, b, c = match.groups()
    if len(a) == 4:
        year, month, day = a, b, c
    elif len(c) == 4:
        if order == "month_first":
            month, day, year = a, b, c
        else:
            day, month, year = a, b, c
    else:
        raise InvalidValue(f"the year must have four digits; write it as {_EXAMPLES[order]}")
    try:
        born = date(int(year), int(month), int(day))
    except ValueError:
        raise InvalidValue(
            f"no such date (day {int(day)}, month {int(month)}, year {year}); "
            f"dates are read as {_EXAMPLES[order]}"
        ) from None
    if born > (today or date.today()):
        raise InvalidValue("the date of birth is in the future")
    if born.year < 1900:
        raise InvalidValue("the date of birth is before 1900")
    return born


_EXAMPLES: dict[DateOrder, str] = {
    "day_first": "day/month/year, e.g. 31/01/2014",
    "month_first": "month/day/year, e.g. 01/31/2014",
    "year_first": "year-month-day, e.g. 2014-01-31",
}


def upn(value: str) -> str:
    """A UPN as written, upper-cased; letters and digits only."""
    text = value.strip().upper()
    if text and not _UPN.match(text):
        raise InvalidValue("a UPN has only letters and digits (e.g. A123456789012)")
    return text


def _normal(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(folded.split())


def student_id(first_name: str, surname: str, born: date, upn_value: str = "") -> str:
    """The UPN, or when there is none an id made from the name and date of birth.

    The generated id is the same for the same student on every run (case and extra
    spaces do not matter); two different students with the same name and birthday
    get the same id, which the sources report as a collision instead of merging them.
    """
    if upn_value:
        return upn_value
    key = f"{_normal(first_name)}\0{_normal(surname)}\0{born.isoformat()}"
    return GENERATED_PREFIX + hashlib.sha256(key.encode()).hexdigest()[:16]


def group_for(kind: GroupField, value: str) -> Group | None:
    """The group a registration group or year group value makes, or None when blank.

    Keys carry the kind (``reg:7A``, ``year:7``) so that a year and a form never clash.
    """
    text = " ".join(value.split())
    if not text:
        return None
    if kind == "registration_group":
        return Group(f"reg:{text}", text)
    name = text if text.casefold().startswith("year") else f"Year {text}"
    return Group(f"year:{text}", name)


def default_groups() -> list[GroupField]:
    """Students are grouped by registration group unless configured otherwise."""
    return ["registration_group"]
