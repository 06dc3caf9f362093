"""``runs`` and ``runs show``: the history of runs, and one run in full."""

from __future__ import annotations

import click

from sync.app import App
from sync.cli.exits import fail
from sync.cli.output import echo_json, local_time, sync_zone
from sync.model import RunStatus, Trigger
from sync.report import (
    change_lines,
    describe_counts,
    issue_counts,
    issue_dict,
    issue_lines,
    plural,
)
from sync.terminal import echo


@click.group("runs", invoke_without_command=True)
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
        echo("no runs yet")
    for d in details:
        s = d.summary
        started = local_time(s.started_at, sync_zone(app, s.sync))
        echo(
            f"#{s.id:<5} {s.status.value:<11} {s.trigger.value:<9} {started}  "
            f"{describe_counts(s.counts)}"
            + (f"  [{plural(s.issues, 'issue')}]" if s.issues else "")
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
        data["undoes"] = app.store.run_undo_record(run_id).undoes
        data["changes"] = [c.to_dict() for c in changes]
        data["issues"] = [issue_dict(i) for i in issues]
        echo_json(data)
        return
    echo(f"run {s.id} of sync {s.sync!r}: {s.status.value} ({s.trigger.value})")
    if s.trigger is Trigger.UNDO:
        echo(f"  undoes run {app.store.run_undo_record(run_id).undoes}")
    zone = sync_zone(app, s.sync)
    echo(f"  started {local_time(s.started_at, zone)}, finished {local_time(s.finished_at, zone)}")
    if s.error:
        echo(f"  {s.error}")
    echo(f"  applied: {describe_counts(s.counts)}")
    if s.retries:
        echo(f"  retries: {s.retries}")
    limit = len(changes) + len(issues) if show_all else 50
    if changes:
        if s.status is RunStatus.HELD:
            echo(f"held plan (not applied): {describe_counts(detail.planned, future=True)}")
        else:
            echo(f"changes: {describe_counts(s.counts)}")
        echo("\n".join(change_lines(changes, limit)))
    if issues:
        errors, warnings = issue_counts(issues)
        echo(f"issues: {plural(errors, 'error')}, {plural(warnings, 'warning')}")
        echo("\n".join(issue_lines(issues, limit)))
