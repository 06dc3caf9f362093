"""The Backdrop roster CSV source: formats, column matching, rejected rows, through the CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from plugins import people as rules
from plugins.roster_csv import RosterCsvOptions, RosterCsvSource
from sync.errors import SourceError
from sync.model import AccessGrant, Membership, Role
from sync.testing import PluginKit, SourceContract, SourceFault, make_context
from tests.conftest import CliRun, write_csv
from tests.plugins.school import STAFF, STUDENTS, groups_of, run_json, school


def source(folder: Path, **options: object) -> RosterCsvSource:
    opts = {"students_file": "students.csv", "staff_file": "staff.csv", **options}
    return RosterCsvSource(
        RosterCsvOptions.model_validate(opts), make_context(folder, name="school")
    )


class TestRosterCsvContract(SourceContract):
    not_applicable = {
        "test_a_passing_fault_is_retried_or_raised_as_retriable": "files have no passing faults",
    }

    @pytest.fixture
    def source_kit(self, tmp_path: Path) -> PluginKit:
        school(tmp_path)
        table = {
            "plugin": "roster_csv",
            "students_file": "students.csv",
            "staff_file": "staff.csv",
            "identity": "email_local_part",
        }
        return PluginKit.for_source(tmp_path, table)

    @pytest.fixture
    def source_fault(self, tmp_path: Path) -> SourceFault:
        def fault(kind: str) -> None:
            assert kind == "fatal", kind
            (tmp_path / "staff.csv").unlink()

        return fault

    @pytest.fixture
    def bad_record(self, tmp_path: Path) -> Callable[[], None]:
        def spoil() -> None:
            write_csv(tmp_path / "students.csv", *STUDENTS, "Luna,Lovegood,31/02/2011,F,7,7A,")

        return spoil


# A file as schools really send it: Excel's BOM, headers in another order and case with
# stray spaces, blank UPNs, bad genders, an impossible date and a duplicate row.
MESSY = (
    " upn ,SURNAME,first NAME,gender,DATE of birth,Year  Group,registration group",
    "A123456789012,Potter,Harry,M,31/07/2011,7,7A",
    ",Weasley,Ron,male,01/03/2011,7,7A",
    ",Granger,Hermione,Girl,19/09/2011,7,7B",
    ",Lovegood,Luna,F,31/02/2012,6,6L",
    ",Weasley,Ron,male,01/03/2011,7,7A",
    ",Longbottom,Neville,m,30/07/2011,7,7B",
    ",Thomas,Dean,boy,05/01/2011,7,7B",
    ",Finnigan,Seamus,,12/12/2010,7,7B",
)


def messy(tmp_path: Path, **extra: object) -> Path:
    config = school(tmp_path, **extra)  # type: ignore[arg-type]
    write_csv(tmp_path / "students.csv", *MESSY, bom=True)
    return config


def test_a_messy_real_world_file_imports_its_good_rows(rostersync: CliRun, tmp_path: Path) -> None:
    config = messy(tmp_path)
    data = run_json(rostersync, config, "sync")
    assert data["status"] == "ok", data
    rejected = sorted(
        (i["line"], i["field"], i["value"])
        for i in data["issues"]
        if i["severity"] == "error" and i["file"] == "students.csv"
    )
    assert rejected == [
        (4, "gender", "Girl"),
        (5, "DATE of birth", "31/02/2012"),
        (8, "gender", "boy"),
    ]
    duplicate = [i for i in data["issues"] if "duplicate of line 3" in i["message"]]
    assert [(i["line"], i["severity"]) for i in duplicate] == [(6, "warning")]
    groups = groups_of(rostersync, config)
    assert groups["reg:7A"]["members"] == sorted(
        ["A123456789012", rules.student_id("Ron", "Weasley", rules.date_of_birth("01/03/2011"))]
    )
    assert len(groups["reg:7B"]["members"]) == 2  # Neville and Seamus
    assert "reg:6L" not in groups  # Luna's only row was rejected
    shown = rostersync("runs", "show", str(data["run_id"]), config=config)
    assert "students.csv line 5 field 'DATE of birth': row rejected: no such date" in shown.output
    assert "(value '31/02/2012')" in shown.output


def test_a_rerun_of_the_same_file_changes_nothing(rostersync: CliRun, tmp_path: Path) -> None:
    config = messy(tmp_path)
    assert run_json(rostersync, config, "sync")["status"] == "ok"
    again = run_json(rostersync, config, "sync")
    assert again["status"] == "ok" and again["changes"] == [] and again["applied"] == {}


def test_too_many_bad_rows_fail_the_run_and_change_nothing(
    rostersync: CliRun, tmp_path: Path
) -> None:
    config = messy(tmp_path, max_rejected=10)
    data = run_json(rostersync, config, "sync")
    assert data["status"] == "failed" and data["exit_code"] == 1
    assert "max_rejected_percent" in data["error"]
    assert groups_of(rostersync, config) == {}
    shown = rostersync("runs", "show", str(data["run_id"]), config=config)
    assert "line 4 field 'gender'" in shown.output


def test_a_windows_1252_file_is_read_with_a_warning(rostersync: CliRun, tmp_path: Path) -> None:
    config = school(tmp_path)
    write_csv(
        tmp_path / "students.csv",
        STUDENTS[0],
        "Zoë,Ní Bhriain,02/02/2011,F,7,7A,B123456789012",
        "Siobhán,O'Connor,03/03/2011,F,7,7A,C123456789012",
        encoding="cp1252",
    )
    data = run_json(rostersync, config, "sync")
    assert data["status"] == "ok"
    assert any("read as Windows-1252" in i["message"] for i in data["issues"])
    roster = source(tmp_path, identity="email_local_part").read().roster
    assert roster.people["B123456789012"].given_name == "Zoë"
    assert roster.people["C123456789012"].given_name == "Siobhán"


def test_a_windows_1252_file_can_be_refused(tmp_path: Path) -> None:
    school(tmp_path)
    write_csv(
        tmp_path / "students.csv", STUDENTS[0], "Zoë,Ní,02/02/2011,F,7,7A,", encoding="cp1252"
    )
    with pytest.raises(SourceError, match=r'students.csv line 2: not valid UTF-8.*"CSV UTF-8'):
        source(tmp_path, allow_windows_1252=False, identity="email_local_part").read()


def test_semicolons_are_detected(tmp_path: Path) -> None:
    school(tmp_path, students=tuple(line.replace(",", ";") for line in STUDENTS))
    roster = source(tmp_path, identity="email_local_part").read().roster
    assert "A123456789012" in roster.people and "reg:6W" in roster.groups


def test_generated_ids_are_stable_and_ignore_case_and_spaces(tmp_path: Path) -> None:
    school(tmp_path)
    first = source(tmp_path, identity="email_local_part").read().roster
    write_csv(
        tmp_path / "students.csv",
        STUDENTS[0],
        "  RON ,weasley,1/3/2011,M,7,7A,",
    )
    second = source(tmp_path, identity="email_local_part").read().roster
    ron = next(p for p in first.people.values() if p.given_name == "Ron")
    assert ron.id.startswith(rules.GENERATED_PREFIX)
    assert ron.id in second.people


def test_a_generated_id_collision_is_reported_never_merged(tmp_path: Path) -> None:
    school(
        tmp_path,
        students=(STUDENTS[0], "Sam,Smith,01/01/2011,M,7,7A,", "Sam,Smith,01/01/2011,F,7,7B,"),
    )
    read = source(tmp_path, identity="email_local_part").read()
    assert read.rejected == 1
    [issue] = [i for i in read.issues if i.line == 3 and i.file == "students.csv"]
    assert "same name and date of birth as line 2" in issue.message
    assert "not merged" in issue.message
    [sam] = [p for p in read.roster.people.values() if p.given_name == "Sam"]
    assert read.roster.memberships >= {Membership("reg:7A", sam.id)}
    assert Membership("reg:7B", sam.id) not in read.roster.memberships


def test_the_same_upn_with_different_details_is_rejected(tmp_path: Path) -> None:
    school(
        tmp_path,
        students=(STUDENTS[0], STUDENTS[1], "Harold,Potter,31/07/2011,M,7,7B,A123456789012"),
    )
    read = source(tmp_path, identity="email_local_part").read()
    assert read.rejected == 1
    assert "UPN A123456789012 is also on line 2" in read.issues[0].message


@pytest.mark.parametrize(
    ("value", "expected"),
    [("M", "M"), ("f", "F"), ("MALE", "M"), (" Female ", "F"), ("", "")],
)
def test_genders_allowed(value: str, expected: str) -> None:
    assert rules.gender(value) == expected


@pytest.mark.parametrize("value", ["X", "Boy", "u", "Non-binary", "0"])
def test_other_genders_are_rejected(value: str) -> None:
    with pytest.raises(rules.InvalidValue, match="Male, Female, M, F or blank"):
        rules.gender(value)


@pytest.mark.parametrize(
    ("value", "order", "iso"),
    [
        ("03/04/2011", "day_first", "2011-04-03"),
        ("3.4.2011", "day_first", "2011-04-03"),
        ("03/04/2011", "month_first", "2011-03-04"),
        ("2011-04-03", "day_first", "2011-04-03"),
        ("29/02/2012", "day_first", "2012-02-29"),
    ],
)
def test_dates(value: str, order: rules.DateOrder, iso: str) -> None:
    assert rules.date_of_birth(value, order).isoformat() == iso


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("31/02/2012", "no such date"),
        ("29/02/2011", "no such date"),
        ("13/13/2011", "no such date"),
        ("03/04/11", "four digits"),
        ("yesterday", "not a date"),
        ("01/01/2999", "in the future"),
        ("", "empty"),
    ],
)
def test_impossible_dates_are_rejected(value: str, reason: str) -> None:
    with pytest.raises(rules.InvalidValue, match=reason):
        rules.date_of_birth(value)


def test_month_first_is_configurable_through_the_cli(rostersync: CliRun, tmp_path: Path) -> None:
    config = school(
        tmp_path,
        students=(STUDENTS[0], "Harry,Potter,07/31/2011,M,7,7A,A123456789012"),
        extra='date_order = "month_first"',
    )
    data = run_json(rostersync, config, "sync")
    assert data["status"] == "ok"
    assert not [i for i in data["issues"] if i["severity"] == "error"]


def test_headers_are_mapped_in_config(rostersync: CliRun, tmp_path: Path) -> None:
    config = school(
        tmp_path,
        students=(
            "Forename,Last name,DOB,Sex,NC Year,Form,UPN",
            "Harry,Potter,31/07/2011,M,7,7A,A123456789012",
        ),
        extra='[sources.school.student_columns]\nForename = "first_name"\n"Last name" = '
        '"surname"\nDOB = "date_of_birth"\nSex = "gender"\n"NC Year" = "year_group"\n'
        'Form = "registration_group"',
    )
    assert run_json(rostersync, config, "sync")["status"] == "ok"
    assert groups_of(rostersync, config)["reg:7A"]["members"] == ["A123456789012"]
    shown = rostersync("columns", str(tmp_path / "students.csv"), config=config)
    assert "First Name           <- column 1 'Forename'" in shown.output
    assert "with the mapping of [sources.school]" in shown.output


def test_an_unmatched_column_fails_the_run_with_advice(rostersync: CliRun, tmp_path: Path) -> None:
    config = school(
        tmp_path, students=("Forename,Surname,Date Of Birth,Year Group,Registration Group",)
    )
    data = run_json(rostersync, config, "sync")
    assert data["status"] == "failed"
    assert "students.csv line 1: no column for 'First Name'" in data["error"]
    assert "[sources.school.student_columns]" in data["error"]
    shown = rostersync("columns", str(tmp_path / "students.csv"))
    assert shown.exit_code == 1
    assert "missing: First Name" in shown.output and "ignored column: 'Forename'" in shown.output


def test_year_groups_can_make_groups(tmp_path: Path) -> None:
    school(tmp_path)
    roster = (
        source(tmp_path, identity="email_local_part", groups=["registration_group", "year_group"])
        .read()
        .roster
    )
    assert roster.groups["year:7"].name == "Year 7"
    assert len(roster.members_of("year:7")) == 3 and len(roster.members_of("reg:7A")) == 2


def test_staff_get_the_registration_groups_their_row_lists(tmp_path: Path) -> None:
    school(tmp_path)
    read = source(tmp_path, identity="email_local_part").read()
    roster = read.roster
    assert {(g.group, g.principal) for g in roster.grants} == {
        ("reg:7A", "snape"),
        ("reg:7B", "snape"),
        ("reg:7B", "minerva"),
    }
    assert roster.people["snape"].role is Role.TEACHER
    assert roster.people["albus"].role is Role.STAFF
    assert roster.profiles["albus"].user_group == "DSLs"


def test_teaching_job_roles_limit_who_gets_registration_groups(tmp_path: Path) -> None:
    school(tmp_path)
    read = source(tmp_path, identity="email_local_part", teaching_job_roles=["Teacher"]).read()
    assert {g.principal for g in read.roster.grants} == {"snape"}
    assert any("'Deputy Head' is not one of teaching_job_roles" in i.message for i in read.issues)


def test_staff_identity_choices(tmp_path: Path) -> None:
    school(tmp_path)
    assert "snape@hogwarts.sch.uk" in source(tmp_path).read().roster.people  # auto: Email
    school(tmp_path, staff=(STAFF[0].replace("Email", "Username"), *STAFF[1:]))
    assert "snape@hogwarts.sch.uk" in source(tmp_path, identity="username").read().roster.people


def test_a_bad_staff_row_is_rejected_and_the_rest_imported(tmp_path: Path) -> None:
    school(tmp_path, staff=(*STAFF, "Peeves,,Poltergeist,TAs,peeves@hogwarts.sch.uk,"))
    read = source(tmp_path, identity="email_local_part").read()
    assert read.rejected == 1 and "peeves" not in read.roster.people
    assert "snape" in read.roster.people
    issue = next(i for i in read.issues if i.line == 6)
    assert (issue.file, issue.field) == ("staff.csv", "Surname")


def test_the_template_is_importable(rostersync: CliRun, tmp_path: Path) -> None:
    out = tmp_path / "t.csv"
    result = rostersync("template", "students", "--output", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    (tmp_path / "staff.csv").write_text("x")
    read = RosterCsvSource(
        RosterCsvOptions(students_file="t.csv", settle_seconds=0),
        make_context(tmp_path, name="school"),
    ).read()
    assert read.records == 0 and read.issues == ()
    staff = rostersync("template", "staff")
    assert staff.output.strip() == (
        "First Name,Surname,Job Role,User Group,Username,Email,Registration Group"
    )


def test_columns_shows_a_staff_file(rostersync: CliRun, tmp_path: Path) -> None:
    school(tmp_path)
    result = rostersync("columns", str(tmp_path / "staff.csv"))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("staff file staff.csv")
    assert "Username             <- (no column)" in result.output


def test_a_manual_entry_corrects_a_rejected_row(rostersync: CliRun, tmp_path: Path) -> None:
    config = messy(tmp_path)
    first = run_json(rostersync, config, "sync")
    hermione = rules.student_id("Hermione", "Granger", rules.date_of_birth("19/09/2011"))
    assert hermione not in groups_of(rostersync, config).get("reg:7B", {}).get("members", [])
    added = rostersync(
        "manual", "add-student", "Hermione", "Granger", "--dob", "19/09/2011",
        "--gender", "F", "--registration-group", "7B", config=config,
    )  # fmt: skip
    assert added.exit_code == 0 and hermione in added.output
    data = run_json(rostersync, config, "sync")
    assert data["status"] == "ok", data
    assert hermione in groups_of(rostersync, config)["reg:7B"]["members"]
    said = [i["message"] for i in data["issues"] if i["value"] == hermione]
    assert said == [
        f"'school' rejected the record of {hermione!r}; the entry from 'manual' is used instead"
    ]
    assert first["run_id"] != data["run_id"]


def test_groups_are_only_those_students_make(tmp_path: Path) -> None:
    school(tmp_path)
    roster = source(tmp_path, identity="email_local_part").read().roster
    assert AccessGrant("reg:6W", "snape") not in roster.grants
    assert json.dumps(sorted(roster.groups)) == '["reg:6W", "reg:7A", "reg:7B"]'


def test_a_column_mapping_names_a_field_of_its_file() -> None:
    with pytest.raises(ValueError, match="unknown field 'job_role'"):
        RosterCsvOptions(students_file="s.csv", student_columns={"Role": "job_role"})
    with pytest.raises(ValueError, match="give students_file, staff_file or both"):
        RosterCsvOptions()
