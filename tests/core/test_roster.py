"""The roster merge: phone guests with their participants, app participants, texts and actions."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from moderator.core.guest_text import format_duration
from moderator.core.guests import GuestBook, GuestStatus, PhoneGuest
from moderator.core.models import CallStatus, Participant
from moderator.core.roster import GuestKind, RosterRow, build_roster
from tests.core.guest_helpers import (
    AUDIO,
    NUMBER,
    OTHER_NUMBER,
    ROOM,
    T0,
    VIDEO,
    FakeClock,
    call,
    dial,
    fresh,
    participant,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def book(clock: FakeClock) -> GuestBook:
    return GuestBook(clock=clock)


def roster(book: GuestBook, clock: FakeClock, participants: list[Participant]) -> list[RosterRow]:
    """Feed the poll to the book first, as the app does, then build the rows."""
    book.apply_participants(ROOM, participants)
    return build_roster(ROOM, participants, book, clock.now)


def only(rows: list[RosterRow], key: str) -> RosterRow:
    (row,) = [row for row in rows if row.key == key]
    return row


def test_phone_guest_is_merged_with_its_participant(book: GuestBook, clock: FakeClock) -> None:
    bob = participant("PA1", "bob", start=T0 - timedelta(minutes=5), tracks=(AUDIO, VIDEO))
    ann = participant("PA2", "ann", start=T0 - timedelta(minutes=9), tracks=())
    guest = dial(book)
    book.call_created(guest.dial_id, call("CA1", CallStatus.IN_PROGRESS))
    clock.advance(2)
    phone = participant("PA3", "phone-4kq2", start=clock.now, tracks=(AUDIO,))
    rows = roster(book, clock, [bob, phone, ann])

    assert [row.key for row in rows] == [guest.dial_id, "PA2", "PA1"]
    first = rows[0]
    assert first == RosterRow(
        key=guest.dial_id,
        kind=GuestKind.PHONE,
        name="Alice · ••• 2671",
        full_number=NUMBER,
        label="Alice",
        identity="phone-4kq2",
        status=GuestStatus.CONNECTED,
        status_text="Connected",
        connected_since=clock.now,
        has_audio=True,
        has_video=False,
        participant_sid="PA3",
        call_sid="CA1",
        dial_id=guest.dial_id,
        can_remove=True,
        can_redial=False,
        tracks=(AUDIO,),
        status_since=clock.now,
    )
    app = only(rows, "PA1")
    assert (app.kind, app.name, app.status, app.status_text) == (
        GuestKind.APP,
        "bob",
        None,
        "Connected",
    )
    assert (app.has_audio, app.has_video, app.connected_since) == (True, True, bob.start_time)
    assert (app.can_remove, app.can_redial, app.full_number, app.dial_id) == (
        True,
        False,
        None,
        None,
    )


def test_phone_guests_come_first_in_dial_order_including_finished_ones(
    book: GuestBook, clock: FakeClock
) -> None:
    first = dial(book, identity="phone-a", label="A")
    second = dial(book, identity="phone-b", label="", number=OTHER_NUMBER)
    book.call_created(first.dial_id, call("CA1", CallStatus.BUSY))
    book.call_created(second.dial_id, call("CA2", CallStatus.RINGING, to=OTHER_NUMBER))
    rows = roster(book, clock, [participant("PA1", "zed")])
    assert [(row.kind, row.name) for row in rows] == [
        (GuestKind.PHONE, "A · ••• 2671"),
        (GuestKind.PHONE, "••• 0958"),
        (GuestKind.APP, "zed"),
    ]
    assert [row.status for row in rows[:2]] == [GuestStatus.BUSY, GuestStatus.RINGING]


def test_app_participants_without_start_time_go_last(book: GuestBook, clock: FakeClock) -> None:
    rows = roster(
        book,
        clock,
        [
            participant("PA1", "late", start=None),
            participant("PA2", "b", start=T0),
            participant("PA3", "a", start=T0),
            participant("PA4", "early", start=T0 - timedelta(seconds=1)),
        ],
    )
    assert [row.name for row in rows] == ["early", "a", "b", "late"]


def test_redial_takes_the_place_of_the_finished_row(book: GuestBook, clock: FakeClock) -> None:
    first = dial(book, identity="phone-a", label="A")
    other = dial(book, identity="phone-b", label="B")
    book.call_created(first.dial_id, call("CA1", CallStatus.NO_ANSWER))
    again = book.redial(first.dial_id)
    rows = roster(book, clock, [])
    assert [row.key for row in rows] == [again.dial_id, other.dial_id]
    assert rows[0].status is GuestStatus.DIALING


def test_an_older_dial_still_under_way_stays_visible(book: GuestBook, clock: FakeClock) -> None:
    first = dial(book)
    book.dial_outcome_unknown(first.dial_id, "timed out")
    second = dial(book)  # same identity while the first is unresolved
    rows = roster(book, clock, [])
    assert [row.key for row in rows] == [first.dial_id, second.dial_id]


def test_never_two_rows_for_one_participant(book: GuestBook, clock: FakeClock) -> None:
    guest = dial(book)
    book.call_created(guest.dial_id, call("CA1", CallStatus.IN_PROGRESS))
    phone = participant("PA1", "phone-4kq2")
    roster(book, clock, [phone])
    book.apply_call(call("CA1", CallStatus.COMPLETED))  # call ended; a late poll lists PA1 still
    rows = build_roster(ROOM, [phone], book, clock.now)
    assert [row.key for row in rows] == [guest.dial_id]
    assert rows[0].status is GuestStatus.LEFT
    assert rows[0].can_remove is False and rows[0].has_audio is False

    # Somebody else with that identity later is an app participant, on its own row.
    rows = roster(book, clock, [participant("PA9", "phone-4kq2")])
    assert [(row.key, row.kind) for row in rows] == [
        (guest.dial_id, GuestKind.PHONE),
        ("PA9", GuestKind.APP),
    ]


def test_disconnected_participants_are_not_listed(book: GuestBook, clock: FakeClock) -> None:
    gone = Participant(
        sid="PA1", room_sid=ROOM, identity="bob", status="disconnected", start_time=T0
    )
    assert build_roster(ROOM, [gone], book, clock.now) == []


def _guest_in(book: GuestBook, clock: FakeClock, status: GuestStatus) -> PhoneGuest:
    """Drive a fresh dial to `status` the way polls would."""
    guest = dial(book, identity=f"phone-{status.value}")
    sid = f"CA-{status.value}"
    steps: dict[GuestStatus, list[CallStatus]] = {
        GuestStatus.QUEUED: [CallStatus.QUEUED],
        GuestStatus.RINGING: [CallStatus.RINGING],
        GuestStatus.JOINING: [CallStatus.RINGING, CallStatus.IN_PROGRESS],
        GuestStatus.CONNECTED: [CallStatus.RINGING, CallStatus.IN_PROGRESS],
        GuestStatus.LEFT: [CallStatus.RINGING, CallStatus.IN_PROGRESS],
        GuestStatus.BUSY: [CallStatus.RINGING, CallStatus.BUSY],
        GuestStatus.NO_ANSWER: [CallStatus.RINGING, CallStatus.NO_ANSWER],
        GuestStatus.FAILED: [CallStatus.FAILED],
        GuestStatus.CANCELED: [CallStatus.RINGING, CallStatus.CANCELED],
        GuestStatus.NOT_JOINED: [CallStatus.RINGING, CallStatus.IN_PROGRESS],
    }
    if status is GuestStatus.REJECTED:
        book.dial_rejected(guest.dial_id, "Permission to call this number is not enabled")
        return fresh(book, guest)
    if status is GuestStatus.UNKNOWN:
        book.dial_outcome_unknown(guest.dial_id, "timed out")
        return fresh(book, guest)
    for index, call_status in enumerate(steps.get(status, [])):
        if index == 0:
            book.call_created(guest.dial_id, call(sid, call_status))
        else:
            clock.advance(12)
            book.apply_call(call(sid, call_status))
    if status in (GuestStatus.CONNECTED, GuestStatus.LEFT):
        book.apply_participants(ROOM, [participant(f"PA-{status.value}", guest.identity)])
    if status is GuestStatus.LEFT:
        clock.advance(240)
        book.apply_participants(ROOM, [])
    if status is GuestStatus.NOT_JOINED:
        book.apply_participants(ROOM, [])
        clock.advance(3)
        book.apply_call(call(sid, CallStatus.COMPLETED))
    guest = fresh(book, guest)
    assert guest.status is status
    return guest


STATUS_TEXTS = {
    GuestStatus.DIALING: "Dialing…",
    GuestStatus.UNKNOWN: "Checking whether the call was placed…",
    GuestStatus.QUEUED: "Queued",
    GuestStatus.RINGING: "Ringing 5 s",
    GuestStatus.JOINING: "Joining…",
    GuestStatus.CONNECTED: "Connected",
    GuestStatus.LEFT: "Left after 4 min",
    GuestStatus.BUSY: "Busy (rang 12 s)",
    GuestStatus.NO_ANSWER: "No answer (rang 12 s)",
    GuestStatus.FAILED: (
        "Failed: the call could not be connected (number unreachable or not allowed)"
    ),
    GuestStatus.CANCELED: "Canceled",
    GuestStatus.NOT_JOINED: (
        "Not in room: answered but never joined the room (room ended or full, or join refused)"
    ),
    GuestStatus.REJECTED: "Twilio refused: Permission to call this number is not enabled",
}
REMOVABLE = {
    GuestStatus.DIALING,  # canceled as soon as its call SID arrives
    GuestStatus.UNKNOWN,
    GuestStatus.QUEUED,
    GuestStatus.RINGING,
    GuestStatus.JOINING,
    GuestStatus.CONNECTED,
}
REDIALABLE = {
    GuestStatus.LEFT,
    GuestStatus.BUSY,
    GuestStatus.NO_ANSWER,
    GuestStatus.FAILED,
    GuestStatus.CANCELED,
    GuestStatus.NOT_JOINED,
    GuestStatus.REJECTED,
}


@pytest.mark.parametrize("status", list(GuestStatus))
def test_status_text_and_actions(book: GuestBook, clock: FakeClock, status: GuestStatus) -> None:
    guest = _guest_in(book, clock, status)
    clock.advance(5)
    rows = build_roster(ROOM, [], book, clock.now)
    row = only(rows, guest.dial_id)
    assert row.status is status
    assert row.status_text == STATUS_TEXTS[status]
    assert row.can_remove == (status in REMOVABLE)
    assert row.can_redial == (status in REDIALABLE)


def test_removed_guest_says_removed(book: GuestBook, clock: FakeClock) -> None:
    guest = _guest_in(book, clock, GuestStatus.CONNECTED)
    clock.advance(75)
    book.mark_removed(guest.dial_id)
    rows = roster(book, clock, [])
    assert only(rows, guest.dial_id).status_text == "Removed after 1 min"


def test_a_restarted_guest_cannot_be_redialed_without_its_number(
    book: GuestBook, clock: FakeClock
) -> None:
    guest = _guest_in(book, clock, GuestStatus.BUSY)
    # As after a restart: the journal keeps the masked number only.
    restarted = GuestBook(clock=clock)
    restarted.adopt(dataclasses.replace(guest, number=None))
    row = only(build_roster(ROOM, [], restarted, clock.now), guest.dial_id)
    assert row.can_redial is False
    assert row.full_number is None
    assert row.name == "Alice · ••• 2671"


def test_a_guest_in_the_room_without_a_call_sid_is_removed_through_its_participant(
    book: GuestBook, clock: FakeClock
) -> None:
    guest = dial(book)
    book.dial_outcome_unknown(guest.dial_id, "timed out")
    rows = roster(book, clock, [participant("PA1", "phone-4kq2")])
    row = only(rows, guest.dial_id)
    assert row.status is GuestStatus.CONNECTED
    assert row.call_sid is None and row.participant_sid == "PA1"
    assert row.can_remove is True


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (59.9, "59 s"),
        (60, "1 min"),
        (3599, "59 min"),
        (3600, "1 h"),
        (3960, "1 h 6 min"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(timedelta(seconds=seconds)) == text
    assert format_duration(timedelta(seconds=-5)) == "0 s"
