"""The ``manual`` source and its ``rostersync manual ...`` commands."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

import click

from plugins.manual.options import ManualOptions
from sync.api import (
    CommandContext,
    Person,
    PluginContext,
    Role,
    Source,
    printable,
)

if TYPE_CHECKING:  # SQLAlchemy is imported when an entry is read or written
    from plugins.manual.source import ManualSource
    from plugins.manual.store import ManualStore

__all__ = ["ManualOptions", "ManualSource"]


def __getattr__(name: str) -> Any:
    if name == "ManualSource":
        from plugins.manual.source import ManualSource

        return ManualSource
    raise AttributeError(name)


def open_source(options: ManualOptions, context: PluginContext) -> Source:
    from plugins.manual.source import ManualSource

    return ManualSource(options, context)


def _table(context: CommandContext, source: str | None) -> str | None:
    """The configured manual source (``--source``, or the only one); None if there is none."""
    tables = context.plugin_tables("source", "manual")
    if source is not None:
        if source not in tables:
            raise click.UsageError(f"no manual source named {source!r} in the configuration")
        return source
    if len(tables) > 1:
        raise click.UsageError(
            f"several manual sources ({', '.join(sorted(tables))}); choose one with --source"
        )
    return next(iter(tables), None)


def _store(context: CommandContext, source: str | None) -> ManualStore:
    """The store of the configured manual source; warns when no sync reads it."""
    from plugins.manual.store import ManualStore

    table = _table(context, source)
    url = context.database(None)
    if table is None:
        _warn(
            'no [sources.NAME] table with plugin = "manual" is configured, so no sync reads '
            "what is entered here; add one and list it in [sync] sources"
        )
        return ManualStore(url)
    if not context.syncs_reading(table):
        _warn(
            f"no sync lists the manual source {table!r} in its sources, so what is entered "
            "here is not applied; add it to [sync] sources"
        )
    options = context.plugin_options("source", table)
    if options.url:
        url = context.database(options.url)
    return ManualStore(url)


def _warn(message: str) -> None:
    click.echo(f"rostersync: warning: {message}", err=True)


def _require_known(what: str, key: str, known: Collection[str], hint: str = "") -> None:
    """Refuse ``key`` unless it is known, naming the closest known ones."""
    from plugins.manual.entries import FieldError, require_known

    try:
        require_known(what, what, key, known, hint)
    except FieldError as exc:
        _fail(str(exc))


SOURCE = click.option("--source", default=None, help="the manual source (if several)")


@click.group("manual")
def manual_cli() -> None:
    """Enter people, groups, memberships and blocked children by hand.

    Entries are used by every sync that lists a manual source in [sync] sources; list it
    first for its entries to win over the other sources.
    """


def _fail(message: str) -> None:
    click.echo(printable(f"rostersync: {message}"), err=True)
    raise SystemExit(2)


@manual_cli.command("add-student")
@click.argument("first_name")
@click.argument("surname")
@click.option("--dob", required=True, help="date of birth, day/month/year or YYYY-MM-DD")
@click.option("--gender", default="", help="Male, Female, M, F or blank")
@click.option("--year-group", default="")
@click.option("--registration-group", default="")
@click.option("--upn", default="", help="the UPN; leave out to generate an id")
@SOURCE
@click.pass_obj
def add_student(
    context: CommandContext,
    first_name: str,
    surname: str,
    dob: str,
    gender: str,
    year_group: str,
    registration_group: str,
    upn: str,
    source: str | None,
) -> None:
    """Add a student, or correct one (same UPN, or same name and date of birth)."""
    from plugins.manual.entries import FieldError, student_entry

    try:
        entry = student_entry(
            first_name=first_name,
            surname=surname,
            dob=dob,
            gender=gender,
            year_group=year_group,
            registration_group=registration_group,
            upn=upn,
        )
    except FieldError as exc:
        _fail(str(exc))
        return
    replaced = _store(context, source).put_person(entry)
    click.echo(printable(f"{'updated' if replaced else 'added'} student {entry.id}"))


@manual_cli.command("add-staff")
@click.argument("login")
@click.argument("first_name")
@click.argument("surname")
@click.option("--user-group", required=True, help="e.g. DSLs, Teachers, TAs")
@click.option("--job-role", default="")
@click.option("--email", default="")
@SOURCE
@click.pass_obj
def add_staff(
    context: CommandContext,
    login: str,
    first_name: str,
    surname: str,
    user_group: str,
    job_role: str,
    email: str,
    source: str | None,
) -> None:
    """Add a staff member (LOGIN is their username or e-mail), or correct one."""
    from plugins.manual.entries import FieldError, staff_entry

    table = _table(context, source)
    options = context.plugin_options("source", table) if table else ManualOptions()
    try:
        entry = staff_entry(
            options.user_groups_for(table or "manual"),
            login=login,
            first_name=first_name,
            surname=surname,
            user_group=user_group,
            job_role=job_role,
            email=email,
        )
    except FieldError as exc:
        _fail(str(exc))
        return
    replaced = _store(context, source).put_person(entry)
    click.echo(printable(f"{'updated' if replaced else 'added'} staff member {entry.id}"))


@manual_cli.command("add-group")
@click.argument("key")
@click.option("--name", default=None, help="what people see (default: KEY)")
@SOURCE
@click.pass_obj
def add_group(context: CommandContext, key: str, name: str | None, source: str | None) -> None:
    """Add (or rename) a group."""
    _store(context, source).put_group(key, name or key)
    click.echo(printable(f"added group {key!r}"))


@manual_cli.command("add-member")
@click.argument("group")
@click.argument("person")
@click.option("--access", is_flag=True, help="give PERSON access to GROUP instead of membership")
@SOURCE
@click.pass_obj
def add_member(
    context: CommandContext, group: str, person: str, access: bool, source: str | None
) -> None:
    """Put PERSON in GROUP (a manual group, or reg:FORM / year:N). Manual staff members
    get access instead of membership."""
    store = _store(context, source)
    contents = store.contents()
    if group not in contents.groups:  # a group of a source, or reg:FORM / year:N in use
        _require_known(
            "group",
            group,
            set(contents.groups) | set(context.known().groups),
            hint=f"; add it with 'rostersync manual add-group {group}' first",
        )
    known = {e.id: e for e in contents.people}
    entry = known.get(person)
    access = access or (entry is not None and entry.role is not Role.STUDENT)
    store.put_member(group, person, access)
    click.echo(
        printable(
            f"{'gave' if access else 'added'} {person} {'access to' if access else 'to'} {group}"
        )
    )


@manual_cli.command("remove")
@click.argument("key")
@click.option("--from", "from_group", default=None, help="only take KEY out of this group")
@SOURCE
@click.pass_obj
def remove(context: CommandContext, key: str, from_group: str | None, source: str | None) -> None:
    """Remove a person or group (with its memberships), or one membership with --from."""
    store = _store(context, source)
    if from_group is not None:
        if not store.remove_member(from_group, key):
            _fail(f"{key!r} is not entered in group {from_group!r}")
        click.echo(printable(f"removed {key} from {from_group}"))
        return
    what = store.remove(key)
    if not what:
        _fail(f"no manual person or group {key!r} (see 'rostersync manual list')")
    click.echo(printable(f"removed {what} {key}"))


@manual_cli.command("block")
@click.argument("staff")
@click.argument("student")
@click.option("--reason", required=True, help="why, e.g. 'parent of the child'")
@SOURCE
@click.pass_obj
def block(
    context: CommandContext, staff: str, student: str, reason: str, source: str | None
) -> None:
    """Hide STUDENT from STAFF in every group (applied at the next sync)."""
    if not reason.strip():
        _fail("give a reason with --reason")
    store = _store(context, source)
    entered = {e.id: e for e in store.contents().people}
    people = {**context.known().people}
    for ident, entry in entered.items():
        people.setdefault(ident, Person(ident, entry.role))
    students = [p for p, person in people.items() if person.role is Role.STUDENT]
    staff_ids = [p for p, person in people.items() if person.role is not Role.STUDENT]
    _require_known("student", student, students, hint=" (a typo would leave the child visible)")
    _require_known("staff member", staff, staff_ids)
    store.put_block(staff, student, reason.strip())
    click.echo(printable(f"blocked {student} from {staff}; the next sync applies it"))


@manual_cli.command("unblock")
@click.argument("staff")
@click.argument("student")
@SOURCE
@click.pass_obj
def unblock(context: CommandContext, staff: str, student: str, source: str | None) -> None:
    """Lift a block (applied at the next sync)."""
    if not _store(context, source).remove_block(staff, student):
        _fail(f"{student} is not blocked from {staff}")
    click.echo(printable(f"unblocked {student} for {staff}; the next sync applies it"))


@manual_cli.command("list")
@click.option("--json", "as_json", is_flag=True)
@SOURCE
@click.pass_obj
def list_command(context: CommandContext, as_json: bool, source: str | None) -> None:
    """Everything entered by hand."""
    contents = _store(context, source).contents()
    data: dict[str, Any] = {
        "people": [
            {
                "id": e.id,
                "role": e.role.value,
                "name": f"{e.given_name} {e.family_name}".strip(),
                "user_group": e.user_group,
                "attributes": e.attributes,
            }
            for e in contents.people
        ],
        "groups": contents.groups,
        "members": [{"group": g, "person": p, "access": a} for g, p, a in contents.members],
        "blocks": [
            {"staff": b.staff, "student": b.student, "reason": b.reason} for b in contents.blocks
        ],
    }
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    for person in data["people"]:
        extra = f", user group {person['user_group']}" if person["user_group"] else ""
        click.echo(printable(f"{person['role']} {person['id']}: {person['name']}{extra}"))
    for key, name in contents.groups.items():
        click.echo(printable(f"group {key}: {name}"))
    for g, p, a in contents.members:
        click.echo(printable(f"{'access' if a else 'member'} {p} -> {g}"))
    for b in contents.blocks:
        click.echo(printable(f"blocked {b.student} from {b.staff} ({b.reason})"))
    if not any(data.values()):
        click.echo(printable("nothing entered by hand"))
