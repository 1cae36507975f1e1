"""The participant commands of the main window: Remove, Redial, Reveal number.

Each acts on the roster's current row through the session live at that moment; Remove asks
first when it disconnects someone, naming who and from which room.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QMessageBox

from moderator.core.guest_state import GuestStatus
from moderator.core.roster import GuestKind

if TYPE_CHECKING:
    from moderator.ui.main_window import MainWindow
    from moderator.ui.session import Session


class ParticipantCommands(QObject):
    """Remove, redial and reveal for one window's roster."""

    def __init__(self, window: MainWindow, session: Callable[[], Session | None]) -> None:
        super().__init__(window)
        self._window = window
        self._session = session

    def remove_current(self) -> None:
        """Remove participant (Delete): cancel, hang up or disconnect the selected row."""
        window = self._window
        row = window.roster_pane.current_row()
        session = self._session()
        if row is None or not row.can_remove or session is None:
            return
        connected = row.kind is GuestKind.APP or row.status in (
            GuestStatus.CONNECTED,
            GuestStatus.JOINING,
        )
        if not connected:
            session.remove(row)
            return
        room = window.rooms_pane.selected_room()
        room_name = room.room.unique_name if room is not None else "the room"
        who = row.name or row.identity
        if row.kind is GuestKind.PHONE:
            question = f"Hang up on {who} and remove them from “{room_name}”?"
            button_text = "Hang up && remove"
        else:
            question = f"Remove {who} from “{room_name}”?"
            button_text = "Remove"
        window.room_commands.ask(
            QMessageBox.Icon.Question,
            "Remove participant",
            question,
            "They can rejoin only if someone invites or dials them again.",
            button_text,
            lambda live: live.remove(row),
        )

    def redial_current(self) -> None:
        """Redial the selected phone guest who left or whose call failed."""
        row = self._window.roster_pane.current_row()
        session = self._session()
        if row is None or not row.can_redial or session is None:
            return
        if session.redial_needs_password(row):  # a SIP guest whose password is not kept
            from moderator.ui.dialogs.sip_password_dialog import ask_sip_password

            def redial(password: str) -> None:
                if self._session() is session:
                    session.redial(row, password)

            ask_sip_password(self._window, row.name, redial)
            return
        session.redial(row)

    @Slot(bool)
    def reveal_current(self, on: bool) -> None:
        """Show (or mask again) the selected phone guest's full number."""
        row = self._window.roster_pane.current_row()
        if row is None or row.kind is not GuestKind.PHONE or row.full_number is None:
            return
        self._window.roster_model.reveal(row.key, on)

    def reveal_toggle_current(self) -> None:
        if self._window.commands.reveal.isEnabled():
            self._window.commands.reveal.toggle()
