"""The pieces every pane builds the same way: its list view, its tool buttons, its context menu.

Sharing them keeps the panes alike for the host (same selection, same look, same keyboard and
screen-reader behaviour) and keeps each pane's file about what it shows.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QAbstractItemModel, QPoint, QSize, Qt
from PySide6.QtGui import QAction, QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QLabel, QMenu, QTableView, QToolButton, QWidget

#: What an eliding title keeps at least, in average characters: enough to tell panes apart.
TITLE_MIN_CHARS = 12


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


class ElidingLabel(QLabel):
    """A one-line label that ends in "…" when short of room, instead of widening its pane.

    A pane title that names a room would otherwise make the window as wide as the longest
    room name; the full text stays in the tooltip.
    """

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full_text = ""
        self.set_full_text(text)

    def full_text(self) -> str:
        """The text before eliding."""
        return self._full_text

    def set_full_text(self, text: str) -> None:
        """Show `text`, elided to the label's width."""
        self._full_text = text
        self.updateGeometry()
        self._elide()

    def sizeHint(self) -> QSize:
        """Wide enough for the whole text, so layouts give it room when they have some."""
        hint = super().sizeHint()
        margins = self.contentsMargins().left() + self.contentsMargins().right()
        width = self.fontMetrics().horizontalAdvance(self._full_text) + margins + 2
        return QSize(width, hint.height())

    def minimumSizeHint(self) -> QSize:
        """A few characters: the rest of the pane's header decides how narrow it may get."""
        hint = self.sizeHint()
        least = self.fontMetrics().averageCharWidth() * TITLE_MIN_CHARS
        return QSize(min(hint.width(), least), hint.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        room = self.contentsRect().width()
        shown = self.fontMetrics().elidedText(self._full_text, Qt.TextElideMode.ElideRight, room)
        self.setText(shown)
        self.setToolTip(self._full_text if shown != self._full_text else "")


def popup_context_menu(
    parent: QWidget, view: QTableView, pos: QPoint, fill: Callable[[QMenu], None]
) -> None:
    """Pop up a menu filled by `fill` at `pos` (viewport coordinates); it deletes itself."""
    menu = QMenu(parent)
    fill(menu)
    menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    menu.popup(view.viewport().mapToGlobal(pos))


__all__ = ["ElidingLabel", "action_button", "popup_context_menu", "row_table_view"]
