"""Mute for everyone through a real session against the sandbox: rules read back from Twilio's
side (`world.subscribe_rules_of`), newcomers, unmute, a second app, and the write rate."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from moderator.core.mute_rules import Member, SubscribeRule, hears
from moderator.core.write_budget import RetryRule
from moderator.sandbox.request_log import RequestRecord
from moderator.sandbox.server import SandboxServer
from tests.ui.session_fixtures import Harness, make_harness

WAIT_MS = 15_000
RULES_PATH = "/SubscribeRules"


@pytest.fixture
def room(sandbox: SandboxServer) -> tuple[str, dict[str, str]]:
    """A group room with ten app participants: identity → PA… SID."""
    world = sandbox.world
    room_sid = world.create_room("standup")
    people = {f"user{i}": world.join_app_participant(room_sid, f"user{i}") for i in range(10)}
    return room_sid, people


@pytest.fixture
def h(qtbot: QtBot, sandbox: SandboxServer, room: tuple[str, dict[str, str]]) -> Iterator[Harness]:
    harness = open_on_room(qtbot, sandbox, room[0])
    yield harness
    harness.session.stop()


def open_on_room(qtbot: QtBot, sandbox: SandboxServer, room_sid: str) -> Harness:
    harness = make_harness(qtbot, sandbox)
    qtbot.waitUntil(lambda: harness.session.room(room_sid) is not None, timeout=WAIT_MS)
    harness.session.select_room(room_sid)
    qtbot.waitUntil(lambda: harness.session.mutes.synced(room_sid), timeout=WAIT_MS)
    return harness


def rules(sandbox: SandboxServer, participant_sid: str) -> tuple[SubscribeRule, ...]:
    return tuple(
        SubscribeRule.from_json(r) for r in sandbox.world.subscribe_rules_of(participant_sid)
    )


def hears_audio(sandbox: SandboxServer, subscriber_sid: str, identity: str, sid: str) -> bool:
    return hears(rules(sandbox, subscriber_sid), Member(identity, sid))


def nobody_hears(sandbox: SandboxServer, people: dict[str, str], identity: str) -> bool:
    return all(
        not hears_audio(sandbox, sid, identity, people[identity])
        for who, sid in people.items()
        if who != identity
    )


def rule_writes(sandbox: SandboxServer) -> list[RequestRecord]:
    return [r for r in sandbox.request_log.entries() if r.is_write and RULES_PATH in r.path]


def peak_per_second(records: list[RequestRecord]) -> int:
    times = sorted(r.perf_time for r in records)
    return max((sum(1 for t in times if s <= t < s + 1.0) for s in times), default=0)


def test_mute_newcomer_and_unmute_in_a_ten_person_room(
    qtbot: QtBot, h: Harness, sandbox: SandboxServer, room: tuple[str, Any]
) -> None:
    room_sid, people = room
    desk = h.session.mutes
    desk.mute(room_sid, "user3")
    qtbot.waitUntil(lambda: nobody_hears(sandbox, people, "user3"), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: desk.progress(room_sid) is None, timeout=WAIT_MS)
    view = desk.views(room_sid)["user3"]
    assert view.muted and view.by_you
    # The muted person still hears everyone, and others still see their video.
    assert rules(sandbox, people["user3"]) == (SubscribeRule("include", all=True),)
    assert hears(rules(sandbox, people["user4"]), Member("user3"), "video")
    qtbot.waitUntil(lambda: "Muted user3 for everyone" in texts(h), timeout=WAIT_MS)

    late = sandbox.world.join_app_participant(room_sid, "late")
    people["late"] = late
    qtbot.waitUntil(
        lambda: not hears_audio(sandbox, late, "user3", people["user3"]), timeout=WAIT_MS
    )

    desk.unmute(room_sid, "user3")
    qtbot.waitUntil(
        lambda: all(hears_audio(sandbox, sid, "user3", people["user3"]) for sid in people.values()),
        timeout=WAIT_MS,
    )
    qtbot.waitUntil(lambda: "Unmuted user3" in texts(h), timeout=WAIT_MS)
    assert desk.views(room_sid) == {} or all(not v.muted for v in desk.views(room_sid).values())
    assert peak_per_second(rule_writes(sandbox)) <= 20


def texts(h: Harness) -> list[str]:
    return [event.text for event in h.events]


def test_a_second_app_shows_the_mute_it_did_not_make(
    qtbot: QtBot, h: Harness, sandbox: SandboxServer, room: tuple[str, Any]
) -> None:
    room_sid, people = room
    h.session.mutes.mute(room_sid, "user1")
    qtbot.waitUntil(lambda: nobody_hears(sandbox, people, "user1"), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: h.session.mutes.progress(room_sid) is None, timeout=WAIT_MS)
    h.session.stop()
    writes_before = len(rule_writes(sandbox))
    again = open_on_room(qtbot, sandbox, room_sid)
    try:
        record = again.session.mutes.mutes.record(room_sid, "user1")
        assert record is not None and not record.by_you
        assert again.session.mutes.views(room_sid)["user1"].muted
        assert "user1 is muted for everyone by another app" in texts(again)
        # It does not fight it: reading the rules back wrote nothing.
        assert len(rule_writes(sandbox)) == writes_before
    finally:
        again.session.stop()


def test_mute_all_phone_guests_stays_under_twenty_writes_a_second(
    qtbot: QtBot, sandbox: SandboxServer
) -> None:
    world = sandbox.world
    room_sid = world.create_room("town-hall")
    people = {f"user{i}": world.join_app_participant(room_sid, f"user{i}") for i in range(15)}
    phones = {
        f"phone-{i:02d}": world.join_app_participant(room_sid, f"phone-{i:02d}", ("audio",))
        for i in range(35)
    }
    everyone = {**people, **phones}
    h = open_on_room(qtbot, sandbox, room_sid)
    try:
        sandbox.request_log.clear()
        h.session.mutes.mute_phone_guests(room_sid)
        qtbot.waitUntil(
            lambda: all(nobody_hears(sandbox, everyone, who) for who in phones), timeout=WAIT_MS
        )
        qtbot.waitUntil(lambda: h.session.mutes.progress(room_sid) is None, timeout=WAIT_MS)
        writes = rule_writes(sandbox)
        assert len(writes) == 50
        assert peak_per_second(writes) <= 20
        assert all(
            hears_audio(sandbox, phones["phone-00"], who, sid) for who, sid in people.items()
        )
        assert set(h.session.mutes.mutes.muted(room_sid)) == set(phones)
    finally:
        h.session.stop()


def test_the_twenty_rule_limit_is_refused_whole(qtbot: QtBot, sandbox: SandboxServer) -> None:
    """19 people muted by another app in a 40-person room: a 20th needs 21 rules either way."""
    world = sandbox.world
    room_sid = world.create_room("big")
    people = {
        f"user{i:02d}": world.join_app_participant(room_sid, f"user{i:02d}") for i in range(40)
    }
    muted = [f"user{i:02d}" for i in range(19)]
    for who, sid in people.items():
        excludes = [{"type": "exclude", "publisher": m, "kind": "audio"} for m in muted if m != who]
        world.update_subscribe_rules(
            room_sid, sid, json.dumps([{"type": "include", "all": True}, *excludes])
        )
    h = open_on_room(qtbot, sandbox, room_sid)
    refusals: list[str] = []
    h.session.mutes.refused.connect(lambda _room, text: refusals.append(text))
    try:
        desk = h.session.mutes
        assert desk.mutes.muted(room_sid) == set(muted)
        before = len(rule_writes(sandbox))
        desk.mute(room_sid, "user30")
        assert refusals and "Nothing was changed" in refusals[-1]
        assert "20" in refusals[-1]
        assert len(rule_writes(sandbox)) == before
        assert "user30" not in desk.views(room_sid)
        assert hears_audio(sandbox, people["user00"], "user30", people["user30"])
    finally:
        h.session.stop()


def test_failed_rule_writes_are_retried_through_the_budget(
    qtbot: QtBot, h: Harness, sandbox: SandboxServer, room: tuple[str, Any]
) -> None:
    room_sid, people = room
    desk = h.session.mutes
    desk.budget.retry = RetryRule(max_attempts=5, base_delay_s=0.05, max_delay_s=0.2)
    sandbox.controls.fail_route("POST", RULES_PATH, 503, code=20500, times=4)
    desk.mute(room_sid, "user2")
    qtbot.waitUntil(lambda: nobody_hears(sandbox, people, "user2"), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: desk.progress(room_sid) is None, timeout=WAIT_MS)
    assert sum(1 for r in rule_writes(sandbox) if r.status == 503) == 4
    assert h.errors == []
    qtbot.waitUntil(lambda: "Muted user2 for everyone" in texts(h), timeout=WAIT_MS)


def test_a_write_that_keeps_failing_is_reported_and_its_rules_read_again(
    qtbot: QtBot, h: Harness, sandbox: SandboxServer, room: tuple[str, Any]
) -> None:
    room_sid, people = room
    desk = h.session.mutes
    desk.budget.retry = RetryRule(max_attempts=3, base_delay_s=0.05, max_delay_s=0.1)
    stuck = people["user5"]
    sandbox.controls.fail_route("POST", f"*/Participants/{stuck}/SubscribeRules", 500, times=None)
    desk.mute(room_sid, "user0")
    qtbot.waitUntil(lambda: bool(h.errors), timeout=WAIT_MS)
    error, context = h.errors[0]
    assert context == "Mute for everyone"
    assert "incomplete: 1 of 9" in str(error)
    assert sum(1 for r in rule_writes(sandbox) if stuck in r.path) == 3
    assert "error" in h.kinds()
    others = {who: sid for who, sid in people.items() if sid != stuck}
    assert nobody_hears(sandbox, others, "user0")
    sandbox.controls.clear_route_failure("POST", f"*/Participants/{stuck}/SubscribeRules")
    # What Twilio has for user5 is read back (include all), so the room is synced again.
    qtbot.waitUntil(lambda: desk.synced(room_sid), timeout=WAIT_MS)


def test_a_refused_write_is_not_retried(
    qtbot: QtBot, h: Harness, sandbox: SandboxServer, room: tuple[str, Any]
) -> None:
    room_sid, people = room
    desk = h.session.mutes
    stuck = people["user7"]
    route = f"*/Participants/{stuck}/SubscribeRules"
    sandbox.controls.fail_route("POST", route, 400, code=53215, times=None)
    desk.mute(room_sid, "user0")
    qtbot.waitUntil(lambda: bool(h.errors), timeout=WAIT_MS)
    assert sum(1 for r in rule_writes(sandbox) if stuck in r.path) == 1
    error, context = h.errors[0]
    assert context == "Mute for everyone"
    assert "Twilio refused the subscribe rules" in str(error)
    assert error.action == "Unmute someone first, or use a group room."
    assert sum(1 for e in h.events if "incomplete" in e.text) == 1  # logged once


def test_rooms_without_rules_are_never_read(qtbot: QtBot, sandbox: SandboxServer) -> None:
    world = sandbox.world
    room_sid = world.create_room("one-on-one", type="peer-to-peer")
    world.join_app_participant(room_sid, "alice")
    h = make_harness(qtbot, sandbox)
    try:
        qtbot.waitUntil(lambda: h.session.room(room_sid) is not None, timeout=WAIT_MS)
        h.session.select_room(room_sid)
        qtbot.waitUntil(lambda: h.roster.rowCount() == 1, timeout=WAIT_MS)
        assert h.session.mutes.unread(room_sid) == []
        assert not any(RULES_PATH in r.path for r in sandbox.request_log.entries())
    finally:
        h.session.stop()
