"""Reading CSV files the way schools really save them, for the built-in CSV sources.

Decoding is strict: UTF-8 with or without a BOM. Excel's plain "CSV" (Windows-1252)
is either rejected with advice on how to save the file, or, where a source allows
it, read as Windows-1252 with a warning. Names are never silently garbled.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
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
