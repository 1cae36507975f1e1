"""The pieces every pane builds the same way: its list view, its tool buttons, its context menu.

Sharing them keeps the panes alike for the host (same selection, same look, same keyboard and
screen-reader behaviour) and keeps each pane's file about what it shows.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QAbstractItemModel, QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractItemView, QMenu, QTableView, QToolButton, QWidget


def row_table_view(parent: QWidget, accessible_name: str, model: QAbstractItemModel) -> QTableView:
    """A read-only table that selects whole rows, with alternating colours and no row numbers."""
    view = QTableView(parent)
    view.setAccessibleName(accessible_name)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.verticalHeader().setVisible(False)
    return view


def action_button(parent: QWidget, action: QAction, accessible_name: str) -> QToolButton:
    """A tool button for `action`, its text beside its icon."""
    button = QToolButton(parent)
    button.setDefaultAction(action)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    button.setAccessibleName(accessible_name)
    return button


def popup_context_menu(
    parent: QWidget, view: QTableView, pos: QPoint, fill: Callable[[QMenu], None]
) -> None:
    """Pop up a menu filled by `fill` at `pos` (viewport coordinates); it deletes itself."""
    menu = QMenu(parent)
    fill(menu)
    menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    menu.popup(view.viewport().mapToGlobal(pos))


__all__ = ["action_button", "popup_context_menu", "row_table_view"]
