"""``runs`` and ``runs show``: the history of runs, and one run in full."""

from __future__ import annotations

import sys

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
from sync.store import iso
from sync.terminal import echo
from sync.views import run_page, write_rejected_csv
from sync.web.accounts import recorded_actions


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
@click.option(
    "--rejected",
    "rejected_file",
    type=click.Path(dir_okay=False, writable=True),
    help="write file, line, field, value and message of every rejected row to this CSV "
    "('-' for standard output)",
)
@click.pass_obj
def runs_show(
    app: App, run_id: int, as_json: bool, show_all: bool, rejected_file: str | None
) -> None:
    """One run: its status, changes, retries and every issue found."""
    if rejected_file is not None:
        _write_rejected(app, run_id, rejected_file)
        return
    page = run_page(app.store, run_id, limit=sys.maxsize if as_json or show_all else 50)
    if page is None:
        fail(f"no run {run_id}")
        return
    detail, changes, issues = page.detail, page.changes, page.issues
    s = detail.summary
    actions = recorded_actions(app.config.state_url, run_id)
    zone = sync_zone(app, s.sync)
    if as_json:
        data = s.to_dict()
        data["step"] = detail.step
        data["planned"] = detail.planned
        data["undoes"] = app.store.run_undo_record(run_id).undoes
        data["changes"] = [c.to_dict() for c in changes]
        data["issues"] = [issue_dict(i) for i in issues]
        data["console_actions"] = [
            {"action": a.action, "user": a.user, "at": iso(a.at)} for a in actions
        ]
        echo_json(data)
        return
    echo(f"run {s.id} of sync {s.sync!r}: {s.status.value} ({s.trigger.value})")
    if s.trigger is Trigger.UNDO:
        echo(f"  undoes run {app.store.run_undo_record(run_id).undoes}")
    for action in actions:
        echo(f"  {action.action} by {action.user} in the console, {local_time(action.at, zone)}")
    echo(f"  started {local_time(s.started_at, zone)}, finished {local_time(s.finished_at, zone)}")
    if s.error:
        echo(f"  {s.error}")
    echo(f"  applied: {describe_counts(s.counts)}")
    if s.retries:
        echo(f"  retries: {s.retries}")
    limit = page.matching + len(issues) if show_all else 50
    if changes:
        if s.status is RunStatus.HELD:
            echo(f"held plan (not applied): {describe_counts(detail.planned, future=True)}")
        else:
            echo(f"changes: {describe_counts(s.counts)}")
        echo("\n".join(change_lines(changes, limit)))
        if page.has_more:
            echo(f"  ... and {page.matching - len(changes)} more (use --json for all)")
    if issues:
        errors, warnings = issue_counts(issues)
        echo(f"issues: {plural(errors, 'error')}, {plural(warnings, 'warning')}")
        echo("\n".join(issue_lines(issues, limit)))


def _write_rejected(app: App, run_id: int, path: str) -> None:
    """``runs show ID --rejected FILE.csv``: the console's Download rejected rows, here."""
    if app.store.run(run_id) is None:
        fail(f"no run {run_id}")
        return
    issues = app.store.run_issues(run_id)
    if path == "-":
        write_rejected_csv(issues, sys.stdout)
        return
    try:
        with open(path, "w", newline="", encoding="utf-8-sig") as out:
            count = write_rejected_csv(issues, out)
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror}")
        return
    echo(f"run {run_id}: {count} rejected rows written to {path}")
