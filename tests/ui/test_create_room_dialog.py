"""The Create room dialog validates the name live and sizes the cap to the room type."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from moderator.core.identity import validate_room_name
from moderator.core.models import RoomType
from moderator.ui.dialogs.create_room_dialog import CreateRoomDialog, NewRoom


def make_dialog(qtbot: QtBot, existing: set[str] | None = None) -> CreateRoomDialog:
    dialog = CreateRoomDialog(
        existing_names=existing or {"standup"}, validate_name=validate_room_name
    )
    qtbot.addWidget(dialog)
    return dialog


def test_create_disabled_until_a_valid_unique_name(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    assert not dialog.create_button.isEnabled()
    assert dialog.name_error.text() == ""  # no scolding before typing

    qtbot.keyClicks(dialog.name_edit, "standup")
    assert not dialog.create_button.isEnabled()
    assert "already in progress" in dialog.name_error.text()

    qtbot.keyClicks(dialog.name_edit, "-2")
    assert dialog.create_button.isEnabled()
    assert dialog.name_error.text() == ""


def test_bad_names_explain_themselves(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    dialog.name_edit.setText("x" * 129)
    assert not dialog.create_button.isEnabled()
    assert "128" in dialog.name_error.text()
    dialog.name_edit.setText("bad\u202ename")
    assert "control" in dialog.name_error.text()
    dialog.name_edit.setText(" padded")
    assert not dialog.create_button.isEnabled()


def test_type_sets_cap_and_phone_note(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    assert dialog.room_type() is RoomType.GROUP
    assert dialog.max_spin.maximum() == 50
    assert "Phone guests can join" in dialog.type_note.text()

    dialog.type_combo.setCurrentIndex(dialog.type_combo.findData(RoomType.PEER_TO_PEER))
    assert dialog.max_spin.maximum() == 10
    assert "cannot take phone guests" in dialog.type_note.text()

    dialog.type_combo.setCurrentIndex(dialog.type_combo.findData(RoomType.GROUP_SMALL))
    assert dialog.max_spin.maximum() == 4
    assert "only group rooms" in dialog.type_note.text()


def test_accept_returns_the_new_room(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    dialog.show()
    qtbot.keyClicks(dialog.name_edit, "design-review")
    dialog.max_spin.setValue(12)
    with qtbot.waitSignal(dialog.accepted):
        qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert dialog.new_room() == NewRoom("design-review", RoomType.GROUP, 12)
