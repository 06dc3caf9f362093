"""The daemon as an admin runs it: subprocesses on a real store, signals, the run lock."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from sync.public_status import public_status
from tests.sync.daemon_support import Site, site_fixture, wait_for

pytestmark = pytest.mark.slow

SEED_GROUPS = {"Potions", "Dark Arts", "Flying", "Muggle Studies"}


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    yield from site_fixture(tmp_path, f"sqlite:///{tmp_path / 'state.db'}")


def test_a_daemon_records_scheduled_runs_serves_status_and_stops_on_sigterm(site: Site) -> None:
    site.write_config(http=True)
    daemon = site.start_daemon()
    wait_for("two scheduled runs", lambda: len(site.scheduled_runs()) >= 2)
    found = wait_for(  # [http] is deprecated: read as [web], it serves the console
        "the console", lambda: re.search(r"console on http://127\.0\.0\.1:(\d+)", site.log())
    )
    base = f"http://127.0.0.1:{found.group(1)}"
    assert requests.get(f"{base}/healthz", timeout=10).text == "ok\n"
    status = requests.get(f"{base}/status", timeout=10).json()
    assert status == public_status(status) and status["sync"] == "default"  # no free text
    assert status.keys() == public_status(site.status()).keys()
    metrics = requests.get(f"{base}/metrics", timeout=10).text
    ok = re.search(r'^rostersync_runs_total\{status="ok",sync="default"\} ([\d.]+)$', metrics, re.M)
    assert ok and float(ok.group(1)) >= 1
    assert "deprecated" in site.log()
    assert (site.folder / "daemon.pid").read_text().strip() == str(daemon.pid)

    assert site.stop(daemon) == 0
    runs = site.runs()
    assert all(r.summary.status.value == "ok" for r in runs), [r.summary for r in runs]
    assert runs[0].summary.counts == {"create_group": 4, "add_member": 5, "grant_access": 5}
    assert not (site.folder / "daemon.pid").exists()


def test_sync_during_a_scheduled_run_is_refused_or_waits_for_it(site: Site) -> None:
    site.arm()
    daemon = site.start_daemon()
    site.wait_until_gated()
    running = site.runs()[-1].summary
    assert running.status.value == "running" and running.trigger.value == "scheduled"

    refused = site.cli("sync")
    assert refused.returncode == 5
    assert f"run {running.id} of sync 'default' is in progress since" in refused.stderr
    assert running.started_at[:19] in refused.stderr
    status = site.status()
    assert status["state"] == "running" and status["step"] == "applying"

    assert site.cli("pause").returncode == 0  # no further scheduled run gets in first
    waiting = site.popen("sync", "--wait", "--json")
    assert waiting.stderr is not None
    line = waiting.stderr.readline()
    assert f"run {running.id}" in line and "waiting for it to finish" in line
    site.release()
    out, _ = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, out
    assert json.loads(out)["run_id"] > running.id

    assert site.stop(daemon) == 0
    by_id = {r.summary.id: r.summary for r in site.runs()}
    assert by_id[running.id].status.value == "ok"
    assert by_id[json.loads(out)["run_id"]].trigger.value == "manual"


def test_sigterm_mid_run_records_it_interrupted_and_the_next_run_completes_it(
    site: Site,
) -> None:
    site.write_config(batch_size=1)
    site.arm()
    daemon = site.start_daemon()
    site.wait_until_gated()
    daemon.send_signal(signal.SIGTERM)
    wait_for("the daemon to see SIGTERM", lambda: "stopping:" in site.log())
    site.release()
    assert daemon.wait(timeout=60) == 0

    [interrupted] = site.runs()
    assert interrupted.summary.status.value == "interrupted"
    assert sum(interrupted.summary.counts.values()) == 1  # the batch in flight, no more
    assert interrupted.planned and sum(interrupted.planned.values()) == 14
    assert site.status()["state"] == "interrupted"

    finished = site.cli("sync", "--json")
    assert finished.returncode == 0, finished.stderr
    assert sum(json.loads(finished.stdout)["applied"].values()) == 13
    shown = json.loads(site.cli("show", "--json").stdout)
    assert {g["name"] for g in shown["groups"]} == SEED_GROUPS


def test_pause_stops_scheduled_runs_only(site: Site) -> None:
    paused = site.cli("pause", "--until", "2099-09-01", "--reason", "summer rollover")
    assert paused.returncode == 0, paused.stderr
    assert "until 2099-09-01T00:00:00+00:00" in paused.stdout
    daemon = site.start_daemon()
    wait_for("two skipped slots", lambda: site.log().count("skipped, the sync is paused") >= 2)
    assert site.runs() == []

    manual = site.cli("sync")
    assert manual.returncode == 0, manual.stderr
    status = site.status()
    assert status["paused"] is True and status["pause_reason"] == "summer rollover"
    assert status["paused_until"].startswith("2099-09-01")
    assert "PAUSED until 2099-09-01" in site.cli("status").stdout
    assert [r.summary.trigger.value for r in site.runs()] == ["manual"]

    assert site.cli("resume").returncode == 0
    wait_for("a scheduled run after resuming", site.scheduled_runs)
    assert site.stop(daemon) == 0
    assert site.status()["paused"] is False


def test_pause_until_a_past_date_is_refused(site: Site) -> None:
    result = site.cli("pause", "--until", "2001-01-01")
    assert result.returncode == 2 and "in the past" in result.stderr


def test_reload_takes_a_good_config_and_rejects_a_bad_one(site: Site) -> None:
    daemon = site.start_daemon()
    wait_for("a scheduled run", site.scheduled_runs)

    site.config.write_text(site.config.read_text().replace("interval_minutes", "cron = 'x'\n#"))
    refused = site.cli("reload", "--pid-file", str(site.folder / "daemon.pid"))
    assert refused.returncode == 2 and "[sync.schedule] cron" in refused.stderr
    daemon.send_signal(signal.SIGHUP)  # the daemon itself also refuses it
    wait_for("the rejection", lambda: "the old one keeps running" in site.log())
    before = len(site.scheduled_runs())
    wait_for("the old schedule to go on", lambda: len(site.scheduled_runs()) > before)

    site.write_config(interval=0.03)
    reloaded = site.cli("reload", "--pid-file", str(site.folder / "daemon.pid"))
    assert reloaded.returncode == 0, reloaded.stderr
    assert f"pid {daemon.pid}" in reloaded.stdout
    wait_for("the reload", lambda: "configuration reloaded" in site.log())
    assert "interval[0:00:01.800000]" in site.log()
    assert site.stop(daemon) == 0


def test_reload_without_a_daemon_says_how_to_find_it(site: Site) -> None:
    result = site.cli("reload")
    assert result.returncode == 2
    assert "no rostersync daemon is running" in result.stderr and "--pid-file" in result.stderr


def test_a_daemon_without_any_schedule_refuses_to_start(site: Site) -> None:
    text = site.config.read_text()
    site.config.write_text(re.sub(r"\[sync\.schedule\]\ninterval_minutes = \S+\n", "", text))
    result = site.cli("daemon")
    assert result.returncode == 2 and "no sync has a schedule" in result.stderr


def test_the_daemon_tells_systemd_ready_watchdog_and_stopping(site: Site, tmp_path: Path) -> None:
    address = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(str(address))
        listener.settimeout(60)
        env = {**site.env, "NOTIFY_SOCKET": str(address), "WATCHDOG_USEC": "1000000"}
        daemon = site.start_daemon(env=env)
        messages = [listener.recv(4096).decode()]
        assert messages[0].startswith("READY=1\nSTATUS=running 1 scheduled syncs")
        messages.append(listener.recv(4096).decode())
        assert messages[1] == "WATCHDOG=1"
        daemon.send_signal(signal.SIGTERM)
        while messages[-1] != "STOPPING=1":
            messages.append(listener.recv(4096).decode())
        assert daemon.wait(timeout=60) == 0


def test_a_second_daemon_on_the_same_pid_file_refuses_to_start(site: Site) -> None:
    pid_file = site.folder / "daemon.pid"
    pid_file.write_text(f"{os.getpid()}\n")  # a live process: this test
    result = site.cli("daemon", "--pid-file", str(pid_file))
    assert result.returncode == 2
    assert f"a rostersync daemon (pid {os.getpid()}) already runs" in result.stderr
    assert pid_file.read_text() == f"{os.getpid()}\n"
