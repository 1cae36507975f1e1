"""Clocks: ManualClock runs due events in order, each at its own time; RealClock is wall time."""

from __future__ import annotations

import time

import pytest

from moderator.sandbox.clock import Clock, ManualClock, RealClock


def test_manual_clock_starts_where_told_and_moves_only_on_advance() -> None:
    clock = ManualClock(start=1000.0)
    assert clock.now() == 1000.0
    clock.advance(2.5)
    assert clock.now() == 1002.5
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_events_run_in_order_at_their_due_time() -> None:
    clock = ManualClock(start=0.0)
    seen: list[tuple[str, float]] = []
    clock.call_later(3, lambda: seen.append(("c", clock.now())))
    clock.call_later(1, lambda: seen.append(("a", clock.now())))
    clock.call_later(1, lambda: seen.append(("b", clock.now())))
    assert clock.advance(2) == 2
    assert seen == [("a", 1.0), ("b", 1.0)]
    clock.advance(5)
    assert seen[-1] == ("c", 3.0)
    assert clock.now() == 7.0


def test_events_scheduled_by_events_run_inside_the_window() -> None:
    clock = ManualClock(start=0.0)
    ticks: list[float] = []

    def tick() -> None:
        ticks.append(clock.now())
        clock.call_later(1, tick)

    clock.call_later(1, tick)
    clock.advance(4.5)
    assert ticks == [1.0, 2.0, 3.0, 4.0]
    assert clock.pending() == 1


def test_cancelled_events_do_not_run() -> None:
    clock = ManualClock(start=0.0)
    ran: list[int] = []
    event = clock.call_later(1, lambda: ran.append(1))
    event.cancel()
    assert clock.next_due() is None
    clock.advance(2)
    assert ran == []


def test_real_clock_is_wall_time_and_runs_due_events() -> None:
    clock = RealClock()
    assert isinstance(clock, Clock) and clock.realtime
    assert abs(clock.now() - time.time()) < 1
    ran: list[int] = []
    clock.call_later(0, lambda: ran.append(1))
    clock.call_later(3600, lambda: ran.append(2))
    assert clock.run_due() == 1
    assert ran == [1]


def test_manual_clock_satisfies_the_protocol() -> None:
    clock = ManualClock()
    assert isinstance(clock, Clock) and not clock.realtime
