"""A small client for Clever's v3.0 Data API: bearer token, pages, clear errors.

Requests, retries and the status -> error mapping are ``sync.api.HttpClient``'s; this
module says only Clever's paths, its paging and its advice. Every refusal is a
``CleverHTTPError`` (a ``SourceError``) that says what to do.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from sync.api import (
    BearerToken,
    HttpClient,
    HttpRefused,
    RetryPolicy,
    SourceError,
    decode_json,
    redact_url,
)

log = logging.getLogger(__name__)

API_PREFIX = "/v3.0"
JSON = dict[str, Any]

_ADVICE = {
    400: "Clever refused the request as malformed",
    401: "Clever rejected the token; check {key}.token (a district token from the Clever "
    'dashboard, normally {{ env = "CLEVER_TOKEN" }})',
    403: "the token may not read this; check the application's data sharing in Clever and "
    "that {key}.token is a district token",
    404: "not found; check {key}.url (https://api.clever.com)",
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


class CleverClient(HttpClient):
    """GETs from the Data API with retries; counts the retries it made in ``retries``."""

    def __init__(
        self,
        url: str,
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
        super().__init__(
            url,
            service="Clever",
            auth=BearerToken(token),
            policy=RetryPolicy(max_attempts, backoff_seconds, max_wait_seconds),
            timeout=timeout,
            session=session,
            sleep=sleep,
            clock=clock,
        )
        self.key = key

    def get(self, uri: str, params: dict[str, str | int] | None = None) -> JSON:
        """The JSON object at ``uri``, retrying passing faults; raises ``SourceError`` or,
        once the attempts are used up, the last ``RetriableError``."""
        what = f"GET {redact_url(self.url(uri))}"
        try:
            response = self.request("GET", uri, params=params)
        except HttpRefused as exc:
            advice = _ADVICE.get(exc.status, "Clever refused the request").format(key=self.key)
            raise CleverHTTPError(
                f"{what}: HTTP {exc.status}: {advice}; Clever sent {exc.description}",
                status=exc.status,
            ) from None
        body = decode_json(response, what, f"check {self.key}.url", error=SourceError)
        if not isinstance(body, dict):
            raise SourceError(f"{what}: expected a JSON object, got {type(body).__name__}")
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
