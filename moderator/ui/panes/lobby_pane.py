"""The Lobby pane: who is on hold on a dial-in number, and the Admit / Decline buttons.

Admit brings the selected caller into the room their number is for; its menu offers the other
rooms in progress. The pane says plainly when nobody waits and how to let guests call in.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QAbstractItemModel, QItemSelection, QModelIndex, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QToolButton, QVBoxLayout, QWidget

from moderator.core.lobby import WaitingCaller
from moderator.ui.models.roles import ROW_ROLE
from moderator.ui.panes.empty_state import EmptyStateOverlay
from moderator.ui.panes.pane_widgets import ElidingLabel, row_table_view

EMPTY_TEXT = "Nobody is waiting. Callers to a dial-in number wait here until you admit them."
NO_DIAL_IN_TEXT = "No dial-in number is set up. Room → Set up dial-in… lets guests call in."


class LobbyPane(QWidget):
    """Shows the lobby model; emits what the host asked for, the window's controller acts."""

    admitRequested = Signal(str, object)  # call SID, room name (None: the caller's own room)
    declineRequested = Signal(str)  # call SID
    setUpRequested = Signal()

    def __init__(self, model: QAbstractItemModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lobbyPane")
        self.title = QLabel("Lobby", self)
        self.title.setObjectName("paneTitle")
        self.status = ElidingLabel("", self)
        self.status.setObjectName("lobbyStatus")
        self.status.setAccessibleName("Dial-in status")

        self.admit_button = QToolButton(self)
        self.admit_button.setText("Admit")
        self.admit_button.setAccessibleName("Admit caller")
        self.admit_button.setToolTip("Bring the selected caller into their room")
        self.admit_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.admit_menu = QMenu(self.admit_button)
        self.admit_menu.setAccessibleName("Admit into room")
        self.admit_button.setMenu(self.admit_menu)
        self.admit_button.clicked.connect(self._admit)
        self.decline_button = QToolButton(self)
        self.decline_button.setText("Decline")
        self.decline_button.setAccessibleName("Decline caller")
        self.decline_button.setToolTip("Tell the selected caller they cannot come in, then hang up")
        self.decline_button.clicked.connect(self._decline)
        self.set_up_button = QToolButton(self)
        self.set_up_button.setText("Set up dial-in…")
        self.set_up_button.setAccessibleName("Set up dial-in")
        self.set_up_button.clicked.connect(self.setUpRequested.emit)

        header = QHBoxLayout()
        header.addWidget(self.title)
        header.addStretch(1)
        header.addWidget(self.admit_button)
        header.addWidget(self.decline_button)
        header.addWidget(self.set_up_button)

        self.view = row_table_view(self, "Lobby", model)
        self.view.setWordWrap(False)
        header_view = self.view.horizontalHeader()
        header_view.setStretchLastSection(True)
        chars = self.fontMetrics().averageCharWidth()
        for column, width in ((0, 18), (1, 19), (2, 16)):  # caller, called, room; waiting stretches
            header_view.resizeSection(column, chars * width)
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)
        self.view.doubleClicked.connect(lambda _index: self._admit())
        model.rowsInserted.connect(self._select_first_if_none)
        model.rowsRemoved.connect(self._select_first_if_none)  # the next caller, after an admit
        self.empty = EmptyStateOverlay(self.view, NO_DIAL_IN_TEXT)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.status)
        layout.addWidget(self.view)
        self._rooms: list[str] = []
        self._update_buttons()

    # -- what the controller tells it -----------------------------------------------------------

    def set_dial_in_text(self, text: str, active: bool) -> None:
        """The line under the title (which numbers, for which rooms) and the empty-state hint."""
        self.status.set_full_text(text)
        self.status.setVisible(bool(text))
        self.empty.setText(EMPTY_TEXT if active else NO_DIAL_IN_TEXT)

    def set_rooms(self, names: Sequence[str]) -> None:
        """Rooms in progress, offered by Admit's menu."""
        if list(names) == self._rooms:
            return
        self._rooms = list(names)
        self.admit_menu.clear()
        for name in self._rooms:
            action = QAction(f"Admit into {name}", self.admit_menu)
            action.triggered.connect(lambda _checked=False, n=name: self._admit(n))
            self.admit_menu.addAction(action)

    def current_caller(self) -> WaitingCaller | None:
        index = self.view.currentIndex()
        if not index.isValid():
            return None
        caller = index.siblingAtColumn(0).data(ROW_ROLE)
        return caller if isinstance(caller, WaitingCaller) else None

    def select_caller(self, call_sid: str) -> bool:
        model = self.view.model()
        for row in range(model.rowCount()):
            caller = model.index(row, 0).data(ROW_ROLE)
            if isinstance(caller, WaitingCaller) and caller.call_sid == call_sid:
                self.view.selectRow(row)
                return True
        return False

    # -- internals ------------------------------------------------------------------------------

    def _admit(self, room_name: str | None = None) -> None:
        caller = self.current_caller()
        if caller is not None:
            self.admitRequested.emit(caller.call_sid, room_name)

    def _decline(self) -> None:
        caller = self.current_caller()
        if caller is not None:
            self.declineRequested.emit(caller.call_sid)

    def _select_first_if_none(self, _parent: QModelIndex, _first: int, _last: int) -> None:
        rows = self.view.model().rowCount()
        current = self.view.currentIndex()
        if rows and not self.view.selectionModel().hasSelection():
            self.view.selectRow(current.row() if current.isValid() else 0)
        self._update_buttons()

    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._update_buttons()

    def _update_buttons(self) -> None:
        has_caller = self.current_caller() is not None
        self.admit_button.setEnabled(has_caller)
        self.decline_button.setEnabled(has_caller)
        self.admit_menu.setEnabled(has_caller and bool(self._rooms))


__all__ = ["LobbyPane"]
