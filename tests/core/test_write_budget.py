"""The write budget on a hand-driven clock: never more than 20 writes in any second, the next
slot said exactly, retries with seeded jitter and a cap, priorities, and batch progress."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderator.core.write_budget import GaveUp, Retry, RetryRule, Write, WriteBudget


@dataclass
class FakeClock:
    now: float = 100.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def budget(clock: FakeClock, **kwargs: object) -> WriteBudget[str]:
    return WriteBudget(clock, **kwargs)  # type: ignore[arg-type]


def drain(clock: FakeClock, gate: WriteBudget[str]) -> list[float]:
    """Send everything queued (each write succeeds at once), stepping to each next slot."""
    times = []
    while (slot := gate.next_slot()) is not None:
        clock.now = max(clock.now, slot)
        admitted = gate.admit()
        assert admitted, "next_slot promised a write"
        for write in admitted:
            times.append(clock.now)
            gate.succeeded(write)
    return times


def max_in_any_window(times: list[float], window: float = 1.0) -> int:
    times = sorted(times)
    return max((sum(1 for t in times if start <= t < start + window) for start in times), default=0)


def test_a_forty_write_mute_takes_two_seconds_in_three_bursts() -> None:
    clock = FakeClock()
    gate = budget(clock)
    gate.enqueue_batch("mute bob", [f"PA{i}" for i in range(45)])
    first = gate.admit()
    assert len(first) == 20 and gate.admit() == []
    assert gate.next_slot() == 101.0
    for write in first:
        gate.succeeded(write)
    assert gate.progress("mute bob").done == 20
    times = [100.0] * 20 + drain(clock, gate)
    assert times[-1] == 102.0 and len(times) == 45
    assert max_in_any_window(times) == 20
    progress = gate.progress("mute bob")
    assert (progress.done, progress.failed, progress.total, progress.finished) == (45, 0, 45, True)


def test_next_slot_is_none_with_nothing_queued_and_now_with_room() -> None:
    clock = FakeClock()
    gate = budget(clock)
    assert gate.next_slot() is None
    gate.enqueue("b", "x")
    assert gate.next_slot() == clock.now


def test_outside_writes_share_the_window() -> None:
    clock = FakeClock()
    gate = budget(clock, rate=3)
    assert gate.acquire() and gate.acquire()
    gate.enqueue_batch("b", ["1", "2"])
    assert [w.payload for w in gate.admit()] == ["1"]
    assert not gate.acquire()
    clock.advance(1.0)
    assert gate.acquire()


def test_priority_zero_goes_before_a_queued_batch() -> None:
    clock = FakeClock()
    gate = budget(clock, rate=2)
    gate.enqueue_batch("mute", ["m1", "m2", "m3"])
    gate.enqueue("dial", "call", idempotent=False, priority=0)
    assert [w.payload for w in gate.admit()] == ["call", "m1"]


def test_failed_idempotent_writes_back_off_with_seeded_jitter_then_give_up() -> None:
    clock = FakeClock()
    rule = RetryRule(max_attempts=3, base_delay_s=0.5, max_delay_s=8.0, jitter=0.5)
    waits = []
    for _ in range(2):
        gate = budget(clock, retry=rule, seed=7)
        [write] = gate.enqueue_batch("mute", ["PA1"])
        outcomes: list[Retry[str] | GaveUp[str]] = []
        these_waits = []
        for _attempt in range(3):
            clock.now = gate.next_slot() or clock.now
            [sent] = gate.admit()
            outcome = gate.failed(sent)
            outcomes.append(outcome)
            if isinstance(outcome, Retry):
                these_waits.append(outcome.at - clock.now)
        waits.append(these_waits)
        assert isinstance(outcomes[-1], GaveUp) and "3 attempts" in outcomes[-1].reason
        assert gate.progress("mute").failed == 1 and gate.progress("mute").finished
        assert write.attempt == 1 and [o.write.attempt for o in outcomes] == [2, 3, 3]
    assert waits[0] == waits[1], "the same seed draws the same jitter"
    first, second = waits[0]
    assert 0.25 <= first <= 0.5 and 0.5 <= second <= 1.0


def test_retry_after_is_respected_and_refusals_are_not_retried() -> None:
    clock = FakeClock()
    gate = budget(clock)
    gate.enqueue_batch("b", ["a", "b", "c"])
    gate.enqueue("d", "dial", idempotent=False)
    sent = {w.payload: w for w in gate.admit()}
    limited = gate.failed(sent["a"], retry_after_s=5)
    assert isinstance(limited, Retry) and limited.at == clock.now + 5
    refused = gate.failed(sent["b"], retryable=False)
    assert isinstance(refused, GaveUp) and "refused" in refused.reason
    dial = gate.failed(sent["dial"])
    assert isinstance(dial, GaveUp) and "never sent twice" in dial.reason
    gate.succeeded(sent["c"])
    assert gate.progress("b").done == 1 and gate.progress("b").failed == 1
    assert gate.progress("b").fraction == pytest.approx(2 / 3)
    with pytest.raises(KeyError):
        gate.succeeded(sent["c"])
    assert gate.queued() == 1 and gate.in_flight() == 0
    assert gate.next_slot() == clock.now + 5


def test_an_empty_batch_is_finished() -> None:
    gate = budget(FakeClock())
    assert gate.enqueue_batch("nothing", []) == ()
    assert gate.progress("nothing").finished and gate.progress("nothing").fraction == 1.0


def test_a_budget_needs_a_rate_and_a_window() -> None:
    with pytest.raises(ValueError):
        budget(FakeClock(), rate=0)


# ---------------------------------------------------------------------- properties

steps = st.lists(
    st.one_of(
        st.tuples(st.just("enqueue"), st.integers(min_value=1, max_value=30)),
        st.tuples(st.just("advance"), st.floats(min_value=0.0, max_value=1.5)),
        st.tuples(st.just("admit"), st.just(0)),
        st.tuples(st.just("acquire"), st.just(0)),
        st.tuples(st.just("report"), st.integers(min_value=0, max_value=2)),
    ),
    max_size=80,
)


@settings(max_examples=150, deadline=None)
@given(
    steps,
    st.integers(min_value=0, max_value=2**16),
    st.floats(min_value=0.0, max_value=1e7, allow_nan=False),
)
def test_never_more_than_twenty_in_any_one_second_window(
    plan: list[tuple[str, float]], seed: int, start: float
) -> None:
    clock = FakeClock(start)
    gate = budget(clock, seed=seed)
    sent: list[float] = []
    flying: list[Write[str]] = []
    queued = 0
    for action, value in plan:
        if action == "enqueue":
            gate.enqueue_batch(f"b{queued}", ["w"] * int(value))
            queued += int(value)
        elif action == "advance":
            clock.advance(value)
        elif action == "admit":
            admitted = gate.admit()
            sent += [clock.now] * len(admitted)
            flying += admitted
        elif action == "acquire" and gate.acquire():
            sent.append(clock.now)
        elif action == "report" and flying:
            write = flying.pop(0)
            if value == 0:
                gate.failed(write)
            elif value == 1:
                gate.failed(write, retryable=False)
            else:
                gate.succeeded(write)
        assert max_in_any_window(sent) <= 20
        slot = gate.next_slot()
        if slot is not None:
            assert slot >= clock.now
    for write in flying:
        gate.succeeded(write)
    sent += drain_with_failures(clock, gate)
    assert max_in_any_window(sent) <= 20
    assert gate.queued() == 0 and gate.in_flight() == 0


def drain_with_failures(clock: FakeClock, gate: WriteBudget[str]) -> list[float]:
    """Send the rest; every first attempt fails once, so retries are exercised too."""
    times = []
    while (slot := gate.next_slot()) is not None:
        clock.now = max(clock.now, slot)
        admitted = gate.admit()
        assert admitted, "next_slot promised a write"
        for write in admitted:
            times.append(clock.now)
            if write.attempt == 1:
                gate.failed(write)
            else:
                gate.succeeded(write)
    return times


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=1, max_value=120),
    st.floats(min_value=0.001, max_value=0.9),
    st.floats(min_value=0.0, max_value=1e7, allow_nan=False),
)
def test_next_slot_is_exact(count: int, early: float, start: float) -> None:
    """Just before next_slot nothing is admitted; at it, something is."""
    clock = FakeClock(start)
    gate = budget(clock)
    gate.enqueue_batch("b", ["w"] * count)
    while (slot := gate.next_slot()) is not None:
        if slot > clock.now:
            clock.now = slot - early * (slot - clock.now)
            assert gate.admit() == []
            clock.now = slot
        admitted = gate.admit()
        assert admitted
        for write in admitted:
            gate.succeeded(write)
    assert gate.progress("b").done == count


def test_admit_with_a_limit_leaves_the_rest_queued_without_spending_their_slots() -> None:
    clock = FakeClock()
    gate = budget(clock)
    gate.enqueue_batch("b", [f"w{i}" for i in range(10)])
    first = gate.admit(limit=4)
    assert [w.payload for w in first] == ["w0", "w1", "w2", "w3"]
    assert gate.queued() == 6 and gate.in_flight() == 4
    rest = gate.admit()
    assert len(rest) == 6  # only 4 of the 20 slots were taken by the limited admission


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(min_value=0.0, max_value=0.4), min_size=8, max_size=8))
def test_late_arrivals_never_bunch_past_the_limit(delays: list[float]) -> None:
    """Twilio counts a write when it arrives: a worker that starts late must not let 21 land in
    one second, whatever the delays (each at most the time to its answer)."""
    clock = FakeClock(0.0)
    gate = budget(clock)
    gate.enqueue_batch("b", ["w"] * 70)
    arrivals: list[float] = []
    answers: list[tuple[float, int, Write[str]]] = []
    sent = 0
    while gate.progress("b").done < 70:
        for write in gate.admit(limit=4 - len(answers)):
            delay = delays[sent % len(delays)]
            sent += 1
            arrivals.append(clock.now + delay)
            answers.append((clock.now + delay + 0.02, write.id, write))
        answers.sort(key=lambda answer: (answer[0], answer[1]))
        while answers and answers[0][0] <= clock.now:
            gate.succeeded(answers.pop(0)[2])
        clock.advance(0.01)
    assert max_in_any_window(arrivals) <= 20
