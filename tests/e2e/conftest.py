"""End-to-end fixtures: the whole app in a throwaway home, never the user's config or keyring."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from moderator.core.paths import CONFIG_DIR_ENV
from tests.keyring_memory import MemoryKeyring, installed


@pytest.fixture
def isolated_config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Config and data folders under tmp_path, and an in-memory keyring."""
    folder = tmp_path / "config"
    monkeypatch.setenv(CONFIG_DIR_ENV, str(folder))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    with installed(MemoryKeyring()):
        yield folder
