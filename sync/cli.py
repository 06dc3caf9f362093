"""The ``rostersync`` command line. Logging is configured here and nowhere else.

Exit codes: 0 ok, 1 failed, 2 bad configuration or usage, 3 partial (some changes
rejected), 4 held (a safety guard stopped the plan), 5 another run is in progress,
6 interrupted.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

import click
import sqlalchemy as sa

from sync.app import App
from sync.contract import SourceType, TargetType
from sync.daemon import run_when_free
from sync.engine import RunOutcome, RunRequest
from sync.errors import ConfigError, RostersyncError, RunInProgressError
from sync.model import RunStatus, Trigger
from sync.plugins import PluginSystem, load_plugins
from sync.redact import RedactingFilter, redact
from sync.report import (
    change_lines,
    describe_counts,
    issue_counts,
    issue_dict,
    issue_lines,
    target_groups,
)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2
EXIT_PARTIAL = 3
EXIT_HELD = 4
EXIT_BUSY = 5
EXIT_INTERRUPTED = 6

STATUS_EXIT = {
    RunStatus.OK: EXIT_OK,
    RunStatus.FAILED: EXIT_FAILED,
    RunStatus.PARTIAL: EXIT_PARTIAL,
    RunStatus.HELD: EXIT_HELD,
    RunStatus.INTERRUPTED: EXIT_INTERRUPTED,
    RunStatus.REJECTED: EXIT_FAILED,
    RunStatus.APPROVED: EXIT_OK,
    RunStatus.RUNNING: EXIT_FAILED,
}


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False))


def fail(message: str, code: int = EXIT_FAILED) -> None:
    click.echo(f"rostersync: {redact(message)}", err=True)
    sys.exit(code)


class Cli(click.Group):
    """Turns rostersync's own errors into one clear line and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
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


def outcome_dict(outcome: RunOutcome) -> dict[str, Any]:
    return {
        "run_id": outcome.run_id,
        "sync": outcome.sync,
        "status": outcome.status.value,
        "error": outcome.error,
        "planned": outcome.plan.counts(),
        "applied": outcome.applied,
        "failed": outcome.failed,
        "retries": outcome.retries,
        "held_because": list(outcome.verdict.reasons) if outcome.verdict else [],
        "changes": [c.to_dict() for c in outcome.plan.changes],
        "issues": [issue_dict(i) for i in outcome.issues],
    }


def print_outcome(outcome: RunOutcome, *, dry_run: bool) -> None:
    errors, warnings = issue_counts(outcome.issues)
    if dry_run:
        would = describe_counts(outcome.plan.counts(), future=True)
        click.echo(f"plan for sync {outcome.sync!r} (dry run, nothing changed): {would}")
        click.echo("\n".join(change_lines(outcome.plan.changes)) or "  nothing to do")
        if outcome.verdict and outcome.verdict.held:
            click.echo(f"a real run would be HELD: {outcome.verdict.reason}")
    else:
        head = f"run {outcome.run_id} {outcome.status.value}"
        click.echo(f"{head}: {describe_counts(outcome.applied)}")
        if outcome.retries:
            click.echo(f"  {outcome.retries} retries")
        if outcome.status is RunStatus.HELD:
            click.echo(f"  {outcome.error}")
            run = outcome.run_id
            click.echo(
                f"  nothing was changed; see the plan with 'rostersync runs show {run}', "
                f"then 'rostersync approve {run}' or 'rostersync reject {run}'"
            )
        elif outcome.error:
            click.echo(f"  {outcome.error}")
    if outcome.issues:
        click.echo(f"{errors} errors, {warnings} warnings:")
        click.echo("\n".join(issue_lines(outcome.issues)))
        if outcome.run_id is not None and len(outcome.issues) > 20:
            click.echo(f"  (all of them: rostersync runs show {outcome.run_id})")


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


@cli.command("sync")
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
@click.pass_obj
def sync_command(
    app: App,
    dry_run: bool,
    allow_deletes: bool,
    compare_all: bool,
    as_json: bool,
    wait: bool,
    timeout: float,
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
        progress=(lambda m: click.echo(f"... {m}", err=True))
        if show_progress
        else (lambda m: None),
    )
    try:
        if wait:
            notice = lambda m: click.echo(f"rostersync: {m}", err=True)  # noqa: E731
            outcome = run_when_free(
                app.engine, app.sync_name, request, timeout=timeout, notice=notice
            )
        else:
            outcome = app.engine.run(app.sync_name, request)
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)
    if as_json:
        echo_json(outcome_dict(outcome))
    else:
        print_outcome(outcome, dry_run=dry_run)
    if dry_run:
        sys.exit(EXIT_FAILED if outcome.status is RunStatus.FAILED else EXIT_OK)
    sys.exit(STATUS_EXIT[outcome.status])


@cli.command("plan")
@click.option("--json", "as_json", is_flag=True, help="every change as JSON")
@click.pass_obj
def plan_command(app: App, as_json: bool) -> None:
    """Print what a sync would change; nothing is written."""
    outcome = app.engine.run(app.sync_name, RunRequest(dry_run=True))
    if as_json:
        echo_json(outcome_dict(outcome))
    else:
        print_outcome(outcome, dry_run=True)
    sys.exit(EXIT_FAILED if outcome.status is RunStatus.FAILED else EXIT_OK)


def status_dict(app: App, sync: str) -> dict[str, Any]:
    store = app.store
    last = store.last_run(sync)
    success = store.last_success(sync)
    pause = store.pause_state(sync)
    state = last.summary.status.value if last else "never run"
    return {
        "sync": sync,
        "state": state,
        "step": last.step if last and last.summary.status is RunStatus.RUNNING else "",
        "last_run": last.summary.to_dict() if last else None,
        "last_import_at": success.summary.finished_at if success else None,
        "paused": pause.active(),
        "paused_until": pause.until.isoformat() if pause.active() and pause.until else None,
        "pause_reason": pause.reason if pause.active() else "",
    }


@cli.command("status")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def status_command(app: App, as_json: bool) -> None:
    """The import status: running / ok / failed / held, and the last import time."""
    names = [app.sync] if app.sync_name or len(app.config.syncs) == 1 else list(app.config.syncs)
    reports = [status_dict(app, name) for name in names]
    if as_json:
        echo_json(reports[0] if len(reports) == 1 else reports)
        return
    for report in reports:
        state = report["state"].upper()
        if report["step"]:
            state += f" ({report['step']})"
        click.echo(f"sync {report['sync']}: {state}")
        last = report["last_run"]
        if last:
            when = last["finished_at"] or f"started {last['started_at']}"
            click.echo(f"  last run:    #{last['id']} {last['status']} ({last['trigger']}) {when}")
            if last["error"]:
                click.echo(f"  error:       {last['error']}")
            click.echo(f"  changes:     {describe_counts(last['counts'])}")
        click.echo(f"  last import: {report['last_import_at'] or 'never'}")
        if report["paused"]:
            until = report["paused_until"] or "resumed by hand"
            click.echo(f"  PAUSED until {until}: scheduled syncs do not run")


@cli.command("show")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def show_command(app: App, as_json: bool) -> None:
    """The target's groups, their members and who has access."""
    target = app.engine.open_target(app.sync)
    try:
        groups = target_groups(target.read())
    finally:
        target.close()
    if as_json:
        echo_json({"groups": groups})
        return
    if not groups:
        click.echo("the target has no groups")
    for group in groups:
        flag = "managed" if group["managed"] else "hand-made, not touched by syncs"
        click.echo(f"{group['name']}  ({flag})")
        click.echo(f"  members: {', '.join(group['members']) or '-'}")
        click.echo(f"  access:  {', '.join(group['access']) or '-'}")


@cli.group("runs", invoke_without_command=True)
@click.option("--limit", default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def runs_command(ctx: click.Context, limit: int, as_json: bool) -> None:
    """The history of runs; 'runs show ID' for one."""
    if ctx.invoked_subcommand is not None:
        return
    app: App = ctx.obj
    sync = app.sync_name if app.sync_name else None
    details = app.store.runs(sync, limit=limit)
    if as_json:
        echo_json([d.summary.to_dict() for d in details])
        return
    if not details:
        click.echo("no runs yet")
    for d in details:
        s = d.summary
        click.echo(
            f"#{s.id:<5} {s.status.value:<11} {s.trigger.value:<9} {s.started_at}  "
            f"{describe_counts(s.counts)}" + (f"  [{s.issues} issues]" if s.issues else "")
        )


@runs_command.command("show")
@click.argument("run_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.option("--all", "show_all", is_flag=True, help="every change and issue, not the first 50")
@click.pass_obj
def runs_show(app: App, run_id: int, as_json: bool, show_all: bool) -> None:
    """One run: its status, changes, retries and every issue found."""
    detail = app.store.run(run_id)
    if detail is None:
        fail(f"no run {run_id}")
        return
    changes = app.store.run_changes(run_id)
    issues = app.store.run_issues(run_id)
    s = detail.summary
    if as_json:
        data = s.to_dict()
        data["step"] = detail.step
        data["planned"] = detail.planned
        data["changes"] = [c.to_dict() for c in changes]
        data["issues"] = [issue_dict(i) for i in issues]
        echo_json(data)
        return
    click.echo(f"run {s.id} of sync {s.sync!r}: {s.status.value} ({s.trigger.value})")
    click.echo(f"  started {s.started_at}, finished {s.finished_at or '-'}")
    if s.error:
        click.echo(f"  {s.error}")
    click.echo(f"  applied: {describe_counts(s.counts)}")
    if s.retries:
        click.echo(f"  retries: {s.retries}")
    limit = len(changes) + len(issues) if show_all else 50
    if changes:
        if s.status is RunStatus.HELD:
            click.echo(f"held plan (not applied): {describe_counts(detail.planned, future=True)}")
        else:
            click.echo(f"changes: {describe_counts(s.counts)}")
        click.echo("\n".join(change_lines(changes, limit)))
    if issues:
        errors, warnings = issue_counts(issues)
        click.echo(f"issues: {errors} errors, {warnings} warnings")
        click.echo("\n".join(issue_lines(issues, limit)))


@cli.command("approve")
@click.argument("run_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def approve_command(app: App, run_id: int, as_json: bool) -> None:
    """Apply exactly the plan a held run keeps (re-plans if the target changed since)."""
    outcome = app.engine.approve(run_id)
    if as_json:
        echo_json(outcome_dict(outcome))
    else:
        if outcome.approved_run is not None:
            click.echo(f"applying the plan held by run {run_id}")
        print_outcome(outcome, dry_run=False)
    sys.exit(STATUS_EXIT[outcome.status])


@cli.command("reject")
@click.argument("run_id", type=int)
@click.pass_obj
def reject_command(app: App, run_id: int) -> None:
    """Drop the plan a held run keeps; nothing is applied."""
    app.engine.reject(run_id)
    click.echo(f"run {run_id}: plan rejected, nothing applied")


@cli.command("plugins")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def plugins_command(app: App, as_json: bool) -> None:
    """Installed sources and targets, and where each came from."""
    system = app.plugins
    kinds: list[tuple[str, Sequence[SourceType[Any] | TargetType[Any]]]] = [
        ("source", list(system.sources.values())),
        ("target", list(system.targets.values())),
    ]
    rows = [
        {
            "kind": kind,
            "name": item.name,
            "origin": system.origins[f"{kind}:{item.name}"],
            "description": item.description,
        }
        for kind, items in kinds
        for item in sorted(items, key=lambda i: i.name)
    ]
    if as_json:
        echo_json(rows + [f.row() for f in system.failures])
        return
    for row in rows:
        click.echo(f"{row['kind']:<7} {row['name']:<14} {row['origin']:<24} {row['description']}")
    for failure in system.failures:
        click.echo(f"failed  {failure}")


def make_cli(plugins: PluginSystem | None = None) -> click.Group:
    """The command line with every plugin's commands added (``register_commands``)."""
    plugins = plugins or load_plugins()
    plugins.add_commands(cli)
    cli.context_settings["obj"] = plugins
    return cli


def main() -> None:
    make_cli().main(prog_name="rostersync")


from sync import daemon_cli  # noqa: E402, F401 -- adds daemon, reload, pause, resume
