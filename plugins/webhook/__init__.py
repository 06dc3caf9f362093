"""The ``webhook`` notifier: posts each finished run's summary as JSON to ``[notify] webhook_url``.

Only for the statuses listed in ``[notify] on`` (by default partial, failed, held and
interrupted). A failed post is logged and never changes the run. The URL may carry a
secret token, so it is registered with ``sync.redact`` and only its host is ever logged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from sync.api import FatalError, RetriableError, RunSummary, hookimpl, register_secret

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10.0
ATTEMPTS = 3


def where(url: str) -> str:
    """The URL without path or query (which may hold a token), safe to log."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}" + (f":{parts.port}" if parts.port else "")


def payload(summary: RunSummary) -> dict[str, Any]:
    """The run summary, plus a one-line ``text`` that chat webhooks show as is."""
    data = summary.to_dict()
    line = f"rostersync: run {summary.id} of sync {summary.sync!r} {summary.status.value}"
    if summary.error:
        line += f": {summary.error}"
    data["text"] = line
    return data


def post(url: str, data: Mapping[str, Any]) -> None:
    """POST once; HTTP 429/5xx and network faults are retriable, other answers fatal."""
    try:
        response = requests.post(url, json=data, timeout=TIMEOUT_SECONDS)
    except requests.Timeout:
        raise RetriableError(f"{where(url)} timed out") from None
    except requests.ConnectionError:
        raise RetriableError(f"{where(url)} could not be reached") from None
    if response.status_code == 429 or response.status_code >= 500:
        raise RetriableError(f"{where(url)} answered HTTP {response.status_code}")
    if response.status_code >= 400:
        raise FatalError(f"{where(url)} answered HTTP {response.status_code}")


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    log.warning("webhook post failed (attempt %d of %d): %s", state.attempt_number, ATTEMPTS, exc)


def send(url: str, data: Mapping[str, Any], *, wait: float = 1.0) -> bool:
    """Post with retries; True if the webhook took it. Never raises."""
    retrying = Retrying(
        retry=retry_if_exception_type(RetriableError),
        stop=stop_after_attempt(ATTEMPTS),
        wait=wait_exponential(multiplier=wait, min=wait, max=10 * wait),
        before_sleep=_log_retry,
        reraise=True,
    )
    try:
        retrying(post, url, data)
    except (RetriableError, FatalError) as exc:
        log.error(
            "could not notify about run %s: %s (check [notify] webhook_url in config.toml)",
            data.get("id"),
            exc,
        )
        return False
    return True


@hookimpl
def sync_finished(summary: RunSummary, notify: Mapping[str, Any]) -> None:
    url = notify.get("webhook_url")
    if not url:
        return
    register_secret(url)
    if summary.status.value not in notify.get("on", ()):
        return
    if send(url, payload(summary)):
        log.info("notified %s about run %s (%s)", where(url), summary.id, summary.status.value)
