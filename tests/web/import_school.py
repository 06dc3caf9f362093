"""A school's own spreadsheet for the import tests: other column names than Backdrop's,
forty students in four registration groups, and five rows a school gets wrong."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sync.app import App

CONFIG = """\
[state]
url = "sqlite:///{folder}/state.db"

[sync]
sources = ["school"]
target = "console"
retry_wait_seconds = 0

[sync.schedule]
cron = "0 6 * * 1-5"
timezone = "Europe/London"

[sources.school]
plugin = "roster_csv"
students_file = "data/students.csv"
staff_file = "data/staff.csv"
{extra}
[targets.console]
plugin = "directory"
"""

HEADERS = ["Forename", "Surname", "DOB", "Sex", "Yr", "Reg", "Pupil Number", "Notes"]
FORMS = ["7A", "7B", "8A", "8B"]
FIRST = ["Amara", "Ben", "Chloe", "Dev", "Ella", "Finn", "Grace", "Hari", "Isla", "Jack"]
LAST = ["Okafor", "Smith", "Nowak", "Patel", "Jones"]

#: The five bad rows: (what is wrong, the row). Lines are where write_spreadsheet puts them.
BAD = {
    "date": ["Maya", "Brooks", "31/02/2012", "F", "7", "7A", "M100000000041", ""],
    "gender": ["Noah", "Clarke", "14/03/2012", "X", "7", "7B", "M100000000042", ""],
    "duplicate": ["Olly", "Dunn", "02/05/2011", "M", "8", "8A", "M100000000001", ""],
    "surname": ["Priya", "", "21/09/2011", "F", "8", "8B", "M100000000044", ""],
    "upn": ["Quinn", "Evans", "11/11/2011", "M", "8", "8B", "M1000-45", ""],
}
FIXED = {"date": "28/02/2012", "gender": "F"}


def good_rows() -> list[list[str]]:
    rows = []
    for i in range(40):
        form = FORMS[i % 4]
        year = form[0]
        born = f"{1 + i % 28:02d}/{1 + i % 12:02d}/{2012 if year == '7' else 2011}"
        rows.append(
            [
                FIRST[i % 10],
                f"{LAST[i % 5]}{i:02d}",
                born,
                "MF"[i % 2],
                year,
                form,
                f"M1000000000{i + 1:02d}",
                "note" if i % 7 == 0 else "",
            ]
        )
    return rows


def spreadsheet(*, bad: bool = True) -> bytes:
    """The file as a school's own export writes it (UTF-8, CRLF, its own headers)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS)
    rows = good_rows()
    if bad:
        for offset, row in zip((5, 12, 20, 27, 33), BAD.values(), strict=True):
            rows.insert(offset, row)
    writer.writerows(rows)
    return out.getvalue().encode()


def line_of(what: str) -> int:
    """The line of a bad row in ``spreadsheet()`` (the header is line 1)."""
    return {"date": 7, "gender": 14, "duplicate": 22, "surname": 29, "upn": 35}[what]


def write_school(folder: Path, *, extra: str = "") -> Path:
    """config.toml, an old students file (the template's headers, two students) and a
    staff file, as a school has them before its first import."""
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    (data / "students.csv").write_text(
        "First Name,Surname,Date Of Birth,Gender,Year Group,Registration Group,UPN\r\n"
        "Old,Student,01/01/2010,M,9,9Z,Z100000000001\r\n"
        "Older,Student,01/01/2009,F,10,10Z,Z100000000002\r\n"
    )
    (data / "staff.csv").write_text(
        "First Name,Surname,Job Role,User Group,Username,Registration Group\r\n"
        "Sam,Teacher,Teacher,Teachers,s.teacher,7A\r\n"
    )
    (folder / "config.toml").write_text(CONFIG.format(folder=folder, extra=extra))
    return folder


def target_groups(app: App) -> dict[str, set[str]]:
    """The target's groups and their members."""
    target = app.engine.open_target("default")
    try:
        state = target.read()
    finally:
        target.close()
    out: dict[str, set[str]] = {key: set() for key in state.roster.groups}
    for membership in state.roster.memberships:
        out.setdefault(membership.group, set()).add(membership.person)
    return out


def expected_groups(*, fixed: bool = True) -> dict[str, set[str]]:
    """The registration groups after importing ``spreadsheet()`` with the two fixes."""
    out: dict[str, set[str]] = {f"reg:{form}": set() for form in FORMS}
    for row in good_rows():
        out[f"reg:{row[5]}"].add(row[6])
    if fixed:
        out["reg:7A"].add(BAD["date"][6])
        out["reg:7B"].add(BAD["gender"][6])
    return out
