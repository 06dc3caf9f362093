"""The ``rostersync`` group itself: global options, logging, errors to exit codes.

Logging is configured here (and by the daemon command) and nowhere else.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import click
import sqlalchemy as sa

from sync.app import App
from sync.cli.exits import EXIT_BUSY, EXIT_CONFIG, EXIT_FAILED, fail
from sync.errors import ConfigError, RostersyncError, RunInProgressError
from sync.gc_tuning import few_gc_passes
from sync.plugins import PluginSystem, load_plugins
from sync.redact import RedactingFilter


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())


class Cli(click.Group):
    """Turns rostersync's own errors into one clear line and an exit code."""

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
        except sa.exc.OperationalError as exc:  # the state database is down or refuses us
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
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
    plugins = ctx.obj if isinstance(ctx.obj, PluginSystem) else load_plugins()
    app = App(config_path=config_path, sync_name=sync_name, plugins=plugins)
    ctx.obj = app
    configure_logging("DEBUG" if verbose > 1 else "INFO" if verbose else "WARNING")
