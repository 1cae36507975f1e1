"""Test-wide settings: headless Qt, and the fixtures every layer's tests share (the in-process
sandbox, a throwaway config folder, an in-memory keyring)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Qt-free imports: safe before the line below.
from moderator.core.paths import CONFIG_DIR_ENV
from moderator.sandbox.clock import ManualClock
from moderator.sandbox.server import SandboxOptions, SandboxServer
from tests.keyring_memory import MemoryKeyring, installed

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SANDBOX_SEED = 20240607

SandboxFactory = Callable[..., SandboxServer]


@pytest.fixture(autouse=True)
def _isolated_app_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test ever reads or writes the developer's real settings, profiles or journal."""
    root = tmp_path_factory.mktemp("app-dirs")
    monkeypatch.setenv("ROOM_MODERATOR_CONFIG_DIR", str(root / "config"))
    monkeypatch.setenv("ROOM_MODERATOR_DATA_DIR", str(root / "data"))


@pytest.fixture
def sandbox_factory() -> Iterator[SandboxFactory]:
    """Start sandboxes with custom options: `sandbox_factory(latency_ms=300, demo=True)`.

    Every keyword is a SandboxOptions field, plus `clock=` (a ManualClock by default). The seed
    is fixed unless given. All servers started here are stopped at teardown.
    """
    started: list[SandboxServer] = []

    def make(clock: Any = None, **options: Any) -> SandboxServer:
        options.setdefault("seed", SANDBOX_SEED)
        server = SandboxServer(SandboxOptions(**options), clock=clock or ManualClock())
        started.append(server)
        return server.start()

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def sandbox(sandbox_factory: SandboxFactory) -> SandboxServer:
    """A started sandbox on a ManualClock with a fixed seed (advance time with
    `sandbox.clock.advance(seconds)`), stopped at teardown."""
    return sandbox_factory()


@pytest.fixture
def isolated_config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the app's config folder at a fresh temporary folder."""
    folder = tmp_path / "config"
    monkeypatch.setenv(CONFIG_DIR_ENV, str(folder))
    return folder


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """An empty in-memory keyring installed as keyring's backend for one test."""
    with installed(MemoryKeyring()) as backend:
        assert isinstance(backend, MemoryKeyring)
        yield backend
