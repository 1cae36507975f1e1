"""What every resource family of the world shares: one lock, one clock, one SID source, one order.

Each family (rooms, calls, numbers…) is a class holding its own records and a reference to the
one `WorldState`. Sharing it — rather than each family owning a lock or a counter — keeps the
whole sandbox a single consistent state: REST handlers, clock events and tests' calls never
interleave, SIDs come from one seeded stream in one order, and `seq` orders records across
families exactly as the single-class world did.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from moderator.sandbox.clock import Clock, ScheduledEvent
from moderator.sandbox.sids import SidFactory

__all__ = ["WorldState"]

ACCOUNT_AGE_S = 90 * 86400
"""How long before the clock's start the account (and its numbers) were created."""


class WorldState:
    """The lock, clock, SID factory, creation counter and scheduler every family shares."""

    def __init__(self, clock: Clock, account_sid: str, *, seed: int | None = None) -> None:
        self.clock = clock
        self.lock = clock.lock
        self.account_sid = account_sid
        self.rng = random.Random(f"world:{seed}") if seed is not None else random.Random()
        self.sids = SidFactory(self.rng)
        self.created_at = clock.now() - ACCOUNT_AGE_S
        self._seq = 0

    def next_seq(self) -> int:
        """The next creation number; one counter across families orders all listings."""
        self._seq += 1
        return self._seq

    def now(self) -> float:
        """The clock's time, the only time the world uses."""
        return self.clock.now()

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the world lock with due clock events already run (every public method)."""
        with self.lock:
            self.clock.run_due()
            yield

    def schedule(self, delay: float, action: Callable[[], None]) -> ScheduledEvent:
        """Run `action` under the world lock once `delay` clock seconds have passed."""

        def run() -> None:
            with self.lock:
                action()

        return self.clock.call_later(delay, run)
