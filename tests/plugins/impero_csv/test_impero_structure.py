"""Issue 14: a stray quote, a cut file or a control character in an Impero CSV file is
refused whole (naming the file and line), never applied as a swallowed or truncated row."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.model import Membership
from tests.plugins.impero_csv.test_impero_properties import HEAD, names, read

PROFILE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ROWS = [f"Student_{n:03d},{klass}" for n, klass in enumerate(["Potions", "Charms", "Ab"] * 20)]
STUDENTS = HEAD + "".join(f"{row}\n" for row in ROWS)


def error_of(students: str | bytes) -> str:
    result, error = read(students.encode() if isinstance(students, str) else students)
    assert error is not None, f"read: {result}"
    return str(error)


def test_an_unbalanced_quote_refuses_the_file_naming_the_line_it_opened() -> None:
    # Reproduction: this added one member named 'Swallow_A,Potions\nSwallow_B,Charms\n...'
    appended = STUDENTS + '"Swallow_A,Potions\nSwallow_B,Charms\nSwallow_C",Flying\n'
    message = error_of(appended)
    assert message.startswith("students.csv line 63: a quote opened on this line"), message


def test_two_stray_quotes_far_apart_refuse_the_file() -> None:
    # Reproduction: quotes at rows 10 and 50 made one group name of thousands of characters.
    lines = STUDENTS.splitlines(keepends=True)
    lines[11] = '"' + lines[11]
    lines[51] = lines[51].replace(",", '",', 1)
    message = error_of("".join(lines))
    assert message.startswith("students.csv line 12: a quote opened on this line"), message


def test_a_quote_never_closed_refuses_the_file() -> None:
    message = error_of(STUDENTS + '"Student_999,Potions\n')
    assert message.startswith("students.csv line 63: a quote opened on this line is never")


def test_a_last_row_cut_mid_row_changes_nothing() -> None:
    # Reproduction: a file ending 'Student_059,A' moved Student_059 from 'Ab' into a new 'A'.
    message = error_of(STUDENTS[: STUDENTS.rindex("Ab\n") + 1])
    assert message.startswith("students.csv line 62: the last line has no line ending")
    assert "nothing changed" in message


def test_a_field_of_thousands_of_characters_is_refused_even_unquoted() -> None:
    message = error_of(STUDENTS + "x" * 5000 + ",Potions\n")
    assert message.startswith("students.csv line 63: a field of 5000 characters"), message


def test_a_terminal_escape_in_a_class_is_refused() -> None:
    message = error_of(STUDENTS + "Student_999,\x1b[2J\x1b[31mPWNED\n")
    assert message.startswith("students.csv line 63: holds U+001B"), message


@pytest.mark.parametrize("invisible", ["\u200b", "\u200d", "\ufeff", "\u202e", "\xad"])
def test_an_invisible_character_in_a_username_is_refused(invisible: str) -> None:
    message = error_of(STUDENTS + f"Harry{invisible}_Potter,Potions\n")
    assert message.startswith(f"students.csv line 63: holds U+{ord(invisible):04X}"), message


def test_a_composed_and_a_decomposed_name_are_one_person(tmp_path: Path) -> None:
    composed, decomposed = "Ren\u00e9e", "Rene\u0301e"
    result, error = read(f"{HEAD}{composed},Potions\n{decomposed},Charms\n".encode())
    assert error is None, error
    people = set(result.roster.people)  # type: ignore[attr-defined]
    assert people == {unicodedata.normalize("NFC", composed)}


def test_case_variant_usernames_are_warned() -> None:
    result, error = read(f"{HEAD}Harry_Potter,Potions\nharry_potter,Charms\n".encode())
    assert error is None, error
    warnings = [i.message for i in result.issues]  # type: ignore[attr-defined]
    assert any(
        "'Harry_Potter', 'harry_potter'" in w and "differ only in case" in w for w in warnings
    )


# -- the same faults, anywhere ------------------------------------------------------------

schools = st.lists(st.tuples(names, names), min_size=1, max_size=20, unique_by=lambda r: r[0])


def _text(rows: list[tuple[str, str]]) -> str:
    return HEAD + "".join(f"{u},{c}\n" for u, c in rows)


@PROFILE
@given(schools, st.data())
def test_a_cut_at_any_byte_is_refused_or_reads_exactly_the_whole_rows(
    rows: list[tuple[str, str]], data: st.DataObject
) -> None:
    encoded = _text(rows).encode()
    cut = encoded[: data.draw(st.integers(len(HEAD), len(encoded)))]
    result, error = read(cut)
    if error is not None:
        assert str(error).startswith("students.csv line "), error
        return
    whole = rows[: cut.count(b"\n") - 2]
    assert result.roster.memberships == {Membership(c, u) for u, c in whole}  # type: ignore[attr-defined]
    everyone = _groups_of(rows)
    read_ = _groups_of([(m.person, m.group) for m in result.roster.memberships])  # type: ignore[attr-defined]
    assert all(groups <= everyone[person] for person, groups in read_.items())


def _groups_of(rows: list[tuple[str, str]]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for username, klass in rows:
        found.setdefault(username, set()).add(klass)
    return found


@PROFILE
@given(schools, st.data())
def test_a_stray_quote_anywhere_never_swallows_a_row(
    rows: list[tuple[str, str]], data: st.DataObject
) -> None:
    text = _text(rows)
    at = data.draw(st.integers(len(HEAD), len(text) - 1))
    result, error = read((text[:at] + '"' + text[at:]).encode())
    if error is not None:
        assert str(error).startswith("students.csv line "), error
        return
    memberships = result.roster.memberships  # type: ignore[attr-defined]
    assert len(memberships) == len(rows)
    assert not any("\n" in m.person or "\n" in m.group for m in memberships)
    # Only the row the quote fell in may differ, by that quote.
    assert len(memberships - {Membership(c, u) for u, c in rows}) <= 1


@PROFILE
@given(schools, st.data(), st.sampled_from(["\n", "\r\n", "\r"]))
def test_a_line_break_in_a_quoted_field_is_refused_on_its_line(
    rows: list[tuple[str, str]], data: st.DataObject, newline: str
) -> None:
    index = data.draw(st.integers(0, len(rows) - 1))
    username, klass = rows[index]
    lines = [f"{u},{c}\n" for u, c in rows]
    lines[index] = f'"{username}{newline}x",{klass}\n'
    message = error_of(HEAD + "".join(lines))
    assert message.startswith(f"students.csv line {index + 3}: a quote opened"), message


@PROFILE
@given(
    schools,
    st.data(),
    st.sampled_from([*map(chr, [*range(1, 9), 11, 12, *range(14, 32), 0x7F, 0x85, 0x9B])]),
)
def test_a_control_character_anywhere_is_refused_on_its_line(
    rows: list[tuple[str, str]], data: st.DataObject, char: str
) -> None:
    text = _text(rows)
    at = data.draw(st.integers(0, len(text) - 1))
    message = error_of(text[:at] + char + text[at:])
    assert message.startswith(f"students.csv line {text.count(chr(10), 0, at) + 1}: holds")
