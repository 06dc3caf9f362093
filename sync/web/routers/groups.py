"""The target's groups with their members and who has access, and one staff member's
access ("what can this person see, and why"). Searches are form posts and people are
linked by opaque references, so no name of a student ever lands in a URL."""

from __future__ import annotations

from collections import ChainMap, Counter
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import Response

from sync.app import App
from sync.model import TargetState
from sync.people_names import person_names
from sync.report import target_groups
from sync.views import staff_access, staff_ids
from sync.web.deps import Console, ConsoleDep, Viewer, ViewerForm
from sync.web.names import Names, unnamed_note

router = APIRouter(tags=["groups and access"])
SyncQuery = Annotated[str, Query(max_length=200)]
SyncForm = Annotated[str, Form(max_length=200)]
SearchForm = Annotated[str, Form(max_length=200)]


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


def page_names(ctx: Console, sync: str, state: TargetState) -> Names:
    """The names the sync's sources give (kept by the console), over those the target keeps."""
    known = ctx.names.get(sync)
    names = ChainMap(dict(known.names), person_names(state.roster.people))
    return Names(names, known.run_id, known.note)


def _target_page(
    request: Request, ctx: Console, template: str, sync: str, fill: Callable[..., dict[str, Any]]
) -> Response:
    """A page over the target of ``sync``: ``fill(state, names)`` gives its own context,
    with ``people``: the ids it shows."""
    app = ctx.app()
    sync = _sync(app, sync)
    state = read_target(app, sync)
    names = page_names(ctx, sync, state)
    context = fill(state, names)
    return ctx.render(
        request,
        template,
        sync=sync,
        syncs=list(app.config.syncs),
        name=names.name,
        label=names.label,
        names_note=unnamed_note(names, context.pop("people")),
        **context,
    )


def _groups_view(request: Request, ctx: Console, sync: str, q: str) -> Response:
    needle = q.strip().casefold()

    def fill(state: TargetState, names: Names) -> dict[str, Any]:
        groups = [
            g
            for g in target_groups(state)
            if not needle
            or needle in g["name"].casefold()
            or any(names.matches(needle, p) for p in (*g["members"], *g["access"]))
        ]
        people = [p for g in groups for p in g["access"]]
        return {"groups": groups, "q": q, "people": people}

    return _target_page(request, ctx, "groups.html", sync, fill)


@router.get("/groups")
def groups(
    request: Request,
    ctx: ConsoleDep,
    user: Viewer,
    sync: SyncQuery = "",
) -> Response:
    return _groups_view(request, ctx, sync, "")


@router.post("/groups")
def search_groups(
    request: Request,
    ctx: ConsoleDep,
    user: ViewerForm,
    sync: SyncForm = "",
    q: SearchForm = "",
) -> Response:
    return _groups_view(request, ctx, sync, q)


@router.get("/groups/{ref}")
def group(
    request: Request,
    ctx: ConsoleDep,
    user: Viewer,
    ref: str,
    sync: SyncQuery = "",
) -> Response:
    def fill(state: TargetState, names: Names) -> dict[str, Any]:
        found = next((g for g in target_groups(state) if ctx.ref(g["key"]) == ref), None)
        if found is None:
            raise HTTPException(404, "no such group")
        members = set(found["members"])
        hidden = {
            staff: [
                b.student
                for b in sorted(state.roster.blocks)
                if b.staff == staff and b.student in members
            ]
            for staff in found["access"]
        }
        people = [*found["members"], *found["access"]]
        return {"group": found, "hidden_from": hidden, "people": people}

    return _target_page(request, ctx, "group.html", sync, fill)


def _staff_view(request: Request, ctx: Console, sync: str, q: str) -> Response:
    needle = q.strip().casefold()

    def fill(state: TargetState, names: Names) -> dict[str, Any]:
        grants = Counter(g.principal for g in state.roster.grants)
        staff = [p for p in staff_ids(state) if not needle or names.matches(needle, p)]
        return {
            "staff": staff,
            "profiles": state.roster.profiles,
            "grants": grants,
            "q": q,
            "people": staff,
        }

    return _target_page(request, ctx, "staff.html", sync, fill)


@router.get("/access")
def staff(
    request: Request,
    ctx: ConsoleDep,
    user: Viewer,
    sync: SyncQuery = "",
) -> Response:
    return _staff_view(request, ctx, sync, "")


@router.post("/access")
def search_staff(
    request: Request,
    ctx: ConsoleDep,
    user: ViewerForm,
    sync: SyncForm = "",
    q: SearchForm = "",
) -> Response:
    return _staff_view(request, ctx, sync, q)


@router.get("/access/{ref}")
def staff_member(
    request: Request,
    ctx: ConsoleDep,
    user: Viewer,
    ref: str,
    sync: SyncQuery = "",
) -> Response:
    def fill(state: TargetState, names: Names) -> dict[str, Any]:
        person = next((p for p in staff_ids(state) if ctx.ref(p) == ref), None)
        if person is None:
            raise HTTPException(404, "no such staff member")
        access = staff_access(state, person)
        return {"access": access, "people": [person, *access.blocked]}

    return _target_page(request, ctx, "access.html", sync, fill)
