"""The main window's roster scope: the selected room's roster, or everyone in every room.

In "All rooms" the roster model holds `all_rooms_roster` rows (each stamped with its room and
keyed `room SID/key`), rebuilt once per turn of the event loop after the session reports any
room's change, and diffed into the model like a one-room roster (never reset). The commands
then act on the selected row's own room: `scoped_action_states` enables them by that room.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Slot

from moderator.core.action_states import ActionStates, action_states
from moderator.core.guest_state import GuestStatus
from moderator.core.models import Room
from moderator.core.roster import RosterRow, all_rooms_roster
from moderator.core.settings import Settings

if TYPE_CHECKING:
    from moderator.ui.main_window import MainWindow
    from moderator.ui.session import Session

#: The settings key (`Settings.ui_state`) of the roster pane's scope.
SCOPE_KEY = "rosterScope"
ALL_ROOMS = "all"
THIS_ROOM = "room"

#: The commands that act on the selected row: in All rooms, enabled by the row's own room.
ROW_STATE_FIELDS = (
    "remove",
    "remove_text",
    "remove_hangs_up",
    "redial",
    "reveal",
    "revealed",
    "show_timeline",
    "mute",
    "unmute",
)


def session_all_rooms_roster(session: Session) -> list[RosterRow]:
    """Everyone in every listed room, room by room in the rooms pane's order (a room never
    counted yet shows the phone guests dialed into it: its app participants are not known)."""
    return all_rooms_roster(
        (row.room.sid, row.room.unique_name, session.roster(row.room.sid))
        for row in session.room_rows()
    )


def scoped_action_states(
    *,
    has_session: bool,
    room: Room | None,
    row_room: Room | None,
    room_count: int,
    row: RosterRow | None,
    revealed: bool,
    has_journal: bool,
    muted: bool | None,
) -> ActionStates:
    """`action_states` for the selected `room`, with the row's commands judged in the row's own
    room (`row_room`) when the row carries one; a row of an ended room enables nothing."""
    states = action_states(
        has_session=has_session,
        room=room,
        room_count=room_count,
        row=row,
        revealed=revealed,
        has_journal=has_journal,
        muted=muted,
    )
    if row is None or not row.room_sid:
        return states
    for_row = action_states(
        has_session=has_session,
        room=row_room,
        room_count=room_count,
        row=row,
        revealed=revealed,
        has_journal=has_journal,
        muted=muted,
    )
    return replace(states, **{name: getattr(for_row, name) for name in ROW_STATE_FIELDS})


def _ticking(rows: Sequence[RosterRow]) -> bool:
    """A dial under way ("Ringing 12 s") whose text moves every second."""
    return any(
        row.status is not None and row.status.is_live and row.status is not GuestStatus.CONNECTED
        for row in rows
    )


class RosterScope(QObject):
    """Feeds the main window's roster model for the scope the roster pane shows."""

    def __init__(
        self, window: MainWindow, settings: Settings, after_rows: Callable[[], None]
    ) -> None:
        super().__init__(window)
        self._window = window
        self._settings = settings
        self._after_rows = after_rows
        self._session: Session | None = None
        self._rebuild = QTimer(self)
        self._rebuild.setSingleShot(True)
        self._rebuild.setInterval(0)
        self._rebuild.timeout.connect(self.rebuild)
        self._tick = QTimer(self)  # "Ringing 12 s" in rooms the session does not tick
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self.schedule)
        window.roster_pane.scopeChanged.connect(self._on_scope_changed)

    @property
    def all_rooms(self) -> bool:
        return self._window.roster_pane.all_rooms()

    def restore(self) -> None:
        """Take the scope saved last (after the header states were restored)."""
        saved = self._settings.ui_state.get(SCOPE_KEY) == ALL_ROOMS
        self._window.roster_pane.set_all_rooms(saved)

    # -- the session --------------------------------------------------------------------------

    def attach(self, session: Session) -> None:
        self._session = session

        def mine() -> None:
            if self._session is session and self.all_rooms:
                self.schedule()

        session.roomsChanged.connect(lambda _rows: mine())  # rosters come from the window
        session.events.connect(lambda _events: mine())
        self.schedule()

    def detach(self) -> None:
        self._session = None
        self._rebuild.stop()
        self._tick.stop()

    def room_of(self, row: RosterRow | None) -> Room | None:
        """The room a command on `row` acts in, if the row carries one and it is listed."""
        if row is None or not row.room_sid or self._session is None:
            return None
        return self._session.room(row.room_sid)

    # -- what the window forwards -------------------------------------------------------------

    def roster_changed(self, room_sid: str, rows: Sequence[RosterRow]) -> bool:
        """The session's roster of `room_sid`; True if it went into the model.

        In All rooms the whole roster is rebuilt at once (not on the next turn): a host's
        click (a dial, a removal) shows in this very turn, so the dialed guest can be selected.
        """
        if self.all_rooms:
            self.rebuild()
            return True
        if room_sid != self._window.rooms_pane.selected_sid():
            return False
        self._window.roster_model.set_rows(rows)
        return True

    def room_selected(self) -> None:
        """Another room was selected: its roster comes from the session (All rooms stays)."""
        if not self.all_rooms:
            self._window.roster_model.set_rows([])

    @Slot()
    def schedule(self) -> None:
        if self.all_rooms and self._session is not None and not self._rebuild.isActive():
            self._rebuild.start()

    @Slot()
    def rebuild(self) -> None:
        """Put everyone in every room into the model (All rooms only)."""
        self._rebuild.stop()  # whatever was scheduled is in this rebuild
        session = self._session
        if not self.all_rooms or session is None:
            return
        rows = session_all_rooms_roster(session)
        self._window.roster_model.set_rows(rows)
        if _ticking(rows):
            if not self._tick.isActive():
                self._tick.start()
        else:
            self._tick.stop()
        self._after_rows()

    def _on_scope_changed(self, all_rooms: bool) -> None:
        self._settings.ui_state[SCOPE_KEY] = ALL_ROOMS if all_rooms else THIS_ROOM
        session, model = self._session, self._window.roster_model
        if all_rooms:
            self.rebuild()
            if session is None:
                model.set_rows([])
            return
        self._tick.stop()
        selected = self._window.rooms_pane.selected_sid()
        rows = session.roster(selected) if session is not None and selected is not None else []
        model.set_rows(rows)
        self._after_rows()
