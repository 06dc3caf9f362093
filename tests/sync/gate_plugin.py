"""A test-only target: the ``directory`` target behind a gate the test controls.

When ``GATE/armed`` exists, the next batch disarms it, writes ``GATE/waiting`` and
blocks reading the FIFO ``GATE/fifo`` until the test writes to it: a run held in its
applying step for exactly as long as the test wants, with no sleeps. Daemon subprocesses
load it through an entry point (see ``daemon_support.plugin_site``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any

from plugins.directory.target import DirectoryOptions, DirectoryTarget
from sync.contract import PluginContext, PluginOptions, TargetType
from sync.hookspecs import hookimpl
from sync.model import Change, ChangeFailure, TargetState


class GateOptions(PluginOptions):
    gate: str


class GatedTarget:
    def __init__(self, options: GateOptions, context: PluginContext) -> None:
        self.gate = Path(options.gate)
        self.inner = DirectoryTarget(DirectoryOptions(), context)
        self.capabilities = self.inner.capabilities

    def read(self) -> TargetState:
        return self.inner.read()

    def member_digests(self) -> Mapping[str, str]:
        return self.inner.member_digests()

    def read_changed(self, matched: AbstractSet[str]) -> TargetState:
        return self.inner.read_changed(matched)

    def apply(self, changes: Sequence[Change]) -> Sequence[ChangeFailure]:
        armed = self.gate / "armed"
        if armed.exists():
            armed.unlink()
            (self.gate / "waiting").write_text(str(os.getpid()))
            with (self.gate / "fifo").open("rb") as fifo:
                fifo.read(1)
        return self.inner.apply(changes)

    def close(self) -> None:
        self.inner.close()


@hookimpl
def register_targets(register: Callable[[TargetType[Any]], None]) -> None:
    register(TargetType(name="gate", options=GateOptions, factory=GatedTarget))
