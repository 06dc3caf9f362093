"""Property tests for the roster_csv source: whatever the bytes, a correct roster (every good row
present, every bad row reported with its line) or a SourceError naming the file and line; never
another exception and never a silently shortened roster."""

from __future__ import annotations

import random
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from plugins.roster_csv import RosterCsvOptions, RosterCsvSource
from sync.contract import SourceRead
from sync.errors import SourceError
from sync.model import Membership, Severity
from sync.testing import make_context

PROFILE = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
STUDENTS = ["First Name", "Surname", "Date Of Birth", "Gender", "Year Group", "Registration Group"]
STAFF = ["First Name", "Surname", "Job Role", "User Group", "Username", "Registration Group"]

# Names as schools write them: accents, apostrophes, hyphens, spaces; no delimiters or quotes
# (those are generated separately, quoted, in the huge-field test).
names = (
    st.text(
        alphabet=st.characters(
            min_codepoint=32,
            max_codepoint=0x17F,
            blacklist_characters=',;"\r\n',
            blacklist_categories=("Cc", "Cf", "Cs"),
        ),
        min_size=1,
        max_size=15,
    )
    .map(lambda s: " ".join(s.split()))
    .filter(bool)
)
forms = st.sampled_from(["7A", "7B", "8C", "9D", "10E", "11F"])


@dataclass(frozen=True)
class Student:
    upn: str
    first: str
    surname: str
    form: str

    def cells(self) -> list[str]:
        return [self.first, self.surname, "01/09/2012", "F", self.form[:-1], self.form, self.upn]


@st.composite
def students(draw: st.DrawFn, min_size: int = 1, max_size: int = 25) -> list[Student]:
    count = draw(st.integers(min_size, max_size))
    return [
        Student(f"A{index:012d}", draw(names), draw(names), draw(forms)) for index in range(count)
    ]


# Rows the source must reject (each with its own UPN so that it never collides with a good row).
BAD_STUDENTS = [
    ",Potter,01/09/2012,M,7,7A,{upn}",  # empty first name
    "Harry,,01/09/2012,M,7,7A,{upn}",  # empty surname
    "Harry,Potter,31/02/2012,M,7,7A,{upn}",  # impossible date
    "Harry,Potter,01/09/12,M,7,7A,{upn}",  # two-digit year
    "Harry,Potter,01/09/2012,boy,7,7A,{upn}",  # gender
    "Harry,Potter,01/09/2012,M,7,7A,{upn}-X",  # bad UPN
    "Harry,Potter,01/09/2012,M,7,7A,{upn},extra",  # an extra column
    "Harry;Potter;01/09/2012;M;7;7A;{upn}",  # the other delimiter
    "Harry,Potter",  # missing columns
    "Harry",
]


def read(folder: Path, **options: object) -> SourceRead:
    opts = RosterCsvOptions.model_validate({"settle_seconds": 0, **options})
    return RosterCsvSource(opts, make_context(folder, name="school")).read()


def read_students(data: bytes, **options: object) -> tuple[SourceRead | None, SourceError | None]:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "students.csv").write_bytes(data)
        try:
            return read(Path(folder), students_file="students.csv", **options), None
        except SourceError as exc:
            return None, exc


def read_staff(data: bytes) -> tuple[SourceRead | None, SourceError | None]:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "staff.csv").write_bytes(data)
        try:
            return read(Path(folder), staff_file="staff.csv"), None
        except SourceError as exc:
            return None, exc


def assert_accounted(result: SourceRead) -> None:
    """Every data record is kept, reported as rejected, or reported as a skipped duplicate."""
    errors = [i for i in result.issues if i.severity is Severity.ERROR]
    assert len(errors) == result.rejected
    assert all(i.line is not None and i.file for i in errors)
    duplicates = [i for i in result.issues if "duplicate of line" in i.message]
    kept = len(result.roster.people)
    assert kept + result.rejected + len(duplicates) == result.records


def located(error: SourceError, file: str = "students.csv") -> bool:
    return str(error).startswith(file) and (" line " in str(error) or "empty" in str(error))


def assert_exact(result: SourceRead, good: list[Student]) -> None:
    people = dict(result.roster.people)
    assert set(people) == {s.upn for s in good}
    for s in good:
        assert (people[s.upn].given_name, people[s.upn].family_name) == (s.first, s.surname)
    assert result.roster.memberships == {Membership(f"reg:{s.form}", s.upn) for s in good}


def place(
    good: list[list[str]], bad: list[str], rng: random.Random, delimiter: str
) -> tuple[list[str], set[int]]:
    """Data lines with the bad ones at random positions, and the line numbers of the bad ones
    (line 1 is the header)."""
    lines: list[tuple[str, bool]] = [(delimiter.join(cells), False) for cells in good]
    for index, template in enumerate(bad):
        line = template.format(upn=f"B{index:012d}")
        if delimiter == ";":
            line = line.translate(str.maketrans({",": ";", ";": ","}))
        lines.insert(rng.randrange(len(lines) + 1), (line, True))
    return [text for text, _ in lines], {n for n, (_, b) in enumerate(lines, start=2) if b}


@PROFILE
@given(st.binary(max_size=2000))
def test_random_bytes_give_a_roster_or_a_located_error(data: bytes) -> None:
    result, error = read_students(data)
    if error is not None:
        assert located(error), error
    else:
        assert result is not None
        assert_accounted(result)


@PROFILE
@given(st.binary(max_size=600), st.booleans())
def test_random_bytes_after_a_good_header_never_escape(data: bytes, cp1252: bool) -> None:
    header = ",".join([*STUDENTS, "UPN"]) + "\r\n"
    result, error = read_students(header.encode() + data, allow_windows_1252=cp1252)
    if error is not None:
        assert located(error), error
    else:
        assert result is not None
        assert_accounted(result)


@PROFILE
@given(
    good=students(),
    bad=st.lists(st.sampled_from(BAD_STUDENTS), max_size=8),
    rng=st.randoms(use_true_random=False),
    delimiter=st.sampled_from([",", ";"]),
    newline=st.sampled_from(["\n", "\r\n"]),
    bom=st.booleans(),
    blank_lines=st.integers(0, 2),
)
def test_every_good_student_arrives_and_every_bad_row_is_reported(
    good: list[Student],
    bad: list[str],
    rng: random.Random,
    delimiter: str,
    newline: str,
    bom: bool,
    blank_lines: int,
) -> None:
    lines, bad_lines = place([s.cells() for s in good], bad, rng, delimiter)
    header = delimiter.join([*STUDENTS, "UPN"])
    text = newline.join([header, *lines]) + newline * (1 + blank_lines)
    result, error = read_students((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    assert error is None, error
    assert result is not None
    assert_exact(result, good)
    errors = {i.line for i in result.issues if i.severity is Severity.ERROR}
    assert errors == bad_lines
    assert result.rejected == len(bad)
    assert_accounted(result)


@PROFILE
@given(
    good=students(max_size=10),
    order=st.randoms(use_true_random=False),
    extra=st.lists(st.sampled_from(["Notes", "House", "SEN"]), unique=True),
)
def test_columns_in_any_order_with_extra_columns(
    good: list[Student], order: random.Random, extra: list[str]
) -> None:
    headers = [*STUDENTS, "UPN", *extra]
    columns = list(range(len(headers)))
    order.shuffle(columns)
    lines = [",".join(headers[c] for c in columns)]
    for s in good:
        cells = [*s.cells(), *("x" for _ in extra)]
        lines.append(",".join(cells[c] for c in columns))
    result, error = read_students(("\n".join(lines) + "\n").encode())
    assert error is None, error
    assert result is not None
    assert_exact(result, good)
    assert result.rejected == 0


@PROFILE
@given(good=students(max_size=8), missing=st.sampled_from(STUDENTS[:3] + STUDENTS[4:]))
def test_a_missing_required_column_refuses_the_file(good: list[Student], missing: str) -> None:
    index = STUDENTS.index(missing)
    lines = [",".join(h for h in [*STUDENTS, "UPN"] if h != missing)]
    lines += [",".join(c for i, c in enumerate(s.cells()) if i != index) for s in good]
    _, error = read_students(("\n".join(lines) + "\n").encode())
    assert error is not None
    assert str(error).startswith("students.csv line 1: ") and missing.lower() in str(error).lower()


@PROFILE
@given(good=students(min_size=2, max_size=10), cut=st.integers(min_value=1))
@example(
    good=[Student("A000000000000", "0", "0", "7A"), Student("A000000000001", "0", "0", "7A")],
    cut=239,
).via("a file cut inside its last row's Registration Group made a student in group '7'")
def test_a_truncated_file_never_silently_loses_a_row(good: list[Student], cut: int) -> None:
    """A file cut short (half uploaded) at any byte is refused naming a line, or reads as
    exactly its whole rows: a cut never moves a student nor re-identifies one."""
    header = ",".join([*STUDENTS, "UPN"])
    rows = [",".join(s.cells()) for s in good]
    data = ("\n".join([header, *rows]) + "\n").encode()
    data = data[: len(header) + 1 + cut % (len(data) - len(header))]
    result, error = read_students(data)
    if error is not None:
        assert located(error), error
        return
    assert result is not None
    assert_accounted(result)
    assert_exact(result, good[: data.count(b"\n") - 1])


@PROFILE
@given(
    good=students(max_size=10),
    where=st.randoms(use_true_random=False),
    stray=st.sampled_from([b"\xe9", b"\x96", b"\xa3", b"\xfc"]),
)
@example(
    good=[Student("A000000000000", "Zoë", "Brontë", "7A")],
    where=random.Random(0),
    stray=b"\xe9",
).via("UTF-8 names read as Windows-1252 because of one stray byte")
def test_utf8_with_a_stray_windows_1252_byte_is_never_garbled(
    good: list[Student], where: random.Random, stray: bytes
) -> None:
    """A UTF-8 file with one Windows-1252 byte (a name pasted from elsewhere): the good names
    arrive exactly as written, or the file is refused naming the line; never mojibake."""
    header = ",".join([*STUDENTS, "UPN"])
    lines = [header, *(",".join(s.cells()) for s in good)]
    data = bytearray(("\n".join(lines) + "\n").encode())
    bad = f"Andr{stray.decode('cp1252')},Smith,01/09/2012,M,7,7A,B000000000000".encode("cp1252")
    position = where.randrange(1, len(lines) + 1)
    encoded = [line.encode() for line in lines]
    encoded.insert(position, bad)
    data = bytearray(b"\n".join(encoded) + b"\n")
    result, error = read_students(bytes(data))
    if error is not None:
        assert str(error).startswith(f"students.csv line {position + 1}: "), error
        return
    assert result is not None
    people = dict(result.roster.people)
    for s in good:
        assert (people[s.upn].given_name, people[s.upn].family_name) == (s.first, s.surname)


@PROFILE
@given(good=students(max_size=10), bom=st.sampled_from(["utf-16", "utf-16-le", "utf-16-be"]))
def test_utf16_files_are_refused_on_line_1(good: list[Student], bom: str) -> None:
    text = "\r\n".join([",".join([*STUDENTS, "UPN"]), *(",".join(s.cells()) for s in good), ""])
    data = text.encode(bom)
    if bom != "utf-16":
        data = (b"\xff\xfe" if bom.endswith("le") else b"\xfe\xff") + data
    _, error = read_students(data)
    assert error is not None and str(error).startswith("students.csv line 1: "), error


@PROFILE
@given(good=students(max_size=10), at=st.randoms(use_true_random=False))
def test_a_nul_byte_refuses_the_file_naming_its_line(
    good: list[Student], at: random.Random
) -> None:
    lines = [",".join([*STUDENTS, "UPN"]), *(",".join(s.cells()) for s in good)]
    line = at.randrange(len(lines))
    lines[line] += "\x00"
    _, error = read_students(("\n".join(lines) + "\n").encode())
    assert error is not None and str(error).startswith(f"students.csv line {line + 1}: "), error


def _spells_other_utf8(data: bytes, text: str) -> bool:
    try:
        return data.decode("utf-8") != text
    except UnicodeDecodeError:
        return False


@PROFILE
@given(good=students(max_size=10), cp1252=st.booleans())
@example(good=[Student("A000000000000", "Harry", "Â¡", "7A")], cp1252=False)
def test_a_windows_1252_file_is_read_exactly_or_refused(good: list[Student], cp1252: bool) -> None:
    text = "\r\n".join([",".join([*STUDENTS, "UPN"]), *(",".join(s.cells()) for s in good), ""])
    try:
        data = text.encode("cp1252")
    except UnicodeEncodeError:
        return  # names Windows-1252 cannot spell are not in such a file
    if _spells_other_utf8(data, text):
        return  # 'Â¡' in Windows-1252 is the bytes of '¡' in UTF-8: read as UTF-8, by design
    result, error = read_students(data, allow_windows_1252=cp1252)
    if error is not None:  # refused: not allowed, or it looks like UTF-8 mixed in
        assert str(error).startswith("students.csv line "), error
        assert not cp1252 or "mixes encodings" in str(error), error
        return
    assert result is not None
    assert_exact(result, good)


@PROFILE
@given(field=st.text(min_size=1, max_size=200_000).filter(lambda s: "\x00" not in s))
def test_huge_and_strange_fields_are_read_or_refused_cleanly(field: str) -> None:
    quoted = '"' + field.replace('"', '""') + '"'
    text = ",".join([*STUDENTS, "UPN"]) + "\n" + f"{quoted},Potter,01/09/2012,M,7,7A,\n"
    result, error = read_students(text.encode())
    if error is not None:  # on the field's line, or on its own line for a control character
        lines = {f"students.csv line {n}: " for n in range(2, 3 + field.count("\n"))}
        assert any(str(error).startswith(line) for line in lines), error
        return
    assert result is not None
    assert_accounted(result)
    if result.rejected == 0:
        (person,) = result.roster.people.values()
        assert person.given_name == unicodedata.normalize("NFC", field.strip())


# -- staff ------------------------------------------------------------------

BAD_STAFF = [
    "Severus,Snape,Teacher,Teachers,,",  # no username
    ",Snape,Teacher,Teachers,{upn},",  # no first name
    "Severus,,Teacher,Teachers,{upn},",  # no surname
    "Severus,Snape,Teacher,Teachers,{upn},,extra",  # an extra column
    "Severus;Snape;Teacher;Teachers;{upn};",  # the other delimiter
    "Severus,Snape",  # missing columns
]


@PROFILE
@given(
    logins=st.lists(st.from_regex(r"[a-z]{3,10}", fullmatch=True), min_size=1, max_size=20),
    bad=st.lists(st.sampled_from(BAD_STAFF), max_size=6),
    rng=st.randoms(use_true_random=False),
    delimiter=st.sampled_from([",", ";"]),
    newline=st.sampled_from(["\n", "\r\n"]),
    bom=st.booleans(),
)
def test_every_good_staff_row_arrives_and_every_bad_row_is_reported(
    logins: list[str],
    bad: list[str],
    rng: random.Random,
    delimiter: str,
    newline: str,
    bom: bool,
) -> None:
    logins = sorted(set(logins))
    good = [[f"First {u}", f"Surname {u}", "Teacher", "Teachers", u, ""] for u in logins]
    lines, bad_lines = place(good, bad, rng, delimiter)
    text = newline.join([delimiter.join(STAFF), *lines]) + newline
    result, error = read_staff((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    assert error is None, error
    assert result is not None
    people = dict(result.roster.people)
    assert set(people) == set(logins)
    assert all(people[u].given_name == f"First {u}" for u in logins)
    assert set(result.roster.profiles) == set(logins)
    assert {i.line for i in result.issues if i.severity is Severity.ERROR} == bad_lines
    assert result.rejected == len(bad)
    assert_accounted(result)


@PROFILE
@given(st.binary(max_size=1500))
def test_random_staff_bytes_give_a_roster_or_a_located_error(data: bytes) -> None:
    result, error = read_staff(",".join(STAFF).encode() + b"\n" + data)
    if error is not None:
        assert located(error, "staff.csv"), error
    else:
        assert result is not None
        assert_accounted(result)
