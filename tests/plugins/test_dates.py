"""The one date reader (plugins.dates), and roster_csv's date of birth through it."""

from __future__ import annotations

import pytest

from plugins import people
from plugins.dates import InvalidDate, read_date


@pytest.mark.parametrize(
    ("text", "order", "iso"),
    [
        ("2014-10-08", "day_first", "2014-10-08"),
        ("20141008", "month_first", "2014-10-08"),
        ("2014-10-08T00:00:00Z", "day_first", "2014-10-08"),
        ("2026-08-01T09:30:00.000+01:00", "day_first", "2026-08-01"),
        ("08/10/2014", "day_first", "2014-10-08"),
        ("08/10/2014", "month_first", "2014-08-10"),
        ("8.10.2014", "day_first", "2014-10-08"),
        ("10/31/2014", "day_first", "2014-10-31"),  # only month-first is a date
        ("31/10/2014", "month_first", "2014-10-31"),  # only day-first is a date
        ("08 October 2014", "day_first", "2014-10-08"),
        ("8 Oct 2014", "month_first", "2014-10-08"),
        ("8th Sept 2014", "day_first", "2014-09-08"),
        ("October 8, 2014", "day_first", "2014-10-08"),
        ("  8  oct  2014 ", "day_first", "2014-10-08"),
    ],
)
def test_dates_as_sis_and_mis_exports_write_them(text: str, order: str, iso: str) -> None:
    assert read_date(text, order).isoformat() == iso  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("31/02/2014", "no such date"),
        ("13/13/2014", "no such date"),
        ("08/10/14", "four digits"),
        ("8 Octember 2014", "not a month"),
        ("soon", "not a date"),
    ],
)
def test_what_is_not_a_date_says_why(text: str, reason: str) -> None:
    with pytest.raises(InvalidDate, match=reason):
        read_date(text)


@pytest.mark.parametrize("text", ["08 October 2014", "8 Oct 2014"])
def test_roster_csv_dates_of_birth_with_a_month_name_import(text: str) -> None:
    """Regression: UK MIS exports wrote these and roster_csv refused them as 'not a date'."""
    assert people.date_of_birth(text).isoformat() == "2014-10-08"
