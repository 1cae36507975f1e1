"""End to end: a SIP guest dialed through the real window against the sandbox. They show up
connected and masked to the PBX's host, Reveal shows the whole address, Remove hangs up, and a
redial asks for the password again; neither the password nor the user part reaches the event
log, the journal on disk, the settings or the log records."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QLineEdit, QPushButton, QTableView, QToolButton
from pytestqt.qtbot import QtBot

from moderator.core.guest_state import GuestStatus
from moderator.core.paths import config_dir, data_dir
from moderator.core.roster import GuestKind, RosterRow
from moderator.sandbox.clock import ManualClock
from moderator.ui.dialogs.dial_dialog import DialDialog
from moderator.ui.main_window import MainWindow
from moderator.ui.models.roster_model import RosterColumn
from moderator.ui.sandbox_runner import SandboxRunner
from tests.e2e.app_harness import log_lines, open_app_window, start_runner
from tests.ui.window_harness import (
    WAIT_MS,
    answer_message_box,
    by_name,
    click,
    wait_for_dialog,
)

URI = "sip:alice.smith@pbx.example.com"
MASKED = "sip:•••@pbx.example.com"
PASSWORD = "hunter2-digest"


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


def name_cell(window: MainWindow, key: str) -> str:
    model = window.roster_model
    return str(model.index(model.row_of(key), RosterColumn.NAME).data())


def test_a_sip_guest_is_dialed_shown_masked_revealed_removed_and_redialed(
    qtbot: QtBot,
    window: MainWindow,
    runner: SandboxRunner,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    clock = runner.server.clock
    assert isinstance(clock, ManualClock)
    rooms = by_name(window, QTableView, "Rooms")
    qtbot.mouseClick(
        rooms.viewport(),
        Qt.MouseButton.LeftButton,
        pos=rooms.visualRect(rooms.model().index(0, 0)).center(),
    )
    qtbot.waitUntil(lambda: len(window.roster_model.rows()) == 1, timeout=WAIT_MS)

    # Dial: the SIP form, a caller name, digest credentials typed for this dial.
    click(qtbot, by_name(window, QToolButton, "Dial phone guest"))
    dialog = wait_for_dialog(qtbot, DialDialog)
    qtbot.keyClicks(by_name(dialog, QLineEdit, "Phone number"), URI)
    qtbot.keyClicks(by_name(dialog, QLineEdit, "Caller name"), "town-hall")
    qtbot.keyClicks(by_name(dialog, QLineEdit, "SIP username"), "moderator")
    qtbot.keyClicks(by_name(dialog, QLineEdit, "SIP password"), PASSWORD)
    dial_button = by_name(dialog, QPushButton, "Dial")
    qtbot.waitUntil(dial_button.isEnabled, timeout=WAIT_MS)
    with qtbot.waitSignal(dialog.dialed, timeout=WAIT_MS) as dialed:
        click(qtbot, dial_button)
    key = str(dialed.args[0])
    qtbot.waitUntil(lambda: guest(window, key).call_sid is not None, timeout=WAIT_MS)
    call_sid = guest(window, key).call_sid
    assert call_sid is not None
    call = runner.server.world.call(call_sid)
    assert (call.to, call.from_, call.sip_auth_username) == (URI, "town-hall", "moderator")
    assert call.sip_auth_password_given

    # Rings, answers, joins: connected, and masked to the host.
    clock.advance(1.5)
    clock.advance(3.5)
    qtbot.waitUntil(lambda: guest(window, key).status is GuestStatus.CONNECTED, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.rooms_model.rows()[0].phone_count == 1, timeout=WAIT_MS)
    assert name_cell(window, key) == MASKED
    identity = guest(window, key).identity
    assert identity.startswith("phone-")

    # Reveal shows the whole address; again hides it.
    window.roster_pane.select_key(key)
    reveal = by_name(window, QToolButton, "Reveal number")
    qtbot.waitUntil(reveal.isEnabled, timeout=WAIT_MS)
    click(qtbot, reveal)
    assert name_cell(window, key) == URI
    click(qtbot, reveal)
    assert name_cell(window, key) == MASKED

    # Remove: hang up and leave the room.
    remove = by_name(window, QToolButton, "Remove participant")
    qtbot.waitUntil(remove.isEnabled, timeout=WAIT_MS)
    click(qtbot, remove)
    question = answer_message_box(qtbot, "Hang up & remove")
    assert "alice" not in question
    qtbot.waitUntil(
        lambda: runner.server.world.call(call_sid).status == "completed", timeout=WAIT_MS
    )
    qtbot.waitUntil(lambda: guest(window, key).status is GuestStatus.LEFT, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.rooms_model.rows()[0].phone_count == 0, timeout=WAIT_MS)

    # Redial: the password was not kept, so it is asked again, masked, before anything is sent.
    window.roster_pane.select_key(key)
    redial = by_name(window, QToolButton, "Redial")
    qtbot.waitUntil(redial.isEnabled, timeout=WAIT_MS)
    calls_before = len(runner.server.world.calls())
    click(qtbot, redial)
    ask = wait_for_dialog(qtbot, QInputDialog)
    assert MASKED in ask.labelText() and "alice" not in ask.labelText()
    field = by_name(ask, QLineEdit, "SIP password")
    assert field.echoMode() is QLineEdit.EchoMode.Password
    assert len(runner.server.world.calls()) == calls_before
    qtbot.keyClicks(field, PASSWORD)
    click(qtbot, next(b for b in ask.findChildren(QPushButton) if b.text() == "Redial"))
    qtbot.waitUntil(lambda: len(runner.server.world.calls()) == calls_before + 1, timeout=WAIT_MS)
    again = runner.server.world.calls()[-1]
    assert (again.to, again.sip_auth_username) == (URI, "moderator")
    assert again.sip_auth_password_given
    qtbot.waitUntil(
        lambda: any(
            r.identity == identity and r.status is GuestStatus.QUEUED and r.call_sid
            for r in window.roster_model.rows()
        ),
        timeout=WAIT_MS,
    )

    # Nothing on screen, on disk or in the log names the guest's user part or the password.
    shown = "\n".join(log_lines(window))
    assert MASKED in shown
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for text in (shown, logged, window.error_label.text()):
        assert "alice.smith" not in text and PASSWORD not in text
    # The journal (in memory on the sandbox) and its exports hold the masked address only.
    session = window.session
    assert session is not None and session.journal is not None
    journal = session.journal
    entries = journal.entries()
    assert entries and all(e.masked_number == MASKED for e in entries)
    journal.export_csv(tmp_path / "history.csv")
    journal.export_json(tmp_path / "history.json")
    written = [
        repr(entries),
        repr(journal.actions()),
        *(repr(journal.timeline(e.dial_id)) for e in entries),
        (tmp_path / "history.csv").read_text(encoding="utf-8"),
        (tmp_path / "history.json").read_text(encoding="utf-8"),
    ]
    assert MASKED in written[-1]
    window.close()  # settings saved
    files = [p for folder in (config_dir(), data_dir()) for p in folder.rglob("*") if p.is_file()]
    written += [p.read_text(encoding="utf-8", errors="replace") for p in files]
    for text in written:
        assert "alice.smith" not in text and PASSWORD not in text
