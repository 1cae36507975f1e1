"""The last rooms each profile showed, so the window can paint them before Twilio answers.

At start the window shows this profile's last known rooms at once, marked "updating…", and the
first live rooms list replaces them (the rooms model diffs by SID, so a room that still exists
just gets fresh counts). Only what the rooms pane shows is kept: room SIDs, names, types,
limits and counts — nothing secret, no phone number. Profiles whose rooms do not outlive the app
(the local sandboxes) are never cached. A missing or corrupt file is an empty cache; a file from
a newer app is an empty cache too, and is never written over.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from moderator.core.jsonfile import (
    NewerFormat,
    UnreadableFile,
    format_version,
    read_json,
    write_json_atomic,
)
from moderator.core.live_state import RoomRow
from moderator.core.models import Room, RoomType
from moderator.core.paths import data_dir

log = logging.getLogger(__name__)

CACHE_FILE_NAME = "last-rooms.json"
MAX_ROOMS = 500
"""Per profile: far more than a host watches, small enough to read before the first paint."""
MAX_PROFILES = 20
CACHE_VERSION = 2
"""Format of last-rooms.json. 1: {profile: [room, …]} with no version; 2: {"version": 2,
"profiles": {profile: [room, …]}} (so a profile can never be mistaken for a format key)."""


class RoomCache:
    """Reads and writes the last known rooms of each profile in one small JSON file."""

    def __init__(self, path: Path | None = None, *, skip: Collection[str] = ()) -> None:
        self.path = path if path is not None else data_dir() / CACHE_FILE_NAME
        self._skip = frozenset(skip)
        self.refused: NewerFormat | None = None
        """Set once the file turned out to be a newer app's: then nothing is written."""

    def load(self, profile: str) -> list[RoomRow]:
        """The rows last saved for `profile` ([] if none, skipped, or unreadable)."""
        if profile in self._skip:
            return []
        entry = self._read().get(profile)
        if not isinstance(entry, list):
            return []
        rows = []
        for item in entry[:MAX_ROOMS]:
            row = _row_from_json(item)
            if row is not None:
                rows.append(row)
        return rows

    def save(self, profile: str, rows: Sequence[RoomRow]) -> None:
        """Remember these rows for `profile`; a write failure is logged, never raised."""
        if profile in self._skip:
            return
        data = self._read()
        if self.refused is not None:
            return
        data.pop(profile, None)
        data[profile] = [_row_to_json(row) for row in rows[:MAX_ROOMS]]
        while len(data) > MAX_PROFILES:  # the oldest entries first: dicts keep insertion order
            data.pop(next(iter(data)))
        try:
            write_json_atomic(self.path, {"version": CACHE_VERSION, "profiles": data})
        except OSError as exc:
            log.info("last known rooms not saved: %s", exc)

    def _read(self) -> dict[str, Any]:
        """Each profile's saved rows, from a file of any known format (migrated forward)."""
        try:
            data = read_json(self.path)
        except UnreadableFile as exc:
            log.info("last known rooms forgotten: %s", exc)
            return {}
        if not isinstance(data, dict):
            return {}
        try:
            version = format_version(data, self.path, CACHE_VERSION)
        except NewerFormat as exc:
            if self.refused is None:
                log.warning("last known rooms not shown: %s", exc)
            self.refused = exc
            return {}
        if version == 1:  # {profile: rows}: the profiles are the top level
            return {str(k): v for k, v in data.items() if isinstance(v, list)}
        profiles = data.get("profiles")
        return dict(profiles) if isinstance(profiles, dict) else {}


def _row_to_json(row: RoomRow) -> dict[str, Any]:
    room = row.room
    return {
        "sid": room.sid,
        "unique_name": room.unique_name,
        "type": room.type.value,
        "max_participants": room.max_participants,
        "date_created": room.date_created.isoformat(),
        "participants": row.participant_count,
        "phone": row.phone_count,
        "counted_at": row.counted_at.isoformat() if row.counted_at else None,
    }


def _row_from_json(item: object) -> RoomRow | None:
    if not isinstance(item, dict):
        return None
    try:
        room = Room(
            sid=str(item["sid"]),
            unique_name=str(item["unique_name"]),
            status="in-progress",
            type=RoomType(item["type"]),
            max_participants=int(item["max_participants"]),
            date_created=datetime.fromisoformat(item["date_created"]),
        )
        count = item.get("participants")
        counted = item.get("counted_at")
        return RoomRow(
            room,
            int(count) if isinstance(count, int) else None,
            int(item.get("phone") or 0),
            datetime.fromisoformat(counted) if isinstance(counted, str) else None,
        )
    except (KeyError, TypeError, ValueError):
        return None
