"""``plugins``: installed sources, targets and console pages, and where each came from."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from sync.cli.output import echo_json
from sync.terminal import echo

if TYPE_CHECKING:
    from sync.app import App
    from sync.kinds import SourceType, TargetType


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def plugins_command(app: App, as_json: bool) -> None:
    """Installed sources, targets and console pages, and where each came from."""
    system = app.plugins
    kinds: list[tuple[str, Sequence[SourceType[Any] | TargetType[Any]]]] = [
        ("source", list(system.sources.values())),
        ("target", list(system.targets.values())),
    ]
    rows = [
        {
            "kind": kind,
            "name": item.name,
            "origin": system.origins[f"{kind}:{item.name}"],
            "description": item.description,
        }
        for kind, items in kinds
        for item in sorted(items, key=lambda i: i.name)
    ]
    rows += [
        {
            "kind": "pages",
            "name": prefix,
            "origin": system.origin(system.web_owners[prefix]),
            "description": "console pages"
            + (f": {', '.join(link.title for link in pages.links)}" if pages.links else ""),
        }
        for prefix, pages in sorted(system.web_pages.items())
    ]
    if as_json:
        echo_json(rows + [f.row() for f in system.failures])
        return
    for row in rows:
        echo(f"{row['kind']:<7} {row['name']:<14} {row['origin']:<24} {row['description']}")
    for failure in system.failures:
        echo(f"failed  {failure}")
