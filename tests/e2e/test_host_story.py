"""End to end: the app as `main()` wires it (profile switcher, notifier, in-process sandbox runner),
driven through its widgets while the sandbox's clock decides when phones ring and answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit, QPushButton, QTableView, QToolButton
from pytestqt.qtbot import QtBot

from moderator.core.guest_state import GuestStatus
from moderator.core.roster import GuestKind, RosterRow
from moderator.sandbox.clock import ManualClock
from moderator.ui.dialogs.dial_dialog import DialDialog
from moderator.ui.main_window import MainWindow
from moderator.ui.sandbox_runner import SandboxRunner
from tests.e2e.app_harness import log_lines, open_app_window, start_runner
from tests.ui.window_harness import WAIT_MS, by_name, click, wait_for_dialog


@pytest.fixture
def runner(isolated_config_dir: Path) -> Iterator[SandboxRunner]:
    runner = start_runner()
    yield runner
    runner.stop()


@pytest.fixture
def window(qtbot: QtBot, runner: SandboxRunner) -> Iterator[MainWindow]:
    window = open_app_window(qtbot, runner)
    yield window
    window.close()


def guest(window: MainWindow, key: str) -> RosterRow:
    row = window.roster_model.object_for(key)
    assert row is not None and row.kind is GuestKind.PHONE
    return row


def dial(qtbot: QtBot, window: MainWindow, number: str) -> str:
    click(qtbot, by_name(window, QToolButton, "Dial phone guest"))
    dialog = wait_for_dialog(qtbot, DialDialog)
    caller_ids = by_name(dialog, QComboBox, "Caller ID")
    qtbot.waitUntil(lambda: caller_ids.count() >= 1, timeout=WAIT_MS)  # may arrive after opening
    qtbot.keyClicks(by_name(dialog, QLineEdit, "Phone number"), number)
    dial_button = by_name(dialog, QPushButton, "Dial")
    qtbot.waitUntil(dial_button.isEnabled, timeout=WAIT_MS)
    with qtbot.waitSignal(dialog.dialed) as dialed:
        click(qtbot, dial_button)
    key = str(dialed.args[0])
    qtbot.waitUntil(lambda: guest(window, key).call_sid is not None, timeout=WAIT_MS)
    return key


def dial_refused(qtbot: QtBot, window: MainWindow, number: str) -> str:
    click(qtbot, by_name(window, QToolButton, "Dial phone guest"))
    dialog = wait_for_dialog(qtbot, DialDialog)
    qtbot.keyClicks(by_name(dialog, QLineEdit, "Phone number"), number)
    dial_button = by_name(dialog, QPushButton, "Dial")
    qtbot.waitUntil(dial_button.isEnabled, timeout=WAIT_MS)
    with qtbot.waitSignal(dialog.dialed) as dialed:
        click(qtbot, dial_button)
    return str(dialed.args[0])


def test_busy_cancel_redial_join(qtbot: QtBot, window: MainWindow, runner: SandboxRunner) -> None:
    clock = runner.server.clock
    assert isinstance(clock, ManualClock)
    rooms = by_name(window, QTableView, "Rooms")
    qtbot.mouseClick(
        rooms.viewport(),
        Qt.MouseButton.LeftButton,
        pos=rooms.visualRect(rooms.model().index(0, 0)).center(),
    )
    qtbot.waitUntil(lambda: len(window.roster_model.rows()) == 1, timeout=WAIT_MS)
    shown: list[tuple[str, str]] = []
    window.notifier.shown.connect(lambda title, text: shown.append((title, text)))

    # A busy line: the row says so and the event log records it.
    busy = dial(qtbot, window, "(415) 555-1111")
    clock.advance(1.5)
    qtbot.waitUntil(lambda: guest(window, busy).status is GuestStatus.BUSY, timeout=WAIT_MS)
    assert "Busy" in guest(window, busy).status_text
    assert guest(window, busy).can_redial
    qtbot.waitUntil(lambda: any("busy" in t.lower() for t in log_lines(window)), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: any("busy" in text for _, text in shown), timeout=WAIT_MS)

    # A number Twilio refuses: the row, the status bar and a desktop notification say so.
    refused = dial_refused(qtbot, window, "+1 500-555-0003")
    qtbot.waitUntil(lambda: guest(window, refused).status is GuestStatus.REJECTED, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: any("Dial failed" in t for t, _ in shown), timeout=WAIT_MS)
    assert "0003" in window.error_label.text()

    # Ringing: Remove becomes "Cancel call" and needs no confirmation.
    ringing = dial(qtbot, window, "(415) 555-2671")
    clock.advance(1.5)
    qtbot.waitUntil(lambda: guest(window, ringing).status is GuestStatus.RINGING, timeout=WAIT_MS)
    window.roster_pane.select_key(ringing)
    remove = by_name(window, QToolButton, "Remove participant")
    qtbot.waitUntil(lambda: remove.text() == "Cancel call", timeout=WAIT_MS)
    click(qtbot, remove)
    qtbot.waitUntil(lambda: guest(window, ringing).status is GuestStatus.CANCELED, timeout=WAIT_MS)
    call_sid = guest(window, ringing).call_sid
    assert call_sid is not None
    assert runner.server.world.call(call_sid).status == "canceled"

    # Redial the canceled guest: a new call, same identity, and this time it joins.
    window.roster_pane.select_key(ringing)
    redial = by_name(window, QToolButton, "Redial")
    qtbot.waitUntil(redial.isEnabled, timeout=WAIT_MS)
    identity = guest(window, ringing).identity
    click(qtbot, redial)
    qtbot.waitUntil(
        lambda: any(
            r.identity == identity and r.status is GuestStatus.QUEUED and r.call_sid
            for r in window.roster_model.rows()
        ),
        timeout=WAIT_MS,
    )
    clock.advance(1.5)
    clock.advance(3.5)
    qtbot.waitUntil(
        lambda: any(
            r.identity == identity and r.status is GuestStatus.CONNECTED
            for r in window.roster_model.rows()
        ),
        timeout=WAIT_MS,
    )
    qtbot.waitUntil(lambda: window.rooms_model.rows()[0].phone_count == 1, timeout=WAIT_MS)
