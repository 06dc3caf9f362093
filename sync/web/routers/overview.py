"""The overview: every sync's status with live progress, the chart of the last runs,
and the Sync now and Preview buttons."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from sync.app import App
from sync.model import RunStatus
from sync.run import RunRequest
from sync.views import last_runs, next_runs, removals, sync_status
from sync.web.chart import runs_chart
from sync.web.deps import Console, ConsoleDep, OperatorAction, Viewer, redirect
from sync.web.runner import Progress

router = APIRouter(tags=["overview"])


def known_sync(app: App, sync: str) -> str:
    if sync not in app.config.syncs:
        raise HTTPException(404, "no such sync")
    return sync


def sync_cards(ctx: Console) -> list[dict[str, Any]]:
    """Each sync's status, with the live progress of a run started here."""
    app = ctx.app()
    upcoming = next_runs(app.config)
    cards = []
    for name in app.config.syncs:
        status = sync_status(app.store, name)
        progress: Progress | None = ctx.runner.progress(name)
        running = status["state"] == RunStatus.RUNNING.value or ctx.runner.busy(name)
        live = progress if progress is not None and ctx.runner.busy(name) else None
        cards.append(
            {
                **status,
                "running": running,
                "progress": live,
                "percent": round(100 * live.fraction) if live else None,
                "step": (live.step if live else status["step"]) if running else "",
                "next_run": upcoming.get(name),
                "last_success": app.store.last_success(name),
            }
        )
    return cards


@router.get("/")
def overview(request: Request, ctx: ConsoleDep, user: Viewer) -> Response:
    app = ctx.app()
    sync = next(iter(app.config.syncs)) if len(app.config.syncs) == 1 else None
    chart = runs_chart(last_runs(app.store, sync))
    return ctx.render(request, "overview.html", cards=sync_cards(ctx), chart=chart)


@router.get("/fragments/syncs")
def live_cards(request: Request, ctx: ConsoleDep, user: Viewer) -> Response:
    """The sync cards alone, polled by the overview while a run is in progress."""
    return ctx.render(request, "_sync_cards.html", cards=sync_cards(ctx))


@router.post("/syncs/{sync}/run")
def sync_now(ctx: ConsoleDep, user: OperatorAction, sync: str) -> Response:
    known_sync(ctx.app(), sync)
    started = ctx.runner.start(sync, user.name)
    return redirect(ctx, "/", started.message, error=not started.started)


@router.post("/syncs/{sync}/preview")
def preview(request: Request, ctx: ConsoleDep, user: OperatorAction, sync: str) -> Response:
    """The plan a run would make now, and whether it would be held and why."""
    app = ctx.app()
    known_sync(app, sync)
    outcome = app.engine.run(sync, RunRequest(dry_run=True))
    ctx.accounts.record(user.name, "preview", sync=sync)
    changes = list(outcome.plan.changes)
    return ctx.render(
        request,
        "preview.html",
        sync=sync,
        outcome=outcome,
        counts=outcome.plan.counts(),
        changes=changes[:200],
        more=max(len(changes) - 200, 0),
        removals=removals(changes)[:200],
    )
