"""Recording rules per room and the track recordings they produce.

Twilio records per track: while a room's recording rules include a published audio or video
track, one Recording (RT…) captures it, `processing` with its duration and size growing on the
clock. When the track stops — its publisher leaves, the room ends, or the rules stop including
it — the recording is finalised `FINALIZE_S` later and turns `completed`. Including the track
again starts a new recording. Rooms start with "exclude all" unless they were created with
RecordParticipantsOnConnect, which means "include all".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from moderator.sandbox.errors import ApiError
from moderator.sandbox.world.filters import created_between
from moderator.sandbox.world.media_files import media_file
from moderator.sandbox.world.records import Participant, Room, Track
from moderator.sandbox.world.room_options import GROUP_ROOM_TYPES
from moderator.sandbox.world.rooms import Rooms
from moderator.sandbox.world.state import WorldState
from moderator.sandbox.world.track_rules import RECORDING, included, parse_rules

__all__ = [
    "BYTES_PER_SECOND",
    "FINALIZE_S",
    "Recording",
    "RecordingRules",
    "Recordings",
]

FINALIZE_S = 3.0
"""Seconds from a track's recording stopping to the recording being `completed`."""
BYTES_PER_SECOND = {"audio": 4_000, "video": 62_500}
"""What a recorded second weighs: ~32 kbit/s Opus audio, ~500 kbit/s VP8 video."""
INCLUDE_ALL: tuple[dict[str, Any], ...] = ({"type": "include", "all": True},)
EXCLUDE_ALL: tuple[dict[str, Any], ...] = ({"type": "exclude", "all": True},)


@dataclass
class RecordingRules:
    """A room's recording rules and when they were set."""

    room_sid: str
    rules: list[dict[str, Any]]
    created_at: float
    updated_at: float


@dataclass
class Recording:
    """One track's recording; `stopped_at` is set once capture ends, `status` moves on."""

    sid: str
    seq: int
    room_sid: str
    participant_sid: str
    track_sid: str
    track_name: str
    kind: str
    started_at: float
    status: str = "processing"
    stopped_at: float | None = None

    @property
    def container(self) -> str:
        """Twilio's container for the kind: Matroska audio (mka) or video (mkv)."""
        return "mka" if self.kind == "audio" else "mkv"

    @property
    def codec(self) -> str:
        """Twilio's codec name as its API spells it."""
        return "OPUS" if self.kind == "audio" else "VP8"

    def duration(self, now: float) -> int:
        """Whole seconds captured so far (at least 1 once stopped, as Twilio rounds up)."""
        end = self.stopped_at if self.stopped_at is not None else now
        seconds = round(end - self.started_at)
        return max(1, seconds) if self.stopped_at is not None else max(0, seconds)

    def size(self, now: float) -> int:
        """Bytes captured so far; 0 once the media is deleted."""
        if self.status == "deleted":
            return 0
        return self.duration(now) * BYTES_PER_SECOND[self.kind]


class Recordings:
    """Recording rules (REST fetch/update), recordings (list/fetch/delete); a MediaListener."""

    def __init__(self, state: WorldState, rooms: Rooms) -> None:
        self._state = state
        self._rooms = rooms
        self._rules: dict[str, RecordingRules] = {}
        self._recordings: dict[str, Recording] = {}
        self._active: dict[str, Recording] = {}  # by track SID, while capturing
        rooms.media_listeners.append(self)

    # ------------------------------------------------------------------ rules

    def _rules_of(self, room: Room) -> RecordingRules:
        found = self._rules.get(room.sid)
        if found is None:
            default = INCLUDE_ALL if room.options.record_participants_on_connect else EXCLUDE_ALL
            found = RecordingRules(room.sid, list(default), room.created_at, room.created_at)
            self._rules[room.sid] = found
        return found

    def fetch_recording_rules(self, room_key: str) -> RecordingRules:
        """GET /v1/Rooms/{R}/RecordingRules."""
        with self._state.locked():
            return self._rules_of(self._rooms.room_by_key(room_key))

    def update_recording_rules(self, room_key: str, raw_rules: str | None) -> RecordingRules:
        """POST /v1/Rooms/{R}/RecordingRules Rules=[…]: recordings start and stop to match.

        53122 for a room that cannot record (peer-to-peer, go), 53106 for a room that ended,
        53120 for invalid rules.
        """
        with self._state.locked():
            room = self._rooms.room_by_key(room_key)
            if room.type not in GROUP_ROOM_TYPES:
                raise ApiError(
                    400,
                    53122,
                    f"The recording operation requested is not supported for {room.type} rooms",
                )
            if room.status != "in-progress":
                raise ApiError(400, 53106, "Room is not in progress")
            rules = parse_rules(RECORDING, raw_rules)
            record = self._rules_of(room)
            record.rules = rules
            record.updated_at = self._state.now()
            for participant in self._rooms.connected(room):
                self._apply(room, participant, participant.tracks)
            return record

    # ------------------------------------------------------------------ capture

    def _apply(self, room: Room, participant: Participant, tracks: Iterable[Track]) -> None:
        rules = self._rules_of(room).rules
        for track in tracks:
            if track.kind not in BYTES_PER_SECOND:
                continue  # data tracks are never recorded
            wanted = included(rules, participant, track)
            capturing = track.sid in self._active
            if wanted and not capturing:
                self._start(room, participant, track)
            elif capturing and not wanted:
                self._stop(track)

    def _start(self, room: Room, participant: Participant, track: Track) -> None:
        state = self._state
        recording = Recording(
            sid=state.sids.new("RT"),
            seq=state.next_seq(),
            room_sid=room.sid,
            participant_sid=participant.sid,
            track_sid=track.sid,
            track_name=track.name,
            kind=track.kind,
            started_at=state.now(),
        )
        self._recordings[recording.sid] = recording
        self._active[track.sid] = recording

    def _stop(self, track: Track) -> None:
        recording = self._active.pop(track.sid, None)
        if recording is None:
            return
        recording.stopped_at = self._state.now()

        def complete() -> None:
            if recording.status == "processing":
                recording.status = "completed"

        self._state.schedule(FINALIZE_S, complete)

    def tracks_published(self, room: Room, participant: Participant, tracks: list[Track]) -> None:
        """MediaListener: a new track is recorded at once if the rules include it."""
        if room.type in GROUP_ROOM_TYPES:
            self._apply(room, participant, tracks)

    def tracks_unpublished(self, room: Room, participant: Participant, tracks: list[Track]) -> None:
        """MediaListener: a stopped track's recording stops."""
        for track in tracks:
            self._stop(track)

    def room_ended(self, room: Room) -> None:
        """MediaListener: nothing left to do, every track already stopped."""

    # ------------------------------------------------------------------ REST reads

    def list_recordings(
        self,
        room_sid: str | None = None,
        status: str | None = None,
        source_sid: str | None = None,
        grouping_sids: Sequence[str] = (),
        media_type: str | None = None,
        created_after: str | None = None,
        created_before: str | None = None,
    ) -> list[Recording]:
        """GET /v1/Recordings or /v1/Rooms/{R}/Recordings: filtered, newest first."""
        created_in_window = created_between(created_after, created_before)
        with self._state.locked():
            found = [
                r
                for r in self._recordings.values()
                if (room_sid is None or r.room_sid == room_sid)
                and (status is None or r.status == status)
                and (source_sid is None or r.track_sid == source_sid)
                and all(g in (r.room_sid, r.participant_sid) for g in grouping_sids)
                and (media_type is None or r.kind == media_type)
                and created_in_window(r.started_at)
            ]
            return sorted(found, key=lambda r: -r.seq)

    def room_recordings(self, room_key: str, **filters: Any) -> list[Recording]:
        """GET /v1/Rooms/{R}/Recordings (the room by SID or in-progress name)."""
        with self._state.locked():
            room = self._rooms.room_by_key(room_key)
            return self.list_recordings(room_sid=room.sid, **filters)

    def find_recording(self, sid: str, room_key: str | None = None) -> Recording:
        """GET /v1/Recordings/{RT} (or the room's); 20404 when unknown or in another room."""
        with self._state.locked():
            recording = self._recordings.get(sid)
            room_sid = self._rooms.room_by_key(room_key).sid if room_key else None
            if recording is None or (room_sid is not None and recording.room_sid != room_sid):
                raise ApiError.not_found(f"/v1/Recordings/{sid}")
            return recording

    def delete_recording(self, sid: str, room_key: str | None = None) -> None:
        """DELETE: the media goes, the metadata stays with status `deleted` (Twilio's way).

        A recording still capturing or finalising cannot be deleted (400, 20001);
        deleting one already deleted is 20404.
        """
        with self._state.locked():
            recording = self.find_recording(sid, room_key)
            if recording.status == "deleted":
                raise ApiError.not_found(f"/v1/Recordings/{sid}")
            if recording.status == "processing":
                raise ApiError(
                    400, 20001, "Recording is still processing; delete it once completed"
                )
            recording.status = "deleted"

    def recording_media(self, sid: str) -> tuple[str, bytes]:
        """A completed recording's (container, file) for the media route; 20404 otherwise."""
        with self._state.locked():
            recording = self.find_recording(sid)
            if recording.status != "completed":
                raise ApiError.not_found(f"/v1/Recordings/{sid}/Media")
            now = self._state.now()
            return recording.container, media_file(
                recording.container, recording.duration(now), recording.kind
            )

    def recordings(self, room_sid: str | None = None) -> list[Recording]:
        """Test API: copies of recordings, oldest first."""
        with self._state.locked():
            found = [
                dataclasses.replace(r)
                for r in self._recordings.values()
                if room_sid is None or r.room_sid == room_sid
            ]
            return sorted(found, key=lambda r: r.seq)

    def captured_in(self, room_sid: str) -> list[Recording]:
        """The room's recordings whose capture ended and whose media exists, oldest first.

        Lock held; for compositions. One still being finalised counts: Twilio composes a room
        as soon as it ended, without the caller waiting for each track to turn `completed`.
        """
        return sorted(
            (
                r
                for r in self._recordings.values()
                if r.room_sid == room_sid and r.stopped_at is not None and r.status != "deleted"
            ),
            key=lambda r: r.seq,
        )
