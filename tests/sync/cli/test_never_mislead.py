"""The command line never misleads: a plan that could not be made, rejected rows, config
mistakes, pauses and plural forms, each as an admin types it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import CliRun, write_csv

ROWS_WITH_TWO_BAD = (
    "version,1",
    "username,class",
    "Harry_Potter,Potions",
    "Harry_Potter,Dark Arts",
    "Harry_Potter,Flying",
    ",Flying",  # no username
    "Ron_Weasley,Potions",
    "Ron_Weasley,",  # no class
    "Ron_Weasley,Muggle Studies",
)


def edit(config: Path, old: str, new: str) -> None:
    text = config.read_text()
    assert old in text
    config.write_text(text.replace(old, new, 1))


def allow_rejects(workdir: Path, extra: str = "") -> None:
    config = workdir / "config.toml"
    edit(config, "retry_wait_seconds = 0", f"retry_wait_seconds = 0\n{extra}")
    config.write_text(config.read_text() + "\n[sync.guards]\nmax_rejected_percent = 90\n")
    write_csv(workdir / "impero" / "students.csv", *ROWS_WITH_TWO_BAD, bom=True)


@pytest.mark.parametrize("command", [("plan",), ("sync", "--dry-run")])
@pytest.mark.parametrize("broken", ["missing", "a file"])
def test_a_plan_that_cannot_be_made_says_so_first(
    rostersync: CliRun, workdir: Path, command: tuple[str, ...], broken: str
) -> None:
    if broken == "missing":
        edit(workdir / "config.toml", 'path = "impero"', 'path = "nowhere"')
    else:
        (workdir / "a-file").write_text("not a folder")
        edit(workdir / "config.toml", 'path = "impero"', 'path = "a-file"')
    result = rostersync(*command)
    assert result.exit_code == 1
    assert result.stderr.startswith("rostersync: the plan for sync 'default' could not be made: ")
    assert "source 'school' failed" in result.stderr
    assert "nothing to do" not in result.stdout and "no changes" not in result.stdout


def test_a_plan_a_run_would_hold_exits_4_as_sync_does(rostersync: CliRun, workdir: Path) -> None:
    assert rostersync("sync").exit_code == 0
    for name in ("students.csv", "teachers.csv"):
        write_csv(workdir / "impero" / name, "version,1", "username,class")
    plan = rostersync("plan")
    assert plan.exit_code == 4, plan.output
    assert "a real run would be HELD" in plan.stdout
    assert rostersync("sync", "--dry-run").exit_code == 4
    assert rostersync("sync").exit_code == 4


def test_status_counts_rejected_rows_and_names_the_run(rostersync: CliRun, workdir: Path) -> None:
    allow_rejects(workdir)
    result = rostersync("sync")
    assert result.exit_code == 0, result.output
    assert "2 errors, 0 warnings:" in result.stdout
    status = rostersync("status")
    assert status.stdout.splitlines()[0] == (
        "sync default: OK, 2 rows rejected (rostersync runs show 1)"
    )
    assert json.loads(rostersync("status", "--json").stdout)["rejected_rows"] == 2


def test_strict_and_fail_on_rejected_exit_7(rostersync: CliRun, workdir: Path) -> None:
    allow_rejects(workdir)
    assert rostersync("sync", "--strict").exit_code == 7
    assert rostersync("sync").exit_code == 0
    edit(workdir / "config.toml", "retry_wait_seconds = 0", "fail_on_rejected = true")
    assert rostersync("sync").exit_code == 7
    write_csv(
        workdir / "impero" / "students.csv", "version,1", "username,class", "Ron_Weasley,Potions"
    )
    assert rostersync("sync", "--strict").exit_code == 0  # nothing rejected now


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ('timezone = "Europe/Londn"\ncron = "0 7 * * *"', "[sync.schedule] timezone: unknown"),
        ('cron = "mon-fry"', "[sync.schedule] cron: "),
        ('cron = "0 7 * * *"\ninterval_minutes = 30', "set either cron or interval_minutes"),
    ],
)
@pytest.mark.parametrize(
    "command", [("status",), ("plan",), ("sync",), ("pause", "--until", "2099-09-01")]
)
def test_schedule_mistakes_are_found_by_every_command(
    rostersync: CliRun, workdir: Path, schedule: str, message: str, command: tuple[str, ...]
) -> None:
    config = workdir / "config.toml"
    config.write_text(config.read_text() + f"\n[sync.schedule]\n{schedule}\n")
    result = rostersync(*command)  # catch_exceptions=False: a traceback fails the test
    assert result.exit_code == 2
    assert result.stderr.startswith(f"rostersync: {config.resolve()}: ")
    assert message in result.stderr


@pytest.mark.parametrize("value", ['"yes"', "1"])
def test_booleans_are_strict(rostersync: CliRun, workdir: Path, value: str) -> None:
    edit(
        workdir / "config.toml", 'path = "impero"', f'path = "impero"\nbasic_console_only = {value}'
    )
    result = rostersync("plan")
    assert result.exit_code == 2
    assert "[sources.school] basic_console_only: write true or false" in result.stderr


def test_config_errors_name_keys_in_one_style(rostersync: CliRun, workdir: Path) -> None:
    edit(workdir / "config.toml", "retry_wait_seconds = 0", 'batch_size = "many"\nbatchsize = 4')
    result = rostersync("status")
    assert result.exit_code == 2
    assert (
        "[sync] batch_size: " in result.stderr and "[sync] batchsize: unknown key" in result.stderr
    )
    assert "sync.batch" not in result.stderr


def test_an_unknown_plugin_names_file_table_and_the_closest_name(
    rostersync: CliRun, workdir: Path
) -> None:
    edit(workdir / "config.toml", 'plugin = "impero_csv"', 'plugin = "impero-csv"')
    result = rostersync("status")
    assert result.exit_code == 2
    assert result.stderr == (
        f"rostersync: {(workdir / 'config.toml').resolve()}: [sources.school] plugin: "
        "unknown source plugin 'impero-csv'; did you mean 'impero_csv'? "
        "available: clever, impero_csv, manual, oneroster, roster_csv, sds\n"
    )


def test_status_shows_the_pause_reason_and_a_second_pause_says_what_it_replaced(
    rostersync: CliRun,
) -> None:
    first = rostersync("pause", "--reason", "summer rollover")
    assert first.exit_code == 0 and "replaces" not in first.output
    assert "pause reason: summer rollover" in rostersync("status").stdout
    second = rostersync("pause", "--until", "2099-09-01", "--reason", "new year")
    assert second.exit_code == 0
    assert (
        "this replaces the earlier pause until resumed (reason: summer rollover)" in second.stdout
    )
    status = rostersync("status").stdout
    assert "PAUSED until 2099-09-01" in status and "pause reason: new year" in status


def test_one_warning_is_singular(rostersync: CliRun, workdir: Path) -> None:
    write_csv(
        workdir / "impero" / "teachers.csv",
        "version,1",
        "username,class",
        "Severus_Snape,Potions",
        "Charity_Burbage,Astronomy",  # a class no student is in: one warning
    )
    result = rostersync("sync")
    assert result.exit_code == 0, result.output
    assert "0 errors, 1 warning:" in result.stdout
    assert "issues: 0 errors, 1 warning" in rostersync("runs", "show", "1").stdout
