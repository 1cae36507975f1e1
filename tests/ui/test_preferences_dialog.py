"""Preferences…: opened from the File menu, saved on OK and applied to the running session at once;
Cancel changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QDoubleSpinBox,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
)
from pytestqt.qtbot import QtBot

from moderator.core.settings import (
    OTHER_ROOMS_REFRESH,
    ROOMS_REFRESH,
    SELECTED_ROOM_REFRESH,
)
from moderator.sandbox.server import SandboxServer
from moderator.ui.dialogs.dial_parts import region_choices
from moderator.ui.dialogs.preferences_dialog import PreferencesDialog
from moderator.ui.main_window import MainWindow
from moderator.ui.session import Session
from tests.ui.window_harness import FAST_POLLING, WAIT_MS, by_name, click, make_window


@pytest.fixture
def window(qtbot: QtBot, sandbox: SandboxServer, tmp_path: Path) -> MainWindow:
    sandbox.world.create_room("standup")
    window = make_window(qtbot, sandbox, tmp_path)
    qtbot.waitUntil(lambda: window.rooms_model.rowCount() == 1, timeout=WAIT_MS)
    return window


def session_of(window: MainWindow) -> Session:
    session = window.session
    assert session is not None
    return session


def open_preferences(qtbot: QtBot, window: MainWindow) -> PreferencesDialog:
    """File ▸ Preferences…, found in the menu bar as the host finds it."""
    [file_menu] = [
        a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "File"
    ]
    assert isinstance(file_menu, QMenu)
    [action] = [a for a in file_menu.actions() if a.text() == "&Preferences…"]
    assert QKeySequence("Ctrl+,") in action.shortcuts()
    action.trigger()
    qtbot.waitUntil(lambda: window.findChild(PreferencesDialog) is not None, timeout=WAIT_MS)
    dialog = window.findChild(PreferencesDialog)
    assert isinstance(dialog, PreferencesDialog)
    qtbot.waitExposed(dialog)
    return dialog


def button(dialog: PreferencesDialog, which: QDialogButtonBox.StandardButton) -> QPushButton:
    found = dialog.buttons.button(which)
    assert found is not None
    return found


def type_seconds(qtbot: QtBot, spin: QDoubleSpinBox, text: str) -> None:
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, text)
    qtbot.keyClick(spin, Qt.Key.Key_Tab)


def test_ok_saves_and_applies_live(window: MainWindow, qtbot: QtBot, tmp_path: Path) -> None:
    dialog = open_preferences(qtbot, window)
    rooms = by_name(dialog, QDoubleSpinBox, "Rooms refresh interval")
    selected = by_name(dialog, QDoubleSpinBox, "Selected room refresh interval")
    others = by_name(dialog, QDoubleSpinBox, "Other rooms refresh interval")
    country = by_name(dialog, QComboBox, "Default country")
    notifications = by_name(dialog, QCheckBox, "Desktop notifications")
    assert (rooms.value(), selected.value(), others.value()) == (3.0, 1.0, 15.0)
    assert country.currentData() == "US"
    assert notifications.isChecked()

    type_seconds(qtbot, rooms, "5")
    type_seconds(qtbot, selected, "2.5")
    type_seconds(qtbot, others, "30")
    country.setCurrentIndex(country.findData("GB"))
    click(qtbot, notifications)
    click(qtbot, button(dialog, QDialogButtonBox.StandardButton.Ok))

    saved = json.loads((tmp_path / "settings.json").read_text(encoding="utf-8"))
    assert saved["rooms_refresh_s"] == 5.0
    assert saved["selected_room_refresh_s"] == 2.5
    assert saved["other_rooms_refresh_s"] == 30.0
    assert saved["default_country"] == "GB"
    assert saved["notifications_enabled"] is False

    poll = session_of(window).settings
    assert (poll.rooms_interval_s, poll.selected_interval_s, poll.other_rooms_interval_s) == (
        5.0,
        2.5,
        30.0,
    )
    assert poll.live_call_interval_s == 2.5
    assert session_of(window).planner.settings is poll  # the planner plans with them
    assert poll.max_reads_per_s == FAST_POLLING.max_reads_per_s  # budgets untouched
    assert not window.commands.notifications.isChecked()  # View menu toggle in step
    assert not window.notifier.is_enabled()

    dial_dialog = window.open_dial_dialog()
    assert dial_dialog is not None
    assert dial_dialog.region() == "GB"  # numbers typed without + are now read as British
    dial_dialog.reject()


def test_cancel_changes_nothing(window: MainWindow, qtbot: QtBot, tmp_path: Path) -> None:
    before = session_of(window).settings
    dialog = open_preferences(qtbot, window)
    type_seconds(qtbot, by_name(dialog, QDoubleSpinBox, "Rooms refresh interval"), "60")
    click(qtbot, by_name(dialog, QCheckBox, "Desktop notifications"))
    click(qtbot, button(dialog, QDialogButtonBox.StandardButton.Cancel))
    assert not dialog.isVisible()
    assert not (tmp_path / "settings.json").exists()
    assert session_of(window).settings == before
    assert window.commands.notifications.isChecked()
    assert window.notifier.is_enabled()


def test_view_menu_toggle_shows_in_preferences(window: MainWindow, qtbot: QtBot) -> None:
    window.commands.notifications.trigger()  # View ▸ Desktop notifications: off
    dialog = open_preferences(qtbot, window)
    assert not by_name(dialog, QCheckBox, "Desktop notifications").isChecked()
    dialog.reject()


def test_ranges_are_the_settings_clamps_and_the_note_names_twilios_limit(
    window: MainWindow, qtbot: QtBot
) -> None:
    dialog = open_preferences(qtbot, window)
    for name, (_default, lowest, highest) in (
        ("Rooms refresh interval", ROOMS_REFRESH),
        ("Selected room refresh interval", SELECTED_ROOM_REFRESH),
        ("Other rooms refresh interval", OTHER_ROOMS_REFRESH),
    ):
        spin = by_name(dialog, QDoubleSpinBox, name)
        assert (spin.minimum(), spin.maximum()) == (lowest, highest)
    rooms = by_name(dialog, QDoubleSpinBox, "Rooms refresh interval")
    type_seconds(qtbot, rooms, "0.1")
    assert rooms.value() >= ROOMS_REFRESH[1]  # nothing below the floor can be entered
    notes = " ".join(label.text() for label in dialog.findChildren(QLabel))
    assert "80 reads per second" in notes

    click(qtbot, button(dialog, QDialogButtonBox.StandardButton.RestoreDefaults))
    assert rooms.value() == ROOMS_REFRESH[0]

    country = by_name(dialog, QComboBox, "Default country")
    assert [country.itemData(i) for i in range(country.count())] == [
        region for _text, region in region_choices()
    ]
    dialog.reject()


def test_cohost_name_and_sharing_apply_live(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    dialog = open_preferences(qtbot, window)
    sharing = by_name(dialog, QCheckBox, "Co-host sharing")
    name = by_name(dialog, QLineEdit, "Your name for co-hosts")
    assert sharing.isChecked() and name.isEnabled()
    name.selectAll()
    qtbot.keyClicks(name, "  Ana   B.  ")
    click(qtbot, button(dialog, QDialogButtonBox.StandardButton.Ok))
    saved = json.loads((tmp_path / "settings.json").read_text(encoding="utf-8"))
    assert saved["host_name"] == "Ana B." and saved["cohosting"] is True
    desk = session_of(window).cohosts
    assert desk is not None and desk.name == "Ana B."
    assert window.cohost_status.isVisible() and window.cohost_status.plain_text

    dialog = open_preferences(qtbot, window)
    sharing = by_name(dialog, QCheckBox, "Co-host sharing")
    click(qtbot, sharing)
    assert not by_name(dialog, QLineEdit, "Your name for co-hosts").isEnabled()
    click(qtbot, button(dialog, QDialogButtonBox.StandardButton.Ok))
    assert session_of(window).cohosts is None
    qtbot.waitUntil(lambda: not window.cohost_status.isVisible(), timeout=WAIT_MS)
    saved = json.loads((tmp_path / "settings.json").read_text(encoding="utf-8"))
    assert saved["cohosting"] is False and saved["host_name"] == "Ana B."
