"""Open in new window: a room's roster in a window of its own, following its profile.

Through the real main window on the in-process sandbox (and, for profile removal, the real
profile switcher over an in-memory keyring).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QComboBox, QLabel, QMenu, QToolButton
from pytestqt.qtbot import QtBot

from moderator.core.credentials import Credentials
from moderator.core.profiles import Profile, ProfileStore
from moderator.core.settings import Settings
from moderator.sandbox.server import SandboxServer
from moderator.ui.main_window import MainWindow
from moderator.ui.profile_switcher import ProfileSwitcher
from moderator.ui.room_window import ENDED_TEXT, RoomWindow
from moderator.ui.session import Session
from tests.ui.test_main_window import select_room
from tests.ui.window_harness import (
    FAST_POLLING,
    WAIT_MS,
    activate,
    answer_message_box,
    by_name,
    click,
    make_window,
    sandbox_credentials,
)


@pytest.fixture
def window(qtbot: QtBot, sandbox: SandboxServer, tmp_path: Path) -> MainWindow:
    sandbox.world.create_room("standup", max_participants=10)
    sandbox.world.join_app_participant("standup", "alice")
    sandbox.world.create_room("retro")
    sandbox.world.join_app_participant("retro", "carol")
    window = make_window(qtbot, sandbox, tmp_path)
    qtbot.waitUntil(lambda: window.rooms_model.rowCount() == 2, timeout=WAIT_MS)
    return window


def identities(room_window: RoomWindow) -> set[str]:
    return {row.identity for row in room_window.model.rows()}


def open_window(qtbot: QtBot, window: MainWindow, room: str) -> RoomWindow:
    """Select the room and choose Room ▸ Open in new window."""
    select_room(qtbot, window, room)
    action = window.commands.open_room_window
    room_menu = next(
        m for m in window.menuBar().findChildren(QMenu) if m.title().replace("&", "") == "Room"
    )
    assert action in room_menu.actions() and action.isEnabled()
    action.trigger()
    opened = next(w for w in window.room_windows.windows() if w.room_name == room)
    qtbot.waitExposed(opened)
    return opened


def test_a_room_window_shows_its_room_updates_and_is_opened_once(
    window: MainWindow, qtbot: QtBot, sandbox: SandboxServer
) -> None:
    standup = open_window(qtbot, window, "standup")
    assert standup.isVisible() and standup.isWindow()
    qtbot.waitUntil(lambda: identities(standup) == {"alice"}, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "1/10 participants" in standup.windowTitle(), timeout=WAIT_MS)
    assert standup.windowTitle().startswith("standup")
    sandbox.world.join_app_participant("standup", "bob")
    qtbot.waitUntil(lambda: identities(standup) == {"alice", "bob"}, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "2/10 participants" in standup.windowTitle(), timeout=WAIT_MS)

    retro = open_window(qtbot, window, "retro")  # a second room, side by side
    qtbot.waitUntil(lambda: identities(retro) == {"carol"}, timeout=WAIT_MS)
    assert identities(standup) == {"alice", "bob"}
    assert open_window(qtbot, window, "standup") is standup  # again: the same window, raised
    assert len(window.room_windows.windows()) == 2
    menu = QMenu()
    window.commands.room_context_menu(menu)  # the rooms table's context menu has it too
    assert window.commands.open_room_window in menu.actions()


def test_a_room_windows_remove_acts_on_its_room(
    window: MainWindow, qtbot: QtBot, sandbox: SandboxServer
) -> None:
    retro = open_window(qtbot, window, "retro")
    select_room(qtbot, window, "standup")  # the main window looks at another room
    qtbot.waitUntil(lambda: identities(retro) == {"carol"}, timeout=WAIT_MS)
    retro.pane.view.selectRow(0)
    qtbot.waitUntil(retro.commands.remove.isEnabled, timeout=WAIT_MS)
    activate(qtbot, retro)
    click(qtbot, by_name(retro, QToolButton, "Remove participant"))
    assert "“retro”" in answer_message_box(qtbot, "Remove")
    qtbot.waitUntil(
        lambda: all(p.status != "connected" for p in sandbox.world.participants("retro")),
        timeout=WAIT_MS,
    )
    assert any(p.status == "connected" for p in sandbox.world.participants("standup"))
    qtbot.waitUntil(lambda: identities(retro) == set(), timeout=WAIT_MS)


def test_a_room_that_ends_says_so_in_its_window(
    window: MainWindow, qtbot: QtBot, sandbox: SandboxServer
) -> None:
    retro = open_window(qtbot, window, "retro")
    qtbot.waitUntil(lambda: identities(retro) == {"carol"}, timeout=WAIT_MS)
    sandbox.world.complete_room("retro")
    ended = retro.findChild(QLabel, "roomEnded")
    assert ended is not None and ended.accessibleName() == "Room ended"
    qtbot.waitUntil(ended.isVisible, timeout=WAIT_MS)
    assert ended.text() == ENDED_TEXT
    assert identities(retro) == set() and not retro.commands.remove.isEnabled()
    assert "ended" in retro.windowTitle()


def test_room_windows_hide_on_a_profile_switch_come_back_and_close_on_quit(
    window: MainWindow, qtbot: QtBot, sandbox: SandboxServer
) -> None:
    standup = open_window(qtbot, window, "standup")
    standup.resize(500, 380)
    window.open_profile("other", None)  # another profile: its own session, its own windows
    assert not standup.isVisible()
    assert window.room_windows.windows() == []
    window.open_profile("", None)  # back: the window shows again, fed by the new session
    qtbot.waitUntil(standup.isVisible, timeout=WAIT_MS)
    assert standup.size().width() == 500  # geometry kept
    sandbox.world.join_app_participant("standup", "dora")
    qtbot.waitUntil(lambda: identities(standup) == {"alice", "dora"}, timeout=WAIT_MS)
    window.close()  # quitting closes it
    assert not standup.isVisible()
    assert window.room_windows.windows() == []


def test_room_windows_close_when_their_profile_is_removed(
    qtbot: QtBot,
    sandbox: SandboxServer,
    tmp_path: Path,
    memory_keyring: Any,
) -> None:
    sandbox.world.create_room("work-room")
    store = ProfileStore(tmp_path / "profiles.json")
    creds = sandbox.credentials
    store.save(
        Profile.with_api_key("work", creds.account_sid, creds.api_key_sid), creds.api_key_secret
    )

    def factory(_profile: str, credentials: Credentials | None, parent: QObject) -> Session:
        return Session(
            credentials or sandbox_credentials(sandbox),
            base_url=sandbox.base_url,
            settings=FAST_POLLING,
            parent=parent,
        )

    switcher = ProfileSwitcher(store)
    window = MainWindow(
        settings=Settings(), settings_store=None, session_factory=factory, profile_switcher=switcher
    )
    qtbot.addWidget(window)
    window.show()
    window.open_profile("", None)
    combo = by_name(window, QComboBox, "Profile")
    combo.setCurrentIndex(combo.findData("work"))
    qtbot.waitUntil(lambda: window.profile == "work", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.rooms_model.rowCount() == 1, timeout=WAIT_MS)
    room = open_window(qtbot, window, "work-room")
    switcher.remove_current_profile()
    answer_message_box(qtbot, "Remove")
    qtbot.waitUntil(lambda: window.profile == "", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not room.isVisible(), timeout=WAIT_MS)
    assert window.room_windows.windows("work") == []
    window.shutdown()
