"""The app's own files survive upgrades: each carries a format version and is migrated forward;
a file from a newer app is refused with a message, the app runs on defaults, and the file is
never written over. The fixtures under tests/core/fixtures/ were written by the previous
release's code (the commit before formats were versioned), not made up here.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from moderator.core.dialin import STORE_SCHEMA_VERSION, AdmitMode, DialInStore
from moderator.core.jsonfile import NewerFormat, format_version
from moderator.core.live_state import RoomRow
from moderator.core.models import Room, RoomType
from moderator.core.profiles import NewerProfileFile, Profile, ProfileStore
from moderator.core.room_cache import CACHE_VERSION, RoomCache
from moderator.core.settings import SETTINGS_VERSION, EventLogScope, Settings, SettingsStore
from tests.keyring_memory import MemoryKeyring

FIXTURES = Path(__file__).parent / "fixtures"
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
API_KEY_SID = "SK" + "fedcba9876543210" * 2


def fixture(name: str, tmp_path: Path) -> Path:
    """A copy of the fixture (the tests write to it; the committed file stays as it was)."""
    target = tmp_path / name
    shutil.copyfile(FIXTURES / name, target)
    return target


def newer(path: Path, version: int) -> bytes:
    """Make `path` claim a newer format; returns its bytes, to compare after the app ran."""
    data = json.loads(path.read_text(encoding="utf-8"))
    data["version"] = version
    path.write_text(json.dumps(data), encoding="utf-8")
    return path.read_bytes()


def a_room_row() -> RoomRow:
    room = Room(
        sid="RM" + "b" * 32,
        unique_name="daily",
        status="in-progress",
        type=RoomType("group"),
        max_participants=10,
        date_created=datetime(2026, 12, 1, tzinfo=UTC),
    )
    return RoomRow(room, 1, 0, None)


# -- the version helper ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [({}, 1), ({"version": 2}, 2), ({"version": "2"}, 1), ({"version": True}, 1), ([], 1)],
)
def test_a_missing_or_odd_version_is_the_first_format(data: object, expected: int) -> None:
    assert format_version(data, Path("f.json"), 2) == expected


def test_a_newer_version_is_refused_with_both_numbers() -> None:
    with pytest.raises(NewerFormat, match=r"newer Room Moderator \(format 3; .* up to 2\)"):
        format_version({"version": 3}, Path("f.json"), 2)


# -- settings --------------------------------------------------------------------------------


def test_settings_of_the_previous_format_load_and_save_as_the_current_one(tmp_path: Path) -> None:
    path = fixture("settings-v1.json", tmp_path)
    assert "version" not in json.loads(path.read_text(encoding="utf-8"))
    store = SettingsStore(path)
    settings = store.load()
    assert settings.rooms_refresh_s == 5.0
    assert settings.default_country == "GB"
    assert settings.notifications_enabled is False
    assert settings.last_profile == "Acme"
    assert settings.last_room == "town-hall"
    assert settings.event_log_scope is EventLogScope.ALL_ROOMS
    assert settings.ui_state == {"roomsHeader": "AAAA"}
    store.save(settings)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["version"] == SETTINGS_VERSION
    assert SettingsStore(path).load() == settings


@pytest.mark.allow_log_warnings(r"running with default settings: .* newer Room Moderator")
def test_newer_settings_are_refused_never_overwritten(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = fixture("settings-v1.json", tmp_path)
    before = newer(path, SETTINGS_VERSION + 1)
    store = SettingsStore(path)
    settings = store.load()
    assert settings == Settings()  # defaults, in memory
    assert store.refused is not None and store.refused.found == SETTINGS_VERSION + 1
    store.load()  # said once, not at every load
    assert sum("newer Room Moderator" in r.getMessage() for r in caplog.records) == 1
    settings.rooms_refresh_s = 9.0
    store.save(settings)
    assert path.read_bytes() == before


# -- the room cache --------------------------------------------------------------------------


def test_the_room_cache_of_the_previous_format_is_read_and_rewritten(tmp_path: Path) -> None:
    path = fixture("last-rooms-v1.json", tmp_path)
    cache = RoomCache(path)
    (row,) = cache.load("Acme")
    assert row.room.unique_name == "town-hall"
    assert (row.participant_count, row.phone_count) == (7, 2)
    cache.save("Other", [a_room_row()])
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["version"] == CACHE_VERSION
    assert set(saved["profiles"]) == {"Acme", "Other"}
    assert [r.room.unique_name for r in RoomCache(path).load("Acme")] == ["town-hall"]


@pytest.mark.allow_log_warnings(r"last known rooms not shown: .* newer Room Moderator")
def test_a_newer_room_cache_is_refused_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "last-rooms.json"
    RoomCache(path).save("Acme", [a_room_row()])
    before = newer(path, CACHE_VERSION + 1)
    cache = RoomCache(path)
    assert cache.load("Acme") == []
    cache.save("Acme", [a_room_row()])
    assert cache.refused is not None
    assert path.read_bytes() == before


# -- profiles --------------------------------------------------------------------------------


def test_profiles_of_the_previous_format_are_listed_and_kept(tmp_path: Path) -> None:
    path = fixture("profiles-v1.json", tmp_path)
    store = ProfileStore(path, backend=MemoryKeyring())
    (profile,) = store.list()
    assert (profile.name, profile.account_sid, profile.username) == (
        "Acme",
        ACCOUNT_SID,
        API_KEY_SID,
    )
    store.save(Profile.with_api_key("Beta", ACCOUNT_SID, API_KEY_SID), "s" * 32)
    assert store.names() == ["Acme", "Beta"]


@pytest.mark.allow_log_warnings(r"no saved profiles listed: .* newer Room Moderator")
def test_newer_profiles_are_refused_and_never_overwritten(tmp_path: Path) -> None:
    path = fixture("profiles-v1.json", tmp_path)
    before = newer(path, 2)
    keyring = MemoryKeyring()
    store = ProfileStore(path, backend=keyring)
    assert store.list() == []
    with pytest.raises(NewerProfileFile, match="newer Room Moderator"):
        store.save(Profile.with_api_key("Beta", ACCOUNT_SID, API_KEY_SID), "s" * 32)
    assert keyring.get_password(store.service, "Beta") is None  # nothing half-saved
    assert path.read_bytes() == before


# -- the dial-in store -----------------------------------------------------------------------


def test_the_dial_in_store_of_the_previous_format_opens(tmp_path: Path) -> None:
    path = fixture("dialin-v1.sqlite3", tmp_path)
    store = DialInStore(path)
    (dial_in,) = store.all()
    assert dial_in.room_name == "town-hall"
    assert dial_in.mode is AdmitMode.ALLOW_LIST
    assert dial_in.label_for("+14155552671") == "Ana"
    assert dial_in.previous.voice_url == "https://example.com/ivr"
    store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (STORE_SCHEMA_VERSION,)


def test_a_newer_dial_in_store_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = fixture("dialin-v1.sqlite3", tmp_path)
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version={STORE_SCHEMA_VERSION + 1}")
    before = path.read_bytes()
    with pytest.raises(sqlite3.DatabaseError, match="newer Room Moderator"):
        DialInStore(path)
    assert path.read_bytes() == before
