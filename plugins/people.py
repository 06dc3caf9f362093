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

from plugins.dates import DateOrder as DateOrder
from plugins.dates import InvalidDate, read_date
from sync.api import Group

GroupField = Literal["registration_group", "year_group"]

GENERATED_PREFIX = "gen-"
_GENDERS = {"m": "M", "male": "M", "f": "F", "female": "F", "": ""}
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

    Read by the one date reader (``plugins.dates``): ISO dates (2014-09-01) and dates with a
    month name (8 Oct 2014) are always accepted. Impossible dates (31/02/2014), two-digit
    years and dates in the future are refused.
    """
    if not value.strip():
        raise InvalidValue("the date of birth is empty")
    try:
        born = read_date(value, order)
    except InvalidDate as exc:
        raise InvalidValue(str(exc)) from None
    if born > (today or date.today()):
        raise InvalidValue("the date of birth is in the future")
    if born.year < 1900:
        raise InvalidValue("the date of birth is before 1900")
    return born


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
