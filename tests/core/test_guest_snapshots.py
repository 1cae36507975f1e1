"""The guest book hands out frozen snapshots, its queries change nothing, and the two fields the
dialer needs: the ring timeout and whether to cancel a call as soon as it is created."""

from __future__ import annotations

import copy
import dataclasses
from datetime import timedelta

import pytest

from moderator.core.guests import GuestBook, GuestStatus, PhoneGuest
from moderator.core.journal import Journal
from moderator.core.models import CallStatus
from tests.core.guest_helpers import (
    CALLER_ID,
    NUMBER,
    OTHER_NUMBER,
    ROOM,
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


# -- snapshots ------------------------------------------------------------------------------


def test_a_guest_is_a_frozen_snapshot(book: GuestBook) -> None:
    guest = dial(book)
    assert isinstance(guest.history, tuple)
    with pytest.raises(dataclasses.FrozenInstanceError):
        guest.status = GuestStatus.CONNECTED  # type: ignore[misc]
    with pytest.raises(AttributeError):
        guest.history.append((GuestStatus.QUEUED, T0))  # type: ignore[attr-defined]


def test_a_change_replaces_the_stored_guest_and_leaves_the_old_snapshot_alone(
    book: GuestBook, clock: FakeClock
) -> None:
    before = dial(book)
    kept = copy.deepcopy(before)
    clock.advance(2)
    book.call_created(before.dial_id, call("CA1", CallStatus.RINGING))
    after = fresh(book, before)
    assert after is not before
    assert before == kept  # what a caller held did not move
    assert before.status is GuestStatus.DIALING and before.call_sid is None
    assert after.status is GuestStatus.RINGING and after.call_sid == "CA1"
    assert [status for status, _ in after.history] == [GuestStatus.DIALING, GuestStatus.RINGING]
    assert book.guest_for_call("CA1") is after
    assert book.all_guests() == [after] and book.guests_in_room(ROOM) == [after]


def test_a_poll_that_changes_nothing_keeps_the_snapshot(book: GuestBook) -> None:
    guest = dial(book)
    book.call_created(guest.dial_id, call("CA1", CallStatus.RINGING))
    ringing = fresh(book, guest)
    book.apply_call(call("CA1", CallStatus.RINGING))
    assert fresh(book, guest) == ringing


def _state(book: GuestBook, journal: Journal) -> object:
    """Everything a query could disturb: the guests, the book's own watch, the journal."""
    own = {
        name: copy.deepcopy(value)
        for name, value in vars(book).items()
        if name not in ("_clock", "_recorder")
    }
    own["journal failing"] = vars(vars(book)["_recorder"])["_failing"]
    timelines = {e.dial_id: journal.timeline(e.dial_id) for e in journal.entries()}
    return own, journal.entries(), timelines, journal.actions()


def test_no_query_changes_anything(clock: FakeClock) -> None:
    journal = Journal.in_memory()
    book = GuestBook(journal, clock)
    book.apply_participants(ROOM, [participant("PA0", "bob")], room_name="Standup")
    ringing = dial(book)
    book.call_created(ringing.dial_id, call("CA1", CallStatus.RINGING))
    connected = dial(book, identity="phone-b", number=OTHER_NUMBER)
    book.call_created(connected.dial_id, call("CA2", CallStatus.IN_PROGRESS, to=OTHER_NUMBER))
    book.apply_participants(ROOM, [participant("PA2", "phone-b")])
    lost = dial(book, identity="phone-c")
    book.dial_outcome_unknown(lost.dial_id, "timed out")
    book.room_ended(ROOM)
    before = _state(book, journal)

    newcomer = participant("PA9", "phone-a")
    queries = [
        lambda: book.get(ringing.dial_id),
        lambda: book.guest_for_call("CA1"),
        book.all_guests,
        lambda: book.guests_in_room(ROOM),
        book.live_call_sids,
        lambda: book.phone_identities(ROOM),
        lambda: book.phone_connected_count(ROOM),
        lambda: book.room_name(ROOM),
        lambda: book.owner_of(ROOM, newcomer),
        lambda: book.owner_of(ROOM, participant("PA2", "phone-b")),
        lambda: book.owner_of("RM_OTHER", newcomer),
        lambda: book.match_call(lost.dial_id, [call("CA7", CallStatus.RINGING)]),
        lambda: book.match_call("nope", []),
        lambda: book.unanswered_in_ended_room(ROOM),
        lambda: book.unanswered_in_ended_room("RM_OTHER"),
    ]
    answers = [query() for query in queries]
    assert _state(book, journal) == before
    assert [query() for query in queries] == answers  # and asking again gives the same
    assert book.room_name("RM_OTHER") == "" and "RM_OTHER" not in vars(book)["_rooms"]


def test_room_ended_marks_the_calls_it_cancels_and_the_query_only_reads(book: GuestBook) -> None:
    ringing, removed, answered = dial(book), dial(book, identity="b"), dial(book, identity="c")
    book.call_created(ringing.dial_id, call("CA1", CallStatus.RINGING))
    book.mark_removed(removed.dial_id)
    book.call_created(answered.dial_id, call("CA3", CallStatus.IN_PROGRESS))
    assert book.unanswered_in_ended_room(ROOM) == []  # the room has not ended
    book.room_ended(ROOM)
    assert fresh(book, ringing).cancel_reason == "the room ended"
    assert fresh(book, removed).cancel_reason == ""  # the host's own cancel says "by host"
    assert fresh(book, answered).cancel_reason == ""  # answered: it ends as not joined
    assert book.unanswered_in_ended_room(ROOM) == [fresh(book, ringing)]


# -- the ring timeout ---------------------------------------------------------------------


def test_the_ring_timeout_is_kept_with_the_dial_and_copied_by_a_redial(book: GuestBook) -> None:
    assert dial(book).timeout_s == 30
    guest = book.start_dial(
        room_sid=ROOM,
        room_name="Standup",
        identity="phone-t",
        number=NUMBER,
        masked_number="",
        label="",
        caller_id=CALLER_ID,
        timeout_s=45,
    )
    assert guest.timeout_s == 45
    book.call_created(guest.dial_id, call("CA1", CallStatus.NO_ANSWER))
    assert fresh(book, guest).timeout_s == 45  # transitions keep it
    again = book.redial(guest.dial_id)
    assert again.timeout_s == 45 and again.dial_id != guest.dial_id


def test_a_guest_rebuilt_from_the_journal_has_the_default_timeout(clock: FakeClock) -> None:
    journal = Journal.in_memory()
    book = GuestBook(journal, clock)
    guest = book.start_dial(
        room_sid=ROOM,
        room_name="Standup",
        identity="phone-t",
        number=NUMBER,
        masked_number="",
        label="",
        caller_id=CALLER_ID,
        timeout_s=60,
    )
    book.call_created(guest.dial_id, call("CA1", CallStatus.RINGING))
    restarted = GuestBook.from_journal(journal, clock)
    assert fresh(restarted, guest).timeout_s == 30


# -- cancel as soon as the call exists ------------------------------------------------------


def test_a_plain_dial_is_not_canceled_on_create(book: GuestBook) -> None:
    guest = dial(book)
    assert guest.cancel_on_create is False
    book.call_created(guest.dial_id, call("CA1", CallStatus.RINGING))
    assert fresh(book, guest).cancel_on_create is False


def test_removing_before_the_sid_cancels_on_create_until_the_call_ends(
    book: GuestBook, clock: FakeClock
) -> None:
    guest = dial(book)
    book.mark_removed(guest.dial_id)
    assert fresh(book, guest).cancel_on_create is True
    book.call_created(guest.dial_id, call("CA1", CallStatus.QUEUED))
    # Still true once the SID is known: that is when the caller reads it and hangs up.
    assert fresh(book, guest).cancel_on_create is True
    clock.advance(1)
    book.apply_call(call("CA1", CallStatus.CANCELED))
    assert fresh(book, guest).cancel_on_create is False  # final: nothing left to end


def test_a_call_into_a_room_that_ended_is_canceled_on_create(book: GuestBook) -> None:
    dialing = dial(book)
    book.room_ended(ROOM)
    assert fresh(book, dialing).cancel_on_create is True
    assert book.unanswered_in_ended_room(ROOM) == [fresh(book, dialing)]
    book.call_created(dialing.dial_id, call("CA1", CallStatus.QUEUED))
    assert fresh(book, dialing).cancel_on_create is True
    book.apply_call(call("CA1", CallStatus.CANCELED))
    ended = fresh(book, dialing)
    assert ended.cancel_on_create is False
    assert ended.end_reason == "Canceled: the room ended"


@pytest.mark.parametrize("outcome", ["rejected", "not-sent"])
def test_a_failed_create_is_final_so_nothing_is_canceled(book: GuestBook, outcome: str) -> None:
    """The session discarded its flag when a create failed: the property is False."""
    removed, in_ended_room = dial(book), dial(book, identity="phone-b")
    book.mark_removed(removed.dial_id)
    book.room_ended(ROOM)
    for guest in (removed, in_ended_room):
        assert fresh(book, guest).cancel_on_create is True
        if outcome == "rejected":
            book.dial_rejected(guest.dial_id, "Invalid number")
        else:
            book.dial_not_sent(guest.dial_id, "the session was closed")
        assert fresh(book, guest).status is GuestStatus.REJECTED
        assert fresh(book, guest).cancel_on_create is False


def test_an_unknown_outcome_keeps_the_wish_until_reconciled(book: GuestBook) -> None:
    found, lost = dial(book), dial(book, identity="phone-b")
    for guest in (found, lost):
        book.dial_outcome_unknown(guest.dial_id, "timed out")
        book.mark_removed(guest.dial_id)
        assert fresh(book, guest).cancel_on_create is True
    book.call_created(found.dial_id, call("CA1", CallStatus.RINGING))
    assert fresh(book, found).cancel_on_create is True  # reconciled: hang it up now
    book.reconcile_not_found(lost.dial_id)
    assert fresh(book, lost).cancel_on_create is False  # never placed


def test_guests_answered_or_in_the_room_are_not_canceled_on_create(book: GuestBook) -> None:
    answered, connected = dial(book), dial(book, identity="phone-b")
    book.call_created(answered.dial_id, call("CA1", CallStatus.IN_PROGRESS))
    book.call_created(connected.dial_id, call("CA2", CallStatus.IN_PROGRESS))
    book.apply_participants(ROOM, [participant("PA2", "phone-b")])
    book.room_ended(ROOM)
    assert fresh(book, answered).cancel_on_create is False
    assert fresh(book, connected).status is GuestStatus.LEFT
    assert fresh(book, connected).cancel_on_create is False


def test_the_wish_is_not_journaled_so_a_restart_forgets_it(clock: FakeClock) -> None:
    journal = Journal.in_memory()
    book = GuestBook(journal, clock)
    guest = dial(book)
    book.mark_removed(guest.dial_id)
    restarted = GuestBook.from_journal(journal, clock)
    adopted = fresh(restarted, guest)
    assert adopted.status is GuestStatus.UNKNOWN
    assert adopted.removal_requested is False and adopted.cancel_on_create is False


def test_the_property_follows_the_fields_alone() -> None:
    base = PhoneGuest(
        dial_id="d1",
        room_sid=ROOM,
        room_name="Standup",
        identity="phone-a",
        number=NUMBER,
        masked_number="••• 2671",
        label="",
        caller_id=CALLER_ID,
        dialed_at=T0,
        ended_at=T0 + timedelta(seconds=1),
    )
    for status in GuestStatus:
        for removal, reason in ((False, ""), (True, ""), (False, "the room ended")):
            guest = dataclasses.replace(
                base, status=status, removal_requested=removal, cancel_reason=reason
            )
            wished = removal or bool(reason)
            assert guest.cancel_on_create is (wished and not status.is_final), (status, removal)
