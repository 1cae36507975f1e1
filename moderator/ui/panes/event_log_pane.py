"""The event log pane: timestamped joins, leaves, call outcomes and errors, per room or all."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QModelIndex, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from moderator.ui.panes.empty_state import EmptyStateOverlay
from moderator.ui.panes.pane_widgets import row_table_view

THIS_ROOM = "This room"
ALL_ROOMS = "All rooms"


class EventLogPane(QWidget):
    """Shows the (filtered) event log; the scope box picks "This room" or "All rooms"."""

    scopeChanged = Signal(bool)  # True = all rooms

    def __init__(self, model: QAbstractItemModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel("Event log", self)
        title.setObjectName("paneTitle")
        self.scope = QComboBox(self)
        self.scope.setAccessibleName("Event log scope")
        self.scope.addItems([THIS_ROOM, ALL_ROOMS])
        self.scope.setToolTip("Show events for the selected room only, or for every room")
        self.scope.currentIndexChanged.connect(lambda i: self.scopeChanged.emit(i == 1))
        header = QHBoxLayout()
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(QLabel("Show:", self))
        header.addWidget(self.scope)

        self.view = row_table_view(self, "Event log", model)
        self.view.setWordWrap(False)
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.horizontalHeader().resizeSection(1, 160)
        self._follow_tail = True
        self.view.verticalScrollBar().valueChanged.connect(self._remember_tail)
        model.rowsInserted.connect(self._scroll_to_tail)
        EmptyStateOverlay(self.view, "Joins, leaves, call outcomes and errors appear here.")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.view)

    def set_all_rooms(self, all_rooms: bool) -> None:
        """Switch scope; no re-emit when it already matches, so menu and combo stay in step."""
        index = 1 if all_rooms else 0
        if self.scope.currentIndex() != index:
            self.scope.setCurrentIndex(index)

    def all_rooms(self) -> bool:
        """True when the log shows every room's events."""
        return self.scope.currentIndex() == 1

    def _remember_tail(self, value: int) -> None:
        self._follow_tail = value >= self.view.verticalScrollBar().maximum()

    def _scroll_to_tail(self, _parent: QModelIndex, _first: int, _last: int) -> None:
        # Follow new events only if the host has not scrolled up to read something.
        if self._follow_tail:
            self.view.scrollToBottom()
