"""What the console's import keeps for a roster_csv source (a mapping per file layout, rows
corrected by hand) and how the source applies them at read; suggestions for headers."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from plugins import people as rules
from plugins.roster_csv import RosterCsvOptions, RosterCsvSource
from plugins.roster_csv.columns import layout_key, match, suggest
from plugins.roster_csv.store import Correction, ImportStore, read_saved, row_key
from sync.api import Severity
from sync.cli import make_cli
from sync.testing import make_context
from tests.conftest import write_csv

HEADER = "Forename,Surname,DOB,Sex,Yr,Reg,Pupil Number"
ROWS = ("Ann,Lee,01/02/2012,F,7,7A,A1", "Bob,Ray,31/02/2012,M,7,7B,A2")
MAPPING = {
    "Forename": "first_name",
    "Surname": "surname",
    "DOB": "date_of_birth",
    "Sex": "gender",
    "Yr": "year_group",
    "Reg": "registration_group",
    "Pupil Number": "upn",
}


@pytest.mark.parametrize(
    ("header", "kind", "field"),
    [
        ("Forename", "students", "first_name"),
        ("DOB", "students", "date_of_birth"),
        ("d.o.b.", "students", "date_of_birth"),
        ("Reg", "students", "registration_group"),
        ("Tutor Group", "students", "registration_group"),
        ("Surnmae", "students", "surname"),
        ("Unique Pupil Number", "students", "upn"),
        ("Login", "staff", "username"),
        ("Group", "staff", "user_group"),
        ("Job Title", "staff", "job_role"),
        ("Notes", "students", None),
        ("", "students", None),
    ],
)
def test_a_header_it_does_not_know_gets_a_suggestion(
    header: str, kind: str, field: str | None
) -> None:
    assert suggest(header, kind) == field  # type: ignore[arg-type]


def test_a_header_mapped_to_nothing_is_ignored_even_when_it_spells_a_field() -> None:
    matching = match(["First Name", "Surname", "Gender"], "students", {"Gender": ""})
    assert "gender" not in matching.columns and matching.ignored == ["Gender"]
    assert layout_key([" First  Name", "SURNAME"]) == layout_key(["first name", "surname"])


def rules_id(first: str, surname: str) -> str:
    return rules.student_id(first, surname, date(2012, 2, 1))


def _source(folder: Path) -> RosterCsvSource:
    options = RosterCsvOptions.model_validate({"students_file": "students.csv"})
    return RosterCsvSource(options, make_context(folder, name="school"))


def test_a_database_where_no_import_was_completed_is_read_as_nothing_saved(
    tmp_path: Path,
) -> None:
    write_csv(
        tmp_path / "students.csv",
        "First Name,Surname,Date Of Birth,Year Group,Registration Group",
        "Ann,Lee,01/02/2012,7,7A",
    )
    read = _source(tmp_path).read()
    assert set(read.roster.people) == {rules_id("Ann", "Lee")}
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'state.db'}")
    assert not [t for t in sa.inspect(engine).get_table_names() if t.startswith("roster_csv")]
    assert read_saved(f"sqlite:///{tmp_path / 'state.db'}", "school", "students").layouts == {}


def test_the_saved_layout_and_corrections_are_applied_when_the_source_reads(
    tmp_path: Path,
) -> None:
    write_csv(tmp_path / "students.csv", HEADER, *ROWS)
    refused = _source(tmp_path)
    with pytest.raises(Exception, match="no column for"):
        refused.read()  # without the mapping, these headers are not Backdrop's
    context = make_context(tmp_path, name="school")
    store = ImportStore(context.database(None))
    bob = tuple(ROWS[1].split(","))
    store.save(
        "school",
        "students",
        layout=layout_key(HEADER.split(",")),
        mapping=MAPPING,
        corrections={
            row_key(bob): Correction(
                {**dict(zip(MAPPING.values(), bob, strict=True)), "date_of_birth": "28/02/2012"},
                3,
                "alice",
            )
        },
        user="alice",
    )
    read = _source(tmp_path).read()
    assert set(read.roster.people) == {"A1", "A2"} and read.rejected == 0
    assert read.roster.people["A2"].attributes["date_of_birth"] == "2012-02-28"
    [warning] = [i for i in read.issues if i.severity is Severity.WARNING]
    assert (warning.line, warning.message) == (
        3,
        "corrected by hand in the console by alice; the file still has the old values",
    )
    # The school fixes the row in its own file: the correction no longer matches it.
    write_csv(tmp_path / "students.csv", HEADER, ROWS[0], "Bob,Ray,27/02/2012,M,7,7B,A2")
    again = _source(tmp_path).read()
    assert again.roster.people["A2"].attributes["date_of_birth"] == "2012-02-27"
    assert not [i for i in again.issues if i.severity is Severity.WARNING]


def test_rostersync_columns_suggests_a_field_for_an_unknown_header(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "pupils.csv", "Forename,Surname,DOB,Year Group,Form", ROWS[0])
    no_config = str(tmp_path / "config.toml")
    result = CliRunner().invoke(
        make_cli(), ["--config", no_config, "columns", str(path)], catch_exceptions=False
    )
    assert result.exit_code == 1
    assert (
        "ignored column: 'Forename' (is it First Name? map it: "
        "[sources.NAME.student_columns] \"Forename\" = 'first_name')"
    ) in result.output
    assert "ignored column: 'Form' (is it Registration Group?" in result.output
