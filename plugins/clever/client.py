"""A small client for Clever's v3.0 Data API: bearer token, pages, retries, clear errors.

Only ``RetriableError`` is retried (429, 500/502/503/504, connection faults and
timeouts), a bounded number of times. A 429 waits for ``Retry-After`` when sent, else
until ``X-RateLimit-Reset``. Every other refusal is a ``SourceError`` that says what
to do. The token is sent in a header only and never appears in a message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from sync.api import RetriableError, SourceError, redact

log = logging.getLogger(__name__)

API_PREFIX = "/v3.0"
RETRIABLE_STATUS = frozenset({429, 500, 502, 503, 504})
JSON = dict[str, Any]

_ADVICE = {
    400: "Clever refused the request as malformed",
    401: "Clever rejected the token; check {key}.token (a district token from the Clever "
    'dashboard, normally {{ env = "CLEVER_TOKEN" }})',
    403: "the token may not read this; check the application's data sharing in Clever and "
    "that {key}.token is a district token",
    404: "not found; check {key}.base_url (https://api.clever.com)",
    413: "the page is too large; lower {key}.page_size (at most 10000)",
    501: "Clever does not implement this request",
}


class CleverHTTPError(SourceError):
    """Clever refused a request for good; ``status`` is the HTTP status."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Page:
    """One page of a list: its records (the inner ``data`` objects) and the next link."""

    uri: str
    records: list[JSON]
    next_uri: str | None


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
        return f"a non-JSON body: {text.strip()[:120]!r}"
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return f"message {body['message'][:300]!r}"
    return f"a JSON body: {text.strip()[:120]!r}"


def retry_after_seconds(response: requests.Response, now: float) -> float | None:
    """How long a 429 (or 503) asks us to wait: ``Retry-After``, else ``X-RateLimit-Reset``."""
    header = response.headers.get("Retry-After")
    if header:
        try:
            return max(0.0, float(header))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(header).timestamp() - now)
            except (TypeError, ValueError):
                pass
    reset = response.headers.get("X-RateLimit-Reset")
    if reset and response.status_code == 429:
        try:
            return max(0.0, float(reset) - now)
        except ValueError:
            return None
    return None


class CleverClient:
    """GETs from the Data API with retries; counts the retries it made in ``retries``."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        key: str,
        timeout: float = 30.0,
        max_attempts: int = 5,
        backoff_seconds: float = 1.0,
        max_wait_seconds: float = 120.0,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.key = key
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.max_wait_seconds = max_wait_seconds
        self.session = session or requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.session.headers["Accept"] = "application/json"
        self.sleep = sleep
        self.clock = clock
        self.retries = 0
        self.requests = 0

    def close(self) -> None:
        self.session.close()

    # -- one request ---------------------------------------------------------
    def url(self, uri: str) -> str:
        """An absolute URL for a path such as ``/v3.0/users?...`` (a ``next`` link)."""
        return urljoin(self.base_url + "/", uri.lstrip("/"))

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, RetriableError) and error.retry_after is not None:
            return min(error.retry_after, self.max_wait_seconds)
        backoff = self.backoff_seconds * 2 ** (state.attempt_number - 1)
        return float(min(backoff, self.max_wait_seconds))

    def _before_sleep(self, state: RetryCallState) -> None:
        self.retries += 1
        error = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.warning(
            "%s (attempt %d of %d); retrying in %.1fs",
            redact(str(error)),
            state.attempt_number,
            self.max_attempts,
            wait,
        )

    def get(self, uri: str, params: dict[str, str | int] | None = None) -> JSON:
        """The JSON object at ``uri``, retrying passing faults; raises ``SourceError`` or,
        once the attempts are used up, the last ``RetriableError``."""
        retrying = Retrying(
            retry=retry_if_exception_type(RetriableError),
            stop=stop_after_attempt(self.max_attempts),
            wait=self._wait,
            sleep=self.sleep,
            before_sleep=self._before_sleep,
            reraise=True,
        )
        result: JSON = retrying(self._get_once, uri, params)
        return result

    def _get_once(self, uri: str, params: dict[str, str | int] | None) -> JSON:
        url = self.url(uri)
        shown = urlsplit(url).path
        self.requests += 1
        try:
            response = self.session.get(url, params=params, timeout=self.timeout)
        except requests.Timeout:
            raise RetriableError(
                f"GET {shown}: Clever did not answer within {self.timeout:g}s"
            ) from None
        except requests.ConnectionError:
            host = urlsplit(url).netloc
            raise RetriableError(f"GET {shown}: cannot connect to {host}") from None
        status = response.status_code
        if status in RETRIABLE_STATUS:
            wait = retry_after_seconds(response, self.clock())
            reason = "rate limited" if status == 429 else describe_body(response)
            raise RetriableError(f"GET {shown}: HTTP {status} ({reason})", retry_after=wait)
        if status != 200:
            advice = _ADVICE.get(status, "Clever refused the request").format(key=self.key)
            raise CleverHTTPError(
                redact(
                    f"GET {shown}: HTTP {status}: {advice}; Clever sent {describe_body(response)}"
                ),
                status=status,
            )
        try:
            body = response.json()
        except ValueError:
            raise SourceError(
                f"GET {shown}: Clever answered 200 with {describe_body(response)}; "
                f"check {self.key}.base_url"
            ) from None
        if not isinstance(body, dict):
            raise SourceError(f"GET {shown}: expected a JSON object, got {type(body).__name__}")
        return body

    # -- lists -----------------------------------------------------------------
    def pages(self, path: str, params: dict[str, str | int] | None = None) -> Iterator[Page]:
        """Every page of a list, following ``next`` links until a page comes back empty."""
        uri: str | None = f"{API_PREFIX}{path}"
        query = params
        seen: set[str] = set()
        while uri is not None:
            body = self.get(uri, query)
            records = [_inner(item, uri) for item in _list(body, "data", uri)]
            next_uri = None
            for link in _list(body, "links", uri):
                if isinstance(link, dict) and link.get("rel") == "next" and link.get("uri"):
                    next_uri = str(link["uri"])
            yield Page(uri, records, next_uri if records else None)
            if not records:
                return
            if next_uri is not None and next_uri in seen:
                raise SourceError(f"GET {path}: Clever repeated the next link {next_uri}")
            if next_uri is not None:
                seen.add(next_uri)
            uri, query = next_uri, None


def _list(body: JSON, key: str, uri: str) -> list[Any]:
    value = body.get(key) or []
    if not isinstance(value, list):
        raise SourceError(f"GET {urlsplit(uri).path}: {key!r} is not a list")
    return value


def _inner(item: Any, uri: str) -> JSON:
    """The object inside a list envelope item ``{"data": {...}, "uri": ...}``."""
    inner = item.get("data") if isinstance(item, dict) else None
    if not isinstance(inner, dict):
        raise SourceError(f"GET {urlsplit(uri).path}: a list item has no 'data' object")
    return inner
