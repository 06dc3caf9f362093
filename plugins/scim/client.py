"""A small SCIM 2.0 client: bearer token, paging, and retries of passing faults only.

Every request goes through ``ScimClient.request``. HTTP 429, 5xx, timeouts and refused
connections raise ``RetriableError`` and are retried with tenacity (honouring
``Retry-After``); 401 and 403 raise ``TargetError`` (the run stops); any other 4xx raises
``ScimRefused`` carrying the server's ``detail``.
The bearer token is sent in a header only and never appears in a message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from sync.api import RetriableError, RostersyncError, TargetError, redact

log = logging.getLogger(__name__)

SCIM_JSON = "application/scim+json"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"

#: Longest ``Retry-After`` we honour; a server asking for more is waited on this long.
MAX_RETRY_AFTER = 120.0


class ScimRefused(RostersyncError):
    """The server refused one request for good (a 4xx other than 429)."""

    def __init__(self, status: int, detail: str, scim_type: str = "") -> None:
        text = f"the SCIM server answered {status}"
        if scim_type:
            text += f" ({scim_type})"
        if detail:
            text += f": {detail}"
        super().__init__(redact(text))
        self.status = status
        self.detail = detail
        self.scim_type = scim_type


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a request that failed for a passing reason."""

    attempts: int = 5
    wait: float = 1.0
    max_wait: float = 30.0


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds: a number, or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def _detail(response: requests.Response) -> tuple[str, str]:
    """The SCIM error's ``detail`` and ``scimType``, or the start of the body."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:200], ""
    if isinstance(body, dict):
        return str(body.get("detail") or "").strip()[:500], str(body.get("scimType") or "")
    return "", ""


class ScimClient:
    """Talks to one SCIM service provider; ``retries`` counts the retried requests."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 30.0,
        policy: RetryPolicy | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] | None = None,
        where: str = "the scim target",
    ) -> None:
        self.where = where
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.policy = policy or RetryPolicy()
        self.session = session or requests.Session()
        self.session.headers.update(
            {
                "Authorization": f"Bearer {token}",
                "Accept": f"{SCIM_JSON}, application/json",
                "Content-Type": SCIM_JSON,
                "User-Agent": "rostersync-scim",
            }
        )
        self.retries = 0
        self._sleep = sleep

    def close(self) -> None:
        self.session.close()

    # -- one request -------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        body: Any,
    ) -> requests.Response:
        url = f"{self.base_url}/{path.lstrip('/')}"
        try:
            response = self.session.request(
                method, url, params=params, json=body, timeout=self.timeout
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise RetriableError(
                f"{method} {path}: the SCIM server did not answer ({type(exc).__name__})"
            ) from None
        status = response.status_code
        if status == 429 or status >= 500:
            detail, _ = _detail(response)
            raise RetriableError(
                redact(f"{method} {path}: the SCIM server answered {status}: {detail}".strip()),
                retry_after=_retry_after(response.headers.get("Retry-After")),
            )
        if status in (401, 403):  # every request would fail the same way: stop the run
            raise TargetError(
                f"{self.where}: the SCIM server refused the token ({status}) for "
                f"{method} {path}; check the token and its permissions on Users and Groups"
            )
        if status >= 400:
            detail, scim_type = _detail(response)
            raise ScimRefused(status, detail, scim_type)
        return response

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, RetriableError) and exc.retry_after is not None:
            return min(exc.retry_after, MAX_RETRY_AFTER)
        backoff = wait_exponential(
            multiplier=self.policy.wait, min=self.policy.wait, max=self.policy.max_wait
        )
        return float(backoff(state))

    def _log_retry(self, state: RetryCallState) -> None:
        self.retries += 1
        exc = state.outcome.exception() if state.outcome is not None else None
        log.warning(
            "SCIM request failed (attempt %d of %d): %s; retrying",
            state.attempt_number,
            self.policy.attempts,
            exc,
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        before_retry: Callable[[], Any] | None = None,
    ) -> Any:
        """Send a request, retrying passing faults; the decoded JSON body, or None.

        ``before_retry`` runs before each retry and, when it returns something other
        than None, that is the answer: a POST whose first try did reach the server
        finds what it created instead of creating it twice.
        """
        retrying = Retrying(
            retry=retry_if_exception_type(RetriableError),
            stop=stop_after_attempt(self.policy.attempts),
            wait=self._wait,
            before_sleep=self._log_retry,
            reraise=True,
            sleep=self._sleep or time.sleep,
        )
        for attempt in retrying:
            with attempt:
                if before_retry is not None and attempt.retry_state.attempt_number > 1:
                    found = before_retry()
                    if found is not None:
                        return found
                response = self._send(method, path, params, body)
                if response.status_code == 204 or not response.content:
                    return None
                try:
                    return response.json()
                except ValueError:
                    raise ScimRefused(
                        response.status_code, "the answer is not JSON", "invalidSyntax"
                    ) from None
        raise AssertionError("unreachable")  # pragma: no cover - tenacity reraises

    # -- resources ---------------------------------------------------------------------

    def search(
        self,
        resource: str,
        *,
        page_size: int,
        filter: str | None = None,
        attributes: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every resource of a type, page by page with ``startIndex``/``count`` (1-based)."""
        start = 1
        while True:
            params: dict[str, Any] = {"startIndex": start, "count": page_size}
            if filter:
                params["filter"] = filter
            if attributes:
                params["attributes"] = attributes
            page = self.request("GET", resource, params=params) or {}
            items = page.get("Resources") or []
            yield from items
            total = int(page.get("totalResults", 0))
            start += len(items)
            if not items or start > total:
                return

    def service_provider_config(self) -> dict[str, Any]:
        try:
            config = self.request("GET", "ServiceProviderConfig")
        except ScimRefused:
            return {}
        return config if isinstance(config, dict) else {}

    def patch(self, resource: str, operations: list[dict[str, Any]]) -> Any:
        return self.request(
            "PATCH", resource, body={"schemas": [PATCH_OP], "Operations": operations}
        )


def quote(value: str) -> str:
    """A string literal for a SCIM filter (RFC 7644 §3.4.2.2 uses JSON strings)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
