"""The roster pane: everyone in the selected room, phone guests and app participants alike."""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QModelIndex, QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from moderator.core.roster import RosterRow
from moderator.ui.actions import Actions
from moderator.ui.models.roster_model import RosterColumn, RosterModel
from moderator.ui.panes.empty_state import EmptyStateOverlay
from moderator.ui.panes.pane_widgets import (
    ElidingLabel,
    action_button,
    popup_context_menu,
    row_table_view,
)

NO_ROOM_TEXT = "Select a room to see who is in it."
EMPTY_ROOM_TEXT = "No one here yet — dial a phone guest (Ctrl+D)."
#: How wide a first layout would like each text column (name, identity, status), in characters.
TEXT_COLUMN_CHARS = 16


class RosterPane(QWidget):
    """Table of the selected room's roster; emits `currentRowChanged` so actions can follow."""

    currentRowChanged = Signal()

    def __init__(self, model: RosterModel, actions: Actions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._actions = actions

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

        self.view = row_table_view(self, "Participants", model)
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
        self.view.setWordWrap(False)  # narrow columns elide; wrapped names were cut in half
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._show_context_menu)
        self.view.selectionModel().selectionChanged.connect(self._on_selection_changed)
        # Status changes (ringing → connected) change what Remove means: keep actions in step.
        model.dataChanged.connect(self._on_data_changed)
        model.rowsRemoved.connect(lambda *_: self._on_selection_changed())

        self._empty = EmptyStateOverlay(self.view, NO_ROOM_TEXT)
        self._empty.set_message(NO_ROOM_TEXT, force_visible=True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addLayout(buttons)
        layout.addWidget(self.mute_progress)
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
        if room_name is None:
            self.title.set_full_text("Participants")
            self._empty.set_message(NO_ROOM_TEXT, force_visible=True)
        else:
            self.title.set_full_text(f"Participants — {room_name}")
            self._empty.set_message(EMPTY_ROOM_TEXT, force_visible=None)

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
        return self._model.row_at(rows[0].row())

    def select_key(self, key: str) -> bool:
        """Select the row whose key is `key` (e.g. the guest just dialed)."""
        for row in range(self._model.rowCount()):
            candidate = self._model.row_at(row)
            if candidate is not None and candidate.key == key:
                self.view.selectRow(row)
                return True
        return False

    def _on_selection_changed(
        self, _selected: QItemSelection | None = None, _deselected: QItemSelection | None = None
    ) -> None:
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
