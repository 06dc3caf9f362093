"""``status``: each sync's import status, also served by the daemon's endpoint."""

from __future__ import annotations

from typing import Any

import click

from sync.app import App
from sync.cli.output import echo_json, local_time, sync_zone
from sync.model import RunStatus
from sync.public_status import public_status
from sync.report import describe_counts, plural
from sync.terminal import echo


def status_dict(app: App, sync: str) -> dict[str, Any]:
    store = app.store
    last = store.last_run(sync)
    success = store.last_success(sync)
    pause = store.pause_state(sync)
    state = last.summary.status.value if last else "never run"
    rejected = store.rejected_rows(last.summary.id) if last and last.summary.issues else 0
    return {
        "sync": sync,
        "state": state,
        "step": last.step if last and last.summary.status is RunStatus.RUNNING else "",
        "last_run": last.summary.to_dict() if last else None,
        "last_import_at": success.summary.finished_at if success else None,
        "paused": pause.active(),
        "paused_until": pause.until.isoformat() if pause.active() and pause.until else None,
        "pause_reason": pause.reason if pause.active() else "",
        "rejected_rows": rejected,
    }


def status_report(app: App) -> Any:
    """What ``rostersync status --json`` prints: one sync's status, or a list of them."""
    names = [app.sync] if app.sync_name or len(app.config.syncs) == 1 else list(app.config.syncs)
    reports = [status_dict(app, name) for name in names]
    return reports[0] if len(reports) == 1 else reports


def public_status_report(app: App) -> Any:
    """``status_report`` for the open ``/status`` endpoint: counts and statuses only."""
    report = status_report(app)
    if isinstance(report, list):
        return [public_status(r) for r in report]
    return public_status(report)


@click.command("status")
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
        zone = sync_zone(app, report["sync"])
        state = report["state"].upper()
        last = report["last_run"]
        if report["step"]:
            state += f" ({report['step']})"
        if report["rejected_rows"]:
            rows = plural(report["rejected_rows"], "row")
            state += f", {rows} rejected (rostersync runs show {last['id']})"
        echo(f"sync {report['sync']}: {state}")
        if last:
            when = (
                local_time(last["finished_at"], zone)
                if last["finished_at"]
                else f"started {local_time(last['started_at'], zone)}"
            )
            echo(f"  last run:    #{last['id']} {last['status']} ({last['trigger']}) {when}")
            if last["error"]:
                echo(f"  error:       {last['error']}")
            echo(f"  changes:     {describe_counts(last['counts'])}")
        echo(f"  last import: {local_time(report['last_import_at'], zone, 'never')}")
        if report["paused"]:
            until = local_time(report["paused_until"], zone, "resumed by hand")
            echo(f"  PAUSED until {until}: scheduled syncs do not run")
            if report["pause_reason"]:
                echo(f"  pause reason: {report['pause_reason']}")
