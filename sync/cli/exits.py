"""The command line's exit codes, and how a command fails with one.

0 ok, 1 failed, 2 bad configuration or usage, 3 partial (some changes rejected), 4 held
(a safety guard stopped the plan), 5 another run is in progress, 6 interrupted.
"""

from __future__ import annotations

import sys

import click

from sync.model import RunStatus
from sync.redact import redact

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2
EXIT_PARTIAL = 3
EXIT_HELD = 4
EXIT_BUSY = 5
EXIT_INTERRUPTED = 6

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
    click.echo(f"rostersync: {redact(message)}", err=True)
    sys.exit(code)
