"""Settings: typed, round-trip through JSON, survive corrupt files, never hold a secret."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pytest

from moderator.core.settings import (
    OTHER_ROOMS_REFRESH,
    ROOMS_REFRESH,
    SELECTED_ROOM_REFRESH,
    EventLogScope,
    Settings,
    SettingsStore,
    default_country,
)


def test_default_path_honours_the_env_override(isolated_config_dir: Path) -> None:
    assert SettingsStore().path == isolated_config_dir / "settings.json"


def test_missing_file_gives_defaults(isolated_config_dir: Path) -> None:
    settings = SettingsStore().load()
    assert settings == Settings()
    assert settings.rooms_refresh_s == ROOMS_REFRESH[0]
    assert settings.notifications_enabled is True
    assert settings.last_profile == ""
    assert settings.event_log_scope is EventLogScope.SELECTED_ROOM


def test_round_trip(isolated_config_dir: Path) -> None:
    store = SettingsStore()
    original = Settings(
        rooms_refresh_s=5.0,
        selected_room_refresh_s=2.0,
        other_rooms_refresh_s=30.0,
        default_country="GB",
        notifications_enabled=False,
        last_profile="Work",
        last_room="daily-standup",
        window_geometry="AdnQywADAAA=",
        window_state="AAAA/wAAAAD9",
        ui_state={"main-splitter": "AAAA/wAAAAEAAAAC"},
        event_log_scope=EventLogScope.ALL_ROOMS,
    )
    store.save(original)
    loaded = SettingsStore().load()
    assert loaded == original
    assert isinstance(loaded.event_log_scope, EventLogScope)
    assert json.loads(store.path.read_text(encoding="utf-8"))["event_log_scope"] == "all-rooms"


#: An unparsable settings file is set aside and said so; valid JSON of the wrong shape is not.
UNPARSABLE = pytest.mark.allow_log_warnings(r"is not valid JSON", r"settings reset to defaults")


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"{broken", id="truncated", marks=UNPARSABLE),
        pytest.param(b"\xff\xfe\x00garbage", id="binary", marks=UNPARSABLE),
        pytest.param(b"", id="empty", marks=UNPARSABLE),
        pytest.param(b"[1, 2, 3]", id="list"),
        pytest.param(b"null", id="null"),
        pytest.param(b'"text"', id="string"),
    ],
)
def test_corrupt_file_gives_defaults_without_crashing(
    isolated_config_dir: Path, content: bytes
) -> None:
    store = SettingsStore()
    isolated_config_dir.mkdir()
    store.path.write_bytes(content)
    assert store.load() == Settings()
    store.save(Settings(last_room="after"))  # and the app can write over it afterwards
    assert store.load().last_room == "after"


@UNPARSABLE
def test_unparsable_file_is_set_aside_not_destroyed(isolated_config_dir: Path) -> None:
    store = SettingsStore()
    isolated_config_dir.mkdir()
    store.path.write_text('{"last_room": "x"', encoding="utf-8")
    store.load()
    kept = list(isolated_config_dir.glob("settings.json.corrupt-*"))
    assert [p.read_text(encoding="utf-8") for p in kept] == ['{"last_room": "x"']


def test_bad_fields_fall_back_one_by_one(isolated_config_dir: Path) -> None:
    store = SettingsStore()
    isolated_config_dir.mkdir()
    store.path.write_text(
        json.dumps(
            {
                "rooms_refresh_s": "fast",
                "selected_room_refresh_s": 0.01,
                "other_rooms_refresh_s": 1e9,
                "default_country": "gb",
                "notifications_enabled": "yes",
                "last_profile": 42,
                "last_room": "kept",
                "ui_state": {"ok": "AAAA", "bad": 3},
                "event_log_scope": "everything",
                "unknown_key": True,
            }
        ),
        encoding="utf-8",
    )
    settings = store.load()
    assert settings.rooms_refresh_s == ROOMS_REFRESH[0]
    assert settings.selected_room_refresh_s == SELECTED_ROOM_REFRESH[1]  # clamped up
    assert settings.other_rooms_refresh_s == OTHER_ROOMS_REFRESH[2]  # clamped down
    assert settings.default_country == "GB"
    assert settings.notifications_enabled is True
    assert settings.last_profile == ""
    assert settings.last_room == "kept"
    assert settings.ui_state == {"ok": "AAAA"}
    assert settings.event_log_scope is EventLogScope.SELECTED_ROOM


def test_unknown_country_is_ignored() -> None:
    assert (
        Settings.from_json({"default_country": "XX"}).default_country == Settings().default_country
    )


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("en_GB.UTF-8", "GB"), ("de_DE@euro", "DE"), ("C", "US"), ("POSIX", "US"), ("fr", "US")],
)
def test_default_country_from_locale(
    monkeypatch: pytest.MonkeyPatch, lang: str, expected: str
) -> None:
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", lang)
    monkeypatch.setattr("locale.getlocale", lambda *_: (None, None))
    assert default_country() == expected


def test_settings_never_hold_secrets(isolated_config_dir: Path) -> None:
    suspicious = ("secret", "token", "password", "auth", "key")
    assert not [f.name for f in fields(Settings) if any(s in f.name for s in suspicious)]
    store = SettingsStore()
    store.save(Settings(last_profile="Work"))
    text = store.path.read_text(encoding="utf-8").lower()
    assert not any(s in text for s in ("secret", "token", "password"))


def test_saved_file_is_private(isolated_config_dir: Path) -> None:
    store = SettingsStore()
    store.save(Settings())
    assert store.path.stat().st_mode & 0o077 == 0


def test_alert_thresholds_and_call_limit_round_trip_and_are_clamped() -> None:
    from moderator.core.settings import Settings as S

    settings = S.from_json(
        {
            "alert_full_percent": 10,
            "alert_phones": 99,
            "alert_empty_minutes": 15,
            "call_limit": True,
        }
    )
    assert (settings.alert_full_percent, settings.alert_phones) == (50, 35)
    assert settings.alert_empty_minutes == 15
    assert settings.call_limit == 0  # a boolean is not a number of calls
    settings.call_limit = 5
    assert S.from_json(settings.to_json()).call_limit == 5


def test_host_name_is_cleaned_and_defaults_to_the_login(
    isolated_config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moderator.core import settings as settings_module

    monkeypatch.setattr(settings_module.getpass, "getuser", lambda: "ana")
    assert Settings().host_name == "Ana"
    assert Settings.from_json({"host_name": "  Bob\n\tSmith  "}).host_name == "Bob Smith"
    assert Settings.from_json({"host_name": "x" * 200}).host_name == "x" * 64
    assert Settings.from_json({"host_name": 5}).host_name == "Ana"
    assert Settings.from_json({"cohosting": False}).cohosting is False
    assert Settings.from_json({"cohosting": "no"}).cohosting is True
