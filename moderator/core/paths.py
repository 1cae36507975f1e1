"""Where Room Moderator keeps its non-secret files.

One place decides, so tests and the screenshot mode can point the whole app at a throwaway folder
with one environment variable instead of touching the user's real home.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "room-moderator"
CONFIG_DIR_ENV = "ROOM_MODERATOR_CONFIG_DIR"


def config_dir() -> Path:
    """The folder for settings and the (secret-free) profile list.

    `ROOM_MODERATOR_CONFIG_DIR` wins over the platform's usual place, so a test run never reads or
    writes the real user's configuration.
    """
    override = os.environ.get(CONFIG_DIR_ENV, "").strip()
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


DATA_DIR_ENV = "ROOM_MODERATOR_DATA_DIR"


def data_dir() -> Path:
    """The folder for the call journal; `ROOM_MODERATOR_DATA_DIR` wins, like the config override."""
    override = os.environ.get(DATA_DIR_ENV, "").strip()
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
