"""The command line as the oneroster and sds tests drive it: a config with one source."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import CliRun

CONFIG = """\
[state]
url = "sqlite:///{folder}/state.db"

[sync]
sources = ["{name}"]
target = "console"
retry_wait_seconds = 0

[sync.guards]
max_rejected_percent = 50

[targets.console]
plugin = "directory"

[sources.{name}]
plugin = "{plugin}"
{keys}
"""


def configure(folder: Path, plugin: str, path: Path | str, extra: str = "") -> Path:
    """``folder/config.toml`` syncing one ``plugin`` source (named after it) into a directory."""
    return configure_keys(folder, plugin, f'path = "{path}"\n{extra}')


def configure_keys(folder: Path, plugin: str, keys: str) -> Path:
    """The same with the source's keys as given (TOML lines after ``plugin``)."""
    config = folder / "config.toml"
    config.write_text(CONFIG.format(folder=folder, name=plugin, plugin=plugin, keys=keys))
    return config


def run_json(rostersync: CliRun, config: Path, *args: str) -> Any:
    return json.loads(rostersync(*args, "--json", config=config).stdout)


def shown_groups(rostersync: CliRun, config: Path) -> list[dict[str, Any]]:
    return list(run_json(rostersync, config, "show")["groups"])
