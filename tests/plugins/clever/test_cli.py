"""The clever source through the command line, against the fake Clever server on loopback."""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from sync.app import App
from tests.conftest import CliRun
from tests.fakes.clever_server import CleverServer, generate_district, make_user

TOKEN = "tok-CANARY-cli-5e1d7a"

CONFIG = """\
[state]
url = "sqlite:///{folder}/state.db"

[sync]
sources = ["district"]
target = "console"
retry_wait_seconds = 0

[targets.console]
plugin = "directory"

"""
CLEVER = """\
[sources.district]
plugin = "clever"
url = "{url}"
token = {{ env = "CLEVER_TOKEN" }}
page_size = 50
max_attempts = 4
backoff_seconds = 0
max_wait_seconds = 0
"""
CSV = """\
[sources.district]
plugin = "impero_csv"
path = "impero"
"""


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[CleverServer]:
    monkeypatch.setenv("CLEVER_TOKEN", TOKEN)
    with CleverServer(generate_district(), token=TOKEN) as fake:
        fake.emit_other("terms.created", {"id": "term1"})
        yield fake


def clever_config(folder: Path, server: CleverServer, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    path.write_text(CONFIG.format(folder=folder) + CLEVER.format(url=server.url) + extra)
    return path


def run_json(rostersync: CliRun, config: Path, *args: str) -> tuple[Result, Any]:
    result = rostersync(*args, "--json", config=config)
    return result, json.loads(result.stdout)


def groups(rostersync: CliRun, config: Path) -> dict[str, Any]:
    _, data = run_json(rostersync, config, "show", "--no-names")  # no Clever reads for names
    return {g["name"]: (g["members"], g["access"]) for g in data["groups"]}


def test_clever_gives_the_same_groups_as_the_same_roster_from_csv(
    rostersync: CliRun, server: CleverServer, tmp_path: Path
) -> None:
    clever = clever_config(tmp_path / "clever", server)
    result, data = run_json(rostersync, clever, "sync")
    assert result.exit_code == 0, result.output
    assert data["status"] == "ok" and data["issues"] == []

    csv_folder = tmp_path / "csv"
    server.district.write_impero_csv(csv_folder / "impero")
    (csv_folder / "config.toml").write_text(CONFIG.format(folder=csv_folder) + CSV)
    assert rostersync("sync", config=csv_folder / "config.toml").exit_code == 0

    from_clever = groups(rostersync, clever)
    from_csv = groups(rostersync, csv_folder / "config.toml")
    assert len(from_clever) == len(server.district.sections) == 51
    assert sorted(from_clever) == sorted(from_csv)
    for name, (members, access) in from_clever.items():
        assert (members, access) == from_csv[name], name
    assert sum(len(m) for m, _ in from_clever.values()) == 1280


def test_rate_limits_and_server_errors_mid_pull_are_retried_and_recorded(
    rostersync: CliRun, server: CleverServer, tmp_path: Path
) -> None:
    server.fail("/v3.0/users", [429, 429], after=3, retry_after=0)
    server.fail("/v3.0/sections", [500, 502], after=1)
    config = clever_config(tmp_path / "clever", server)
    result, data = run_json(rostersync, config, "sync")
    assert result.exit_code == 0, result.output
    assert data["status"] == "ok" and data["retries"] == 4
    statuses = [status for _, status in server.history]
    assert statuses.count(429) == 2 and statuses.count(500) == 1 and statuses.count(502) == 1
    _, record = run_json(rostersync, config, "runs", "show", str(data["run_id"]))
    assert record["retries"] == 4 and record["status"] == "ok"
    assert len(groups(rostersync, config)) == len(server.district.sections)


def test_exhausted_retries_fail_the_run_and_keep_target_and_cursor(
    rostersync: CliRun, server: CleverServer, tmp_path: Path
) -> None:
    config = clever_config(tmp_path / "clever", server)
    assert rostersync("sync", config=config).exit_code == 0
    before = groups(rostersync, config)
    cursor = server.events[-1]["id"]
    server.update_section(sorted(server.district.sections)[0], name="Changed")
    server.fail("/v3.0/events", [503] * 4)
    result, data = run_json(rostersync, config, "sync")
    assert result.exit_code != 0 and data["status"] == "failed"
    assert "failed after retries" in data["error"] and "HTTP 503" in data["error"]
    assert groups(rostersync, config) == before
    result, data = run_json(rostersync, config, "sync")
    assert data["status"] == "ok" and data["planned"]["rename_group"] == 1
    resumed = [p for p, s in server.history if f"starting_after={cursor}" in p and s == 200]
    assert len(resumed) == 1, "the failed run must not have moved the cursor"


def test_an_incremental_run_changes_only_what_the_events_say(
    rostersync: CliRun, server: CleverServer, tmp_path: Path
) -> None:
    config = clever_config(tmp_path / "clever", server)
    assert rostersync("sync", config=config).exit_code == 0
    district = server.district
    s0, s1, s2 = sorted(district.sections)[:3]
    leaver = district.sections[s1]["students"][0]
    joiner = next(
        u for u in district.sections[s0]["students"] if u not in district.sections[s1]["students"]
    )
    co_teacher = next(
        t
        for t in sorted(district.users)
        if "teacher" in district.users[t]["roles"] and t not in district.sections[s2]["teachers"]
    )
    server.update_section(s0, name="Renamed Section")
    students = [u for u in district.sections[s1]["students"] if u != leaver] + [joiner]
    server.update_section(s1, students=sorted(students))
    server.update_section(s2, teachers=[*district.sections[s2]["teachers"], co_teacher])
    quiet = copy.deepcopy(district.users[leaver])
    quiet["roles"]["student"]["grade"] = "Ungraded"
    server.upsert_user(quiet)
    server.emit_other("terms.updated", {"id": "term1"})
    requests_before = len(server.history)

    result, data = run_json(rostersync, config, "sync")
    assert result.exit_code == 0, result.output
    changes = sorted((c["kind"], c["group"], c.get("person", "")) for c in data["changes"])
    assert changes == [
        ("add_member", s1, district.username(joiner)),
        ("grant_access", s2, district.username(co_teacher)),
        ("remove_member", s1, district.username(leaver)),
        ("rename_group", s0, ""),
    ]
    paths = [p for p, _ in server.history[requests_before:]]
    assert paths and all(p.startswith("/v3.0/events?") and "starting_after=" in p for p in paths), (
        paths
    )


def test_a_new_user_and_a_deleted_section_arrive_through_events(
    rostersync: CliRun, server: CleverServer, tmp_path: Path
) -> None:
    config = clever_config(tmp_path / "clever", server)
    assert rostersync("sync", config=config).exit_code == 0
    district = server.district
    s0, s1 = sorted(district.sections)[:2]
    newcomer = make_user(999, "student", sorted(district.schools)[0], kind=2)
    server.upsert_user(newcomer)
    server.update_section(s0, students=[*district.sections[s0]["students"], newcomer["id"]])
    gone_name = district.sections[s1]["name"]
    server.delete_section(s1)
    result, data = run_json(rostersync, config, "sync")
    assert data["applied"]["delete_group"] == 1
    assert result.exit_code == 0, result.output
    shown = groups(rostersync, config)
    assert gone_name not in shown
    assert district.username(newcomer["id"]) in shown[district.sections[s0]["name"]][0]


def test_the_token_never_shows(
    rostersync: CliRun,
    server: CleverServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = clever_config(tmp_path / "clever", server)
    server.fail("/v3.0/users", [429, 502])
    outputs = [rostersync("-vv", "sync", config=config).output]
    server.token = "rotated"
    outputs.append(rostersync("-vv", "sync", config=config).output)  # 401: fails
    for args in (("runs", "show", "1", "--json"), ("runs", "show", "2"), ("status", "--json")):
        outputs.append(rostersync(*args, config=config).output)
    assert "HTTP 401" in outputs[1] and "sources.district.token" in outputs[1]
    server.token = TOKEN
    server.fail("/v3.0/events", [502])  # this run is incremental: events only
    logging.getLogger().addHandler(caplog.handler)  # the CLI replaced the root handlers
    with caplog.at_level(logging.DEBUG):
        App(config_path=str(config)).engine.run()
    assert "HTTP 502" in caplog.text and "page 1" in caplog.text
    for text in [*outputs, caplog.text]:
        assert TOKEN not in text
    assert TOKEN.encode() not in (tmp_path / "clever" / "state.db").read_bytes()


def test_the_plugin_is_built_in(rostersync: CliRun, server: CleverServer, tmp_path: Path) -> None:
    result = rostersync("plugins", config=clever_config(tmp_path / "clever", server))
    assert result.exit_code == 0 and "clever" in result.output


def test_a_bad_option_names_the_key(
    rostersync: CliRun, server: CleverServer, tmp_path: Path
) -> None:
    config = clever_config(tmp_path / "clever", server, "")
    config.write_text(config.read_text().replace("page_size = 50", "page_size = 20000"))
    result = rostersync("sync", config=config)
    assert result.exit_code != 0
    assert "page_size" in result.output and TOKEN not in result.output
