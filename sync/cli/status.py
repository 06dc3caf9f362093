"""``status``: each sync's import status, also served by the daemon's endpoint."""

from __future__ import annotations

from typing import Any

import click

from sync.app import App
from sync.cli.output import echo_json, local_time, sync_zone
from sync.report import describe_counts, plural
from sync.terminal import echo
from sync.views import sync_status


def status_dict(app: App, sync: str) -> dict[str, Any]:
    """One sync's status (``sync.views.sync_status``, which the console shows too)."""
    return sync_status(app.store, sync)


def status_report(app: App) -> Any:
    """What ``rostersync status --json`` prints: one sync's status, or a list of them."""
    names = [app.sync] if app.sync_name or len(app.config.syncs) == 1 else list(app.config.syncs)
    reports = [status_dict(app, name) for name in names]
    return reports[0] if len(reports) == 1 else reports


@click.command("status")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def status_command(app: App, as_json: bool) -> None:
    """The import status: running / ok / failed / held, and the last import time."""
    report_or_list = status_report(app)
    if as_json:
        echo_json(report_or_list)
        return
    reports = report_or_list if isinstance(report_or_list, list) else [report_or_list]
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
