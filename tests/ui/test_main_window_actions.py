"""Window commands beyond the happy path: failing checks, rooms, shortcuts, errors, settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QTableView,
    QToolButton,
)
from pytestqt.qtbot import QtBot

from moderator.core.guest_state import GuestStatus
from moderator.core.models import RoomType
from moderator.core.settings import SettingsStore
from moderator.sandbox.server import SandboxServer
from moderator.ui.dialogs.create_room_dialog import CreateRoomDialog
from moderator.ui.dialogs.dial_dialog import DialDialog
from moderator.ui.main_window import MainWindow
from tests.ui.test_main_window import (
    NUMBER_TYPED,
    dial,
    open_dial_dialog,
    phone_rows,
    room_row,
    select_room,
)
from tests.ui.window_harness import (
    WAIT_MS,
    activate,
    answer_message_box,
    by_name,
    click,
    make_window,
    wait_for_dialog,
)


@pytest.fixture
def window(qtbot: QtBot, sandbox: SandboxServer, tmp_path: Path) -> MainWindow:
    sandbox.world.create_room("standup", max_participants=10)
    sandbox.world.join_app_participant("standup", "alice")
    sandbox.world.join_app_participant("standup", "bob", kinds=("audio",))
    sandbox.world.create_room("all-hands")
    sandbox.world.create_room("one-on-one", type="peer-to-peer")
    window = make_window(qtbot, sandbox, tmp_path)
    qtbot.waitUntil(lambda: window.rooms_model.rowCount() == 3, timeout=WAIT_MS)
    return window


def failed_reasons(dialog: DialDialog) -> list[str]:
    checks = dialog.checks() or []
    return [c.reason for c in checks if not c.passed]


def checks_text(dialog: DialDialog) -> str:
    checks = by_name(dialog, QListWidget, "Pre-flight checks")
    return "\n".join(checks.item(i).text() for i in range(checks.count()))


def test_dial_is_disabled_in_a_peer_to_peer_room_and_says_why(
    window: MainWindow, qtbot: QtBot
) -> None:
    select_room(qtbot, window, "one-on-one")
    dialog = open_dial_dialog(qtbot, window)
    qtbot.keyClicks(by_name(dialog, QLineEdit, "Phone number"), NUMBER_TYPED)
    qtbot.waitUntil(lambda: dialog.checks() is not None, timeout=WAIT_MS)
    reasons = failed_reasons(dialog)
    assert reasons, "the room-type check must fail"
    assert any("group" in r.lower() for r in reasons)
    assert reasons[0] in checks_text(dialog)  # shown in the list, not only in a tooltip
    assert not by_name(dialog, QPushButton, "Dial").isEnabled()
    dialog.reject()


def test_dial_is_disabled_for_an_identity_already_in_the_room(
    window: MainWindow, qtbot: QtBot
) -> None:
    select_room(qtbot, window, "standup")
    qtbot.waitUntil(lambda: len(window.roster_model.rows()) == 2, timeout=WAIT_MS)
    dialog = open_dial_dialog(qtbot, window)
    qtbot.keyClicks(by_name(dialog, QLineEdit, "Phone number"), NUMBER_TYPED)
    identity = by_name(dialog, QLineEdit, "Identity")
    identity.clear()
    qtbot.keyClicks(identity, "alice")
    assert "alice" in dialog.identity_hint.text()  # the field says so at once
    qtbot.waitUntil(lambda: dialog.checks() is not None, timeout=WAIT_MS)
    assert any("already in the room" in r for r in failed_reasons(dialog))
    assert not by_name(dialog, QPushButton, "Dial").isEnabled()
    # Back to a fresh identity: everything passes again.
    click(qtbot, by_name(dialog, QToolButton, "Generate identity"))
    qtbot.waitUntil(by_name(dialog, QPushButton, "Dial").isEnabled, timeout=WAIT_MS)
    dialog.reject()


def test_twilio_refusal_shows_in_status_bar_not_a_popup(window: MainWindow, qtbot: QtBot) -> None:
    select_room(qtbot, window, "standup")
    dial(qtbot, window, "+15005550001")  # the sandbox refuses it: 21211 invalid To
    qtbot.waitUntil(lambda: phone_rows(window)[0].status is GuestStatus.REJECTED, timeout=WAIT_MS)
    error = by_name(window, QLabel, "Last error")
    qtbot.waitUntil(lambda: bool(error.text()), timeout=WAIT_MS)
    assert "0001" in error.text()
    assert "+15005550001" not in error.text()  # numbers stay masked
    assert "—" in error.text()  # message — what to do


def test_create_room_then_end_it_with_confirmation(
    window: MainWindow, qtbot: QtBot, sandbox: SandboxServer
) -> None:
    click(qtbot, by_name(window, QToolButton, "Create room"))
    dialog = wait_for_dialog(qtbot, CreateRoomDialog)
    qtbot.keyClicks(by_name(dialog, QLineEdit, "Room name"), "retro")
    combo = by_name(dialog, QComboBox, "Room type")
    combo.setCurrentIndex(combo.findData(RoomType.GROUP))
    click(qtbot, by_name(dialog, QPushButton, "Create room"))
    qtbot.waitUntil(lambda: window.rooms_model.rowCount() == 4, timeout=WAIT_MS)
    assert sandbox.world.room("retro").status == "in-progress"
    # The new room is selected, ready to dial into.
    qtbot.waitUntil(lambda: window.rooms_pane.selected_room() is not None, timeout=WAIT_MS)
    selected = window.rooms_pane.selected_room()
    assert selected is not None and selected.room.unique_name == "retro"

    select_room(qtbot, window, "standup")
    qtbot.waitUntil(lambda: room_row(window, "standup").participant_count == 2, timeout=WAIT_MS)
    click(qtbot, by_name(window, QToolButton, "End room"))
    question = answer_message_box(qtbot, "Cancel")
    assert "standup" in question and "2 participants" in question
    assert sandbox.world.room("standup").status == "in-progress"

    click(qtbot, by_name(window, QToolButton, "End room"))
    answer_message_box(qtbot, "End room")
    qtbot.waitUntil(lambda: window.rooms_model.rowCount() == 3, timeout=WAIT_MS)
    assert sandbox.world.room(selected.room.sid).status == "in-progress"
    assert all(r.room.unique_name != "standup" for r in window.rooms_model.rows())
    assert window.rooms_pane.selected_room() is None
    assert "Select a room" in window.roster_pane._empty.text()


def test_keyboard_shortcuts(window: MainWindow, qtbot: QtBot, sandbox: SandboxServer) -> None:
    activate(qtbot, window)
    rooms = window.rooms_pane
    ctrl = Qt.KeyboardModifier.ControlModifier

    qtbot.keyClick(window, Qt.Key.Key_PageDown, ctrl)
    first = rooms.selected_sid()
    assert first is not None
    qtbot.keyClick(window, Qt.Key.Key_PageDown, ctrl)
    assert rooms.selected_sid() not in (None, first)
    qtbot.keyClick(window, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    assert rooms.selected_sid() == first

    def room_list_reads() -> int:
        return sum(1 for r in sandbox.request_log.entries() if r.path == "/v1/Rooms")

    reads = room_list_reads()
    qtbot.keyClick(window, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: room_list_reads() > reads, timeout=WAIT_MS)

    select_room(qtbot, window, "standup")
    qtbot.keyClick(window, Qt.Key.Key_D, ctrl)
    dialog = wait_for_dialog(qtbot, DialDialog)
    dialog.reject()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)

    activate(qtbot, window)  # back from the dialog
    qtbot.keyClick(window, Qt.Key.Key_N, ctrl)
    create = wait_for_dialog(qtbot, CreateRoomDialog)
    create.reject()
    qtbot.waitUntil(lambda: not create.isVisible(), timeout=WAIT_MS)

    # Delete removes the selected participant (asking first: bob is connected).
    qtbot.waitUntil(lambda: len(window.roster_model.rows()) == 2, timeout=WAIT_MS)
    bob = next(r for r in window.roster_model.rows() if r.identity == "bob")
    window.roster_pane.select_key(bob.key)
    activate(qtbot, window)  # back from the dialog
    qtbot.keyClick(window, Qt.Key.Key_Delete)
    answer_message_box(qtbot, "Remove")
    qtbot.waitUntil(lambda: len(window.roster_model.rows()) == 1, timeout=WAIT_MS)
    connected = sandbox.world.participants("standup")
    assert [p.identity for p in connected if p.status == "connected"] == ["alice"]

    # Shortcuts are shown in menus' tooltips.
    assert "Ctrl+D" in window.commands.dial.toolTip()
    assert "F5" in window.commands.refresh.toolTip()


def test_event_log_scope_this_room_or_all_rooms(window: MainWindow, qtbot: QtBot) -> None:
    select_room(qtbot, window, "standup")
    dial(qtbot, window)
    proxy = window.event_proxy
    qtbot.waitUntil(lambda: proxy.rowCount() > 0, timeout=WAIT_MS)
    select_room(qtbot, window, "all-hands")
    assert proxy.rowCount() == 0 or all(
        proxy.index(r, 1).data() in ("", None, "all-hands") for r in range(proxy.rowCount())
    )
    by_name(window, QComboBox, "Event log scope").setCurrentIndex(1)  # All rooms
    assert proxy.rowCount() == window.event_model.rowCount() > 0
    assert window.commands.scope_all_rooms.isChecked()


def test_settings_restore_last_room_and_geometry(
    qtbot: QtBot, sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.world.create_room("alpha")
    sandbox.world.create_room("beta")
    first = make_window(qtbot, sandbox, tmp_path)
    qtbot.waitUntil(lambda: first.rooms_model.rowCount() == 2, timeout=WAIT_MS)
    select_room(qtbot, first, "beta")
    first.resize(1111, 700)
    first.commands.scope_all_rooms.trigger()
    first.close()

    saved = SettingsStore(tmp_path / "settings.json").load()
    assert saved.last_room == "beta"
    assert saved.window_geometry

    second = make_window(qtbot, sandbox, tmp_path, settings=saved)
    qtbot.waitUntil(lambda: second.rooms_pane.selected_room() is not None, timeout=WAIT_MS)
    selected = second.rooms_pane.selected_room()
    assert selected is not None and selected.room.unique_name == "beta"
    assert second.event_log_pane.all_rooms()


def test_help_menu_and_notifications_toggle(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    window.commands.sandbox_cheat_sheet.trigger()
    text = answer_message_box(qtbot, "Close")
    assert "1111" in text and "busy" in text
    window.commands.about.trigger()
    assert "Room Moderator" in answer_message_box(qtbot, "Close")

    assert window.notifier.is_enabled()
    window.commands.notifications.trigger()
    assert not window.notifier.is_enabled()
    window.save_settings()
    assert not SettingsStore(tmp_path / "settings.json").load().notifications_enabled


def test_rooms_sort_by_clicking_a_header(window: MainWindow, qtbot: QtBot) -> None:
    rooms = by_name(window, QTableView, "Rooms")
    qtbot.waitUntil(lambda: room_row(window, "standup").participant_count == 2, timeout=WAIT_MS)
    qtbot.waitUntil(
        lambda: all(r.participant_count is not None for r in window.rooms_model.rows()),
        timeout=WAIT_MS,
    )
    header = rooms.horizontalHeader()
    x = header.sectionViewportPosition(2) + header.sectionSize(2) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    names = [rooms.model().index(r, 0).data() for r in range(rooms.model().rowCount())]
    counts = [room_row(window, n).participant_count for n in names]
    assert counts == sorted(counts) or counts == sorted(counts, reverse=True)
    assert names[0] == "standup" or names[-1] == "standup"  # the only room with people
