"""The Impero SIS CSV format, row by row, as the seed describes it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from plugins.impero_csv import ImperoCsvOptions, ImperoCsvSource
from sync.errors import SourceError
from sync.model import AccessGrant, Membership, Severity
from sync.testing import PluginKit, SourceContract, SourceFault, make_context
from tests.conftest import EXAMPLES, write_csv

HEAD = ("version,1", "username,class")


def source(folder: Path, **options: object) -> ImperoCsvSource:
    return ImperoCsvSource(
        ImperoCsvOptions(path=str(folder), **{"settle_seconds": 0, **options}),  # type: ignore[arg-type]
        make_context(folder, name="school"),
    )


def files(tmp_path: Path, students: list[str], teachers: list[str]) -> Path:
    write_csv(tmp_path / "students.csv", *HEAD, *students)
    write_csv(tmp_path / "teachers.csv", *HEAD, *teachers)
    return tmp_path


class TestImperoContract(SourceContract):
    not_applicable = {
        "test_a_passing_fault_is_retried_or_raised_as_retriable": "files have no passing faults",
    }

    @pytest.fixture
    def source_kit(self, tmp_path: Path) -> PluginKit:
        shutil.copytree(EXAMPLES / "impero", tmp_path / "impero")
        return PluginKit.for_source(tmp_path, {"plugin": "impero_csv", "path": "impero"})

    @pytest.fixture
    def source_fault(self, tmp_path: Path) -> SourceFault:
        def fault(kind: str) -> None:
            assert kind == "fatal", kind
            (tmp_path / "impero" / "teachers.csv").unlink()

        return fault

    @pytest.fixture
    def bad_record(self, tmp_path: Path) -> Callable[[], None]:
        def spoil() -> None:
            with (tmp_path / "impero" / "students.csv").open("a", encoding="utf-8") as f:
                f.write("Neville_Longbottom;Herbology\n")  # a semicolon: one field, not two

        return spoil


def test_the_seed_example() -> None:
    roster = source(EXAMPLES / "impero").read().roster
    assert set(roster.groups) == {"Potions", "Dark Arts", "Flying", "Muggle Studies"}
    assert Membership("Potions", "Ron_Weasley") in roster.memberships
    assert len(roster.memberships) == 5
    assert {(g.group, g.principal) for g in roster.grants if g.principal == "Severus_Snape"} == {
        ("Potions", "Severus_Snape"),
        ("Dark Arts", "Severus_Snape"),
    }


def test_a_bom_is_accepted(tmp_path: Path) -> None:
    write_csv(tmp_path / "students.csv", *HEAD, "Harry_Potter,Potions", bom=True)
    write_csv(tmp_path / "teachers.csv", *HEAD, bom=True)
    read = source(tmp_path).read()
    assert read.roster.memberships == {Membership("Potions", "Harry_Potter")}
    assert read.issues == ()


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["username,class", "Harry_Potter,Potions"], "line 1: found the header 'username,class'"),
        (["Harry_Potter,Potions", "Ron_Weasley,Potions"], "line 1: expected the version row"),
        (["version,2", "username,class"], "line 1: version '2' is not supported"),
        (["version,1", "user,klass", "Harry_Potter,Potions"], "line 2: expected the header"),
        (["version,1"], "line 2: expected the header 'username,class', found the end"),
        ([], "the file is empty"),
    ],
)
def test_a_broken_preamble_is_refused_whole(
    tmp_path: Path, lines: list[str], expected: str
) -> None:
    (tmp_path / "students.csv").write_text("\n".join(lines) + ("\n" if lines else ""))
    write_csv(tmp_path / "teachers.csv", *HEAD)
    with pytest.raises(SourceError) as error:
        source(tmp_path).read()
    assert f"students.csv{' ' if 'line' in expected else ': '}{expected}" in str(error.value)


def test_bad_encoding_names_the_file_and_line(tmp_path: Path) -> None:
    write_csv(
        tmp_path / "students.csv",
        *HEAD,
        "Harry_Potter,Potions",
        "Zoë_Smith,Potions",
        encoding="cp1252",
    )
    write_csv(tmp_path / "teachers.csv", *HEAD)
    with pytest.raises(SourceError, match=r"students.csv line 4: not valid UTF-8 \(byte 0xeb\)"):
        source(tmp_path).read()


def test_bad_rows_are_reported_and_good_rows_kept(tmp_path: Path) -> None:
    folder = files(
        tmp_path,
        [
            "Harry_Potter,Potions",
            "Ron_Weasley",
            "a,b,c",
            ",Potions",
            "Neville,",
            "",
            "Harry_Potter,Potions",
            "Luna_Lovegood,Potions,,",
        ],
        ["Severus_Snape,Potions", "Gilderoy_Lockhart,Defence"],
    )
    read = source(folder).read()
    assert read.roster.memberships == {
        Membership("Potions", "Harry_Potter"),
        Membership("Potions", "Luna_Lovegood"),
    }
    found = {(i.file, i.line, i.severity, i.field) for i in read.issues}
    assert ("students.csv", 4, Severity.ERROR, "") in found  # one field
    assert ("students.csv", 5, Severity.ERROR, "") in found  # three fields
    assert ("students.csv", 6, Severity.ERROR, "username") in found
    assert ("students.csv", 7, Severity.ERROR, "class") in found
    assert ("students.csv", 9, Severity.WARNING, "") in found  # duplicate of line 3
    assert ("teachers.csv", 4, Severity.WARNING, "class") in found  # Defence has no students
    assert read.rejected == 4 and read.records == 9
    assert {g.group for g in read.roster.grants} == {"Potions"}


def test_email_identity_keeps_the_part_before_the_at(tmp_path: Path) -> None:
    folder = files(tmp_path, ["harry@hogwarts.sch.uk,Potions"], ["snape@hogwarts.sch.uk,Potions"])
    roster = source(folder, identity="email_local_part").read().roster
    assert roster.memberships == {Membership("Potions", "harry")}
    assert {g.principal for g in roster.grants} == {"snape"}


def test_options_are_carried_on_grants_and_global_access_sees_everything(tmp_path: Path) -> None:
    folder = files(
        tmp_path, ["Harry_Potter,Potions", "Harry_Potter,Flying"], ["Severus_Snape,Potions"]
    )
    roster = (
        source(
            folder,
            basic_console_only=True,
            restrict_customisation=True,
            global_access=["Dumbledore"],
        )
        .read()
        .roster
    )
    assert (
        AccessGrant(
            "Potions", "Severus_Snape", frozenset({"basic_console_only", "restrict_customisation"})
        )
        in roster.grants
    )
    assert {g.group for g in roster.grants if g.principal == "Dumbledore"} == {"Potions", "Flying"}


def test_semicolon_rows_are_rejected_not_misread(tmp_path: Path) -> None:
    folder = files(tmp_path, ["Harry_Potter;Potions"], [])
    read = source(folder).read()
    assert read.roster.memberships == frozenset()
    assert read.rejected == 1 and "expected 2 fields" in read.issues[0].message
