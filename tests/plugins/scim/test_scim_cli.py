"""The seed's Impero example synced into a SCIM server through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import CliRun
from tests.plugins.scim.server import TOKEN, ScimServer
from tests.plugins.scim.test_scim_target import CannotFilterOrRename

SCIM_CONFIG = """\
[state]
url = "sqlite:///{state}"

[sync]
sources = ["school"]
target = "idp"
retry_wait_seconds = 0

[sources.school]
plugin = "impero_csv"
path = "impero"
basic_console_only = {basic}

[targets.idp]
plugin = "scim"
url = "{url}"
token = {{ env = "SCIM_TEST_TOKEN" }}
create_users = true
backoff_seconds = 0
"""


@pytest.fixture
def scim_config(workdir: Path, scim: ScimServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SCIM_TEST_TOKEN", TOKEN)
    path = workdir / "scim.toml"
    path.write_text(
        SCIM_CONFIG.format(state=workdir / "scim-state.db", url=scim.url, basic="false")
    )
    return path


def shown(rostersync: CliRun, config: Path | None = None) -> list[dict[str, object]]:
    result = rostersync("show", "--json", config=config)
    assert result.exit_code == 0, result.output
    return [g for g in json.loads(result.output)["groups"] if g["managed"]]


def test_the_seed_example_gives_the_same_groups_as_the_directory_target(
    rostersync: CliRun, scim_config: Path, scim: ScimServer
) -> None:
    assert rostersync("sync").exit_code == 0
    result = rostersync("sync", config=scim_config)
    assert result.exit_code == 0, result.output
    assert "created 4 groups, added 5 members, granted 5 access rights" in result.output
    assert shown(rostersync, scim_config) == shown(rostersync)
    assert scim.groups()["Dark Arts - staff"] == {"Amycus_Carrow", "Severus_Snape"}
    assert TOKEN not in result.output


def test_a_rerun_sends_only_reads(
    rostersync: CliRun, scim_config: Path, scim: ScimServer, workdir: Path
) -> None:
    # With an access option on every grant, so options round-trip through companion groups.
    scim_config.write_text(
        scim_config.read_text().replace("basic_console_only = false", "basic_console_only = true")
    )
    assert rostersync("sync", config=scim_config).exit_code == 0
    assert scim.groups()["Potions - staff (basic_console_only)"] == {"Severus_Snape"}
    scim.recorder.reset()
    again = rostersync("sync", "--json", config=scim_config)
    assert again.exit_code == 0, again.output
    data = json.loads(again.output)
    assert data["status"] == "ok" and data["changes"] == []
    assert scim.recorder.calls and scim.recorder.writes() == []


def test_a_refused_change_ends_the_run_partial(
    rostersync: CliRun, scim_config: Path, scim: ScimServer
) -> None:
    def refuse(method: str, path: str, body: object) -> tuple[int, str] | None:
        if method == "POST" and isinstance(body, dict) and body.get("displayName") == "Flying":
            return 409, "Flying is a reserved group name"
        return None

    scim.recorder.refuse = refuse
    result = rostersync("sync", config=scim_config)
    assert result.exit_code == 3, result.output
    assert "Flying is a reserved group name" in result.output
    assert {g["name"] for g in shown(rostersync, scim_config)} == {
        "Potions",
        "Dark Arts",
        "Muggle Studies",
    }


def test_a_flaky_server_still_converges_through_the_cli(
    rostersync: CliRun, scim_config: Path, scim: ScimServer
) -> None:
    scim.recorder.fail_every = 4
    result = rostersync("sync", config=scim_config)
    assert result.exit_code == 0, result.output
    assert scim.recorder.faults > 0
    scim.recorder.fail_every = 0
    assert shown(rostersync, scim_config)  # the run converged
    assert json.loads(rostersync("sync", "--json", config=scim_config).output)["changes"] == []


def test_a_member_remove_fallback_is_said_once_in_the_run_issues(
    rostersync: CliRun, scim_config: Path, scim: ScimServer, workdir: Path
) -> None:
    assert rostersync("sync", config=scim_config).exit_code == 0
    refusals = CannotFilterOrRename()
    scim.recorder.refuse = refusals
    students = workdir / "impero" / "students.csv"
    students.write_text(
        "".join(line for line in students.open() if not line.startswith("Harry_Potter"))
    )
    result = rostersync("sync", "--json", "--allow-deletes", config=scim_config)  # (60 %)
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)
    assert refusals == ["remove members"]
    assert all("Harry_Potter" not in members for members in scim.groups().values())
    recorded = rostersync("runs", "show", str(run["run_id"]), "--json", config=scim_config)
    issues = json.loads(recorded.stdout)["issues"]
    fallbacks = [i for i in issues if "replaces the whole member list" in i["message"]]
    assert len(fallbacks) == 1 and fallbacks[0]["severity"] == "warning"
