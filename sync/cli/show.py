"""``show``: the target's groups, their members and who has access."""

from __future__ import annotations

import click

from sync.app import App
from sync.cli.output import echo_json
from sync.report import target_groups


@click.command("show")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def show_command(app: App, as_json: bool) -> None:
    """The target's groups, their members and who has access."""
    target = app.engine.open_target(app.sync)
    try:
        groups = target_groups(target.read())
    finally:
        target.close()
    if as_json:
        echo_json({"groups": groups})
        return
    if not groups:
        click.echo("the target has no groups")
    for group in groups:
        flag = "managed" if group["managed"] else "hand-made, not touched by syncs"
        click.echo(f"{group['name']}  ({flag})")
        click.echo(f"  members: {', '.join(group['members']) or '-'}")
        click.echo(f"  access:  {', '.join(group['access']) or '-'}")
