"""The last known rooms per profile: round trip, skipped profiles, bad files, bounds."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from moderator.core.live_state import RoomRow
from moderator.core.models import Room, RoomType
from moderator.core.room_cache import MAX_PROFILES, RoomCache

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def row(n: int, count: int | None = 3) -> RoomRow:
    room = Room(f"RM{n:032d}", f"room-{n}", "in-progress", RoomType.GROUP, 50, T0)
    return RoomRow(room, count, 1, T0 if count is not None else None)


def test_rows_round_trip_per_profile(tmp_path: Path) -> None:
    cache = RoomCache(tmp_path / "last-rooms.json")
    cache.save("work", [row(1), row(2, None)])
    cache.save("home", [row(3)])
    again = RoomCache(tmp_path / "last-rooms.json")
    assert again.load("work") == [row(1), row(2, None)]
    assert again.load("home") == [row(3)]
    assert again.load("other") == []


def test_sandboxes_are_never_cached(tmp_path: Path) -> None:
    cache = RoomCache(tmp_path / "last-rooms.json", skip={""})
    cache.save("", [row(1)])
    assert not (tmp_path / "last-rooms.json").exists()
    assert cache.load("") == []


@pytest.mark.allow_log_warnings(r"is not valid JSON")
def test_a_corrupt_file_or_entry_is_an_empty_cache(tmp_path: Path) -> None:
    path = tmp_path / "last-rooms.json"
    path.write_text("{not json", encoding="utf-8")
    assert RoomCache(path).load("work") == []
    path.write_text('{"work": [{"sid": "RM1"}, 7], "home": "x"}', encoding="utf-8")
    assert RoomCache(path).load("work") == [] and RoomCache(path).load("home") == []


def test_only_the_latest_profiles_are_kept(tmp_path: Path) -> None:
    cache = RoomCache(tmp_path / "last-rooms.json")
    for n in range(MAX_PROFILES + 2):
        cache.save(f"p{n}", [row(n)])
    assert cache.load("p0") == [] and cache.load("p1") == []
    assert cache.load(f"p{MAX_PROFILES + 1}") == [row(MAX_PROFILES + 1)]


def test_nothing_secret_or_personal_is_written(tmp_path: Path) -> None:
    path = tmp_path / "last-rooms.json"
    RoomCache(path).save("work", [row(1)])
    text = path.read_text(encoding="utf-8")
    assert "room-1" in text and "+1" not in text and "secret" not in text.lower()
