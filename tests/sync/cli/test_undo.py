"""``rostersync undo RUN``: the inverse of exactly what a run applied, as a new run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import CliRun
from tests.plugins.school import STAFF, STAFF_HEADER, STUDENTS, run_json, school

HARRY = "A123456789012"

# The next day's export: Harry moved to 7B, Snape now a DSL teaching 7B only. Odd case
# in the header and a trailing blank cell, as exports have them.
STUDENTS_MOVED = tuple(s.replace("7,7A,A123456789012", "7,7B,A123456789012") for s in STUDENTS)
STAFF_CHANGED = (
    STAFF_HEADER.upper(),
    "Severus,Snape,Teacher,DSLs,snape@hogwarts.sch.uk,7B",
    *STAFF[2:],
)


def undo(rostersync: CliRun, config: Path, *args: str, input: str | None = None) -> Any:
    from click.testing import CliRunner

    from sync.cli import make_cli

    return CliRunner().invoke(
        make_cli(), ["--config", str(config), "undo", *args], input=input, catch_exceptions=False
    )


def state(rostersync: CliRun, config: Path) -> dict[str, Any]:
    groups = json.loads(rostersync("show", "--json", "--no-names", config=config).stdout)
    shown = rostersync("access", "show", "snape", "--json", config=config)
    snape = json.loads(shown.stdout) if shown.exit_code == 0 else None  # 1: unknown user
    return {
        "groups": {g["name"]: (g["members"], g["access"]) for g in groups["groups"]},
        "snape": snape and (snape["user_group"], sorted(snape["permissions"]), snape["blocked"]),
    }


def test_undo_takes_back_moves_grants_profiles_and_blocks_and_undoing_it_redoes(
    rostersync: CliRun, tmp_path: Path
) -> None:
    config = school(tmp_path)
    assert (
        rostersync(
            "manual", "block", "snape", HARRY, "--reason", "relative", config=config
        ).exit_code
        == 0
    )
    assert run_json(rostersync, config, "sync")["status"] == "ok"  # run 1
    before = state(rostersync, config)
    school(tmp_path, students=STUDENTS_MOVED, staff=STAFF_CHANGED)
    assert rostersync("manual", "unblock", "snape", HARRY, config=config).exit_code == 0
    second = run_json(rostersync, config, "sync")  # run 2
    kinds = {c["kind"] for c in second["changes"]}
    assert {"add_member", "remove_member", "revoke_access", "set_profile", "remove_block"} <= kinds
    after = state(rostersync, config)
    assert after != before

    result = undo(rostersync, config, "2", "--yes")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("undo of run 2 would ")
    assert f"remove {HARRY} from '7B'" in result.stdout and "undoing run 2" in result.stdout
    assert state(rostersync, config) == before
    runs = json.loads(rostersync("runs", "--json", config=config).stdout)
    assert runs[0]["trigger"] == "undo" and runs[0]["id"] == 3
    shown = rostersync("runs", "show", "3", config=config).stdout
    assert "(undo)" in shown and "undoes run 2" in shown

    again = undo(rostersync, config, "3", "--yes")
    assert again.exit_code == 0, again.output
    assert state(rostersync, config) == after


def test_what_changed_since_is_skipped_and_reported(rostersync: CliRun, tmp_path: Path) -> None:
    config = school(tmp_path)
    assert run_json(rostersync, config, "sync")["status"] == "ok"
    school(tmp_path, students=STUDENTS_MOVED)
    assert run_json(rostersync, config, "sync")["status"] == "ok"  # run 2: Harry to 7B
    school(tmp_path, students=STUDENTS_MOVED[:-1])  # run 3: Ginny leaves, 6W goes
    assert run_json(rostersync, config, "sync")["status"] == "ok"
    school(tmp_path, students=STUDENTS[:-1])  # run 4: Harry back in 7A by the office
    assert run_json(rostersync, config, "sync")["status"] == "ok"
    result = undo(rostersync, config, "2", "--yes")
    assert result.exit_code == 0, result.output
    assert "2 changes skipped:" in result.stdout
    assert f"not undone, it changed since run 2: add {HARRY} to '7B'" in result.stdout
    assert "nothing to undo" in result.stdout


def test_undo_asks_first(rostersync: CliRun, tmp_path: Path) -> None:
    config = school(tmp_path)
    assert run_json(rostersync, config, "sync")["status"] == "ok"
    refused = undo(rostersync, config, "1", input="n\n")
    assert refused.exit_code == 1 and "apply this undo now?" in refused.stdout
    assert "nothing changed" in refused.stdout
    assert len(state(rostersync, config)["groups"]) == 3
    taken = undo(rostersync, config, "1", input="y\n")
    assert taken.exit_code == 0, taken.output
    assert state(rostersync, config)["groups"] == {}


def test_an_undo_that_removes_too_much_is_held(rostersync: CliRun, tmp_path: Path) -> None:
    forms = [f"Pupil{i},Test,01/09/2011,F,7,F{i:03d}," for i in range(30)]
    config = school(tmp_path, students=(*STUDENTS, *forms))
    assert run_json(rostersync, config, "sync")["status"] == "ok"
    held = undo(rostersync, config, "1", "--yes")
    assert held.exit_code == 4, held.output
    assert "a safety guard would HOLD it" in held.stdout
    assert len(state(rostersync, config)["groups"]) == 33
    forced = undo(rostersync, config, "1", "--yes", "--allow-deletes")
    assert forced.exit_code == 0, forced.output
    assert state(rostersync, config)["groups"] == {}


def test_runs_that_cannot_be_undone_say_why(rostersync: CliRun, tmp_path: Path) -> None:
    config = school(tmp_path)
    missing = undo(rostersync, config, "9", "--yes")
    assert missing.exit_code == 1
    assert "there is no run 9" in missing.stderr and "pruned" in missing.stderr
    assert run_json(rostersync, config, "sync")["status"] == "ok"
    assert run_json(rostersync, config, "sync")["applied"] == {}
    nothing = undo(rostersync, config, "2", "--yes")
    assert nothing.exit_code == 1
    assert "run 2 cannot be undone: run 2 applied no changes" in nothing.stderr
