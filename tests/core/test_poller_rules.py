"""The planner's subscribe-rules reads (mute state): unread first, inside the read budget, then a
slow re-read of known rules, one at a time; nothing for a room not selected."""

from __future__ import annotations

from collections.abc import Sequence

from moderator.core.poller import (
    JobKind,
    PollContext,
    PollJob,
    PollPlanner,
    PollSettings,
    rules_key,
)

ROOM = "RM1"


def never(_key: str) -> bool:
    return False


def context(
    unread: Sequence[str], known: Sequence[str] = (), selected: str | None = ROOM
) -> PollContext:
    return PollContext(
        room_sids=[ROOM],
        selected_room=selected,
        rules_unread=lambda: unread,
        rules_known=lambda: known,
    )


def rules_jobs(jobs: list[PollJob]) -> list[str]:
    return [job.target for job in jobs if job.kind is JobKind.RULES and job.target is not None]


def test_unread_rules_are_read_within_the_read_budget() -> None:
    settings = PollSettings(max_reads_per_s=6.0, burst=6.0)
    planner = PollPlanner(settings)
    unread = [f"PA{i:02d}" for i in range(40)]
    read: list[str] = []
    now = 0.0
    while len(read) < 40 and now < 20.0:
        jobs = planner.plan(now, context([sid for sid in unread if sid not in read]), never)
        read += rules_jobs(jobs)
        now += settings.tick_s
    assert sorted(read) == unread  # each read once
    assert planner.reads_started <= settings.burst + settings.max_reads_per_s * now + 1e-6
    assert now > 5.0  # 40 reads plus the rooms and participants polls do not fit in a burst


def test_known_rules_are_re_read_slowly_stalest_first() -> None:
    settings = PollSettings(rules_refresh_per_s=0.5, rules_refresh_min_age_s=15.0)
    planner = PollPlanner(settings)
    known = ["PA1", "PA2", "PA3"]
    first = rules_jobs(planner.plan(0.0, context([], known), never))
    assert len(first) == 1
    again: list[str] = []
    now = 0.0
    while now < 10.0:
        now += settings.tick_s
        again += rules_jobs(planner.plan(now, context([], known), never))
    assert len(again) <= 1 + 0.5 * 10.0
    assert set(first + again) == set(known)  # the others, once each: none twice within 15 s
    assert planner.last_started(rules_key(first[0])) == 0.0


def test_no_rules_reads_without_a_selected_room() -> None:
    planner = PollPlanner(PollSettings())
    assert rules_jobs(planner.plan(0.0, context(["PA1"], ["PA2"], selected=None), never)) == []
