"""``rostersync show``: people by name beside their ids, one group or one person, and a
count summary for a big target."""

from __future__ import annotations

import json
from pathlib import Path

from sync.cli.show import SUMMARY_OVER
from tests.conftest import CliRun
from tests.plugins.school import STUDENTS, run_json, school

HARRY = "A123456789012"


def synced_school(rostersync: CliRun, tmp_path: Path) -> Path:
    config = school(tmp_path)
    assert run_json(rostersync, config, "sync")["status"] == "ok"
    return config


def test_show_puts_names_beside_ids(rostersync: CliRun, tmp_path: Path) -> None:
    config = synced_school(rostersync, tmp_path)
    result = rostersync("show", config=config)
    assert result.exit_code == 0, result.output
    assert f"Harry Potter ({HARRY})" in result.stdout
    assert "Severus Snape (snape)" in result.stdout
    data = json.loads(rostersync("show", "--json", config=config).stdout)
    assert data["names"][HARRY] == "Harry Potter" and data["names"]["snape"] == "Severus Snape"
    assert HARRY in next(g for g in data["groups"] if g["key"] == "reg:7A")["members"]


def test_show_without_names_prints_ids_only(rostersync: CliRun, tmp_path: Path) -> None:
    config = synced_school(rostersync, tmp_path)
    result = rostersync("show", "--no-names", config=config)
    assert HARRY in result.stdout and "Harry Potter" not in result.stdout


def test_show_one_group_by_name_or_key(rostersync: CliRun, tmp_path: Path) -> None:
    config = synced_school(rostersync, tmp_path)
    by_name = rostersync("show", "7a", config=config)
    assert by_name.exit_code == 0, by_name.output
    assert by_name.stdout.splitlines()[0] == "7A  (managed)"
    assert "7B" not in by_name.stdout and "Hermione" not in by_name.stdout
    assert rostersync("show", "reg:7A", config=config).stdout == by_name.stdout
    missing = rostersync("show", "7C", config=config)
    assert missing.exit_code == 1
    assert "the target has no group '7C'; did you mean" in missing.stderr


def test_show_one_person(rostersync: CliRun, tmp_path: Path) -> None:
    config = synced_school(rostersync, tmp_path)
    harry = rostersync("show", "--person", HARRY, config=config)
    assert harry.exit_code == 0, harry.output
    assert harry.stdout.splitlines() == [
        f"Harry Potter ({HARRY})",
        "  member of: 7A",
        "  access to: -",
    ]
    snape = json.loads(rostersync("show", "--person", "snape", "--json", config=config).stdout)
    assert snape["name"] == "Severus Snape" and snape["access_to"] == ["7A", "7B"]
    nobody = rostersync("show", "--person", "snap", config=config)
    assert nobody.exit_code == 1 and "did you mean snape?" in nobody.stderr


def test_a_big_target_is_summarised_and_says_how_to_list_it(
    rostersync: CliRun, tmp_path: Path
) -> None:
    forms = [f"Pupil{i},Test,01/09/2011,F,7,F{i:03d}," for i in range(105)]
    config = school(tmp_path, students=(*STUDENTS, *forms))
    assert run_json(rostersync, config, "sync")["status"] == "ok"
    result = rostersync("show", config=config)
    assert result.exit_code == 0
    assert len(forms) > SUMMARY_OVER
    assert result.stdout.splitlines()[0] == (
        "the target has 108 groups (108 managed by syncs), 109 memberships and 3 access rights"
    )
    assert "'rostersync show --all'" in result.stdout and "Pupil" not in result.stdout
    everything = rostersync("show", "--all", config=config)
    assert "Pupil7 Test (" in everything.stdout
