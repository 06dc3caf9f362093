"""One run of a sync: the engine and its steps, the lock, approval and the record."""

from __future__ import annotations

from sync.run.approval import fingerprint
from sync.run.engine import Engine
from sync.run.request import RunOutcome, RunRequest

__all__ = ["Engine", "RunOutcome", "RunRequest", "fingerprint"]
