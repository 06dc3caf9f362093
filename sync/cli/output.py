"""What commands print: JSON, and a run's outcome as text or JSON."""

from __future__ import annotations

import json
from typing import Any

import click

from sync.model import RunStatus
from sync.report import change_lines, describe_counts, issue_counts, issue_dict, issue_lines
from sync.run import RunOutcome


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False))


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
