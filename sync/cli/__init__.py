"""The ``rostersync`` command line: the root group and, registered explicitly, one
module's commands per command group.

Each built-in command's module is imported only when that command runs (``LAZY``), so
``--help`` and ``plugins`` do not pay for SQLAlchemy, Alembic or APScheduler.

Exit codes (``sync.cli.exits``): 0 ok, 1 failed, 2 bad configuration or usage, 3 partial
(some changes rejected), 4 held (a safety guard stopped the plan), 5 another run is in
progress, 6 interrupted, 7 ok but input rows rejected (``sync --strict``).
"""

from __future__ import annotations

import click

from sync.cli.root import LazyCommand, cli, configure_logging
from sync.gc_tuning import exiting_process
from sync.plugins import PluginSystem, load_plugins
from sync.storage import dispose_all

#: Every built-in command: its module and attribute, and the line ``--help`` shows.
LAZY: tuple[LazyCommand, ...] = (
    LazyCommand(
        "sync",
        "sync.cli.running",
        "sync_command",
        "Run the sync now.",
    ),
    LazyCommand(
        "plan",
        "sync.cli.running",
        "plan_command",
        "Print what a sync would change; nothing is written.",
    ),
    LazyCommand(
        "status",
        "sync.cli.status",
        "status_command",
        "The import status: running / ok / failed / held, and the last import time.",
    ),
    LazyCommand(
        "show",
        "sync.cli.show",
        "show_command",
        "The target's groups, their members and who has access (GROUP: only that group).",
    ),
    LazyCommand(
        "runs",
        "sync.cli.runs",
        "runs_command",
        "The history of runs; 'runs show ID' for one.",
    ),
    LazyCommand(
        "approve",
        "sync.cli.approval",
        "approve_command",
        "Apply exactly the plan a held run keeps (re-plans if the target changed since).",
    ),
    LazyCommand(
        "reject",
        "sync.cli.approval",
        "reject_command",
        "Drop the plan a held run keeps; nothing is applied.",
    ),
    LazyCommand(
        "undo",
        "sync.cli.undo",
        "undo_command",
        "Take back the changes run RUN_ID applied (what changed since is skipped), as a new "
        "run with trigger 'undo'.",
    ),
    LazyCommand(
        "plugins",
        "sync.cli.plugins",
        "plugins_command",
        "Installed sources, targets and console pages, and where each came from.",
    ),
    LazyCommand(
        "daemon",
        "sync.cli.daemon",
        "daemon_command",
        "Run the scheduled syncs until stopped.",
    ),
    LazyCommand(
        "reload",
        "sync.cli.daemon",
        "reload_command",
        "Ask the running daemon to re-read the configuration (it is checked here first).",
    ),
    LazyCommand(
        "pause",
        "sync.cli.pausing",
        "pause_command",
        "Stop scheduled runs (all syncs, or --sync NAME); 'rostersync sync' still works.",
    ),
    LazyCommand(
        "resume",
        "sync.cli.pausing",
        "resume_command",
        "Let scheduled runs go on again (all syncs, or --sync NAME).",
    ),
    LazyCommand(
        "web",
        "sync.cli.web",
        "web_command",
        "Serve the admin console until Ctrl-C (http://127.0.0.1:8787/ by default).",
    ),
)
for _command in LAZY:
    cli.lazy[_command.name] = _command


def make_cli(plugins: PluginSystem | None = None) -> click.Group:
    """The command line with every plugin's commands added (``register_commands``)."""
    plugins = plugins or load_plugins()
    plugins.add_commands(cli)  # each plugin on its own; a name taken is refused
    cli.context_settings["obj"] = plugins
    return cli


def main() -> None:
    """``rostersync``: the command line, in a process of its own."""
    with exiting_process():
        try:
            make_cli().main(prog_name="rostersync")
        finally:
            dispose_all()  # closed now: the exit collects no cycles (``exiting_process``)


__all__ = ["LAZY", "cli", "configure_logging", "main", "make_cli"]
