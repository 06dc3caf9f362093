"""An ldap target that stops dead after N batches, for crash tests (SIGKILL mid-apply).

Loaded into a ``python -m sync`` subprocess through a real entry point
(``tests.fakes.entry_points``). When it stalls it writes its pid to ``marker``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from plugins.ldap.options import LdapOptions
from plugins.ldap.target import LdapTarget
from sync.contract import PluginContext, TargetType
from sync.hookspecs import hookimpl
from sync.model import Change, ChangeFailure


class StallingLdapOptions(LdapOptions):
    stall_after: int = 1
    marker: str


class StallingLdapTarget(LdapTarget):
    def __init__(self, options: StallingLdapOptions, context: PluginContext) -> None:
        super().__init__(options, context)
        self.stall_after = options.stall_after
        self.marker = Path(options.marker)
        self.calls = 0

    def apply(self, changes: Sequence[Change]) -> list[ChangeFailure]:
        self.calls += 1
        if self.calls > self.stall_after:
            self.marker.write_text(str(os.getpid()))
            while True:  # wait to be killed
                time.sleep(0.5)
        return super().apply(changes)


@hookimpl
def register_targets(register: Callable[[TargetType[Any]], None]) -> None:
    register(
        TargetType(name="stalling_ldap", options=StallingLdapOptions, factory=StallingLdapTarget)
    )
