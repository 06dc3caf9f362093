"""``sync`` and ``plan``: run a sync now, or print what it would change."""

from __future__ import annotations

import signal
import sys
import threading

import click

from sync.app import App
from sync.cli.exits import EXIT_REJECTED, outcome_exit
from sync.cli.output import report_outcome
from sync.daemon import run_when_free
from sync.model import Trigger
from sync.run import RunRequest
from sync.terminal import echo


@click.command("sync")
@click.option("--dry-run", is_flag=True, help="print the plan and change nothing")
@click.option("--allow-deletes", is_flag=True, help="apply removals over the guards' limits, once")
@click.option(
    "--compare-all",
    is_flag=True,
    help="read and compare every member, not only groups whose digests differ",
)
@click.option("--json", "as_json", is_flag=True, help="print the result as JSON")
@click.option("--wait", is_flag=True, help="if another run is in progress, wait for it to end")
@click.option("--timeout", default=3600.0, show_default=True, help="seconds --wait waits at most")
@click.option(
    "--strict",
    is_flag=True,
    help=f"exit {EXIT_REJECTED} when input rows were rejected (as [sync] fail_on_rejected)",
)
@click.pass_obj
def sync_command(
    app: App,
    dry_run: bool,
    allow_deletes: bool,
    compare_all: bool,
    as_json: bool,
    wait: bool,
    timeout: float,
    strict: bool,
) -> None:
    """Run the sync now."""
    show_progress = sys.stderr.isatty() and not as_json
    stop = threading.Event()
    # SIGTERM (systemd stopping a timer-driven sync) finishes the batch in flight.
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, lambda n, f: stop.set()) if in_main else None
    request = RunRequest(
        trigger=Trigger.MANUAL,
        dry_run=dry_run,
        allow_deletes=allow_deletes,
        compare_all=compare_all,
        stop=stop,
        progress=(lambda m: echo(f"... {m}", err=True)) if show_progress else (lambda m: None),
    )
    try:
        if wait:
            notice = lambda m: echo(f"rostersync: {m}", err=True)  # noqa: E731
            outcome = run_when_free(
                app.engine, app.sync_name, request, timeout=timeout, notice=notice
            )
        else:
            outcome = app.engine.run(app.sync_name, request)
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)
    report_outcome(outcome, dry_run=dry_run, as_json=as_json)
    strict = strict or app.config.sync(app.sync_name)[1].fail_on_rejected
    sys.exit(outcome_exit(outcome, strict=strict))


@click.command("plan")
@click.option("--json", "as_json", is_flag=True, help="every change as JSON")
@click.pass_obj
def plan_command(app: App, as_json: bool) -> None:
    """Print what a sync would change; nothing is written."""
    outcome = app.engine.run(app.sync_name, RunRequest(dry_run=True))
    report_outcome(outcome, dry_run=True, as_json=as_json)
    sys.exit(outcome_exit(outcome))
