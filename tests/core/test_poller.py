"""The poll planner's budget, proven with simulated time (the real session's reads are counted
in tests/ui/test_session_reads.py)."""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from dataclasses import dataclass, field

import pytest

from moderator.core.poller import (
    JobKind,
    LiveCall,
    PollContext,
    PollJob,
    PollPlanner,
    PollSettings,
    lobby_key,
)

LATENCY_S = 0.15


@dataclass
class Simulation:
    """Runs a planner against instantly-answering fake Twilio with a fixed latency."""

    planner: PollPlanner
    rooms: int
    selected_participants: int = 40
    live_calls: list[LiveCall] = field(default_factory=list)
    started: list[tuple[float, PollJob]] = field(default_factory=list)
    tracks: dict[str, float] = field(default_factory=dict)
    in_flight: dict[str, tuple[float, PollJob]] = field(default_factory=dict)

    def context(self) -> PollContext:
        room_sids = [f"RM{i:02d}" for i in range(self.rooms)]
        participants = [f"PA{i:02d}" for i in range(self.selected_participants)]
        return PollContext(
            room_sids=room_sids,
            selected_room=room_sids[0],
            live_calls=self.live_calls,
            tracks_missing=lambda: [p for p in participants if p not in self.tracks],
            tracks_cached=lambda: list(self.tracks.items()),
        )

    def run(self, seconds: float, *, probe_only: bool = False) -> None:
        now = 0.0
        tick = self.planner.settings.tick_s
        while now < seconds:
            for key, (done_at, job) in list(self.in_flight.items()):
                if done_at <= now:
                    del self.in_flight[key]
                    if job.kind is JobKind.TRACKS and job.target is not None:
                        self.tracks[job.target] = now
            jobs = self.planner.plan(
                now, self.context(), lambda key: key in self.in_flight, probe_only=probe_only
            )
            for job in jobs:
                assert job.key not in self.in_flight, "a poll of the same thing was doubled"
                self.in_flight[job.key] = (now + LATENCY_S, job)
                self.started.append((now, job))
            now = round(now + tick, 6)

    def reads_between(self, start: float, end: float) -> float:
        return sum(job.cost for at, job in self.started if start <= at < end)

    def starts_of(self, key: str) -> list[float]:
        return [at for at, job in self.started if job.key == key]


def simulate(rooms: int, seconds: float = 120.0, **kwargs: object) -> Simulation:
    sim = Simulation(PollPlanner(PollSettings()), rooms, **kwargs)  # type: ignore[arg-type]
    sim.run(seconds)
    return sim


@pytest.mark.parametrize("rooms", [1, 10, 50, 200])
def test_steady_state_reads_stay_within_budget_for_any_room_count(rooms: int) -> None:
    sim = simulate(rooms, live_calls=[LiveCall("CA1", False), LiveCall("CA2", True)])
    budget = sim.planner.settings.max_reads_per_s
    steady = sim.reads_between(30.0, 120.0) / 90.0
    assert steady <= budget
    # every window of one second, bursts included, stays under the budget plus the burst
    for second in range(120):
        assert sim.reads_between(second, second + 1) <= budget + sim.planner.settings.burst


def test_more_rooms_make_counts_older_not_reads_more() -> None:
    ten = simulate(10).reads_between(30.0, 120.0) / 90.0
    fifty = simulate(50).reads_between(30.0, 120.0) / 90.0
    cap = PollSettings().counts_per_s
    assert fifty <= ten + cap
    assert fifty <= 6.0


def test_selected_room_rooms_list_and_live_calls_keep_their_pace() -> None:
    sim = simulate(50, live_calls=[LiveCall("CA1", False), LiveCall("CA2", True)])
    settings = sim.planner.settings
    slack = settings.tick_s + 1e-6

    def max_gap(key: str) -> float:
        starts = sim.starts_of(key)
        assert starts, key
        return max(b - a for a, b in itertools.pairwise(starts))

    assert max_gap("participants:RM00") <= settings.selected_interval_s + slack
    assert max_gap("rooms") <= settings.rooms_interval_s + slack
    assert max_gap("call:CA1") <= settings.live_call_interval_s + slack
    assert max_gap("call:CA2") <= settings.settled_call_interval_s + slack


def test_every_other_room_is_counted_round_robin() -> None:
    sim = simulate(50, seconds=150.0)
    settings = sim.planner.settings
    expected_cycle = 49 / settings.counts_per_s  # rooms other than the selected one
    for i in range(1, 50):
        starts = sim.starts_of(f"participants:RM{i:02d}")
        assert starts, f"room {i} never counted"
        # the first round waits while the 40 new participants' tracks are read (~7 s)
        assert starts[0] <= expected_cycle + 10
        gaps = [b - a for a, b in itertools.pairwise(starts)]
        assert max(gaps) <= math.ceil(expected_cycle) + 2


def test_tracks_are_read_once_per_new_participant_then_slowly() -> None:
    sim = simulate(5, seconds=120.0)
    per_participant: dict[str, int] = defaultdict(int)
    for _at, job in sim.started:
        if job.kind is JobKind.TRACKS and job.target is not None:
            per_participant[job.target] += 1
    assert len(per_participant) == 40
    refresh_per_s = PollSettings().track_refresh_per_s
    refreshes = sum(per_participant.values()) - 40
    assert refreshes <= refresh_per_s * 120 + 1
    first_reads = [at for at, job in sim.started if job.kind is JobKind.TRACKS][:40]
    assert first_reads[-1] < 15.0  # 40 new participants get their tracks within seconds


def test_probe_only_plans_a_single_rooms_read() -> None:
    sim = Simulation(PollPlanner(PollSettings()), rooms=50)
    sim.run(0.2, probe_only=True)
    assert [job.key for _at, job in sim.started] == ["rooms"]


def test_request_now_makes_a_job_due_at_once() -> None:
    planner = PollPlanner(PollSettings())
    context = PollContext(room_sids=["RM1"], selected_room="RM1")
    first = planner.plan(0.0, context, lambda key: False)
    assert "participants:RM1" in [job.key for job in first]
    assert planner.plan(0.1, context, lambda key: False) == []
    planner.request_now("participants:RM1")
    assert [job.key for job in planner.plan(0.2, context, lambda key: False)] == [
        "participants:RM1"
    ]


def test_many_calls_under_way_are_listed_not_fetched_one_by_one() -> None:
    calls = [LiveCall(f"CA{i}", settled=i == 0) for i in range(6)]
    sim = simulate(10, seconds=60.0, live_calls=calls)
    batch_starts = sim.starts_of("calls:live")
    settings = PollSettings()
    assert batch_starts and batch_starts[0] == 0.0
    gaps = [b - a for a, b in itertools.pairwise(batch_starts)]
    # at worst the listing waits for its two read tokens to come back
    refill = 2.0 / settings.max_reads_per_s
    assert max(gaps) <= settings.live_call_interval_s + refill + settings.tick_s + 1e-6
    assert not [job for _at, job in sim.started if job.kind is JobKind.CALL]
    assert sim.reads_between(20.0, 60.0) / 40.0 <= PollSettings().max_reads_per_s


def test_a_call_missing_from_the_listing_is_fetched_once() -> None:
    planner = PollPlanner(PollSettings())
    calls = [LiveCall(f"CA{i}", False, fetch=i == 2) for i in range(5)]
    jobs = planner.plan(0.0, PollContext(live_calls=calls), lambda key: False)
    keys = [job.key for job in jobs]
    assert "calls:live" in keys
    assert [k for k in keys if k.startswith("call:")] == ["call:CA2"]


def test_each_dial_in_number_is_listed_at_its_pace_within_the_budget() -> None:
    planner = PollPlanner(PollSettings())
    starts: dict[str, list[float]] = defaultdict(list)
    now = 0.0
    context = PollContext(room_sids=["RM1"], lobby_numbers=["+14155550100", "+14155550101"])
    while now < 60.0:
        for job in planner.plan(now, context, lambda _key: False):
            starts[job.key].append(now)
        now = round(now + planner.settings.tick_s, 6)
    for number in ("+14155550100", "+14155550101"):
        times = starts[lobby_key(number)]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert gaps and max(gaps) <= planner.settings.lobby_interval_s + 0.2 + 1e-6
    assert planner.reads_started <= 60.0 * planner.settings.max_reads_per_s + planner.settings.burst


# -- recording rules (issue 10) ------------------------------------------------------------------


def test_recording_rules_are_read_selected_first_then_one_room_at_a_time_within_budget() -> None:
    from moderator.core.poller import JobKind, PollContext, PollPlanner, PollSettings

    planner = PollPlanner(PollSettings(rules_per_s=0.5, other_rules_interval_s=120.0))
    rooms = [f"RM{i}" for i in range(10)]
    context = PollContext(room_sids=rooms, selected_room="RM3", recording_rooms=rooms)
    started: list[str | None] = []
    now = 0.0
    for _ in range(200):  # 40 s of ticks
        for job in planner.plan(now, context, lambda _key: False):
            if job.kind is JobKind.RECORDING_RULES:
                started.append(job.room_sid)
        now += 0.2
    assert started[0] == "RM3"  # the room the host looks at
    others = [sid for sid in started if sid != "RM3"]
    assert len(others) <= 0.5 * 40 + 2  # the rules' own allowance
    assert set(others) == set(rooms) - {"RM3"}  # every room read once, none twice yet
    assert len(others) == len(set(others))
    assert started.count("RM3") == 4  # every 10 s
