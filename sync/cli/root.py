"""The ``rostersync`` group itself: global options, logging, errors to exit codes.

Logging is configured here (and by the daemon command) and nowhere else.
"""

from __future__ import annotations

import importlib
import logging
import sys
from dataclasses import dataclass
from typing import Any

import click

from sync.cli.exits import EXIT_BUSY, EXIT_CONFIG, EXIT_FAILED, fail
from sync.deferred import DeferredCommand
from sync.errors import ConfigError, RostersyncError, RunInProgressError
from sync.gc_tuning import few_gc_passes
from sync.plugins import PluginSystem, load_plugins
from sync.redact import RedactingFilter


@dataclass(frozen=True)
class LazyCommand:
    """A built-in command known by name, imported from ``module`` when it is used."""

    name: str
    module: str
    attribute: str
    help: str
    """The first sentence of its help, as ``rostersync --help`` lists it."""

    def load(self) -> click.Command:
        command: click.Command = getattr(importlib.import_module(self.module), self.attribute)
        return command


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())


def _database_down(exc: BaseException) -> str | None:
    """The reason, if ``exc`` is SQLAlchemy's "cannot connect" (imported only if in use)."""
    sa = sys.modules.get("sqlalchemy")
    if sa is None or not isinstance(exc, sa.exc.OperationalError):
        return None
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]


class Cli(click.Group):
    """Turns rostersync's own errors into one clear line and an exit code; built-in
    commands are imported when used (``lazy``), plugin commands are added as usual (a
    plugin's ``DeferredCommand`` is imported when used too)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, LazyCommand] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.lazy) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            self.add_command(self.lazy[cmd_name].load())
        command = self.commands.get(cmd_name)
        if isinstance(command, DeferredCommand):  # a plugin's, imported now it is used
            self.commands[cmd_name] = command.load()
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list without importing the commands not loaded yet."""
        limit = formatter.width - 6 - max(len(name) for name in self.list_commands(ctx))
        rows = []
        for name in self.list_commands(ctx):
            command = self.commands.get(name) or click.Command(name, help=self.lazy[name].help)
            if not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with few_gc_passes():
                return super().invoke(ctx)
        except ConfigError as exc:
            fail(str(exc), EXIT_CONFIG)
        except RunInProgressError as exc:
            fail(str(exc), EXIT_BUSY)
        except RostersyncError as exc:
            fail(str(exc), EXIT_FAILED)
        except Exception as exc:
            sa = sys.modules.get("sqlalchemy")
            if sa is not None and isinstance(exc, sa.exc.DatabaseError):
                from sync.storage import database_problem

                problem = database_problem(exc, "([state] url)")  # damaged or full
                if problem is not None:
                    fail(str(problem), EXIT_FAILED)
            reason = _database_down(exc)  # the state database is down or refuses us
            if reason is None:
                raise
            fail(
                f"cannot use the state database ([state] url): {reason}; check that the "
                "database server is running and that the URL, user and password are right",
                EXIT_FAILED,
            )


@click.group(cls=Cli)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar="ROSTERSYNC_CONFIG",
    help="configuration file (default ./config.toml, or $ROSTERSYNC_CONFIG)",
)
@click.option("--sync", "sync_name", help="which sync, when several are configured")
@click.option("-v", "--verbose", count=True, help="more log output (-vv for debug)")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, sync_name: str | None, verbose: int) -> None:
    """Keep a school's groups and access rights in step with its student information system."""
    from sync.app import App

    plugins = ctx.obj if isinstance(ctx.obj, PluginSystem) else load_plugins()
    app = App(config_path=config_path, sync_name=sync_name, plugins=plugins)
    ctx.obj = app
    configure_logging("DEBUG" if verbose > 1 else "INFO" if verbose else "WARNING")
