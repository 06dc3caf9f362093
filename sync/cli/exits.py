"""The command line's exit codes, and how a command fails with one.

0 ok, 1 failed, 2 bad configuration or usage, 3 partial (some changes rejected), 4 held
(a safety guard stopped the plan), 5 another run is in progress, 6 interrupted, 7 ok but
input rows were rejected (only with ``sync --strict`` or ``[sync] fail_on_rejected``).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from sync.model import RunStatus, Severity
from sync.redact import redact
from sync.terminal import echo

if TYPE_CHECKING:
    from sync.run.request import RunOutcome

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2
EXIT_PARTIAL = 3
EXIT_HELD = 4
EXIT_BUSY = 5
EXIT_INTERRUPTED = 6
EXIT_REJECTED = 7

STATUS_EXIT = {
    RunStatus.OK: EXIT_OK,
    RunStatus.FAILED: EXIT_FAILED,
    RunStatus.PARTIAL: EXIT_PARTIAL,
    RunStatus.HELD: EXIT_HELD,
    RunStatus.INTERRUPTED: EXIT_INTERRUPTED,
    RunStatus.REJECTED: EXIT_FAILED,
    RunStatus.APPROVED: EXIT_OK,
    RunStatus.RUNNING: EXIT_FAILED,
}


def fail(message: str, code: int = EXIT_FAILED) -> None:
    echo(f"rostersync: {redact(message)}", err=True)
    sys.exit(code)


def outcome_exit(outcome: RunOutcome, *, strict: bool = False) -> int:
    """The exit code of a run, or of a dry run (a plan a real run would hold exits 4);
    ``strict``: an ok run that rejected input rows exits 7."""
    code = STATUS_EXIT[outcome.status]
    if code == EXIT_OK and strict and rejected_rows(outcome) > 0:
        return EXIT_REJECTED
    return code


def rejected_rows(outcome: RunOutcome) -> int:
    """How many input records the run's sources rejected (its error issues)."""
    return sum(1 for issue in outcome.issues if issue.severity is Severity.ERROR)
