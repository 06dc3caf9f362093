"""Reading CSV files the way schools really save them, for the built-in CSV sources.

Decoding is strict: UTF-8 with or without a BOM. Excel's plain "CSV" (Windows-1252)
is either rejected with advice on how to save the file, or, where a source allows
it, read as Windows-1252 with a warning. Names are never silently garbled.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence, Set
from dataclasses import dataclass
from pathlib import Path
from sys import intern
from typing import NamedTuple

from sync.api import Issue, Severity, SourceError

UTF8_BOM = b"\xef\xbb\xbf"
# A multi-byte UTF-8 character: in a file that is otherwise Windows-1252 these are mojibake
# ("Ã©"), so a file holding one of them and an invalid byte mixes two encodings.
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
SAVE_AS_UTF8 = 'save it from Excel as "CSV UTF-8 (Comma delimited)"'


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    issues: tuple[Issue, ...] = ()


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode(path: Path, *, source: str, display: str, allow_windows_1252: bool = False) -> Decoded:
    """The file's text; raises ``SourceError`` naming the file and line when it cannot be read."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SourceError(f"{display}: file not found ({path})") from None
    except IsADirectoryError:
        raise SourceError(f"{display}: is a folder, not a file ({path})") from None
    except OSError as exc:
        raise SourceError(f"{display}: cannot read: {exc.strerror}") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SourceError(
            f"{display} line 1: the file is UTF-16 (Excel's 'Unicode Text'); {SAVE_AS_UTF8}"
        )
    nul = data.find(b"\x00")
    if nul >= 0:
        raise SourceError(
            f"{display} line {_line_of(data, nul)}: contains NUL bytes; this is not a CSV text file"
        )
    encoding = "utf-8"
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
        encoding = "utf-8-sig"
    try:
        return Decoded(data.decode("utf-8"), encoding)
    except UnicodeDecodeError as exc:
        line = _line_of(data, exc.start)
        bad = data[exc.start : exc.start + 1].hex()
        if not allow_windows_1252 or encoding == "utf-8-sig":
            raise SourceError(
                f"{display} line {line}: not valid UTF-8 (byte 0x{bad}); {SAVE_AS_UTF8}"
            ) from None
        utf8 = _UTF8_MULTIBYTE.search(data)
        if utf8 is not None:
            raise SourceError(
                f"{display} line {line}: mixes encodings: line {_line_of(data, utf8.start())} "
                f"is UTF-8 but byte 0x{bad} on line {line} is not, so names would be garbled; "
                f"correct line {line} or {SAVE_AS_UTF8}"
            ) from None
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"{display} line {_line_of(data, exc.start)}: neither UTF-8 nor Windows-1252; "
            f"{SAVE_AS_UTF8}"
        ) from None
    warning = Issue(
        Severity.WARNING,
        f"the file is not UTF-8; it was read as Windows-1252 (Excel's plain CSV). "
        f"To be sure names are right, {SAVE_AS_UTF8}",
        source=source,
        file=display,
        line=line,
    )
    return Decoded(text, "cp1252", (warning,))


def sniff_delimiter(text: str) -> str:
    """``;`` when the first line has more semicolons than commas (European Excel), else ``,``."""
    first = text.split("\n", 1)[0]
    return ";" if first.count(";") > first.count(",") else ","


class Row(NamedTuple):
    """One CSV record and the line it starts on (a tuple: files have hundreds of thousands)."""

    line: int
    fields: list[str]

    @property
    def blank(self) -> bool:
        return not "".join(self.fields).strip()


def rows(text: str, *, display: str, delimiter: str = ",") -> Iterator[Row]:
    """Each CSV record with the line it starts on (quoted fields may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    start = 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise SourceError(f"{display} line {reader.line_num}: malformed CSV: {exc}") from None
        yield Row(start, fields)
        start = reader.line_num + 1


# -- strict line records (OneRoster, SDS): one record per line, structure checked ------------
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LONE_CR = re.compile(r"\r(?!\n)")
_FIELD = r'(?:"(?:[^"\n]|"")*"|[^",\n]*)'
_QUOTED_LINE = re.compile(rf"{_FIELD}(?:,{_FIELD})*\r?")


def strict_text(data: bytes, *, display: str) -> str:
    """UTF-8 text (with or without a BOM) of a file whose encoding is fixed by its format;
    raises ``SourceError`` naming the file and line when it is anything else."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SourceError(f"{display} line 1: the file is UTF-16; save it as UTF-8")
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = _line_of(data, exc.start)
        bad = data[exc.start : exc.start + 1].hex()
        raise SourceError(f"{display} line {line}: not valid UTF-8 (byte 0x{bad})") from None


def check_lines(text: str, *, display: str) -> None:
    """Raise ``SourceError`` naming the file and line for a structural fault in a format
    whose every line is one record, so that a damaged file is never half-read: a control
    character, a stray quote, a quoted field that runs onto the next line (a line break
    inside a field), or a last line without its line ending (a file cut short)."""
    fault = _CONTROL.search(text)
    if fault is None and "\r" in text and text.count("\r") != text.count("\r\n"):
        fault = _LONE_CR.search(text)
    if fault is not None:
        line = text.count("\n", 0, fault.start()) + 1
        raise SourceError(
            f"{display} line {line}: malformed CSV: control character "
            f"{fault.group()!r} (only text, commas and line endings may appear)"
        )
    if text and not text.endswith("\n"):
        raise SourceError(
            f"{display} line {text.count(chr(10)) + 1}: the last line has no line ending; "
            "the file looks cut short (was it still being written?)"
        )
    if '"' in text:
        for number, physical in enumerate(text.split("\n"), start=1):
            if '"' in physical and _QUOTED_LINE.fullmatch(physical) is None:
                raise SourceError(
                    f"{display} line {number}: malformed CSV: a stray quote, or a quoted "
                    "field that runs onto the next line (fields may not hold line breaks)"
                )


def line_records(text: str, *, display: str) -> list[list[str]]:
    """The records of a CSV text in which every line is one record (see ``check_lines``):
    ``records[i]`` is line ``i + 1`` (a blank line has no non-empty cell)."""
    check_lines(text, display=display)
    if '"' not in text:  # no quoting: every line is its cells split at commas
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        return [line.split(",") for line in text[:-1].split("\n")] if text else []
    lines = text.split("\n")
    lines.pop()  # (after the last line ending)
    try:
        return list(csv.reader(lines, strict=True))
    except csv.Error as exc:  # (not expected after check_lines)
        raise SourceError(f"{display}: malformed CSV: {exc}") from None


_NOT_SEPARATOR = bytes(b for b in range(256) if b not in b",\n")


def plain_columns(
    text: str,
    width: int,
    keep: Sequence[int],
    *,
    start: int = 0,
    chunk: int = 1 << 22,
    distinct: Set[int] = frozenset(),
) -> list[list[str]] | None:
    """Columns ``keep`` of the lines of ``text`` from offset ``start`` (checked by
    ``check_lines``, no quote) when every line has exactly ``width`` cells; None otherwise.

    A few megabytes of lines at a time are split whole (a fraction of the time of a list
    per line), and the values of columns not in ``distinct`` are interned (most columns
    repeat a few values); the other cells are dropped chunk by chunk, so a big file never
    has all its cells alive.
    """
    found: list[list[str]] = [[] for _ in keep]
    pattern = b"," * (width - 1) + b"\n"
    while start < len(text):
        end = text.find("\n", min(start + chunk, len(text) - 1)) + 1
        part = text[start:end]
        if "\r" in part:
            part = part.replace("\r\n", "\n")
        rows = part.count("\n")
        separators = part.encode("utf-8", "surrogatepass").translate(None, _NOT_SEPARATOR)
        if separators != pattern * rows:
            return None
        cells = part.replace("\n", ",").split(",")
        cells.pop()  # (the empty text after the last line ending)
        for values, index in zip(found, keep, strict=True):
            taken = cells[index::width]
            values.extend(taken if index in distinct else map(intern, taken))
        start = end
    return found


def is_padded(text: str) -> bool:
    """Whether some cell of ``text`` may start or end with a space or tab; most files have
    none and need no cell stripped."""
    return (
        "\t" in text
        or " ," in text
        or ", " in text
        or " \n" in text
        or " \r" in text
        or "\n " in text
        or text[:1] == " "
    )
