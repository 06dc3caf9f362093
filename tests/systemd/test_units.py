"""The systemd units pass ``systemd-analyze verify`` and keep their hardening."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

UNITS = ROOT / "systemd"
INSTALLED = "/opt/rostersync/venv/bin/rostersync"
#: CI (which sets either variable) must run these; elsewhere they skip without systemd.
REQUIRED = any(
    os.environ.get(name) == "1"
    for name in ("ROSTERSYNC_REQUIRE_SYSTEMD", "ROSTERSYNC_REQUIRE_POSTGRES")
)
HARDENING = (
    "DynamicUser=yes",
    "StateDirectory=rostersync",
    "ConfigurationDirectory=rostersync",
    "EnvironmentFile=-/etc/rostersync/env",
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    "ProtectHome=yes",
    "PrivateTmp=yes",
    "PrivateDevices=yes",
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
    "SystemCallFilter=@system-service",
    "CapabilityBoundingSet=",
)


def systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        if REQUIRED:
            pytest.fail("systemd-analyze is required in CI: apt-get install -y systemd")
        pytest.skip("systemd-analyze is not installed")
    return found


def test_the_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = systemd_analyze()
    # verify checks that ExecStart= exists: point it at this checkout's entry point.
    here = str(Path(sys.executable).parent / "rostersync")
    for unit in UNITS.iterdir():
        (tmp_path / unit.name).write_text(unit.read_text().replace(INSTALLED, here))
    units = sorted(str(p) for p in tmp_path.iterdir())
    assert len(units) == 3
    result = subprocess.run(
        [analyze, "verify", *units], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr  # unknown keys are only warnings


@pytest.mark.parametrize("unit", ["rostersync.service", "rostersync-sync.service"])
def test_a_service_runs_hardened_as_a_dedicated_user(unit: str) -> None:
    lines = set((UNITS / unit).read_text().splitlines())
    missing = [line for line in HARDENING if line not in lines]
    assert missing == []


def test_the_daemon_is_type_notify_with_a_watchdog_and_reload() -> None:
    lines = set((UNITS / "rostersync.service").read_text().splitlines())
    assert {"Type=notify", "WatchdogSec=120", "ExecReload=/bin/kill -HUP $MAINPID"} <= lines
    assert f"ExecStart={INSTALLED} --config /etc/rostersync/config.toml daemon" in lines
    timer = (UNITS / "rostersync-sync.timer").read_text()
    assert "Unit=rostersync-sync.service" in timer and "Persistent=yes" in timer
