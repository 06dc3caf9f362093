"""The seed's example, synced through the command line exactly as an admin types it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import CliRun, write_csv

SEED_GROUPS = {
    "Potions": (["Harry_Potter", "Ron_Weasley"], ["Severus_Snape"]),
    "Dark Arts": (["Harry_Potter"], ["Amycus_Carrow", "Severus_Snape"]),
    "Flying": (["Harry_Potter"], ["Rolanda_Hooch"]),
    "Muggle Studies": (["Ron_Weasley"], ["Charity_Burbage"]),
}


def shown(rostersync: CliRun) -> dict[str, dict[str, object]]:
    result = rostersync("show", "--json")
    assert result.exit_code == 0, result.output
    return {g["name"]: g for g in json.loads(result.output)["groups"]}


def test_the_seed_example_gives_exactly_the_seed_result(rostersync: CliRun) -> None:
    result = rostersync("sync")
    assert result.exit_code == 0, result.output
    assert "created 4 groups, added 5 members, granted 5 access rights" in result.output
    groups = shown(rostersync)
    assert set(groups) == set(SEED_GROUPS)
    for name, (members, access) in SEED_GROUPS.items():
        assert groups[name]["members"] == members
        assert groups[name]["access"] == access
        assert groups[name]["managed"] is True
    sees = {
        teacher: sorted(n for n, g in groups.items() if teacher in g["access"])  # type: ignore[operator]
        for teacher in ("Severus_Snape", "Amycus_Carrow")
    }
    assert sees == {"Severus_Snape": ["Dark Arts", "Potions"], "Amycus_Carrow": ["Dark Arts"]}


def test_a_second_run_changes_nothing(rostersync: CliRun) -> None:
    assert rostersync("sync").exit_code == 0
    again = rostersync("sync", "--json")
    assert again.exit_code == 0
    data = json.loads(again.output)
    assert data["status"] == "ok" and data["applied"] == {} and data["changes"] == []


def test_moving_one_student_changes_exactly_that_membership(
    rostersync: CliRun, workdir: Path
) -> None:
    assert rostersync("sync").exit_code == 0
    write_csv(
        workdir / "impero" / "students.csv",
        "version,1",
        "username,class",
        "Harry_Potter,Potions",
        "Harry_Potter,Dark Arts",
        "Harry_Potter,Flying",
        "Ron_Weasley,Potions",
        "Ron_Weasley,Flying",  # moved from Muggle Studies
        "Hermione_Granger,Muggle Studies",  # keeps the group alive
    )
    result = rostersync("sync", "--json")
    assert result.exit_code == 0, result.output
    changes = json.loads(result.output)["changes"]
    assert sorted((c["kind"], c["group"], c.get("person")) for c in changes) == [
        ("add_member", "Flying", "Ron_Weasley"),
        ("add_member", "Muggle Studies", "Hermione_Granger"),
        ("remove_member", "Muggle Studies", "Ron_Weasley"),
    ]


def test_dry_run_prints_the_plan_and_writes_nothing(rostersync: CliRun, workdir: Path) -> None:
    result = rostersync("sync", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "create 4 groups" in result.output and "nothing changed" in result.output
    assert shown(rostersync) == {}
    runs = rostersync("runs", "--json")
    assert json.loads(runs.output) == []


def test_status_says_ok_and_the_last_import_time(rostersync: CliRun) -> None:
    before = json.loads(rostersync("status", "--json").output)
    assert before["state"] == "never run" and before["last_import_at"] is None
    rostersync("sync")
    after = json.loads(rostersync("status", "--json").output)
    assert after["state"] == "ok" and after["last_import_at"]
    text = rostersync("status").output
    assert "OK" in text and "last import:" in text


def test_a_broken_file_fails_the_run_names_file_and_line_and_keeps_the_target(
    rostersync: CliRun, workdir: Path
) -> None:
    assert rostersync("sync").exit_code == 0
    write_csv(workdir / "impero" / "students.csv", "username,class", "Harry_Potter,Potions")
    result = rostersync("sync")
    assert result.exit_code == 1
    assert "students.csv line 1" in result.output and "version" in result.output
    assert set(shown(rostersync)) == set(SEED_GROUPS)
    status = json.loads(rostersync("status", "--json").output)
    assert status["state"] == "failed" and "students.csv line 1" in status["last_run"]["error"]


def test_runs_show_lists_changes_and_issues(rostersync: CliRun, workdir: Path) -> None:
    with (workdir / "impero" / "teachers.csv").open("a") as f:
        f.write("Gilderoy_Lockhart,Defence\nbad row with,three,fields\n")
    result = rostersync("sync")
    assert result.exit_code == 0, result.output
    shown_run = rostersync("runs", "show", "1")
    assert "create group 'Potions'" in shown_run.output
    assert "teachers.csv line 8" in shown_run.output and "no students" in shown_run.output
    assert "teachers.csv line 9" in shown_run.output and "expected 2 fields" in shown_run.output
    data = json.loads(rostersync("runs", "show", "1", "--json").output)
    located = {(i["file"], i["line"], i["severity"]) for i in data["issues"]}
    assert ("teachers.csv", 8, "warning") in located
    assert ("teachers.csv", 9, "error") in located


def test_a_hand_made_group_is_never_touched(rostersync: CliRun) -> None:
    made = rostersync("directory", "add-group", "Potions", "--member", "Neville_Longbottom")
    assert made.exit_code == 0, made.output
    result = rostersync("sync")
    assert result.exit_code == 0, result.output
    assert "already exists in the target and was not created by rostersync" in result.output
    groups = shown(rostersync)
    assert groups["Potions"]["managed"] is False
    assert groups["Potions"]["members"] == ["Neville_Longbottom"]
    assert groups["Potions"]["access"] == []


def test_the_same_sync_on_postgresql(rostersync: CliRun, workdir: Path, pg_url: str) -> None:
    config = workdir / "config.toml"
    text = config.read_text()
    start = text.index('url = "') + len('url = "')
    config.write_text(text[:start] + pg_url + text[text.index('"', start) :])
    assert rostersync("sync").exit_code == 0
    groups = shown(rostersync)
    assert {n: (g["members"], g["access"]) for n, g in groups.items()} == SEED_GROUPS
    again = json.loads(rostersync("sync", "--json").output)
    assert again["status"] == "ok" and again["changes"] == []
    assert json.loads(rostersync("status", "--json").output)["state"] == "ok"
    assert not (workdir / "state.db").exists()  # everything went to PostgreSQL
