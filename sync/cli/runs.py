"""``runs`` and ``runs show``: the history of runs, and one run in full."""

from __future__ import annotations

import click

from sync.app import App
from sync.cli.exits import fail
from sync.cli.output import echo_json
from sync.model import RunStatus
from sync.report import change_lines, describe_counts, issue_counts, issue_dict, issue_lines


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
