"""What every view depends on: the console's context, the signed-in user, their role,
and a valid CSRF token on every form. Views declare these; none repeats the checks."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, URLSafeSerializer

from sync.app import App
from sync.config import WebConfig
from sync.metrics import MetricsPage
from sync.web.accounts import Account, Accounts, LoginThrottle, WebRole
from sync.web.names import NamesCache
from sync.web.runner import ConsoleRunner
from sync.web.sessions import CSRF_FIELD, Session, SessionCodec, client_address, csrf_matches

FLASH_COOKIE = "rostersync_flash"


@dataclass
class Console:
    """The console's state, shared by every request."""

    app: Callable[[], App]
    web: WebConfig
    accounts: Accounts
    sessions: SessionCodec
    throttle: LoginThrottle
    runner: ConsoleRunner
    templates: Jinja2Templates
    ref_key: bytes
    sessions_key: str
    healthy: Callable[[], bool]
    metrics: MetricsPage
    names: NamesCache
    links: tuple[Any, ...] = ()
    """Plugins' nav links (``sync.web.plugin_pages.NavLink``: title, href, role)."""

    def ref(self, value: str) -> str:
        """An opaque reference to a person or group id for URLs: no name in a URL."""
        return hmac.new(self.ref_key, value.encode(), hashlib.sha256).hexdigest()[:20]

    def render(
        self, request: Request, template: str, status_code: int = 200, **context: Any
    ) -> Response:
        user: SignedIn | None = getattr(request.state, "user", None)
        flash_value = request.cookies.get(FLASH_COOKIE)
        flash = _read_flash(self.sessions_key, flash_value) if flash_value else None
        response: Response = self.templates.TemplateResponse(
            request,
            template,
            {"user": user, "console": self, "csrf_field": CSRF_FIELD, "flash": flash, **context},
            status_code=status_code,
        )
        if flash_value:
            response.delete_cookie(FLASH_COOKIE)
        return response


class NotSignedIn(Exception):
    """Raised by ``signed_in``; the app answers with a redirect to the sign-in page (or
    401 for a request that is not a page)."""


@dataclass(frozen=True)
class SignedIn:
    account: Account
    session: Session

    @property
    def name(self) -> str:
        return self.account.name

    @property
    def role(self) -> WebRole:
        return self.account.role

    def can(self, role: str) -> bool:
        return self.account.role.allows(WebRole(role))


def console(request: Request) -> Console:
    found: Console = request.app.state.console
    return found


ConsoleDep = Annotated[Console, Depends(console)]


def signed_in(request: Request, ctx: ConsoleDep) -> SignedIn:
    session = ctx.sessions.read(request)
    account = ctx.accounts.get(session.user) if session else None
    if session is None or account is None:
        raise NotSignedIn
    user = SignedIn(account, session)
    request.state.user = user
    return user


def csrf_checked(
    user: Annotated[SignedIn, Depends(signed_in)],
    csrf_token: Annotated[str | None, Form()] = None,
) -> SignedIn:
    """A form post from a signed-in user carrying their session's CSRF token."""
    if not csrf_matches(user.session, csrf_token):
        raise HTTPException(403, "the form has expired or did not come from this console")
    return user


def _with_role(role: WebRole, base: Callable[..., SignedIn]) -> Callable[..., SignedIn]:
    """A dependency: the user ``base`` gives, who must have at least ``role``."""

    # A default, not Annotated: annotations are strings here, and a closure's name in
    # one would not resolve.
    def check(user: SignedIn = Depends(base)) -> SignedIn:  # noqa: B008
        if not user.role.allows(role):
            raise HTTPException(403, f"this needs the {role.value} role")
        return user

    return check


def require(role: WebRole) -> Callable[..., SignedIn]:
    """A dependency for a page: signed in, with at least ``role``."""
    return _with_role(role, signed_in)


def acting(role: WebRole) -> Callable[..., SignedIn]:
    """A dependency for an action: CSRF token checked, and at least ``role``."""
    return _with_role(role, csrf_checked)


Viewer = Annotated[SignedIn, Depends(require(WebRole.VIEWER))]
ViewerForm = Annotated[SignedIn, Depends(acting(WebRole.VIEWER))]
Admin = Annotated[SignedIn, Depends(require(WebRole.ADMIN))]
OperatorAction = Annotated[SignedIn, Depends(acting(WebRole.OPERATOR))]
AdminAction = Annotated[SignedIn, Depends(acting(WebRole.ADMIN))]


def address(request: Request, ctx: ConsoleDep) -> str:
    return client_address(request, ctx.web.trusted_proxies)


def redirect(ctx: Console, url: str, message: str = "", *, error: bool = False) -> Response:
    """A 303 to ``url`` carrying a one-time message for the next page."""
    response = RedirectResponse(url, status_code=303)
    if message:
        signer = URLSafeSerializer(ctx.sessions_key, salt="rostersync-flash")
        value = signer.dumps({"m": message[:500], "e": error})
        response.set_cookie(FLASH_COOKIE, value, max_age=60, httponly=True, samesite="lax")
    return response


def _read_flash(key: str, value: str) -> tuple[str, bool] | None:
    """The message left by ``redirect``."""
    try:
        data = URLSafeSerializer(key, salt="rostersync-flash").loads(value)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    return str(data.get("m", "")), bool(data.get("e"))
