"""Issue 14: ``pause --until`` is kept as UTC on both databases and shown in the sync's
time zone, so a pause until 06:00 in New York holds until 11:00 UTC."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from click.testing import CliRunner

from sync.cli import make_cli
from sync.store import Store
from tests.conftest import CONFIG

NEW_YORK = ZoneInfo("America/New_York")


def test_a_pause_until_local_time_is_kept_as_that_moment(state_url: str, workdir: Path) -> None:
    config = workdir / "config.toml"
    config.write_text(
        CONFIG.format(state_url=state_url)
        + '\n[sync.schedule]\ninterval_minutes = 60\ntimezone = "America/New_York"\n'
    )
    tomorrow = (datetime.now(NEW_YORK) + timedelta(days=1)).date()
    cli = make_cli()

    def run(*args: str) -> str:
        result = CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    said = run("pause", "--until", f"{tomorrow}T06:00")
    wanted = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 6, tzinfo=NEW_YORK)
    assert f"until {wanted.isoformat()}" in said  # shown in New York time, with its offset
    pause = Store(state_url).pause_state("default")
    assert pause.until == wanted.astimezone(UTC)  # reproduction: it was 06:00 UTC on SQLite
    assert pause.active(now=wanted - timedelta(minutes=1))
    assert not pause.active(now=wanted + timedelta(minutes=1))
    status = run("status")
    assert f"PAUSED until {wanted.isoformat()}" in status, status
    report = json.loads(run("status", "--json"))
    assert datetime.fromisoformat(report["paused_until"]) == wanted  # JSON: the same moment
