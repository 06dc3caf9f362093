"""A small SCIM 2.0 client: bearer token, paging, and SCIM's refusals.

Requests, retries (429, 5xx but 501, timeouts, refused connections) and the status ->
error mapping are ``sync.api.HttpClient``'s. Here, 401 and 403 raise ``TargetError``
(the run stops); 501 and any other 4xx raise ``ScimRefused`` carrying the server's
``detail`` and ``scimType``: that one request is refused, the others go on.
The bearer token is sent in a header only and never appears in a message.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import requests

from sync.api import (
    BearerToken,
    HttpClient,
    HttpRefused,
    RetryPolicy,
    RostersyncError,
    TargetError,
    redact,
)

SCIM_JSON = "application/scim+json"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"


class ScimRefused(RostersyncError):
    """The server refused one request for good (501, or a 4xx other than 429)."""

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


def _refusal(exc: HttpRefused) -> ScimRefused:
    """The SCIM error's ``detail`` and ``scimType`` (RFC 7644 §3.12), or the body's gist."""
    body = exc.body if isinstance(exc.body, dict) else {}
    detail = str(body.get("detail") or "").strip()[:500] or exc.description
    return ScimRefused(exc.status, redact(detail), str(body.get("scimType") or ""))


class ScimClient:
    """Talks to one SCIM service provider; ``retries`` counts the retried requests."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = 30.0,
        policy: RetryPolicy | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        where: str = "the scim target",
    ) -> None:
        self.where = where
        self.http = HttpClient(
            url,
            service="the SCIM server",
            auth=BearerToken(token),
            policy=policy,
            timeout=timeout,
            headers={
                "Accept": f"{SCIM_JSON}, application/json",
                "Content-Type": SCIM_JSON,
                "User-Agent": "rostersync-scim",
            },
            session=session,
            sleep=sleep,
        )

    @property
    def retries(self) -> int:
        return self.http.retries

    def close(self) -> None:
        self.http.close()

    # -- one request -------------------------------------------------------------------

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
        try:
            answer = self.http.request(
                method, path, params=params, json=body, before_retry=before_retry
            )
        except HttpRefused as exc:
            if exc.status in (401, 403):  # every request would fail the same way: stop the run
                raise TargetError(
                    f"{self.where}: the SCIM server refused the token ({exc.status}) for "
                    f"{method} {path}; check the token and its permissions on Users and Groups"
                ) from None
            raise _refusal(exc) from None
        if not isinstance(answer, requests.Response):
            return answer  # what before_retry found
        if answer.status_code == 204 or not answer.content:
            return None
        try:
            return answer.json()
        except ValueError:
            raise ScimRefused(
                answer.status_code, "the answer is not JSON", "invalidSyntax"
            ) from None

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
