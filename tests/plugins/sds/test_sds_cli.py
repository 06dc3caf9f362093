"""The sds source end to end through the command line, on the fixture folders."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from plugins.sds import SdsOptions, SdsSource
from sync.testing import PluginKit, SourceContract, SourceFault, make_context
from tests.conftest import CliRun
from tests.plugins.oneroster.cli import configure as _configure
from tests.plugins.oneroster.cli import run_json, shown_groups

FOLDERS = Path(__file__).parent / "folders"


ANN, BEN, FIN = (
    "ann.lee@riverside.example",
    "ben.ode@riverside.example",
    "fin.gale@riverside.example",
)
GRANT, HOLT = "j.grant@riverside.example", "h.holt@riverside.example"


def configure(folder: Path, path: Path | str, extra: str = "") -> Path:
    return _configure(folder, "sds", path, extra)


def groups(rostersync: CliRun, config: Path) -> dict[str, Any]:
    data = {"groups": shown_groups(rostersync, config)}
    return {g["key"]: (g["name"], g["members"], g["access"]) for g in data["groups"]}


@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        (
            "v1-us",
            {
                "sec1": ("Biology 1", [ANN, BEN], [GRANT]),
                "sec2": ("Biology 2", [BEN], [HOLT, GRANT]),
                "sec3": ("Art", [FIN], []),
            },
        ),
        (
            "v1-uk",
            {
                "7A-En": ("7A English", ["alee@riverside.example"], ["jgrant@riverside.example"]),
                "7A-Ma": (
                    "7A Maths",
                    ["alee@riverside.example", "bode@riverside.example"],
                    ["jgrant@riverside.example"],
                ),
            },
        ),
        (
            "v2.1",
            {
                "c1": ("Biology 1", [ANN, BEN], [GRANT]),
                "c2": ("Biology 2", [ANN, BEN], [HOLT]),  # a lecturer teaches it
            },
        ),
    ],
)
def test_each_format_makes_exactly_the_groups_it_says_and_a_rerun_changes_nothing(
    rostersync: CliRun, tmp_path: Path, folder: str, expected: dict[str, Any]
) -> None:
    config = configure(tmp_path, FOLDERS / folder)
    data = run_json(rostersync, config, "sync")
    assert data["status"] == "ok", data
    assert groups(rostersync, config) == expected
    assert run_json(rostersync, config, "sync")["changes"] == []
    database = (tmp_path / "state.db").read_bytes()
    dump = "\n".join(sqlite3.connect(tmp_path / "state.db").iterdump())
    for secret in ("CANARY", "Secr3t"):
        assert secret.encode() not in database and secret not in dump
        assert secret not in json.dumps(data)


def test_v1_issues_name_file_line_and_value(rostersync: CliRun, tmp_path: Path) -> None:
    data = run_json(rostersync, configure(tmp_path, FOLDERS / "v1-us"), "sync")
    found = {(i["file"], i["line"], i["value"]) for i in data["issues"]}
    assert found == {("StudentEnrollment.csv", 7, "sec9"), ("Student.csv", 5, "student:4")}


def test_moving_one_student_changes_exactly_that(rostersync: CliRun, tmp_path: Path) -> None:
    folder = tmp_path / "sds"
    shutil.copytree(FOLDERS / "v2.1", folder)
    classes = folder / "classes.csv"
    classes.write_text(classes.read_text() + "c3,s1,Chemistry,y26,CHEM-1,\n")
    config = configure(tmp_path, folder)
    assert run_json(rostersync, config, "sync")["status"] == "ok"
    enrollments = folder / "enrollments.csv"
    enrollments.write_text(enrollments.read_text().replace("c1,u2,student", "c3,u2,student"))
    data = run_json(rostersync, config, "sync")
    kinds = sorted((c["kind"], c["group"], c["person"]) for c in data["changes"])
    assert kinds == [("add_member", "c3", BEN), ("remove_member", "c1", BEN)]


def test_a_folder_that_is_neither_format_says_which_files_it_expected(
    rostersync: CliRun, tmp_path: Path
) -> None:
    folder = tmp_path / "mystery"
    folder.mkdir()
    (folder / "pupils.csv").write_text("name\nAnn\n")
    data = run_json(rostersync, configure(tmp_path, folder), "sync")
    assert data["status"] == "failed"
    assert "Section.csv" in data["error"] and "users.csv" in data["error"]
    assert "pupils.csv" in data["error"]


@pytest.mark.parametrize(("today", "kept"), [((2026, 12, 1), 3), ((2026, 2, 1), 0)])
def test_sds_dates_are_month_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, today: tuple[int, int, int], kept: int
) -> None:
    """The v1 terms run 08/01/2026-12/20/2026, read month-first: 1 August to 20 December.
    Read day-first they would start on 8 January, and 1 February would be a term day."""
    from plugins.oneroster import mapping

    class Today(mapping.date):
        @classmethod
        def today(cls) -> Today:
            return cls(*today)

    monkeypatch.setattr(mapping, "date", Today)
    options = SdsOptions(path=str(FOLDERS / "v1-us"), sessions="current")
    read = SdsSource(options, make_context(tmp_path)).read()
    assert len(read.roster.groups) == kept


@pytest.mark.parametrize("folder", ["v1-us", "v1-uk", "v2.1"])
class TestSdsContract(SourceContract):
    not_applicable = {
        "test_a_passing_fault_is_retried_or_raised_as_retriable": "files have no passing faults",
    }

    @pytest.fixture
    def source_kit(self, tmp_path: Path, folder: str) -> PluginKit:
        shutil.copytree(FOLDERS / folder, tmp_path / "sds")
        return PluginKit.for_source(tmp_path, {"plugin": "sds", "path": "sds"})

    @pytest.fixture
    def source_fault(self, tmp_path: Path) -> SourceFault:
        def fault(kind: str) -> None:
            assert kind == "fatal", kind
            for path in (tmp_path / "sds").iterdir():
                path.write_bytes(path.read_bytes().rstrip(b"\r\n"))  # every file cut short

        return fault

    @pytest.fixture
    def bad_record(self, tmp_path: Path) -> Callable[[], None]:
        def spoil() -> None:
            folder = tmp_path / "sds"
            name = next(p.name for p in folder.iterdir() if p.name.casefold() in ENROLMENT_FILES)
            with (folder / name).open("a", encoding="utf-8") as f:
                f.write(ENROLMENT_FILES[name.casefold()])

        return spoil


#: A row naming a section nobody has, for each format's enrolment file.
ENROLMENT_FILES = {
    "studentenrollment.csv": "no-such-section,1\n",
    "enrollments.csv": "no-such-class,u1,student\n",
}
