"""Daemons and commands as subprocesses, exactly as an admin starts them."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sync.store import RunDetail, Store
from tests.conftest import EXAMPLES, ROOT

ROSTERSYNC = str(Path(sys.executable).parent / "rostersync")
PATIENCE = 60.0  # seconds; generous bounds for a noisy machine, never a timing assertion

CONFIG = """\
[state]
url = "{url}"

[sync]
sources = ["school"]
target = "gated"
batch_size = {batch_size}
retry_wait_seconds = 0

[sync.schedule]
interval_minutes = {interval}

[sources.school]
plugin = "impero_csv"
path = "impero"

[targets.gated]
plugin = "gate"
gate = "{gate}"

[http]
enabled = {http}
port = 0
"""


def plugin_site(folder: Path) -> Path:
    """A folder holding a dist-info that declares the gate target as a rostersync plugin."""
    dist = folder / "rostersync_test_gate-1.0.dist-info"
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: rostersync-test-gate\nVersion: 1.0\n"
    )
    (dist / "entry_points.txt").write_text("[rostersync]\ngate = tests.sync.gate_plugin\n")
    return folder


def wait_for(what: str, predicate: Callable[[], Any], timeout: float = PATIENCE) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


class Site:
    """A working folder with the seed example, a config using the gate target, and a store."""

    def __init__(self, folder: Path, url: str, *, interval: float = 0.02, batch_size: int = 500):
        self.folder = folder
        self.url = url
        self.gate = folder / "gate"
        self.gate.mkdir()
        os.mkfifo(self.gate / "fifo")
        if not (folder / "impero").exists():
            shutil.copytree(EXAMPLES / "impero", folder / "impero")
        self.config = folder / "config.toml"
        self.write_config(interval=interval, batch_size=batch_size)
        site = plugin_site(folder / "site")
        self.env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)]),
            "ROSTERSYNC_CONFIG": str(self.config),
            "ROSTERSYNC_MIN_INTERVAL_SECONDS": "0",  # these daemons run a slot a second
        }
        self.env.pop("NOTIFY_SOCKET", None)
        self.daemons: list[tuple[subprocess.Popen[bytes], Path]] = []

    def write_config(
        self, *, interval: float = 0.02, batch_size: int = 500, http: bool = False
    ) -> None:
        self.config.write_text(
            CONFIG.format(
                url=self.url,
                gate=self.gate,
                interval=interval,
                batch_size=batch_size,
                http=str(http).lower(),
            )
        )

    def arm(self) -> None:
        (self.gate / "waiting").unlink(missing_ok=True)
        (self.gate / "armed").write_text("")

    def wait_until_gated(self) -> None:
        wait_for("a run to reach the gate", (self.gate / "waiting").exists)

    def release(self) -> None:
        """Let the gated batch go on (no-op if nobody is waiting at the gate)."""
        try:
            fd = os.open(self.gate / "fifo", os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno == errno.ENXIO:
                return
            raise
        try:
            os.write(fd, b"x")
        finally:
            os.close(fd)

    def cli(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [ROSTERSYNC, *args],
            env=env or self.env,
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=PATIENCE,
        )

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [ROSTERSYNC, *args],
            env=self.env,
            cwd=self.folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def start_daemon(
        self, name: str = "daemon", *, env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        log = self.folder / f"{name}.log"
        process = subprocess.Popen(
            [ROSTERSYNC, "-v", "daemon", "--pid-file", str(self.folder / f"{name}.pid")],
            env=env or self.env,
            cwd=self.folder,
            stdout=subprocess.DEVNULL,
            stderr=log.open("wb"),
        )
        self.daemons.append((process, log))
        return process

    def log(self, name: str = "daemon") -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def stop(self, process: subprocess.Popen[bytes]) -> int:
        process.send_signal(signal.SIGTERM)
        return process.wait(timeout=PATIENCE)

    def runs(self) -> list[RunDetail]:
        return list(reversed(Store(self.url).runs(limit=1000)))

    def scheduled_runs(self) -> list[RunDetail]:
        return [r for r in self.runs() if r.summary.trigger.value == "scheduled"]

    def status(self) -> dict[str, Any]:
        result = self.cli("status", "--json")
        assert result.returncode == 0, result.stderr
        data: dict[str, Any] = json.loads(result.stdout)
        return data

    def close(self) -> None:
        self.release()
        for process, _ in self.daemons:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=PATIENCE)


def site_fixture(folder: Path, url: str, **kwargs: Any) -> Iterator[Site]:
    site = Site(folder, url, **kwargs)
    try:
        yield site
    finally:
        site.close()
