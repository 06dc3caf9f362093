"""``show``: the target's groups, their members and who has access, people by name.

Names come from what the sync's sources say now (``Engine.known``); a target keeps ids.
A big target is summarised unless ``--all``, a group or ``--person`` is asked for.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

import click

from sync.app import App
from sync.cli.exits import fail
from sync.cli.output import echo_json
from sync.errors import RostersyncError
from sync.people_names import labelled, person_names
from sync.report import plural, target_groups
from sync.terminal import echo

#: Above this many groups, ``show`` prints counts unless asked for the list.
SUMMARY_OVER = 100


def known_names(app: App) -> dict[str, str]:
    """Each known person's name ("Harry Potter"), from the sync's sources; {} if unknown."""
    try:
        people = app.engine.known(app.sync).people
    except RostersyncError as exc:
        echo(f"rostersync: warning: names not shown: {exc}", err=True)
        return {}
    return person_names(people)


def _choose_group(groups: list[dict[str, Any]], wanted: str) -> list[dict[str, Any]]:
    """The group whose key or name is ``wanted`` (names case-insensitively)."""
    exact = [g for g in groups if wanted in (g["key"], g["name"])]
    found = exact or [g for g in groups if g["name"].casefold() == wanted.casefold()]
    if not found:
        close = difflib.get_close_matches(wanted, sorted({g["name"] for g in groups}), 3, 0.4)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        fail(f"the target has no group {wanted!r}{hint}")
    return found


def _person_view(
    groups: list[dict[str, Any]], person: str, names: Mapping[str, str]
) -> dict[str, Any]:
    member_of = [g["name"] for g in groups if person in g["members"]]
    access_to = [g["name"] for g in groups if person in g["access"]]
    if not member_of and not access_to and person not in names:
        close = difflib.get_close_matches(person, sorted(names), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        fail(f"unknown person {person!r}: in no group of the target{hint}")
    return {
        "person": person,
        "name": names.get(person, ""),
        "member_of": member_of,
        "access_to": access_to,
    }


@click.command("show")
@click.argument("group", required=False)
@click.option("--person", "person", help="one person's groups and access (by id)")
@click.option("--all", "show_all", is_flag=True, help="every group, however many")
@click.option("--no-names", is_flag=True, help="ids only: do not read the sources for names")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def show_command(
    app: App, group: str | None, person: str | None, show_all: bool, no_names: bool, as_json: bool
) -> None:
    """The target's groups, their members and who has access (GROUP: only that group)."""
    target = app.engine.open_target(app.sync)
    try:
        groups = target_groups(target.read())
    finally:
        target.close()
    summary = not (as_json or show_all or group or person) and len(groups) > SUMMARY_OVER
    if summary:
        _print_summary(groups)
        return
    names = {} if no_names else known_names(app)
    if group is not None:
        groups = _choose_group(groups, group)
    if person is not None:
        view = _person_view(groups, person, names)
        if as_json:
            echo_json(view)
            return
        echo(labelled(person, names))
        echo(f"  member of: {', '.join(view['member_of']) or '-'}")
        echo(f"  access to: {', '.join(view['access_to']) or '-'}")
        return
    if as_json:
        shown = {i for g in groups for i in (*g["members"], *g["access"])}
        echo_json({"groups": groups, "names": {i: names[i] for i in sorted(shown) if i in names}})
        return
    if not groups:
        echo("the target has no groups")
    for entry in groups:
        flag = "managed" if entry["managed"] else "hand-made, not touched by syncs"
        echo(f"{entry['name']}  ({flag})")
        members = ", ".join(labelled(i, names) for i in entry["members"])
        echo(f"  members: {members or '-'}")
        access = ", ".join(labelled(i, names) for i in entry["access"])
        echo(f"  access:  {access or '-'}")


def _print_summary(groups: list[dict[str, Any]]) -> None:
    managed = sum(1 for g in groups if g["managed"])
    members = sum(len(g["members"]) for g in groups)
    grants = sum(len(g["access"]) for g in groups)
    echo(
        f"the target has {plural(len(groups), 'group')} ({managed} managed by syncs), "
        f"{plural(members, 'membership')} and {plural(grants, 'access right')}"
    )
    echo(
        "  one group: 'rostersync show GROUP'; one person: 'rostersync show --person ID'; "
        "every group: 'rostersync show --all' (or --json)"
    )
