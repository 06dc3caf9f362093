"""The status endpoints (served by the console, open without a sign-in) and the metrics,
checked against the run history."""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests

from sync.app import App
from sync.plugins import load_plugins
from sync.public_status import public_status
from sync.store import new_holder
from tests.conftest import CliRun, write_csv
from tests.web.conftest import serve

SAMPLE = re.compile(r"^(\w+)\{([^}]*)\} (\S+)$", re.M)


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    out = {}
    for name, labels, value in SAMPLE.findall(text):
        pairs = frozenset(tuple(p.split("=", 1)) for p in labels.split(","))
        out[name, frozenset((k, v.strip('"')) for k, v in pairs)] = float(value)
    return out


def key(name: str, **labels: str) -> tuple[str, frozenset[tuple[str, str]]]:
    return name, frozenset(labels.items())


@pytest.fixture
def app(workdir: Path) -> App:
    return App(config_path=str(workdir / "config.toml"), plugins=load_plugins())


@pytest.fixture
def server(app: App, workdir: Path) -> Iterator[str]:
    for running in serve(app, workdir):
        yield running.url


def make_history(rostersync: CliRun, workdir: Path) -> None:
    assert rostersync("sync").exit_code == 0  # ok: creates the seed's groups
    write_csv(
        workdir / "impero" / "students.csv",
        "version,1",
        "username,class",
        "Harry_Potter,Potions",
        "Harry_Potter,Dark Arts",
        "Harry_Potter,Flying",
        "Ron_Weasley,Potions",
        "Ron_Weasley,Flying",
        "Hermione_Granger,Muggle Studies",
    )
    assert rostersync("sync").exit_code == 0  # ok: two adds, one removal
    write_csv(workdir / "impero" / "students.csv", "username,class", "Harry_Potter,Potions")
    assert rostersync("sync").exit_code == 1  # failed: a broken file
    assert rostersync("sync", "--dry-run").exit_code == 1  # fails again, records nothing


def test_metrics_match_the_run_history(rostersync: CliRun, workdir: Path, server: str) -> None:
    make_history(rostersync, workdir)
    history = json.loads(rostersync("runs", "--json").output)
    response = requests.get(f"{server}/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    got = samples(response.text)

    by_status = Counter(run["status"] for run in history)
    for status in ("ok", "partial", "failed", "interrupted"):
        assert got[key("rostersync_runs_total", sync="default", status=status)] == by_status[status]
    held = by_status["held"] + by_status["approved"] + by_status["rejected"]  # finished as held
    assert got[key("rostersync_runs_total", sync="default", status="held")] == held
    applied: Counter[str] = Counter()
    for run in history:
        applied.update(run["counts"])
    assert applied["add_member"] == 7 and applied["remove_member"] == 1
    for kind in ("create_group", "add_member", "grant_access", "remove_member", "delete_group"):
        assert (
            got[key("rostersync_changes_applied_total", sync="default", kind=kind)]
            == (applied[kind])
        )
    last_ok = next(run for run in history if run["status"] == "ok")  # newest first
    assert got[key("rostersync_last_success_timestamp_seconds", sync="default")] == pytest.approx(
        datetime.fromisoformat(last_ok["finished_at"]).timestamp(), abs=1
    )
    newest = history[0]
    duration = got[key("rostersync_last_run_duration_seconds", sync="default")]
    shown = (
        datetime.fromisoformat(newest["finished_at"]) - datetime.fromisoformat(newest["started_at"])
    ).total_seconds()
    assert duration >= 0 and duration == pytest.approx(shown, abs=1)


def test_status_is_what_status_json_prints(rostersync: CliRun, server: str) -> None:
    assert rostersync("sync").exit_code == 0
    assert rostersync("pause", "--reason", "summer").exit_code == 0
    expected = json.loads(rostersync("status", "--json").output)
    assert requests.get(f"{server}/status", timeout=10).json() == public_status(expected)
    assert expected["paused"] is True and expected["state"] == "ok"
    assert requests.get(f"{server}/healthz", timeout=10).text == "ok\n"
    assert requests.get(f"{server}/nothing", timeout=10).status_code == 404


def test_metrics_of_a_sync_never_run_are_zero_without_timestamps(server: str) -> None:
    text = requests.get(f"{server}/metrics", timeout=10).text
    assert samples(text)[key("rostersync_runs_total", sync="default", status="ok")] == 0
    assert "rostersync_last_success_timestamp_seconds{" not in text
    assert "# TYPE rostersync_changes_applied_total counter" in text


def test_sync_wait_gives_up_after_its_timeout(rostersync: CliRun, app: App) -> None:
    # a run held by this (live) process: the CLI must wait, then give up with exit 5
    holder = new_holder()
    app.store.acquire_lock("default", holder, timedelta(minutes=5))
    try:
        result = rostersync("sync", "--wait", "--timeout", "0.5")
    finally:
        app.store.release_lock("default", holder)
    assert result.exit_code == 5
    assert "waiting for it to finish" in result.output
    assert "still running after waiting 0.5 s" in result.output
    assert rostersync("sync", "--wait").exit_code == 0


def test_the_open_status_carries_no_name_nor_row(
    rostersync: CliRun, server: str, workdir: Path
) -> None:
    # Reproduction: a broken preamble put "found 'Harry_Potter,Potions'" in /status.
    write_csv(workdir / "impero" / "students.csv", "Harry_Potter,Potions", "Ron_Weasley,Charms")
    assert rostersync("sync").exit_code != 0
    assert "Harry_Potter" in rostersync("status").output  # the admin's own command says it
    body = requests.get(f"{server}/status", timeout=10).text
    assert "Harry_Potter" not in body and "Potions" not in body, body
    status = json.loads(body)
    assert status["state"] == "failed" and status["last_run"]["error"] is True


def test_runs_total_never_goes_down_when_a_held_run_is_decided(
    rostersync: CliRun, workdir: Path, server: str
) -> None:
    # A held run later rejected or approved was counted as held, then vanished from the
    # counter: rostersync_runs_total went down, which Prometheus reads as a reset.
    config = workdir / "config.toml"
    config.write_text(
        config.read_text().replace(
            "retry_wait_seconds = 0\n",
            "retry_wait_seconds = 0\n\n[sync.guards]\nallow_empty = false\n"
            "memberships = { percent = 10, minimum = 1 }\n",
            1,
        )
    )
    assert rostersync("sync").exit_code == 0
    write_csv(
        workdir / "impero" / "students.csv", "version,1", "username,class", "Harry_Potter,Potions"
    )
    assert rostersync("sync").exit_code == 4
    scrapes = [samples(requests.get(f"{server}/metrics", timeout=10).text)]
    assert rostersync("reject", "2").exit_code == 0
    scrapes.append(samples(requests.get(f"{server}/metrics", timeout=10).text))
    assert rostersync("sync").exit_code == 4
    assert rostersync("approve", "3").exit_code == 0
    scrapes.append(samples(requests.get(f"{server}/metrics", timeout=10).text))
    counters = [k for k in scrapes[0] if k[0].endswith("_total")]
    assert counters
    for before, after in itertools.pairwise(scrapes):
        for series in counters:
            assert after[series] >= before[series], series
    held = key("rostersync_runs_total", sync="default", status="held")
    assert [s[held] for s in scrapes] == [1, 1, 2]
    decided = key("rostersync_held_decisions_total", sync="default", decision="rejected")
    assert [s[decided] for s in scrapes] == [0, 1, 1]
