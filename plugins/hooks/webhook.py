"""The ``webhook`` notifier's hook (the notifier itself, with its HTTP client:
``plugins.webhook``, imported only when a run finishes with a webhook configured)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sync.api import hookimpl

if TYPE_CHECKING:
    from sync.api import RunSummary


@hookimpl
def sync_finished(summary: RunSummary, notify: Mapping[str, Any]) -> None:
    if not notify.get("webhook_url"):
        return
    from plugins.webhook import notify_finished

    notify_finished(summary, notify)
