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

from sync.api import (
    FatalError,
    HttpClient,
    RetriableError,
    RetryPolicy,
    RunSummary,
    register_secret,
)

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


def send(url: str, data: Mapping[str, Any], *, wait: float = 1.0) -> bool:
    """POST with retries (429, 5xx and network faults); True if the webhook took it.
    Never raises."""
    register_secret(url)
    client = HttpClient(
        url,
        service=where(url),
        policy=RetryPolicy(ATTEMPTS, backoff_seconds=wait, max_wait_seconds=10 * wait),
        timeout=TIMEOUT_SECONDS,
    )
    try:
        client.request("POST", url, json=data)
    except (RetriableError, FatalError) as exc:
        log.error(
            "could not notify about run %s: %s (check [notify] webhook_url in config.toml)",
            data.get("id"),
            exc,
        )
        return False
    finally:
        client.close()
    return True


def notify_finished(summary: RunSummary, notify: Mapping[str, Any]) -> None:
    """Post a finished run to ``[notify] webhook_url``, if its status is listed in ``on``
    (``plugins.hooks.webhook`` calls this from the ``sync_finished`` hook)."""
    url = notify.get("webhook_url")
    if not url:
        return
    register_secret(url)
    if summary.status.value not in notify.get("on", ()):
        return
    if send(url, payload(summary)):
        log.info("notified %s about run %s (%s)", where(url), summary.id, summary.status.value)
