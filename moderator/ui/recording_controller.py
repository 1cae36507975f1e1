"""The window's side of recording: Start / Stop recording, REC, and the Recordings… dialog.

The main window owns one controller; each profile's session is attached to it and detached
when the profile closes. REC in the rooms table and by the roster's title follows what the
session's `RecordingDesk` read back from Twilio; Start asks first, because recording people
has legal weight (they must know, and in many places consent).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from moderator.core.action_states import recording_states
from moderator.core.live_state import RoomRow
from moderator.ui.actions import Actions
from moderator.ui.confirm import ask_destructive
from moderator.ui.models.rooms_model import RoomsModel
from moderator.ui.panes.roster_pane import RosterPane

if TYPE_CHECKING:  # the SDK-backed parts load with the first profile, after the first paint
    from moderator.ui.dialogs.recordings_dialog import RecordingsDialog
    from moderator.ui.session import Session

#: What the confirmation says before recording starts.
CONSENT_TEXT = (
    "Recording people has legal weight: in many places everyone recorded must be told, and "
    "some laws require their consent. Tell the room before you start. Every participant's "
    "audio and video is recorded by Twilio (and billed) until you stop."
)


class RecordingController(QObject):
    """Binds one window's recording commands, REC indicators and dialog to the session."""

    def __init__(
        self,
        window: QWidget,
        actions: Actions,
        rooms_model: RoomsModel,
        roster_pane: RosterPane,
        selected_room: Callable[[], RoomRow | None],
    ) -> None:
        super().__init__(window)
        self._window = window
        self._actions = actions
        self._rooms_model = rooms_model
        self._roster_pane = roster_pane
        self._selected_room = selected_room
        self._session: Session | None = None
        self.dialog: RecordingsDialog | None = None
        actions.start_recording.triggered.connect(self.confirm_start)
        actions.stop_recording.triggered.connect(self.stop)
        actions.recordings.triggered.connect(self.open_dialog)

    def attach(self, session: Session) -> None:
        self.detach()
        self._session = session
        desk = session.recordings
        desk.recordingChanged.connect(lambda _sid, _on: self._rec_changed(session))
        desk.recordingFinished.connect(lambda _sid, ok, text: self._finished(session, ok, text))
        session.roomsChanged.connect(lambda rows: self._rooms_changed(session, rows))
        self._rec_changed(session)

    def detach(self) -> None:
        self._session = None
        if self.dialog is not None:
            self.dialog.close()
            self.dialog.deleteLater()
            self.dialog = None
        self._rooms_model.set_recording(frozenset())
        self._roster_pane.set_recording(False)

    # -- state ----------------------------------------------------------------------------------

    def update_actions(self) -> None:
        """Apply Start / Stop / Recordings… states and REC by the roster for the selected room."""
        session = self._session
        row = self._selected_room()
        room = row.room if row is not None else None
        desk = session.recordings if session is not None else None
        recording = desk is not None and room is not None and desk.recording(room.sid)
        busy = desk is not None and room is not None and desk.busy(room.sid)
        self._actions.apply_recording_states(
            recording_states(
                has_session=session is not None, room=room, recording=recording, busy=busy
            )
        )
        self._roster_pane.set_recording(recording)

    def _rec_changed(self, session: Session) -> None:
        if session is not self._session:
            return
        self._rooms_model.set_recording(session.recordings.rooms_recording())
        self.update_actions()

    def _finished(self, session: Session, ok: bool, text: str) -> None:
        if session is self._session and not ok:
            self._window.statusBar().showMessage(text, 8000)  # type: ignore[attr-defined]

    def _rooms_changed(self, session: Session, rows: list[RoomRow]) -> None:
        if session is not self._session or self.dialog is None:
            return
        live = {row.room.sid for row in rows}
        room = self.dialog.room
        if room.in_progress and room.sid not in live:
            self.dialog.room_ended(room)

    # -- commands -------------------------------------------------------------------------------

    @Slot()
    def confirm_start(self) -> None:
        """Start recording: asks first, saying what recording people means."""
        row = self._selected_room()
        if row is None or self._session is None:
            return
        sid, name = row.room.sid, row.room.unique_name

        def start() -> None:
            session = self._session
            if session is not None:
                session.recordings.set_recording(sid, True)

        ask_destructive(
            self._window,
            QMessageBox.Icon.Warning,
            "Start recording",
            f"Record the room “{name}”?",
            CONSENT_TEXT,
            "Start recording",
            start,
        )

    @Slot()
    def stop(self) -> None:
        """Stop recording: no question (stopping never hurts); the tracks so far are kept."""
        row = self._selected_room()
        if row is not None and self._session is not None:
            self._session.recordings.set_recording(row.room.sid, False)

    @Slot()
    def open_dialog(self) -> RecordingsDialog | None:
        """Recordings… for the selected room (others, ended ones too, from its room list)."""
        session = self._session
        row = self._selected_room()
        if session is None:
            return None
        if row is None:
            rows = session.room_rows()
            row = rows[0] if rows else None
        if row is None:
            self._window.statusBar().showMessage(  # type: ignore[attr-defined]
                "Pick a room first: its recordings open.", 5000
            )
            return None
        if self.dialog is not None:
            self.dialog.close()
            self.dialog.deleteLater()
        from moderator.ui.dialogs.recordings_dialog import RecordingsDialog

        # Names as the roster shows them (phone guests masked), for the rows of this room.
        names = {
            p.participant_sid: p.name for p in session.roster(row.room.sid) if p.participant_sid
        }
        dialog = RecordingsDialog(
            session.recordings,
            row.room,
            participant_names=lambda sid: names.get(sid, sid),
            parent=self._window,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda: self._forget_dialog(dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _forget_dialog(self, dialog: object) -> None:
        if self.dialog is dialog:
            self.dialog = None
