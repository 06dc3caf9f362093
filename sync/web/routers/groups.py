"""The target's groups with their members and who has access, and one staff member's
access ("what can this person see, and why"). Searches are form posts and people are
linked by opaque references, so no name of a student ever lands in a URL."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import Response

from sync.app import App
from sync.model import TargetState
from sync.report import target_groups
from sync.views import staff_access, staff_ids
from sync.web.deps import Console, ConsoleDep, Viewer, ViewerForm

router = APIRouter(tags=["groups and access"])


def _sync(app: App, sync: str) -> str:
    if sync and sync in app.config.syncs:
        return sync
    return next(iter(app.config.syncs))


def read_target(app: App, sync: str) -> TargetState:
    target = app.engine.open_target(sync)
    try:
        return target.read()
    finally:
        target.close()


def person_name(state: TargetState, person: str) -> str:
    """A person's name as the target knows it, or their id."""
    known = state.roster.people.get(person)
    if known is not None and (known.given_name or known.family_name):
        return f"{known.given_name} {known.family_name}".strip()
    return person


def _groups_view(request: Request, ctx: Console, sync: str, q: str) -> Response:
    app = ctx.app()
    sync = _sync(app, sync)
    state = read_target(app, sync)
    groups = target_groups(state)
    needle = q.strip().casefold()
    if needle:
        groups = [
            g
            for g in groups
            if needle in g["name"].casefold()
            or any(needle in p.casefold() for p in (*g["members"], *g["access"]))
        ]
    return ctx.render(
        request,
        "groups.html",
        sync=sync,
        syncs=list(app.config.syncs),
        groups=groups,
        q=q,
        name=lambda p: person_name(state, p),
    )


@router.get("/groups")
def groups(
    request: Request,
    ctx: ConsoleDep,
    user: Viewer,
    sync: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    return _groups_view(request, ctx, sync, "")


@router.post("/groups")
def search_groups(
    request: Request,
    ctx: ConsoleDep,
    user: ViewerForm,
    sync: Annotated[str, Form(max_length=200)] = "",
    q: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    return _groups_view(request, ctx, sync, q)


@router.get("/groups/{ref}")
def group(
    request: Request,
    ctx: ConsoleDep,
    user: Viewer,
    ref: str,
    sync: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    app = ctx.app()
    sync = _sync(app, sync)
    state = read_target(app, sync)
    found: dict[str, Any] | None = next(
        (g for g in target_groups(state) if ctx.ref(g["key"]) == ref), None
    )
    if found is None:
        raise HTTPException(404, "no such group")
    blocked = {(b.staff, b.student) for b in state.roster.blocks}
    return ctx.render(
        request,
        "group.html",
        sync=sync,
        group=found,
        name=lambda p: person_name(state, p),
        hidden_from={
            staff: sorted(s for t, s in blocked if t == staff and s in found["members"])
            for staff in found["access"]
        },
    )


def _staff_view(request: Request, ctx: Console, sync: str, q: str) -> Response:
    app = ctx.app()
    sync = _sync(app, sync)
    state = read_target(app, sync)
    staff = staff_ids(state)
    needle = q.strip().casefold()
    if needle:
        staff = [
            p for p in staff if needle in p.casefold() or needle in person_name(state, p).casefold()
        ]
    profiles = state.roster.profiles
    grants: dict[str, int] = {}
    for g in state.roster.grants:
        grants[g.principal] = grants.get(g.principal, 0) + 1
    return ctx.render(
        request,
        "staff.html",
        sync=sync,
        syncs=list(app.config.syncs),
        staff=staff,
        profiles=profiles,
        grants=grants,
        q=q,
        name=lambda p: person_name(state, p),
    )


@router.get("/access")
def staff(
    request: Request,
    ctx: ConsoleDep,
    user: Viewer,
    sync: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    return _staff_view(request, ctx, sync, "")


@router.post("/access")
def search_staff(
    request: Request,
    ctx: ConsoleDep,
    user: ViewerForm,
    sync: Annotated[str, Form(max_length=200)] = "",
    q: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    return _staff_view(request, ctx, sync, q)


@router.get("/access/{ref}")
def staff_member(
    request: Request,
    ctx: ConsoleDep,
    user: Viewer,
    ref: str,
    sync: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    app = ctx.app()
    sync = _sync(app, sync)
    state = read_target(app, sync)
    person = next((p for p in staff_ids(state) if ctx.ref(p) == ref), None)
    if person is None:
        raise HTTPException(404, "no such staff member")
    return ctx.render(
        request,
        "access.html",
        sync=sync,
        access=staff_access(state, person),
        name=lambda p: person_name(state, p),
    )
