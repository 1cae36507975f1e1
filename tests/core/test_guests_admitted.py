"""Callers admitted from a dial-in lobby: guests like dialed ones, with the call known at once."""

from __future__ import annotations

import pytest

from moderator.core.guest_state import Direction, GuestStatus
from moderator.core.guests import GuestBook
from moderator.core.journal import Journal
from moderator.core.models import CallStatus
from tests.core.guest_helpers import NUMBER, ROOM, ROOM_NAME, FakeClock, call, fresh, participant

DIAL_IN = "+14155550100"


def admit(book: GuestBook, call_sid: str = "CA1"):  # type: ignore[no-untyped-def]
    return book.start_admit(
        room_sid=ROOM,
        room_name=ROOM_NAME,
        identity="phone-in1",
        number=NUMBER,
        label="Ana",
        dial_in_number=DIAL_IN,
        call_sid=call_sid,
    )


def inbound(status: CallStatus, sid: str = "CA1"):  # type: ignore[no-untyped-def]
    return call(sid, status, to=DIAL_IN, from_=NUMBER)


def test_an_admitted_caller_is_a_phone_guest_known_by_its_call_from_the_start() -> None:
    book = GuestBook(Journal.in_memory(), FakeClock())
    guest = admit(book)
    assert guest.direction is Direction.CALLED_IN
    assert guest.call_sid == "CA1" and book.guest_for_call("CA1") == guest
    assert guest.masked_number == "••• 2671" and guest.caller_id == DIAL_IN
    events = book.admitted(guest.dial_id, inbound(CallStatus.IN_PROGRESS))
    assert events[0].text == f"Admitted Ana (••• 2671) from the lobby into {ROOM_NAME} as phone-in1"
    assert NUMBER not in " ".join(e.text for e in events)
    assert fresh(book, guest).status is GuestStatus.JOINING
    book.apply_participants(ROOM, [participant("PA1", "phone-in1")])
    assert fresh(book, guest).status is GuestStatus.CONNECTED


def test_a_refused_admit_ends_the_guest_and_frees_the_call_for_the_lobby() -> None:
    book = GuestBook(Journal.in_memory(), FakeClock())
    guest = admit(book)
    events = book.admit_failed(guest.dial_id, f"Call {NUMBER} is not in progress")
    assert fresh(book, guest).status is GuestStatus.REJECTED
    assert book.guest_for_call("CA1") is None  # the lobby may show (and admit) them again
    assert all(NUMBER not in e.text for e in events)
    again = admit(book)
    assert book.guest_for_call("CA1") == again


def test_the_same_call_cannot_be_admitted_twice() -> None:
    book = GuestBook(Journal.in_memory(), FakeClock())
    admit(book)
    with pytest.raises(ValueError):
        admit(book)


def test_a_restart_follows_an_admit_whose_answer_was_lost() -> None:
    journal = Journal.in_memory()
    first = GuestBook(journal, FakeClock())
    guest = admit(first)  # crash here: Twilio's answer to the redirect never arrived
    second = GuestBook.from_journal(journal, FakeClock())
    adopted = second.guest_for_call("CA1")
    assert adopted is not None and adopted.dial_id == guest.dial_id
    assert adopted.direction is Direction.CALLED_IN and adopted.number is None
    second.apply_call(inbound(CallStatus.IN_PROGRESS))
    second.apply_participants(ROOM, [participant("PA1", "phone-in1")])
    assert fresh(second, adopted).status is GuestStatus.CONNECTED
