"""Targets that stop dead after N batches, for crash tests (SIGKILL mid-apply): the
directory target (``stalling_directory``) and the ldap target (``stalling_ldap``).

Loaded into a ``python -m sync`` subprocess through a real entry point
(``tests.fakes.entry_points``). When one stalls it writes its pid to ``marker``;
``kill_when_stalled`` runs such a sync and kills it there.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from plugins.directory.target import DirectoryOptions, DirectoryTarget
from plugins.ldap.options import LdapOptions
from plugins.ldap.target import LdapTarget
from sync.contract import PluginContext, TargetType
from sync.hookspecs import hookimpl
from sync.model import Change, ChangeFailure


class Stalls:
    """Mixed in before a target class: its ``apply`` hangs after ``stall_after`` calls."""

    def __init__(self, options: Any, context: PluginContext) -> None:
        super().__init__(options, context)  # type: ignore[call-arg]
        self.stall_after = options.stall_after
        self.marker = Path(options.marker)
        self.calls = 0

    def apply(self, changes: Sequence[Change]) -> list[ChangeFailure]:
        self.calls += 1
        if self.calls > self.stall_after:
            self.marker.write_text(str(os.getpid()))
            while True:  # wait to be killed
                time.sleep(0.5)
        return super().apply(changes)  # type: ignore[misc,no-any-return]


class StallingOptions(DirectoryOptions):
    stall_after: int = 1
    marker: str


class StallingTarget(Stalls, DirectoryTarget):
    pass


class StallingLdapOptions(LdapOptions):
    stall_after: int = 1
    marker: str


class StallingLdapTarget(Stalls, LdapTarget):
    pass


@hookimpl
def register_targets(register: Callable[[TargetType[Any]], None]) -> None:
    register(TargetType(name="stalling_directory", options=StallingOptions, factory=StallingTarget))
    register(
        TargetType(name="stalling_ldap", options=StallingLdapOptions, factory=StallingLdapTarget)
    )


def kill_when_stalled(config: Path, marker: Path, env: dict[str, str]) -> int:
    """Run ``rostersync sync`` on ``config`` until its target stalls, SIGKILL it, and
    return its exit code."""
    process = subprocess.Popen(
        [sys.executable, "-m", "sync", "--config", str(config), "sync"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the sync never reached the stall"
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        process.stderr.close()
    return process.returncode
