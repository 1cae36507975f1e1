"""The room commands of the main window: Create room… and End room…

Kept out of the window, which only wires them: each is one small step on the session that is
live when the host confirms (a profile switch in between makes it a no-op).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QMessageBox

from moderator.core.identity import validate_room_name
from moderator.core.models import Room
from moderator.ui.confirm import ask_destructive

if TYPE_CHECKING:
    from moderator.ui.dialogs.create_room_dialog import CreateRoomDialog
    from moderator.ui.dialogs.room_history_dialog import RoomHistoryDialog
    from moderator.ui.main_window import MainWindow
    from moderator.ui.session import Session


class RoomCommands(QObject):
    """Create and end rooms for one window."""

    def __init__(self, window: MainWindow, session: Callable[[], Session | None]) -> None:
        super().__init__(window)
        self._window = window
        self._session = session

    def open_create_room_dialog(self) -> None:
        """Create room… (Ctrl+N)."""
        if self._session() is None:
            return
        window = self._window
        names = [r.room.unique_name for r in window.rooms_model.rows()]
        from moderator.ui.dialogs.create_room_dialog import CreateRoomDialog

        dialog = CreateRoomDialog(
            existing_names=names, validate_name=validate_room_name, parent=window
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._create_room(dialog))
        dialog.open()

    def _create_room(self, dialog: CreateRoomDialog) -> None:
        session = self._session()
        if session is None:
            return
        new = dialog.new_room()
        session.create_room(
            new.unique_name,
            new.room_type,
            new.max_participants,
            on_created=self._select_created_room,
            options=new.options,
        )

    def _select_created_room(self, room: Room) -> None:
        self._window.rooms_pane.select_sid(room.sid)

    def confirm_end_room(self) -> None:
        """End room…: asks first, naming the room and how many people it disconnects."""
        room = self._window.rooms_pane.selected_room()
        if room is None or self._session() is None:
            return
        name = room.room.unique_name
        count = room.participant_count
        if count is None:
            people = "everyone in it"
        elif count == 0:
            people = "no one (the room is empty)"
        else:
            people = f"{count} participant{'s' if count != 1 else ''}"
            if room.phone_count:
                people += f", {room.phone_count} of them by phone"
        sid = room.room.sid
        self.ask(
            QMessageBox.Icon.Warning,
            "End room",
            f"End the room “{name}”?",
            f"This disconnects {people}. Phone calls into the room are hung up. "
            "This cannot be undone.",
            "End room",
            lambda session: session.end_room(sid),
        )

    def open_room_history(self) -> RoomHistoryDialog | None:
        """Room history… (Ctrl+Shift+H): the selected room's counts over time."""
        room = self._window.rooms_pane.selected_room()
        session = self._session()
        if room is None or session is None:
            return None
        from moderator.ui.dialogs.room_history_dialog import RoomHistoryDialog

        dialog = RoomHistoryDialog(
            session.room_watch.history,
            room.room.sid,
            room.room.unique_name,
            room.room.max_participants,
            now=lambda: session.now().timestamp(),
            parent=self._window,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def ask(
        self,
        icon: QMessageBox.Icon,
        title: str,
        question: str,
        details: str,
        button_text: str,
        act: Callable[[Session], None],
    ) -> None:
        """Ask; on `button_text`, `act` on the session that is live by then (if any)."""

        def on_confirm() -> None:
            session = self._session()
            if session is not None:
                act(session)

        ask_destructive(self._window, icon, title, question, details, button_text, on_confirm)
