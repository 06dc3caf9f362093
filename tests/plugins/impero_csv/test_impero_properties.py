"""Property tests: whatever the bytes, a correct roster or a clear error, never a traceback
and never a silently shortened roster."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugins.impero_csv import ImperoCsvOptions, ImperoCsvSource
from plugins.impero_csv.reader import OTHER_WHITESPACE, _plain_columns
from sync.errors import SourceError
from sync.model import Membership
from sync.testing import make_context

HEAD = "version,1\nusername,class\n"
names = (
    st.text(
        alphabet=st.characters(
            min_codepoint=32,
            max_codepoint=0x2FF,
            blacklist_characters=',"\r\n;',
            blacklist_categories=("Cc", "Cf", "Cs"),
        ),
        min_size=1,
        max_size=20,
    )
    .map(str.strip)
    .filter(bool)
)
PROFILE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def read(students: bytes, teachers: bytes = HEAD.encode()) -> tuple[object, Exception | None]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder)
        (path / "students.csv").write_bytes(students)
        (path / "teachers.csv").write_bytes(teachers)
        source = ImperoCsvSource(
            ImperoCsvOptions(path=folder, settle_seconds=0), make_context(path)
        )
        try:
            return source.read(), None
        except SourceError as exc:
            return None, exc


def assert_consistent(result: object) -> None:
    """A roster read without error accounts for every data row: kept or reported."""
    read_ = result
    roster = read_.roster  # type: ignore[attr-defined]
    assert all(m.group in roster.groups for m in roster.memberships)
    errors = [i for i in read_.issues if i.severity.value == "error"]  # type: ignore[attr-defined]
    assert len(errors) == read_.rejected  # type: ignore[attr-defined]
    assert len(roster.memberships) + read_.rejected <= read_.records  # type: ignore[attr-defined]


@PROFILE
@given(st.binary(max_size=2000))
def test_random_bytes_give_a_roster_or_a_located_error(data: bytes) -> None:
    result, error = read(data)
    if error is not None:
        assert str(error).startswith("students.csv")
    else:
        assert_consistent(result)


@PROFILE
@given(st.binary(max_size=500))
def test_random_bytes_after_a_good_preamble_never_escape(data: bytes) -> None:
    result, error = read(HEAD.encode() + data)
    if error is not None:
        assert str(error).startswith("students.csv line ")
    else:
        assert_consistent(result)


@PROFILE
@given(
    good=st.lists(st.tuples(names, names), min_size=1, max_size=30, unique=True),
    bad=st.lists(st.sampled_from(["onlyone", "a,b,c", ",x", "y,", "p;q", "a,b,c,d"]), max_size=10),
    positions=st.randoms(use_true_random=False),
    crlf=st.booleans(),
    bom=st.booleans(),
)
def test_every_good_row_arrives_and_every_bad_row_is_reported(
    good: list[tuple[str, str]], bad: list[str], positions: object, crlf: bool, bom: bool
) -> None:
    rows = [f"{u},{c}" for u, c in good]
    for line in bad:
        rows.insert(positions.randrange(len(rows) + 1), line)  # type: ignore[attr-defined]
    newline = "\r\n" if crlf else "\n"
    text = newline.join(["version,1", "username,class", *rows]) + newline
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode()
    result, error = read(data)
    assert error is None, error
    roster = result.roster  # type: ignore[attr-defined]
    assert roster.memberships == {Membership(c, u) for u, c in good}
    reported = {i.line for i in result.issues}  # type: ignore[attr-defined]
    for index, line in enumerate(rows, start=3):
        if line in bad:
            assert index in reported
    assert result.rejected == len(bad)  # type: ignore[attr-defined]


@PROFILE
@given(st.text(min_size=1, max_size=200_000).filter(lambda s: "\x00" not in s))
def test_huge_and_strange_fields_are_read_or_refused_cleanly(field: str) -> None:
    data = (HEAD + f'"{field.replace(chr(34), chr(34) * 2)}",Potions\n').encode()
    result, error = read(data)
    if error is not None:
        assert str(error).startswith("students.csv line ")
    else:
        assert_consistent(result)


@PROFILE
@given(st.lists(st.tuples(names, names), min_size=1, max_size=10), st.integers(1, 2))
def test_a_missing_preamble_row_is_an_error_not_a_lost_row(
    good: list[tuple[str, str]], drop: int
) -> None:
    lines = ["version,1", "username,class", *(f"{u},{c}" for u, c in good)]
    del lines[drop - 1]
    _, error = read(("\n".join(lines) + "\n").encode())
    assert error is not None and "students.csv line " in str(error)


_ODD = 'ab ,"\t\r\n\u00a0\x1c\u3000é'
_field = st.text(alphabet=_ODD.replace(",", "").replace("\n", ""), max_size=6)
_line = st.one_of(
    st.tuples(_field, _field).map(",".join),  # nearly a plain row
    st.text(alphabet=_ODD, max_size=12),
)


@settings(max_examples=600, deadline=None)
@given(
    st.lists(st.one_of(st.just("ab,é"), _line), max_size=8),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
)
def test_the_one_pass_read_agrees_with_the_csv_module(
    lines: list[str], newline: str, final_newline: bool
) -> None:
    """Whenever the split reader takes a file body, the csv module reads every line of
    it as exactly two non-empty fields with nothing to strip, and the same pairs."""
    body = newline.join(lines) + (newline if final_newline and lines else "")
    found = _plain_columns(body)
    if found is None:
        return
    rows = list(csv.reader(io.StringIO(body, newline=""), strict=True))
    assert [tuple(row) for row in rows] == list(zip(*found, strict=True))
    assert all(len(row) == 2 and all(f and f == f.strip() for f in row) for row in rows)


def test_the_split_reader_knows_every_whitespace_character() -> None:
    """It refuses a body holding any character ``str.strip`` removes but the space and
    the newline, so its list must be Python's own."""
    every = "".join(c for c in map(chr, range(0x110000)) if c.isspace())
    assert every.replace(" ", "").replace("\n", "") == OTHER_WHITESPACE


def test_the_split_reader_takes_a_plain_body_and_refuses_others() -> None:
    assert _plain_columns("s1,Maths 7A\r\ns2,Art\r\n") == (["s1", "s2"], ["Maths 7A", "Art"])
    assert _plain_columns("") == ([], [])
    for body in ("s1,Art\n\ns2,Art\n", "s1 ,Art\n", "s1,Art,\n", "s1\n", '"s1",Art\n'):
        assert _plain_columns(body) is None, body
