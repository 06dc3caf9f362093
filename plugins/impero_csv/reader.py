"""Impero Education Pro's SIS CSV files: ``teachers.csv`` and ``students.csv``.

Row 1 is ``version,1``, row 2 ``username,class``, data from row 3. A student row
makes the username a member of the class's group; a teacher row grants access to it.
A file whose first two rows are not exactly that is refused whole, so a data row
standing where the version row belongs is never silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from plugins.csvfile import Row, decode, rows
from sync.errors import SourceError
from sync.model import Issue, Severity

HEADER = ("username", "class")
SUPPORTED_VERSIONS = ("1",)


@dataclass(frozen=True)
class Pair:
    """One good data row: a username and a class, and where it came from."""

    line: int
    username: str
    klass: str


@dataclass
class FileRead:
    pairs: list[Pair] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    records: int = 0
    rejected: int = 0


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


def _check_preamble(first: Row | None, second: Row | None, display: str) -> None:
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


def read_pairs(path: Path, *, source: str, display: str, identity: str) -> FileRead:
    """Every good (username, class) row of one file, and an issue for every bad one."""
    decoded = decode(path, source=source, display=display)
    out = FileRead(issues=list(decoded.issues))
    records: Iterator[Row] = rows(decoded.text, display=display)
    first = next(records, None)
    second = next(records, None)
    _check_preamble(first, second, display)
    seen: dict[tuple[str, str], int] = {}

    def problem(row: Row, message: str, column: str = "", value: str = "") -> None:
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

    for row in records:
        fields = row.fields
        if len(fields) != 2:  # the common case skips these checks
            if row.blank:
                continue
            fields = _significant(fields)
            if len(fields) != 2:
                out.records += 1
                problem(
                    row, f"expected 2 fields (username,class), found {len(fields)}", "", _shown(row)
                )
                continue
        username, klass = fields[0].strip(), fields[1].strip()
        if not username and not klass:
            continue
        out.records += 1
        if not username:
            problem(row, "the username is empty", "username")
            continue
        if not klass:
            problem(row, "the class is empty", "class")
            continue
        if identity == "email_local_part":
            username = username.split("@", 1)[0].strip()
            if not username:
                problem(row, "nothing before '@' in the e-mail address", "username", fields[0])
                continue
        key = (username, klass)
        if key in seen:
            out.issues.append(
                Issue(
                    Severity.WARNING,
                    f"duplicate of line {seen[key]}; ignored",
                    source=source,
                    file=display,
                    line=row.line,
                    value=f"{username},{klass}",
                )
            )
            continue
        seen[key] = row.line
        out.pairs.append(Pair(row.line, username, klass))
    return out
