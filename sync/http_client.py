"""The one HTTP layer for plugins: a session with timeouts, one status -> error mapping,
one retry policy, authenticators, and URLs and secrets kept out of every message.

``HttpClient.request`` sends one request and maps its answer:

- 2xx and 3xx: the ``requests.Response``;
- 429, 500, 502, 503, 504, a refused connection or a timeout: ``RetriableError`` (with
  ``retry_after`` from ``Retry-After``, seconds or an HTTP date, or from
  ``X-RateLimit-Reset`` on a 429), retried by ``sync.retry.RetryPolicy``;
- 501 and every other 4xx or 5xx: ``HttpRefused`` (a ``FatalError`` for that request)
  carrying the status, the decoded body and a one-line description of it.

A 401 makes the authenticator ``refresh`` (an OAuth token that expired early) and the
request is sent again once. Plugins translate ``HttpRefused`` into their own advice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import requests

from sync.errors import FatalError, RetriableError
from sync.redact import redact, register_secret
from sync.retry import RetryPolicy

log = logging.getLogger(__name__)

RETRIABLE_STATUS = frozenset({429, 500, 502, 503, 504})
#: ``X-RateLimit-Reset`` values above this are epoch seconds, below it seconds from now.
_EPOCH_THRESHOLD = 1_000_000_000
#: Query parameters whose values are masked in every URL we show.
SECRET_PARAMETERS = frozenset(
    {
        "access_token",
        "api_key",
        "apikey",
        "client_secret",
        "code",
        "key",
        "password",
        "secret",
        "sig",
        "signature",
        "token",
    }
)
MASK = "***"


def redact_url(url: str) -> str:
    """``url`` without its userinfo and with token-like query values masked."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return redact(url)
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    if parts.username is not None or parts.password is not None:
        netloc = f"{MASK}@{netloc}"
    query = parse_qsl(parts.query, keep_blank_values=True)
    masked = [
        (name, MASK if name.lower() in SECRET_PARAMETERS and value else value)
        for name, value in query
    ]
    shown = urlunsplit((parts.scheme, netloc, parts.path, urlencode(masked, safe="*,'<>="), ""))
    return redact(shown)


def describe_body(response: requests.Response) -> str:
    """What the body of an error answer says, in one line; HTML is named, not quoted."""
    text = response.text or ""
    kind = response.headers.get("Content-Type", "").lower()
    stripped = text.lstrip()[:200].lower()
    if "html" in kind or stripped.startswith(("<!doctype html", "<html")):
        return "an HTML page instead of JSON"
    if not text.strip():
        return "an empty body"
    try:
        body = response.json()
    except ValueError:
        return f"a non-JSON body: {_one_line(text, 120)!r}"
    if isinstance(body, dict):
        for key in ("message", "detail", "error_description", "error", "description"):
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return f"{key} {_one_line(value, 300)!r}"
    return f"a JSON body: {_one_line(text, 120)!r}"


def _one_line(text: str, limit: int) -> str:
    return " ".join(text.split())[:limit]


def retry_after_seconds(response: requests.Response, now: float) -> float | None:
    """How long the server asks us to wait: ``Retry-After`` (seconds or an HTTP date), else,
    on a 429, ``X-RateLimit-Reset`` (epoch seconds, or seconds from now when small)."""
    header = (response.headers.get("Retry-After") or "").strip()
    if header:
        try:
            return max(0.0, float(header))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(header).timestamp() - now)
            except (TypeError, ValueError):
                pass
    reset = (response.headers.get("X-RateLimit-Reset") or "").strip()
    if reset and response.status_code == 429:
        try:
            value = float(reset)
        except ValueError:
            return None
        return max(0.0, value - now if value > _EPOCH_THRESHOLD else value)
    return None


def decode_json(
    response: requests.Response,
    what: str,
    hint: str = "",
    *,
    error: type[FatalError] = FatalError,
) -> Any:
    """The JSON body of a successful answer, or ``error`` saying what came instead."""
    try:
        return response.json()
    except ValueError:
        advice = f"; {hint}" if hint else ""
        raise error(
            f"{what}: answered {response.status_code} with {describe_body(response)}{advice}"
        ) from None


class HttpRefused(FatalError):
    """The server refused one request for good (501, or a 4xx other than 429).

    ``status`` is the HTTP status, ``body`` the decoded JSON body (None when not JSON),
    ``description`` a one-line account of it.
    """

    def __init__(
        self, message: str, *, status: int, body: Any = None, description: str = ""
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = body
        self.description = description


class TokenRefused(HttpRefused):
    """The OAuth token endpoint refused the client's credentials (or the request)."""


# -- authenticators ------------------------------------------------------------------------


class Authenticator(Protocol):
    """Adds credentials to requests; kept apart from paging and mapping (singer-sdk style)."""

    def headers(self) -> Mapping[str, str]:
        """Headers to send with the next request (may fetch a token)."""
        ...

    def refresh(self) -> bool:
        """Forget credentials the server just refused; True if a retry may now succeed."""
        ...


class BearerToken:
    """A fixed bearer token (Clever's district token, a SCIM token)."""

    def __init__(self, token: str) -> None:
        register_secret(token)
        self._headers = {"Authorization": f"Bearer {token}"}

    def headers(self) -> Mapping[str, str]:
        return self._headers

    def refresh(self) -> bool:
        return False


class ClientCredentials:
    """OAuth 2.0 client credentials (RFC 6749 §4.4): a token from ``token_url``, kept until
    it expires (``expires_in``, less a margin) or the API answers 401, then fetched again.

    The client authenticates with HTTP Basic (RFC 6749 §2.3.1). A refused token request is
    a ``FatalError`` naming ``token_url``; a 429 or 5xx from it is retriable.
    """

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        scope: str | None = None,
        session: requests.Session | None = None,
        timeout: float | tuple[float, float] = 30.0,
        clock: Callable[[], float] = time.time,
        margin_seconds: float = 30.0,
    ) -> None:
        register_secret(client_secret)
        self.token_url = token_url
        self.client_id = client_id
        self._secret = client_secret
        self.scope = scope
        self.session = session or requests.Session()
        self.timeout = timeout
        self.clock = clock
        self.margin_seconds = margin_seconds
        self.fetched = 0
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()

    def headers(self) -> Mapping[str, str]:
        with self._lock:
            if self._token is None or self.clock() >= self._expires_at:
                self._fetch()
            return {"Authorization": f"Bearer {self._token}"}

    def refresh(self) -> bool:
        with self._lock:
            self._token = None
        return True

    def _fetch(self) -> None:
        data = {"grant_type": "client_credentials"}
        if self.scope:
            data["scope"] = self.scope
        what = f"POST {redact_url(self.token_url)}"
        try:
            response = _send(
                self.session,
                "POST",
                self.token_url,
                what=what,
                service="the token endpoint",
                timeout=self.timeout,
                clock=self.clock,
                data=data,
                auth=(self.client_id, self._secret),
            )
        except HttpRefused as exc:
            raise TokenRefused(
                str(exc), status=exc.status, body=exc.body, description=exc.description
            ) from None
        body = decode_json(response, what, "check token_url")
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise FatalError(f"{what}: the answer has no access_token")
        register_secret(token)
        try:
            lifetime = float(body.get("expires_in") or 3600)
        except (TypeError, ValueError):
            lifetime = 3600.0
        self._token = token
        self._expires_at = self.clock() + max(lifetime - self.margin_seconds, 0.0)
        self.fetched += 1
        log.info("%s: token fetched, valid for %.0fs", what, lifetime)

    def close(self) -> None:
        self.session.close()


# -- one request -----------------------------------------------------------------------


def _send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    what: str,
    service: str,
    timeout: float | tuple[float, float],
    clock: Callable[[], float],
    **kwargs: Any,
) -> requests.Response:
    """One request, its answer mapped to the error taxonomy (the module docstring)."""
    try:
        response = session.request(method, url, timeout=timeout, **kwargs)
    except requests.Timeout:
        raise RetriableError(f"{what}: {service} did not answer in time") from None
    except requests.ConnectionError:
        host = urlsplit(url).hostname or "?"
        raise RetriableError(f"{what}: cannot connect to {host}") from None
    status = response.status_code
    if status < 400:
        return response
    description = describe_body(response)
    if status in RETRIABLE_STATUS:
        reason = "rate limited" if status == 429 else description
        raise RetriableError(
            redact(f"{what}: {service} answered HTTP {status} ({reason})"),
            retry_after=retry_after_seconds(response, clock()),
        )
    try:
        body = response.json()
    except ValueError:
        body = None
    raise HttpRefused(
        redact(f"{what}: {service} answered HTTP {status}: {description}"),
        status=status,
        body=body,
        description=redact(description),
    )


class HttpClient:
    """Requests to one service under ``url``, with retries; counts ``requests`` and ``retries``.

    ``service`` names the far side in messages ("Clever", "the SCIM server"); ``headers``
    go with every request (``Accept: application/json`` unless given). ``timeout``
    is the read timeout; the connect timeout is ``connect_timeout`` (at most 10 s by
    default). ``sleep`` and ``clock`` are for tests.
    """

    def __init__(
        self,
        url: str,
        *,
        service: str,
        auth: Authenticator | None = None,
        policy: RetryPolicy | None = None,
        timeout: float = 30.0,
        connect_timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = url.rstrip("/")
        self.service = service
        self.auth = auth
        self.policy = policy or RetryPolicy()
        self.timeout = (min(timeout, 10.0) if connect_timeout is None else connect_timeout, timeout)
        self.session = session or requests.Session()
        self.session.headers.update({"Accept": "application/json", **(headers or {})})
        self.sleep = sleep
        self.clock = clock
        self.requests = 0
        self.retries = 0

    def close(self) -> None:
        self.session.close()

    def url(self, path: str) -> str:
        """An absolute URL for a path (``/v3.0/users?...``) or an absolute ``next`` link;
        a link to another host is refused, as the credentials would go with it."""
        if "://" not in path:
            return urljoin(self.base_url + "/", path.lstrip("/"))
        if _origin(path) != _origin(self.base_url):
            raise FatalError(
                f"{self.service} linked to {redact_url(path)}, another host than "
                f"{redact_url(self.base_url)}; not following it with the credentials"
            )
        return path

    def _count_retry(self, _: object) -> None:
        self.retries += 1

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        before_retry: Callable[[], Any] | None = None,
    ) -> Any:
        """The ``requests.Response`` to one request, retrying passing faults.

        ``before_retry`` runs before each retry; when it returns something other than None,
        that is returned instead (a POST whose first try reached the server finds what it
        made rather than making it twice). Raises ``HttpRefused`` or, once the attempts are
        used up, the last ``RetriableError``.
        """
        url = self.url(path)
        what = f"{method} {redact_url(url)}"
        retrying = self.policy.retrying(what, sleep=self.sleep, on_retry=self._count_retry)
        for attempt in retrying:
            with attempt:
                if before_retry is not None and attempt.retry_state.attempt_number > 1:
                    found = before_retry()
                    if found is not None:
                        return found
                return self._once(method, url, what, params=params, json=json)
        raise AssertionError("unreachable")  # pragma: no cover - tenacity reraises

    def _once(self, method: str, url: str, what: str, **kwargs: Any) -> requests.Response:
        refreshed = False
        while True:
            self.requests += 1
            headers = dict(self.auth.headers()) if self.auth is not None else {}
            try:
                return _send(
                    self.session,
                    method,
                    url,
                    what=what,
                    service=self.service,
                    timeout=self.timeout,
                    clock=self.clock,
                    headers=headers,
                    **kwargs,
                )
            except HttpRefused as refused:
                if refused.status != 401 or refreshed or self.auth is None:
                    raise
                if not self.auth.refresh():
                    raise
                refreshed = True
                log.info("%s: HTTP 401; fetching a new token and trying once more", what)


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.rpartition("@")[2].lower()


def next_link(response: requests.Response) -> str | None:
    """The ``Link: <...>; rel="next"`` target of an answer (RFC 8288), if any."""
    link = response.links.get("next") if response.headers.get("Link") else None
    url = link.get("url") if link else None
    return url or None
