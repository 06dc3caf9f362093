"""Property tests for the shared CSV decoder: any bytes decode exactly or raise a SourceError
naming the file and line; records come back exactly, each with the line it starts on."""

from __future__ import annotations

import csv
import io
import re
import tempfile
import unicodedata
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from plugins.csvfile import check_lines, decode, plain_columns, rows, sniff_delimiter
from sync.errors import SourceError

PROFILE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Field text as names are written: no line break, control or invisible character.
printable = st.characters(blacklist_characters="\r\n", blacklist_categories=("Cc", "Cf", "Cs"))
cells = st.text(printable, max_size=30)


def decode_bytes(data: bytes, cp1252: bool = False) -> tuple[str | None, SourceError | None]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.csv"
        path.write_bytes(data)
        try:
            return decode(path, source="s", display="f.csv", allow_windows_1252=cp1252).text, None
        except SourceError as exc:
            return None, exc


@PROFILE
@given(st.binary(max_size=3000), st.booleans())
def test_any_bytes_decode_or_fail_naming_file_and_line(data: bytes, cp1252: bool) -> None:
    text, error = decode_bytes(data, cp1252)
    if error is not None:
        assert str(error).startswith("f.csv line "), error
    else:
        assert text is not None


@PROFILE
@given(st.lists(st.text(printable, max_size=50), max_size=10), st.booleans())
def test_utf8_text_decodes_exactly_to_nfc_with_or_without_bom(lines: list[str], bom: bool) -> None:
    text = "".join(line + "\n" for line in lines)
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode()
    decoded, error = decode_bytes(data, cp1252=True)
    assert error is None, error
    assert decoded == unicodedata.normalize("NFC", text)


@PROFILE
@given(st.text(max_size=500), st.booleans())
def test_any_text_decodes_to_nfc_or_is_refused_on_a_line(text: str, bom: bool) -> None:
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8", "surrogatepass")
    decoded, error = decode_bytes(data, cp1252=True)
    if error is None:
        assert decoded == unicodedata.normalize("NFC", text)
    else:
        assert str(error).startswith("f.csv line "), error


@PROFILE
@given(
    st.text(
        st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
        min_size=1,
        max_size=200,
    ),
    st.sampled_from(["utf-16", "utf-16-le", "utf-16-be"]),
)
def test_utf16_is_refused_on_line_1(text: str, encoding: str) -> None:
    data = text.encode(encoding)
    if encoding != "utf-16":
        data = (b"\xff\xfe" if encoding.endswith("le") else b"\xfe\xff") + data
    _, error = decode_bytes(data, cp1252=True)
    assert error is not None and str(error).startswith("f.csv line 1: "), error


@PROFILE
@given(
    st.lists(
        st.text(printable, max_size=40),
        min_size=1,
    ),
    st.data(),
)
def test_a_stray_byte_in_utf8_text_is_located_on_its_line(
    lines: list[str], data: st.DataObject
) -> None:
    line = data.draw(st.integers(0, len(lines) - 1))
    encoded = [part.replace("\n", " ").encode() for part in lines]
    encoded[line] += b"\xff"  # never valid UTF-8 nor Windows-1252 mojibake of UTF-8
    text, error = decode_bytes(b"\n".join(encoded) + b"\n", cp1252=data.draw(st.booleans()))
    if error is not None:
        assert str(error).startswith(f"f.csv line {line + 1}: "), error
    else:  # read as Windows-1252 (with a warning): only when nothing in it was UTF-8
        assert text is not None and all(b < 0x80 for part in lines for b in part.encode())


@PROFILE
@given(
    st.lists(st.lists(cells, min_size=1, max_size=6), min_size=1, max_size=20),
    st.sampled_from([",", ";"]),
    st.sampled_from(["\n", "\r\n"]),
)
def test_records_come_back_exactly_with_their_start_lines(
    records: list[list[str]], delimiter: str, newline: str
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
    starts = []
    for record in records:
        starts.append(buffer.getvalue().count("\n") + 1)
        writer.writerow(record)
    read = list(rows(buffer.getvalue(), display="f.csv", delimiter=delimiter))
    expected = [(s, r) for s, r in zip(starts, records, strict=True) if r != [""]]
    got = [(row.line, row.fields) for row in read if row.fields != [""]]
    assert got == expected


@PROFILE
@given(st.text(max_size=2000), st.sampled_from([",", ";"]))
def test_any_text_gives_records_or_a_located_error(text: str, delimiter: str) -> None:
    try:
        read = list(rows(text, display="f.csv", delimiter=delimiter))
    except SourceError as exc:
        assert str(exc).startswith("f.csv line "), exc
    else:
        assert all(row.line >= 1 for row in read)


@PROFILE
@given(
    st.lists(st.text(st.characters(blacklist_characters=',;"\r\n\x00'), min_size=1), min_size=2),
    st.sampled_from([",", ";"]),
)
def test_the_header_delimiter_is_detected(header: list[str], delimiter: str) -> None:
    assert sniff_delimiter(delimiter.join(header) + "\nx,y;z\n") == delimiter


@PROFILE
@given(st.integers(131_000, 140_000))
def test_a_huge_field_is_read_or_refused_on_its_line(size: int) -> None:
    text = "a,b\n" + '"' + "x" * size + '",1\n'
    try:
        read = list(rows(text, display="f.csv"))
    except SourceError as exc:
        assert str(exc).startswith("f.csv line 2: "), exc
    else:
        assert read[1].fields == ["x" * size, "1"]


# -- structural faults: a stray quote, a line break in a field, a control character ------


def _table(records: list[list[str]], quoting: int = csv.QUOTE_MINIMAL) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n", quoting=quoting).writerows(records)
    return buffer.getvalue()


tables = st.lists(
    st.lists(
        st.text(printable.filter(lambda c: c not in ',"'), min_size=1, max_size=8),
        min_size=2,
        max_size=2,
    ),
    min_size=1,
    max_size=15,
)


@PROFILE
@given(tables, st.data())
def test_a_stray_quote_is_refused_on_its_line_or_changes_only_its_own_row(
    records: list[list[str]], data: st.DataObject
) -> None:
    """No row ever swallows another: every record read is one line of the file."""
    text = _table(records)
    at = data.draw(st.integers(0, len(text) - 1))
    broken = text[:at] + '"' + text[at:]
    try:
        read = [r for r in rows(broken, display="f.csv") if r.fields != [""]]
    except SourceError as exc:
        assert str(exc).startswith("f.csv line "), exc
        return
    lines = broken.split("\n")[:-1]
    assert len(read) == len(records)
    for row in read:
        assert not any("\n" in f for f in row.fields)
        assert row.fields == next(csv.reader([lines[row.line - 1]]))


@PROFILE
@given(tables, st.data(), st.sampled_from(["\n", "\r\n", "\r"]))
def test_a_line_break_inside_a_field_refuses_the_file_on_the_line_its_quote_opened(
    records: list[list[str]], data: st.DataObject, newline: str
) -> None:
    row = data.draw(st.integers(0, len(records) - 1))
    column = data.draw(st.integers(0, 1))
    records[row][column] = records[row][column] + newline + "x"
    text = _table(records, csv.QUOTE_ALL)  # (csv quotes a lone \r only when told)
    try:
        list(rows(text, display="f.csv"))
    except SourceError as exc:
        assert str(exc).startswith(f"f.csv line {row + 1}: a quote opened on this line"), exc
    else:
        raise AssertionError("a field with a line break was read")


@PROFILE
@given(
    tables,
    st.data(),
    st.sampled_from(
        [
            *map(chr, [*range(1, 9), 11, 12, *range(14, 32), *range(0x7F, 0xA0)]),
            "\u200b",
            "\u200d",
            "\u202e",
            "\u2066",
            "\ufeff",
            "\xad",
            "\u2060",
        ]
    ),
)
def test_a_control_or_invisible_character_refuses_the_file_on_its_line(
    records: list[list[str]], data: st.DataObject, char: str
) -> None:
    text = _table(records)
    first = 1 if char == "\ufeff" else 0  # (at the very start it is a byte order mark)
    at = data.draw(st.integers(first, len(text) - 1))
    broken = text[:at] + char + text[at:]
    _, error = decode_bytes(broken.encode())
    assert error is not None
    assert str(error).startswith(f"f.csv line {broken.count(chr(10), 0, at) + 1}: holds "), error


@PROFILE
@given(tables, st.data())
def test_a_file_cut_at_any_byte_is_refused_or_read_as_its_whole_rows(
    records: list[list[str]], data: st.DataObject
) -> None:
    encoded = _table(records).encode()
    cut = encoded[: data.draw(st.integers(0, len(encoded)))]
    text, error = decode_bytes(cut)
    if error is not None:
        assert str(error).startswith("f.csv line "), error
        return
    assert text is not None
    whole = cut.count(b"\n")
    nfc = [[unicodedata.normalize("NFC", f) for f in record] for record in records]
    assert [r.fields for r in rows(text, display="f.csv")] == nfc[:whole]


def test_a_field_of_thousands_of_characters_is_refused() -> None:
    with_quote = 'a,b\n"' + "x," * 600 + '",1\n'
    for text in ("a,b\n" + "x" * 1001 + ",1\n", with_quote):
        try:
            list(rows(text, display="f.csv"))
        except SourceError as exc:
            assert str(exc).startswith("f.csv line 2: a field of "), exc
        else:
            raise AssertionError("a huge field was read")


@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from(["a", "b", "", "x y"]), min_size=3, max_size=3),
            st.sampled_from(["\n", "\r\n"]),
        ),
        max_size=40,
    ),
    st.integers(1, 40),
    st.sets(st.integers(0, 2), min_size=1),
    st.sets(st.integers(0, 2)),
)
def test_plain_columns_are_the_cells_split_whatever_the_chunks_and_line_endings(
    lines: list[tuple[list[str], str]], chunk: int, keep: set[int], distinct: set[int]
) -> None:
    """Whichever columns are kept, the last included (its cells end a line: with CRLF
    endings, the one before the carriage return), interned or not."""
    records = [record for record, _ in lines]
    text = "h1,h2,h3\n" + "".join(",".join(record) + ending for record, ending in lines)
    start = text.find("\n") + 1
    kept = sorted(keep)
    found = plain_columns(text, 3, kept, start=start, chunk=chunk, distinct=distinct)
    assert found == [[record[i] for record in records] for i in kept]


@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from(["a", "", "bc"]), min_size=1, max_size=5),
            st.sampled_from(["\n", "\r\n"]),
        ),
        min_size=1,
        max_size=30,
    ),
    st.integers(1, 40),
)
@example([(["a", "b", "c", "d"], "\n"), (["a", "b"], "\r\n")], 40)  # (4 + 2 cells: 2 lines of 3)
def test_plain_columns_read_a_file_only_when_every_line_has_the_header_s_width(
    lines: list[tuple[list[str], str]], chunk: int
) -> None:
    """None (the file is read row by row, and each odd row reported) whenever some line
    has another number of cells, even when another line's extra cell makes up for it."""
    text = "h1,h2,h3\n" + "".join(",".join(record) + ending for record, ending in lines)
    found = plain_columns(text, 3, [0, 1, 2], start=text.find("\n") + 1, chunk=chunk)
    if all(len(record) == 3 for record, _ in lines):
        assert found == [[record[i] for record, _ in lines] for i in range(3)]
    else:
        assert found is None


@given(
    st.lists(st.lists(st.sampled_from(["a", "b", "", "u1", "u2"]), min_size=2, max_size=2)),
    st.integers(1, 40),
)
def test_plain_columns_keep_the_known_string_of_a_known_value(
    records: list[list[str]], chunk: int
) -> None:
    """A ``known`` column holds, for each value found there, the very string found (one
    copy of an id another table gave); any other value as read."""
    ids = ["".join(["u", "1"]), "".join(["u", "2"])]  # (made at run time: not interned)
    text = "h1,h2\n" + "".join(",".join(record) + "\n" for record in records)
    found = plain_columns(
        text, 2, [0, 1], start=text.find("\n") + 1, chunk=chunk, known={1: {i: i for i in ids}}
    )
    assert found == [[record[0] for record in records], [record[1] for record in records]]
    assert found is not None
    for value in found[1]:
        if value in ids:
            assert value is ids[ids.index(value)]


_FAULT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@given(st.lists(st.sampled_from(["a", ",", "\n", "\r\n", "\r", "\t", "\x01", "\x7f"])))
@example(["\r", "a"])  # (a carriage return with a line feed further on is still a lone one)
def test_check_lines_refuses_a_control_character_or_a_lone_carriage_return_on_its_line(
    pieces: list[str],
) -> None:
    text = "".join(pieces) + "\n"
    fault = _FAULT.search(text) or re.search(r"\r(?!\n)", text)
    try:
        check_lines(text, display="f.csv")
    except SourceError as exc:
        assert fault is not None, exc
        line = text.count("\n", 0, fault.start()) + 1
        assert str(exc).startswith(f"f.csv line {line}: malformed CSV: control character"), exc
    else:
        assert fault is None, text


@given(
    st.lists(st.sampled_from(["a", ",", "\n", "\r\n", "\r", "\x01", "\x7f", "é", '"'])),
    st.booleans(),
)
def test_check_lines_from_the_bytes_read_finds_what_it_finds_from_the_text(
    pieces: list[str], bom: bool
) -> None:
    """Given the bytes the text was decoded from (with a BOM or not), the same fault on
    the same line, or none."""
    text = "".join(pieces)
    data = ("\ufeff" if bom else "").encode() + text.encode()

    def outcome(**given: bytes) -> str:
        try:
            check_lines(text, display="f.csv", **given)
        except SourceError as exc:
            return str(exc)
        return ""

    assert outcome(data=data) == outcome()
