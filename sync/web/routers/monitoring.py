"""``/healthz``, ``/status`` and ``/metrics``: open without a login for monitoring, so
they carry counts and statuses only, never a name, a row's value or an error text."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from sync.errors import RostersyncError
from sync.metrics import CONTENT_TYPE
from sync.public_status import public_status
from sync.views import sync_status
from sync.web.deps import ConsoleDep

log = logging.getLogger(__name__)
router = APIRouter(tags=["monitoring"])
UNAVAILABLE = PlainTextResponse("state store unavailable\n", status_code=503)


@router.get("/healthz")
def healthz(ctx: ConsoleDep) -> Response:
    if not ctx.healthy():
        return PlainTextResponse("unhealthy\n", status_code=503)
    return PlainTextResponse("ok\n")


@router.get("/status")
def status(ctx: ConsoleDep) -> Response:
    app = ctx.app()
    try:
        reports = [public_status(sync_status(app.store, name)) for name in app.config.syncs]
    except (RostersyncError, sa.exc.SQLAlchemyError) as exc:
        log.error("/status failed: %s", type(exc).__name__)
        return UNAVAILABLE
    return JSONResponse(reports[0] if len(reports) == 1 else reports)


@router.get("/metrics")
def metrics(ctx: ConsoleDep) -> Response:
    try:
        text = ctx.metrics.text()
    except (RostersyncError, sa.exc.SQLAlchemyError) as exc:
        log.error("/metrics failed: %s", type(exc).__name__)
        return UNAVAILABLE
    return Response(text, media_type=CONTENT_TYPE)
