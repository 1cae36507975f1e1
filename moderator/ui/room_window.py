"""Room windows: one room's roster in a top-level window of its own ("Open in new window").

A host watching two or three rooms side by side opens one window per room. Each has its own
`RosterModel`, fed from the same session's updates as the main window (rooms list, rosters,
guest events), its own copy of the participant commands (they act on the window's room), and
its room's name and counts in the title. The windows belong to their profile's session:
`RoomWindows.detach` (a profile switch) hides them, `attach` for that profile again shows them
on the new session, and `close_profile` (profile removed) or `close_all` (quit) closes them.
Each window's geometry is remembered per profile and room name in `Settings.ui_state`.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from moderator.core.action_states import action_states
from moderator.core.live_state import RoomRow
from moderator.core.roster import all_rooms_roster
from moderator.core.settings import Settings
from moderator.ui.actions import Actions
from moderator.ui.models.roster_model import RosterModel
from moderator.ui.mute_controller import muted_state
from moderator.ui.panes.roster_pane import RosterPane
from moderator.ui.participant_commands import RowCommands

if TYPE_CHECKING:
    from moderator.ui.session import Session

ENDED_TEXT = "This room has ended"
#: A new room window's size, until the host resizes it (then it is remembered).
DEFAULT_SIZE = (560, 420)


def geometry_key(profile: str, room_name: str) -> str:
    """Where a room window's geometry is kept in `Settings.ui_state`."""
    return f"roomWindow:{profile}:{room_name}"


def window_title(room_name: str, row: RoomRow | None, ended: bool) -> str:
    """ "standup — 3/10 participants, 1 phone — Room Moderator" (counts as last polled)."""
    if ended:
        return f"{room_name} — ended — Room Moderator"
    if row is None or row.participant_count is None:
        return f"{room_name} — Room Moderator"
    cap = row.room.max_participants
    count = f"{row.participant_count}/{cap}" if cap else str(row.participant_count)
    people = "participant" if row.participant_count == 1 and not cap else "participants"
    return f"{room_name} — {count} {people}, {row.phone_count} phone — Room Moderator"


class RoomWindow(QWidget):
    """One room's roster in its own window; `closedByHost(room SID)` when the host closes it."""

    closedByHost = Signal(str)

    def __init__(self, room_sid: str, room_name: str, parent: QWidget) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.room_sid = room_sid
        self.room_name = room_name
        self.ended = False
        self._session: Session | None = None
        self._listed = False  # the session's rooms list has been seen since attach
        self._closing = False
        self.setObjectName("RoomWindow")
        self.setAccessibleName(f"Room window {room_name}")
        self.commands = Actions(self)
        self.model = RosterModel(self)
        self.pane = RosterPane(self.model, self.commands, self, scoped=False)
        self.pane.set_room(room_name)
        self.pane.dial_button.setVisible(False)  # dialing is the main window's (its dialog)
        self.ended_label = QLabel(ENDED_TEXT, self)
        self.ended_label.setAccessibleName("Room ended")
        self.ended_label.setObjectName("roomEnded")
        self.ended_label.setStyleSheet("font-weight: bold;")
        self.ended_label.setVisible(False)
        self.row_commands = RowCommands(
            self,
            lambda: self._session,
            self.pane,
            self.model,
            self.commands.reveal,
            lambda: self.room_sid,
        )
        a = self.commands
        a.remove.triggered.connect(self.row_commands.remove_current)
        a.redial.triggered.connect(self.row_commands.redial_current)
        a.reveal.toggled.connect(self.row_commands.reveal_current)
        a.mute.triggered.connect(lambda: self._mute(True))
        a.unmute.triggered.connect(lambda: self._mute(False))
        self.pane.currentRowChanged.connect(self.update_actions)
        self.pane.view.doubleClicked.connect(lambda _i: self.row_commands.reveal_toggle_current())
        layout = QVBoxLayout(self)
        layout.addWidget(self.ended_label)
        layout.addWidget(self.pane)
        self.setWindowTitle(window_title(room_name, None, False))
        self.update_actions()

    # -- the session --------------------------------------------------------------------------

    def attach(self, session: Session) -> None:
        """Follow `session` (this window's profile's, live again)."""
        self._session = session
        self._listed = session.room(self.room_sid) is not None

        def mine(act: Callable[[], None]) -> None:
            if self._session is session:
                act()

        session.roomsChanged.connect(lambda rows: mine(lambda: self._rooms_changed(rows)))
        session.rosterChanged.connect(
            lambda room, _rows: mine(self.refresh) if room == self.room_sid else None
        )
        session.events.connect(lambda _events: mine(self.refresh))
        session.mutes.mutesChanged.connect(lambda _room: mine(self.refresh))
        self.refresh()

    def detach(self) -> None:
        self._session = None
        self.update_actions()

    def _rooms_changed(self, rows: Sequence[RoomRow]) -> None:
        self._listed = True
        if not self.ended and all(row.room.sid != self.room_sid for row in rows):
            self.set_ended()
            return
        self.refresh()

    def set_ended(self) -> None:
        """The room is over: say so, empty the roster, and act on nothing."""
        self.ended = True
        self.model.set_rows([])
        self.ended_label.setVisible(True)
        self.pane.set_room(f"{self.room_name} (ended)")
        self.setWindowTitle(window_title(self.room_name, None, True))
        self.update_actions()

    def refresh(self) -> None:
        """Rebuild the roster, its mutes and the title from what the session knows now."""
        session = self._session
        if session is None or self.ended:
            return
        if session.room(self.room_sid) is None:
            if self._listed:
                self.set_ended()
            return
        name = self.room_name
        rows = session.roster(self.room_sid)
        self.model.set_rows(all_rooms_roster([(self.room_sid, name, rows)]))
        self.model.set_room_mutes({self.room_sid: session.mutes.views(self.room_sid)})
        row = next((r for r in session.room_rows() if r.room.sid == self.room_sid), None)
        self.setWindowTitle(window_title(name, row, False))
        self.update_actions()

    # -- commands -----------------------------------------------------------------------------

    def update_actions(self) -> None:
        session = self._session
        room = session.room(self.room_sid) if session is not None and not self.ended else None
        row = self.pane.current_row()
        states = action_states(
            has_session=session is not None,
            room=room,
            room_count=1,
            row=row,
            revealed=row is not None and self.model.is_revealed(row.key),
            has_journal=False,  # the call history is the main window's
            muted=muted_state(session, self.room_sid, self.model, row),
        )
        self.commands.apply_states(states)
        self.commands.dial.setEnabled(False)

    def _mute(self, on: bool) -> None:
        session, row = self._session, self.pane.current_row()
        if session is None or row is None or row.participant_sid is None or self.ended:
            return
        if on:
            session.mutes.mute(self.room_sid, row.identity)
        else:
            session.mutes.unmute(self.room_sid, row.identity)
        self.refresh()

    # -- geometry -----------------------------------------------------------------------------

    def save_geometry(self, settings: Settings, profile: str) -> None:
        blob = bytes(self.saveGeometry().data())
        settings.ui_state[geometry_key(profile, self.room_name)] = base64.b64encode(blob).decode()

    def restore_geometry(self, settings: Settings, profile: str) -> None:
        blob = settings.ui_state.get(geometry_key(profile, self.room_name))
        if blob:
            self.restoreGeometry(QByteArray(base64.b64decode(blob)))
        else:
            self.resize(*DEFAULT_SIZE)

    def close_for_good(self) -> None:
        """Close without it counting as the host's close (the profile or the app goes)."""
        self._closing = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closing:
            self.closedByHost.emit(self.room_sid)
        super().closeEvent(event)


class RoomWindows:
    """The room windows of every profile: at most one per (profile, room)."""

    def __init__(self, parent: QWidget, settings: Settings) -> None:
        self._parent = parent
        self._settings = settings
        self._windows: dict[str, dict[str, RoomWindow]] = {}  # profile → room SID → window
        self._profile: str | None = None
        self._session: Session | None = None

    def windows(self, profile: str | None = None) -> list[RoomWindow]:
        """The open windows of `profile` (the current one by default)."""
        key = self._profile if profile is None else profile
        return list(self._windows.get(key or "", {}).values()) if key is not None else []

    def open(self, room_sid: str, room_name: str) -> RoomWindow | None:
        """Show the room's window (raised if already open); None without a live session."""
        profile, session = self._profile, self._session
        if profile is None or session is None:
            return None
        mine = self._windows.setdefault(profile, {})
        window = mine.get(room_sid)
        if window is None or window.ended:
            if window is not None:
                self._drop(profile, window)
            window = RoomWindow(room_sid, room_name, self._parent)
            window.restore_geometry(self._settings, profile)
            window.closedByHost.connect(lambda sid, p=profile: self._closed_by_host(p, sid))
            window.attach(session)
            mine[room_sid] = window
        window.show()
        window.raise_()
        window.activateWindow()
        return window

    def attach(self, profile: str, session: Session) -> None:
        """`profile`'s session is live: its windows follow it and show again."""
        self._profile, self._session = profile, session
        for window in self._windows.get(profile, {}).values():
            window.attach(session)
            window.show()

    def detach(self) -> None:
        """The profile's session goes (a switch): hide its windows, keep them for its return."""
        profile = self._profile
        if profile is not None:
            for window in self._windows.get(profile, {}).values():
                window.save_geometry(self._settings, profile)
                window.detach()
                window.hide()
        self._session = None

    def close_profile(self, profile: str) -> None:
        """The profile was removed: its windows close."""
        for window in list(self._windows.get(profile, {}).values()):
            self._drop(profile, window)
        self._windows.pop(profile, None)

    def keep_profiles(self, profiles: Sequence[str]) -> None:
        """Close the windows of every profile not in `profiles` (the sandbox always stays)."""
        for profile in list(self._windows):
            if profile and profile not in profiles:
                self.close_profile(profile)

    def close_all(self) -> None:
        """The app quits: remember each window's geometry and close them all."""
        for profile in list(self._windows):
            for window in list(self._windows[profile].values()):
                if window.isVisible():
                    window.save_geometry(self._settings, profile)
                self._drop(profile, window)
        self._windows.clear()

    def _drop(self, profile: str, window: RoomWindow) -> None:
        window.detach()
        window.close_for_good()
        window.deleteLater()
        self._windows.get(profile, {}).pop(window.room_sid, None)

    def _closed_by_host(self, profile: str, room_sid: str) -> None:
        window = self._windows.get(profile, {}).pop(room_sid, None)
        if window is not None:
            window.save_geometry(self._settings, profile)
            window.detach()
            window.deleteLater()
