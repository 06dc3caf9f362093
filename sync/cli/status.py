"""``status``: each sync's import status, also served by the daemon's endpoint."""

from __future__ import annotations

from typing import Any

import click

from sync.app import App
from sync.cli.output import echo_json
from sync.report import describe_counts
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
