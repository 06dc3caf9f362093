"""The ``roster_csv`` source (Impero Backdrop student and staff files) and its commands:
``rostersync template students|staff`` and ``rostersync columns FILE``."""

from __future__ import annotations

from pathlib import Path

import click

from plugins.roster_csv.columns import (
    FIELDS,
    Kind,
    guess_kind,
    match,
    suggest,
    template_bytes,
    template_text,
)
from plugins.roster_csv.source import RosterCsvOptions, RosterCsvSource, read_table
from sync.api import CommandContext, ConfigError, printable

__all__ = ["RosterCsvOptions", "RosterCsvSource"]


KIND = click.Choice(["students", "staff"])


@click.command("template")
@click.argument("kind", type=KIND)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="write to this file (default: standard output)",
)
def template_command(kind: Kind, output: Path | None) -> None:
    """Write an empty students or staff file with the expected headers (UTF-8, with a BOM
    so that Excel opens it as UTF-8)."""
    if output is None:
        click.echo(template_text(kind), nl=False)
        return
    output.write_bytes(template_bytes(kind))
    click.echo(printable(f"wrote the {kind} template to {output}"))


def _mapping(context: CommandContext, kind: Kind, source: str | None) -> tuple[dict[str, str], str]:
    """The header mapping of the configured roster_csv source, if there is exactly one."""
    try:
        tables = context.plugin_tables("source", "roster_csv")
    except ConfigError:
        if source is not None:
            raise
        return {}, ""
    if source is not None:
        if source not in tables:
            raise click.UsageError(f"no roster_csv source named {source!r} in the configuration")
        tables = {source: tables[source]}
    if len(tables) != 1:
        return {}, ""
    name, table = next(iter(tables.items()))
    key = "student_columns" if kind == "students" else "staff_columns"
    return dict(table.options.get(key, {})), name


def _saved_layout(
    context: CommandContext, source: str, kind: Kind, headers: list[str]
) -> dict[str, str] | None:
    """The mapping the console's import saved for a file with exactly these headers."""
    from plugins.roster_csv.columns import layout_key
    from plugins.roster_csv.store import read_saved

    found = read_saved(context.database(None), source, kind).layouts.get(layout_key(headers))
    return dict(found) if found is not None else None


def _toml_key(header: str) -> str:
    return '"' + header.replace("\\", "\\\\").replace('"', '\\"') + '"'


@click.command("columns")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", type=KIND, default=None, help="students or staff (default: guessed)")
@click.option("--source", default=None, help="use this roster_csv source's column mapping")
@click.pass_obj
def columns_command(
    context: CommandContext, file: Path, kind: Kind | None, source: str | None
) -> None:
    """Show how FILE's headers match the student or staff fields, and what is missing."""
    header, records, issues = read_table(file, file.name, source="columns", cp1252=True)
    chosen: Kind = kind or guess_kind(header.fields)
    mapping, name = _mapping(context, chosen, source)
    saved = _saved_layout(context, name, chosen, header.fields) if name else None
    matching = match(header.fields, chosen, {**mapping, **saved} if saved else mapping)
    via = f" (with the mapping of [sources.{name}])" if name else ""
    if saved:
        via = f" (with the mapping of [sources.{name}] and the one saved by the console's import)"
    click.echo(printable(f"{chosen} file {file.name}{via}: {len(records)} data rows"))
    for field, label in FIELDS[chosen].items():
        index = matching.columns.get(field)
        found = (
            f"column {index + 1} {matching.headers[index].strip()!r}"
            if index is not None
            else "(no column)"
        )
        click.echo(printable(f"  {label:<20} <- {found}"))
    table = "student_columns" if chosen == "students" else "staff_columns"
    for ignored in matching.ignored:
        guess = suggest(ignored, chosen)
        hint = (
            f" (is it {FIELDS[chosen][guess]}? map it: [sources.{name or 'NAME'}.{table}] "
            f"{_toml_key(ignored)} = {guess!r})"
            if guess and guess not in matching.columns
            else ""
        )
        click.echo(printable(f"  ignored column: {ignored!r}{hint}"))
    for clash in matching.clashes:
        click.echo(printable(f"  problem: {clash}"))
    if matching.missing:
        click.echo(printable(f"  missing: {', '.join(matching.missing)}"))
    for issue in issues:
        click.echo(printable(f"  warning: {issue.message}"))
    if not matching.complete:
        raise SystemExit(1)
