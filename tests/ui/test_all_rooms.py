"""Everyone in one view: the roster's "All rooms" scope, and the two filter boxes.

Through the real window on the in-process sandbox: two rooms with people in both, a phone guest
dialed into one, the scope chosen and the filters typed as a host would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QComboBox, QLineEdit, QPushButton, QTableView, QToolButton
from pytestqt.qtbot import QtBot

from moderator.core.roster import GuestKind, RosterRow
from moderator.sandbox.server import SandboxServer
from moderator.ui.main_window import MainWindow
from moderator.ui.models.filter_proxies import RoomsFilterModel, RosterFilterModel
from moderator.ui.models.roster_model import RosterColumn
from tests.ui.test_main_window import NUMBER_TYPED, open_dial_dialog, select_room
from tests.ui.window_harness import (
    WAIT_MS,
    activate,
    answer_message_box,
    by_name,
    click,
    make_window,
)

EVERYONE = {"alice", "bob", "carol"}


@pytest.fixture
def window(qtbot: QtBot, sandbox: SandboxServer, tmp_path: Path) -> MainWindow:
    """standup (alice, bob, and the phone guest Dana · ••• 2671) and retro (carol)."""
    sandbox.world.create_room("standup", max_participants=10)
    sandbox.world.join_app_participant("standup", "alice")
    sandbox.world.join_app_participant("standup", "bob")
    sandbox.world.create_room("retro")
    sandbox.world.join_app_participant("retro", "carol")
    window = make_window(qtbot, sandbox, tmp_path)
    qtbot.waitUntil(lambda: window.rooms_model.rowCount() == 2, timeout=WAIT_MS)
    select_room(qtbot, window, "standup")
    dialog = open_dial_dialog(qtbot, window)
    qtbot.keyClicks(by_name(dialog, QLineEdit, "Phone number"), NUMBER_TYPED)
    qtbot.keyClicks(by_name(dialog, QLineEdit, "Label"), "Dana")
    dial_button = by_name(dialog, QPushButton, "Dial")
    qtbot.waitUntil(dial_button.isEnabled, timeout=WAIT_MS)
    click(qtbot, dial_button)
    return window


def shown(window: MainWindow) -> list[RosterRow]:
    """The roster rows the table shows, top to bottom (through the filter)."""
    proxy = window.roster_pane.proxy
    rows = []
    for row in range(proxy.rowCount()):
        source = proxy.mapToSource(proxy.index(row, 0)).row()
        found = window.roster_model.row_at(source)
        assert found is not None
        rows.append(found)
    return rows


def app_names(window: MainWindow) -> set[str]:
    return {r.identity for r in shown(window) if r.kind is GuestKind.APP}


def all_rooms(qtbot: QtBot, window: MainWindow, everyone: set[str] = EVERYONE) -> None:
    """Pick "All rooms" in the roster scope and wait until everyone of both rooms shows."""
    scope = by_name(window, QComboBox, "Roster scope")
    scope.setCurrentIndex(scope.findText("All rooms"))
    qtbot.waitUntil(
        lambda: (
            app_names(window) == everyone and any(r.kind is GuestKind.PHONE for r in shown(window))
        ),
        timeout=WAIT_MS,
    )


def type_filter(qtbot: QtBot, box: QLineEdit, text: str) -> None:
    box.clear()
    qtbot.keyClicks(box, text)


def select_identity(qtbot: QtBot, window: MainWindow, identity: str) -> None:
    view = by_name(window, QTableView, "Participants")
    for row, candidate in enumerate(shown(window)):
        if candidate.identity == identity:
            rect = view.visualRect(view.model().index(row, RosterColumn.NAME))
            qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
            break
    current = window.roster_pane.current_row()
    assert current is not None and current.identity == identity


def test_all_rooms_shows_everyone_with_a_room_column_and_the_filter_narrows_it(
    window: MainWindow, qtbot: QtBot
) -> None:
    view = by_name(window, QTableView, "Participants")
    assert view.isColumnHidden(RosterColumn.ROOM)  # one room: no Room column
    all_rooms(qtbot, window)
    assert not view.isColumnHidden(RosterColumn.ROOM)
    assert window.roster_pane.title.full_text() == "Participants — All rooms"
    rooms = {r.identity: r.room_name for r in shown(window) if r.kind is GuestKind.APP}
    assert rooms == {"alice": "standup", "bob": "standup", "carol": "retro"}
    keys = [r.key for r in window.roster_model.rows()]
    assert len(keys) == len(set(keys))
    proxy = view.model()
    carol = next(i for i, r in enumerate(shown(window)) if r.identity == "carol")
    assert proxy.index(carol, RosterColumn.ROOM).data() == "retro"

    box = by_name(window, QLineEdit, "Filter participants")
    assert box.placeholderText() == "Filter participants"
    type_filter(qtbot, box, "2671")  # the masked number's last digits
    assert [(r.kind, r.label) for r in shown(window)] == [(GuestKind.PHONE, "Dana")]
    assert "2671" in shown(window)[0].name and "415" not in shown(window)[0].name
    type_filter(qtbot, box, "dana")  # the label
    assert [r.label for r in shown(window)] == ["Dana"]
    type_filter(qtbot, box, "RETRO")  # the room, any case
    assert [r.identity for r in shown(window)] == ["carol"]
    type_filter(qtbot, box, "4155")  # digits of the full number, which is not shown
    assert shown(window) == []
    assert window.roster_pane.empty_text() == "No participant matches “4155”"
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Escape)  # Escape clears
    assert box.text() == ""
    assert app_names(window) == EVERYONE

    scope = by_name(window, QComboBox, "Roster scope")
    scope.setCurrentIndex(scope.findText("This room"))
    qtbot.waitUntil(lambda: app_names(window) == {"alice", "bob"}, timeout=WAIT_MS)
    assert view.isColumnHidden(RosterColumn.ROOM)


def test_the_selection_stays_while_the_selected_row_still_matches(
    window: MainWindow, qtbot: QtBot
) -> None:
    all_rooms(qtbot, window)
    select_identity(qtbot, window, "bob")
    box = by_name(window, QLineEdit, "Filter participants")
    type_filter(qtbot, box, "b")
    assert {r.identity for r in shown(window)} >= {"bob"}
    current = window.roster_pane.current_row()
    assert current is not None and current.identity == "bob"
    type_filter(qtbot, box, "carol")  # bob no longer matches: nothing is selected
    assert window.roster_pane.current_row() is None
    assert not window.commands.remove.isEnabled()


def test_removing_a_row_of_another_room_acts_on_that_room(
    window: MainWindow, qtbot: QtBot, sandbox: SandboxServer
) -> None:
    all_rooms(qtbot, window)
    assert window.rooms_pane.selected_room() is not None  # standup stays selected
    select_identity(qtbot, window, "carol")
    qtbot.waitUntil(window.commands.remove.isEnabled, timeout=WAIT_MS)
    activate(qtbot, window)
    click(qtbot, by_name(window, QToolButton, "Remove participant"))
    text = answer_message_box(qtbot, "Remove")
    assert "“retro”" in text and "standup" not in text
    connected = lambda room: {  # noqa: E731
        p.identity for p in sandbox.world.participants(room) if p.status == "connected"
    }
    qtbot.waitUntil(lambda: connected("retro") == set(), timeout=WAIT_MS)
    assert connected("standup") >= {"alice", "bob"}
    qtbot.waitUntil(lambda: "carol" not in app_names(window), timeout=WAIT_MS)
    assert {"alice", "bob"} <= app_names(window)


def test_filter_rooms_narrows_the_rooms_table(window: MainWindow, qtbot: QtBot) -> None:
    rooms = by_name(window, QTableView, "Rooms")
    box = by_name(window, QLineEdit, "Filter rooms")
    assert box.placeholderText() == "Filter rooms"
    type_filter(qtbot, box, "RET")
    assert rooms.model().rowCount() == 1
    assert rooms.model().index(0, 0).data() == "retro"
    assert window.rooms_pane.selected_room() is None  # standup is filtered out
    type_filter(qtbot, box, "stand")
    assert [rooms.model().index(r, 0).data() for r in range(rooms.model().rowCount())] == [
        "standup"
    ]
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Escape)
    assert rooms.model().rowCount() == 2


def test_the_filter_proxies_pass_the_model_tester(
    window: MainWindow, qtbot: QtBot, qtmodeltester: Any
) -> None:
    all_rooms(qtbot, window)
    roster = window.roster_pane.proxy
    assert isinstance(roster, RosterFilterModel)
    roster.set_filter_text("standup")
    qtmodeltester.check(roster, force_py=True)
    rooms = by_name(window, QTableView, "Rooms").model()
    assert isinstance(rooms, RoomsFilterModel)
    rooms.set_filter_text("retro")
    qtmodeltester.check(rooms, force_py=True)
    assert not roster.index(0, 0, QModelIndex()).parent().isValid()


def test_a_guest_dialed_in_all_rooms_is_selected_at_once(window: MainWindow, qtbot: QtBot) -> None:
    all_rooms(qtbot, window)
    dialog = open_dial_dialog(qtbot, window)
    qtbot.keyClicks(by_name(dialog, QLineEdit, "Phone number"), "4155550177")
    dial_button = by_name(dialog, QPushButton, "Dial")
    qtbot.waitUntil(dial_button.isEnabled, timeout=WAIT_MS)
    click(qtbot, dial_button)
    current = window.roster_pane.current_row()  # the new row, before Twilio answered
    assert current is not None and current.kind is GuestKind.PHONE
    assert "0177" in current.name and current.room_name == "standup"


def test_mute_on_a_row_of_another_room_mutes_in_that_room(
    window: MainWindow, qtbot: QtBot, sandbox: SandboxServer
) -> None:
    sandbox.world.join_app_participant("retro", "dave")
    session = window.session
    assert session is not None
    retro = next(r.room.sid for r in window.rooms_model.rows() if r.room.unique_name == "retro")
    select_room(qtbot, window, "retro")  # its subscribe rules are read while it is selected
    qtbot.waitUntil(lambda: len(window.roster_model.rows()) == 2, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: session.mutes.synced(retro), timeout=WAIT_MS)
    select_room(qtbot, window, "standup")
    all_rooms(qtbot, window, EVERYONE | {"dave"})
    select_identity(qtbot, window, "carol")
    qtbot.waitUntil(window.commands.mute.isEnabled, timeout=WAIT_MS)
    window.commands.mute.trigger()
    qtbot.waitUntil(
        lambda: (view := session.mutes.views(retro).get("carol")) is not None and view.muted,
        timeout=WAIT_MS,
    )
    standup = window.rooms_pane.selected_sid()
    assert standup is not None and "carol" not in session.mutes.views(standup)
    view = window.roster_pane.view
    row = next(i for i, r in enumerate(shown(window)) if r.identity == "carol")
    qtbot.waitUntil(
        lambda: view.model().index(row, RosterColumn.MUTED).data() == "Muted", timeout=WAIT_MS
    )
