"""A run started from the console: in this process, under the sync's run lock, recorded
with trigger ``web`` and who started it; a second click while it runs starts nothing."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from click.testing import CliRunner

from sync.app import App
from sync.cli import make_cli
from sync.plugins import load_plugins
from sync.web.accounts import Accounts
from tests.sync import gate_plugin
from tests.web.conftest import Running, csrf_of, serve

PATIENCE = 60.0  # a bound for a noisy machine, never a timing assertion


@pytest.fixture
def gated(workdir: Path) -> Iterator[tuple[Running, Path]]:
    gate = workdir / "gate"
    gate.mkdir()
    os.mkfifo(gate / "fifo")
    config = workdir / "config.toml"
    config.write_text(
        config.read_text().replace('plugin = "directory"', f'plugin = "gate"\ngate = "{gate}"')
    )
    app = App(
        config_path=str(config), plugins=load_plugins(entry_points=False, extra=[gate_plugin])
    )
    for running in serve(app, workdir):
        yield running, gate


def wait_for(what: str, check: object) -> None:
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


def test_a_second_click_while_a_run_goes_on_starts_nothing(gated: tuple[Running, Path]) -> None:
    running, gate = gated
    (gate / "armed").touch()
    alice = running.signed_in("alice")
    token = csrf_of(alice)
    first = alice.post("/syncs/default/run", data={"csrf_token": token})
    assert first.status_code == 303
    assert "run 1 of sync 'default' started" in unescape(alice.get("/").text)
    wait_for("the run to reach the gate", (gate / "waiting").exists)

    cards = alice.get("/fragments/syncs").text
    assert 'data-running="1"' in cards and "<progress" in cards and "started by alice" in cards
    oscar = running.signed_in("oscar")
    second = oscar.post("/syncs/default/run", data={"csrf_token": csrf_of(oscar)})
    assert second.status_code == 303
    page = unescape(oscar.get("/").text)
    assert re.search(r"already in progress \(started by alice\)", page), page
    try:  # the command line meets the same run lock
        refused = CliRunner().invoke(
            make_cli(running.app.plugins),
            ["--config", str(running.workdir / "config.toml"), "sync"],
        )
    finally:
        with (gate / "fifo").open("wb") as fifo:
            fifo.write(b"x")
    assert refused.exit_code == 5 and "run 1 of sync 'default' is in progress" in refused.output
    store = running.app.store
    wait_for("the run to finish", lambda: store.run(1).summary.status.value == "ok")  # type: ignore[union-attr]
    assert [d.summary.id for d in store.runs("default", limit=10)] == [1]
    assert store.run(1).summary.trigger.value == "web"  # type: ignore[union-attr]
    actions = Accounts(running.app.config.state_url).run_actions(1)
    assert [(a.user, a.action) for a in actions] == [("alice", "sync")]
    assert "web · alice" in alice.get("/runs").text
