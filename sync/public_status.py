"""What the unauthenticated endpoints may show: counts and statuses, never a name.

``/status`` is open to anyone who can reach the port (a load balancer, a monitoring
probe). An error or an issue message may quote a row of a roster file (``found
'Harry_Potter,Potions'``) and a pause reason is free text, so neither is shown there;
``rostersync status`` and the authenticated console show them in full.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_RUN_KEYS = ("id", "sync", "trigger", "status", "started_at", "finished_at", "retries", "dry_run")


def public_run(run: Mapping[str, Any]) -> dict[str, Any]:
    """A run record's statuses, times and numbers; ``error`` says only whether there was one."""
    kept = {key: run[key] for key in _RUN_KEYS if key in run}
    kept["counts"] = {str(k): int(v) for k, v in dict(run.get("counts") or {}).items()}
    kept["issues"] = int(run.get("issues") or 0)
    kept["error"] = bool(run.get("error"))
    return kept


def public_status(report: Mapping[str, Any]) -> dict[str, Any]:
    """One sync's status report (``rostersync status --json``) without any free text."""
    last = report.get("last_run")
    return {
        "sync": report.get("sync"),
        "state": report.get("state"),
        "step": report.get("step", ""),
        "last_run": public_run(last) if last else None,
        "last_import_at": report.get("last_import_at"),
        "paused": bool(report.get("paused")),
        "paused_until": report.get("paused_until"),
    }
