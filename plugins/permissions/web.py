"""The console's Staff members and User groups pages (admins only), for every source that
produces staff. Edits go to the state database (``plugins.permissions.edits``) and are
applied by the next sync; each is recorded in the console's audit record."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import Response

from plugins.permissions import (
    MANAGE_ALLEGATIONS_AGAINST_STAFF,
    PERMISSIONS,
    EditRefused,
    GroupChange,
    StaffOptions,
    UserGroups,
    check_group_edit,
    check_staff_edit,
    load_edits,
)
from plugins.permissions.edits import PermissionEdits
from plugins.permissions.staff import staff_of, staff_sources
from sync.api import WebContext, WebUser, web_context, web_form, web_user

router = APIRouter()
Ctx = Annotated[WebContext, Depends(web_context)]
AdminPage = Annotated[WebUser, Depends(web_user("admin"))]
AdminForm = Annotated[WebUser, Depends(web_form("admin"))]
PREFIX = "/p/permissions"


class NoStaffSource(HTTPException):
    """No source that produces staff is configured: the pages say so."""


NONE = (
    "No source that produces staff is configured: staff members and their user groups come "
    'from a [sources.NAME] table with plugin = "roster_csv" (a staff file) or "manual".'
)


def _source(ctx: WebContext, source: str) -> tuple[str, StaffOptions, dict[str, StaffOptions]]:
    sources = staff_sources(ctx.config)
    if not sources:
        raise NoStaffSource(404, "no source that produces staff is configured")
    name = source or next(iter(sources))
    if name not in sources:
        raise HTTPException(404, f"no staff source named {source!r}")
    return name, sources[name], sources


def _groups(ctx: WebContext, name: str, options: StaffOptions) -> UserGroups:
    return options.user_groups_for(name, load_edits(ctx.config.database(None), name))


@router.get("/staff")
def staff(request: Request, ctx: Ctx, user: AdminPage, source: str = "") -> Response:
    try:
        name, options, sources = _source(ctx, source)
    except NoStaffSource:
        return ctx.render(request, "permissions/none.html", title="Staff members", message=NONE)
    return ctx.render(
        request,
        "permissions/staff.html",
        source=name,
        sources=list(sources),
        staff=staff_of(ctx.config, name, options),
        groups=_groups(ctx, name, options).names(),
        syncs=ctx.config.syncs_reading(name),
    )


@router.post("/staff/{source}")
def choose_user_group(
    ctx: Ctx,
    user: AdminForm,
    source: str,
    person: Annotated[str, Form(max_length=320)] = "",
    user_group: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    name, options, _ = _source(ctx, source)
    back = f"{PREFIX}/staff?source={quote(name)}"
    rows = {row.person: row for row in staff_of(ctx.config, name, options)}
    row = rows.get(person)
    if row is None:
        return ctx.redirect(back, f"{person!r} is not a staff member of {name}", error=True)
    edits = PermissionEdits(ctx.config.database(None))
    if not user_group:
        if edits.remove_staff(name, person):
            ctx.record(user, "reset user group", detail=f"{name}: {person} back to {row.given!r}")
        return ctx.redirect(back, f"{row.name} is back in {row.given!r}; the next sync applies it.")
    try:
        group = check_staff_edit(_groups(ctx, name, options), user_group)
    except EditRefused as exc:
        return ctx.redirect(back, str(exc), error=True)
    edits.put_staff(name, person, group, by=user.name)
    ctx.record(
        user, "change user group", detail=f"{name}: {person} from {row.user_group!r} to {group!r}"
    )
    return ctx.redirect(back, f"{row.name} is now in {group!r}; the next sync applies it.")


@router.post("/sync/{sync}")
def sync_now(ctx: Ctx, user: AdminForm, sync: str, back: Annotated[str, Form()] = "") -> Response:
    started = ctx.start_sync(sync, user)
    target = f"/runs/{started.run_id}" if started.run_id else (back or f"{PREFIX}/staff")
    if not target.startswith("/") or target.startswith("//"):
        target = f"{PREFIX}/staff"
    return ctx.redirect(target, started.message, error=not started.started)


def _user_groups_page(
    request: Request,
    ctx: WebContext,
    source: str,
    *,
    errors: dict[tuple[str, str], str] | None = None,
    ticked: dict[str, set[str]] | None = None,
    status_code: int = 200,
) -> Response:
    name, options, sources = _source(ctx, source)
    rows = _groups(ctx, name, options).rows()
    return ctx.render(
        request,
        "permissions/user_groups.html",
        status_code=status_code,
        source=name,
        sources=list(sources),
        rows=rows,
        permissions=PERMISSIONS,
        ticked=ticked or {row.name: set(row.permissions) for row in rows},
        errors=errors or {},
        allegations=MANAGE_ALLEGATIONS_AGAINST_STAFF,
    )


@router.get("/user-groups")
def user_groups(request: Request, ctx: Ctx, user: AdminPage, source: str = "") -> Response:
    try:
        return _user_groups_page(request, ctx, source)
    except NoStaffSource:
        return ctx.render(request, "permissions/none.html", title="User groups", message=NONE)


def _describe(change: GroupChange, before: frozenset[str]) -> str:
    parts = [f"+{p}" for p in sorted(change.permissions - before)]
    parts += [f"-{p}" for p in sorted(before - change.permissions)]
    return f"{change.name}: {' '.join(parts) or 'no change'}"


@router.post("/user-groups/{source}")
async def save_user_groups(request: Request, ctx: Ctx, user: AdminForm, source: str) -> Response:
    name, options, _ = _source(ctx, source)
    form = await request.form()
    groups = _groups(ctx, name, options)
    confirmed = form.get("confirm_allegations") == "yes"
    ticked: dict[str, set[str]] = {}
    for row in groups.rows():
        ticked[row.name] = {
            str(v).split("\t", 1)[1]
            for v in form.getlist("perm")
            if str(v).split("\t", 1)[0] == row.name and "\t" in str(v)
        }
    errors: dict[tuple[str, str], str] = {}
    changes: list[tuple[GroupChange, frozenset[str]]] = []
    for row in groups.rows():
        if ticked[row.name] == set(row.permissions):
            continue
        try:
            change = check_group_edit(
                groups, row.name, ticked[row.name], confirm_allegations=confirmed
            )
        except EditRefused as exc:
            errors[(row.name, exc.field)] = str(exc)
            continue
        changes.append((change, row.permissions))
    if errors:
        return _user_groups_page(request, ctx, name, errors=errors, ticked=ticked, status_code=422)
    edits = PermissionEdits(ctx.config.database(None))
    notes = []
    for change, before in changes:
        edits.put_group(name, change.name, change.permissions, by=user.name)
        ctx.record(user, "save user group", detail=f"{name}: {_describe(change, before)}")
        if change.added:
            notes.append(f"{change.name} also gets {', '.join(sorted(change.added))}")
        if change.dropped:
            notes.append(
                f"{change.name} does not get {', '.join(sorted(change.dropped))} "
                "(it needs view_child_protection)"
            )
    saved = ", ".join(c.name for c, _ in changes) or "nothing changed"
    message = (
        f"Saved: {saved}. " + "; ".join(notes) + (" The next sync applies it." if changes else "")
    )
    return ctx.redirect(f"{PREFIX}/user-groups?source={quote(name)}", message.strip())


@router.post("/user-groups/{source}/reset")
def reset_user_group(
    ctx: Ctx, user: AdminForm, source: str, group: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    name, _, _ = _source(ctx, source)
    back = f"{PREFIX}/user-groups?source={quote(name)}"
    if not PermissionEdits(ctx.config.database(None)).remove_group(name, group):
        return ctx.redirect(back, f"{group!r} was not edited here", error=True)
    ctx.record(user, "reset user group permissions", detail=f"{name}: {group}")
    return ctx.redirect(back, f"{group} has its configured permissions again.")
