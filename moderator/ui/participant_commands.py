"""The participant commands of a roster: Remove, Redial, Reveal number.

Each acts on a roster's current row through the session live at that moment; Remove asks
first when it disconnects someone, naming who and from which room. The room is always the
row's own (a row of "All rooms" or of a room window knows it), never merely the room selected
in the rooms table: the host removes the person they see, from the room that person is in.
The main window's roster and every room window have one `RowCommands` each.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMessageBox, QWidget

from moderator.core.guest_state import GuestStatus
from moderator.core.roster import GuestKind, RosterRow
from moderator.ui.confirm import ask_destructive

if TYPE_CHECKING:
    from moderator.ui.main_window import MainWindow
    from moderator.ui.models.roster_model import RosterModel
    from moderator.ui.panes.roster_pane import RosterPane
    from moderator.ui.session import Session


def row_room_sid(row: RosterRow | None, fallback: str | None) -> str | None:
    """The room a command on `row` acts on: the row's own, else `fallback` (the window's)."""
    if row is not None and row.room_sid:
        return row.room_sid
    return fallback


class RowCommands(QObject):
    """Remove, redial and reveal for one roster pane (`room` is its room when rows carry none)."""

    def __init__(
        self,
        parent: QWidget,
        session: Callable[[], Session | None],
        pane: RosterPane,
        model: RosterModel,
        reveal: QAction,
        room: Callable[[], str | None],
    ) -> None:
        super().__init__(parent)
        self._parent = parent
        self._session = session
        self._pane = pane
        self._model = model
        self._reveal = reveal
        self._room = room

    def room_name(self, row: RosterRow) -> str:
        """How the confirmation names the row's room."""
        if row.room_name:
            return row.room_name
        session, room_sid = self._session(), row_room_sid(row, self._room())
        room = session.room(room_sid) if session is not None and room_sid else None
        return room.unique_name if room is not None else "the room"

    def remove_current(self) -> None:
        """Remove participant (Delete): cancel, hang up or disconnect the selected row."""
        row = self._pane.current_row()
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
        room_name = self.room_name(row)
        who = row.name or row.identity
        if row.kind is GuestKind.PHONE:
            question = f"Hang up on {who} and remove them from “{room_name}”?"
            button_text = "Hang up && remove"
        else:
            question = f"Remove {who} from “{room_name}”?"
            button_text = "Remove"

        def on_confirm() -> None:
            live = self._session()
            if live is not None:
                live.remove(row)

        ask_destructive(
            self._parent,
            QMessageBox.Icon.Question,
            "Remove participant",
            question,
            "They can rejoin only if someone invites or dials them again.",
            button_text,
            on_confirm,
        )

    def redial_current(self) -> None:
        """Redial the selected phone guest who left or whose call failed."""
        row = self._pane.current_row()
        session = self._session()
        if row is None or not row.can_redial or session is None:
            return
        if session.redial_needs_password(row):  # a SIP guest whose password is not kept
            from moderator.ui.dialogs.sip_password_dialog import ask_sip_password

            def redial(password: str) -> None:
                if self._session() is session:
                    session.redial(row, password)

            ask_sip_password(self._parent, row.name, redial)
            return
        session.redial(row)

    @Slot(bool)
    def reveal_current(self, on: bool) -> None:
        """Show (or mask again) the selected phone guest's full number."""
        row = self._pane.current_row()
        if row is None or row.kind is not GuestKind.PHONE or row.full_number is None:
            return
        self._model.reveal(row.key, on)

    def reveal_toggle_current(self) -> None:
        if self._reveal.isEnabled():
            self._reveal.toggle()


class ParticipantCommands(RowCommands):
    """The main window's: its roster pane, the room selected in its rooms table."""

    def __init__(self, window: MainWindow, session: Callable[[], Session | None]) -> None:
        super().__init__(
            window,
            session,
            window.roster_pane,
            window.roster_model,
            window.commands.reveal,
            window.rooms_pane.selected_sid,
        )
