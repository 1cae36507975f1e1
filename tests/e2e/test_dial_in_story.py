"""End to end: a host sets up dial-in, callers wait in the Lobby, the host admits, declines and
sees hang-ups, then stops dial-in; auto-admit with an allow-list; a restart re-adopts an admitted
caller. The app as `main()` wires it, on the in-process sandbox whose clock the test drives.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QTableView,
    QToolButton,
)
from pytestqt.qtbot import QtBot

from moderator.core.guest_state import GuestStatus
from moderator.core.roster import GuestKind, RosterRow
from moderator.sandbox.world import World
from moderator.ui.dialogs.dial_in_dialog import DialInDialog
from moderator.ui.main_window import MainWindow
from moderator.ui.sandbox_runner import SandboxRunner
from tests.e2e.app_harness import log_lines, open_app_window, start_runner, until
from tests.ui.window_harness import WAIT_MS, answer_message_box, by_name, click, wait_for_dialog

CALLER = "+14155552671"
OTHER_CALLER = "+14155559999"
PREVIOUS_URL = "https://example.com/ivr"


@pytest.fixture
def runner(isolated_config_dir: Path) -> Iterator[SandboxRunner]:
    runner = start_runner()
    yield runner
    runner.stop()


def open_window(qtbot: QtBot, runner: SandboxRunner) -> MainWindow:
    window = open_app_window(qtbot, runner)
    assert window.session is not None
    window.session.dial_in.build_poll_s = 0.05
    return window


@pytest.fixture
def window(qtbot: QtBot, runner: SandboxRunner) -> Iterator[MainWindow]:
    window = open_window(qtbot, runner)
    yield window
    window.close()


def voice(world: World, number_sid: str) -> Any:
    return dataclasses.replace(world.number_voice(number_sid), updated_at=0.0)


def open_dial_in_dialog(qtbot: QtBot, window: MainWindow, number_sid: str) -> DialInDialog:
    window.commands.dial_in.trigger()
    dialog = wait_for_dialog(qtbot, DialInDialog)
    combo = by_name(dialog, QComboBox, "Dial-in number")
    qtbot.waitUntil(combo.isEnabled, timeout=WAIT_MS)
    for index in range(combo.count()):
        data = combo.itemData(index)
        if getattr(data, "sid", None) == number_sid:
            combo.setCurrentIndex(index)
            break
    else:
        raise AssertionError(f"{number_sid} is not offered")
    return dialog


def start_dial_in(
    qtbot: QtBot,
    window: MainWindow,
    runner: SandboxRunner,
    number_sid: str,
    *,
    allow_list: str | None = None,
) -> None:
    dialog = open_dial_in_dialog(qtbot, window, number_sid)
    room = by_name(dialog, QComboBox, "Dial-in room")
    room.setEditText("town-hall")
    if allow_list is not None:
        click(qtbot, by_name(dialog, QCheckBox, "Admit automatically"))
        click(qtbot, by_name(dialog, QRadioButton, "Admit only the allow-list"))
        qtbot.keyClicks(by_name(dialog, QPlainTextEdit, "Allow-list"), allow_list)
    click(qtbot, by_name(dialog, QPushButton, "Start dial-in"))
    until(qtbot, runner, lambda: window.lobby.dialog is None, step=0.5)


def lobby_rows(window: MainWindow) -> list[list[str]]:
    model = window.lobby_model
    return [
        [str(model.index(r, c).data()) for c in range(model.columnCount())]
        for r in range(model.rowCount())
    ]


def select_room(qtbot: QtBot, window: MainWindow) -> None:
    rooms = by_name(window, QTableView, "Rooms")
    qtbot.mouseClick(
        rooms.viewport(),
        Qt.MouseButton.LeftButton,
        pos=rooms.visualRect(rooms.model().index(0, 0)).center(),
    )


def phone_rows(window: MainWindow) -> list[RosterRow]:
    return [row for row in window.roster_model.rows() if row.kind is GuestKind.PHONE]


def call_in(qtbot: QtBot, window: MainWindow, runner: SandboxRunner, caller: str, to: str) -> str:
    """A caller dials the number; returns the call SID once they wait in the Lobby."""
    world = runner.server.world
    sid = world.place_inbound_call(caller, to)
    until(
        qtbot,
        runner,
        lambda: any(caller[-4:] in row[0] for row in lobby_rows(window)),
        step=0.25,
    )
    return sid


def test_lobby_admit_decline_hang_up_and_stop(
    qtbot: QtBot, window: MainWindow, runner: SandboxRunner
) -> None:
    world = runner.server.world
    number = world.incoming_numbers[0]
    world.set_number_voice(number.sid, voice_url=PREVIOUS_URL, voice_method="GET")
    before = voice(world, number.sid)
    select_room(qtbot, window)
    shown: list[tuple[str, str]] = []
    window.notifier.shown.connect(lambda title, text: shown.append((title, text)))

    start_dial_in(qtbot, window, runner, number.sid)
    lobby_url = world.number_voice(number.sid).voice_url
    assert lobby_url in world.deployed_urls()
    lobby = by_name(window, QTableView, "Lobby")
    assert lobby.isVisible()
    status = by_name(window, QLabel, "Dial-in status")
    assert "town-hall" in status.toolTip() + status.text()

    # A caller waits, masked, with the number they called.
    first = call_in(qtbot, window, runner, CALLER, number.phone_number)
    (row,) = lobby_rows(window)
    assert row[0] == "••• 2671" and row[2] == "town-hall"
    assert CALLER not in " ".join(row)
    qtbot.waitUntil(lambda: any("lobby" in title.lower() for title, _ in shown), timeout=WAIT_MS)

    # Admit: they join the room as the app's own identity and show as a phone guest.
    lobby.selectRow(0)
    click(qtbot, by_name(window, QToolButton, "Admit caller"))
    until(
        qtbot,
        runner,
        lambda: any(r.status is GuestStatus.CONNECTED for r in phone_rows(window)),
        step=0.5,
    )
    (guest,) = phone_rows(window)
    assert guest.called_in and guest.call_sid == first
    assert guest.name == "••• 2671" and guest.full_number == CALLER
    participant = world.participant_for_call(first)
    assert participant is not None and participant.identity == guest.identity
    assert guest.identity.startswith("phone-")
    assert lobby_rows(window) == []

    # Decline: a goodbye, then the call ends.
    second = call_in(qtbot, window, runner, OTHER_CALLER, number.phone_number)
    lobby.selectRow(0)
    click(qtbot, by_name(window, QToolButton, "Decline caller"))
    until(qtbot, runner, lambda: world.call(second).status == "completed", step=1.0)
    assert lobby_rows(window) == []
    assert world.participant_for_call(second) is None
    qtbot.waitUntil(
        lambda: any("Declined ••• 9999" in t for t in log_lines(window)), timeout=WAIT_MS
    )

    # A caller who hangs up leaves the lobby with how long they waited.
    third = call_in(qtbot, window, runner, OTHER_CALLER, number.phone_number)
    world.caller_hangs_up(third)
    qtbot.waitUntil(lambda: lobby_rows(window) == [], timeout=WAIT_MS)
    qtbot.waitUntil(
        lambda: any(
            "••• 9999 hung up after" in t and "in the lobby" in t for t in log_lines(window)
        ),
        timeout=WAIT_MS,
    )

    # Remove the admitted caller: their call is hung up.
    window.roster_pane.select_key(guest.key)
    window.commands.remove.trigger()
    answer_message_box(qtbot, "Hang up & remove")
    until(qtbot, runner, lambda: world.call(first).status == "completed", step=0.5)

    # Stop dial-in: the number answers exactly as it did before.
    dialog = open_dial_in_dialog(qtbot, window, number.sid)
    click(qtbot, by_name(dialog, QPushButton, "Stop dial-in"))
    message = by_name(dialog, QLabel, "Dial-in message")
    qtbot.waitUntil(lambda: "stopped" in message.text(), timeout=WAIT_MS)
    assert voice(world, number.sid) == before
    qtbot.waitUntil(lambda: not lobby.isVisible(), timeout=WAIT_MS)
    dialog.close()


def test_auto_admit_lets_in_only_the_allow_list(
    qtbot: QtBot, window: MainWindow, runner: SandboxRunner
) -> None:
    world = runner.server.world
    number = world.incoming_numbers[0]
    select_room(qtbot, window)
    start_dial_in(qtbot, window, runner, number.sid, allow_list="+1 415 555 2671 Ana")

    listed = world.place_inbound_call(CALLER, number.phone_number)
    unlisted = call_in(qtbot, window, runner, OTHER_CALLER, number.phone_number)
    until(qtbot, runner, lambda: world.participant_for_call(listed) is not None, step=0.5)
    # the row shows as soon as the admit starts; the call is the guest's once Twilio took it
    qtbot.waitUntil(lambda: [r.call_sid for r in phone_rows(window)] == [listed], timeout=WAIT_MS)
    (guest,) = phone_rows(window)
    assert guest.label == "Ana" and guest.call_sid == listed
    # the unlisted caller still waits for a host
    assert [row[0] for row in lobby_rows(window)] == ["••• 9999"]
    assert world.participant_for_call(unlisted) is None


def test_a_restart_re_adopts_an_admitted_caller(
    qtbot: QtBot, runner: SandboxRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moderator.core.journal import Journal

    # The sandbox profile's journal lives in memory; here it is a file, as a real profile's is.
    journal_path = tmp_path / "journal.sqlite3"
    monkeypatch.setattr(Journal, "in_memory", classmethod(lambda cls: cls(journal_path)))
    world = runner.server.world
    number = world.incoming_numbers[0]

    first = open_window(qtbot, runner)
    select_room(qtbot, first)
    start_dial_in(qtbot, first, runner, number.sid)
    call = call_in(qtbot, first, runner, CALLER, number.phone_number)
    by_name(first, QTableView, "Lobby").selectRow(0)
    click(qtbot, by_name(first, QToolButton, "Admit caller"))
    until(qtbot, runner, lambda: world.participant_for_call(call) is not None, step=0.5)
    first.close()

    second = open_window(qtbot, runner)
    select_room(qtbot, second)
    qtbot.waitUntil(lambda: len(phone_rows(second)) == 1, timeout=WAIT_MS)
    (guest,) = phone_rows(second)
    assert guest.call_sid == call and guest.called_in
    qtbot.waitUntil(lambda: phone_rows(second)[0].status is GuestStatus.CONNECTED, timeout=WAIT_MS)
    assert lobby_rows(second) == []  # an adopted caller never shows as waiting again
    second.close()
