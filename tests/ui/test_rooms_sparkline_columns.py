"""The sparkline column in the rooms table's header: optional (hidden in a first layout), in the
columns menu, remembered, narrowed first when the pane is; a header saved before it existed
("roomsColumns" with twelve columns) still restores what the host chose there."""

from __future__ import annotations

import base64
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QWidget
from pytestqt.qtbot import QtBot

from moderator.core.settings import SettingsStore
from moderator.sandbox.server import SandboxServer
from moderator.ui.actions import Actions
from moderator.ui.main_window import MainWindow
from moderator.ui.models.rooms_model import OPTION_COLUMNS, SPARKLINE_TITLE, RoomColumn, RoomsModel
from moderator.ui.panes.rooms_pane import RoomsPane
from tests.ui.window_harness import WAIT_MS, make_window


def header_of(window: MainWindow) -> QHeaderView:
    return window.rooms_pane.view.horizontalHeader()


def hidden(window: MainWindow) -> set[int]:
    header = header_of(window)
    return {c for c in range(header.count()) if header.isSectionHidden(c)}


class TwelveColumnsModel(RoomsModel):
    """The rooms model as it was before the sparkline column."""

    headers = RoomsModel.headers[: RoomColumn.SPARKLINE]


def test_the_sparkline_column_is_in_the_menu_and_remembered(
    qtbot: QtBot, sandbox: SandboxServer, tmp_path: Path
) -> None:
    sandbox.world.create_room("alpha")
    first = make_window(qtbot, sandbox, tmp_path)
    qtbot.waitUntil(lambda: first.rooms_model.rowCount() == 1, timeout=WAIT_MS)
    menu = {a.text(): a for a in first.rooms_pane.column_menu().actions()}
    assert SPARKLINE_TITLE in menu
    # Shown at first sight (the room type gives way to it); the host may hide it.
    assert RoomColumn.SPARKLINE not in OPTION_COLUMNS
    assert RoomColumn.TYPE in OPTION_COLUMNS
    assert hidden(first) == set(OPTION_COLUMNS)
    assert menu[SPARKLINE_TITLE].isChecked()
    assert header_of(first).sectionSize(RoomColumn.SPARKLINE) > 0
    menu[SPARKLINE_TITLE].setChecked(False)  # the host hides it
    first.close()

    saved = SettingsStore(tmp_path / "settings.json").load()
    second = make_window(qtbot, sandbox, tmp_path, settings=saved, size=None)
    assert hidden(second) == set(OPTION_COLUMNS) | {RoomColumn.SPARKLINE}
    second.rooms_pane.set_column_shown(RoomColumn.SPARKLINE, True)
    second.close()

    saved = SettingsStore(tmp_path / "settings.json").load()
    third = make_window(qtbot, sandbox, tmp_path, settings=saved, size=None)
    assert hidden(third) == set(OPTION_COLUMNS)
    assert header_of(third).sectionSize(RoomColumn.SPARKLINE) > 0


def pane(qtbot: QtBot) -> tuple[QWidget, RoomsPane]:
    """A rooms pane in a window of its own (and the widget owning its model and actions)."""
    host = QWidget()
    qtbot.addWidget(host)
    rooms = RoomsPane(RoomsModel(host), Actions(host), host)
    rooms.setWindowFlag(Qt.WindowType.Window)
    return host, rooms


def test_the_sparklines_give_way_first_when_the_pane_narrows(qtbot: QtBot) -> None:
    _host, rooms = pane(qtbot)
    header = rooms.view.horizontalHeader()
    rooms.set_column_shown(RoomColumn.SPARKLINE, True)
    rooms.resize(rooms.preferred_width() + 200, 300)
    rooms.show()
    qtbot.waitUntil(lambda: header.sectionSize(RoomColumn.SPARKLINE) == rooms.sparkline_width())
    rooms.resize(rooms.minimumSizeHint().width(), 300)  # the least
    qtbot.waitUntil(lambda: header.sectionSize(RoomColumn.SPARKLINE) == header.minimumSectionSize())
    assert not rooms.view.horizontalScrollBar().isVisible()


def test_a_header_saved_before_the_sparkline_column_still_restores(
    qtbot: QtBot, sandbox: SandboxServer, tmp_path: Path
) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    old = RoomsPane(TwelveColumnsModel(host), Actions(host), host)
    old_header = old.view.horizontalHeader()
    assert old_header.count() == 12
    old.set_column_shown(RoomColumn.AUDIO_ONLY, True)
    old.set_column_shown(RoomColumn.AGE, False)
    old_header.setSortIndicator(RoomColumn.PARTICIPANTS, Qt.SortOrder.DescendingOrder)
    saved = SettingsStore(tmp_path / "settings.json").load()
    saved.ui_state["roomsColumns"] = base64.b64encode(bytes(old_header.saveState().data())).decode()

    window = make_window(qtbot, sandbox, tmp_path, settings=saved)
    header = header_of(window)
    # What the host chose is kept; the new column is as a first layout has it (hidden).
    assert hidden(window) == (set(OPTION_COLUMNS) - {RoomColumn.AUDIO_ONLY}) | {RoomColumn.AGE}
    assert header.sortIndicatorSection() == RoomColumn.PARTICIPANTS
    assert header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    visible = [c for c in range(header.count()) if not header.isSectionHidden(c)]
    assert header.length() == sum(header.sectionSize(c) for c in visible)  # painted in full
    assert header.visualIndex(RoomColumn.SPARKLINE) == RoomColumn.SPARKLINE  # appended
