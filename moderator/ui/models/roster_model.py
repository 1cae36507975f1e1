"""The selected room's roster: phone guests and app participants, diffed by row key.

Phone numbers stay masked unless the host reveals one row; the "connected for" column ticks once
a second with a single dataChanged for that column, so nothing else repaints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from enum import IntEnum

from PySide6.QtCore import QObject, Qt, QTimer

from moderator.core.guest_state import GuestStatus
from moderator.core.mutes import MuteView
from moderator.core.phone import format_international
from moderator.core.roster import GuestKind, RosterRow
from moderator.ui import resources
from moderator.ui.models.formatting import clock_duration, seconds_between, spoken_duration
from moderator.ui.models.icons import app_icon, phone_icon
from moderator.ui.models.keyed_table import KeyedTableModel, Now, utcnow


class RosterColumn(IntEnum):
    KIND = 0
    NAME = 1
    IDENTITY = 2
    STATUS = 3
    CONNECTED_FOR = 4
    TRACKS = 5
    MUTED = 6
    #: Shown only in the "All rooms" scope (the roster pane hides it otherwise).
    ROOM = 7


_KIND_TEXT = {GuestKind.PHONE: "Phone guest", GuestKind.APP: "App participant"}


def _is_connected(row: RosterRow) -> bool:
    return row.connected_since is not None and (
        row.status is None or row.status is GuestStatus.CONNECTED
    )


def _tracks_text(row: RosterRow) -> str:
    if row.has_audio and row.has_video:
        return "Audio, video"
    if row.has_audio:
        return "Audio"
    if row.has_video:
        return "Video"
    return "—"


class RosterModel(KeyedTableModel[RosterRow]):
    """Roster pane model; `reveal(key, True)` shows that row's full number until hidden again."""

    headers = ("Kind", "Name", "Identity", "Status", "Connected for", "Tracks", "Muted", "Room")

    def __init__(self, parent: QObject | None = None, *, now: Now = utcnow) -> None:
        super().__init__(parent)
        self._now = now
        self._revealed: set[str] = set()
        self._mutes: dict[str, MuteView] = {}
        self._room_mutes: dict[str, dict[str, MuteView]] = {}
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.tick)

    # -- contract API -------------------------------------------------------------------------

    def set_rows(self, rows: Sequence[RosterRow]) -> None:
        """Show these rows in this order; selection and scroll position survive."""
        self.set_row_objects(rows)
        self._revealed.intersection_update(self._positions)
        if any(_is_connected(row) for row in self._rows):
            if not self._timer.isActive():
                self._timer.start()
        else:
            self._timer.stop()

    def row_at(self, row: int) -> RosterRow | None:
        return self.row_object(row)

    def reveal(self, key: str, on: bool) -> None:
        """Show (or mask again) one phone guest's full number; the window may be shared."""
        position = self.row_of(key)
        if position < 0:
            return
        if on:
            self._revealed.add(key)
        else:
            self._revealed.discard(key)
        index = self.index(position, RosterColumn.NAME)
        self.dataChanged.emit(index, index, [])

    def set_mutes(self, views: dict[str, MuteView]) -> None:
        """Who is muted for everyone (by identity), by whom, since when; repaints that column."""
        if views != self._mutes:
            self._mutes = dict(views)
            self._emit_column_changed(RosterColumn.MUTED)

    def set_room_mutes(self, views: dict[str, dict[str, MuteView]]) -> None:
        """Mutes of the rows stamped with a room (All rooms, a room window): room SID → views.

        An identity is muted in one room, not in every room it is in, so rows that know their
        room look their mute up there instead of in `set_mutes`' (the selected room's)."""
        if views != self._room_mutes:
            self._room_mutes = {room: dict(v) for room, v in views.items()}
            self._emit_column_changed(RosterColumn.MUTED)

    def room_sids(self) -> set[str]:
        """The rooms of the rows stamped with one (empty for a one-room roster)."""
        return {row.room_sid for row in self._rows if row.room_sid}

    def mute_view(self, row: RosterRow) -> MuteView | None:
        """The row's mute state, if it is muted or being muted or unmuted."""
        if row.participant_sid is None:
            return None
        if row.room_sid:
            view = self._room_mutes.get(row.room_sid, {}).get(row.identity)
        else:
            view = self._mutes.get(row.identity)
        if view is not None and view.muted and not view.by_you and row.muted_by:
            return replace(view, by_name=row.muted_by)  # a co-host's mute, by name
        return view

    def is_revealed(self, key: str) -> bool:
        return key in self._revealed

    def tick(self) -> None:
        """A second passed: repaint "connected for" (and nothing else)."""
        self._emit_column_changed(RosterColumn.CONNECTED_FOR)

    # -- diff hooks ---------------------------------------------------------------------------

    def row_key(self, row: RosterRow) -> str:
        return row.key

    def cells(self, row: RosterRow) -> tuple[object, ...]:
        return (
            row.kind,
            (row.name, row.full_number, row.label),
            row.identity,
            (row.status, row.status_text),
            (row.connected_since, row.status),
            (row.has_audio, row.has_video),
            None,  # muted: repainted as a column by set_mutes
            row.room_name,
        )

    # -- data ---------------------------------------------------------------------------------

    def _other_data(self, row: RosterRow, column: int, role: int) -> object:
        if role == Qt.ItemDataRole.DecorationRole:
            if column == RosterColumn.KIND:
                return phone_icon() if row.kind is GuestKind.PHONE else app_icon()
            view = self.mute_view(row)
            if column == RosterColumn.MUTED and view is not None and view.muted:
                return resources.icon("mute")
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and column == RosterColumn.CONNECTED_FOR:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        return None

    def _name(self, row: RosterRow) -> str:
        if row.key in self._revealed and row.full_number:
            number = format_international(row.full_number)
            return f"{row.label} · {number}" if row.label else number
        return row.name

    def _connected_seconds(self, row: RosterRow) -> int | None:
        if not _is_connected(row) or row.connected_since is None:
            return None
        return seconds_between(row.connected_since, self._now())

    def _display(self, row: RosterRow, column: int) -> str | None:
        if column == RosterColumn.KIND:
            return None  # the icon says it; the text is in the accessible and tooltip roles
        if column == RosterColumn.NAME:
            return self._name(row)
        if column == RosterColumn.IDENTITY:
            return row.identity
        if column == RosterColumn.STATUS:
            return row.status_text
        if column == RosterColumn.CONNECTED_FOR:
            seconds = self._connected_seconds(row)
            return "" if seconds is None else clock_duration(seconds)
        if column == RosterColumn.TRACKS:
            return _tracks_text(row)
        if column == RosterColumn.MUTED:
            view = self.mute_view(row)
            return "" if view is None else view.text
        if column == RosterColumn.ROOM:
            return row.room_name
        return None

    def _tooltip(self, row: RosterRow, column: int) -> str | None:
        if column == RosterColumn.NAME and row.kind is GuestKind.PHONE:
            if row.key in self._revealed:
                return "Number shown; hide it again with Reveal number"
            if row.full_number:
                return f"{row.name} — use Reveal number to show the full number"
            return f"{row.name} — the full number is not kept across restarts"
        return self._spoken(row, column)

    def _spoken(self, row: RosterRow, column: int) -> str | None:
        if column == RosterColumn.KIND:
            return f"{_KIND_TEXT[row.kind]} (called in)" if row.called_in else _KIND_TEXT[row.kind]
        if column == RosterColumn.NAME:
            return f"Name {self._name(row)}"
        if column == RosterColumn.IDENTITY:
            return f"Identity {row.identity}"
        if column == RosterColumn.STATUS:
            return f"Status {row.status_text}"
        if column == RosterColumn.CONNECTED_FOR:
            seconds = self._connected_seconds(row)
            return (
                "Not connected" if seconds is None else f"Connected for {spoken_duration(seconds)}"
            )
        if column == RosterColumn.TRACKS:
            text = _tracks_text(row)
            return "No published tracks" if text == "—" else f"Publishing {text.lower()}"
        if column == RosterColumn.MUTED:
            view = self.mute_view(row)
            return "Not muted" if view is None else view.spoken(_local_time)
        if column == RosterColumn.ROOM:
            return f"Room {row.room_name}"
        return None

    def _sort_key(self, row: RosterRow, column: int) -> object:
        if column == RosterColumn.KIND:
            return str(row.kind)
        if column == RosterColumn.NAME:
            return row.name.casefold()
        if column == RosterColumn.IDENTITY:
            return row.identity.casefold()
        if column == RosterColumn.STATUS:
            return row.status_text.casefold()
        if column == RosterColumn.CONNECTED_FOR:
            seconds = self._connected_seconds(row)
            return -1 if seconds is None else seconds
        if column == RosterColumn.TRACKS:
            return (row.has_audio, row.has_video)
        if column == RosterColumn.MUTED:
            view = self.mute_view(row)
            return "" if view is None else view.text
        if column == RosterColumn.ROOM:
            return row.room_name.casefold()
        return None


def _local_time(at: datetime) -> str:
    """14:02 today, or the date too for an older mute."""
    local = at.astimezone()
    if local.date() == datetime.now().astimezone().date():
        return local.strftime("%H:%M")
    return local.strftime("%Y-%m-%d %H:%M")
