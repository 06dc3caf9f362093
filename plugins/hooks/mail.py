"""The ``mail`` notifier's hook (the notifier itself, with smtplib and tenacity:
``plugins.mail``, imported only when a run finishes with ``[notify.email]`` configured)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sync.api import hookimpl

if TYPE_CHECKING:
    from sync.api import RunSummary


@hookimpl
def sync_finished(summary: RunSummary, notify: Mapping[str, Any], rejected_rows: int) -> None:
    if not notify.get("email"):
        return
    from plugins.mail import notify_finished

    notify_finished(summary, notify, rejected_rows)
