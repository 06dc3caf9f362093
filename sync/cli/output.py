"""What commands print: JSON, and a run's outcome as text or JSON."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import click

from sync.app import App
from sync.model import RunStatus
from sync.report import (
    change_lines,
    describe_counts,
    issue_counts,
    issue_dict,
    issue_lines,
    plural,
)
from sync.terminal import echo

if TYPE_CHECKING:  # the engine is imported by the commands that run it
    from sync.run import RunOutcome


def sync_zone(app: App, sync: str | None) -> ZoneInfo:
    """The time zone a sync's times are shown in: its schedule's (UTC without one)."""
    syncs = app.config.syncs
    config = syncs.get(sync) if sync else (next(iter(syncs.values())) if len(syncs) == 1 else None)
    schedule = config.schedule if config else None
    try:
        return ZoneInfo(schedule.timezone if schedule else "UTC")
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def local_time(value: str | datetime | None, zone: ZoneInfo, empty: str = "-") -> str:
    """A stored (UTC) time in ``zone``, to the second, with its offset: what people read.
    JSON output keeps UTC."""
    if not value:
        return empty
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(zone).isoformat(timespec="seconds")


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
        "undoes": outcome.undoes,
        "held_because": list(outcome.verdict.reasons) if outcome.verdict else [],
        "changes": [c.to_dict() for c in outcome.plan.changes],
        "issues": [issue_dict(i) for i in outcome.issues],
    }


def report_outcome(outcome: RunOutcome, *, dry_run: bool, as_json: bool) -> None:
    """A run's outcome as JSON or text; a plan that could not be made says so first, on
    stderr, so that it never reads as "nothing to do"."""
    if dry_run and outcome.status is RunStatus.FAILED:
        echo(
            f"rostersync: the plan for sync {outcome.sync!r} could not be made: {outcome.error}",
            err=True,
        )
    if as_json:
        echo_json(outcome_dict(outcome))
    else:
        print_outcome(outcome, dry_run=dry_run)


def print_outcome(outcome: RunOutcome, *, dry_run: bool) -> None:
    errors, warnings = issue_counts(outcome.issues)
    if dry_run and outcome.status is RunStatus.FAILED:
        pass  # said on stderr by report_outcome; the issues found on the way follow
    elif dry_run:
        would = describe_counts(outcome.plan.counts(), future=True)
        echo(f"plan for sync {outcome.sync!r} (dry run, nothing changed): {would}")
        echo("\n".join(change_lines(outcome.plan.changes)) or "  nothing to do")
        if outcome.verdict and outcome.verdict.held:
            echo(f"a real run would be HELD: {outcome.verdict.reason}")
    else:
        head = f"run {outcome.run_id} {outcome.status.value}"
        echo(f"{head}: {describe_counts(outcome.applied)}")
        if outcome.undoes is not None:
            echo(f"  undoing run {outcome.undoes}")
        if outcome.retries:
            echo(f"  {outcome.retries} retries")
        if outcome.status is RunStatus.HELD:
            echo(f"  {outcome.error}")
            run = outcome.run_id
            echo(
                f"  nothing was changed; see the plan with 'rostersync runs show {run}', "
                f"then 'rostersync approve {run}' or 'rostersync reject {run}'"
            )
        elif outcome.error:
            echo(f"  {outcome.error}")
    if outcome.issues:
        echo(f"{plural(errors, 'error')}, {plural(warnings, 'warning')}:")
        echo("\n".join(issue_lines(outcome.issues)))
        if outcome.run_id is not None and len(outcome.issues) > 20:
            echo(f"  (all of them: rostersync runs show {outcome.run_id})")
