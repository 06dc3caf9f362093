"""Impero Education Pro's SIS CSV files: ``teachers.csv`` and ``students.csv``.

Row 1 is ``version,1``, row 2 ``username,class``, data from row 3. A student row
makes the username a member of the class's group; a teacher row grants access to it.
A file whose first two rows are not exactly that is refused whole, so a data row
standing where the version row belongs is never silently dropped.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from sys import intern

from plugins.csvfile import MAX_FIELD_LENGTH, Row, checked_records, decode
from sync.api import Issue, Severity, SourceError

HEADER = ("username", "class")
SUPPORTED_VERSIONS = ("1",)


@dataclass
class FileRead:
    """The good rows of one file as parallel columns, and an issue for every bad one.

    Columns rather than a tuple per row: district files have hundreds of thousands of
    rows, and the source builds its memberships from whole columns at once.
    ``lines[i]`` is the line row ``i`` came from (a ``range`` when every row was plain).
    """

    usernames: list[str] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)
    lines: Sequence[int] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    records: int = 0
    rejected: int = 0

    def __len__(self) -> int:
        return len(self.usernames)

    def rows(self) -> Iterator[tuple[int, str, str]]:
        """(line, username, class) for every good row."""
        return zip(self.lines, self.usernames, self.classes, strict=True)


# Every character ``str.strip`` removes, but the space and the newline. A file body
# holding none of them and no quote, whose every line is two non-empty fields with no
# space at either end, is read by splitting it (see ``_plain_columns``).
OTHER_WHITESPACE = "\t\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u1680" + "".join(
    map(chr, [*range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000])
)
_ASCII_WHITESPACE = "".join(c for c in OTHER_WHITESPACE if c.isascii())


_NOT_SEPARATOR = bytes(b for b in range(256) if b not in b",\n")


def _plain_columns(body: str) -> tuple[list[str], list[str]] | None:
    """The usernames and classes of ``body`` if every line is a plain row: two non-empty
    fields, no quote, no whitespace around either. None for any other body.

    Nearly every district file is all plain rows; reading one by splitting it takes a
    fraction of the time of the csv module or a regular expression.
    """
    if "\r" in body:
        body = body.replace("\r\n", "\n")
    others = _ASCII_WHITESPACE if body.isascii() else OTHER_WHITESPACE
    if '"' in body or any(c in body for c in others):
        return None
    if not body:
        return [], []
    if not body.endswith("\n"):
        body += "\n"
    # Every separator a comma: a space next to one is a space at either end of a field
    # (two searches of this text instead of four of the body).
    joined = body.replace("\n", ",")
    if " " in body and (body[0] == " " or " ," in joined or ", " in joined):
        return None
    # One comma, then one newline, on every line.
    separators = body.encode("utf-8", "surrogatepass").translate(None, _NOT_SEPARATOR)
    if separators != b",\n" * body.count("\n"):
        return None
    fields = joined.split(",")
    fields.pop()  # (after the last newline)
    if "" in fields:
        return None
    return fields[0::2], fields[1::2]


def _shown(row: Row) -> str:
    return ",".join(row.fields)


def _is_header(row: Row) -> bool:
    return tuple(f.strip().lower() for f in row.fields[:2]) == HEADER and not any(
        f.strip() for f in row.fields[2:]
    )


def _significant(fields: list[str], keep: int = 2) -> list[str]:
    """The fields without trailing empty ones past ``keep`` (Excel pads rows after a
    deleted column)."""
    end = len(fields)
    while end > keep and not fields[end - 1].strip():
        end -= 1
    return fields[:end]


def _check_preamble(first: Row | None, second: Row | None, *, display: str) -> None:
    if first is None:
        raise SourceError(
            f"{display}: the file is empty; it needs 'version,1' on line 1 and "
            "'username,class' on line 2"
        )
    if _is_header(first):
        raise SourceError(
            f"{display} line {first.line}: found the header 'username,class' where the version "
            "row belongs; add 'version,1' as the first line (the first two rows are never "
            "imported, so the first data row would be lost)"
        )
    version = [f.strip() for f in _significant(first.fields)]
    if not version or version[0].lower() != "version" or len(version) != 2:
        raise SourceError(
            f"{display} line {first.line}: expected the version row 'version,1', found "
            f"{_shown(first)!r}; the first two rows are reserved (version, then header) "
            "and are never imported"
        )
    if version[1] not in SUPPORTED_VERSIONS:
        raise SourceError(
            f"{display} line {first.line}: version {version[1]!r} is not supported "
            f"(supported: {', '.join(SUPPORTED_VERSIONS)})"
        )
    if second is None or not _is_header(second):
        found = repr(_shown(second)) if second is not None else "the end of the file"
        line = second.line if second is not None else first.line + 1
        raise SourceError(
            f"{display} line {line}: expected the header 'username,class', found {found}"
        )


def read_pairs(
    path: Path, *, source: str, display: str, identity: str, settle_seconds: float = 0.0
) -> FileRead:
    """Every good (username, class) row of one file, and an issue for every bad one.

    A file whose data lines are all plain rows (see ``_plain_columns``) is read by
    splitting it; any other file goes row by row through the ``csv`` module. Both give the
    same rows, and both refuse the file as ``plugins.csvfile`` says (a stray quote, a field
    far too long). Duplicates are left in; see ``without_duplicates``.
    """
    decoded = decode(path, source=source, display=display, settle_seconds=settle_seconds)
    out = FileRead(issues=list(decoded.issues))
    text = io.StringIO(decoded.text, newline="")
    reader = csv.reader(text, strict=True)
    records = checked_records(reader, display=display, carriage_returns="\r" in decoded.text)
    preamble = list(islice(records, 2))
    _check_preamble(*preamble, *[None] * (2 - len(preamble)), display=display)
    first = reader.line_num + 1
    body = decoded.text[text.tell() :]
    plain = _plain_columns(body) if identity == "username" else None
    if plain is not None and not _too_long(body, plain):
        out.usernames, out.classes = plain
        out.lines = range(first, first + len(out.classes))
        out.records = len(out.classes)
        return out
    _read_rows(records, out, source=source, display=display, identity=identity)
    return out


def _too_long(body: str, columns: tuple[list[str], list[str]]) -> bool:
    """Whether a plain body has a field longer than ``MAX_FIELD_LENGTH`` (the row-by-row
    read then reports it with its line)."""
    if len(body) <= MAX_FIELD_LENGTH:
        return False
    return any(column and max(map(len, column)) > MAX_FIELD_LENGTH for column in columns)


def _read_rows(
    records: Iterator[Row], out: FileRead, *, source: str, display: str, identity: str
) -> None:
    """The data rows one by one, for files that are not all plain rows."""
    lines: list[int] = []
    out.lines = lines
    for row in records:
        pair = _check_row(row, out, source=source, display=display, identity=identity)
        if pair is not None:
            lines.append(row.line)
            out.usernames.append(intern(pair[0]))
            out.classes.append(intern(pair[1]))


def without_duplicates(read: FileRead, *, source: str, display: str) -> None:
    """Drop repeated rows from ``read``, each repeat reported with the line it repeats.

    Called only when the caller saw fewer distinct pairs than rows, so the common
    case builds no index of lines.
    """
    first_line: dict[tuple[str, str], int] = {}
    lines: list[int] = []
    usernames: list[str] = []
    classes: list[str] = []
    for line, username, klass in read.rows():
        key = (username, klass)
        if key in first_line:
            read.issues.append(
                Issue(
                    Severity.WARNING,
                    f"duplicate of line {first_line[key]}; ignored",
                    source=source,
                    file=display,
                    line=line,
                    value=f"{username},{klass}",
                )
            )
        else:
            first_line[key] = line
            lines.append(line)
            usernames.append(username)
            classes.append(klass)
    read.lines, read.usernames, read.classes = lines, usernames, classes


def _check_row(
    row: Row,
    out: FileRead,
    *,
    source: str,
    display: str,
    identity: str,
) -> tuple[str, str] | None:
    """One row: a good (username, class), or None with the row counted and reported."""

    def problem(message: str, column: str = "", value: str = "") -> None:
        out.issues.append(
            Issue(
                Severity.ERROR,
                message,
                source=source,
                file=display,
                line=row.line,
                field=column,
                value=value,
            )
        )
        out.rejected += 1

    fields = row.fields
    if len(fields) != 2:
        if row.blank:
            return None
        fields = _significant(fields)
        if len(fields) != 2:
            out.records += 1
            problem(f"expected 2 fields (username,class), found {len(fields)}", "", _shown(row))
            return None
    username, klass = fields[0].strip(), fields[1].strip()
    if not username and not klass:
        return None
    out.records += 1
    if not username:
        problem("the username is empty", "username")
        return None
    if not klass:
        problem("the class is empty", "class")
        return None
    if identity == "email_local_part":
        username = username.split("@", 1)[0].strip()
        if not username:
            problem("nothing before '@' in the e-mail address", "username", fields[0])
            return None
    return username, klass
