"""The one date reader every source uses: dates as SISs and MIS exports write them.

Accepted: ISO 8601 (``2014-10-08``, ``20141008``, ``2014-10-08T00:00:00Z``), numeric
day/month/year or month/day/year with ``/``, ``.`` or ``-`` (``order`` says which when both
readings are possible; when only one is a real date, that one is taken), and dates with a
month name (``08 October 2014``, ``8 Oct 2014``, ``October 8, 2014``). Two-digit years are
refused: ``03/04/11`` could be 1911 or 2011.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

DateOrder = Literal["day_first", "month_first", "year_first"]

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][0-9:.]*(?:Z|[+-]\d{2}:?\d{2})?)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_NUMERIC = re.compile(r"^(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})$")
_DAY_MONTH_NAME = re.compile(
    r"^(\d{1,2})(?:st|nd|rd|th)?[\s\-/]+([A-Za-z]+)\.?,?[\s\-/]+(\d{1,4})$"
)
_MONTH_NAME_DAY = re.compile(
    r"^([A-Za-z]+)\.?[\s\-/]+(\d{1,2})(?:st|nd|rd|th)?,?[\s\-/]+(\d{1,4})$"
)
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}

EXAMPLES: dict[DateOrder, str] = {
    "day_first": "day/month/year, e.g. 31/01/2014",
    "month_first": "month/day/year, e.g. 01/31/2014",
    "year_first": "year-month-day, e.g. 2014-01-31",
}


class InvalidDate(ValueError):
    """A value that is not a date; the message says how dates are read."""


def _make(year: str, month: int, day: int, order: DateOrder) -> date:
    if len(year) != 4:
        raise InvalidDate(f"the year must have four digits; write it as {EXAMPLES[order]}")
    try:
        return date(int(year), month, day)
    except ValueError:
        raise InvalidDate(
            f"no such date (day {day}, month {month}, year {year}); "
            f"dates are read as {EXAMPLES[order]}"
        ) from None


def _month(name: str, order: DateOrder) -> int:
    number = _MONTHS.get(name.casefold())
    if number is None:
        raise InvalidDate(f"{name!r} is not a month; write the date as {EXAMPLES[order]}")
    return number


def _numeric(a: str, b: str, c: str, order: DateOrder) -> date:
    if len(a) == 4:
        return _make(a, int(b), int(c), order)
    if len(c) != 4:
        raise InvalidDate(f"the year must have four digits; write it as {EXAMPLES[order]}")
    first, second = int(a), int(b)
    if order == "month_first":
        month, day = first, second
        if month > 12 >= day:  # only the other reading is a date
            month, day = day, month
    else:
        day, month = first, second
        if month > 12 >= day:
            month, day = day, month
    return _make(c, month, day, order)


def read_date(value: str, order: DateOrder = "day_first") -> date:
    """The date ``value`` writes; raises ``InvalidDate`` saying why it is not one."""
    text = " ".join(value.split())
    if not text:
        raise InvalidDate("the date is empty")
    if match := _ISO.match(text):
        return _make(match[1], int(match[2]), int(match[3]), order)
    if match := _COMPACT.match(text):
        return _make(match[1], int(match[2]), int(match[3]), order)
    if match := _NUMERIC.match(text):
        return _numeric(match[1], match[2], match[3], order)
    if match := _DAY_MONTH_NAME.match(text):
        return _make(match[3], _month(match[2], order), int(match[1]), order)
    if match := _MONTH_NAME_DAY.match(text):
        return _make(match[3], _month(match[1], order), int(match[2]), order)
    raise InvalidDate(f"not a date; write it as {EXAMPLES[order]}")
