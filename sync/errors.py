"""One error taxonomy: fatal, retriable and skippable (after meltano's SDK).

Only ``RetriableError`` is ever retried. A ``FatalError`` ends the run. A
``SkippableError`` rejects one record or one change and lets the rest go on.
"""

from __future__ import annotations


class RostersyncError(Exception):
    """Base class of every error rostersync raises on purpose."""


class ConfigError(RostersyncError):
    """The configuration is wrong; the message names the file and the key."""


class FatalError(RostersyncError):
    """The run cannot go on (bad credentials, an unreadable file, a 4xx answer)."""


class SourceError(FatalError):
    """A source could not be read; the target is left untouched."""


class TargetError(FatalError):
    """A target refused a whole batch for good, or could not be read."""


class StateDatabaseError(FatalError):
    """The state database cannot be used: made by a newer rostersync, damaged, or full."""


class RetriableError(RostersyncError):
    """A passing fault (HTTP 429 or 5xx, a timeout, a lock): retry with backoff.

    ``retry_after`` (seconds), when the far side said how long to wait.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SkippableError(RostersyncError):
    """One record or one change is bad; report it and carry on with the others.

    A target raises it from ``apply``: the batch is applied again change by change and
    each change that raises it is reported as rejected. A source raises it for one record
    inside ``SkippedRecords.record()``; ``field`` and ``value`` say what was wrong.
    """

    def __init__(self, message: str, *, field: str = "", value: str = "") -> None:
        super().__init__(message)
        self.field = field
        self.value = value


class RunInProgressError(RostersyncError):
    """Another run of the same sync holds the lock."""

    def __init__(self, message: str, *, run_id: int | None = None, since: str = "") -> None:
        super().__init__(message)
        self.run_id = run_id
        self.since = since
