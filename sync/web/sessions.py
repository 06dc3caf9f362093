"""Signed session cookies, CSRF tokens, and the client's address behind a proxy.

A session is a signed, timestamped cookie (itsdangerous) holding the account name and
a random CSRF token; it is ``HttpOnly`` and ``SameSite=Lax``, and expires after
``[web] session_minutes``. The account is looked up again on every request, so a
removed account or a lowered role takes effect at once.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

COOKIE = "rostersync_session"
CSRF_FIELD = "csrf_token"


@dataclass(frozen=True)
class Session:
    user: str
    csrf: str


class SessionCodec:
    """Makes and reads session cookies signed with the console's key."""

    def __init__(self, key: str, max_age_seconds: int) -> None:
        self._serializer = URLSafeTimedSerializer(key, salt="rostersync-session")
        self.max_age = max_age_seconds

    def issue(self, response: Response, user: str, *, secure: bool = False) -> Session:
        """Set the cookie; ``secure`` (the browser came over HTTPS) keeps it off plain HTTP."""
        session = Session(user=user, csrf=secrets.token_urlsafe(24))
        token = self._serializer.dumps({"u": session.user, "c": session.csrf})
        response.set_cookie(
            COOKIE,
            token,
            max_age=self.max_age,
            httponly=True,
            samesite="lax",
            secure=secure,
            path="/",
        )
        return session

    def read(self, request: Request) -> Session | None:
        token = request.cookies.get(COOKIE)
        if not token:
            return None
        try:
            data = self._serializer.loads(token, max_age=self.max_age)
        except BadSignature:  # also an expired one (SignatureExpired)
            return None
        if not isinstance(data, dict):
            return None
        user, csrf = data.get("u"), data.get("c")
        if not isinstance(user, str) or not isinstance(csrf, str):
            return None
        return Session(user=user, csrf=csrf)

    @staticmethod
    def clear(response: Response) -> None:
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")


def csrf_matches(session: Session, submitted: str | None) -> bool:
    return bool(submitted) and hmac.compare_digest(session.csrf, str(submitted))


def client_address(request: Request, trusted_proxies: Sequence[str]) -> str:
    """The client's address: the peer, or, when the peer is a trusted proxy, the last
    address in ``X-Forwarded-For`` that is not itself a trusted proxy."""
    peer = request.client.host if request.client else ""
    networks = [ipaddress.ip_network(p, strict=False) for p in trusted_proxies]
    if not networks or not _in(peer, networks):
        return peer
    forwarded = request.headers.get("x-forwarded-for", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _in(hop, networks):
            return hop
    return hops[0] if hops else peer


def came_over_https(request: Request, trusted_proxies: Sequence[str]) -> bool:
    """Whether the browser's connection was HTTPS: ours, or a trusted proxy's word."""
    if request.url.scheme == "https":
        return True
    peer = request.client.host if request.client else ""
    networks = [ipaddress.ip_network(p, strict=False) for p in trusted_proxies]
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return bool(networks) and _in(peer, networks) and forwarded == "https"


def _in(address: str, networks: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)
