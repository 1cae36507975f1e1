"""Pre-flight checks: each passes or fails with a plain reason, over already-fetched data."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from moderator.core.models import (
    CallerId,
    CallerIdSource,
    Participant,
    Room,
    RoomType,
)
from moderator.core.preflight import (
    CHECK_CALLER_ID,
    CHECK_IDENTITY,
    CHECK_NUMBER,
    CHECK_PHONE_CAPACITY,
    CHECK_ROOM,
    CHECK_ROOM_CAPACITY,
    CHECK_ROOM_TYPE,
    MAX_PHONE_PARTICIPANTS,
    CheckResult,
    PreflightInputs,
    all_passed,
    run_preflight,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)
FROM = "+15005550006"
TO = "+14155552671"


def room(**changes: object) -> Room:
    base = Room(
        sid="RM" + "0" * 32,
        unique_name="standup",
        status="in-progress",
        type=RoomType.GROUP,
        max_participants=50,
        date_created=NOW,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def participant(identity: str, n: int = 0) -> Participant:
    return Participant(
        sid=f"PA{n:032d}",
        room_sid="RM" + "0" * 32,
        identity=identity,
        status="connected",
        start_time=NOW,
    )


CALLER_IDS = (
    CallerId(FROM, "Main line", CallerIdSource.INCOMING_NUMBER),
    CallerId("+14155550100", "My mobile", CallerIdSource.VERIFIED_CALLER_ID),
)


def inputs(**changes: object) -> PreflightInputs:
    base = PreflightInputs(
        room=room(),
        connected_participants=[participant("alice", 1), participant("bob", 2)],
        phone_participants=0,
        caller_ids=CALLER_IDS,
        to=TO,
        from_=FROM,
        identity="phone-abc234",
        room_query="standup",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def by_name(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {result.name: result for result in results}


def test_everything_fine_passes_with_reasons() -> None:
    results = run_preflight(inputs())
    assert [r.name for r in results] == [
        CHECK_ROOM,
        CHECK_ROOM_TYPE,
        CHECK_PHONE_CAPACITY,
        CHECK_ROOM_CAPACITY,
        CHECK_IDENTITY,
        CHECK_CALLER_ID,
        CHECK_NUMBER,
    ]
    assert all_passed(results)
    assert all(r.reason for r in results)
    assert TO not in " ".join(r.reason for r in results)  # the number shows masked


def failing(checks: PreflightInputs) -> dict[str, str]:
    return {r.name: r.reason for r in run_preflight(checks) if not r.passed}


def test_missing_room() -> None:
    failed = failing(inputs(room=None))
    assert failed[CHECK_ROOM] == "No room named “standup” is in progress."
    assert CHECK_ROOM_TYPE in failed and CHECK_ROOM_CAPACITY in failed
    assert not all_passed(run_preflight(inputs(room=None)))


def test_completed_room() -> None:
    failed = failing(inputs(room=room(status="completed")))
    assert "completed" in failed[CHECK_ROOM]


@pytest.mark.parametrize("room_type", [RoomType.PEER_TO_PEER, RoomType.GO, RoomType.GROUP_SMALL])
def test_room_types_without_phone_guests(room_type: RoomType) -> None:
    """Twilio's <Room> docs: "Ensure your room type is group" (legacy small groups included)."""
    failed = failing(inputs(room=room(type=room_type)))
    assert set(failed) == {CHECK_ROOM_TYPE}
    assert "only group rooms" in failed[CHECK_ROOM_TYPE]


def test_phone_participant_cap() -> None:
    assert all_passed(run_preflight(inputs(phone_participants=MAX_PHONE_PARTICIPANTS - 1)))
    failed = failing(inputs(phone_participants=MAX_PHONE_PARTICIPANTS))
    assert set(failed) == {CHECK_PHONE_CAPACITY}
    assert "35" in failed[CHECK_PHONE_CAPACITY]


def test_room_capacity() -> None:
    people = [participant(f"p{i}", i) for i in range(3)]
    assert all_passed(
        run_preflight(inputs(room=room(max_participants=4), connected_participants=people))
    )
    failed = failing(inputs(room=room(max_participants=3), connected_participants=people))
    assert set(failed) == {CHECK_ROOM_CAPACITY}
    assert "full" in failed[CHECK_ROOM_CAPACITY]


def test_pending_dials_count_towards_capacity() -> None:
    people = [participant(f"p{i}", i) for i in range(3)]
    failed = failing(
        inputs(room=room(max_participants=4), connected_participants=people, pending_participants=1)
    )
    assert set(failed) == {CHECK_ROOM_CAPACITY}


def test_identity_already_connected_would_evict() -> None:
    failed = failing(inputs(identity="alice"))
    assert set(failed) == {CHECK_IDENTITY}
    assert "disconnect" in failed[CHECK_IDENTITY]


@pytest.mark.parametrize("identity", ["", " x", "a\x00b", "x" * 129])
def test_invalid_identity(identity: str) -> None:
    assert set(failing(inputs(identity=identity))) == {CHECK_IDENTITY}


def test_caller_id_must_belong_to_the_account() -> None:
    assert all_passed(run_preflight(inputs(from_="+14155550100")))
    failed = failing(inputs(from_="+14155550199"))
    assert set(failed) == {CHECK_CALLER_ID}
    assert "not one of the account" in failed[CHECK_CALLER_ID]
    assert "Pick a caller ID" in failing(inputs(from_=""))[CHECK_CALLER_ID]
    assert "no voice number" in failing(inputs(caller_ids=()))[CHECK_CALLER_ID]


@pytest.mark.parametrize(
    ("to", "words"),
    [
        ("", "Enter a phone number"),
        ("call me", "letters"),
        ("+1 212", "too short"),
        ("911", "Emergency"),
        (FROM, "caller ID itself"),
    ],
)
def test_number_to_call(to: str, words: str) -> None:
    failed = failing(inputs(to=to))
    assert set(failed) == {CHECK_NUMBER}
    assert words in failed[CHECK_NUMBER]


def test_national_input_is_read_in_the_default_region() -> None:
    assert all_passed(run_preflight(inputs(to="(415) 555-2671")))
    assert all_passed(run_preflight(inputs(to="020 7183 8750", default_region="GB")))


def test_all_passed_of_nothing_is_false() -> None:
    assert not all_passed([])
