"""The call history's wording, from real journal rows written by the guest book."""

from __future__ import annotations

from datetime import timedelta

from moderator.core.dial_history import describe_timeline, duration_text, summarize
from moderator.core.guests import GuestBook
from moderator.core.journal import Journal
from moderator.core.models import CallStatus
from tests.core.guest_helpers import NUMBER, FakeClock, call, dial, participant


def _book() -> tuple[GuestBook, Journal, FakeClock]:
    clock = FakeClock()
    journal = Journal.in_memory()
    return GuestBook(journal, clock), journal, clock


def test_answered_joined_left() -> None:
    book, journal, clock = _book()
    guest = dial(book)
    book.call_created(guest.dial_id, call("CA1", CallStatus.QUEUED))
    clock.advance(2)
    book.apply_call(call("CA1", CallStatus.RINGING))
    clock.advance(6)
    book.apply_call(call("CA1", CallStatus.IN_PROGRESS))
    clock.advance(1)
    book.apply_participants(guest.room_sid, [participant("PA1", guest.identity)])
    clock.advance(180)
    book.apply_participants(guest.room_sid, [])

    entry = journal.get(guest.dial_id)
    assert entry is not None
    steps = describe_timeline(entry, journal.timeline(guest.dial_id))
    assert [s.title for s in steps] == [
        "Dialed",
        "Call placed",
        "Queued",
        "Ringing",
        "Answered after ringing 6 s",
        "Joined as phone-4kq2",
        "Left after 3 min",
    ]
    assert steps[0].detail.startswith("Alice (••• 2671) into Standup as phone-4kq2")
    assert steps[1].detail == "Twilio call CA1"
    assert steps[-1].detail == "Left the room after 3 min"

    summary = summarize(entry, clock())
    assert summary.name == "Alice · ••• 2671"
    assert summary.outcome == "Left the room after 3 min"
    assert summary.rang_for == timedelta(seconds=6)
    assert summary.in_room_for == timedelta(minutes=3)
    text = " ".join(f"{s.title} {s.detail}" for s in steps) + summary.outcome + summary.name
    assert NUMBER not in text and "5552671" not in text


def test_seen_in_the_room_before_the_answer_still_says_answered() -> None:
    book, journal, clock = _book()
    guest = dial(book)
    book.call_created(guest.dial_id, call("CA1", CallStatus.RINGING))
    clock.advance(4)
    book.apply_participants(guest.room_sid, [participant("PA1", guest.identity)])
    entry = journal.get(guest.dial_id)
    assert entry is not None
    titles = [s.title for s in describe_timeline(entry, journal.timeline(guest.dial_id))]
    assert titles[-2:] == ["Answered after ringing 4 s", "Joined as phone-4kq2"]
    summary = summarize(entry, clock.advance(65))
    assert summary.outcome == "Connected"
    assert duration_text(summary.in_room_for) == "1 min"  # still in the room: counts on


def test_busy_says_how_long_it_rang() -> None:
    book, journal, clock = _book()
    guest = dial(book)
    book.call_created(guest.dial_id, call("CA1", CallStatus.RINGING))
    clock.advance(8)
    book.apply_call(call("CA1", CallStatus.BUSY))
    entry = journal.get(guest.dial_id)
    assert entry is not None
    summary = summarize(entry, clock())
    assert summary.outcome == "Busy after ringing 8 s"
    assert duration_text(summary.in_room_for) == "—"
    steps = describe_timeline(entry, journal.timeline(guest.dial_id))
    assert (steps[-1].title, steps[-1].detail) == ("Busy", "Busy after ringing 8 s")
