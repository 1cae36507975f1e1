"""Video rooms, their participants and published tracks, with Twilio's rules for each.

Public methods take the world lock (running due clock events first) and raise `ApiError` with
Twilio's status and code. The calls family joins phone participants through `join` and hears
of their leaving through `phone_left`, which the world wires to it: rooms never need to know
what a call is. The recording family hears of tracks starting and stopping and of rooms ending
through `media_listeners` the same way.

A room's create options (`RoomOptions`) take effect here: the unused-room timeout ends a room
nobody joined, the empty-room timeout ends a room its last participant left, audio-only rooms
take no video tracks, and a participant connected for MaxParticipantDuration is disconnected.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Protocol

from moderator.sandbox.clock import ScheduledEvent
from moderator.sandbox.errors import ApiError
from moderator.sandbox.world.filters import created_between
from moderator.sandbox.world.records import (
    Participant,
    Room,
    Track,
    copy_participant,
    seq_of,
)
from moderator.sandbox.world.room_options import RoomOptions, validate_room_options
from moderator.sandbox.world.state import WorldState

__all__ = [
    "MAX_NAME_LENGTH",
    "MAX_PHONE_PARTICIPANTS",
    "PHONE_ROOM_TYPES",
    "ROOM_TYPES",
    "MediaListener",
    "Rooms",
]

MAX_PHONE_PARTICIPANTS = 35
MAX_NAME_LENGTH = 128
ROOM_TYPES = {"group": 50, "group-small": 4, "peer-to-peer": 10, "go": 2}
PHONE_ROOM_TYPES = {"group"}

SESSION_TOO_LONG = "53216 participant session length exceeded"
"""Why a participant connected for the room's MaxParticipantDuration was disconnected."""

PhoneLeft = Callable[[Participant, "str | None"], None]
"""Told that a phone participant left its room, and why (None: no reason to record)."""


def _nobody_listens(participant: Participant, reason: str | None) -> None:
    """Default `phone_left` until the calls family is wired in."""


class MediaListener(Protocol):
    """Told (lock held) when tracks start or stop being published and when a room ends."""

    def tracks_published(self, room: Room, participant: Participant, tracks: list[Track]) -> None:
        """`participant` started publishing `tracks` in `room`."""

    def tracks_unpublished(self, room: Room, participant: Participant, tracks: list[Track]) -> None:
        """`participant` stopped publishing `tracks` (it left, or the room ended)."""

    def room_ended(self, room: Room) -> None:
        """`room` is completed; everyone in it has been disconnected."""


class Rooms:
    """Rooms, participants and tracks; `phone_left` is told when a phone participant leaves."""

    def __init__(self, state: WorldState) -> None:
        self._state = state
        self._rooms: dict[str, Room] = {}
        self._participants: dict[str, Participant] = {}
        self.phone_left: PhoneLeft = _nobody_listens
        self.media_listeners: list[MediaListener] = []
        self._room_timers: dict[str, ScheduledEvent] = {}
        self._duration_timers: dict[str, ScheduledEvent] = {}

    # ------------------------------------------------------------------ rooms

    def create_room(
        self,
        unique_name: str | None = None,
        type: str = "group",
        max_participants: int | None = None,
        status_callback: str | None = None,
        options: RoomOptions | None = None,
        *,
        rest: bool = False,
    ) -> str:
        """Create an in-progress room and return its RM… SID (REST create and test API).

        `max_participants` defaults to the type's maximum (50 for group rooms). Raises ApiError
        53101 for a name over 128 characters, 53113 if an in-progress room has the name,
        53108 for an unknown type and 53107 for an out-of-range maximum, and the options'
        codes (`validate_room_options`). `rest` marks a REST create, whose options were
        defaulted and checked as Twilio does (timeouts 1–60 minutes).
        """
        options = options or RoomOptions()
        with self._state.locked():
            if type not in ROOM_TYPES:
                raise ApiError(400, 53108, f"RoomType is not valid: {type!r}")
            limit = ROOM_TYPES[type]
            if max_participants is None:
                max_participants = limit
            if not 1 <= max_participants <= limit:
                raise ApiError(
                    400,
                    53107,
                    f"MaxParticipants is out of range: {max_participants} (1–{limit} for {type})",
                )
            validate_room_options(type, options, rest=rest)
            if unique_name is not None:
                if len(unique_name) > MAX_NAME_LENGTH:
                    raise ApiError(400, 53101, "Room name is too long")
                if not unique_name.strip() or any(ch < " " for ch in unique_name):
                    raise ApiError(400, 53100, "Room name is invalid")
                if self.in_progress_room_named(unique_name) is not None:
                    raise ApiError(400, 53113, "Room exists")
            now = self._state.now()
            sid = self._state.sids.new("RM")
            room = Room(
                sid=sid,
                seq=self._state.next_seq(),
                unique_name=unique_name if unique_name is not None else sid,
                type=type,
                max_participants=max_participants,
                status="in-progress",
                created_at=now,
                updated_at=now,
                status_callback=status_callback,
                options=options,
            )
            self._rooms[sid] = room
            if options.unused_room_timeout:
                self._end_later(room, options.unused_room_timeout * 60.0)
            return sid

    def _end_later(self, room: Room, delay: float) -> None:
        """End `room` after `delay` seconds unless someone joins first (lock held)."""
        self._cancel_room_timer(room)

        def end() -> None:
            self._room_timers.pop(room.sid, None)
            if room.status == "in-progress" and not self._connected(room):
                self._complete_room(room)

        self._room_timers[room.sid] = self._state.schedule(delay, end)

    def _cancel_room_timer(self, room: Room) -> None:
        timer = self._room_timers.pop(room.sid, None)
        if timer is not None:
            timer.cancel()

    def in_progress_room_named(self, name: str) -> Room | None:
        """The in-progress room with this unique name (lock held), if any."""
        for room in self._rooms.values():
            if room.status == "in-progress" and room.unique_name == name:
                return room
        return None

    def _room(self, key: str) -> Room:
        """A room by SID (any status) or by unique name (in-progress only), else 20404."""
        room = self._rooms.get(key) or self.in_progress_room_named(key)
        if room is None:
            raise ApiError.not_found(f"/v1/Rooms/{key}")
        return room

    def find_room(self, key: str) -> Room:
        """The live room record for a SID or in-progress unique name (REST fetch)."""
        with self._state.locked():
            return self._room(key)

    def list_rooms(
        self,
        status: str | None = None,
        unique_name: str | None = None,
        created_after: str | None = None,
        created_before: str | None = None,
    ) -> list[Room]:
        """Rooms newest first, filtered like GET /v1/Rooms."""
        created_in_window = created_between(created_after, created_before)
        with self._state.locked():
            rooms = [
                room
                for room in self._rooms.values()
                if (status is None or room.status == status)
                and (unique_name is None or room.unique_name == unique_name)
                and created_in_window(room.created_at)
            ]
            return sorted(rooms, key=lambda room: -room.seq)

    def update_room_status(self, key: str, status: str) -> Room:
        """POST /v1/Rooms/{key} Status=completed: ends the room, disconnecting everyone."""
        with self._state.locked():
            room = self._room(key)
            if status != "completed" or room.status != "in-progress":
                raise ApiError(400, 53112, f"Status is invalid: {status!r}")
            self._complete_room(room)
            return room

    def complete_room(self, sid_or_name: str) -> None:
        """Test API: end an in-progress room like the REST update does."""
        self.update_room_status(sid_or_name, "completed")

    def _complete_room(self, room: Room) -> None:
        now = self._state.now()
        self._cancel_room_timer(room)
        room.status = "completed"
        room.end_time = now
        room.updated_at = now
        for participant in self._connected(room):
            self.disconnect(participant)
        for listener in self.media_listeners:
            listener.room_ended(room)

    # ------------------------------------------------------------------ participants

    def _connected(self, room: Room) -> list[Participant]:
        return [
            p
            for p in self._participants.values()
            if p.room_sid == room.sid and p.status == "connected"
        ]

    def join(
        self, room: Room, identity: str, kinds: Iterable[str], call_sid: str | None
    ) -> Participant:
        """Twilio's join rules: duplicate identity evicts, then the caps apply (lock held)."""
        if room.status != "in-progress":
            raise ApiError(400, 53106, "Room not found")
        if not identity or len(identity) > MAX_NAME_LENGTH:
            raise ApiError(400, 53201 if identity else 53200, "Participant identity is invalid")
        if call_sid is not None and room.type not in PHONE_ROOM_TYPES:
            raise ApiError(400, 53103, f"A {room.type} room cannot take phone participants")
        for existing in self._connected(room):
            if existing.identity == identity:
                self.disconnect(existing, reason="53205 duplicate identity")
        connected = self._connected(room)
        if len(connected) >= room.max_participants:
            raise ApiError(400, 53105, "Room contains too many Participants")
        if call_sid is not None and sum(p.is_phone for p in connected) >= MAX_PHONE_PARTICIPANTS:
            raise ApiError(400, 53105, "Room contains too many phone Participants")
        state = self._state
        now = state.now()
        participant = Participant(
            sid=state.sids.new("PA"),
            seq=state.next_seq(),
            room_sid=room.sid,
            identity=identity,
            status="connected",
            created_at=now,
            updated_at=now,
            start_time=now,
            call_sid=call_sid,
        )
        for kind in kinds:
            if room.options.audio_only and kind == "video":
                continue  # an audio-only room takes no video tracks
            participant.tracks.append(
                Track(
                    sid=state.sids.new("MT"),
                    seq=state.next_seq(),
                    participant_sid=participant.sid,
                    room_sid=room.sid,
                    name=self._track_name(),
                    kind=kind,
                    created_at=now,
                )
            )
        self._participants[participant.sid] = participant
        room.updated_at = now
        self._cancel_room_timer(room)
        self._duration_timers[participant.sid] = state.schedule(
            float(room.options.max_participant_duration),
            lambda: self.disconnect(
                participant, reason="53216 participant session length exceeded"
            ),
        )
        for listener in self.media_listeners:
            listener.tracks_published(room, participant, list(participant.tracks))
        return participant

    def _track_name(self) -> str:
        """Client SDKs name tracks with a UUID by default; look the same."""
        h = self._state.sids.hex32()
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"

    def join_app_participant(
        self, room_sid_or_name: str, identity: str, kinds: Iterable[str] = ("audio", "video")
    ) -> str:
        """Test API: a WebRTC (app) participant joins with tracks of `kinds`; returns PA… SID.

        Follows Twilio: an identity already connected is evicted; a full room raises ApiError
        53105.
        """
        with self._state.locked():
            room = self._room(room_sid_or_name)
            return self.join(room, identity, tuple(kinds), call_sid=None).sid

    def disconnect(self, participant: Participant, reason: str | None = None) -> None:
        """Leave the room (lock held); a phone participant's leaving goes to `phone_left`."""
        if participant.status != "connected":
            return
        now = self._state.now()
        participant.status = "disconnected"
        participant.end_time = now
        participant.updated_at = now
        stopped = list(participant.tracks)
        participant.tracks.clear()
        timer = self._duration_timers.pop(participant.sid, None)
        if timer is not None:
            timer.cancel()
        room = self._rooms[participant.room_sid]
        for listener in self.media_listeners:
            listener.tracks_unpublished(room, participant, stopped)
        if participant.call_sid is not None:
            self.phone_left(participant, reason)
        timeout = room.options.empty_room_timeout
        if room.status == "in-progress" and timeout and not self._connected(room):
            self._end_later(room, timeout * 60.0)

    def disconnect_participant(self, participant_sid: str) -> None:
        """Test API: the participant leaves (as if it hung up / closed the app)."""
        with self._state.locked():
            self.disconnect(self.participant_by_sid(participant_sid))

    def connected(self, room: Room) -> list[Participant]:
        """The room's connected participants, oldest first (lock held; for other families)."""
        return sorted(self._connected(room), key=seq_of)

    def room_by_key(self, key: str) -> Room:
        """A room by SID or in-progress unique name, else 20404 (lock held; other families)."""
        return self._room(key)

    def participant_in(self, room: Room, key: str) -> Participant:
        """A room's participant by PA… SID or connected identity, else 20404 (lock held)."""
        return self._participant(room, key)

    def participant_by_sid(self, sid: str) -> Participant:
        """Any participant by PA… SID, whatever its room or status (lock held)."""
        participant = self._participants.get(sid)
        if participant is None:
            raise ApiError.not_found(f"participant {sid}")
        return participant

    def _participant(self, room: Room, key: str) -> Participant:
        participant = self._participants.get(key)
        if participant is not None and participant.room_sid == room.sid:
            return participant
        for candidate in self._connected(room):
            if candidate.identity == key:
                return candidate
        raise ApiError.not_found(f"/v1/Rooms/{room.sid}/Participants/{key}")

    def find_participant(self, room_key: str, key: str) -> Participant:
        """REST fetch by PA… SID, or by identity while connected."""
        with self._state.locked():
            return self._participant(self._room(room_key), key)

    def list_participants(
        self,
        room_key: str,
        status: str | None = None,
        identity: str | None = None,
        created_after: str | None = None,
        created_before: str | None = None,
    ) -> list[Participant]:
        """GET …/Participants: connected by default; completed rooms show only disconnected."""
        created_in_window = created_between(created_after, created_before)
        with self._state.locked():
            room = self._room(room_key)
            wanted = status or ("connected" if room.status == "in-progress" else "disconnected")
            found = [
                p
                for p in self._participants.values()
                if p.room_sid == room.sid
                and p.status == wanted
                and (identity is None or p.identity == identity)
                and created_in_window(p.created_at)
            ]
            return sorted(found, key=lambda p: p.seq)

    def update_participant_status(self, room_key: str, key: str, status: str) -> Participant:
        """POST …/Participants/{key} Status=disconnected (202); other statuses are 53209."""
        with self._state.locked():
            participant = self._participant(self._room(room_key), key)
            if status != "disconnected":
                raise ApiError(400, 53209, f"Participant status is invalid: {status!r}")
            self.disconnect(participant)
            return participant

    # ------------------------------------------------------------------ published tracks

    def list_published_tracks(self, room_key: str, participant_key: str) -> list[Track]:
        """GET …/PublishedTracks: only tracks published right now."""
        with self._state.locked():
            participant = self._participant(self._room(room_key), participant_key)
            return list(participant.tracks)

    def find_published_track(self, room_key: str, participant_key: str, sid: str) -> Track:
        """GET …/PublishedTracks/{sid}."""
        with self._state.locked():
            participant = self._participant(self._room(room_key), participant_key)
            for track in participant.tracks:
                if track.sid == sid or track.name == sid:
                    return track
            raise ApiError.not_found(f"/v1/Rooms/{participant.room_sid}/…/PublishedTracks/{sid}")

    # ------------------------------------------------------------------ lookups for tests

    def rooms(self) -> list[Room]:
        """Test API: copies of every room, oldest first."""
        with self._state.locked():
            return [dataclasses.replace(r) for r in sorted(self._rooms.values(), key=seq_of)]

    def room(self, sid_or_name: str) -> Room:
        """Test API: a copy of one room (SID, or unique name while in progress)."""
        with self._state.locked():
            return dataclasses.replace(self._room(sid_or_name))

    def participants(self, room_sid_or_name: str | None = None) -> list[Participant]:
        """Test API: copies of participants (all statuses), oldest first."""
        with self._state.locked():
            room_sid = self._room(room_sid_or_name).sid if room_sid_or_name else None
            found = [
                copy_participant(p)
                for p in self._participants.values()
                if room_sid is None or p.room_sid == room_sid
            ]
            return sorted(found, key=seq_of)

    def participant(self, sid: str) -> Participant:
        """Test API: a copy of one participant by PA… SID."""
        with self._state.locked():
            return copy_participant(self.participant_by_sid(sid))

    def participant_for_call(self, call_sid: str) -> Participant | None:
        """Test API: the latest participant a call joined as, if any."""
        with self._state.locked():
            found = [p for p in self._participants.values() if p.call_sid == call_sid]
            return copy_participant(max(found, key=seq_of)) if found else None
