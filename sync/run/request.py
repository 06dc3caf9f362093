"""What a run is asked to do (``RunRequest``) and what it did (``RunOutcome``)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from sync.guard import GuardVerdict
from sync.model import Change, Issue, Plan, RunStatus, TargetState, Trigger


@dataclass(frozen=True)
class RunRequest:
    """How to run: who asked, and what they allowed."""

    trigger: Trigger = Trigger.MANUAL
    dry_run: bool = False
    allow_deletes: bool = False
    stop: threading.Event | None = None
    progress: Callable[[str], None] = field(default=lambda message: None)
    approve: int | None = None
    """A held run whose plan to apply (if the target is unchanged since)."""
    compare_all: bool = False
    """Read and compare every member, whatever the target's member digests say."""
    undo: int | None = None
    """A run whose applied changes to take back (``sync.undo``)."""


@dataclass
class RunOutcome:
    """What a run did; ``run_id`` is None for a dry run, which records nothing."""

    sync: str
    status: RunStatus
    run_id: int | None = None
    plan: Plan = field(default_factory=Plan)
    issues: list[Issue] = field(default_factory=list)
    applied: dict[str, int] = field(default_factory=dict)
    failed: int = 0
    retries: int = 0
    error: str = ""
    verdict: GuardVerdict | None = None
    applied_changes: list[Change] = field(default_factory=list)
    target_fingerprint: str = ""
    source_groups: dict[str, int] = field(default_factory=dict)
    source_records: dict[str, int] = field(default_factory=dict)
    """Records each source read: the shrink guard's baseline once the run succeeds."""
    desired_blocks: int | None = None
    compared_all: bool = False
    """Whether the plan compared every member (no group taken on its digest)."""
    approved_run: int | None = None
    before: TargetState | None = None
    """The target as the plan found it, for the values undo needs (None: not read)."""
    undoes: int | None = None

    @property
    def ok(self) -> bool:
        return self.status is RunStatus.OK


class RunFailed(Exception):
    """Ends a run early with a status and a message for the record."""

    def __init__(self, message: str, status: RunStatus = RunStatus.FAILED) -> None:
        super().__init__(message)
        self.status = status
