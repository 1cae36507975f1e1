"""The command palette (Ctrl+K) in the real window: typed letters pick a command and run it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from moderator.sandbox.server import SandboxServer
from moderator.ui.command_palette import CommandPalette
from moderator.ui.dialogs.dial_dialog import DialDialog
from tests.ui.window_harness import (
    WAIT_MS,
    activate,
    by_name,
    make_window,
    top_level,
    wait_for_dialog,
)


def open_palette(qtbot: QtBot, window) -> CommandPalette:  # type: ignore[no-untyped-def]
    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    return wait_for_dialog(qtbot, CommandPalette)


def test_typing_picks_a_room_and_enter_goes_there(
    qtbot: QtBot, sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.world.create_room("alpha")
    beta = sandbox.world.create_room("beta")
    window = make_window(qtbot, sandbox, tmp_path)
    qtbot.waitUntil(lambda: window.rooms_model.rowCount() == 2, timeout=WAIT_MS)
    palette = open_palette(qtbot, window)
    search = by_name(palette, QLineEdit, "Command palette")
    qtbot.keyClicks(search, "go beta")
    assert palette.titles()[0] == "Go to room: beta"
    qtbot.keyClick(search, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: window.session is not None and window.session.selected_room == beta, timeout=WAIT_MS
    )
    assert top_level(CommandPalette) is None


def test_commands_are_listed_with_shortcuts_and_recent_first(
    qtbot: QtBot, sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.world.create_room("alpha")
    window = make_window(qtbot, sandbox, tmp_path)
    qtbot.waitUntil(lambda: window.rooms_model.rowCount() == 1, timeout=WAIT_MS)
    palette = open_palette(qtbot, window)
    assert any(t.startswith("Refresh now") and "F5" in t for t in palette.titles())
    qtbot.keyClicks(by_name(palette, QLineEdit, "Command palette"), "refr")
    assert palette.titles()[0].startswith("Refresh now")
    assert palette.run_current()
    palette = open_palette(qtbot, window)
    assert palette.titles()[0].startswith("Refresh now")  # the recent command comes first
    palette.close()


def test_dial_into_a_room_is_spelled_out(
    qtbot: QtBot, sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.world.create_room("alpha")
    window = make_window(qtbot, sandbox, tmp_path)
    qtbot.waitUntil(lambda: window.rooms_model.rowCount() == 1, timeout=WAIT_MS)
    palette = open_palette(qtbot, window)
    qtbot.keyClicks(
        by_name(palette, QLineEdit, "Command palette"), "dial +1 415 555 2671 into alpha"
    )
    assert palette.titles()[0] == "Dial +1 415 555 2671 into alpha"
    assert palette.run_current()
    dialog = wait_for_dialog(qtbot, DialDialog)
    assert "2671" in dialog.number_edit.text()
    dialog.close()


def test_find_a_participant_in_another_room(
    qtbot: QtBot, sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.world.create_room("alpha")
    beta = sandbox.world.create_room("beta")
    sandbox.world.join_app_participant("beta", "Zelda Quinn")
    window = make_window(qtbot, sandbox, tmp_path)
    session = window.session
    assert session is not None
    qtbot.waitUntil(
        lambda: any(r.identity == "Zelda Quinn" for r in session.roster(beta)), timeout=WAIT_MS
    )
    palette = open_palette(qtbot, window)
    qtbot.keyClicks(by_name(palette, QLineEdit, "Command palette"), "zelda")
    assert palette.titles()[0].startswith("Find participant: Zelda Quinn")
    assert palette.run_current()
    qtbot.waitUntil(lambda: session.selected_room == beta, timeout=WAIT_MS)
    qtbot.waitUntil(
        lambda: (
            (row := window.roster_pane.current_row()) is not None and row.identity == "Zelda Quinn"
        ),
        timeout=WAIT_MS,
    )


def test_the_status_bar_totals_every_room(
    qtbot: QtBot, sandbox: SandboxServer, tmp_path: Path
) -> None:
    from PySide6.QtWidgets import QLabel

    sandbox.world.create_room("alpha")
    sandbox.world.create_room("beta")
    for name in ("a1", "a2"):
        sandbox.world.join_app_participant("alpha", name)
    sandbox.world.join_app_participant("beta", "b1")
    window = make_window(qtbot, sandbox, tmp_path)
    label = by_name(window, QLabel, "Account totals")
    qtbot.waitUntil(lambda: label.text().startswith("2 rooms · 3 participants"), timeout=WAIT_MS)
    assert "0 by phone · 0 live calls" in label.text()


def test_enter_on_an_empty_palette_ends_nothing(
    qtbot: QtBot, sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.world.create_room("alpha")
    window = make_window(qtbot, sandbox, tmp_path)
    qtbot.waitUntil(lambda: window.rooms_pane.selected_sid() is not None, timeout=WAIT_MS)
    palette = open_palette(qtbot, window)
    commands = [t for t in palette.titles() if not t.startswith(("Go to", "Find"))]
    enders = [i for i, t in enumerate(commands) if t.startswith(("Quit", "End room"))]
    assert len(enders) == 2 and enders == [len(commands) - 2, len(commands) - 1]
    palette.close()


def test_dial_into_a_room_named_by_its_first_letters(
    qtbot: QtBot, sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.world.create_room("alpha")
    sandbox.world.create_room("town-hall")
    window = make_window(qtbot, sandbox, tmp_path)
    qtbot.waitUntil(lambda: window.rooms_model.rowCount() == 2, timeout=WAIT_MS)
    palette = open_palette(qtbot, window)
    search = by_name(palette, QLineEdit, "Command palette")
    qtbot.keyClicks(search, "dial +1 415 555 2671 into town")
    assert palette.titles()[0] == "Dial +1 415 555 2671 into town-hall"
    search.clear()
    qtbot.keyClicks(search, "dial +1 415 555 2671 into nowhere")
    assert not any(t.startswith("Dial +1") for t in palette.titles())  # never the wrong room
    palette.close()
