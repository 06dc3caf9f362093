"""The reader keeps one copy of each id: an enrolment's user and class are the very
strings of the users' and classes' rows they name (``spec.REFERENCES``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from plugins.oneroster.package import read_package

USERS = "sourcedId,status,role,username\nu-1,active,student,ann\nu-2,active,teacher,bob\n"
CLASSES = "sourcedId,status,title\nc-1,active,Maths\n"


@pytest.mark.parametrize("quoted", [False, True], ids=["plain", "quoted"])
def test_an_enrolment_names_its_user_and_class_by_their_own_strings(
    tmp_path: Path, quoted: bool
) -> None:
    rows = ["e-1,active,c-1,u-1,student", "e-2,active,c-1,u-2,teacher", "e-3,,c-9,u-9,student"]
    if quoted:  # (a quote anywhere: the file is read row by row)
        rows[0] = 'e-1,"active",c-1,u-1,student'
    (tmp_path / "users.csv").write_text(USERS)
    (tmp_path / "classes.csv").write_text(CLASSES)
    (tmp_path / "enrollments.csv").write_text(
        "sourcedId,status,classSourcedId,userSourcedId,role\n" + "\n".join(rows) + "\n"
    )
    tables = read_package(tmp_path, source="district").tables
    users, classes = tables["users"].column("sourcedId"), tables["classes"].column("sourcedId")
    enrolled, taught = (
        tables["enrollments"].column("userSourcedId"),
        tables["enrollments"].column("classSourcedId"),
    )
    assert list(enrolled) == ["u-1", "u-2", "u-9"]  # (an unknown user kept as read)
    assert list(taught) == ["c-1", "c-1", "c-9"]
    assert enrolled[0] is users[0] and enrolled[1] is users[1]
    assert taught[0] is classes[0] and taught[1] is classes[0]
