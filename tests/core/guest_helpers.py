"""Builders shared by the guest book, roster and journal tests: a hand-driven clock, snapshots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from moderator.core.guests import GuestBook, PhoneGuest
from moderator.core.models import Call, CallStatus, Participant, PublishedTrack

ROOM = "RM00000000000000000000000000000001"
ROOM_NAME = "Standup"
NUMBER = "+14155552671"
OTHER_NUMBER = "+442079460958"
CALLER_ID = "+15005550006"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class FakeClock:
    """A clock the test moves by hand, so durations in texts are exact."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


def fresh(book: GuestBook, guest: PhoneGuest) -> PhoneGuest:
    """The book's latest snapshot of a dial: the book hands out frozen snapshots, so a test
    reads the guest again after each change it makes."""
    latest = book.get(guest.dial_id)
    assert latest is not None, guest.dial_id
    return latest


def dial(
    book: GuestBook,
    *,
    identity: str = "phone-4kq2",
    number: str = NUMBER,
    label: str = "Alice",
    room: str = ROOM,
    room_name: str = ROOM_NAME,
) -> PhoneGuest:
    return book.start_dial(
        room_sid=room,
        room_name=room_name,
        identity=identity,
        number=number,
        masked_number="",
        label=label,
        caller_id=CALLER_ID,
    )


def call(
    sid: str,
    status: CallStatus,
    *,
    to: str = NUMBER,
    from_: str = CALLER_ID,
    created: datetime | None = T0,
    start: datetime | None = None,
    end: datetime | None = None,
    duration: int | None = None,
) -> Call:
    return Call(
        sid=sid,
        to=to,
        from_=from_,
        status=status,
        date_created=created,
        start_time=start,
        end_time=end,
        duration_s=duration,
    )


AUDIO = PublishedTrack(sid="MT01", name="mic", kind="audio")
VIDEO = PublishedTrack(sid="MT02", name="cam", kind="video")


def participant(
    sid: str,
    identity: str,
    *,
    room: str = ROOM,
    start: datetime | None = T0,
    tracks: tuple[PublishedTrack, ...] = (AUDIO,),
) -> Participant:
    return Participant(
        sid=sid,
        room_sid=room,
        identity=identity,
        status="connected",
        start_time=start,
        tracks=tracks,
    )
