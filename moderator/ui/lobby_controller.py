"""The window's side of dial-in: the Lobby pane follows the session's lobby, its buttons act.

The main window owns one controller; each profile's session is attached to it and detached
when the profile closes, so the pane never shows another account's callers. The pane appears
once a number is set up for dial-in (or someone is waiting) and hides again when none is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QWidget

from moderator.core.lobby import WaitingCaller
from moderator.core.phone import format_international
from moderator.ui.models.lobby_model import LobbyModel
from moderator.ui.panes.lobby_pane import LobbyPane

if TYPE_CHECKING:  # the SDK-backed parts load with the first profile, after the first paint
    from moderator.core.dialin import DialIn
    from moderator.core.live_state import RoomRow
    from moderator.ui.dialogs.dial_in_dialog import DialInDialog
    from moderator.ui.session import Session


def dial_in_summary(dial_ins: Sequence[DialIn]) -> str:
    """ "+1 415-555-0100 → town-hall" for each number, for the pane's status line."""
    return " · ".join(
        f"{format_international(d.phone_number)} → {d.room_name}"
        + (" (auto-admit)" if d.mode.automatic else "")
        for d in dial_ins
    )


class LobbyController(QObject):
    """Binds one window's Lobby pane and dial-in dialog to the current session."""

    def __init__(
        self,
        window: QWidget,
        pane: LobbyPane,
        model: LobbyModel,
        *,
        region: Callable[[], str],
        selected_room_name: Callable[[], str],
    ) -> None:
        super().__init__(window)
        self._window = window
        self._pane = pane
        self._model = model
        self._region = region
        self._selected_room_name = selected_room_name
        self._session: Session | None = None
        self._room_names: list[str] = []
        self.dialog: DialInDialog | None = None
        pane.admitRequested.connect(self.admit)
        pane.declineRequested.connect(self.decline)
        pane.setUpRequested.connect(self.open_dialog)
        pane.setVisible(False)

    def attach(self, session: Session) -> None:
        self.detach()
        self._session = session
        desk = session.dial_in
        desk.lobbyChanged.connect(lambda callers: self._lobby_changed(session, callers))
        desk.dialInsChanged.connect(lambda dial_ins: self._dial_ins_changed(session, dial_ins))
        session.roomsChanged.connect(lambda rows: self._rooms_changed(session, rows))
        self._lobby_changed(session, desk.waiting())
        self._dial_ins_changed(session, desk.dial_ins())

    def detach(self) -> None:
        self._session = None
        if self.dialog is not None:
            self.dialog.close()
            self.dialog.deleteLater()
            self.dialog = None
        self._model.set_callers([])
        self._pane.set_dial_in_text("", active=False)
        self._pane.setVisible(False)

    # -- commands -------------------------------------------------------------------------------

    @Slot()
    def open_dialog(self) -> DialInDialog | None:
        """Open (or raise) "Set up dial-in…" for the current session."""
        session = self._session
        if session is None:
            return None
        if self.dialog is None:
            from moderator.ui.dialogs.dial_in_dialog import DialInDialog

            dialog = DialInDialog(
                session.dial_in,
                room_names=self._room_names,
                default_room=self._selected_room_name(),
                region=self._region(),
                parent=self._window,
            )
            dialog.finished.connect(lambda _result: self._dialog_closed(dialog))
            self.dialog = dialog
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        return self.dialog

    @Slot(str, object)
    def admit(self, call_sid: str, room_name: str | None = None) -> bool:
        session = self._session
        return session is not None and session.dial_in.admit(call_sid, room_name)

    @Slot(str)
    def decline(self, call_sid: str) -> bool:
        session = self._session
        return session is not None and session.dial_in.decline(call_sid)

    # -- the session's news ---------------------------------------------------------------------

    def _lobby_changed(self, session: Session, callers: Sequence[WaitingCaller]) -> None:
        if session is not self._session:
            return
        self._model.set_callers(callers)
        self._show_if_needed(session)

    def _dial_ins_changed(self, session: Session, dial_ins: Sequence[DialIn]) -> None:
        if session is not self._session:
            return
        self._pane.set_dial_in_text(dial_in_summary(dial_ins), active=bool(dial_ins))
        self._show_if_needed(session)

    def _rooms_changed(self, session: Session, rows: Sequence[RoomRow]) -> None:
        if session is not self._session:
            return
        names = sorted(row.room.unique_name for row in rows if row.room.status == "in-progress")
        self._room_names = names
        self._pane.set_rooms(names)

    def _show_if_needed(self, session: Session) -> None:
        desk = session.dial_in
        self._pane.setVisible(bool(desk.dial_ins()) or bool(desk.waiting()))

    def _dialog_closed(self, dialog: DialInDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None
            dialog.deleteLater()
