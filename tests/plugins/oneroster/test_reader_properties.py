"""Property tests for the OneRoster and SDS CSV readers: never a traceback (a damaged file
is a SourceError naming file and line), never a silently dropped row."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugins.oneroster.mapping import Settings, build_roster
from plugins.oneroster.package import read_package
from plugins.sds.formats import read_sds
from sync.api import SourceError

PROFILE = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HEADER = ["sourcedId", "status", "classSourcedId", "userSourcedId", "role", "primary"]
# Cell text as a spreadsheet may hold it: no line breaks (the formats forbid them) and
# no control characters (a structural fault, tested apart).
cells = st.text(
    st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from([",", '"', " ", "é"]),
    max_size=12,
)
rows = st.lists(st.lists(cells, min_size=0, max_size=8), max_size=25)


def _csv(header: list[str], body: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(body)
    return buffer.getvalue().encode()


def _accounted(lines: dict[int, list[str]], kept: set[int], issue_lines: set[int | None]) -> None:
    for line, record in lines.items():
        if any(cell.strip() for cell in record):
            assert line in kept or line in issue_lines or 1 in issue_lines, (line, record)


@PROFILE
@given(rows, st.booleans())
def test_oneroster_rows_are_read_or_reported(body: list[list[str]], bom: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder)
        data = _csv(HEADER, body)
        (path / "enrollments.csv").write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
        (path / "users.csv").write_bytes(b"sourcedId,role,username\nu1,student,ann\n")
        package = read_package(path, source="s")
    kept = {row.line for row in package.tables["enrollments"]}
    issue_lines = {i.line for i in package.issues if i.file == "enrollments.csv"}
    _accounted(dict(enumerate(body, start=2)), kept, issue_lines)
    mapped = build_roster(package.tables, Settings(), source="s")  # never raises
    assert mapped.records >= len(package.tables["enrollments"])


@PROFILE
@given(st.binary(max_size=600))
def test_any_bytes_are_read_or_refused_naming_the_file(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder)
        (path / "enrollments.csv").write_bytes(
            b"sourcedId,classSourcedId,userSourcedId,role\n" + data
        )
        (path / "StudentEnrollment.csv").write_bytes(b"Section SIS ID,SIS ID\n" + data)
        (path / "Student.csv").write_bytes(b"SIS ID,Username\n1,ann\n")
        (path / "Section.csv").write_bytes(b"SIS ID,School SIS ID,Section Name\nsec1,1,Bio\n")
        for read in (read_package, read_sds):
            try:
                read(path, source="s")
            except SourceError as exc:
                assert str(exc).startswith(
                    ("enrollments.csv line", "StudentEnrollment.csv line")
                ), exc


@PROFILE
@given(rows)
def test_sds_rows_are_read_or_reported(body: list[list[str]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder)
        (path / "StudentEnrollment.csv").write_bytes(_csv(["Section SIS ID", "SIS ID"], body))
        (path / "Student.csv").write_bytes(b"SIS ID,Username\n1,ann\n")
        (path / "Section.csv").write_bytes(b"SIS ID,School SIS ID,Section Name\nsec1,1,Bio\n")
        read = read_sds(path, source="s")
    kept = {row.line for row in read.tables["enrollments"]}
    issue_lines = {i.line for i in read.issues if i.file == "StudentEnrollment.csv"}
    _accounted(dict(enumerate(body, start=2)), kept, issue_lines)
    mapped = build_roster(read.tables, Settings(), source="s")
    reported = {i.line for i in mapped.issues if i.file == "StudentEnrollment.csv"}
    for row in read.tables["enrollments"]:
        good = row.get("classSourcedId") == "sec1" and row.get("userSourcedId") == "student:1"
        assert good or row.line in reported, row  # a member, or an issue naming its line
    assert set(mapped.roster.memberships) <= {("sec1", "ann")}
