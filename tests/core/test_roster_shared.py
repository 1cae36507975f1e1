"""The roster with co-hosts: a co-host's phone guest is a phone guest here too, credited to the
host who dialed it, without its number; this app's own guests carry co-hosts' notes."""

from __future__ import annotations

from datetime import timedelta

from moderator.core.guests import GuestBook, GuestStatus
from moderator.core.models import CallStatus
from moderator.core.roster import GuestKind, build_roster
from moderator.core.shared_guests import SharedGuestBook, guest_fields
from moderator.core.sync_gateway import SyncItem
from tests.core.guest_helpers import AUDIO, ROOM, T0, FakeClock, call, dial, participant


def _shared(book: GuestBook, *items: SyncItem) -> SharedGuestBook:
    shared = SharedGuestBook("me")
    shared.merge(items)
    return shared


def _cohost_item(identity: str, status: GuestStatus, **extra: str) -> SyncItem:
    clock = FakeClock()
    other = GuestBook(clock=clock)
    guest = dial(other, identity=identity, label="Alice")
    fields = guest_fields(guest, by="Ana", host_id="ana", tag="t")
    return SyncItem(identity, {**fields, "status": status.value, **extra}, "1")


def test_a_cohosts_guest_in_the_room_is_a_phone_guest_dialed_by_them() -> None:
    clock = FakeClock()
    book = GuestBook(clock=clock)
    shared = _shared(book, _cohost_item("phone-ana1", GuestStatus.JOINING, call_sid="CA9"))
    people = [
        participant("PA1", "host", start=T0 - timedelta(minutes=3)),
        participant("PA2", "phone-ana1", start=T0, tracks=(AUDIO,)),
    ]
    rows = build_roster(ROOM, people, book, clock.now, shared)
    assert [row.key for row in rows] == ["shared:phone-ana1", "PA1"]
    row = rows[0]
    assert row.kind is GuestKind.PHONE and row.shared_by == "Ana"
    assert row.status is GuestStatus.CONNECTED
    assert row.status_text == "Connected · dialed by Ana"
    assert row.name.startswith("Alice · ") and row.full_number is None
    assert row.participant_sid == "PA2" and row.can_remove and not row.can_redial
    assert row.dial_id is None and row.call_sid == "CA9"


def test_a_cohosts_guest_still_ringing_shows_the_item_status() -> None:
    clock = FakeClock()
    book = GuestBook(clock=clock)
    shared = _shared(book, _cohost_item("phone-ana1", GuestStatus.RINGING))
    (row,) = build_roster(ROOM, [], book, clock.now, shared)
    assert row.status is GuestStatus.RINGING and row.status_text.endswith("· dialed by Ana")


def test_this_apps_own_guest_is_never_doubled_and_shows_cohost_notes() -> None:
    clock = FakeClock()
    book = GuestBook(clock=clock)
    guest = dial(book, identity="phone-mine")
    book.call_created(guest.dial_id, call("CA1", CallStatus.COMPLETED))
    fields = guest_fields(book.get(guest.dial_id), by="Me", host_id="old-run", tag="t")  # type: ignore[arg-type]
    note = SyncItem("phone-mine", {**fields, "removed_by": "Bob", "muted_by": "Bob"}, "3")
    rows = build_roster(ROOM, [], book, clock.now, _shared(book, note))
    (row,) = rows
    assert row.key == guest.dial_id and row.muted_by == "Bob"
    assert row.status is not None and row.status.is_final
    assert row.status_text.endswith("· removed by Bob")
