"""``approve`` and ``reject``: decide what a held run's plan becomes."""

from __future__ import annotations

import sys

import click

from sync.app import App
from sync.cli.exits import STATUS_EXIT
from sync.cli.output import echo_json, outcome_dict, print_outcome
from sync.terminal import echo


@click.command("approve")
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
            echo(f"applying the plan held by run {run_id}")
        print_outcome(outcome, dry_run=False)
    sys.exit(STATUS_EXIT[outcome.status])


@click.command("reject")
@click.argument("run_id", type=int)
@click.pass_obj
def reject_command(app: App, run_id: int) -> None:
    """Drop the plan a held run keeps; nothing is applied."""
    app.engine.reject(run_id)
    echo(f"run {run_id}: plan rejected, nothing applied")
