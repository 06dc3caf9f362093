"""The ``directory`` target: groups, members and access rights in the state database."""

from __future__ import annotations

import json
from typing import Any

import click

from plugins.directory.options import DirectoryOptions
from plugins.permissions import PERMISSIONS, explain
from sync.api import (
    CommandContext,
    PluginContext,
    Target,
    TargetState,
    printable,
    staff_access,
)

# plugins.directory.target (SQLAlchemy) is imported when a target or command is used,
# so that listing commands and plugins stays fast.


def open_target(options: DirectoryOptions, context: PluginContext) -> Target:
    from plugins.directory.target import DirectoryTarget

    return DirectoryTarget(options, context)


@click.group("directory")
def directory_cli() -> None:
    """Work on the built-in directory target directly, as an admin would in the console."""


@directory_cli.command("add-group")
@click.argument("name")
@click.option("--member", "members", multiple=True, help="a member to add (repeatable)")
@click.pass_obj
def add_group(context: CommandContext, name: str, members: tuple[str, ...]) -> None:
    """Make a group by hand; syncs never change or delete it."""
    from plugins.directory.target import add_hand_made_group, open_directory

    add_hand_made_group(open_directory(_url(context)), name, name, members)
    click.echo(printable(f"created hand-made group {name!r}"))


def _url(context: CommandContext) -> str:
    """The database of the directory target the chosen sync writes to."""
    table = context.target_table()
    if table.plugin != "directory":
        raise click.UsageError(
            f"sync {context.sync!r} writes to {table.where}, a {table.plugin!r} target; the access "
            "commands answer for the built-in directory target only"
        )
    options = context.plugin_options("target", table.name)
    return context.database(options.url)


@click.group("access")
def access_cli() -> None:
    """What a staff member can see in the directory target, and why."""


@access_cli.command("show")
@click.argument("user")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def access_show(context: CommandContext, user: str, as_json: bool) -> None:
    """USER's user group, permissions (each with its reason), groups and blocked children."""
    from plugins.directory.target import open_directory, read_state

    state = read_state(open_directory(_url(context)), context.sync)
    profile = state.roster.profiles.get(user)
    access = staff_access(state, user)  # what the console's staff page shows too
    blocked = access.blocked
    data: dict[str, Any] = {
        **access.to_dict(),
        "permissions": {
            p: {"meaning": PERMISSIONS.get(p, ""), "reason": explain(p, profile)}
            for p in access.permissions
        }
        if profile
        else {},
    }
    if profile is None and not access.groups and not blocked and not _is_member(state, user):
        click.echo(
            printable(
                f"rostersync: unknown user {user!r}: the directory has no user group, access, "
                "membership or block for them (user ids are case-sensitive)"
            ),
            err=True,
        )
        raise SystemExit(1)
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    if profile is None:
        click.echo(printable(f"{user}: no user group in the directory (no permissions)"))
    else:
        click.echo(printable(f"{user}: user group {profile.user_group!r}"))
        if not profile.permissions:
            click.echo(printable(f"  no permissions ({profile.reason})"))
        for name, info in data["permissions"].items():
            click.echo(printable(f"  {name}: {info['meaning']} -- {info['reason']}"))
    for entry in data["groups"]:
        hidden = f", {entry['hidden']} blocked child hidden" if entry["hidden"] else ""
        click.echo(
            printable(f"  sees group {entry['name']!r}: {len(entry['visible'])} members{hidden}")
        )
    if not data["groups"]:
        click.echo(printable("  is not given access to any group"))
    for student, reason in sorted(blocked.items()):
        click.echo(printable(f"  blocked: {student}" + (f" ({reason})" if reason else "")))


def _is_member(state: TargetState, user: str) -> bool:
    return any(m.person == user for m in state.roster.memberships)


@access_cli.command("check")
@click.argument("staff")
@click.argument("student")
@click.pass_obj
def access_check(context: CommandContext, staff: str, student: str) -> None:
    """Can STAFF see STUDENT? Prints yes or no and why; exit code 0 for yes, 1 for no."""
    from plugins.directory.target import can_see, open_directory

    answer = can_see(open_directory(_url(context)), staff, student)
    click.echo(printable(f"{'yes' if answer.allowed else 'no'}: {answer.reason}"))
    if not answer.allowed:
        raise SystemExit(1)
