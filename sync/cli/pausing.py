"""``pause`` and ``resume``: stop and restart a sync's scheduled runs."""

from __future__ import annotations

from datetime import datetime

import click

from sync import views
from sync.app import App
from sync.cli.output import local_time, sync_zone
from sync.store import Pause
from sync.terminal import echo


def parse_until(text: str, zone: str) -> datetime:
    """An ISO date or date-time; without an offset it is read in ``zone``
    (``sync.views.parse_until``, which the console's pause form uses too)."""
    try:
        return views.parse_until(text, zone)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--until") from None


def describe_pause(pause: Pause) -> str:
    """``until 2026-09-01T00:00:00+01:00 (reason: summer)``, for the pause replaced."""
    when = f"until {pause.until.isoformat()}" if pause.until else "until resumed"
    return when + (f" (reason: {pause.reason})" if pause.reason else " (no reason given)")


@click.command("pause")
@click.option("--until", "until_text", help="resume by itself then (e.g. 2026-09-01)")
@click.option("--reason", default="", help="shown by 'rostersync status'")
@click.pass_obj
def pause_command(app: App, until_text: str | None, reason: str) -> None:
    """Stop scheduled runs (all syncs, or --sync NAME); 'rostersync sync' still works."""
    names = [app.sync] if app.sync_name else list(app.config.syncs)
    for name in names:
        zone = views.schedule_zone(app.config, name)
        until = parse_until(until_text, zone) if until_text else None
        before = app.store.pause_state(name)
        app.store.pause(name, until, reason)
        shown = local_time(until, sync_zone(app, name)) if until else ""
        when = f"until {shown}" if until else "until 'rostersync resume'"
        echo(f"sync {name}: scheduled runs paused {when}; 'rostersync sync' still works")
        if before.active():
            echo(f"  this replaces the earlier pause {describe_pause(before)}")


@click.command("resume")
@click.pass_obj
def resume_command(app: App) -> None:
    """Let scheduled runs go on again (all syncs, or --sync NAME)."""
    names = [app.sync] if app.sync_name else list(app.config.syncs)
    for name in names:
        app.store.resume(name)
        echo(f"sync {name}: scheduled runs resumed")
