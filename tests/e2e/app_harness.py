"""The pieces the end-to-end stories share: the app as `main()` wires it on an in-process
sandbox with a one-room scene, whose clock the test drives, and what they read off the window."""

from __future__ import annotations

from collections.abc import Callable

from pytestqt.qtbot import QtBot

from moderator.core.profiles import ProfileStore
from moderator.core.settings import SettingsStore
from moderator.sandbox.clock import ManualClock
from moderator.ui import app
from moderator.ui.main_window import MainWindow
from moderator.ui.sandbox_runner import SandboxRunner
from tests.ui.window_harness import WAIT_MS

ROOM = "town-hall"
HOST_NAME = "Hana"
"""The host's display name in these stories (not the machine's login name)."""


def start_runner(room: str = ROOM) -> SandboxRunner:
    """A started in-process sandbox on a ManualClock with one room and its host in it."""
    runner = SandboxRunner(demo=False, seed=11, clock=ManualClock())
    runner.start()
    runner.server.world.create_room(room)
    runner.server.world.join_app_participant(room, "host")
    return runner


def open_app_window(qtbot: QtBot, runner: SandboxRunner, *, rooms: int = 1) -> MainWindow:
    """The real window on `runner`'s sandbox profile, shown once its `rooms` rooms are listed."""
    context = app.AppContext(
        settings_store=SettingsStore(), profiles=ProfileStore(), sandbox=runner
    )
    context.settings.rooms_refresh_s = 1.0
    context.settings.selected_room_refresh_s = 0.5
    context.settings.host_name = HOST_NAME  # co-hosting is on, as by default
    window = app.build_window(context)
    qtbot.addWidget(window)
    window.show()
    app.open_initial_profile(window, app.SANDBOX_PROFILE)
    qtbot.waitUntil(lambda: window.rooms_model.rowCount() == rooms, timeout=WAIT_MS)
    return window


def clock_of(runner: SandboxRunner) -> ManualClock:
    clock = runner.server.clock
    assert isinstance(clock, ManualClock)
    return clock


def until(qtbot: QtBot, runner: SandboxRunner, condition: Callable[[], bool], step: float) -> None:
    """Wait for `condition`, moving the sandbox's clock on by `step` seconds at each look."""

    def moved() -> bool:
        if condition():
            return True
        clock_of(runner).advance(step)
        return condition()

    qtbot.waitUntil(moved, timeout=WAIT_MS)


def log_lines(window: MainWindow) -> list[str]:
    """The event log's texts, oldest first."""
    model = window.event_model
    return [str(model.index(r, 2).data()) for r in range(model.rowCount())]
