"""A Plan -> the target, in batches, retrying only retriable errors.

Batches hold changes of one kind, in the plan's order (create before add, add
before remove, remove before delete). A batch that fails with ``RetriableError``
is retried whole, which is safe because targets apply idempotently. Changes the
target rejects for good are collected and the rest go on. A batch that raises
``SkippableError`` is applied again change by change: each change that raises it is
skipped (reported as a rejected change) and the others go on. Any other exception ends
the apply with ``ApplyResult.error``, keeping what was applied before it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from operator import attrgetter
from typing import Protocol

from tenacity import RetryCallState

from sync.contract import Target
from sync.errors import RostersyncError, SkippableError
from sync.model import Change, ChangeFailure
from sync.retry import RetryPolicy

log = logging.getLogger(__name__)


class StopSignal(Protocol):
    """Anything that says whether to stop (a ``threading.Event``, or several at once)."""

    def is_set(self) -> bool: ...


@dataclass
class ApplyResult:
    """What was applied and rejected; ``error`` or ``interrupted`` say why it stopped early."""

    applied: list[Change] = field(default_factory=list)
    failures: list[ChangeFailure] = field(default_factory=list)
    retries: int = 0
    error: Exception | None = None
    interrupted: bool = False

    @property
    def complete(self) -> bool:
        return self.error is None and not self.interrupted


def batches(changes: Sequence[Change], size: int) -> Iterator[Sequence[Change]]:
    """Consecutive runs of one kind, at most ``size`` changes each."""
    for _, run in groupby(changes, key=attrgetter("kind")):
        same_kind = list(run)
        for start in range(0, len(same_kind), size):
            yield same_kind[start : start + size]


def _policy(attempts: int, base: float) -> RetryPolicy:
    """Backoff from ``base`` up to 60 s; a target's ``Retry-After`` is honoured up to 300 s."""
    return RetryPolicy(
        max_attempts=attempts, backoff_seconds=base, max_backoff_seconds=60, max_wait_seconds=300
    )


def apply_plan(
    target: Target,
    changes: Sequence[Change],
    *,
    batch_size: int,
    attempts: int,
    retry_wait: float,
    stop: StopSignal | None = None,
    on_batch: Callable[[ApplyResult], None] | None = None,
) -> ApplyResult:
    """Apply ``changes`` in order, stopping between batches once ``stop`` is set.

    A batch still failing after ``attempts`` ends the apply with ``result.error``;
    what was applied before it stays applied and is listed in the result.
    """
    result = ApplyResult()

    def count_retry(state: RetryCallState) -> None:
        result.retries += 1

    retrying = _policy(attempts, retry_wait).retrying("target batch", on_retry=count_retry)
    for batch in batches(changes, batch_size):
        if stop is not None and stop.is_set():
            result.interrupted = True
            break
        try:
            _apply_batch(lambda changes: retrying(target.apply, changes), batch, result)
        except Exception as exc:  # what earlier batches applied stays in the result
            if not isinstance(exc, RostersyncError):
                log.error("the target failed with an unexpected error", exc_info=exc)
            result.error = exc
            break
        if on_batch is not None:
            on_batch(result)
    return result


def _apply_batch(
    apply: Callable[[Sequence[Change]], Sequence[ChangeFailure]],
    batch: Sequence[Change],
    result: ApplyResult,
) -> None:
    """Apply one batch into ``result``; on ``SkippableError``, change by change."""
    try:
        _record(result, batch, apply(batch))
        return
    except SkippableError as exc:
        log.warning(
            "a batch of %d %s changes raised SkippableError (%s); applying them one by one",
            len(batch),
            batch[0].kind.value,
            exc,
        )
    for change in batch:
        try:
            failures = apply([change])
        except SkippableError as exc:
            result.failures.append(ChangeFailure(change, f"skipped: {exc}"))
            continue
        _record(result, [change], failures)


def _record(
    result: ApplyResult, batch: Sequence[Change], failures: Sequence[ChangeFailure]
) -> None:
    if failures:
        failed = {f.change for f in failures}
        result.failures.extend(failures)
        result.applied.extend(c for c in batch if c not in failed)
    else:
        result.applied.extend(batch)
