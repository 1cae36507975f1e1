"""When a failed Twilio request is tried again, and how long to wait first.

Twilio documents that a 429 was not processed, so any request may be re-sent after one; reads are
idempotent, so they may also be re-sent after a transient 5xx, dropped connection or timeout.
Writes are re-sent only after a 429. A create-call POST is never re-sent, not even after a 429:
one click must never place two calls, and a create that failed ambiguously is reconciled by
looking the call up, not by posting again. Waits use exponential backoff with full jitter, never
shorter than the server's Retry-After; attempts and waits are bounded so a worker thread is
never held for long (longer waits are left to the caller's poll schedule, via `retry_after`).
"""

from __future__ import annotations

import random as _random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TypeVar

from moderator.core.errors import ErrorKind, TwilioError

__all__ = ["NO_RETRY", "Operation", "RetryPolicy"]

T = TypeVar("T")

_TRANSIENT_KINDS = frozenset(
    {ErrorKind.SERVER, ErrorKind.NETWORK, ErrorKind.TIMEOUT, ErrorKind.MALFORMED}
)


class Operation(Enum):
    """What a request does, which decides whether re-sending it is safe."""

    READ = "read"
    WRITE = "write"
    CREATE_CALL = "create-call"


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and full jitter.

    `sleep` and `random` (returning a float in [0, 1)) are injectable so tests neither wait nor
    depend on chance.
    """

    #: Total attempts (first try included) for a request that keeps getting 429.
    max_attempts: int = 4
    #: Total attempts for a read that keeps failing transiently (5xx, network, timeout).
    max_transient_attempts: int = 3
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0
    #: A Retry-After longer than this is not slept through here; the error goes up instead.
    max_retry_after_s: float = 10.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    random: Callable[[], float] = field(
        default_factory=lambda: _random.Random().random, repr=False, compare=False
    )

    def backoff_delay(self, retry_number: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number `retry_number` (1 for the first retry).

        Full jitter: uniform in [0, min(max_delay, base * 2**(n-1))], then raised to Retry-After.
        """
        ceiling = min(self.max_delay_s, self.base_delay_s * 2.0 ** max(0, retry_number - 1))
        delay = self.random() * ceiling
        if retry_after is not None and retry_after > delay:
            delay = retry_after
        return delay

    def should_retry(self, operation: Operation, error: TwilioError, attempt: int) -> bool:
        """Whether to try again after `error` on attempt number `attempt` (1-based)."""
        if operation is Operation.CREATE_CALL:
            return False
        if error.retry_after is not None and error.retry_after > self.max_retry_after_s:
            return False
        if error.kind is ErrorKind.RATE_LIMITED:
            return attempt < self.max_attempts
        if operation is Operation.READ and error.kind in _TRANSIENT_KINDS:
            return attempt < self.max_transient_attempts
        return False

    def run(self, operation: Operation, request: Callable[[], T]) -> T:
        """Call `request` (which raises only TwilioError) until it succeeds or may not retry."""
        attempt = 1
        while True:
            try:
                return request()
            except TwilioError as error:
                if not self.should_retry(operation, error, attempt):
                    raise
                self.sleep(self.backoff_delay(attempt, error.retry_after))
                attempt += 1


#: For callers that handle failures themselves (e.g. a poll loop with its own backoff).
NO_RETRY = RetryPolicy(max_attempts=1, max_transient_attempts=1)
