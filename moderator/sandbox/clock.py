"""Injectable time for the sandbox: tests move a ManualClock instead of sleeping.

Every clock carries the scheduler of timed events (a call starts ringing, a demo guest leaves…)
and the one re-entrant lock that guards the whole sandbox state. Sharing that lock between the
scheduler and the world means an event can never run concurrently with a request, and there is
no lock ordering to get wrong.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "ManualClock", "RealClock", "ScheduledEvent"]


@dataclass(order=True)
class ScheduledEvent:
    """A callback due at `due` (clock seconds); `cancel()` makes it a no-op."""

    due: float
    seq: int
    callback: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        """Drop the event; cheap, the heap entry is skipped when reached."""
        self.cancelled = True


@runtime_checkable
class Clock(Protocol):
    """What the world needs from time: now, a scheduler, and the shared lock."""

    lock: threading.RLock

    @property
    def realtime(self) -> bool:
        """True when time passes by itself (a ticker should run due events)."""
        ...

    def now(self) -> float:
        """Seconds since the Unix epoch, as this clock sees them."""
        ...

    def call_later(self, delay: float, callback: Callable[[], None]) -> ScheduledEvent:
        """Run `callback` (under the lock) once `delay` seconds have passed."""
        ...

    def run_due(self) -> int:
        """Run every event that is due now, in order; returns how many ran."""
        ...


class _SchedulingClock:
    """Heap of events shared by both clocks; subclasses define `now()`."""

    realtime = False

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._events: list[ScheduledEvent] = []
        self._seq = itertools.count()

    def now(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    def call_later(self, delay: float, callback: Callable[[], None]) -> ScheduledEvent:
        with self.lock:
            event = ScheduledEvent(self.now() + max(0.0, delay), next(self._seq), callback)
            heapq.heappush(self._events, event)
            return event

    def next_due(self) -> float | None:
        """When the earliest pending event is due, or None if nothing is scheduled."""
        with self.lock:
            self._drop_cancelled()
            return self._events[0].due if self._events else None

    def pending(self) -> int:
        """Number of events still waiting (for tests and diagnostics)."""
        with self.lock:
            return sum(1 for event in self._events if not event.cancelled)

    def run_due(self) -> int:
        with self.lock:
            return self._run_until(self.now())

    def _drop_cancelled(self) -> None:
        while self._events and self._events[0].cancelled:
            heapq.heappop(self._events)

    def _run_until(self, limit: float) -> int:
        ran = 0
        while True:
            self._drop_cancelled()
            if not self._events or self._events[0].due > limit:
                return ran
            event = heapq.heappop(self._events)
            event.callback()
            ran += 1


class RealClock(_SchedulingClock):
    """Wall-clock time; the server runs a small ticker so events fire without requests."""

    realtime = True

    def now(self) -> float:
        return time.time()


class ManualClock(_SchedulingClock):
    """Time that moves only when a test calls `advance()`; starts at wall time by default."""

    def __init__(self, start: float | None = None) -> None:
        super().__init__()
        self._now = float(int(time.time()) if start is None else start)

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> int:
        """Move time forward, running due events in order, each at its own due time.

        Returns how many events ran. Events scheduled by those events also run if they fall
        inside the window, so `advance(10)` behaves like ten seconds really passing.
        """
        if seconds < 0:
            raise ValueError("a ManualClock cannot go backwards")
        with self.lock:
            target = self._now + seconds
            ran = 0
            while True:
                due = self.next_due()
                if due is None or due > target:
                    break
                self._now = max(self._now, due)
                ran += self._run_until(self._now)
            self._now = target
            return ran + self._run_until(target)
