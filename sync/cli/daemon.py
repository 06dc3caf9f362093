"""``daemon`` and ``reload``: run the scheduled syncs, and re-read their configuration."""

from __future__ import annotations

import logging
import os
import signal
import sys

import click

from sync.app import App
from sync.cli.root import configure_logging
from sync.config import config_path, load_config
from sync.daemon import Daemon, pid_file_path, read_pid_file, signal_daemon, write_pid_file
from sync.schedule import scheduled_triggers
from sync.terminal import echo
from sync.web import ConsoleServer, create_app

log = logging.getLogger(__name__)


def console_server(daemon: Daemon) -> ConsoleServer:
    """The console for ``[web] enabled`` (or the deprecated ``[http]``), answering from
    the daemon's current configuration; ``/healthz`` says whether the scheduler runs."""
    web = daemon.app.config.web
    if "web" not in daemon.app.config.raw and daemon.app.config.http.enabled:
        log.warning("[http] is deprecated: serving the console as [web]; rename the table")
    asgi = create_app(lambda: daemon.app, web=web, healthy=lambda: daemon.scheduler.running)
    return ConsoleServer(asgi, web)


def _log_level(configured: str) -> str:
    """The config's log_level, unless -v on the command line asked for more."""
    current = logging.getLogger().level
    wanted = logging.getLevelName(configured.upper())
    if not isinstance(wanted, int):
        return "INFO"
    return logging.getLevelName(min(current, wanted))


@click.command("daemon")
@click.option(
    "--pid-file",
    type=click.Path(dir_okay=False),
    help="where to write the daemon's process id, for 'rostersync reload' "
    "(default $ROSTERSYNC_PID_FILE, else rostersync.pid beside the configuration)",
)
@click.pass_obj
def daemon_command(app: App, pid_file: str | None) -> None:
    """Run the scheduled syncs until stopped. SIGTERM lets the batch in flight finish;
    SIGHUP (or 'rostersync reload') re-reads the configuration."""
    configure_logging(_log_level(app.config.log_level))
    for chatty in ("alembic", "apscheduler.executors"):  # a line per run each, at INFO
        logging.getLogger(chatty).setLevel(logging.WARNING)

    def load() -> App:
        return App(config_path=app.config_path, sync_name=app.sync_name, plugins=app.plugins)

    daemon = Daemon(load, only=app.sync_name)
    path = pid_file_path(pid_file, app.config.path)
    write_pid_file(path)
    server: ConsoleServer | None = None
    try:
        daemon.install_signal_handlers()
        if daemon.app.config.web.enabled:
            server = console_server(daemon)
            server.start()
        code = daemon.serve()
    finally:
        if server is not None:
            server.close()
        try:
            if read_pid_file(path) == os.getpid():
                path.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("could not remove %s: %s", path, exc.strerror)
    sys.exit(code)


@click.command("reload")
@click.option(
    "--pid-file",
    type=click.Path(dir_okay=False),
    help="the daemon's pid file (default $ROSTERSYNC_PID_FILE, else beside the configuration)",
)
@click.pass_obj
def reload_command(app: App, pid_file: str | None) -> None:
    """Ask the running daemon to re-read the configuration (it is checked here first)."""
    path = config_path(app.config_path)
    config = load_config(path)  # a ConfigError here exits 2 and the daemon is not disturbed
    scheduled_triggers(config)
    pid = signal_daemon(pid_file_path(pid_file, config.path), signal.SIGHUP)
    echo(f"asked the daemon (pid {pid}) to re-read {config.path}")
