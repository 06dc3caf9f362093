"""Signing in and out. Failed sign-ins are throttled per account and per address."""

from __future__ import annotations

import logging
import math
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from sync.web.deps import ConsoleDep, SignedIn, address, csrf_checked
from sync.web.sessions import came_over_https

log = logging.getLogger(__name__)
router = APIRouter(tags=["sign in"])
LOGIN_COOKIE = "rostersync_login"


def _form_serializer(ctx: ConsoleDep) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(ctx.sessions_key, salt="rostersync-login")


def _login_page(
    request: Request, ctx: ConsoleDep, *, error: str = "", status_code: int = 200
) -> Response:
    nonce = secrets.token_urlsafe(16)
    token = _form_serializer(ctx).dumps(nonce)
    response: Response = ctx.render(
        request, "login.html", status_code=status_code, login_token=token, error=error
    )
    response.set_cookie(LOGIN_COOKIE, nonce, max_age=3600, httponly=True, samesite="lax")
    return response


@router.get("/login")
def login_form(request: Request, ctx: ConsoleDep) -> Response:
    return _login_page(request, ctx)


@router.post("/login")
def login(
    request: Request,
    ctx: ConsoleDep,
    client: Annotated[str, Depends(address)],
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        nonce = _form_serializer(ctx).loads(csrf_token, max_age=3600)
    except BadSignature:
        nonce = None
    if not nonce or nonce != request.cookies.get(LOGIN_COOKIE):
        return _login_page(
            request, ctx, error="The sign-in form expired; please try again.", status_code=403
        )
    keys = (f"account:{username.casefold()}", f"address:{client}")
    wait = ctx.throttle.retry_after(*keys)
    if wait > 0:
        log.warning("sign-in throttled for %s", client)
        response = _login_page(
            request,
            ctx,
            error=f"Too many failed sign-ins. Try again in {math.ceil(wait / 60)} minutes.",
            status_code=429,
        )
        response.headers["Retry-After"] = str(math.ceil(wait))
        return response
    account = ctx.accounts.verify(username, password)
    if account is None:
        ctx.throttle.failed(*keys)
        log.warning("failed sign-in from %s", client)
        return _login_page(request, ctx, error="Wrong account name or password.", status_code=401)
    ctx.throttle.succeeded(*keys)
    response = RedirectResponse("/", status_code=303)
    ctx.sessions.issue(
        response, account.name, secure=came_over_https(request, ctx.web.trusted_proxies)
    )
    response.delete_cookie(LOGIN_COOKIE)
    ctx.accounts.record(account.name, "sign in", detail=f"from {client}")
    return response


@router.post("/logout")
def logout(ctx: ConsoleDep, user: Annotated[SignedIn, Depends(csrf_checked)]) -> Response:
    response = RedirectResponse("/login", status_code=303)
    ctx.sessions.clear(response)
    ctx.accounts.record(user.name, "sign out")
    return response
