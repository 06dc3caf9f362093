"""Issue 14 for the roster CSV: a stray quote, a cut, a control character or an invisible
one refuses the file naming its line; look-alike names are one person or a warning."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.model import Membership
from tests.plugins.roster_csv.test_roster_properties import (
    PROFILE,
    STUDENTS,
    Student,
    assert_exact,
    read_students,
    students,
)

HEADER = ",".join([*STUDENTS, "UPN"])


def _text(good: list[Student]) -> str:
    return "".join(f"{line}\n" for line in [HEADER, *(",".join(s.cells()) for s in good)])


def error_of(text: str) -> str:
    result, error = read_students(text.encode())
    assert error is not None, f"read: {result}"
    return str(error)


SCHOOL = [Student(f"A{n:012d}", f"First{n}", f"Last{n}", "10A") for n in range(8)]


def test_a_cut_inside_the_last_registration_group_is_refused() -> None:
    # Reproduction: a cut inside the last column moved a student out of 10A into 10.
    text = _text(SCHOOL)
    cut = text[: text.rindex("10A") + 2]
    cut = cut[: cut.rindex(",")] + cut[cut.rindex(",") :]
    message = error_of(text[: text.rindex("10A,") + 2])
    assert message.startswith("students.csv line 9: the last line has no line ending"), message


def test_a_cut_inside_the_upn_is_refused() -> None:
    # Reproduction: a cut inside the UPN re-identified the student.
    text = _text(SCHOOL)
    message = error_of(text[:-5])
    assert message.startswith("students.csv line 9: the last line has no line ending"), message


def test_a_stray_quote_refuses_the_file_naming_the_line_it_opened() -> None:
    lines = _text(SCHOOL).splitlines(keepends=True)
    lines[3] = '"' + lines[3]
    message = error_of("".join(lines))
    assert message.startswith("students.csv line 4: a quote opened on this line"), message


def test_a_terminal_escape_in_a_name_is_refused() -> None:
    good = [*SCHOOL, Student("A999999999999", "\x1b[2J\x1b[31mPWNED", "X", "10A")]
    assert error_of(_text(good)).startswith("students.csv line 10: holds U+001B")


def test_a_zero_width_space_in_a_name_is_refused() -> None:
    good = [*SCHOOL, Student("A999999999999", "Har\u200bry", "Potter", "10A")]
    assert error_of(_text(good)).startswith("students.csv line 10: holds U+200B")


def test_decomposed_names_are_read_as_nfc() -> None:
    good = [Student("A000000000001", "Rene\u0301e", "Cafe\u0301", "10A")]
    result, error = read_students(_text(good).encode())
    assert error is None, error
    person = result.roster.people["A000000000001"]  # type: ignore[union-attr]
    assert (person.given_name, person.family_name) == ("Ren\u00e9e", "Caf\u00e9")
    assert unicodedata.is_normalized("NFC", person.given_name)


def test_case_variant_groups_are_warned() -> None:
    good = [*SCHOOL, Student("A999999999999", "Harry", "Potter", "10a")]
    result, error = read_students(_text(good).encode())
    assert error is None, error
    assert result is not None
    assert Membership("reg:10a", "A999999999999") in result.roster.memberships
    assert any("differ only in case" in i.message and "10a" in i.message for i in result.issues)


@PROFILE
@given(good=students(max_size=10), data=st.data())
def test_a_stray_quote_anywhere_never_swallows_a_row(
    good: list[Student], data: st.DataObject
) -> None:
    text = _text(good)
    at = data.draw(st.integers(len(HEADER) + 1, len(text) - 1))
    result, error = read_students((text[:at] + '"' + text[at:]).encode())
    if error is not None:
        assert str(error).startswith("students.csv line "), error
        return
    assert result is not None
    # The row with the quote reads with a quote in one value (or is rejected); every
    # other row reads exactly.
    line = text.count("\n", 0, at)  # (0-based index into good: line 1 is the header)
    others = [s for n, s in enumerate(good, start=1) if n != line]
    people = result.roster.people
    for s in others:
        assert people[s.upn].given_name == s.first
    assert not any("\n" in m.person or "\n" in m.group for m in result.roster.memberships)


@PROFILE
@given(
    good=students(min_size=1, max_size=10),
    data=st.data(),
    char=st.sampled_from([*map(chr, [1, 8, 11, 12, 27, 31, 0x7F, 0x85]), "\u200b", "\u2066"]),
)
def test_a_control_or_invisible_character_anywhere_is_refused(
    good: list[Student], data: st.DataObject, char: str
) -> None:
    text = _text(good)
    at = data.draw(st.integers(0, len(text) - 1))
    message = error_of(text[:at] + char + text[at:])
    assert message.startswith(f"students.csv line {text.count(chr(10), 0, at) + 1}: holds")


@PROFILE
@given(
    good=students(min_size=1, max_size=10), data=st.data(), newline=st.sampled_from(["\n", "\r\n"])
)
def test_a_line_break_in_a_quoted_name_is_refused_on_its_line(
    good: list[Student], data: st.DataObject, newline: str
) -> None:
    index = data.draw(st.integers(0, len(good) - 1))
    lines = [HEADER, *(",".join(s.cells()) for s in good)]
    cells = good[index].cells()
    cells[0] = f'"{cells[0]}{newline}{cells[1]}"'
    lines[index + 1] = ",".join(cells)
    message = error_of("".join(f"{line}\n" for line in lines))
    assert message.startswith(f"students.csv line {index + 2}: a quote opened"), message


@pytest.mark.parametrize("cut", range(1, 40))
def test_every_cut_of_the_last_row_is_refused_or_exact(cut: int) -> None:
    text = _text(SCHOOL)
    result, error = read_students(text[: len(text) - cut].encode())
    if error is not None:
        assert str(error).startswith("students.csv line 9: the last line has no line ending")
    else:
        assert result is not None
        assert_exact(result, SCHOOL[:-1])
