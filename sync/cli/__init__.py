"""The ``rostersync`` command line: the root group and, registered explicitly, one
module's commands per command group.

Exit codes (``sync.cli.exits``): 0 ok, 1 failed, 2 bad configuration or usage, 3 partial
(some changes rejected), 4 held (a safety guard stopped the plan), 5 another run is in
progress, 6 interrupted.
"""

from __future__ import annotations

import click

from sync.cli.approval import approve_command, reject_command
from sync.cli.daemon import daemon_command, reload_command
from sync.cli.pausing import pause_command, resume_command
from sync.cli.plugins import plugins_command
from sync.cli.root import cli, configure_logging
from sync.cli.running import plan_command, sync_command
from sync.cli.runs import runs_command
from sync.cli.show import show_command
from sync.cli.status import status_command
from sync.cli.web import web_command
from sync.plugins import PluginSystem, load_plugins

COMMANDS: tuple[click.Command, ...] = (
    sync_command,
    plan_command,
    status_command,
    show_command,
    runs_command,
    approve_command,
    reject_command,
    plugins_command,
    daemon_command,
    reload_command,
    pause_command,
    resume_command,
    web_command,
)
for _command in COMMANDS:
    cli.add_command(_command)


def make_cli(plugins: PluginSystem | None = None) -> click.Group:
    """The command line with every plugin's commands added (``register_commands``)."""
    plugins = plugins or load_plugins()
    plugins.add_commands(cli)  # each plugin on its own; a name taken is refused
    cli.context_settings["obj"] = plugins
    return cli


def main() -> None:
    make_cli().main(prog_name="rostersync")


__all__ = ["COMMANDS", "cli", "configure_logging", "main", "make_cli"]
