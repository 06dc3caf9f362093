"""Held runs: the plan a guard stopped, why, its removals, and Approve / Reject.

The same rules as ``rostersync approve`` and ``reject``: approving applies exactly the
held plan if the target is unchanged since, and re-plans otherwise (the engine decides).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response

from sync.errors import RostersyncError
from sync.model import RunStatus
from sync.views import removals, removals_by_group
from sync.web.deps import AdminAction, Console, ConsoleDep, Viewer, redirect
from sync.web.names import unnamed_note

router = APIRouter(tags=["held runs"])
CONFIRM = "yes"


@router.get("/held")
def held_runs(request: Request, ctx: ConsoleDep, user: Viewer) -> Response:
    held = ctx.app().store.find_runs(status=RunStatus.HELD, limit=200)
    return ctx.render(request, "held_list.html", runs=held)


@router.get("/held/{run_id}")
def held_run(request: Request, ctx: ConsoleDep, user: Viewer, run_id: int) -> Response:
    store = ctx.app().store
    detail = store.run(run_id)
    if detail is None:
        raise HTTPException(404, "no such run")
    changes = store.run_changes(run_id)
    taken = set(removals(changes))
    by_group, other_removals = removals_by_group(changes)
    rest = [c for c in changes if c not in taken]
    names = ctx.names.get(detail.summary.sync)
    people = [p for g in by_group for p in (*g.members, *g.revoked)]
    return ctx.render(
        request,
        "held.html",
        detail=detail,
        summary=detail.summary,
        held=detail.summary.status is RunStatus.HELD,
        removal_count=len(taken),
        by_group=by_group,
        other_removals=other_removals,
        changes=rest[:200],
        more=max(len(rest) - 200, 0),
        confirm=CONFIRM,
        label=names.label,
        names_note=unnamed_note(names, people),
    )


@router.post("/held/{run_id}/approve")
def approve(
    ctx: ConsoleDep,
    user: AdminAction,
    run_id: int,
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    app = ctx.app()
    detail = app.store.run(run_id)
    if detail is None:
        raise HTTPException(404, "no such run")
    if confirm != CONFIRM:
        return _unconfirmed(ctx, run_id, "approve")
    started = ctx.runner.start(detail.summary.sync, user.name, approve=run_id)
    if not started.started or started.run_id is None:
        return redirect(ctx, f"/held/{run_id}", started.message, error=True)
    return redirect(ctx, f"/runs/{started.run_id}", started.message)


@router.post("/held/{run_id}/reject")
def reject(
    ctx: ConsoleDep,
    user: AdminAction,
    run_id: int,
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    app = ctx.app()
    if confirm != CONFIRM:
        return _unconfirmed(ctx, run_id, "reject")
    try:
        app.engine.reject(run_id)
    except RostersyncError as exc:
        return redirect(ctx, f"/held/{run_id}", str(exc), error=True)
    sync = app.store.run(run_id)
    ctx.accounts.record(user.name, "reject", sync=sync.summary.sync if sync else "", run_id=run_id)
    return redirect(ctx, "/held", f"Run {run_id}: plan rejected, nothing applied.")


def _unconfirmed(ctx: Console, run_id: int, what: str) -> Response:
    return redirect(ctx, f"/held/{run_id}", f"Tick the confirmation to {what}.", error=True)
