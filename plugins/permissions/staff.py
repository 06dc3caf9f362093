"""The staff members a staff-producing source gives, with the user group each has and why,
for the console's Staff members page: the source is read as a sync would read it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plugins.permissions import StaffOptions
from plugins.permissions.values import StaffEdit
from sync.api import CommandContext, PluginContext, Role, Source

#: The built-in sources that produce staff, by plugin name.
STAFF_PLUGINS = ("roster_csv", "manual")


@dataclass(frozen=True)
class StaffRow:
    person: str
    name: str
    given: str
    """The user group the source's data gives (the file's column, the manual entry)."""
    user_group: str
    """The user group applied: ``given``, or the one chosen in the console."""
    reason: str
    edit: StaffEdit | None


class _NoState:
    """A read for a page keeps nothing between runs."""

    def get(self, key: str) -> Any:
        return None

    def put(self, key: str, value: Any) -> None:
        """Nothing is kept."""


def staff_sources(config: CommandContext) -> dict[str, StaffOptions]:
    """The configured sources that produce staff, with their options."""
    found: dict[str, StaffOptions] = {}
    for plugin in STAFF_PLUGINS:
        for name in sorted(config.plugin_tables("source", plugin)):
            options = config.plugin_options("source", name)
            if isinstance(options, StaffOptions):
                found[name] = options
    return found


def _open(config: CommandContext, name: str, options: StaffOptions) -> Source | None:
    context = PluginContext(
        name=name,
        sync="",
        config_dir=Path(config.config_file).parent,
        state_url=config.database(None),
        state=_NoState(),
        dry_run=True,
    )
    plugin = next(p for p in STAFF_PLUGINS if name in config.plugin_tables("source", p))
    if plugin == "manual":
        from plugins.manual import open_source

        return open_source(options, context)  # type: ignore[arg-type]
    from plugins.roster_csv.source import RosterCsvSource

    if not getattr(options, "staff_file", None):
        return None
    staff_only = options.model_copy(update={"students_file": None})
    source: Source = RosterCsvSource(staff_only, context)  # type: ignore[arg-type]
    return source


def staff_of(config: CommandContext, name: str, options: StaffOptions) -> list[StaffRow]:
    """Every staff member ``name`` gives, sorted by name."""
    source = _open(config, name, options)
    if source is None:
        return []
    try:
        read = source.read()
    finally:
        source.close()
    from plugins.permissions import load_edits

    chosen = load_edits(config.database(None), name).staff
    rows = []
    for person in read.roster.people.values():
        if person.role is Role.STUDENT:
            continue
        profile = read.roster.profiles.get(person.id)
        rows.append(
            StaffRow(
                person.id,
                f"{person.given_name} {person.family_name}".strip() or person.id,
                person.attributes.get("user_group", ""),
                profile.user_group if profile else "",
                profile.reason if profile else "",
                chosen.get(person.id),
            )
        )
    return sorted(rows, key=lambda r: (r.name.casefold(), r.person))
