"""Property tests for the shared CSV decoder: any bytes decode exactly or raise a SourceError
naming the file and line; records come back exactly, each with the line it starts on."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugins.csvfile import decode, rows, sniff_delimiter
from sync.errors import SourceError

PROFILE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Field text: anything but NUL and a lone carriage return (csv counts a lone \r as a line).
cells = st.text(
    st.characters(blacklist_characters="\x00\r", blacklist_categories=("Cs",)), max_size=30
)


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
@given(
    st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=500),
    st.booleans(),
)
def test_utf8_text_decodes_exactly_with_or_without_bom(text: str, bom: bool) -> None:
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode()
    decoded, error = decode_bytes(data, cp1252=True)
    assert error is None, error
    assert decoded == text


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
        st.text(
            st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=40
        ),
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
    text, error = decode_bytes(b"\n".join(encoded), cp1252=data.draw(st.booleans()))
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
