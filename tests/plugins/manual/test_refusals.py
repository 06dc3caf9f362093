"""``rostersync manual`` refuses what would silently do the wrong thing: an unknown child
(a typo would leave the real child visible), an unused group, an unknown user group."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import CliRun
from tests.plugins.school import run_json, school

HARRY = "A123456789012"  # Harry's UPN in the school's students.csv


def test_blocking_a_mistyped_student_is_refused_with_the_closest_ids(
    rostersync: CliRun, tmp_path: Path
) -> None:
    config = school(tmp_path)
    typo = HARRY[:-1] + "3"
    result = rostersync("manual", "block", "snape", typo, "--reason", "parent", config=config)
    assert result.exit_code == 2, result.output
    assert f"unknown student '{typo}'" in result.stderr
    assert result.stderr.endswith(f"did you mean {HARRY}?\n")
    listed = rostersync("manual", "list", "--json", config=config)
    assert '"blocks": []' in listed.output
    ok = rostersync("manual", "block", "snape", HARRY, "--reason", "parent", config=config)
    assert ok.exit_code == 0, ok.output
    assert run_json(rostersync, config, "sync")["status"] == "ok"
    check = rostersync("access", "check", "snape", HARRY, config=config)
    assert check.exit_code == 1 and "blocked" in check.output


def test_blocking_from_an_unknown_staff_member_is_refused(
    rostersync: CliRun, tmp_path: Path
) -> None:
    config = school(tmp_path)
    result = rostersync("manual", "block", "snap", HARRY, "--reason", "x", config=config)
    assert result.exit_code == 2
    assert "unknown staff member 'snap'; did you mean snape?" in result.stderr


def test_a_registration_group_no_student_is_in_is_refused(
    rostersync: CliRun, tmp_path: Path
) -> None:
    config = school(tmp_path)
    refused = rostersync("manual", "add-member", "reg:7Z", "snape", "--access", config=config)
    assert refused.exit_code == 2
    assert "unknown group 'reg:7Z'; add it with 'rostersync manual add-group" in refused.stderr
    assert "did you mean reg:7B, reg:7A" in refused.stderr
    taken = rostersync("manual", "add-member", "reg:7A", "minerva", "--access", config=config)
    assert taken.exit_code == 0, taken.output


def test_an_unknown_user_group_is_refused_at_once(rostersync: CliRun, tmp_path: Path) -> None:
    config = school(tmp_path)
    result = rostersync(
        "manual", "add-staff", "filch", "Argus", "Filch", "--user-group", "Teachrs", config=config
    )
    assert result.exit_code == 2
    assert "unknown user group 'Teachrs' (user groups: " in result.stderr
    assert "did you mean Teachers?" in result.stderr
    assert "filch" not in rostersync("manual", "list", config=config).output
    taken = rostersync(
        "manual", "add-staff", "filch", "Argus", "Filch", "--user-group", "teachers",
        config=config,
    )  # fmt: skip
    assert taken.exit_code == 0, taken.output


def test_entries_no_sync_reads_are_warned_about(rostersync: CliRun, tmp_path: Path) -> None:
    config = school(tmp_path, sources=("school",))
    result = rostersync("manual", "add-group", "chess", config=config)
    assert result.exit_code == 0
    assert "no sync lists the manual source 'manual'" in result.stderr
    read = school(tmp_path)
    quiet = rostersync("manual", "add-group", "chess", config=read)
    assert quiet.exit_code == 0 and quiet.stderr == ""
