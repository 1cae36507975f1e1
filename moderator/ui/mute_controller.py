"""The window's side of Mute for everyone: the roster's mute column and progress line follow
the session's mutes, and the three commands act on the selected participant or room.

The main window owns one controller; each profile's session is attached to it and detached when
the profile closes, so the roster never shows another account's mutes. What a mute does is said
where the host chooses it: the commands' tips, the confirmation of "Mute all phone guests", and
each muted row's tooltip (the muted person still hears everyone; a phone guest is not told).
Mute and Unmute act in the row's own room (a row of "All rooms" may be in any), not merely in
the room selected in the rooms table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtWidgets import QMessageBox

from moderator.core.mutes import MUTE_EXPLANATION, PHONE_GUESTS_EXPLANATION
from moderator.core.roster import RosterRow
from moderator.ui.confirm import ask_destructive
from moderator.ui.participant_commands import row_room_sid

if TYPE_CHECKING:  # the session loads with the first profile, after the first paint
    from moderator.ui.main_window import MainWindow
    from moderator.ui.models.roster_model import RosterModel
    from moderator.ui.session import Session
    from moderator.ui.session.mutes import MuteProgress

MUTE_TITLE = "Mute for everyone"


def muted_state(
    session: Session | None, room_sid: str | None, model: RosterModel, row: RosterRow | None
) -> bool | None:
    """Whether `row` (shown by `model`, in `room_sid`) is muted for everyone; None while that
    is unknown (rules not read yet) or being changed."""
    if session is None or room_sid is None or row is None or row.participant_sid is None:
        return None
    if not session.mutes.synced(room_sid):
        return None
    view = model.mute_view(row)
    if view is None:
        return False
    return None if view.changing else view.muted


class MuteController(QObject):
    """Binds one window's roster and mute commands to the current session's mutes."""

    def __init__(self, window: MainWindow, update_actions: Callable[[], None]) -> None:
        super().__init__(window)
        self._window = window
        self._update_actions = update_actions
        self._session: Session | None = None
        self.message: QMessageBox | None = None  # the last refusal shown (tests read it)
        commands = window.commands
        commands.mute.triggered.connect(self.mute_current)
        commands.unmute.triggered.connect(self.unmute_current)
        commands.mute_phone_guests.triggered.connect(self.confirm_mute_phone_guests)
        window.rooms_pane.roomSelected.connect(lambda _sid: self.refresh())

    # -- the session --------------------------------------------------------------------------

    def attach(self, session: Session) -> None:
        self.detach()
        self._session = session
        desk = session.mutes

        def mine(act: Callable[[], None]) -> None:
            if self._session is session:
                act()

        desk.mutesChanged.connect(lambda _room: mine(self.refresh))
        desk.progressChanged.connect(lambda progress: mine(lambda: self._progress(progress)))
        desk.refused.connect(lambda room, text: mine(lambda: self._refused(room, text)))
        session.rosterChanged.connect(lambda _room, _rows: mine(self.refresh))

    def detach(self) -> None:
        self._session = None
        self._window.roster_model.set_mutes({})
        self._window.roster_model.set_room_mutes({})
        self._window.roster_pane.set_mute_progress(0, 0)

    def _room(self) -> str | None:
        return self._window.rooms_pane.selected_sid()

    @Slot()
    def refresh(self) -> None:
        """Show the selected room's mutes and progress (another room's keep until selected)."""
        session, room_sid = self._session, self._room()
        model = self._window.roster_model
        model.set_room_mutes(
            {} if session is None else {sid: session.mutes.views(sid) for sid in model.room_sids()}
        )
        if session is None or room_sid is None:
            self._window.roster_model.set_mutes({})
            self._window.roster_pane.set_mute_progress(0, 0)
        else:
            self._window.roster_model.set_mutes(session.mutes.views(room_sid))
            progress = session.mutes.progress(room_sid)
            self._window.roster_pane.set_mute_progress(
                progress.done if progress else 0, progress.total if progress else 0
            )
        self._update_actions()

    def _progress(self, progress: MuteProgress) -> None:
        if progress.room_sid == self._room():
            self._window.roster_pane.set_mute_progress(progress.done, progress.total)

    def muted(self, row: RosterRow | None) -> bool | None:
        """Whether `row` is muted for everyone; None while unknown or being changed."""
        room_sid = row_room_sid(row, self._room())
        return muted_state(self._session, room_sid, self._window.roster_model, row)

    # -- the commands -------------------------------------------------------------------------

    def mute_current(self) -> None:
        """Mute for everyone (Ctrl+M): every other participant stops receiving their audio."""
        self._act_on_row(lambda session, room, row: session.mutes.mute(room, row.identity))

    def unmute_current(self) -> None:
        """Unmute (Ctrl+Shift+M): everyone receives their audio again."""
        self._act_on_row(lambda session, room, row: session.mutes.unmute(room, row.identity))

    def _act_on_row(self, act: Callable[[Session, str, RosterRow], None]) -> None:
        row = self._window.roster_pane.current_row()
        session, room_sid = self._session, row_room_sid(row, self._room())
        if session is None or room_sid is None or row is None or row.participant_sid is None:
            return
        act(session, room_sid, row)
        self.refresh()

    def confirm_mute_phone_guests(self) -> None:
        """Mute all phone guests… : asks first, saying how many and what it means for them."""
        session, room_sid = self._session, self._room()
        if session is None or room_sid is None:
            return
        guests = session.mutes.mutes.unmuted_phone_guests(room_sid)
        count = len(guests)
        room = session.room(room_sid)
        name = room.unique_name if room is not None else "this room"
        if count == 0:
            self._refused(room_sid, f"There is no phone guest to mute in “{name}”.")
            return
        if count == 1:
            who = f"the phone guest {session.mutes.display_name(guests[0])}"
        else:
            who = f"all {count} phone guests"
        ask_destructive(
            self._window,
            QMessageBox.Icon.Question,
            "Mute all phone guests",
            f"Mute {who} in “{name}” for everyone?",
            PHONE_GUESTS_EXPLANATION,
            "Mute all phone guests",
            lambda: self._mute_phone_guests(session, room_sid),
        )

    def _mute_phone_guests(self, session: Session, room_sid: str) -> None:
        if self._session is session:
            session.mutes.mute_phone_guests(room_sid)
            self.refresh()

    def _refused(self, room_sid: str, text: str) -> None:
        if self.message is not None:
            self.message.close()
        box = QMessageBox(QMessageBox.Icon.Warning, MUTE_TITLE, text, parent=self._window)
        box.setInformativeText(MUTE_EXPLANATION)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _result: self._forget(box))
        self.message = box
        box.open()

    def _forget(self, box: QMessageBox) -> None:
        if self.message is box:
            self.message = None
