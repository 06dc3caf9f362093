"""The run history, one run's page, and its rejected rows as CSV."""

from __future__ import annotations

import io
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import Response

from sync.model import RunStatus
from sync.views import issues_by_file, rejected_rows, run_page, write_rejected_csv
from sync.web.deps import Console, ConsoleDep, Viewer, ViewerForm

router = APIRouter(tags=["runs"])
PAGE = 50


@router.get("/runs")
def runs(
    request: Request,
    ctx: ConsoleDep,
    user: Viewer,
    sync: Annotated[str, Query(max_length=200)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    app = ctx.app()
    wanted = RunStatus(status) if status in {s.value for s in RunStatus} else None
    chosen = sync if sync in app.config.syncs else None
    found = app.store.find_runs(
        sync=chosen, status=wanted, offset=(page - 1) * PAGE, limit=PAGE + 1
    )
    shown = found[:PAGE]
    return ctx.render(
        request,
        "runs.html",
        runs=shown,
        started_by=ctx.accounts.started_by([d.summary.id for d in shown]),
        syncs=list(app.config.syncs),
        statuses=[s.value for s in RunStatus],
        sync=chosen or "",
        status=wanted.value if wanted else "",
        page=page,
        has_more=len(found) > PAGE,
    )


def _run_view(request: Request, ctx: Console, run_id: int, q: str, page: int) -> Response:
    found = run_page(ctx.app().store, run_id, query=q, offset=(page - 1) * PAGE, limit=PAGE)
    if found is None:
        raise HTTPException(404, "no such run")
    return ctx.render(
        request,
        "run.html",
        run=found,
        summary=found.detail.summary,
        issue_groups=issues_by_file(found.issues),
        rejected=len(rejected_rows(found.issues)),
        actions=ctx.accounts.run_actions(run_id),
        q=q,
        page=page,
    )


@router.get("/runs/{run_id}")
def run(
    request: Request,
    ctx: ConsoleDep,
    user: Viewer,
    run_id: int,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    return _run_view(request, ctx, run_id, "", page)


@router.post("/runs/{run_id}")
def search_run(
    request: Request,
    ctx: ConsoleDep,
    user: ViewerForm,
    run_id: int,
    q: Annotated[str, Form(max_length=200)] = "",
    page: Annotated[int, Form(ge=1, le=1_000_000)] = 1,
) -> Response:
    """Search a run's changes; a form post, so a searched name never lands in a URL."""
    return _run_view(request, ctx, run_id, q, page)


@router.get("/runs/{run_id}/rejected.csv")
def rejected_csv(ctx: ConsoleDep, user: Viewer, run_id: int) -> Response:
    store = ctx.app().store
    if store.run(run_id) is None:
        raise HTTPException(404, "no such run")
    out = io.StringIO()
    write_rejected_csv(store.run_issues(run_id), out)
    return Response(
        out.getvalue().encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="run-{run_id}-rejected.csv"'},
    )
