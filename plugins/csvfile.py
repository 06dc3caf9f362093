"""Reading CSV files the way schools really save them, for the built-in CSV sources.

Decoding is strict: UTF-8 with or without a BOM. Excel's plain "CSV" (Windows-1252)
is either rejected with advice on how to save the file, or, where a source allows
it, read as Windows-1252 with a warning. Names are never silently garbled.

The structure is strict too: no username, class, name or id holds a line break, a
control or invisible character, or thousands of characters, so a field like that (a
stray quote swallowing the rows after it) refuses the whole file, naming the line the
quote opened on. So does a last line with no line ending (a file cut while it was
written or copied). Text is normalised to NFC, so a composed and a decomposed "é" are
the same name.
"""

from __future__ import annotations

import csv
import io
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from sys import intern
from types import MappingProxyType
from typing import Any, NamedTuple

from pydantic import Field

from sync.api import Issue, Severity, SourceError

UTF8_BOM = b"\xef\xbb\xbf"
# A multi-byte UTF-8 character: in a file that is otherwise Windows-1252 these are mojibake
# ("Ã©"), so a file holding one of them and an invalid byte mixes two encodings.
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
SAVE_AS_UTF8 = 'save it from Excel as "CSV UTF-8 (Comma delimited)"'
MAX_FIELD_LENGTH = 1000
"""No name, id, class or group in a roster file comes near this many characters."""
SETTLE_SECONDS = 3.0


def settle_field() -> Any:
    """The ``settle_seconds`` option every file source offers, with its default."""
    return Field(
        default=SETTLE_SECONDS,
        ge=0,
        description="read a file only once it has been unchanged this long (0: at once)",
    )


"""A file is read only once it has been unchanged this long (an export may be writing it)."""

# Control characters (but tab and line breaks) and characters that print as nothing
# (zero-width spaces and joiners, direction marks, soft hyphens, a BOM inside the text):
# two names that look the same must be the same name, so neither is ever accepted.
_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\xad\u034f\u061c\u115f\u1160"
    "\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f"
    "\u3164\ufeff\uffa0\ufff9-\ufffb\U000e0000-\U000e007f]"
)
_ASCII_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ASCII_ALLOWED = bytes([9, 10, 13, *range(32, 127)])


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    issues: tuple[Issue, ...] = ()


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _stat(path: Path, display: str) -> tuple[int, int, int]:
    try:
        found = path.stat()
    except FileNotFoundError:
        raise SourceError(f"{display}: file not found ({path})") from None
    except OSError as exc:
        raise SourceError(f"{display}: cannot read: {exc.strerror}") from None
    return found.st_size, found.st_mtime_ns, found.st_ino


def _still_being_written(display: str) -> SourceError:
    return SourceError(
        f"{display}: still being written; nothing changed (the file changed while it was "
        "read: the next run reads it once it has stopped changing)"
    )


def read_settled(
    path: Path,
    *,
    display: str,
    settle_seconds: float = 0.0,
    sleep: Callable[[float], None] = time.sleep,
) -> bytes:
    """The file's bytes, read only once it has been unchanged for ``settle_seconds`` (0: at
    once); raises ``SourceError`` if it changes while it is read (an export still writing)."""
    before = _stat(path, display)
    if settle_seconds > 0:
        age = time.time() - before[1] / 1e9
        if age < settle_seconds:
            sleep(min(settle_seconds, settle_seconds - age))
            if _stat(path, display) != before:
                raise _still_being_written(display)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SourceError(f"{display}: file not found ({path})") from None
    except IsADirectoryError:
        raise SourceError(f"{display}: is a folder, not a file ({path})") from None
    except OSError as exc:
        raise SourceError(f"{display}: cannot read: {exc.strerror}") from None
    after = _stat(path, display)
    if after != before or len(data) != after[0]:
        raise _still_being_written(display)
    return data


#: What ``settled_files`` found: each file's path, size, modification time and inode.
FileStamps = tuple[tuple[str, int, int, int], ...]


def _stamps(files: Sequence[Path], display: str) -> FileStamps:
    return tuple((str(path), *_stat(path, display)) for path in sorted(files))


def settled_files(
    files: Sequence[Path],
    *,
    display: str,
    settle_seconds: float = 0.0,
    sleep: Callable[[float], None] = time.sleep,
) -> FileStamps:
    """Wait until every file of a package (a folder's files, or one .zip) has been unchanged
    for ``settle_seconds`` (0: at once); raises ``SourceError`` if one changes meanwhile.
    The stamps it returns are checked again with ``still_unchanged`` after the read."""
    before = _stamps(files, display)
    if settle_seconds > 0 and before:
        age = time.time() - max(stamp[2] for stamp in before) / 1e9
        if age < settle_seconds:
            sleep(min(settle_seconds, settle_seconds - age))
            if _stamps(files, display) != before:
                raise _still_being_written(display)
    return before


def still_unchanged(files: Sequence[Path], stamps: FileStamps, *, display: str) -> None:
    """Raise "still being written; nothing changed" if any file changed since ``stamps``."""
    if _stamps(files, display) != stamps:
        raise _still_being_written(display)


def decode(
    path: Path,
    *,
    source: str,
    display: str,
    allow_windows_1252: bool = False,
    settle_seconds: float = 0.0,
) -> Decoded:
    """The file's text, NFC; raises ``SourceError`` naming the file and line when it cannot
    be read, holds a control or invisible character, or its last line has no line ending."""
    data = read_settled(path, display=display, settle_seconds=settle_seconds)
    decoded = _decode_bytes(data, source=source, display=display, cp1252=allow_windows_1252)
    text = decoded.text
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    check_text(text, display=display)
    return Decoded(text, decoded.encoding, decoded.issues)


def _decode_bytes(data: bytes, *, source: str, display: str, cp1252: bool) -> Decoded:
    allow_windows_1252 = cp1252
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


def _character(char: str) -> str:
    name = unicodedata.name(char, "a control character")
    return f"U+{ord(char):04X} ({name.lower()})"


def check_text(text: str, *, display: str) -> None:
    """Raise ``SourceError`` naming the line of the first control or invisible character,
    or of a last line with no line ending (a cut file, see the module docstring)."""
    if text.isascii():
        # Deleting every allowed byte is many times faster than a search (a hot path).
        clean = not text.encode("ascii").translate(None, _ASCII_ALLOWED)
        found = None if clean else _ASCII_FORBIDDEN.search(text)
    else:
        found = _FORBIDDEN.search(text)
    if found is not None:
        raise SourceError(
            f"{display} line {text.count(chr(10), 0, found.start()) + 1}: holds "
            f"{_character(found.group())}, which no name or id contains (it may print as "
            "nothing, or move the cursor); remove it, or re-export the file"
        )
    end = max(text.rfind("\n"), text.rfind("\r"))
    if text[end + 1 :].strip():
        raise SourceError(
            f"{display} line {text.count(chr(10)) + 1}: the last line has no line ending, so "
            "the file may have been cut short while it was written or copied; nothing "
            "changed. If the file is complete, end it with a line break"
        )


def long_field(fields: Iterable[str]) -> str | None:
    """The first field longer than ``MAX_FIELD_LENGTH``, if any."""
    return next((f for f in fields if len(f) > MAX_FIELD_LENGTH), None)


def spans_lines(display: str, line: int, last: int) -> SourceError:
    """The error for a record that began on ``line`` and ran to ``last``: a stray quote."""
    where = f"runs on to line {last}, taking in" if last != line else "takes in"
    return SourceError(
        f"{display} line {line}: a quote opened on this line {where} the line breaks and "
        "the rows between (a stray quote?); no name, id or class holds a line break. "
        "Remove the stray quote; nothing changed"
    )


def too_long(display: str, line: int, value: str) -> SourceError:
    return SourceError(
        f"{display} line {line}: a field of {len(value)} characters (a stray quote?); no "
        f"name, id or class is longer than {MAX_FIELD_LENGTH}. Nothing changed"
    )


def malformed(display: str, line: int, exc: csv.Error) -> SourceError:
    """A ``csv`` error on the record that began on ``line``."""
    if "unexpected end of data" in str(exc) or "EOF" in str(exc):
        return SourceError(
            f"{display} line {line}: a quote opened on this line is never closed (a stray "
            "quote?); nothing changed"
        )
    return SourceError(f"{display} line {line}: malformed CSV: {exc}")


def checked_records(
    reader: Iterator[list[str]], *, display: str, carriage_returns: bool = True
) -> Iterator[Row]:
    """Each record of a ``csv.reader`` with the line it starts on, refusing the file (see
    the module docstring) at a record that spans lines or holds a field far too long.

    A field holding a line feed makes its record span lines; one holding only a carriage
    return does not, so fields are searched for one when ``carriage_returns`` (the text
    has one).
    """
    start = 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise malformed(display, start, exc) from None
        last: int = reader.line_num  # type: ignore[attr-defined]
        if last != start:
            raise spans_lines(display, start, last)
        if carriage_returns and any("\r" in f for f in fields):
            raise spans_lines(display, start, start)
        if len(fields) > 1 or (fields and len(fields[0]) > MAX_FIELD_LENGTH):
            value = long_field(fields)
            if value is not None:
                raise too_long(display, start, value)
        yield Row(start, fields)
        start = last + 1


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
    """Each CSV record with the line it starts on (see ``checked_records``)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    return checked_records(reader, display=display, carriage_returns="\r" in text)


# -- strict line records (OneRoster, SDS): one record per line, structure checked ------------
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LONE_CR = re.compile(r"\r(?!\n)")
_NOT_CONTROL = bytes(b for b in range(256) if b not in {*range(9), 11, 12, *range(14, 32), 127})
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


def check_lines(text: str, *, display: str, data: bytes | None = None) -> None:
    """Raise ``SourceError`` naming the file and line for a structural fault in a format
    whose every line is one record, so that a damaged file is never half-read: a control
    character, a stray quote, a quoted field that runs onto the next line (a line break
    inside a field), or a last line without its line ending (a file cut short).

    ``data``: the bytes ``text`` was decoded from as UTF-8 (a BOM before them or not),
    when the caller has them: they need not be made again (29 MB at N = 50,000)."""
    # Deleting every byte but the control characters is many times faster than a search
    # (a hot path); UTF-8 has no such byte inside a character, so the text's bytes serve
    # (a BOM's bytes are none of them either).
    if data is None:
        data = text.encode("utf-8", "surrogatepass")
    clean = not data.translate(None, _NOT_CONTROL)
    fault = None if clean else _CONTROL.search(text)
    if fault is None and "\r" in text:
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
EMPTY_KNOWN: Mapping[int, Mapping[str, str]] = MappingProxyType({})


def plain_columns(
    text: str,
    width: int,
    keep: Sequence[int],
    *,
    start: int = 0,
    chunk: int = 1 << 16,
    distinct: Set[int] = frozenset(),
    known: Mapping[int, Mapping[str, str]] = EMPTY_KNOWN,
) -> list[list[str]] | None:
    """Columns ``keep`` of the lines of ``text`` from offset ``start`` (checked by
    ``check_lines``, no quote) when every line has exactly ``width`` cells; None otherwise.

    About 64 KiB of lines at a time are split whole (a fraction of the time of a list
    per line), and the values of columns not in ``distinct`` are interned (most columns
    repeat a few values); a column in ``known`` takes, for a cell found there, the string
    found (one copy of an id another file gave). The other cells are dropped chunk by
    chunk, so a big file never has all its cells alive. The chunk is small enough that
    its cells are still in the processor's cache when they are taken and dropped: with
    4 MiB chunks every pass over a chunk's cells went to main memory, and the 29 MB
    enrolments file of a 50,000-student district took half as long again.

    With CRLF line endings only a line's last cell ends in a carriage return (check_lines
    refuses a lone one): an interned last column is interned as read and each of its few
    values stripped once at the end; any other last column is stripped chunk by chunk.
    """
    found: list[list[str]] = [[] for _ in keep]
    pattern = b"," * (width - 1) + b"\n"
    last = width - 1
    varied: set[int] = set()  # (columns seen with two values in a chunk: no count again)
    carried = False  # (the last column, interned, holds values with their carriage return)
    while start < len(text):
        end = text.find("\n", min(start + chunk, len(text) - 1)) + 1
        part = text[start:end]
        crlf = "\r" in part
        separators = part.encode("utf-8", "surrogatepass").translate(None, _NOT_SEPARATOR)
        # (as many lines as a file of this width would have: any other count of commas
        # or line endings fails the comparison, with no count of the lines themselves)
        if separators != pattern * (len(separators) // len(pattern)):
            return None
        cells = part.replace("\n", ",").split(",")
        cells.pop()  # (the empty text after the last line ending)
        for values, index in zip(found, keep, strict=True):
            taken = cells[index::width]
            same = known.get(index)
            interned = same is None and index not in distinct
            if crlf and index == last:
                if interned:
                    carried = True
                else:
                    taken = "\n".join(taken).replace("\r", "").split("\n")
            if same is not None:
                values.extend(map(same.get, taken, taken))
            elif not interned:
                values.extend(taken)
            elif index not in varied and taken.count(taken[0]) == len(taken):
                values.extend(repeat(intern(taken[0]), len(taken)))  # (one value: a status)
            else:
                varied.add(index)
                values.extend(map(intern, taken))
        start = end
    if carried:
        values = found[keep.index(last)]
        stripped = {value: intern(value.removesuffix("\r")) for value in set(values)}
        values[:] = map(stripped.__getitem__, values)
    return found


def is_padded(text: str) -> bool:
    """Whether some cell of ``text`` may start or end with a space or tab; most files have
    none and need no cell stripped."""
    if " " not in text and "\t" not in text:  # (two quick searches settle most files)
        return False
    return (
        "\t" in text
        or " ," in text
        or ", " in text
        or " \n" in text
        or " \r" in text
        or "\n " in text
        or text[:1] == " "
    )
