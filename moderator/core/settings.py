"""The app's non-secret preferences, typed, in one JSON file.

A plain file under the user's config folder (rather than QSettings) keeps this Qt-free, testable
and easy to inspect. Every field is checked on load: a missing, corrupt or hand-edited file gives
defaults for whatever is wrong and never stops the app from starting. Secrets never live here;
they belong to the OS keyring (see `moderator.core.profiles`).
"""

from __future__ import annotations

import contextlib
import getpass
import locale
import logging
import math
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from pathlib import Path
from typing import Any

import phonenumbers

from moderator.core.jsonfile import (
    NewerFormat,
    UnreadableFile,
    format_version,
    read_json,
    write_json_atomic,
)
from moderator.core.paths import config_dir

log = logging.getLogger(__name__)

SETTINGS_FILE_NAME = "settings.json"
SETTINGS_VERSION = 2
"""Format of settings.json. 1: the first releases' file, without a "version" key; 2: the same
fields with "version". A step in `_MIGRATIONS` takes a file from version N to N + 1."""
FALLBACK_COUNTRY = "US"


class EventLogScope(StrEnum):
    """Which events the event-log pane shows."""

    SELECTED_ROOM = "selected-room"
    ALL_ROOMS = "all-rooms"


# (default, lowest, highest) in seconds. The floors keep the app well inside Twilio's 80 reads/s
# per account however the file is edited; the ceilings keep the view from going stale for minutes.
ROOMS_REFRESH = (3.0, 1.0, 300.0)
SELECTED_ROOM_REFRESH = (1.0, 0.5, 60.0)
OTHER_ROOMS_REFRESH = (15.0, 2.0, 600.0)
# (default, lowest, highest) of the capacity alerts and the host's concurrent-call limit.
ALERT_FULL_PERCENT = (90, 50, 100)
ALERT_PHONES = (30, 1, 35)
ALERT_EMPTY_MINUTES = (10, 1, 240)
CALL_LIMIT = (0, 0, 10_000)  # 0: not set (Twilio's REST API does not say; trial accounts: 5)


def default_country() -> str:
    """The ISO region the user's locale names (e.g. "GB" for en_GB), else "US".

    Used to read phone numbers typed without a "+" prefix; settings can override it.
    """
    candidates = [os.environ.get(name, "") for name in ("LC_ALL", "LC_MESSAGES", "LANG")]
    with contextlib.suppress(ValueError):  # an unparsable locale name in the environment
        candidates.append(locale.getlocale()[0] or "")
    for candidate in candidates:
        region = _region_of_locale(candidate)
        if region:
            return region
    return FALLBACK_COUNTRY


HOST_NAME_MAX = 64
"""Longest display name shown to co-hosts (it travels in every shared item)."""


def clean_host_name(value: object) -> str:
    """A display name as typed: trimmed, one line, at most `HOST_NAME_MAX` characters; ""
    when nothing usable is left."""
    if not isinstance(value, str):
        return ""
    printable = "".join(ch if ch.isprintable() else " " for ch in value)
    return " ".join(printable.split())[:HOST_NAME_MAX].strip()


def default_host_name() -> str:
    """The login name, capitalised ("ana" → "Ana"), until the host sets one."""
    try:
        login = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers) and no LOGNAME/USER
        login = ""
    name = clean_host_name(login)
    return name[:1].upper() + name[1:] if name else "Host"


def _region_of_locale(name: str) -> str | None:
    # "en_GB.UTF-8@euro" -> "GB"; "C" and "POSIX" carry no region.
    base = name.split(".", 1)[0].split("@", 1)[0]
    _, sep, region = base.replace("-", "_").partition("_")
    region = region.upper()
    if sep and region in phonenumbers.SUPPORTED_REGIONS:
        return region
    return None


@dataclass
class Settings:
    """Everything the app remembers between runs, none of it secret."""

    rooms_refresh_s: float = ROOMS_REFRESH[0]
    """How often the list of in-progress rooms is polled."""
    selected_room_refresh_s: float = SELECTED_ROOM_REFRESH[0]
    """How often the selected room's participants, tracks and the app's live calls are polled."""
    other_rooms_refresh_s: float = OTHER_ROOMS_REFRESH[0]
    """How often the participant counts of the rooms not selected are polled."""
    default_country: str = field(default_factory=default_country)
    """ISO 3166 region used to read national phone numbers, e.g. "US", "GB"."""
    notifications_enabled: bool = True
    """Desktop notifications for joins, leaves and failed dials."""
    last_profile: str = ""
    """Profile name used last; "" is the local sandbox."""
    last_room: str = ""
    """Unique name of the room selected last (names survive a room being re-created, SIDs don't)."""
    window_geometry: str = ""
    """Base64 of QWidget.saveGeometry()."""
    window_state: str = ""
    """Base64 of QMainWindow.saveState() (toolbars, docks)."""
    ui_state: dict[str, str] = field(default_factory=dict)
    """Other base64 blobs keyed by widget name: splitter sizes, table header states…"""
    event_log_scope: EventLogScope = EventLogScope.SELECTED_ROOM
    alert_full_percent: int = ALERT_FULL_PERCENT[0]
    """A room at this share of its max participants raises a capacity alert."""
    alert_phones: int = ALERT_PHONES[0]
    """This many phone guests in a room (of Twilio's 35) raise an alert."""
    alert_empty_minutes: int = ALERT_EMPTY_MINUTES[0]
    """A room empty for this long raises an alert."""
    call_limit: int = CALL_LIMIT[0]
    """The account's concurrent-call limit as the host knows it; 0 when not set."""
    cohosting: bool = True
    """Share phone guests and presence with co-hosts on the same account (Twilio Sync)."""
    host_name: str = field(default_factory=default_host_name)
    """How co-hosts see this host: "dialed by Ana", "Also moderating: Ana"."""

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (enums as their string values), in the current format."""
        data = asdict(self)
        data["event_log_scope"] = self.event_log_scope.value
        data["version"] = SETTINGS_VERSION
        return data

    @classmethod
    def from_json(cls, data: object) -> Settings:
        """Settings from whatever was in the file: each bad or missing field gets its default."""
        settings = cls()
        if not isinstance(data, Mapping):
            return settings
        known = {f.name for f in fields(cls)} | {"version"}
        for key in data:
            if key not in known:
                log.info("ignoring unknown setting %r", key)
        settings.rooms_refresh_s = _interval(data.get("rooms_refresh_s"), ROOMS_REFRESH)
        settings.selected_room_refresh_s = _interval(
            data.get("selected_room_refresh_s"), SELECTED_ROOM_REFRESH
        )
        settings.other_rooms_refresh_s = _interval(
            data.get("other_rooms_refresh_s"), OTHER_ROOMS_REFRESH
        )
        country = data.get("default_country")
        if isinstance(country, str) and country.upper() in phonenumbers.SUPPORTED_REGIONS:
            settings.default_country = country.upper()
        for name in ("notifications_enabled", "cohosting"):
            flag = data.get(name)
            if isinstance(flag, bool):
                setattr(settings, name, flag)
        host_name = clean_host_name(data.get("host_name"))
        if host_name:
            settings.host_name = host_name
        for name in ("last_profile", "last_room", "window_geometry", "window_state"):
            value = data.get(name)
            if isinstance(value, str):
                setattr(settings, name, value)
        ui_state = data.get("ui_state")
        if isinstance(ui_state, Mapping):
            settings.ui_state = {
                str(k): v for k, v in ui_state.items() if isinstance(k, str) and isinstance(v, str)
            }
        for name, bounds in (
            ("alert_full_percent", ALERT_FULL_PERCENT),
            ("alert_phones", ALERT_PHONES),
            ("alert_empty_minutes", ALERT_EMPTY_MINUTES),
            ("call_limit", CALL_LIMIT),
        ):
            setattr(settings, name, _whole(data.get(name), bounds))
        scope = data.get("event_log_scope")
        if isinstance(scope, str) and scope in {s.value for s in EventLogScope}:
            settings.event_log_scope = EventLogScope(scope)
        return settings


def _whole(value: object, bounds: tuple[int, int, int]) -> int:
    default, lowest, highest = bounds
    if isinstance(value, bool) or not isinstance(value, int):
        return default
    return min(max(value, lowest), highest)


def _interval(value: object, bounds: tuple[float, float, float]) -> float:
    default, lowest, highest = bounds
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return default
    return min(max(float(value), lowest), highest)


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 had the same fields and no "version" key."""
    return {**data, "version": 2}


_MIGRATIONS = {1: _v1_to_v2}
"""From version N (the key) to N + 1."""


def migrate(data: dict[str, Any], version: int) -> dict[str, Any]:
    """`data`, read as format `version`, in the current format."""
    for step in range(version, SETTINGS_VERSION):
        data = _MIGRATIONS[step](data)
    return data


class SettingsStore:
    """Loads and saves `Settings` at one path (default: settings.json in `config_dir()`).

    A file from a newer app is refused: `load` gives defaults, says so once (a warning), and
    `refused` holds the reason; from then on `save` writes nothing, so that file stays intact.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else config_dir() / SETTINGS_FILE_NAME
        self.refused: NewerFormat | None = None

    def load(self) -> Settings:
        """The saved settings, or defaults; never raises for a missing, corrupt or newer file."""
        try:
            data = read_json(self.path)
        except UnreadableFile as exc:
            log.warning("settings reset to defaults: %s", exc)
            return Settings()
        if data is None:
            return Settings()
        if not isinstance(data, dict):
            return Settings.from_json(data)
        try:
            version = format_version(data, self.path, SETTINGS_VERSION)
        except NewerFormat as exc:
            if self.refused is None:
                log.warning("running with default settings: %s", exc)
            self.refused = exc
            return Settings()
        return Settings.from_json(migrate(data, version))

    def save(self, settings: Settings) -> None:
        """Write the settings in one atomic replace (nothing over a newer app's file). Raises
        OSError if the folder is unwritable."""
        if self.refused is not None:
            log.info("settings not saved: %s", self.refused)
            return
        write_json_atomic(self.path, settings.to_json())
