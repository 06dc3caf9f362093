"""``undo RUN``: take back exactly what one run applied, as a new run."""

from __future__ import annotations

import sys

import click

from sync.app import App
from sync.cli.exits import EXIT_FAILED, EXIT_OK, outcome_exit
from sync.cli.output import echo_json, outcome_dict, print_outcome
from sync.model import RunStatus
from sync.report import change_lines, describe_counts, issue_lines, plural
from sync.run import RunRequest
from sync.terminal import echo


@click.command("undo")
@click.argument("run_id", type=int)
@click.option("--yes", is_flag=True, help="apply without asking")
@click.option("--allow-deletes", is_flag=True, help="apply removals over the guards' limits, once")
@click.option("--json", "as_json", is_flag=True, help="print the result as JSON (needs --yes)")
@click.pass_obj
def undo_command(app: App, run_id: int, yes: bool, allow_deletes: bool, as_json: bool) -> None:
    """Take back the changes run RUN_ID applied (what changed since is skipped), as a new
    run with trigger 'undo'. Undoing an undo redoes."""
    preview = app.engine.undo(run_id, RunRequest(dry_run=True, allow_deletes=allow_deletes))
    if preview.status is RunStatus.FAILED:
        echo(f"rostersync: run {run_id} cannot be undone: {preview.error}", err=True)
        sys.exit(EXIT_FAILED)
    if not as_json:
        changes = preview.plan.changes
        echo(f"undo of run {run_id} would {describe_counts(preview.plan.counts(), future=True)}")
        echo("\n".join(change_lines(changes)) or "  nothing to undo")
        if preview.issues:
            echo(f"{plural(len(preview.issues), 'change')} skipped:")
            echo("\n".join(issue_lines(preview.issues)))
        if preview.verdict and preview.verdict.held:
            echo(f"a safety guard would HOLD it: {preview.verdict.reason}")
        if not changes:
            sys.exit(EXIT_OK)
    if not yes and not click.confirm("apply this undo now?", default=False):
        echo("nothing changed")
        sys.exit(EXIT_FAILED)
    outcome = app.engine.undo(run_id, RunRequest(allow_deletes=allow_deletes))
    if as_json:
        echo_json(outcome_dict(outcome))
    else:
        print_outcome(outcome, dry_run=False)
    sys.exit(outcome_exit(outcome))
