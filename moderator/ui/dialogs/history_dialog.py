"""Call history: every dial the journal holds, and the selected guest's timeline, exportable.

A window of its own (not modal) so the host can keep it open beside the roster while calls go on;
it re-reads the journal when the session reports call events. Reads are local SQLite on the GUI
thread (small and fast): one query for the list, one for the selected guest's timeline. The
journal holds masked numbers only, so nothing here can show a guest's full number.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QItemSelection, QStandardPaths, Qt, Slot
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from moderator.core.dial_history import describe_timeline, summarize
from moderator.core.guest_state import GuestEvent, utcnow
from moderator.core.journal import Journal, JournalError
from moderator.ui.models.history_model import (
    HistoryColumn,
    HistoryModel,
    TimelineColumn,
    TimelineModel,
)
from moderator.ui.panes.empty_state import EmptyStateOverlay
from moderator.ui.panes.pane_widgets import row_table_view

THIS_ROOM = "room"
ALL_ROOMS = "all"

NO_DIALS_TEXT = "No phone guests dialed yet."
NO_SELECTION_TEXT = "Select a dial to see its timeline."


class HistoryDialog(QDialog):
    """Lists the journal's dials for one room or all, with the selected dial's timeline."""

    def __init__(
        self,
        journal: Journal,
        *,
        clock: Callable[[], datetime] = utcnow,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Call history")
        self.setAccessibleName("Call history")
        self.setObjectName("callHistory")
        self.setModal(False)
        self.setSizeGripEnabled(True)
        self.resize(960, 560)
        self._journal = journal
        self._clock = clock
        self._room_sid: str | None = None
        self._room_name = ""

        self.history_model = HistoryModel(self)
        self.timeline_model = TimelineModel(self)

        self.scope_combo = QComboBox(self)
        self.scope_combo.setAccessibleName("History scope")
        self.scope_combo.addItem("This room", THIS_ROOM)
        self.scope_combo.addItem("All rooms", ALL_ROOMS)
        scope_label = QLabel("&Show:", self)
        scope_label.setBuddy(self.scope_combo)
        top = QHBoxLayout()
        top.addWidget(scope_label)
        top.addWidget(self.scope_combo)
        top.addStretch(1)

        self.dials_view = row_table_view(self, "Dials", self.history_model)
        self.dials_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        dials_header = self.dials_view.horizontalHeader()
        dials_header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        dials_header.setStretchLastSection(True)
        dials_header.resizeSection(HistoryColumn.DIALED, 150)
        dials_header.resizeSection(HistoryColumn.OUTCOME, 220)
        self._dials_empty = EmptyStateOverlay(self.dials_view, NO_DIALS_TEXT)

        self.timeline_title = QLabel("Timeline", self)
        self.timeline_title.setObjectName("paneTitle")
        self.timeline_view = row_table_view(self, "Timeline", self.timeline_model)
        self.timeline_view.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        timeline_header = self.timeline_view.horizontalHeader()
        timeline_header.setStretchLastSection(True)
        timeline_header.resizeSection(TimelineColumn.TIME, 90)
        timeline_header.resizeSection(TimelineColumn.STEP, 260)
        self._timeline_empty = EmptyStateOverlay(self.timeline_view, NO_SELECTION_TEXT)
        timeline_box = QWidget(self)
        timeline_layout = QVBoxLayout(timeline_box)
        timeline_layout.setContentsMargins(0, 0, 0, 0)
        timeline_layout.addWidget(self.timeline_title)
        timeline_layout.addWidget(self.timeline_view)

        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.dials_view)
        splitter.addWidget(timeline_box)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)

        self.only_selected_check = QCheckBox("Export only the selected &guest", self)
        self.only_selected_check.setAccessibleName("Export only the selected guest")
        self.export_csv_button = QPushButton("Export &CSV…", self)
        self.export_csv_button.setAccessibleName("Export CSV")
        self.export_csv_button.setToolTip("One row per timeline step, for a spreadsheet")
        self.export_json_button = QPushButton("Export &JSON…", self)
        self.export_json_button.setAccessibleName("Export JSON")
        self.export_json_button.setToolTip("Each dial with its timeline nested, for scripts")
        self.refresh_button = QPushButton("&Refresh", self)
        self.refresh_button.setAccessibleName("Refresh history")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.buttons.rejected.connect(self.reject)
        self.status_label = QLabel(self)
        self.status_label.setObjectName("fieldHint")
        self.status_label.setAccessibleName("Export result")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        bottom = QHBoxLayout()
        bottom.addWidget(self.only_selected_check)
        bottom.addWidget(self.export_csv_button)
        bottom.addWidget(self.export_json_button)
        bottom.addWidget(self.refresh_button)
        bottom.addStretch(1)
        bottom.addWidget(self.buttons)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status_label)
        layout.addLayout(bottom)

        self.scope_combo.currentIndexChanged.connect(self.refresh)
        self.dials_view.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.export_csv_button.clicked.connect(lambda: self.export("csv"))
        self.export_json_button.clicked.connect(lambda: self.export("json"))
        self.refresh_button.clicked.connect(self.refresh)
        self._update_buttons()

    # -- scope ------------------------------------------------------------------------------

    def set_room(self, room_sid: str | None, room_name: str = "") -> None:
        """Follow the main window's selected room ("This room"); None leaves only "All rooms"."""
        self._room_sid = room_sid
        self._room_name = room_name
        self.scope_combo.setItemText(0, f"This room ({room_name})" if room_sid else "This room")
        model = self.scope_combo.model()
        if isinstance(model, QStandardItemModel):  # a QComboBox's own model: items can be disabled
            item = model.item(0)
            if item is not None:
                item.setEnabled(room_sid is not None)
        if room_sid is None and self.scope() == THIS_ROOM:
            self.scope_combo.setCurrentIndex(1)  # refreshes through currentIndexChanged
        else:
            self.refresh()

    def set_scope(self, scope: str) -> None:
        """THIS_ROOM or ALL_ROOMS."""
        index = self.scope_combo.findData(scope)
        if index >= 0:
            self.scope_combo.setCurrentIndex(index)

    def scope(self) -> str:
        return str(self.scope_combo.currentData())

    def _scope_room(self) -> str | None:
        return self._room_sid if self.scope() == THIS_ROOM else None

    # -- reading the journal ----------------------------------------------------------------

    @Slot()
    def refresh(self) -> None:
        """Re-read the dials (one query) and the selected dial's timeline (one more)."""
        try:
            entries = self._journal.entries(self._scope_room())
        except JournalError as exc:
            self._show_status(str(exc), error=True)
            return
        now = self._clock()
        self.history_model.set_dials([summarize(entry, now) for entry in entries])
        self._dials_empty.set_message(
            NO_DIALS_TEXT
            if self.scope() == ALL_ROOMS
            else f"No phone guests dialed into {self._room_name or 'this room'} yet."
        )
        self._refresh_timeline()

    @Slot(object)
    def on_events(self, events: Sequence[GuestEvent]) -> None:
        """The session's call events: anything about a dial may have changed the journal."""
        if self.isVisible() and any(event.dial_id for event in events):
            self.refresh()

    def show_dial(self, dial_id: str) -> bool:
        """Select one dial (e.g. from the roster's "Show timeline…"), widening the scope if
        needed, and tick "only the selected guest" so an export is about them."""
        if self.history_model.row_of(dial_id) < 0 and self.scope() != ALL_ROOMS:
            self.set_scope(ALL_ROOMS)
        row = self.history_model.row_of(dial_id)
        if row < 0:
            return False
        self.dials_view.selectRow(row)
        self.dials_view.scrollTo(self.history_model.index(row, 0))
        self.only_selected_check.setChecked(True)
        return True

    def selected_dial_id(self) -> str | None:
        rows = self.dials_view.selectionModel().selectedRows()
        if not rows:
            return None
        summary = self.history_model.summary_at(rows[0].row())
        return summary.dial_id if summary is not None else None

    def _on_selection_changed(
        self, _selected: QItemSelection | None = None, _deselected: QItemSelection | None = None
    ) -> None:
        self._refresh_timeline()
        self._update_buttons()

    def _refresh_timeline(self) -> None:
        dial_id = self.selected_dial_id()
        row = self.history_model.row_of(dial_id) if dial_id else -1
        summary = self.history_model.summary_at(row)
        if summary is None:
            self.timeline_model.set_steps([])
            self.timeline_title.setText("Timeline")
            self._update_buttons()
            return
        try:
            events = self._journal.timeline(summary.dial_id)
        except JournalError as exc:
            self._show_status(str(exc), error=True)
            return
        self.timeline_model.set_steps(describe_timeline(summary.entry, events))
        self.timeline_title.setText(f"Timeline — {summary.name} in {summary.entry.room_name}")

    def _update_buttons(self) -> None:
        has_selection = self.selected_dial_id() is not None
        self.only_selected_check.setEnabled(has_selection)
        if not has_selection:
            self.only_selected_check.setChecked(False)

    # -- export -----------------------------------------------------------------------------

    def export(self, kind: str) -> Path | None:
        """Ask where, then write the scope (or the selected guest) as CSV or JSON."""
        dial_id = self.selected_dial_id() if self.only_selected_check.isChecked() else None
        suffix = f".{kind}"
        path_text, _filter = QFileDialog.getSaveFileName(
            self,
            f"Export call history as {kind.upper()}",
            str(self._suggested_path(dial_id, suffix)),
            f"{kind.upper()} files (*{suffix})",
        )
        if not path_text:
            return None
        path = Path(path_text)
        if path.suffix.lower() != suffix:
            path = path.with_name(path.name + suffix)
        room_sid = None if dial_id else self._scope_room()
        try:
            if kind == "csv":
                count = self._journal.export_csv(path, room_sid=room_sid, dial_id=dial_id)
                what = f"{count} timeline step{'s' if count != 1 else ''}"
            else:
                count = self._journal.export_json(path, room_sid=room_sid, dial_id=dial_id)
                what = f"{count} dial{'s' if count != 1 else ''}"
        except (OSError, JournalError) as exc:
            self._show_status(f"Could not export to {path}: {exc}", error=True)
            return None
        self._show_status(f"Exported {what} to {path}")
        return path

    def _suggested_path(self, dial_id: str | None, suffix: str) -> Path:
        folder = QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation
        ) or str(Path.home())
        if dial_id is not None:
            entry = self._journal.get(dial_id)
            subject = entry.identity if entry is not None else "guest"
        elif self._scope_room() is not None:
            subject = self._room_name or "room"
        else:
            subject = "all-rooms"
        safe = re.sub(r"[^\w.-]+", "-", subject).strip("-") or "calls"
        stamp = self._clock().astimezone().strftime("%Y-%m-%d")
        return Path(folder) / f"call-history-{safe}-{stamp}{suffix}"

    def _show_status(self, text: str, *, error: bool = False) -> None:
        self.status_label.setObjectName("fieldError" if error else "fieldHint")
        self.status_label.style().unpolish(self.status_label)
        self.status_label.style().polish(self.status_label)
        self.status_label.setText(text)
