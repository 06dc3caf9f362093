"""The OneRoster CSV package reader: a .zip as the spec ships it, or a folder of its files.

File names in any case, columns in any order and case, unknown columns and empty trailing
header cells ignored, UTF-8 with or without a BOM, CRLF. ``manifest.csv`` gives the version
and each file's mode (``bulk``, ``delta``, ``absent``); without one (1.0 has none) the
version is told from the columns and every file is bulk. A structural fault anywhere is a
``SourceError`` naming file and line: the package is not applied at all.
"""

from __future__ import annotations

import csv
import hashlib
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path, PurePosixPath
from sys import intern
from typing import Protocol

from plugins.csvfile import check_lines, is_padded, line_records, plain_columns, strict_text
from plugins.oneroster.rows import Columns, laid_out
from plugins.oneroster.spec import (
    DISTINCT,
    KEPT,
    LAID_OUT,
    REFERENCES,
    REQUIRED,
    TABLES,
    VERSIONS,
    Mode,
    Version,
    column_lookup,
)
from sync.api import Issue, Severity, SourceError

MANIFEST = "manifest.csv"
MODES: tuple[Mode, ...] = ("bulk", "delta", "absent")


@dataclass
class Package:
    """One package as read: its version, each table's mode and rows, and what was wrong."""

    version: Version
    modes: dict[str, Mode]
    tables: dict[str, Columns]
    digest: str
    issues: list[Issue] = field(default_factory=list)
    records: int = 0
    rejected: int = 0

    @property
    def is_delta(self) -> bool:
        return "delta" in self.modes.values()


Loader = Callable[[], bytes]


def files_in(path: Path) -> dict[str, tuple[str, Loader]]:
    """Each CSV file's name folded to lower case -> (its name as written, a function that
    reads its bytes): a package's files are read one at a time, never all at once."""
    found: dict[str, tuple[str, Loader]] = {}

    def add(name: str, load: Loader) -> None:
        key = name.casefold()
        if key in found:
            raise SourceError(
                f"{path.name}: holds both {found[key][0]} and {name}; which is meant is unclear"
            )
        found[key] = (name, load)

    if path.is_dir():
        for child in sorted(path.iterdir()):
            if child.is_file() and child.suffix.casefold() == ".csv":
                add(child.name, partial(_read_file, child))
        return found
    if not path.exists():
        raise SourceError(f"{path}: no such file or folder")
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                member = PurePosixPath(info.filename)
                if info.is_dir() or "__MACOSX" in member.parts or member.name.startswith("."):
                    continue
                if member.suffix.casefold() == ".csv":
                    add(member.name, partial(_read_member, path, info.filename))
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceError(f"{path.name}: not a readable .zip package ({exc})") from None
    return found


def package_files(path: Path) -> list[Path]:
    """The files a package read depends on: the .zip, or every file of the folder."""
    if path.is_dir():
        return [member for member in path.iterdir() if member.is_file()]
    return [path] if path.exists() else []


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path.name}: cannot read: {exc.strerror}") from None


def _read_member(path: Path, member: str) -> bytes:
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.read(member)
    except (zipfile.BadZipFile, OSError, KeyError) as exc:
        raise SourceError(f"{path.name}: cannot read {member}: {exc}") from None


def _manifest(name: str, data: bytes) -> dict[str, str]:
    """propertyName -> value, both stripped (property names case-folded)."""
    records = line_records(strict_text(data, display=name), display=name)
    values: dict[str, str] = {}
    for number, record in enumerate(records[1:], start=2):
        if not "".join(record).strip():
            continue
        if len(record) < 2:
            raise SourceError(f"{name} line {number}: expected propertyName,value")
        values[record[0].strip().casefold()] = record[1].strip()
    return values


def _version_from_columns(headers: Mapping[str, set[str]]) -> Version:
    users = headers.get("users", set())
    if "roles" in headers or (users and "role" not in users):
        return "1.2"
    if users and not {"enableduser", "userids"} & users and "userid" in users:
        return "1.0"
    return "1.1"


def _header(record: list[str]) -> list[str]:
    cells = [cell.strip() for cell in record]
    while cells and not cells[-1]:
        cells.pop()
    return cells


def package_digest(path: Path, *, keep: dict[str, bytes] | None = None) -> str:
    """A digest of the package, read without parsing: equal digests mean byte-identical
    files. A folder: every CSV file's name and bytes (each kept in ``keep`` by its folded
    name when given, for ``read_package`` to parse: the files are read once). A .zip: the
    archive's own bytes, so that its members are inflated once, by the read, not twice
    (0.16 s of CPU at N = 50,000); the same files zipped again differ, and are read in
    full."""
    digest = hashlib.sha256()
    if not path.is_dir():
        files_in(path)  # (a missing or unreadable archive fails as the read would)
        digest.update(b"zip\0")
        digest.update(_read_file(path))
        return digest.hexdigest()
    for key, (_, load) in sorted(files_in(path).items()):
        data = load()
        digest.update(b"\0%s\0%d\0" % (key.encode(), len(data)))
        digest.update(data)
        if keep is not None:
            keep[key] = data
    return digest.hexdigest()


def read_package(
    path: Path, *, source: str, digest: str | None = None, kept: dict[str, bytes] | None = None
) -> Package:
    """Every table of the package at ``path``; raises ``SourceError`` for a structural fault.

    ``digest``: the package's ``package_digest`` when the caller took it already, and
    ``kept`` the files it kept (each taken out as it is parsed). A digest is taken before
    the files are parsed, so a file changed during the read changes the next digest.
    """
    digest = package_digest(path) if digest is None else digest
    kept = {} if kept is None else kept
    files = files_in(path)
    manifest = None
    if MANIFEST in files:
        name, load = files[MANIFEST]
        manifest = _manifest(name, kept.pop(MANIFEST) if MANIFEST in kept else load())
    declared = manifest is not None and "oneroster.version" in manifest
    package = Package(_version(manifest, {}, path.name) if declared else "1.1", {}, {}, digest)
    headers: dict[str, set[str]] = {}
    ids_of: dict[str, Mapping[str, str]] = {}  # (see _known_ids)
    for table in TABLES:
        key = f"{table.casefold()}.csv"
        entry = files.get(key)
        mode = _mode(manifest, table, entry is not None, path.name)
        if mode == "absent":
            if entry is not None:
                package.issues.append(
                    Issue(
                        Severity.WARNING,
                        f"manifest.csv says file.{table} is absent; the file is ignored",
                        source=source,
                        file=entry[0],
                    )
                )
            continue
        name, load = files[key]
        package.modes[table] = mode
        data = kept.pop(key) if key in kept else load()  # (one file in memory at a time)
        text = strict_text(data, display=name)
        check_lines(text, display=name, data=data)  # (from the bytes read: none made again)
        del data
        headers[table] = _raw_header(text)
        package.tables[table] = read_rows(
            name,
            text,
            table=table,
            lookup=column_lookup(table),
            kept=KEPT[table],
            required=REQUIRED[table],
            tally=package,
            source=source,
            known_ids=_known_ids(package.tables, table, ids_of),
            lines_checked=True,
        )
    kept.clear()  # (files not parsed: absent, or not OneRoster's)
    if not package.tables:
        expected = ", ".join(f"{t}.csv" for t in TABLES)
        raise SourceError(f"{path.name}: no OneRoster files found (expected some of {expected})")
    if not declared:
        package.version = _version_from_columns(headers)
    return package


def _known_ids(
    tables: Mapping[str, Columns], table: str, made: dict[str, Mapping[str, str]]
) -> dict[str, Mapping[str, str]]:
    """For each column of ``table`` that names rows of a table already read (see
    ``REFERENCES``), those rows' sourcedIds, each mapped to itself (kept in ``made`` by
    table: enrolments and 1.2's roles both name users)."""
    known: dict[str, Mapping[str, str]] = {}
    for name, other in REFERENCES.get(table, {}).items():
        if other in tables:
            if other not in made:
                ids = tables[other].column("sourcedId")
                made[other] = dict(zip(ids, ids, strict=True))
            known[name] = made[other]
    return known


def _raw_header(text: str) -> set[str]:
    """The header's cells, case-folded."""
    end = text.find("\n")  # (not partition: that copies the rest, 29 MB at N = 50,000)
    head = (text if end < 0 else text[:end]).rstrip("\r")
    return {cell.casefold() for cell in _header(next(csv.reader([head])))} if head else set()


def _mode(manifest: dict[str, str] | None, table: str, present: bool, package: str) -> Mode:
    if manifest is None:
        return "bulk" if present else "absent"
    value = manifest.get(f"file.{table.casefold()}", "absent" if not present else "bulk")
    mode = value.casefold()
    if mode not in MODES:
        raise SourceError(
            f"manifest.csv: file.{table} is {value!r}; expected bulk, delta or absent"
        )
    if mode != "absent" and not present:
        raise SourceError(
            f"{package}: manifest.csv lists {table}.csv as {mode}, but the package has no "
            f"{table}.csv"
        )
    return mode


def _version(
    manifest: dict[str, str] | None, headers: Mapping[str, set[str]], package: str
) -> Version:
    if manifest is None or "oneroster.version" not in manifest:
        return _version_from_columns(headers)
    value = manifest["oneroster.version"]
    for version in VERSIONS:
        if value == version or value.casefold() in (f"v{version}", version.replace(".", "p")):
            return version
    raise SourceError(
        f"manifest.csv: oneroster.version {value!r} is not supported "
        f"(supported: {', '.join(VERSIONS)})"
    )


class Tally(Protocol):
    """Where a reader counts the records it saw and rejected, and keeps its issues."""

    issues: list[Issue]
    records: int
    rejected: int


def read_rows(
    name: str,
    text: str,
    *,
    table: str,
    lookup: Mapping[str, str],
    kept: Sequence[str],
    required: Sequence[str],
    tally: Tally,
    source: str,
    known_ids: Mapping[str, Mapping[str, str]] | None = None,
    lines_checked: bool = False,
) -> Columns:
    """The data rows of one file as ``table``'s columns: header cells found in ``lookup``
    (case-folded text -> column), only the ``kept`` columns. A structural fault raises
    ``SourceError``; a file lacking a ``required`` column gives an issue and no rows; a
    row of the wrong width is reported and left out. A column in ``known_ids`` keeps, for a
    value found there, the string found (one copy of an id another table holds).
    ``lines_checked``: the caller ran ``check_lines`` on ``text`` already."""
    if not lines_checked:
        check_lines(text, display=name)
    start = text.find("\n") + 1  # (the body is read from here, never copied whole)
    head = text[:start].rstrip("\r\n")
    raw = next(csv.reader([head])) if head else []
    header = _header(raw)
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        known = lookup.get(cell.casefold())
        if known is None:
            continue
        if known in columns:
            raise SourceError(
                f"{name} line 1: the column {known!r} appears twice "
                f"(columns {columns[known] + 1} and {index + 1})"
            )
        columns[known] = index
    names = [c for c in kept if c in columns]
    missing = [c for c in required if c not in columns]
    if missing:
        data = sum(1 for line in text[start:].split("\n") if line.strip(", \t\r"))
        for column in missing:
            tally.issues.append(
                Issue(
                    Severity.ERROR,
                    f"the required column {column!r} is missing; the file's {data} rows "
                    "are left out",
                    source=source,
                    file=name,
                    line=1,
                    field=column,
                    value=",".join(header),
                )
            )
        tally.records += data
        tally.rejected += data
        return Columns(table, name, [], {c: [] for c in names})
    keep = [columns[c] for c in names]
    distinct = {columns[c] for c in names if c in DISTINCT}
    known_ids = known_ids or {}
    same = {columns[c]: ids for c, ids in known_ids.items() if c in columns}
    plain = (
        plain_columns(text, len(raw), keep, start=start, distinct=distinct, known=same)
        if '"' not in text
        else None
    )
    if plain is not None:
        lines: Sequence[int] = range(2, 2 + (len(plain[0]) if plain else 0))
        found = dict(zip(names, plain, strict=True))
    else:
        body = text[start:].replace("\r\n", "\n")
        lines, found = _checked_rows(
            name, body, len(header), columns, names, tally, source, known_ids
        )
    if is_padded(text):
        found = {c: [cell.strip() for cell in values] for c, values in found.items()}
    for column in LAID_OUT.get(table, ()) & found.keys():
        found[column] = laid_out(found[column])
    tally.records += len(lines)
    return Columns(table, name, lines, found, single_line=True)  # (see check_lines)


def _checked_rows(
    name: str,
    body: str,
    width: int,
    columns: Mapping[str, int],
    names: Sequence[str],
    tally: Tally,
    source: str,
    known: Mapping[str, Mapping[str, str]],
) -> tuple[list[int], dict[str, list[str]]]:
    """Row by row, for a file that is not all plain rows: blank lines skipped, rows of
    the wrong width reported and left out."""
    lines: list[int] = []
    found: dict[str, list[str]] = {c: [] for c in names}
    pairs = [(found[c], columns[c], known.get(c, {})) for c in names]
    for number, record in enumerate(line_records(body, display=name), start=2):
        if len(record) != width:
            if not any(cell.strip() for cell in record):
                continue  # a blank line
            problem = _width_problem(record, width)
            if problem:
                tally.records += 1
                tally.rejected += 1
                tally.issues.append(
                    Issue(
                        Severity.ERROR,
                        f"{problem}; row left out",
                        source=source,
                        file=name,
                        line=number,
                    )
                )
                continue
            record = record + [""] * (width - len(record))
        elif not any(cell.strip() for cell in record):
            continue
        lines.append(number)
        for values, index, same in pairs:
            cell = record[index]
            values.append(same.get(cell) or intern(cell))
    return lines, found


def _width_problem(record: list[str], width: int) -> str:
    """Why a row of the wrong length cannot be read, or '' when only blank cells differ."""
    if len(record) > width:
        if any(cell.strip() for cell in record[width:]):
            return f"{len(record)} fields, but the header has {width} columns"
        return ""
    return f"{len(record)} fields, but the header has {width} columns (a cut or shifted row?)"
