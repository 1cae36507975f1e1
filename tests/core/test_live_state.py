"""LiveState without Qt: rooms, counts, tracks and what each answer implies."""

from __future__ import annotations

from moderator.core.changes import Changes
from moderator.core.guest_state import GuestStatus
from moderator.core.guests import GuestBook
from moderator.core.live_state import LiveState, RoomRow
from moderator.core.models import CallStatus, Participant, Room, RoomType
from moderator.core.poller import tracks_key
from tests.core.guest_helpers import (
    AUDIO,
    ROOM,
    ROOM_NAME,
    T0,
    VIDEO,
    FakeClock,
    call,
    dial,
    participant,
)

OTHER = "RM00000000000000000000000000000002"


def room(sid: str = ROOM, name: str = ROOM_NAME, status: str = "in-progress") -> Room:
    return Room(sid, name, status, RoomType.GROUP, 50, T0)


def make() -> tuple[LiveState, GuestBook, FakeClock]:
    clock = FakeClock()
    book = GuestBook(None, clock)
    return LiveState(book, clock), book, clock


def test_rooms_are_listed_by_name_ignoring_case_and_only_in_progress() -> None:
    live, _, _ = make()
    changes, gone = live.apply_rooms(
        [room(ROOM, "zeta"), room(OTHER, "Alpha"), room("RM3", "done", status="completed")]
    )
    assert changes.rooms and gone == []
    assert [r.unique_name for r in live.rooms.values()] == ["Alpha", "zeta"]
    assert [row.room.unique_name for row in live.room_rows()] == ["Alpha", "zeta"]
    assert all(row.participant_count is None for row in live.room_rows())  # not counted yet


def test_a_room_gone_from_the_list_is_forgotten_with_its_counts_and_tracks() -> None:
    live, _, _ = make()
    live.apply_rooms([room(), room(OTHER, "other")])
    live.apply_participants(ROOM, [participant("PA1", "alice")])
    live.apply_tracks(ROOM, "PA1", [AUDIO], read_at=1.0)
    changes, gone = live.apply_rooms([room(OTHER, "other")])
    assert [r.sid for r in gone] == [ROOM]
    assert changes.forget_rooms == {ROOM} and ROOM in changes.rosters
    assert live.participants(ROOM) == [] and live.tracks_cached(ROOM) == []
    assert live.room(ROOM) is None


def test_participants_are_counted_and_passed_to_the_guest_book() -> None:
    live, book, clock = make()
    live.apply_rooms([room()])
    guest = dial(book)
    book.call_created(guest.dial_id, call("CA1", CallStatus.QUEUED))
    book.apply_call(call("CA1", CallStatus.IN_PROGRESS, start=T0))
    clock.advance(5)
    changes = live.apply_participants(
        ROOM, [participant("PA1", "alice"), participant("PA2", guest.identity)]
    )
    assert changes.rooms and changes.rosters == {ROOM}
    assert [e.kind for e in changes.events] == ["joined"]
    assert book.get(guest.dial_id).status is GuestStatus.CONNECTED  # type: ignore[union-attr]
    (row,) = live.room_rows()
    assert row == RoomRow(room(), 2, 1, clock.now)


def test_disconnected_participants_do_not_count() -> None:
    live, _, _ = make()
    live.apply_rooms([room()])
    gone = Participant("PA2", ROOM, "bob", "disconnected", T0, T0)
    live.apply_participants(ROOM, [participant("PA1", "alice"), gone])
    assert [p.identity for p in live.participants(ROOM)] == ["alice"]
    assert live.identity_connected(ROOM, "alice") and not live.identity_connected(ROOM, "bob")


def test_participants_of_a_room_that_ended_meanwhile_change_nothing() -> None:
    live, _, _ = make()
    assert live.apply_participants(ROOM, [participant("PA1", "alice")]) == Changes()
    assert live.participants(ROOM) == []


def test_a_participant_who_left_takes_their_tracks_and_poll_history_along() -> None:
    live, _, _ = make()
    live.apply_rooms([room()])
    live.apply_participants(ROOM, [participant("PA1", "alice"), participant("PA2", "bob")])
    live.apply_tracks(ROOM, "PA1", [AUDIO], read_at=1.0)
    changes = live.apply_participants(ROOM, [participant("PA2", "bob")])
    assert changes.forget_polls == {tracks_key("PA1")}
    assert live.tracks_missing(ROOM) == ["PA2"]


def test_tracks_fill_a_roster_row_and_only_a_change_repaints() -> None:
    live, _, _ = make()
    live.apply_rooms([room()])
    live.apply_participants(ROOM, [participant("PA1", "alice", tracks=())])
    assert live.tracks_missing(ROOM) == ["PA1"]
    first = live.apply_tracks(ROOM, "PA1", [AUDIO, VIDEO], read_at=2.0)
    assert first.rosters == {ROOM}
    assert live.apply_tracks(ROOM, "PA1", [AUDIO, VIDEO], read_at=3.0) == Changes()
    assert live.tracks_cached(ROOM) == [("PA1", 3.0)]
    (row,) = live.roster(ROOM)
    assert row.identity == "alice"


def test_tracks_of_someone_who_left_meanwhile_are_dropped() -> None:
    live, _, _ = make()
    live.apply_rooms([room()])
    assert live.apply_tracks(ROOM, "PA9", [AUDIO], read_at=1.0) == Changes()
    assert live.tracks_cached(ROOM) == []


def test_a_created_room_is_listed_at_once_and_an_ended_one_dropped() -> None:
    live, _, _ = make()
    assert live.add_room(room()).rooms
    assert live.room_name(ROOM) == ROOM_NAME
    changes = live.remove_room(ROOM)
    assert changes.forget_rooms == {ROOM}
    assert live.rooms == {} and live.room_name(ROOM) == ""


def test_rooms_pages_follow_the_list_length() -> None:
    live, _, _ = make()
    live.apply_rooms([room(f"RM{i}", f"r{i:03d}") for i in range(101)])
    assert live.rooms_pages == 2


def test_room_of_participant() -> None:
    live, _, _ = make()
    live.apply_rooms([room(), room(OTHER, "other")])
    live.apply_participants(OTHER, [participant("PA7", "carol", room=OTHER)])
    assert live.room_of_participant("PA7") == OTHER
    assert live.room_of_participant("PA8") is None
