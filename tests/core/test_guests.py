"""The guest book's state machine: every outcome, out-of-order polls, redials and evictions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from moderator.core.guests import GuestBook, GuestEvent, GuestStatus
from moderator.core.journal import Journal, JournalError
from moderator.core.models import CallStatus
from tests.core.guest_helpers import (
    CALLER_ID,
    NUMBER,
    OTHER_NUMBER,
    ROOM,
    ROOM_NAME,
    T0,
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


def texts(events: list[GuestEvent]) -> list[tuple[str, str]]:
    return [(event.kind, event.text) for event in events]


def test_happy_path_moves_through_every_step_with_one_line_each(
    book: GuestBook, clock: FakeClock
) -> None:
    guest = dial(book)
    assert guest.status is GuestStatus.DIALING
    assert guest.masked_number == "••• 2671"
    assert book.get(guest.dial_id) is guest
    assert book.live_call_sids() == []  # no SID to poll yet

    events = book.call_created(guest.dial_id, call("CA1", CallStatus.QUEUED))
    assert texts(events) == [("dialed", "Calling Alice (••• 2671) into Standup as phone-4kq2")]
    assert events[0].room_name == ROOM_NAME and events[0].dial_id == guest.dial_id
    guest = fresh(book, guest)
    assert guest.status is GuestStatus.QUEUED
    assert book.live_call_sids() == ["CA1"]

    clock.advance(1)
    assert texts(book.apply_call(call("CA1", CallStatus.RINGING))) == [
        ("ringing", "Alice (••• 2671) is ringing")
    ]
    clock.advance(6)
    assert book.apply_call(call("CA1", CallStatus.IN_PROGRESS)) == []
    guest = fresh(book, guest)
    assert guest.status is GuestStatus.JOINING
    assert guest.rang_for() == timedelta(seconds=6)

    clock.advance(1)
    events = book.apply_participants(ROOM, [participant("PA1", "phone-4kq2")])
    assert texts(events) == [("joined", "Alice (••• 2671) joined as phone-4kq2")]
    guest = fresh(book, guest)
    assert guest.status is GuestStatus.CONNECTED
    assert guest.participant_sid == "PA1"
    assert guest.connected_at == T0 + timedelta(seconds=8)
    assert book.phone_connected_count(ROOM) == 1

    clock.advance(240)
    events = book.apply_participants(ROOM, [])
    assert texts(events) == [("left", "Alice (••• 2671) left after 4 min")]
    guest = fresh(book, guest)
    assert guest.status is GuestStatus.LEFT
    assert guest.end_reason == "Left the room after 4 min"
    assert book.live_call_sids() == []
    assert book.phone_connected_count(ROOM) == 0
    # The call completing afterwards is old news.
    assert book.apply_call(call("CA1", CallStatus.COMPLETED)) == []
    guest = fresh(book, guest)
    assert [status for status, _ in guest.history] == [
        GuestStatus.DIALING,
        GuestStatus.QUEUED,
        GuestStatus.RINGING,
        GuestStatus.JOINING,
        GuestStatus.CONNECTED,
        GuestStatus.LEFT,
    ]


def test_participant_seen_before_the_call_poll_says_answered(
    book: GuestBook, clock: FakeClock
) -> None:
    guest = dial(book)
    book.call_created(guest.dial_id, call("CA1", CallStatus.RINGING))
    clock.advance(5)
    events = book.apply_participants(ROOM, [participant("PA1", "phone-4kq2")])
    assert [e.kind for e in events] == ["joined"]
    guest = fresh(book, guest)
    assert guest.status is GuestStatus.CONNECTED
    assert guest.answered_at == clock.now
    # Late call polls must not demote a guest already in the room.
    assert book.apply_call(call("CA1", CallStatus.IN_PROGRESS)) == []
    assert book.apply_call(call("CA1", CallStatus.RINGING)) == []
    assert book.apply_call(call("CA1", CallStatus.QUEUED)) == []
    guest = fresh(book, guest)
    assert guest.status is GuestStatus.CONNECTED


def test_repeated_polls_give_one_event(book: GuestBook) -> None:
    guest = dial(book)
    book.call_created(guest.dial_id, call("CA1", CallStatus.QUEUED))
    assert len(book.apply_call(call("CA1", CallStatus.RINGING))) == 1
    assert book.apply_call(call("CA1", CallStatus.RINGING)) == []
    book.apply_call(call("CA1", CallStatus.IN_PROGRESS))
    assert len(book.apply_participants(ROOM, [participant("PA1", "phone-4kq2")])) == 1
    assert book.apply_participants(ROOM, [participant("PA1", "phone-4kq2")]) == []
    guest = fresh(book, guest)
    assert len(guest.history) == 5


def test_final_status_is_never_left(book: GuestBook) -> None:
    guest = dial(book)
    book.call_created(guest.dial_id, call("CA1", CallStatus.RINGING))
    book.apply_call(call("CA1", CallStatus.BUSY))
    guest = fresh(book, guest)
    assert guest.status is GuestStatus.BUSY
    for status in CallStatus:
        assert book.apply_call(call("CA1", status)) == []
    assert book.apply_participants(ROOM, [participant("PA9", "phone-4kq2")]) == []
    assert book.dial_rejected(guest.dial_id, "late") == []
    assert book.mark_removed(guest.dial_id) == []
    guest = fresh(book, guest)
    assert guest.status is GuestStatus.BUSY


def test_busy_says_how_long_it_rang_from_twilios_times(book: GuestBook, clock: FakeClock) -> None:
    guest = dial(book, label="")
    book.call_created(guest.dial_id, call("CA1", CallStatus.QUEUED))
    clock.advance(10)
    busy = call(
        "CA1",
        CallStatus.BUSY,
        start=T0 + timedelta(seconds=1),
        end=T0 + timedelta(seconds=9),
        duration=0,
    )
    assert texts(book.apply_call(busy)) == [("dial-failed", "••• 2671 busy after ringing 8 s")]
    guest = fresh(book, guest)
    assert guest.status is GuestStatus.BUSY
    assert guest.end_reason == "Busy after ringing 8 s"
    assert guest.rang_for() == timedelta(seconds=8)


def test_no_answer_times_the_ring_on_the_local_clock_without_twilio_times(
    book: GuestBook, clock: FakeClock
) -> None:
    guest = dial(book)
    book.call_created(guest.dial_id, call("CA1", CallStatus.QUEUED))
    clock.advance(2)
    book.apply_call(call("CA1", CallStatus.RINGING))
    clock.advance(30)
    events = book.apply_call(call("CA1", CallStatus.NO_ANSWER))
    assert texts(events) == [("dial-failed", "Alice (••• 2671) did not answer after ringing 30 s")]
    guest = fresh(book, guest)
    assert guest.status is GuestStatus.NO_ANSWER
    assert guest.end_reason == "No answer after ringing 30 s"


def test_failed_call_gives_a_reason(book: GuestBook) -> None:
    guest = dial(book)
    book.call_created(guest.dial_id, call("CA1", CallStatus.QUEUED))
    events = book.apply_call(call("CA1", CallStatus.FAILED))
    assert [e.kind for e in events] == ["dial-failed"]
    assert "failed" in events[0].text
    guest = fresh(book, guest)
    assert guest.status is GuestStatus.FAILED
    assert "could not be connected" in guest.end_reason


def test_cancel_after_removal_says_by_host(book: GuestBook, clock: FakeClock) -> None:
    guest = dial(book)
    book.call_created(guest.dial_id, call("CA1", CallStatus.RINGING))
    clock.advance(5)
    events = book.mark_removed(guest.dial_id)
    assert texts(events) == [("removed", "Removing Alice (••• 2671)")]
    guest = fresh(book, guest)
    assert guest.status is GuestStatus.RINGING  # the status follows the next poll, not the click
    assert book.mark_removed(guest.dial_id) == []  # a second click is no news
    events = book.apply_call(call("CA1", CallStatus.CANCELED))
    assert texts(events) == [("call-ended", "Alice (••• 2671) canceled by host after ringing 5 s")]
    guest = fresh(book, guest)
    assert guest.status is GuestStatus.CANCELED
    assert guest.end_reason == "Canceled by host after ringing 5 s"


def test_removed_guest_in_the_room_leaves_as_removed(book: GuestBook, clock: FakeClock) -> None:
    guest = dial(book)
    book.call_created(guest.dial_id, call("CA1", CallStatus.IN_PROGRESS))
    book.apply_participants(ROOM, [participant("PA1", "phone-4kq2")])
    clock.advance(90)
    book.mark_removed(guest.dial_id)
    events = book.apply_participants(ROOM, [])
    assert texts(events) == [("left", "Alice (••• 2671) was removed after 1 min")]
    guest = fresh(book, guest)
    assert guest.end_reason == "Removed by host after 1 min"


def test_answered_but_never_in_the_room_is_not_joined(book: GuestBook, clock: FakeClock) -> None:
    guest = dial(book)
    book.call_created(guest.dial_id, call("CA1", CallStatus.RINGING))
    book.apply_participants(ROOM, [participant("PA7", "bob")])
    clock.advance(4)
    book.apply_call(call("CA1", CallStatus.IN_PROGRESS))
    clock.advance(1)
    assert book.apply_participants(ROOM, [participant("PA7", "bob")]) == []
    clock.advance(3)
    events = book.apply_call(call("CA1", CallStatus.COMPLETED, duration=4))
    assert [e.kind for e in events] == ["call-ended"]
    assert "did not get into Standup" in events[0].text
    guest = fresh(book, guest)
    assert guest.status is GuestStatus.NOT_JOINED
    assert "never joined the room" in guest.end_reason


def test_room_ended_while_ringing_is_not_joined_because_the_room_ended(
    book: GuestBook, clock: FakeClock
) -> None:
    guest = dial(book)
    book.call_created(guest.dial_id, call("CA1", CallStatus.RINGING))
    assert book.room_ended(ROOM) == []
    book.apply_call(call("CA1", CallStatus.IN_PROGRESS))
    clock.advance(6)
    book.apply_call(call("CA1", CallStatus.COMPLETED))
    guest = fresh(book, guest)
    assert guest.status is GuestStatus.NOT_JOINED
    assert guest.end_reason == "the room ended"


def test_room_ended_sends_connected_guests_out(book: GuestBook) -> None:
    guest = dial(book)
    book.call_created(guest.dial_id, call("CA1", CallStatus.IN_PROGRESS))
    book.apply_participants(ROOM, [participant("PA1", "phone-4kq2")])
    events = book.room_ended(ROOM)
    assert texts(events) == [("left", "Alice (••• 2671) left: the room ended")]
    guest = fresh(book, guest)
    assert guest.status is GuestStatus.LEFT


def test_call_ended_in_an_unwatched_room_says_only_what_is_known(
    book: GuestBook, clock: FakeClock
) -> None:
    guest = dial(book)
    book.call_created(guest.dial_id, call("CA1", CallStatus.IN_PROGRESS))
    clock.advance(100)
    events = book.apply_call(call("CA1", CallStatus.COMPLETED, duration=95))
    assert texts(events) == [("left", "Alice (••• 2671)'s call ended after 1 min")]
    guest = fresh(book, guest)
    assert guest.status is GuestStatus.LEFT
    assert guest.connected_at is None


def test_create_call_refused(book: GuestBook) -> None:
    guest = dial(book)
    message = f"The 'To' number {NUMBER} is not a valid phone number."
    events = book.dial_rejected(guest.dial_id, message)
    assert texts(events) == [
        (
            "dial-failed",
            "Could not call Alice (••• 2671): "
            "The 'To' number ••• 2671 is not a valid phone number.",
        )
    ]
    guest = fresh(book, guest)
    assert guest.status is GuestStatus.REJECTED
    assert guest.end_reason.startswith("Twilio refused: ")
    assert NUMBER not in guest.end_reason
    assert book.live_call_sids() == []
    assert book.dial_rejected(guest.dial_id, message) == []


def test_timeout_then_reconciled_call(book: GuestBook, clock: FakeClock) -> None:
    guest = dial(book)
    clock.advance(15)
    events = book.dial_outcome_unknown(guest.dial_id, "Twilio did not answer within 15 s")
    assert [e.kind for e in events] == ["error"]
    guest = fresh(book, guest)
    assert guest.status is GuestStatus.UNKNOWN
    assert not guest.status.is_final

    other_caller = call("CA2", CallStatus.RINGING, from_="+15005550007")
    other_number = call("CA3", CallStatus.RINGING, to=OTHER_NUMBER)
    too_old = call("CA4", CallStatus.RINGING, created=T0 - timedelta(hours=1))
    ours = call("CA5", CallStatus.RINGING, created=T0 + timedelta(seconds=1))
    later = call("CA6", CallStatus.RINGING, created=T0 + timedelta(seconds=9))
    found = book.match_call(guest.dial_id, [other_caller, other_number, too_old, later, ours])
    assert found == ours
    assert found is not None
    events = book.call_created(guest.dial_id, found)
    assert [e.kind for e in events] == ["dialed", "ringing"]
    guest = fresh(book, guest)
    assert guest.call_sid == "CA5" and guest.status is GuestStatus.RINGING
    assert book.match_call(guest.dial_id, [ours]) is None  # already has its call


def test_timeout_with_no_call_found_was_not_placed(book: GuestBook) -> None:
    guest = dial(book)
    book.dial_outcome_unknown(guest.dial_id, "timed out")
    assert (
        book.match_call(guest.dial_id, [call("CA1", CallStatus.RINGING, to=OTHER_NUMBER)]) is None
    )
    events = book.reconcile_not_found(guest.dial_id)
    assert [e.kind for e in events] == ["dial-failed"]
    guest = fresh(book, guest)
    assert guest.status is GuestStatus.REJECTED
    assert guest.end_reason == "Not placed: Twilio has no record of the call"
    assert guest.status.can_redial


def test_a_request_never_sent_does_not_blame_twilio(book: GuestBook) -> None:
    guest = dial(book)
    events = book.dial_not_sent(guest.dial_id, "the session was closed")
    assert texts(events) == [
        (
            "dial-failed",
            "The call to Alice (••• 2671) was not placed (the session was closed); "
            "you can dial again",
        )
    ]
    guest = fresh(book, guest)
    assert guest.end_reason == "Not placed: the session was closed"


def test_removing_before_the_call_sid_arrives_ends_as_canceled_by_host(
    book: GuestBook, clock: FakeClock
) -> None:
    guest = dial(book)
    assert guest.status.can_remove
    assert [e.kind for e in book.mark_removed(guest.dial_id)] == ["removed"]
    book.call_created(guest.dial_id, call("CA1", CallStatus.QUEUED))
    clock.advance(1)
    book.apply_call(call("CA1", CallStatus.CANCELED))
    guest = fresh(book, guest)
    assert guest.status is GuestStatus.CANCELED
    assert guest.end_reason.startswith("Canceled by host")


def test_reconciling_after_restart_skips_calls_of_earlier_dials(clock: FakeClock) -> None:
    journal = Journal.in_memory()
    book = GuestBook(journal, clock)
    earlier = dial(book)
    book.call_created(earlier.dial_id, call("CA1", CallStatus.BUSY, created=clock.now))
    clock.advance(120)
    lost = dial(book)  # redialed, then the app died before Twilio answered
    restarted = GuestBook.from_journal(journal, clock)
    adopted = restarted.get(lost.dial_id)
    assert adopted is not None and adopted.status is GuestStatus.UNKNOWN
    recent = [
        call("CA1", CallStatus.BUSY, created=T0),
        call("CA2", CallStatus.RINGING, created=T0 + timedelta(seconds=121)),
    ]
    found = restarted.match_call(lost.dial_id, recent)
    assert found is not None and found.sid == "CA2"


def test_a_second_call_for_one_dial_is_refused(book: GuestBook) -> None:
    guest = dial(book)
    book.call_created(guest.dial_id, call("CA1", CallStatus.QUEUED))
    events = book.call_created(guest.dial_id, call("CA2", CallStatus.QUEUED))
    assert [e.kind for e in events] == ["error"]
    guest = fresh(book, guest)
    assert guest.call_sid == "CA1"
    assert book.guest_for_call("CA2") is None


def test_redial_with_the_same_identity_belongs_to_the_latest_dial(
    book: GuestBook, clock: FakeClock
) -> None:
    first = dial(book)
    book.call_created(first.dial_id, call("CA1", CallStatus.RINGING))
    with pytest.raises(ValueError, match="under way"):
        book.redial(first.dial_id)
    book.apply_call(call("CA1", CallStatus.NO_ANSWER))

    second = book.redial(first.dial_id)
    assert second.dial_id != first.dial_id
    assert (second.identity, second.number, second.label) == (first.identity, NUMBER, "Alice")
    book.call_created(second.dial_id, call("CA2", CallStatus.IN_PROGRESS))
    events = book.apply_participants(ROOM, [participant("PA1", "phone-4kq2")])
    assert [(e.kind, e.dial_id) for e in events] == [("joined", second.dial_id)]
    first = fresh(book, first)
    second = fresh(book, second)
    assert first.status is GuestStatus.NO_ANSWER
    assert second.status is GuestStatus.CONNECTED
    assert book.phone_identities(ROOM) == {"phone-4kq2"}


def test_duplicate_identity_evicts_the_first_guest(book: GuestBook, clock: FakeClock) -> None:
    """53205: a second join with the same identity replaces the first participant."""
    first = dial(book)
    book.call_created(first.dial_id, call("CA1", CallStatus.IN_PROGRESS))
    book.apply_participants(ROOM, [participant("PA1", "phone-4kq2")])
    second = dial(book, number=OTHER_NUMBER, label="Bea")
    book.call_created(second.dial_id, call("CA2", CallStatus.IN_PROGRESS, to=OTHER_NUMBER))
    clock.advance(60)
    events = book.apply_participants(ROOM, [participant("PA2", "phone-4kq2")])
    assert texts(events) == [
        ("left", "Alice (••• 2671) was replaced: someone joined as phone-4kq2"),
        ("joined", "Bea (••• 0958) joined as phone-4kq2"),
    ]
    first = fresh(book, first)
    second = fresh(book, second)
    assert first.status is GuestStatus.LEFT and "same identity" in first.end_reason
    assert second.status is GuestStatus.CONNECTED and second.participant_sid == "PA2"
    # The first call ending afterwards changes nothing more.
    assert book.apply_call(call("CA1", CallStatus.COMPLETED)) == []


def test_someone_already_in_the_room_with_that_identity_is_not_the_guest(
    book: GuestBook,
) -> None:
    book.apply_participants(ROOM, [participant("PA1", "phone-4kq2")])
    guest = dial(book)
    book.call_created(guest.dial_id, call("CA1", CallStatus.RINGING))
    assert book.apply_participants(ROOM, [participant("PA1", "phone-4kq2")]) == []
    guest = fresh(book, guest)
    assert guest.status is GuestStatus.RINGING
    # When the guest joins, the earlier participant is evicted (it was an app participant).
    events = book.apply_participants(ROOM, [participant("PA2", "phone-4kq2")])
    assert texts(events) == [
        ("joined", "Alice (••• 2671) joined as phone-4kq2"),
        ("app-left", "App participant phone-4kq2 left"),
    ]


def test_app_participants_joining_and_leaving(book: GuestBook) -> None:
    # The first poll of a room is a baseline: no joins reported.
    assert book.apply_participants(ROOM, [participant("PA1", "bob")], room_name="Standup") == []
    guest = dial(book)
    book.call_created(guest.dial_id, call("CA1", CallStatus.IN_PROGRESS))
    events = book.apply_participants(
        ROOM,
        [participant("PA1", "bob"), participant("PA2", "carol"), participant("PA3", "phone-4kq2")],
    )
    assert texts(events) == [
        ("joined", "Alice (••• 2671) joined as phone-4kq2"),
        ("app-joined", "App participant carol joined"),
    ]
    assert all(e.room_name == "Standup" for e in events)
    events = book.apply_participants(
        ROOM, [participant("PA2", "carol"), participant("PA3", "phone-4kq2")]
    )
    assert texts(events) == [("app-left", "App participant bob left")]
    assert events[0].dial_id is None


def test_a_finished_dials_identity_turning_up_again_is_an_app_participant(
    book: GuestBook,
) -> None:
    book.apply_participants(ROOM, [])
    guest = dial(book)
    book.call_created(guest.dial_id, call("CA1", CallStatus.IN_PROGRESS))
    book.apply_participants(ROOM, [participant("PA1", "phone-4kq2")])
    book.apply_participants(ROOM, [])
    guest = fresh(book, guest)
    assert guest.status is GuestStatus.LEFT
    # A late poll still listing the guest's own participant is ignored…
    assert book.apply_participants(ROOM, [participant("PA1", "phone-4kq2")]) == []
    # …but a new participant with that identity is someone else.
    events = book.apply_participants(ROOM, [participant("PA9", "phone-4kq2")])
    assert texts(events) == [("app-joined", "App participant phone-4kq2 joined")]
    guest = fresh(book, guest)
    assert guest.status is GuestStatus.LEFT and guest.participant_sid == "PA1"


def test_participants_of_other_rooms_do_not_touch_a_guest(book: GuestBook) -> None:
    guest = dial(book)
    book.call_created(guest.dial_id, call("CA1", CallStatus.IN_PROGRESS))
    book.apply_participants("RM_OTHER", [participant("PA1", "phone-4kq2", room="RM_OTHER")])
    guest = fresh(book, guest)
    assert guest.status is GuestStatus.JOINING
    assert book.phone_identities("RM_OTHER") == set()


def test_unknown_calls_and_dials_are_ignored(book: GuestBook) -> None:
    assert book.apply_call(call("CA404", CallStatus.RINGING)) == []
    assert book.call_created("nope", call("CA1", CallStatus.QUEUED)) == []
    assert book.dial_rejected("nope", "x") == []
    assert book.dial_outcome_unknown("nope", "x") == []
    assert book.mark_removed("nope") == []
    with pytest.raises(KeyError):
        book.redial("nope")


def test_start_dial_needs_a_room_and_an_identity(book: GuestBook) -> None:
    with pytest.raises(ValueError, match="identity"):
        dial(book, identity="")


def test_events_never_carry_the_full_number(book: GuestBook) -> None:
    guest = dial(book, label=f"Alice {NUMBER}", identity="phone-4155552671")
    events = book.call_created(guest.dial_id, call("CA1", CallStatus.RINGING))
    events += book.dial_outcome_unknown(guest.dial_id, f"timeout dialing {NUMBER}")
    events += book.apply_call(call("CA1", CallStatus.FAILED))
    for event in events:
        assert "4155552671" not in event.text, event.text


# -- the journal behind the book ------------------------------------------------------------


def test_start_dial_is_journaled_before_the_request(clock: FakeClock) -> None:
    journal = Journal.in_memory()
    book = GuestBook(journal, clock)
    guest = dial(book)
    entry = journal.get(guest.dial_id)
    assert entry is not None
    assert entry.status is GuestStatus.DIALING and entry.call_sid is None
    assert entry.masked_number == "••• 2671" and entry.caller_id == CALLER_ID
    book.call_created(guest.dial_id, call("CA1", CallStatus.RINGING))
    clock.advance(8)
    book.apply_call(call("CA1", CallStatus.BUSY))
    entry = journal.get(guest.dial_id)
    assert entry is not None
    assert (entry.call_sid, entry.status, entry.end_reason) == (
        "CA1",
        GuestStatus.BUSY,
        "Busy after ringing 8 s",
    )
    assert [step.status for step in journal.timeline(guest.dial_id)] == [
        "dialing",
        "call-created",
        "ringing",
        "busy",
    ]


def test_a_dial_the_journal_cannot_record_is_not_started(clock: FakeClock) -> None:
    journal = Journal.in_memory()
    book = GuestBook(journal, clock)
    journal.close()
    with pytest.raises(JournalError):
        dial(book)
    assert book.all_guests() == []


def test_a_failed_journal_update_is_reported_not_raised(clock: FakeClock) -> None:
    journal = Journal.in_memory()
    book = GuestBook(journal, clock)
    guest = dial(book)
    journal.close()
    events = book.call_created(guest.dial_id, call("CA1", CallStatus.RINGING))
    assert [e.kind for e in events] == ["error", "dialed", "ringing"]
    assert "journal" in events[0].text
    guest = fresh(book, guest)
    assert guest.status is GuestStatus.RINGING  # the book carries on


def test_from_journal_readopts_unfinished_dials(clock: FakeClock) -> None:
    journal = Journal.in_memory()
    book = GuestBook(journal, clock)
    ringing = dial(book, label="Ringing")
    book.call_created(ringing.dial_id, call("CA1", CallStatus.RINGING))
    connected = dial(book, identity="phone-b", label="In room")
    book.call_created(connected.dial_id, call("CA2", CallStatus.IN_PROGRESS))
    book.apply_participants(ROOM, [participant("PA2", "phone-b")])
    dial(book, identity="phone-c", label="Crashed")  # POST never answered
    finished = dial(book, identity="phone-d", label="Busy")
    book.call_created(finished.dial_id, call("CA4", CallStatus.BUSY))

    clock.advance(30)
    restarted = GuestBook.from_journal(journal, clock)
    guests = {g.label: g for g in restarted.all_guests()}
    assert set(guests) == {"Ringing", "In room", "Crashed"}
    assert all(g.number is None for g in guests.values())
    assert guests["Ringing"].status is GuestStatus.RINGING
    assert guests["In room"].status is GuestStatus.CONNECTED
    assert guests["In room"].participant_sid == "PA2"
    assert guests["Crashed"].status is GuestStatus.UNKNOWN
    assert sorted(restarted.live_call_sids()) == ["CA1", "CA2"]
    assert [s for s, _ in guests["Ringing"].history] == [GuestStatus.DIALING, GuestStatus.RINGING]
    # The crashed dial's call is found by caller ID and the masked number's last digits.
    found = restarted.match_call(
        guests["Crashed"].dial_id,
        [call("CA1", CallStatus.RINGING), call("CA3", CallStatus.RINGING)],
    )
    assert found is not None and found.sid == "CA3"

    # Polls carry on where the old process stopped; ended calls get their final status.
    restarted.apply_call(call("CA1", CallStatus.NO_ANSWER))
    assert restarted.apply_participants(ROOM, [participant("PA2", "phone-b")]) == []
    assert guests["In room"].status is GuestStatus.CONNECTED
    assert journal.get(guests["Ringing"].dial_id) is not None
    assert {e.dial_id for e in journal.unfinished()} == {
        guests["In room"].dial_id,
        guests["Crashed"].dial_id,
    }
    # No number: the host must dial a restarted guest anew.
    with pytest.raises(ValueError, match="not known"):
        restarted.redial(guests["Ringing"].dial_id)


def test_adopting_twice_keeps_one_guest(clock: FakeClock) -> None:
    journal = Journal.in_memory()
    book = GuestBook(journal, clock)
    guest = dial(book)
    book.adopt(guest)
    assert book.all_guests() == [guest]
    other = GuestBook(journal, clock)
    other.adopt(guest)
    other.adopt(guest)
    assert [g.dial_id for g in other.all_guests()] == [guest.dial_id]
    assert len(journal.entries()) == 1


def test_adopting_a_guest_the_journal_lacks_records_it(clock: FakeClock) -> None:
    source = GuestBook(clock=clock)
    guest = dial(source)
    journal = Journal.in_memory()
    GuestBook(journal, clock).adopt(guest)
    assert [e.dial_id for e in journal.entries()] == [guest.dial_id]


def test_calls_still_ringing_into_an_ended_room_are_canceled_with_that_reason(
    book: GuestBook, clock: FakeClock
) -> None:
    ringing, connected, dialing = dial(book), dial(book, identity="phone-b"), dial(book)
    book.call_created(ringing.dial_id, call("CA1", CallStatus.RINGING))
    book.call_created(connected.dial_id, call("CA2", CallStatus.IN_PROGRESS))
    book.apply_participants(ROOM, [participant("PA2", "phone-b")])
    book.room_ended(ROOM)
    ringing, dialing = fresh(book, ringing), fresh(book, dialing)
    assert book.unanswered_in_ended_room(ROOM) == [ringing, dialing]
    clock.advance(3)
    events = book.apply_call(call("CA1", CallStatus.CANCELED))
    ringing = fresh(book, ringing)
    connected = fresh(book, connected)
    assert ringing.status is GuestStatus.CANCELED
    assert ringing.end_reason.startswith("Canceled: the room ended")
    assert "canceled: the room ended" in events[0].text
    assert connected.status is GuestStatus.LEFT


def test_a_line_busy_at_once_does_not_claim_it_rang(book: GuestBook) -> None:
    guest = dial(book)
    book.call_created(guest.dial_id, call("CA1", CallStatus.QUEUED))
    events = book.apply_call(call("CA1", CallStatus.BUSY))
    assert texts(events) == [("dial-failed", "Alice (••• 2671) busy")]
    guest = fresh(book, guest)
    assert guest.end_reason == "Busy"
