"""Recording a room, its track recordings and its compositions: the app's side, without Qt.

The truth is Twilio's: whether a room records is what its RecordingRules say, read back from
Twilio (after a write, at start and when a room first appears), never a flag the app keeps on
its own, so a restart or a second copy of the app shows the same REC. `RecordingBook` keeps
what was last read per room and which start/stop is under way; the rest are snapshots and the
wording the window shows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = [
    "COMPOSE_FORMATS",
    "RECORD_ALL",
    "RECORD_NONE",
    "ComposeRequest",
    "Composition",
    "CompositionStatus",
    "RecordingBook",
    "RecordingState",
    "TrackRecording",
    "composition_progress",
    "format_duration",
    "format_size",
    "recording_state",
    "suggested_file_name",
]

#: The rules "Start recording" writes: every audio and video track of the room.
RECORD_ALL: tuple[dict[str, Any], ...] = ({"type": "include", "all": True},)
#: The rules "Stop recording" writes (Twilio's default for a room).
RECORD_NONE: tuple[dict[str, Any], ...] = ({"type": "exclude", "all": True},)
COMPOSE_FORMATS = ("mp4", "webm")


class RecordingState(StrEnum):
    """What a room's recording rules imply."""

    OFF = "off"
    ON = "on"
    #: Rules some other tool wrote that record some tracks only: REC shows, Stop still works.
    PARTIAL = "partial"
    UNKNOWN = "unknown"

    @property
    def records(self) -> bool:
        return self in (RecordingState.ON, RecordingState.PARTIAL)


def recording_state(rules: Sequence[Mapping[str, Any]]) -> RecordingState:
    """The state `rules` imply; Twilio evaluates them in order and the last match decides.

    So the last `all` rule sets the baseline and only the filtered rules after it can carve
    exceptions out of it.
    """
    last_all = -1
    for index, rule in enumerate(rules):
        if rule.get("all") is True:
            last_all = index
    if last_all < 0:
        includes = any(rule.get("type") == "include" for rule in rules)
        return RecordingState.PARTIAL if includes else RecordingState.OFF
    baseline = rules[last_all].get("type")
    after = [rule.get("type") for rule in rules[last_all + 1 :]]
    if baseline == "include":
        return RecordingState.PARTIAL if "exclude" in after else RecordingState.ON
    return RecordingState.PARTIAL if "include" in after else RecordingState.OFF


class RecordingBook:
    """Per room: the state last read back from Twilio, and the start/stop under way."""

    def __init__(self) -> None:
        self._states: dict[str, RecordingState] = {}
        self._pending: dict[str, bool] = {}

    def state(self, room_sid: str) -> RecordingState:
        return self._states.get(room_sid, RecordingState.UNKNOWN)

    def known(self, room_sid: str) -> bool:
        return room_sid in self._states

    def recording(self, room_sid: str) -> bool:
        """Whether REC shows: Twilio said so, or the host just asked for it and it is on its way
        (the indicator follows the host's click; a failed write puts it back)."""
        pending = self._pending.get(room_sid)
        if pending is not None:
            return pending
        return self.state(room_sid).records

    def busy(self, room_sid: str) -> bool:
        """A start or stop is under way: a second click would only race it."""
        return room_sid in self._pending

    def read_back(self, room_sid: str, rules: Sequence[Mapping[str, Any]]) -> bool:
        """Rules read from Twilio (or echoed by a write); True when REC changed."""
        before = self.recording(room_sid)
        self._states[room_sid] = recording_state(rules)
        return self.recording(room_sid) != before

    def begin(self, room_sid: str, on: bool) -> tuple[dict[str, Any], ...] | None:
        """The rules to write to start (`on`) or stop; None when that is already under way."""
        if self._pending.get(room_sid) is on:
            return None
        self._pending[room_sid] = on
        return RECORD_ALL if on else RECORD_NONE

    def written(self, room_sid: str, rules: Sequence[Mapping[str, Any]]) -> None:
        self._pending.pop(room_sid, None)
        self.read_back(room_sid, rules)

    def failed(self, room_sid: str) -> None:
        self._pending.pop(room_sid, None)

    def forget(self, room_sid: str) -> None:
        """The room ended or left the list."""
        self._states.pop(room_sid, None)
        self._pending.pop(room_sid, None)

    def rooms_recording(self) -> frozenset[str]:
        return frozenset(sid for sid in {*self._states, *self._pending} if self.recording(sid))


@dataclass(frozen=True, slots=True)
class TrackRecording:
    """One track recording (`RT…`): a participant's audio or video while rules included it."""

    sid: str
    room_sid: str
    participant_sid: str
    track_name: str
    kind: str  # audio | video
    status: str  # processing | completed | deleted | failed
    duration_s: int
    size: int
    container_format: str
    date_created: datetime | None

    @property
    def deletable(self) -> bool:
        """Twilio refuses to delete a recording still processing, and a deleted one is gone."""
        return self.status in ("completed", "failed")


class CompositionStatus(StrEnum):
    ENQUEUED = "enqueued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    DELETED = "deleted"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        return self not in (CompositionStatus.ENQUEUED, CompositionStatus.PROCESSING)


@dataclass(frozen=True, slots=True)
class Composition:
    """A composition (`CJ…`): the room's recordings mixed into one file."""

    sid: str
    room_sid: str
    status: CompositionStatus
    format: str  # mp4 | webm
    audio_only: bool
    duration_s: int
    size: int
    date_created: datetime | None

    @property
    def downloadable(self) -> bool:
        return self.status is CompositionStatus.COMPLETED

    @property
    def deletable(self) -> bool:
        return self.status is not CompositionStatus.DELETED


def composition_progress(status: CompositionStatus) -> tuple[int, int, str]:
    """(step, steps, words) for a progress bar: enqueued → processing → completed / failed."""
    return {
        CompositionStatus.ENQUEUED: (0, 2, "Enqueued: waiting for Twilio to start"),
        CompositionStatus.PROCESSING: (1, 2, "Processing: Twilio is composing the media"),
        CompositionStatus.COMPLETED: (2, 2, "Completed: ready to download"),
        CompositionStatus.FAILED: (2, 2, "Failed: Twilio found no media it could compose"),
        CompositionStatus.DELETED: (2, 2, "Deleted"),
    }[status]


@dataclass(frozen=True, slots=True)
class ComposeRequest:
    """What "Compose…" asks Twilio for: every track's audio, with or without a video grid."""

    room_sid: str
    audio_only: bool = False
    format: str = "mp4"

    def problem(self) -> str | None:
        if self.format not in COMPOSE_FORMATS:
            return f"The format must be one of {', '.join(COMPOSE_FORMATS)}."
        if not self.room_sid:
            return "Pick a room to compose."
        return None

    def video_layout(self) -> dict[str, Any] | None:
        """Twilio's grid layout of every video track, or None for an audio-only file."""
        return None if self.audio_only else {"grid": {"video_sources": ["*"]}}


def format_duration(seconds: int) -> str:
    """ "1:05" or "1:02:05": a recording's length."""
    minutes, secs = divmod(max(0, seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_size(size: int) -> str:
    """ "512 B", "3.4 kB", "12.0 MB": sizes in SI units, as file managers show them."""
    if size < 1000:
        return f"{size} B"
    value = float(size)
    for unit in ("kB", "MB", "GB"):
        value /= 1000.0
        if value < 1000.0 or unit == "GB":
            break
    return f"{value:.1f} {unit}"


def suggested_file_name(room_name: str, composition: Composition) -> str:
    """A file name for the download dialog: the room's name (made file-safe) and the format."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in room_name).strip("-.")
    kind = "audio" if composition.audio_only else "grid"
    return f"{safe or 'room'}-{kind}.{composition.format}"
