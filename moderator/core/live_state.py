"""What the app knows of the account's rooms right now, and what each new answer implies.

`LiveState` caches the in-progress rooms, each room's connected participants (and when they were
counted) and the selected room's published tracks. The poll loop feeds it Twilio's answers;
every `apply_*` returns the `Changes` the answer implies (guest events from the guest book, lists
to repaint, poll history to drop). `room_rows()` and `roster()` build what the panes show. It is
Qt-free and knows no time but the clocks it is given, so it is tested without a window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from moderator.core.changes import Changes
from moderator.core.guest_state import GuestStatus
from moderator.core.models import Participant, PublishedTrack, Room
from moderator.core.poller import tracks_key
from moderator.core.roster import RosterRow, build_roster

if TYPE_CHECKING:  # the book is passed in; importing it would pull in SQLite at start-up
    from moderator.core.guests import GuestBook
    from moderator.core.shared_guests import SharedGuestBook

__all__ = ["MAX_PHONE_PARTICIPANTS", "LiveState", "RoomRow"]

MAX_PHONE_PARTICIPANTS = 35
"""Twilio's cap on PSTN participants per room."""

ROOMS_PER_PAGE = 100
"""What one rooms list request returns at most (the gateway's page size)."""


@dataclass(frozen=True, slots=True)
class RoomRow:
    """One room as the rooms pane shows it.

    `participant_count` is None until the room's participants were first counted; counts of rooms
    other than the selected one are refreshed round-robin, so `counted_at` says how old they are.
    """

    room: Room
    participant_count: int | None
    phone_count: int
    counted_at: datetime | None = None

    @property
    def sid(self) -> str:
        return self.room.sid


@dataclass(frozen=True, slots=True)
class CachedTracks:
    """A participant's published tracks as last read, and when (monotonic seconds)."""

    room_sid: str
    tracks: tuple[PublishedTrack, ...]
    read_at: float


def by_name(rooms: dict[str, Room]) -> dict[str, Room]:
    """Rooms in the order the rooms pane lists them: by unique name, ignoring case."""
    return dict(sorted(rooms.items(), key=lambda item: item[1].unique_name.casefold()))


class LiveState:
    """The rooms, participants and tracks caches of one account, and the rows built from them."""

    def __init__(self, book: GuestBook, clock: Callable[[], datetime]) -> None:
        self._book = book
        self._clock = clock
        self._rooms: dict[str, Room] = {}
        self._rooms_pages = 1
        self._participants: dict[str, list[Participant]] = {}
        self._counted_at: dict[str, datetime] = {}
        self._tracks: dict[str, CachedTracks] = {}
        #: Co-hosts' guests (issue 12), when co-hosting is on: shown in rosters and counts.
        self.shared: SharedGuestBook | None = None

    # -- queries ------------------------------------------------------------------------------

    @property
    def rooms(self) -> dict[str, Room]:
        """The in-progress rooms by SID, in the rooms pane's order (a copy)."""
        return dict(self._rooms)

    @property
    def rooms_pages(self) -> int:
        """How many pages the last rooms list took: what a rooms poll costs in reads."""
        return self._rooms_pages

    def room(self, room_sid: str) -> Room | None:
        return self._rooms.get(room_sid)

    def room_name(self, room_sid: str) -> str:
        room = self._rooms.get(room_sid)
        return room.unique_name if room is not None else ""

    def participants(self, room_sid: str) -> list[Participant]:
        """The room's connected participants as last counted ([] if never counted)."""
        return list(self._participants.get(room_sid, ()))

    def identity_connected(self, room_sid: str, identity: str) -> bool:
        return any(p.identity == identity for p in self._participants.get(room_sid, ()))

    def room_of_participant(self, participant_sid: str) -> str | None:
        for room_sid, participants in self._participants.items():
            if any(p.sid == participant_sid for p in participants):
                return room_sid
        return None

    def tracks_missing(self, room_sid: str | None) -> list[str]:
        """Participants of the room whose tracks were never read."""
        if room_sid is None:
            return []
        return [p.sid for p in self._participants.get(room_sid, ()) if p.sid not in self._tracks]

    def tracks_cached(self, room_sid: str | None) -> list[tuple[str, float]]:
        """(participant SID, read at) for the room's participants whose tracks were read."""
        if room_sid is None:
            return []
        cached = []
        for p in self._participants.get(room_sid, ()):
            entry = self._tracks.get(p.sid)
            if entry is not None:
                cached.append((p.sid, entry.read_at))
        return cached

    def room_rows(self) -> list[RoomRow]:
        """The rooms pane's rows, sorted by unique name. One pass over the guests, not one each."""
        phone: dict[str, int] = {}
        for guest in self._book.all_guests():
            if guest.status is GuestStatus.CONNECTED:
                phone[guest.room_sid] = phone.get(guest.room_sid, 0) + 1
        mine = {(guest.room_sid, guest.identity) for guest in self._book.all_guests()}
        for shared in self.shared.others() if self.shared is not None else ():
            if (shared.room_sid, shared.identity) in mine:
                continue
            if shared.identity in self._connected_identities(shared.room_sid):
                phone[shared.room_sid] = phone.get(shared.room_sid, 0) + 1
        rows = []
        for sid, room in self._rooms.items():
            participants = self._participants.get(sid)
            rows.append(
                RoomRow(
                    room,
                    None if participants is None else len(participants),
                    phone.get(sid, 0),
                    self._counted_at.get(sid),
                )
            )
        return rows

    def _connected_identities(self, room_sid: str) -> set[str]:
        return {p.identity for p in self._participants.get(room_sid, ())}

    def roster(self, room_sid: str) -> list[RosterRow]:
        """The roster of a room from what is known now (participants, cached tracks, guests)."""
        participants = [self._with_tracks(p) for p in self._participants.get(room_sid, ())]
        return build_roster(room_sid, participants, self._book, self._clock(), self.shared)

    def _with_tracks(self, participant: Participant) -> Participant:
        cached = self._tracks.get(participant.sid)
        if cached is None or participant.tracks:
            return participant
        return replace(participant, tracks=cached.tracks)

    # -- answers ------------------------------------------------------------------------------

    def apply_rooms(self, rooms: list[Room]) -> tuple[Changes, list[Room]]:
        """A rooms list came back. Returns the changes and the rooms that are gone since.

        The guests of a gone room are the dialer's business (`Dialer.room_gone`): the caller
        adds what it returns.
        """
        self._rooms_pages = max(1, -(-len(rooms) // ROOMS_PER_PAGE))
        fresh = {room.sid: room for room in rooms if room.in_progress}
        gone = [room for sid, room in self._rooms.items() if sid not in fresh]
        changes = Changes(rooms=True)
        for room in gone:
            changes += self._forget(room.sid)
        self._rooms = by_name(fresh)
        return changes, gone

    def add_room(self, room: Room) -> Changes:
        """The host created a room: list it before the next rooms poll does."""
        self._rooms = by_name({**self._rooms, room.sid: room})
        return Changes(rooms=True)

    def remove_room(self, room_sid: str) -> Changes:
        """The host ended a room: drop it and everything known about it."""
        if self._rooms.pop(room_sid, None) is None:
            return Changes(rooms=True)
        return Changes(rooms=True) + self._forget(room_sid)

    def apply_participants(self, room_sid: str, participants: list[Participant]) -> Changes:
        """A room's participants came back: recount, drop gone people's tracks, tell the book."""
        room = self._rooms.get(room_sid)
        if room is None:
            return Changes()  # ended while we were asking
        connected = [p for p in participants if p.connected]
        previous = self._participants.get(room_sid)
        self._participants[room_sid] = connected
        self._counted_at[room_sid] = self._clock()
        changes = Changes(rooms=True, rosters={room_sid})
        if previous is not None:
            present = {p.sid for p in connected}
            for participant in previous:
                if participant.sid not in present:
                    self._tracks.pop(participant.sid, None)
                    changes.forget_polls.add(tracks_key(participant.sid))
        changes.events += self._book.apply_participants(
            room_sid, connected, room_name=room.unique_name
        )
        return changes

    def apply_tracks(
        self, room_sid: str, participant_sid: str, tracks: list[PublishedTrack], read_at: float
    ) -> Changes:
        """A participant's tracks came back (`read_at` on the poll loop's monotonic clock)."""
        if not any(p.sid == participant_sid for p in self._participants.get(room_sid, ())):
            return Changes()  # left meanwhile
        previous = self._tracks.get(participant_sid)
        self._tracks[participant_sid] = CachedTracks(room_sid, tuple(tracks), read_at)
        if previous is not None and previous.tracks == tuple(tracks):
            return Changes()
        return Changes(rosters={room_sid})

    def _forget(self, room_sid: str) -> Changes:
        self._participants.pop(room_sid, None)
        self._counted_at.pop(room_sid, None)
        for participant_sid in [k for k, v in self._tracks.items() if v.room_sid == room_sid]:
            del self._tracks[participant_sid]
        return Changes(forget_rooms={room_sid}, rosters={room_sid})
