"""The roster pane: everyone in the selected room (or in every room), phone guests and app
participants alike, narrowed by "Filter participants".

The table shows the model through a `RosterFilterModel`, so every row index the pane hands out
is mapped back to the model's: a command always acts on the row the host sees selected.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QModelIndex, QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from moderator.core.roster import RosterRow
from moderator.ui.actions import Actions
from moderator.ui.models.filter_proxies import RosterFilterModel
from moderator.ui.models.roster_model import RosterColumn, RosterModel
from moderator.ui.panes.empty_state import EmptyStateOverlay
from moderator.ui.panes.filter_box import FilterBox
from moderator.ui.panes.pane_widgets import (
    ElidingLabel,
    action_button,
    popup_context_menu,
    row_table_view,
)

NO_ROOM_TEXT = "Select a room to see who is in it."
EMPTY_ROOM_TEXT = "No one here yet — dial a phone guest (Ctrl+D)."
NO_ONE_TEXT = "No one is in any room yet."
#: The scope selector's entries, in order: index 1 is "All rooms".
SCOPE_TEXTS = ("This room", "All rooms")
ALL_ROOMS_TITLE = "Participants — All rooms"


def no_match_text(text: str) -> str:
    """The empty state of a filter that matches no one."""
    return f"No participant matches “{text}”"


#: How wide a first layout would like each text column (name, identity, status), in characters.
TEXT_COLUMN_CHARS = 16


class RosterPane(QWidget):
    """Table of the selected room's roster; emits `currentRowChanged` so actions can follow.

    `scoped` shows the "Roster scope" selector (the main window's pane; a room window's is
    always one room), whose choice is announced by `scopeChanged(all_rooms)`.
    """

    currentRowChanged = Signal()
    scopeChanged = Signal(bool)  # True: All rooms

    def __init__(
        self,
        model: RosterModel,
        actions: Actions,
        parent: QWidget | None = None,
        *,
        scoped: bool = True,
    ) -> None:
        super().__init__(parent)
        self._model = model
        self._actions = actions
        self._room_name: str | None = None
        self._all_rooms = False
        self.proxy = RosterFilterModel(model, self)

        self.scope = QComboBox(self)
        self.scope.setAccessibleName("Roster scope")
        self.scope.setToolTip("Show the selected room's participants, or everyone in every room")
        self.scope.addItems(list(SCOPE_TEXTS))
        self.scope.setVisible(scoped)
        self.scope.currentIndexChanged.connect(lambda index: self.set_all_rooms(index == 1))
        self.filter_box = FilterBox("Filter participants", self)
        self.filter_box.setToolTip(
            "Name, label, identity, room, or a phone number's last digits; Escape clears"
        )
        self.filter_box.textChanged.connect(self.proxy.set_filter_text)
        self.proxy.filterChanged.connect(lambda _text: self._update_empty())

        self.title = ElidingLabel("Participants", self)
        self.title.setObjectName("paneTitle")
        self.dial_button = action_button(self, actions.dial, "Dial phone guest")
        self.redial_button = action_button(self, actions.redial, "Redial")
        self.remove_button = action_button(self, actions.remove, "Remove participant")
        self.reveal_button = action_button(self, actions.reveal, "Reveal number")
        self.mute_button = action_button(self, actions.mute, "Mute for everyone")
        self.unmute_button = action_button(self, actions.unmute, "Unmute")
        for button in (self.mute_button, self.unmute_button):
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)  # the pane is narrow
        # Rules being written (a mute in a big room takes seconds): a line of its own.
        self.mute_progress = QProgressBar(self)
        self.mute_progress.setAccessibleName("Mute progress")
        self.mute_progress.setTextVisible(True)
        self.mute_progress.setVisible(False)
        # Reveal (a view toggle) and the mute commands (icons, their names in tooltips and
        # accessible names) sit by the title, the call commands get a row of their own:
        # neither row has to share its width with the other, so the pane stays narrow.
        # REC: the selected room records (read back from Twilio's rules), by its name.
        self.rec_label = QLabel("● REC", self)
        self.rec_label.setObjectName("recIndicator")
        self.rec_label.setAccessibleName("Recording")
        self.rec_label.setToolTip("This room is being recorded")
        self.rec_label.setStyleSheet("color: #d32f2f; font-weight: bold;")
        self.rec_label.setVisible(False)
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.rec_label)
        header.addWidget(self.mute_button)
        header.addWidget(self.unmute_button)
        header.addWidget(self.reveal_button)
        buttons = QHBoxLayout()
        for button in (self.dial_button, self.redial_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)

        # Connected before the view exists, so it runs before the view reacts to a removal: a
        # selected row that leaves (or is filtered out) must not hand the selection to its
        # neighbour, where the next Delete would land.
        self._selection_lost = False
        self.proxy.rowsAboutToBeRemoved.connect(self._on_rows_about_to_be_removed)
        self.view = row_table_view(self, "Participants", self.proxy)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        horizontal = self.view.horizontalHeader()
        # Text columns share the width; short ones keep theirs: no sideways scrolling at any size.
        horizontal.setStretchLastSection(False)
        horizontal.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        horizontal.setMinimumSectionSize(40)
        for column in (RosterColumn.NAME, RosterColumn.IDENTITY, RosterColumn.STATUS):
            horizontal.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        horizontal.resizeSection(RosterColumn.KIND, 44)
        horizontal.resizeSection(RosterColumn.CONNECTED_FOR, 120)
        horizontal.resizeSection(RosterColumn.TRACKS, 105)
        horizontal.resizeSection(RosterColumn.MUTED, 90)
        horizontal.resizeSection(RosterColumn.ROOM, 120)
        horizontal.setSectionHidden(RosterColumn.ROOM, True)  # All rooms shows it
        self.view.setWordWrap(False)  # narrow columns elide; wrapped names were cut in half
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._show_context_menu)
        self.view.selectionModel().selectionChanged.connect(self._on_selection_changed)
        # Status changes (ringing → connected) change what Remove means: keep actions in step.
        model.dataChanged.connect(self._on_data_changed)
        self.proxy.rowsRemoved.connect(self._after_rows_removed)

        self._empty = EmptyStateOverlay(self.view, NO_ROOM_TEXT)
        self._empty.set_message(NO_ROOM_TEXT, force_visible=True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addLayout(buttons)
        layout.addWidget(self.mute_progress)
        # The filter and the scope share a row: the header rows are as wide as the pane can be.
        narrowing = QHBoxLayout()
        narrowing.addWidget(self.filter_box, 1)
        narrowing.addWidget(self.scope)
        layout.addLayout(narrowing)
        layout.addWidget(self.view)

    def set_mute_progress(self, done: int, total: int) -> None:
        """Show "Writing subscribe rules: 12 of 49" while a mute batch runs (total 0 hides it)."""
        bar = self.mute_progress
        bar.setVisible(total > 0 and done < total)
        if total > 0:
            bar.setRange(0, total)
            bar.setValue(done)
            bar.setFormat(f"Writing subscribe rules: {done} of {total}")
            bar.setAccessibleDescription(bar.format())

    def set_room(self, room_name: str | None) -> None:
        """Show which room the roster is for, and the matching empty-state hint."""
        self._room_name = room_name
        self._update_title()
        self._update_empty()

    def all_rooms(self) -> bool:
        """Whether the scope is "All rooms"."""
        return self._all_rooms

    def set_all_rooms(self, all_rooms: bool) -> None:
        """Show everyone in every room (with the Room column), or the selected room's roster."""
        if self.scope.currentIndex() != int(all_rooms):
            self.scope.setCurrentIndex(int(all_rooms))  # comes back here through the signal
            return
        self.view.horizontalHeader().setSectionHidden(RosterColumn.ROOM, not all_rooms)
        if all_rooms == self._all_rooms:
            return
        self._all_rooms = all_rooms
        self._update_title()
        self._update_empty()
        self.scopeChanged.emit(all_rooms)

    def _update_title(self) -> None:
        if self._all_rooms:
            self.title.set_full_text(ALL_ROOMS_TITLE)
        elif self._room_name is None:
            self.title.set_full_text("Participants")
        else:
            self.title.set_full_text(f"Participants — {self._room_name}")

    def _update_empty(self) -> None:
        text = self.proxy.filter_text.strip()
        if text and (self._all_rooms or self._room_name is not None):
            self._empty.set_message(no_match_text(text), force_visible=None)
        elif self._all_rooms:
            self._empty.set_message(NO_ONE_TEXT, force_visible=None)
        elif self._room_name is None:
            self._empty.set_message(NO_ROOM_TEXT, force_visible=True)
        else:
            self._empty.set_message(EMPTY_ROOM_TEXT, force_visible=None)

    def empty_text(self) -> str:
        """The hint over the table, "" when rows hide it."""
        return self._empty.text() if self._empty.isVisibleTo(self.view) else ""

    def set_recording(self, recording: bool) -> None:
        """Show or hide REC by the title (the selected room records)."""
        self.rec_label.setVisible(recording)

    def preferred_width(self) -> int:
        """The table's width with its fixed columns as set and its text columns readable."""
        header = self.view.horizontalHeader()
        text = self.view.fontMetrics().averageCharWidth() * TEXT_COLUMN_CHARS
        columns = sum(
            text
            if header.sectionResizeMode(column) is QHeaderView.ResizeMode.Stretch
            else header.sectionSize(column)
            for column in range(header.count())
        )
        chrome = 2 * self.view.frameWidth() + self.view.verticalScrollBar().sizeHint().width()
        return columns + chrome

    def current_row(self) -> RosterRow | None:
        """The selected roster row (fresh from the model), if any."""
        rows = self.view.selectionModel().selectedRows()
        if not rows:
            return None
        return self._model.row_at(self.proxy.mapToSource(rows[0]).row())

    def select_key(self, key: str) -> bool:
        """Select the row whose key is `key`, or the phone guest whose dial id it is (the guest
        just dialed, whose key spans rooms in All rooms); False if it is filtered out."""
        for row in range(self._model.rowCount()):
            candidate = self._model.row_at(row)
            if candidate is not None and key in (candidate.key, candidate.dial_id):
                index = self.proxy.mapFromSource(self._model.index(row, 0))
                if not index.isValid():
                    return False
                self.view.selectRow(index.row())
                return True
        return False

    def _on_selection_changed(
        self, _selected: QItemSelection | None = None, _deselected: QItemSelection | None = None
    ) -> None:
        if not self._selection_lost:
            self.currentRowChanged.emit()

    def _on_rows_about_to_be_removed(self, _parent: QModelIndex, first: int, last: int) -> None:
        rows = self.view.selectionModel().selectedRows()
        if rows and first <= rows[0].row() <= last:
            self._selection_lost = True

    def _after_rows_removed(self) -> None:
        if self._selection_lost:
            self.view.selectionModel().clear()
            self._selection_lost = False
        self.currentRowChanged.emit()

    def _on_data_changed(self, top_left: QModelIndex, bottom_right: QModelIndex) -> None:
        # The model ticks "connected for" every second; only status changes matter here.
        if top_left.column() <= RosterColumn.STATUS <= bottom_right.column():
            self.currentRowChanged.emit()

    def _show_context_menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if index.isValid():
            self.view.selectRow(index.row())
        popup_context_menu(self, self.view, pos, self._actions.participant_context_menu)
