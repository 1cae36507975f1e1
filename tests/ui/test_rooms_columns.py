"""The rooms table's optional columns (REC and the room options): hidden at first, shown from
the header's context menu, and remembered across restarts; a layout saved before they existed
does not show them all."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from moderator.core.settings import SettingsStore
from moderator.sandbox.server import SandboxServer
from moderator.ui.main_window import MainWindow
from moderator.ui.models.rooms_model import OPTION_COLUMNS, RoomColumn
from tests.ui.window_harness import WAIT_MS, make_window


def hidden(window: MainWindow) -> set[int]:
    header = window.rooms_pane.view.horizontalHeader()
    return {c for c in range(header.count()) if header.isSectionHidden(c)}


def test_option_columns_start_hidden_and_come_back_as_the_host_left_them(
    qtbot: QtBot, sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.world.create_room("alpha")
    first = make_window(qtbot, sandbox, tmp_path)
    qtbot.waitUntil(lambda: first.rooms_model.rowCount() == 1, timeout=WAIT_MS)
    assert hidden(first) == set(OPTION_COLUMNS)
    titles = [a.text() for a in first.rooms_pane.column_menu().actions()]
    assert "Room" not in titles and "Audio only" in titles and "Rec" in titles
    first.rooms_pane.set_column_shown(RoomColumn.AUDIO_ONLY, True)
    first.close()

    saved = SettingsStore(tmp_path / "settings.json").load()
    second = make_window(qtbot, sandbox, tmp_path, settings=saved, size=None)
    assert hidden(second) == set(OPTION_COLUMNS) - {RoomColumn.AUDIO_ONLY}
    second.close()


def test_a_layout_saved_before_the_option_columns_leaves_them_hidden(
    qtbot: QtBot, sandbox: SandboxServer, tmp_path: Path
) -> None:
    from PySide6.QtGui import QStandardItemModel
    from PySide6.QtWidgets import QTableView

    old = QTableView()
    old.setModel(QStandardItemModel(0, 5, old))
    saved = SettingsStore(tmp_path / "settings.json").load()
    saved.ui_state["roomsHeader"] = bytes(old.horizontalHeader().saveState().toBase64()).decode()
    window = make_window(qtbot, sandbox, tmp_path, settings=saved)
    assert hidden(window) == set(OPTION_COLUMNS)
