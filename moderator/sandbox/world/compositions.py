"""Compositions: one media file mixed from a finished group room's track recordings.

A composition is `enqueued` when created, `processing` `ENQUEUED_S` later, and `completed`
after `processing_seconds(duration)` more (or `failed` when no recording of the room whose capture
ended matches its sources). Its file is a small valid MP4 or WebM of the composed
duration; `size` is that file's length, so a download's progress adds up. Deleting keeps the
metadata with status `deleted` and drops the media.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from moderator.sandbox.clock import ScheduledEvent
from moderator.sandbox.errors import ApiError
from moderator.sandbox.world.filters import created_between
from moderator.sandbox.world.media_files import media_file
from moderator.sandbox.world.recordings import Recording, Recordings
from moderator.sandbox.world.room_options import GROUP_ROOM_TYPES
from moderator.sandbox.world.rooms import Rooms
from moderator.sandbox.world.state import WorldState

__all__ = [
    "COMPOSITION_FORMATS",
    "ENQUEUED_S",
    "Composition",
    "Compositions",
    "processing_seconds",
]

ENQUEUED_S = 1.0
COMPOSITION_FORMATS = ("mp4", "webm")
DEFAULT_RESOLUTION = "640x480"
RESOLUTION = re.compile(r"^(\d+)x(\d+)$")


def processing_seconds(duration_s: int) -> float:
    """How long a composition processes: 2 s plus one second per minute of media."""
    return 2.0 + duration_s / 60.0


@dataclass
class Composition:
    """A composition request and its progress."""

    sid: str
    seq: int
    room_sid: str
    audio_sources: list[str]
    audio_sources_excluded: list[str]
    video_layout: dict[str, Any]
    resolution: str
    format: str
    trim: bool
    status_callback: str | None
    created_at: float
    status: str = "enqueued"
    completed_at: float | None = None
    deleted_at: float | None = None
    duration: int = 0
    size: int | None = None
    media: bytes | None = field(default=None, repr=False)
    timer: ScheduledEvent | None = field(default=None, repr=False)

    @property
    def bitrate(self) -> int:
        """Average kbit/s of the composed file (0 until completed)."""
        if not self.size or not self.duration:
            return 0
        return int(self.size * 8 / self.duration / 1000)


def _video_sources(layout: dict[str, Any]) -> list[str]:
    sources: list[str] = []
    for region in layout.values():
        if isinstance(region, dict):
            sources.extend(str(s) for s in region.get("video_sources", []))
    return sources


def _matches(pattern: str, recording: Recording) -> bool:
    return pattern in (recording.sid, recording.track_sid, recording.participant_sid) or (
        fnmatchcase(recording.track_name, pattern)
    )


def _selected(
    recordings: list[Recording], kind: str, sources: list[str], excluded: list[str]
) -> list[Recording]:
    return [
        r
        for r in recordings
        if r.kind == kind
        and any(_matches(p, r) for p in sources)
        and not any(_matches(p, r) for p in excluded)
    ]


def _json_list(name: str, raw: list[str]) -> list[str]:
    """AudioSources arrive as repeated form fields (the SDK's way); each may be a pattern."""
    values = [v for v in raw if v != ""]
    if any(len(v) > 256 for v in values):
        raise ApiError(400, 20001, f"{name} has an entry over 256 characters")
    return values


class Compositions:
    """Compositions (REST create/list/fetch/delete and the media they produce)."""

    def __init__(self, state: WorldState, rooms: Rooms, recordings: Recordings) -> None:
        self._state = state
        self._rooms = rooms
        self._recordings = recordings
        self._compositions: dict[str, Composition] = {}

    def create_composition(
        self,
        room_sid: str | None,
        audio_sources: list[str] | None = None,
        audio_sources_excluded: list[str] | None = None,
        video_layout: str | None = None,
        resolution: str | None = None,
        format: str | None = None,
        trim: bool = True,
        status_callback: str | None = None,
    ) -> Composition:
        """POST /v1/Compositions: checks Twilio's parameters, then starts the progression.

        RoomSid is required and names a completed group room (20404 unknown, 53122 not a
        group room, 400 20001 still in progress); AudioSources or VideoLayout is required;
        Format is mp4 or webm; Resolution is WxH within 16–1280 and ≤ 921600 pixels.
        """
        audio = _json_list("AudioSources", audio_sources or [])
        excluded = _json_list("AudioSourcesExcluded", audio_sources_excluded or [])
        layout: dict[str, Any] = {}
        if video_layout:
            try:
                parsed = json.loads(video_layout)
            except ValueError as exc:
                raise ApiError(400, 20001, "VideoLayout must be a JSON object") from exc
            if not isinstance(parsed, dict):
                raise ApiError(400, 20001, "VideoLayout must be a JSON object")
            layout = parsed
        if not audio and not layout:
            raise ApiError(400, 20001, "Either VideoLayout or AudioSources must be provided")
        chosen_format = format or "webm"
        if chosen_format not in COMPOSITION_FORMATS:
            raise ApiError(400, 20001, f"Format must be mp4 or webm, got {chosen_format!r}")
        chosen_resolution = resolution or DEFAULT_RESOLUTION
        match = RESOLUTION.match(chosen_resolution)
        width, height = (int(match[1]), int(match[2])) if match else (0, 0)
        if not (16 <= width <= 1280 and 16 <= height <= 1280 and width * height <= 921_600):
            raise ApiError(400, 20001, f"Resolution is invalid: {chosen_resolution!r}")
        if not room_sid:
            raise ApiError(400, 20001, "RoomSid is required")
        with self._state.locked():
            room = self._rooms.room_by_key(room_sid)
            if room.type not in GROUP_ROOM_TYPES:
                raise ApiError(400, 53122, f"{room.type} rooms have no recordings to compose")
            if room.status != "completed":
                raise ApiError(400, 20001, "The room is still in progress; compose it once ended")
            state = self._state
            composition = Composition(
                sid=state.sids.new("CJ"),
                seq=state.next_seq(),
                room_sid=room.sid,
                audio_sources=audio,
                audio_sources_excluded=excluded,
                video_layout=layout,
                resolution=chosen_resolution,
                format=chosen_format,
                trim=trim,
                status_callback=status_callback,
                created_at=state.now(),
            )
            self._compositions[composition.sid] = composition
            composition.timer = state.schedule(ENQUEUED_S, lambda: self._process(composition))
            return composition

    def _process(self, composition: Composition) -> None:
        if composition.status != "enqueued":
            return
        composition.status = "processing"
        recordings = self._recordings.captured_in(composition.room_sid)
        picked = _selected(
            recordings, "audio", composition.audio_sources, composition.audio_sources_excluded
        ) + _selected(recordings, "video", _video_sources(composition.video_layout), [])
        if not picked:
            composition.timer = self._state.schedule(2.0, lambda: self._finish(composition, None))
            return
        start = min(r.started_at for r in picked)
        end = max(r.stopped_at or r.started_at for r in picked)
        duration = max(1, round(end - start))
        composition.timer = self._state.schedule(
            processing_seconds(duration), lambda: self._finish(composition, duration)
        )

    def _finish(self, composition: Composition, duration: int | None) -> None:
        if composition.status != "processing":
            return
        composition.completed_at = self._state.now()
        if duration is None:
            composition.status = "failed"
            return
        kind = "video" if composition.video_layout else "audio"
        composition.media = media_file(composition.format, float(duration), kind)
        composition.duration = duration
        composition.size = len(composition.media)
        composition.status = "completed"

    def list_compositions(
        self,
        status: str | None = None,
        room_sid: str | None = None,
        created_after: str | None = None,
        created_before: str | None = None,
    ) -> list[Composition]:
        """GET /v1/Compositions, newest first."""
        created_in_window = created_between(created_after, created_before)
        with self._state.locked():
            found = [
                c
                for c in self._compositions.values()
                if (status is None or c.status == status)
                and (room_sid is None or c.room_sid == room_sid)
                and created_in_window(c.created_at)
            ]
            return sorted(found, key=lambda c: -c.seq)

    def find_composition(self, sid: str) -> Composition:
        """GET /v1/Compositions/{CJ}."""
        with self._state.locked():
            found = self._compositions.get(sid)
            if found is None:
                raise ApiError.not_found(f"/v1/Compositions/{sid}")
            return found

    def delete_composition(self, sid: str) -> None:
        """DELETE: status `deleted`, media gone, metadata kept; 20404 if already deleted."""
        with self._state.locked():
            composition = self.find_composition(sid)
            if composition.status == "deleted":
                raise ApiError.not_found(f"/v1/Compositions/{sid}")
            if composition.timer is not None:
                composition.timer.cancel()
            composition.status = "deleted"
            composition.deleted_at = self._state.now()
            composition.media = None

    def composition_media(self, sid: str) -> tuple[str, bytes]:
        """A completed composition's (format, file); 20404 while there is none."""
        with self._state.locked():
            composition = self.find_composition(sid)
            if composition.status != "completed" or composition.media is None:
                raise ApiError.not_found(f"/v1/Compositions/{sid}/Media")
            return composition.format, composition.media

    def compositions(self) -> list[Composition]:
        """Test API: copies of every composition, oldest first."""
        with self._state.locked():
            return [
                dataclasses.replace(c)
                for c in sorted(self._compositions.values(), key=lambda c: c.seq)
            ]
