"""The last rooms each profile showed, so the window can paint them before Twilio answers.

At start the window shows this profile's last known rooms at once, marked "updating…", and the
first live rooms list replaces them (the rooms model diffs by SID, so a room that still exists
just gets fresh counts). Only what the rooms pane shows is kept: room SIDs, names, types,
limits and counts — nothing secret, no phone number. Profiles whose rooms do not outlive the app
(the local sandboxes) are never cached. A missing or corrupt file is an empty cache.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from moderator.core.jsonfile import UnreadableFile, read_json, write_json_atomic
from moderator.core.live_state import RoomRow
from moderator.core.models import Room, RoomType
from moderator.core.paths import data_dir

log = logging.getLogger(__name__)

CACHE_FILE_NAME = "last-rooms.json"
MAX_ROOMS = 500
"""Per profile: far more than a host watches, small enough to read before the first paint."""
MAX_PROFILES = 20


class RoomCache:
    """Reads and writes the last known rooms of each profile in one small JSON file."""

    def __init__(self, path: Path | None = None, *, skip: Collection[str] = ()) -> None:
        self.path = path if path is not None else data_dir() / CACHE_FILE_NAME
        self._skip = frozenset(skip)

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
        data.pop(profile, None)
        data[profile] = [_row_to_json(row) for row in rows[:MAX_ROOMS]]
        while len(data) > MAX_PROFILES:  # the oldest entries first: dicts keep insertion order
            data.pop(next(iter(data)))
        try:
            write_json_atomic(self.path, data)
        except OSError as exc:
            log.info("last known rooms not saved: %s", exc)

    def _read(self) -> dict[str, Any]:
        try:
            data = read_json(self.path)
        except UnreadableFile as exc:
            log.info("last known rooms forgotten: %s", exc)
            return {}
        return dict(data) if isinstance(data, dict) else {}


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
