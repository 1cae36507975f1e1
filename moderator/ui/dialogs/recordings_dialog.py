"""Recordings…: a room's track recordings and compositions; compose, download, delete.

Everything it shows comes from the session's `RecordingDesk` (Twilio's answers); the dialog
only asks. Compose is offered once the room has ended (Twilio composes completed rooms only);
Download asks where to save (`choose_path`, replaceable in tests) and shows a progress bar with
Cancel; deleting asks first, since Twilio cannot bring the media back.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from moderator.core.models import Room
from moderator.core.recording import (
    COMPOSE_FORMATS,
    ComposeRequest,
    Composition,
    TrackRecording,
    composition_progress,
    format_duration,
    format_size,
    suggested_file_name,
)
from moderator.ui.confirm import ask_destructive
from moderator.ui.session.recordings import RecordingDesk, RecordingsListing

__all__ = ["RecordingsDialog"]

RECORDING_HEADERS = ("Started", "Participant", "Kind", "Duration", "Size", "Status")
COMPOSITION_HEADERS = ("Created", "Layout", "Format", "Status", "Duration", "Size")


def _item(text: str, data: object = None) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled)
    if data is not None:
        item.setData(Qt.ItemDataRole.UserRole, data)
    return item


def _table(parent: QWidget, name: str, headers: Sequence[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers), parent)
    table.setAccessibleName(name)
    table.setHorizontalHeaderLabels(list(headers))
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


class RecordingsDialog(QDialog):
    """One room's recordings and compositions (the room can be switched to an ended one)."""

    def __init__(
        self,
        desk: RecordingDesk,
        room: Room,
        *,
        participant_names: Callable[[str], str] = lambda sid: sid,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Recordings")
        self._desk = desk
        self._rooms: dict[str, Room] = {room.sid: room}
        self._room = room
        self._names = participant_names
        self._compositions: dict[str, Composition] = {}
        self._downloading: str | None = None
        #: Where to save a download; tests replace it to skip the file dialog.
        self.choose_path: Callable[[str], Path | None] = self._ask_path

        self.room_combo = QComboBox(self)
        self.room_combo.setAccessibleName("Room")
        self.room_combo.addItem(self._room_label(room), room.sid)
        self.status = QLabel(self)
        self.status.setAccessibleName("Recordings status")
        self.status.setWordWrap(True)

        self.recordings_table = _table(self, "Track recordings", RECORDING_HEADERS)
        self.delete_recording_button = QPushButton("Delete recording…", self)
        self.delete_recording_button.setAccessibleName("Delete recording")
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setAccessibleName("Refresh recordings")
        recordings_box = QGroupBox("Track recordings", self)
        recordings_layout = QVBoxLayout(recordings_box)
        recordings_layout.addWidget(self.recordings_table)
        row = QHBoxLayout()
        row.addWidget(self.delete_recording_button)
        row.addStretch(1)
        row.addWidget(self.refresh_button)
        recordings_layout.addLayout(row)

        self.layout_combo = QComboBox(self)
        self.layout_combo.setAccessibleName("Composition layout")
        self.layout_combo.addItem("Grid video (everyone's video, all audio)", False)
        self.layout_combo.addItem("Audio only (all audio mixed)", True)
        self.format_combo = QComboBox(self)
        self.format_combo.setAccessibleName("Format")
        for fmt in COMPOSE_FORMATS:
            self.format_combo.addItem(fmt, fmt)
        self.compose_button = QPushButton("Compose", self)
        self.compose_button.setAccessibleName("Compose")
        self.compose_note = QLabel(self)
        self.compose_note.setObjectName("fieldHint")
        self.compose_note.setWordWrap(True)
        self.compositions_table = _table(self, "Compositions", COMPOSITION_HEADERS)
        self.composition_progress = QProgressBar(self)
        self.composition_progress.setAccessibleName("Composition progress")
        self.composition_progress.setVisible(False)
        self.download_button = QPushButton("Download…", self)
        self.download_button.setAccessibleName("Download")
        self.delete_composition_button = QPushButton("Delete composition…", self)
        self.delete_composition_button.setAccessibleName("Delete composition")
        self.download_progress = QProgressBar(self)
        self.download_progress.setAccessibleName("Download progress")
        self.download_progress.setVisible(False)
        self.cancel_download_button = QPushButton("Cancel download", self)
        self.cancel_download_button.setAccessibleName("Cancel download")
        self.cancel_download_button.setVisible(False)

        compose_box = QGroupBox("Compositions", self)
        compose_layout = QVBoxLayout(compose_box)
        choices = QHBoxLayout()
        choices.addWidget(self.layout_combo, 1)
        choices.addWidget(self.format_combo)
        choices.addWidget(self.compose_button)
        compose_layout.addLayout(choices)
        compose_layout.addWidget(self.compose_note)
        compose_layout.addWidget(self.compositions_table)
        compose_layout.addWidget(self.composition_progress)
        actions = QHBoxLayout()
        actions.addWidget(self.download_button)
        actions.addWidget(self.delete_composition_button)
        actions.addStretch(1)
        compose_layout.addLayout(actions)
        downloads = QHBoxLayout()
        downloads.addWidget(self.download_progress, 1)
        downloads.addWidget(self.cancel_download_button)
        compose_layout.addLayout(downloads)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)

        room_label = QLabel("&Room:", self)
        room_label.setBuddy(self.room_combo)
        top = QHBoxLayout()
        top.addWidget(room_label)
        top.addWidget(self.room_combo, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(recordings_box, 3)
        layout.addWidget(compose_box, 2)
        layout.addWidget(buttons)
        self.resize(760, 620)

        self.room_combo.currentIndexChanged.connect(self._on_room_chosen)
        self.refresh_button.clicked.connect(self.reload)
        self.compose_button.clicked.connect(self.compose)
        self.download_button.clicked.connect(self.download_selected)
        self.cancel_download_button.clicked.connect(self.cancel_download)
        self.delete_recording_button.clicked.connect(self.confirm_delete_recording)
        self.delete_composition_button.clicked.connect(self.confirm_delete_composition)
        self.recordings_table.itemSelectionChanged.connect(self._update_buttons)
        self.compositions_table.itemSelectionChanged.connect(self._on_composition_selected)
        for signal, slot in (
            (desk.listingLoaded, self._on_listing),
            (desk.listingFailed, self._on_listing_failed),
            (desk.recentRoomsLoaded, self._on_recent_rooms),
            (desk.compositionChanged, self._on_composition),
            (desk.commandFinished, self._on_command_finished),
            (desk.downloadProgress, self._on_download_progress),
            (desk.downloadFinished, self._on_download_finished),
        ):
            signal.connect(slot)
        self.finished.connect(self._disconnect)
        self._update_buttons()
        self.reload()
        desk.load_recent_rooms()

    # -- queries (tests read these) -------------------------------------------------------------

    @property
    def room(self) -> Room:
        return self._room

    def compositions(self) -> list[Composition]:
        return list(self._compositions.values())

    # -- the room -------------------------------------------------------------------------------

    @staticmethod
    def _room_label(room: Room) -> str:
        state = "in progress" if room.in_progress else "ended"
        return f"{room.unique_name} ({state})"

    @Slot(list)
    def _on_recent_rooms(self, rooms: list[Room]) -> None:
        for room in rooms:
            if room.sid in self._rooms:
                continue
            self._rooms[room.sid] = room
            self.room_combo.addItem(self._room_label(room), room.sid)

    def _on_room_chosen(self, _index: int) -> None:
        sid = self.room_combo.currentData()
        if isinstance(sid, str) and sid in self._rooms and sid != self._room.sid:
            self._room = self._rooms[sid]
            self._compositions.clear()
            self.reload()

    def room_ended(self, room: Room) -> None:
        """The room left the live list (it ended): composing it is possible now."""
        if room.sid == self._room.sid and self._room.in_progress:
            self._room = replace(self._room, status="completed")
            self._rooms[room.sid] = self._room
            index = self.room_combo.findData(room.sid)
            if index >= 0:
                self.room_combo.setItemText(index, self._room_label(self._room))
            self._update_buttons()

    @Slot()
    def reload(self) -> None:
        self.status.setText(f"Loading the recordings of {self._room.unique_name}…")
        self._desk.load(self._room.sid)
        self._update_buttons()

    # -- listings -------------------------------------------------------------------------------

    @Slot(object)
    def _on_listing(self, listing: RecordingsListing) -> None:
        if listing.room_sid != self._room.sid:
            return
        self._fill_recordings(listing.recordings)
        self._compositions = {c.sid: c for c in listing.compositions}
        self._fill_compositions()
        count = len(listing.recordings)
        if count:
            self.status.setText(
                f"{count} track recording{'s' if count != 1 else ''} of {self._room.unique_name}"
            )
        else:
            self.status.setText(
                f"{self._room.unique_name} has no recordings: start recording while people "
                "are in the room."
            )
        self._update_buttons()

    @Slot(str, str)
    def _on_listing_failed(self, room_sid: str, why: str) -> None:
        if room_sid == self._room.sid:
            self.status.setText(f"The recordings could not be listed: {why}")

    def _fill_recordings(self, recordings: Sequence[TrackRecording]) -> None:
        table = self.recordings_table
        table.setRowCount(0)
        for recording in recordings:
            row = table.rowCount()
            table.insertRow(row)
            started = recording.date_created
            cells = (
                f"{started.astimezone():%H:%M:%S}" if started is not None else recording.sid,
                self._names(recording.participant_sid),
                recording.kind.capitalize(),
                format_duration(recording.duration_s),
                format_size(recording.size),
                recording.status.capitalize(),
            )
            for column, text in enumerate(cells):
                table.setItem(row, column, _item(text, recording if column == 0 else None))
            first = table.item(row, 0)
            if first is not None:
                first.setToolTip(f"{recording.sid} · track {recording.track_name}")

    def _fill_compositions(self) -> None:
        table = self.compositions_table
        selected = self.selected_composition()
        table.setRowCount(0)
        for composition in sorted(
            self._compositions.values(), key=lambda c: c.date_created or 0, reverse=True
        ):
            row = table.rowCount()
            table.insertRow(row)
            created = composition.date_created
            cells = (
                f"{created.astimezone():%H:%M:%S}" if created is not None else composition.sid,
                "Audio only" if composition.audio_only else "Grid video",
                composition.format,
                composition.status.value.capitalize(),
                format_duration(composition.duration_s),
                format_size(composition.size) if composition.size else "—",
            )
            for column, text in enumerate(cells):
                table.setItem(row, column, _item(text, composition.sid if column == 0 else None))
            first = table.item(row, 0)
            if first is not None:
                first.setToolTip(composition.sid)
            if selected is not None and composition.sid == selected.sid:
                table.selectRow(row)
        if selected is None and table.rowCount():
            table.selectRow(0)
        self._show_composition_progress()

    def selected_recording(self) -> TrackRecording | None:
        rows = self.recordings_table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.recordings_table.item(rows[0].row(), 0)
        value = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return value if isinstance(value, TrackRecording) else None

    def selected_composition(self) -> Composition | None:
        rows = self.compositions_table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.compositions_table.item(rows[0].row(), 0)
        sid = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return self._compositions.get(sid) if isinstance(sid, str) else None

    # -- composing ------------------------------------------------------------------------------

    def compose_request(self) -> ComposeRequest:
        return ComposeRequest(
            self._room.sid,
            audio_only=bool(self.layout_combo.currentData()),
            format=str(self.format_combo.currentData()),
        )

    @Slot()
    def compose(self) -> None:
        if self._room.in_progress:
            return
        if self._desk.compose(self.compose_request()):
            self.status.setText("Asking Twilio to compose…")
            self.compose_button.setEnabled(False)

    @Slot(object)
    def _on_composition(self, composition: Composition) -> None:
        if composition.room_sid != self._room.sid:
            return
        before = self._compositions.get(composition.sid)
        if composition.status.is_final and (before is None or before.status != composition.status):
            self.status.setText(f"Composition {composition_progress(composition.status)[2]}")
        self._compositions[composition.sid] = composition
        self._fill_compositions()
        self._update_buttons()

    def _on_composition_selected(self) -> None:
        self._show_composition_progress()
        self._update_buttons()

    def _show_composition_progress(self) -> None:
        composition = self.selected_composition()
        bar = self.composition_progress
        if composition is None:
            bar.setVisible(False)
            return
        step, steps, words = composition_progress(composition.status)
        bar.setRange(0, steps)
        bar.setValue(step)
        bar.setFormat(words)
        bar.setVisible(True)

    # -- downloading ----------------------------------------------------------------------------

    def _ask_path(self, suggested: str) -> Path | None:
        chosen, _filter = QFileDialog.getSaveFileName(
            self, "Save composition", str(Path.home() / suggested)
        )
        return Path(chosen) if chosen else None

    @Slot()
    def download_selected(self) -> None:
        composition = self.selected_composition()
        if composition is None or not composition.downloadable or self._downloading:
            return
        path = self.choose_path(suggested_file_name(self._room.unique_name, composition))
        if path is None:
            return
        if self._desk.download(composition.sid, path):
            self._downloading = composition.sid
            self.download_progress.setRange(0, 0)
            self.download_progress.setValue(0)
            self.download_progress.setVisible(True)
            self.cancel_download_button.setVisible(True)
            self.status.setText(f"Downloading to {path}…")
            self._update_buttons()

    @Slot()
    def cancel_download(self) -> None:
        if self._downloading is not None:
            self._desk.cancel_download(self._downloading)

    @Slot(str, int, int)
    def _on_download_progress(self, sid: str, done: int, total: int) -> None:
        if sid != self._downloading:
            return
        bar = self.download_progress
        if total > 0:
            bar.setRange(0, total)
            bar.setValue(min(done, total))
            bar.setFormat(f"{format_size(done)} of {format_size(total)}")
        else:
            bar.setRange(0, 0)

    @Slot(str, bool, str)
    def _on_download_finished(self, sid: str, ok: bool, text: str) -> None:
        if sid != self._downloading:
            return
        self._downloading = None
        self.cancel_download_button.setVisible(False)
        if ok:
            self.download_progress.setValue(self.download_progress.maximum())
        else:
            self.download_progress.setVisible(False)
        self.status.setText(text)
        self._update_buttons()

    # -- deleting -------------------------------------------------------------------------------

    @Slot()
    def confirm_delete_recording(self) -> None:
        recording = self.selected_recording()
        if recording is None or not recording.deletable:
            return
        room_sid = self._room.sid

        def delete() -> None:
            self._desk.delete_recording(room_sid, recording.sid)

        ask_destructive(
            self,
            QMessageBox.Icon.Warning,
            "Delete recording",
            f"Delete the {recording.kind} recording of {self._names(recording.participant_sid)}?",
            "Twilio deletes the media for good; compositions made from it stay.",
            "Delete recording",
            delete,
        )

    @Slot()
    def confirm_delete_composition(self) -> None:
        composition = self.selected_composition()
        if composition is None or not composition.deletable:
            return
        room_sid = self._room.sid

        def delete() -> None:
            self._desk.delete_composition(room_sid, composition.sid)

        ask_destructive(
            self,
            QMessageBox.Icon.Warning,
            "Delete composition",
            f"Delete the composition {composition.sid}?",
            "Twilio deletes its media file for good; the track recordings stay.",
            "Delete composition",
            delete,
        )

    @Slot(bool, str)
    def _on_command_finished(self, ok: bool, text: str) -> None:
        self.status.setText(text)
        self._update_buttons()

    # -- state ----------------------------------------------------------------------------------

    def _update_buttons(self) -> None:
        ended = not self._room.in_progress
        self.compose_button.setEnabled(ended and not self._desk.runner.keys_in_flight("compose:"))
        self.layout_combo.setEnabled(ended)
        self.format_combo.setEnabled(ended)
        self.compose_note.setText(
            "Twilio composes a room once it has ended."
            if not ended
            else "Compose mixes every recorded track into one file you can download."
        )
        recording = self.selected_recording()
        self.delete_recording_button.setEnabled(recording is not None and recording.deletable)
        composition = self.selected_composition()
        self.download_button.setEnabled(
            composition is not None and composition.downloadable and self._downloading is None
        )
        self.delete_composition_button.setEnabled(
            composition is not None and composition.deletable and self._downloading is None
        )

    def _disconnect(self) -> None:
        desk = self._desk
        for signal, slot in (
            (desk.listingLoaded, self._on_listing),
            (desk.listingFailed, self._on_listing_failed),
            (desk.recentRoomsLoaded, self._on_recent_rooms),
            (desk.compositionChanged, self._on_composition),
            (desk.commandFinished, self._on_command_finished),
            (desk.downloadProgress, self._on_download_progress),
            (desk.downloadFinished, self._on_download_finished),
        ):
            with contextlib.suppress(RuntimeError, TypeError):
                signal.disconnect(slot)
        if self._downloading is not None:
            desk.cancel_download(self._downloading)
