"""The window's "Done when" flow, clicked through the real widgets against the sandbox over HTTP.

Time in the sandbox moves only when a test advances its ManualClock, so "ringing" and "connected"
happen exactly when the test says; the app polls the sandbox for real in between.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QToolButton,
)
from pytestqt.qtbot import QtBot

from moderator.core.guest_state import GuestStatus
from moderator.core.live_state import RoomRow
from moderator.core.roster import GuestKind, RosterRow
from moderator.sandbox.server import SandboxServer
from moderator.ui.dialogs.dial_dialog import DialDialog
from moderator.ui.main_window import MainWindow
from moderator.ui.models.roster_model import RosterColumn
from tests.ui.window_harness import (
    WAIT_MS,
    answer_message_box,
    by_name,
    click,
    make_window,
    wait_for_dialog,
)

NUMBER_TYPED = "4155552671"
NUMBER_E164 = "+14155552671"


@pytest.fixture
def window(qtbot: QtBot, sandbox: SandboxServer, tmp_path: Path) -> MainWindow:
    sandbox.world.create_room("standup", max_participants=10)
    sandbox.world.join_app_participant("standup", "alice")
    sandbox.world.create_room("all-hands")
    sandbox.world.create_room("one-on-one", type="peer-to-peer")
    window = make_window(qtbot, sandbox, tmp_path)
    qtbot.waitUntil(lambda: window.rooms_model.rowCount() == 3, timeout=WAIT_MS)
    return window


def select_room(qtbot: QtBot, window: MainWindow, name: str) -> None:
    """Click the room's row in the "Rooms" table."""
    rooms = by_name(window, QTableView, "Rooms")
    model = rooms.model()
    for row in range(model.rowCount()):
        index = model.index(row, 0)
        if index.data() == name:
            rect = rooms.visualRect(index)
            qtbot.mouseClick(rooms.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
            break
    else:
        raise AssertionError(f"room {name!r} not listed")
    qtbot.waitUntil(lambda: window.rooms_pane.selected_room() is not None, timeout=WAIT_MS)
    selected = window.rooms_pane.selected_room()
    assert selected is not None and selected.room.unique_name == name


def room_row(window: MainWindow, name: str) -> RoomRow:
    for row in window.rooms_model.rows():
        if row.room.unique_name == name:
            return row
    raise AssertionError(f"room {name!r} not listed")


def phone_rows(window: MainWindow) -> list[RosterRow]:
    return [r for r in window.roster_model.rows() if r.kind is GuestKind.PHONE]


def open_dial_dialog(qtbot: QtBot, window: MainWindow) -> DialDialog:
    click(qtbot, by_name(window, QToolButton, "Dial phone guest"))
    return wait_for_dialog(qtbot, DialDialog)


def dial(qtbot: QtBot, window: MainWindow, number: str = NUMBER_TYPED) -> DialDialog:
    dialog = open_dial_dialog(qtbot, window)
    qtbot.keyClicks(by_name(dialog, QLineEdit, "Phone number"), number)
    dial_button = by_name(dialog, QPushButton, "Dial")
    qtbot.waitUntil(dial_button.isEnabled, timeout=WAIT_MS)
    click(qtbot, dial_button)
    return dialog


def test_key_widgets_carry_accessible_names(window: MainWindow, qtbot: QtBot) -> None:
    by_name(window, QTableView, "Rooms")
    by_name(window, QTableView, "Participants")
    by_name(window, QTableView, "Event log")
    by_name(window, QToolButton, "Dial phone guest")
    by_name(window, QToolButton, "Remove participant")
    select_room(qtbot, window, "standup")
    dialog = open_dial_dialog(qtbot, window)
    by_name(dialog, QLineEdit, "Phone number")
    by_name(dialog, QLineEdit, "Identity")
    by_name(dialog, QPushButton, "Dial")
    by_name(dialog, QComboBox, "Caller ID")
    dialog.reject()


def test_dial_ring_join_remove_and_counts(
    window: MainWindow, qtbot: QtBot, sandbox: SandboxServer
) -> None:
    """Open the window, dial a sandbox number, watch it ring and join, remove it."""
    roster = by_name(window, QTableView, "Participants")
    select_room(qtbot, window, "standup")
    qtbot.waitUntil(lambda: len(window.roster_model.rows()) == 1, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: room_row(window, "standup").participant_count == 1, timeout=WAIT_MS)
    assert room_row(window, "standup").phone_count == 0

    dialog = open_dial_dialog(qtbot, window)
    number_edit = by_name(dialog, QLineEdit, "Phone number")
    qtbot.keyClicks(number_edit, NUMBER_TYPED)
    assert number_edit.text() == "(415) 555-2671"  # formatted as typed
    identity = by_name(dialog, QLineEdit, "Identity").text()
    assert identity.startswith("phone-")
    preview = dialog.findChild(QPlainTextEdit, "twimlPreview")
    assert preview is not None
    assert f'participantIdentity="{identity}"' in preview.toPlainText()
    assert ">standup</Room>" in preview.toPlainText()
    dial_button = by_name(dialog, QPushButton, "Dial")
    qtbot.waitUntil(dial_button.isEnabled, timeout=WAIT_MS)
    checks = dialog.checks()
    assert checks and all(c.passed for c in checks)

    click(qtbot, dial_button)
    # The dialog closes and the guest's row is there at once, before Twilio answered.
    assert not dialog.isVisible()
    rows = phone_rows(window)
    assert len(rows) == 1
    guest = rows[0]
    assert guest.identity == identity
    assert guest.status in (GuestStatus.DIALING, GuestStatus.QUEUED)
    assert window.roster_pane.current_row() is not None  # the new row is selected

    qtbot.waitUntil(lambda: phone_rows(window)[0].call_sid is not None, timeout=WAIT_MS)
    sandbox.clock.advance(1.5)
    qtbot.waitUntil(lambda: phone_rows(window)[0].status is GuestStatus.RINGING, timeout=WAIT_MS)
    sandbox.clock.advance(3.5)
    qtbot.waitUntil(lambda: phone_rows(window)[0].status is GuestStatus.CONNECTED, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: room_row(window, "standup").phone_count == 1, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: room_row(window, "standup").participant_count == 2, timeout=WAIT_MS)
    assert len(window.roster_model.rows()) == 2  # merged: one row for the phone guest
    phone_display = [
        window.rooms_model.index(window.rooms_model.row_of(room_row(window, "standup").sid), 3)
    ][0].data()
    assert phone_display == "1/35"

    # Remove: the row is selected; the button says what it will do; a connected guest asks first.
    window.roster_pane.select_key(phone_rows(window)[0].key)
    remove = by_name(window, QToolButton, "Remove participant")
    qtbot.waitUntil(remove.isEnabled, timeout=WAIT_MS)
    assert "Hang up" in remove.text()
    click(qtbot, remove)
    question = answer_message_box(qtbot, "Hang up & remove")
    assert "standup" in question
    call_sid = phone_rows(window)[0].call_sid
    assert call_sid is not None
    qtbot.waitUntil(lambda: sandbox.world.call(call_sid).status == "completed", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: phone_rows(window)[0].status is GuestStatus.LEFT, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: room_row(window, "standup").phone_count == 0, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: room_row(window, "standup").participant_count == 1, timeout=WAIT_MS)
    assert roster.model().rowCount() == 2  # the guest stays listed as "left", can be redialed
    assert phone_rows(window)[0].can_redial


def test_phone_numbers_are_masked_until_revealed(
    window: MainWindow, qtbot: QtBot, sandbox: SandboxServer
) -> None:
    select_room(qtbot, window, "standup")
    dial(qtbot, window)
    row = phone_rows(window)[0]
    name_index = window.roster_model.index(window.roster_model.row_of(row.key), RosterColumn.NAME)
    assert "2671" in name_index.data()
    assert "555" not in name_index.data()  # masked: only the last four digits
    window.roster_pane.select_key(row.key)
    reveal = by_name(window, QToolButton, "Reveal number")
    qtbot.waitUntil(reveal.isEnabled, timeout=WAIT_MS)
    click(qtbot, reveal)
    assert "415" in name_index.data() and "555" in name_index.data()
    click(qtbot, reveal)
    assert "555" not in name_index.data()


def test_double_clicking_dial_places_one_call(
    window: MainWindow, qtbot: QtBot, sandbox: SandboxServer
) -> None:
    select_room(qtbot, window, "standup")
    dialog = open_dial_dialog(qtbot, window)
    qtbot.keyClicks(by_name(dialog, QLineEdit, "Phone number"), NUMBER_TYPED)
    dial_button = by_name(dialog, QPushButton, "Dial")
    qtbot.waitUntil(dial_button.isEnabled, timeout=WAIT_MS)
    posts_before = sandbox.request_log.count("POST", "Calls.json")
    # What a real double click delivers: press, release, double-click (the second press), release.
    left = Qt.MouseButton.LeftButton
    qtbot.mousePress(dial_button, left)
    qtbot.mouseRelease(dial_button, left)
    qtbot.mouseDClick(dial_button, left)
    qtbot.mouseRelease(dial_button, left)
    qtbot.waitUntil(lambda: phone_rows(window)[0].call_sid is not None, timeout=WAIT_MS)
    qtbot.wait(300)  # a second POST, were there one, would have been sent by now
    assert sandbox.request_log.count("POST", "Calls.json") == posts_before + 1
    assert len(phone_rows(window)) == 1


def test_last_known_rooms_show_until_the_first_live_list(
    qtbot: QtBot, sandbox: SandboxServer, tmp_path: Path
) -> None:
    from moderator.core.room_cache import RoomCache

    def names(window: MainWindow) -> list[str]:
        model = window.rooms_model
        return [row.room.unique_name for r in range(model.rowCount()) if (row := model.room_at(r))]

    sandbox.world.create_room("standup")
    cache = RoomCache(tmp_path / "last-rooms.json")
    first = make_window(qtbot, sandbox, tmp_path, room_cache=cache, profile="work")
    qtbot.waitUntil(lambda: names(first) == ["standup"], timeout=WAIT_MS)
    first.close()  # remembers the rooms it saw
    assert [r.room.unique_name for r in cache.load("work")] == ["standup"]

    sandbox.world.create_room("retro")
    second = make_window(qtbot, sandbox, tmp_path, room_cache=cache, profile="work")
    # at once, before Twilio answered: the last known rooms, said to be updating
    assert names(second) == ["standup"]
    assert second.rooms_pane.title.text() == "Rooms — updating…"
    qtbot.waitUntil(lambda: sorted(names(second)) == ["retro", "standup"], timeout=WAIT_MS)
    assert second.rooms_pane.title.text() == "Rooms"
