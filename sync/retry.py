"""The one retry policy: retry only ``RetriableError``, wait as the far side asks, capped.

A ``RetriableError`` with ``retry_after`` (from ``Retry-After`` or a rate-limit reset)
waits that long, at most ``max_wait_seconds``; one without waits ``backoff_seconds``,
doubling per attempt, at most ``max_backoff_seconds`` (``max_wait_seconds`` when unset).
Every retry is logged with its attempt number and wait. The HTTP layer
(``sync.http_client``) and the apply loop (``sync.apply``) both use it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from sync.errors import RetriableError
from sync.redact import redact

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How often to try and how long to wait between tries."""

    max_attempts: int = 5
    backoff_seconds: float = 1.0
    max_wait_seconds: float = 120.0
    max_backoff_seconds: float | None = None

    def wait(self, state: RetryCallState) -> float:
        """Seconds to wait after the attempt ``state`` describes failed."""
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        if isinstance(error, RetriableError) and error.retry_after is not None:
            return min(max(error.retry_after, 0.0), self.max_wait_seconds)
        cap = (
            self.max_wait_seconds if self.max_backoff_seconds is None else self.max_backoff_seconds
        )
        return float(min(self.backoff_seconds * 2 ** (state.attempt_number - 1), cap))

    def retrying(
        self,
        what: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
        on_retry: Callable[[RetryCallState], None] | None = None,
    ) -> Retrying:
        """A tenacity ``Retrying`` for this policy; ``what`` names the work in log lines."""

        def before_sleep(state: RetryCallState) -> None:
            if on_retry is not None:
                on_retry(state)
            error = state.outcome.exception() if state.outcome is not None else None
            wait = state.next_action.sleep if state.next_action is not None else 0.0
            log.warning(
                "%s failed (attempt %d of %d): %s; retrying in %.1fs",
                what,
                state.attempt_number,
                self.max_attempts,
                redact(str(error)),
                wait,
            )

        return Retrying(
            retry=retry_if_exception_type(RetriableError),
            stop=stop_after_attempt(self.max_attempts),
            wait=self.wait,
            sleep=sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
