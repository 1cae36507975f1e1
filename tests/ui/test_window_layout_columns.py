"""A header saved before a column was added (the roster's Muted) is not restored half-way."""

from __future__ import annotations

import base64

from PySide6.QtCore import QSize
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QMainWindow, QTableView
from pytestqt.qtbot import QtBot

from moderator.core.settings import Settings
from moderator.ui.window_layout import WindowLayout


def table(qtbot: QtBot, columns: int) -> tuple[QMainWindow, QTableView]:
    window = QMainWindow()
    qtbot.addWidget(window)
    view = QTableView(window)
    view.setModel(QStandardItemModel(3, columns, view))
    window.setCentralWidget(view)
    for column in range(columns):
        view.horizontalHeader().resizeSection(column, 90)
    return window, view


def test_an_older_header_with_fewer_columns_gives_way_to_the_default(qtbot: QtBot) -> None:
    _, old_view = table(qtbot, 6)
    old_view.horizontalHeader().resizeSection(1, 150)
    saved = base64.b64encode(bytes(old_view.horizontalHeader().saveState().data())).decode()
    window, view = table(qtbot, 7)
    header = view.horizontalHeader()
    settings = Settings()
    settings.ui_state["header"] = saved
    WindowLayout(window, [], {"header": header}).restore(settings, lambda _size: None, QSize())
    assert header.length() == sum(header.sectionSize(i) for i in range(7))
    assert header.sectionSize(6) == 90


def test_a_header_with_the_same_columns_is_restored(qtbot: QtBot) -> None:
    _, old_view = table(qtbot, 7)
    old_view.horizontalHeader().resizeSection(1, 150)
    saved = base64.b64encode(bytes(old_view.horizontalHeader().saveState().data())).decode()
    window, view = table(qtbot, 7)
    settings = Settings()
    settings.ui_state["header"] = saved
    header = view.horizontalHeader()
    WindowLayout(window, [], {"header": header}).restore(settings, lambda _size: None, QSize())
    assert header.sectionSize(1) == 150
