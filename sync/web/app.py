"""The admin console as an ASGI app (FastAPI): one router per area, auth as a dependency,
one template per page, and the monitoring endpoints open without a login."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from sync.app import App
from sync.config import WebConfig
from sync.metrics import MetricsPage
from sync.report import describe_counts
from sync.web.accounts import Accounts, LoginThrottle
from sync.web.deps import Console, NotSignedIn
from sync.web.names import NamesCache, newest_finished
from sync.web.plugin_pages import Mounted, make_routers, mount, template_loader
from sync.web.routers import (
    accounts,
    audit,
    groups,
    held,
    monitoring,
    overview,
    pause,
    runs,
    signin,
)
from sync.web.runner import ConsoleRunner
from sync.web.sessions import SessionCodec

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
ROUTERS = tuple(
    area.router
    for area in (monitoring, signin, overview, runs, held, pause, groups, accounts, audit)
)
OPEN_PATHS = ("/healthz", "/status", "/metrics")
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _templates(zone: str, mounted: Mounted) -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.loader = template_loader(HERE / "templates", mounted)
    tz = ZoneInfo(zone)

    def when(value: str | datetime | None) -> str:
        if not value:
            return "-"
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")

    templates.env.filters["when"] = when
    templates.env.filters["counts"] = describe_counts
    templates.env.globals["zone"] = zone
    return templates


def create_app(
    app: Callable[[], App],
    *,
    web: WebConfig | None = None,
    healthy: Callable[[], bool] = lambda: True,
) -> FastAPI:
    """The console for the configuration ``app()`` returns (called per request, so a
    daemon that re-reads its configuration is followed)."""
    current = app()
    web = web or current.config.web
    accounts_store = Accounts(current.config.state_url)
    key = web.secret_key or accounts_store.session_key()
    first = next(iter(current.config.syncs.values()))
    zone = first.schedule.timezone if first.schedule else "UTC"
    mounted = make_routers(current.plugins)

    def record(user: str, action: str, sync: str, run_id: int) -> None:
        accounts_store.record(user, action, sync=sync, run_id=run_id)

    console = Console(
        app=app,
        web=web,
        accounts=accounts_store,
        sessions=SessionCodec(key, web.session_minutes * 60),
        throttle=LoginThrottle(web.login_attempts, web.login_lockout_seconds),
        runner=ConsoleRunner(app, record),
        templates=_templates(zone, mounted),
        ref_key=hashlib.sha256(f"ref:{key}".encode()).digest(),
        sessions_key=key,
        healthy=healthy,
        metrics=MetricsPage(lambda: app().store, lambda: list(app().config.syncs)),
        names=NamesCache(
            lambda sync: newest_finished(app().store, sync),
            lambda sync: app().engine.known(sync).people,
        ),
        links=mounted.links,
    )
    console.names.warm(list(current.config.syncs))
    api = FastAPI(title="rostersync console", docs_url=None, redoc_url=None, openapi_url=None)
    api.state.console = console
    api.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    for router in ROUTERS:
        api.include_router(router)
    mount(api, mounted)

    @api.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        try:
            response = await call_next(request)
        except Exception as exc:  # its message may quote a row: only its type is logged
            log.error("%s %s failed: %s", request.method, request.url.path, type(exc).__name__)
            response = _error_page(console, request, 500, "something went wrong; see the log")
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @api.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
            return RedirectResponse("/login", status_code=303)
        return PlainTextResponse("sign in first\n", status_code=401)

    @api.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return _error_page(console, request, exc.status_code, str(exc.detail))

    @api.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        # FastAPI's own answer echoes the input back; a form may hold a password.
        fields = sorted({str(e["loc"][-1]) for e in exc.errors() if e.get("loc")})
        return _error_page(console, request, 422, f"invalid input in: {', '.join(fields)}")

    return api


def _error_page(console: Console, request: Request, status: int, message: str) -> Response:
    if request.url.path in OPEN_PATHS:
        return PlainTextResponse(f"{message}\n", status_code=status)
    response: Response = console.render(
        request, "error.html", status_code=status, status=status, message=message
    )
    return response
