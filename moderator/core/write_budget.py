"""Twilio's write limit as a planner: which queued writes may go now, and when the next may.

Twilio allows an account about 20 writes (POST/DELETE) per second, counted for everything the
account's apps write: a mute in a 40-person room is 39 rule updates, and a dial placed meanwhile
competes with them. `WriteBudget` is the one gate every writer of the app goes through. It is a
planner, not a worker: it never sleeps and starts no thread. The caller asks `admit()` for what
may be sent now, `next_slot()` for when to ask again, and reports each outcome; time comes from
an injected clock, so tests drive it by hand.

The limit is a sliding window, not a token bucket: a bucket of 20 refilled at 20/s lets 40
through in one second (a full bucket, then a second's refill), while a log of send times admits
a write only if fewer than `rate` were sent in the `window_s` before it, so no window of that
length ever holds more than `rate`.

Twilio counts a write when it *arrives*, which is some time after the app admitted it (a worker
thread that starts late on a busy machine, the network) and before its answer. So a queued
write occupies its slot from admission until its answer, and its window runs from the answer:
then no `window_s` of arrivals can hold more than `rate`, however late each one was sent. (Of
writes arriving within one window, the last admitted was admitted before its arrival, hence
less than `window_s` after every other one's arrival, hence while each of them still counted.)

A failed write is retried only if it is idempotent (a subscribe-rules update is: the same body
twice leaves the same rules; a create-call is not), after an exponential backoff with jitter
drawn from a seeded generator, never sooner than the server's Retry-After; after
`max_attempts` it is given up and reported. Writes belong to batches ("mute bob in standup"),
each with its progress (done / failed / total).
"""

from __future__ import annotations

import itertools
import random
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Generic, TypeVar

__all__ = [
    "DEFAULT_RATE",
    "BatchProgress",
    "GaveUp",
    "Retry",
    "RetryRule",
    "Write",
    "WriteBudget",
]

T = TypeVar("T")

DEFAULT_RATE = 20
"""Twilio's documented writes per second per account."""


@dataclass(frozen=True)
class RetryRule:
    """How failed idempotent writes are retried: backoff base·2^(n-1) capped, times jitter."""

    max_attempts: int = 5
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0
    jitter: float = 0.5
    """Share of each delay drawn at random: the wait is in [delay·(1-jitter), delay]."""

    def delay(self, attempt: int, draw: float) -> float:
        """The wait after failed attempt `attempt` (1-based), given `draw` in [0, 1)."""
        backoff = min(self.max_delay_s, self.base_delay_s * 2.0 ** (attempt - 1))
        return backoff * (1.0 - self.jitter * draw)


@dataclass(frozen=True)
class Write(Generic[T]):
    """One queued write: its payload (what to send), batch, attempt number and when it is due."""

    id: int
    batch: str
    payload: T
    idempotent: bool = True
    priority: int = 1
    attempt: int = 1
    due: float = 0.0


@dataclass(frozen=True)
class Retry(Generic[T]):
    """A failed write was queued again, to be sent no sooner than `at`."""

    write: Write[T]
    at: float


@dataclass(frozen=True)
class GaveUp(Generic[T]):
    """A failed write will not be retried: report it (`reason` says why)."""

    write: Write[T]
    reason: str


@dataclass(frozen=True)
class BatchProgress:
    """How far a batch is: writes done, given up, and in total."""

    batch: str
    total: int
    done: int
    failed: int

    @property
    def finished(self) -> bool:
        """Every write of the batch has succeeded or been given up."""
        return self.done + self.failed == self.total

    @property
    def fraction(self) -> float:
        """Share of the batch settled (done or given up), 1.0 for an empty batch."""
        return 1.0 if self.total == 0 else (self.done + self.failed) / self.total


@dataclass
class _Tally:
    total: int = 0
    done: int = 0
    failed: int = 0


@dataclass
class WriteBudget(Generic[T]):
    """The account's write budget: a queue of writes and a sliding log of what was sent.

    `clock` returns seconds (monotonic); `seed` makes the retry jitter reproducible. Lower
    `priority` goes first (a host's dial before a mute batch); within a priority, writes go in
    the order they became due, then in the order they were queued.
    """

    clock: Callable[[], float]
    rate: int = DEFAULT_RATE
    window_s: float = 1.0
    retry: RetryRule = field(default_factory=RetryRule)
    seed: int = 0
    _queue: list[Write[T]] = field(default_factory=list, init=False, repr=False)
    _sent: deque[float] = field(default_factory=deque, init=False, repr=False)
    _in_flight: dict[int, Write[T]] = field(default_factory=dict, init=False, repr=False)
    _batches: dict[str, _Tally] = field(default_factory=dict, init=False, repr=False)
    _ids: itertools.count[int] = field(default_factory=itertools.count, init=False, repr=False)
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.rate < 1 or self.window_s <= 0:
            raise ValueError("a write budget needs rate ≥ 1 and a positive window")
        self._rng = random.Random(self.seed)

    # ------------------------------------------------------------------ queueing

    def enqueue(
        self, batch: str, payload: T, *, idempotent: bool = True, priority: int = 1
    ) -> Write[T]:
        """Queue one write of `batch`, due now."""
        write = Write(
            next(self._ids), batch, payload, idempotent, priority, attempt=1, due=self.clock()
        )
        self._queue.append(write)
        self._batches.setdefault(batch, _Tally()).total += 1
        return write

    def enqueue_batch(
        self, batch: str, payloads: Iterable[T], *, idempotent: bool = True, priority: int = 1
    ) -> tuple[Write[T], ...]:
        """Queue several writes of one batch (an empty batch is registered, and finished)."""
        self._batches.setdefault(batch, _Tally())
        return tuple(
            self.enqueue(batch, p, idempotent=idempotent, priority=priority) for p in payloads
        )

    # ------------------------------------------------------------------ admission

    def _recent(self, now: float) -> int:
        """Sends within the window before `now` (older ones are forgotten).

        A send at `t` counts until `t + window_s`, computed exactly as `next_slot` computes
        it, so asking again at the promised slot is always admitted.
        """
        while self._sent and now >= self._sent[0] + self.window_s:
            self._sent.popleft()
        return len(self._sent)

    def _occupied(self, now: float) -> int:
        """Slots taken at `now`: recent sends and answers, and every write still in flight."""
        return self._recent(now) + len(self._in_flight)

    def _take_slot(self, now: float, *, queued: bool) -> bool:
        """A queued write's slot is its place in `_in_flight` (its window starts when it is
        answered); a write sent outside the queue (`acquire`) counts from now."""
        if self._occupied(now) >= self.rate:
            return False
        if not queued:
            self._sent.append(now)
        return True

    def admit(self, limit: int | None = None) -> list[Write[T]]:
        """The writes to send now (each takes a slot and is in flight until reported).

        `limit` caps how many: a sender with that many free workers admits no more than it can
        send at once, so a write's slot is taken when it is really sent.
        """
        now = self.clock()
        ready = sorted(
            (w for w in self._queue if w.due <= now), key=lambda w: (w.priority, w.due, w.id)
        )
        admitted: list[Write[T]] = []
        for write in ready:
            if limit is not None and len(admitted) >= limit:
                break
            if not self._take_slot(now, queued=True):
                break
            self._queue.remove(write)
            self._in_flight[write.id] = write
            admitted.append(write)
        return admitted

    def acquire(self) -> bool:
        """Take a slot now for a write sent outside the queue; False when the window is full.

        For a writer that cannot wait in the queue; it counts against the same window, so the
        queue's next `admit()` sees it. Queueing with `priority=0` is fairer to other writers.
        """
        return self._take_slot(self.clock(), queued=False)

    def next_slot(self) -> float | None:
        """When `admit()` could next return a write (clock time), or None with nothing queued."""
        if not self._queue:
            return None
        now = self.clock()
        earliest_due = min(w.due for w in self._queue)
        free_at = now
        occupied = self._occupied(now)
        if occupied >= self.rate:
            expiries = occupied - self.rate + 1  # windows that must end first, oldest first
            if expiries <= len(self._sent):
                free_at = self._sent[expiries - 1] + self.window_s
            else:  # only answers can free a slot: ask again a window on (an answer asks sooner)
                free_at = now + self.window_s
        return max(earliest_due, free_at)

    # ------------------------------------------------------------------ outcomes

    def _settled(self, write: Write[T]) -> Write[T]:
        found = self._in_flight.pop(write.id, None)
        if found is None:
            raise KeyError(f"write {write.id} is not in flight")
        self._sent.append(self.clock())  # it arrived by now: its window runs from here
        return found

    def succeeded(self, write: Write[T]) -> None:
        """The write was accepted by Twilio."""
        self._batches[self._settled(write).batch].done += 1

    def failed(
        self, write: Write[T], *, retryable: bool = True, retry_after_s: float | None = None
    ) -> Retry[T] | GaveUp[T]:
        """The write failed: queue it again with backoff, or give it up (and say why).

        `retryable` is False for refusals that will not change (a 400), `retry_after_s` is the
        server's Retry-After. Only idempotent writes are ever sent twice.
        """
        found = self._settled(write)
        reason = None
        if not found.idempotent:
            reason = "not idempotent: never sent twice"
        elif not retryable:
            reason = "refused; sending it again would not help"
        elif found.attempt >= self.retry.max_attempts:
            reason = f"still failing after {found.attempt} attempts"
        if reason is not None:
            self._batches[found.batch].failed += 1
            return GaveUp(found, reason)
        wait = self.retry.delay(found.attempt, self._rng.random())
        if retry_after_s is not None:
            wait = max(wait, retry_after_s)
        again = replace(found, attempt=found.attempt + 1, due=self.clock() + wait)
        self._queue.append(again)
        return Retry(again, again.due)

    # ------------------------------------------------------------------ progress

    def progress(self, batch: str) -> BatchProgress:
        """How far `batch` is (KeyError for a batch never queued)."""
        tally = self._batches[batch]
        return BatchProgress(batch, tally.total, tally.done, tally.failed)

    def queued(self) -> int:
        """Writes waiting (due or backing off), not counting those in flight."""
        return len(self._queue)

    def in_flight(self) -> int:
        """Writes admitted and not reported yet."""
        return len(self._in_flight)
