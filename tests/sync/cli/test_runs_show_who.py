"""``runs show ID`` names who started or approved a run from the console (the console's
audit record, joined), and reads a state database the console never used as it is."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from sync.app import App
from sync.plugins import load_plugins
from sync.storage import open_database
from tests.conftest import CliRun
from tests.plugins.school import run_json, school
from tests.web.conftest import csrf_of, serve


def test_runs_show_names_the_console_user_who_started_the_run(
    rostersync: CliRun, tmp_path: Path
) -> None:
    config = school(tmp_path)
    app = App(config_path=str(config), plugins=load_plugins(entry_points=False))
    for running in serve(app, tmp_path):
        oscar = running.signed_in("oscar")
        started = oscar.post("/syncs/default/run", data={"csrf_token": csrf_of(oscar)})
        assert started.status_code == 303
        running.asgi.state.console.runner.join(60)
    run_id = app.store.runs("default", limit=1)[0].summary.id
    result = rostersync("runs", "show", str(run_id), config=config)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"run {run_id} of sync 'default': ok (web)"
    assert lines[1].startswith("  sync by oscar in the console, 20")
    data = json.loads(rostersync("runs", "show", str(run_id), "--json", config=config).stdout)
    assert [(a["action"], a["user"]) for a in data["console_actions"]] == [("sync", "oscar")]


def test_runs_show_without_a_console_makes_no_console_tables(
    rostersync: CliRun, tmp_path: Path
) -> None:
    config = school(tmp_path)
    run = run_json(rostersync, config, "sync")
    result = rostersync("runs", "show", str(run["run_id"]), config=config)
    assert result.exit_code == 0, result.output
    assert " by " not in result.stdout.splitlines()[1]
    data = json.loads(
        rostersync("runs", "show", str(run["run_id"]), "--json", config=config).stdout
    )
    assert data["console_actions"] == []
    engine = open_database(f"sqlite:///{tmp_path}/state.db")
    assert not sa.inspect(engine).has_table("web_audit")
