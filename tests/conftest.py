"""Test-wide settings: headless Qt, and the in-process sandbox fixture every layer's tests share."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from moderator.sandbox.clock import ManualClock  # Qt-free: safe before the line below
from moderator.sandbox.server import SandboxOptions, SandboxServer

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
