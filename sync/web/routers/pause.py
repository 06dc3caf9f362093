"""Pausing a sync's scheduled runs until a date, with a reason, and resuming them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from sync.views import parse_until, schedule_zone
from sync.web.deps import ConsoleDep, OperatorAction, redirect
from sync.web.routers.overview import known_sync

router = APIRouter(tags=["pause"])


@router.post("/syncs/{sync}/pause")
def pause(
    ctx: ConsoleDep,
    user: OperatorAction,
    sync: str,
    until: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    app = ctx.app()
    known_sync(app, sync)
    try:
        moment = parse_until(until, schedule_zone(app.config, sync)) if until.strip() else None
    except ValueError as exc:
        return redirect(ctx, "/", f"Not paused: {exc}.", error=True)
    app.store.pause(sync, moment, reason.strip())
    ctx.accounts.record(user.name, "pause", sync=sync, detail=f"until {until or 'resumed'}")
    when = f"until {moment.isoformat(timespec='minutes')}" if moment else "until resumed"
    return redirect(ctx, "/", f"Sync {sync}: scheduled runs paused {when}.")


@router.post("/syncs/{sync}/resume")
def resume(ctx: ConsoleDep, user: OperatorAction, sync: str) -> Response:
    app = ctx.app()
    known_sync(app, sync)
    app.store.resume(sync)
    ctx.accounts.record(user.name, "resume", sync=sync)
    return redirect(ctx, "/", f"Sync {sync}: scheduled runs resumed.")
