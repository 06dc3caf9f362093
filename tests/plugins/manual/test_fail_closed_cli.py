"""Blocked children on a target that cannot hide one child in a group, through the CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from sync.cli import make_cli
from sync.contract import PluginContext, PluginOptions, TargetType
from sync.hookspecs import hookimpl
from sync.plugins import load_plugins
from sync.testing import MemoryTarget
from tests.plugins.school import school

HARRY = "A123456789012"


class _MemoryPlugin:
    """Registers ``memory``: one MemoryTarget shared across runs (no hide_members)."""

    def __init__(self) -> None:
        self.target = MemoryTarget()

    @hookimpl
    def register_targets(self, register: Callable[[TargetType[Any]], None]) -> None:
        def factory(options: PluginOptions, context: PluginContext) -> MemoryTarget:
            return self.target

        register(TargetType(name="memory", options=PluginOptions, factory=factory))


def test_a_blocked_staff_member_is_not_granted_the_childs_group(tmp_path: Path) -> None:
    config = school(tmp_path)
    text = config.read_text().replace('plugin = "directory"', 'plugin = "memory"')
    # (a school of three grants: the one the block withholds is over the grants guard's 20 %)
    text = text.replace(
        "[sources.manual]", "[sync.guards.grants]\npercent = 100\n\n[sources.manual]"
    )
    config.write_text(text)
    plugin = _MemoryPlugin()
    cli = make_cli(load_plugins(extra=[plugin]))

    def run(*args: str) -> Any:
        return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)

    first = json.loads(run("sync", "--json").output)
    assert first["status"] == "ok"
    assert ("reg:7A", "snape") in plugin.target.grants
    assert run("manual", "block", "snape", HARRY, "--reason", "parent").exit_code == 0
    revoked = []
    for _ in range(2):  # revoked once, and withheld on every run after
        data = json.loads(run("sync", "--json").output)
        assert data["status"] == "ok"
        revoked.append([c["person"] for c in data["changes"] if c["kind"] == "revoke_access"])
        assert ("reg:7A", "snape") not in plugin.target.grants
        assert ("reg:7B", "snape") in plugin.target.grants
        withheld = [i for i in data["issues"] if "withheld" in i["message"]]
        assert [i["message"] for i in withheld] == [
            f"access of 'snape' to group '7A' withheld: child '{HARRY}' in that group is "
            "blocked from them (parent) and this target cannot hide one child inside a group"
        ]
    assert revoked == [["snape"], []]
