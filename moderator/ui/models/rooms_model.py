"""The in-progress rooms with their participant counts, diffed by room SID."""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QFont

from moderator.core.live_state import MAX_PHONE_PARTICIPANTS, RoomRow
from moderator.ui.models.formatting import age, seconds_between
from moderator.ui.models.keyed_table import KeyedTableModel, Now, utcnow


class RoomColumn(IntEnum):
    NAME = 0
    TYPE = 1
    PARTICIPANTS = 2
    PHONE = 3
    AGE = 4


_TYPE_TEXT = {
    "group": "Group",
    "group-small": "Small group",
    "peer-to-peer": "Peer-to-peer",
    "go": "Go",
}


class RoomsModel(KeyedTableModel[RoomRow]):
    """Rooms pane model. Ages and count ages tick on a slow timer, one signal per tick."""

    headers = ("Room", "Type", "Participants", "Phone", "Age")

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        now: Now = utcnow,
        stale_after_s: float = 15.0,
        tick_ms: int = 5000,
    ) -> None:
        super().__init__(parent)
        self._now = now
        self._stale_after_s = stale_after_s
        self._italic = QFont()
        self._italic.setItalic(True)
        self._timer = QTimer(self)
        self._timer.setInterval(tick_ms)
        self._timer.timeout.connect(self.tick)

    # -- contract API -------------------------------------------------------------------------

    def set_rooms(self, rows: Sequence[RoomRow]) -> None:
        """Show these rooms in this order; selection and scroll position survive."""
        self.set_row_objects(rows)
        if self._rows and not self._timer.isActive():
            self._timer.start()
        elif not self._rows:
            self._timer.stop()

    def room_at(self, row: int) -> RoomRow | None:
        return self.row_object(row)

    def tick(self) -> None:
        """Ages moved on: repaint the age and count cells only."""
        if self._rows:
            self.dataChanged.emit(
                self.index(0, RoomColumn.PARTICIPANTS),
                self.index(len(self._rows) - 1, RoomColumn.AGE),
                [],
            )

    # -- diff hooks ---------------------------------------------------------------------------

    def row_key(self, row: RoomRow) -> str:
        return row.room.sid

    def cells(self, row: RoomRow) -> tuple[object, ...]:
        room = row.room
        return (
            room.unique_name,
            room.type,
            (row.participant_count, room.max_participants, row.counted_at),
            row.phone_count,
            room.date_created,
        )

    # -- data ---------------------------------------------------------------------------------

    def _other_data(self, row: RoomRow, column: int, role: int) -> object:
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (
            RoomColumn.PARTICIPANTS,
            RoomColumn.PHONE,
            RoomColumn.AGE,
        ):
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        if role == Qt.ItemDataRole.FontRole and column == RoomColumn.PARTICIPANTS:
            return self._italic if self._count_is_stale(row) else None
        return None

    def _count_age_s(self, row: RoomRow) -> int | None:
        if row.counted_at is None:
            return None
        return seconds_between(row.counted_at, self._now())

    def _count_is_stale(self, row: RoomRow) -> bool:
        count_age = self._count_age_s(row)
        return count_age is None or count_age > self._stale_after_s

    def _display(self, row: RoomRow, column: int) -> str | None:
        room = row.room
        if column == RoomColumn.NAME:
            return room.unique_name
        if column == RoomColumn.TYPE:
            return _TYPE_TEXT.get(str(room.type), str(room.type))
        if column == RoomColumn.PARTICIPANTS:
            count = "…" if row.participant_count is None else str(row.participant_count)
            return f"{count}/{room.max_participants}"
        if column == RoomColumn.PHONE:
            if not room.type.takes_phone_participants:
                return "—"
            return f"{row.phone_count}/{MAX_PHONE_PARTICIPANTS}"
        if column == RoomColumn.AGE:
            return age(seconds_between(room.date_created, self._now()))
        return None

    def _tooltip(self, row: RoomRow, column: int) -> str | None:
        if column == RoomColumn.PARTICIPANTS:
            count_age = self._count_age_s(row)
            if count_age is None:
                return "Not counted yet"
            return f"Counted {age(count_age)} ago"
        if column == RoomColumn.PHONE and not row.room.type.takes_phone_participants:
            return "Peer-to-peer and Go rooms cannot take phone guests"
        if column == RoomColumn.AGE:
            return f"Created {row.room.date_created.astimezone():%Y-%m-%d %H:%M:%S}"
        return self._spoken(row, column)

    def _spoken(self, row: RoomRow, column: int) -> str | None:
        room = row.room
        if column == RoomColumn.NAME:
            return f"Room {room.unique_name}"
        if column == RoomColumn.TYPE:
            return f"{self._display(row, column)} room"
        if column == RoomColumn.PARTICIPANTS:
            if row.participant_count is None:
                return f"Participants not counted yet, at most {room.max_participants}"
            count_age = self._count_age_s(row)
            when = "" if count_age is None else f", counted {age(count_age)} ago"
            return f"{row.participant_count} of {room.max_participants} participants{when}"
        if column == RoomColumn.PHONE:
            if not room.type.takes_phone_participants:
                return "Takes no phone guests"
            return f"{row.phone_count} of {MAX_PHONE_PARTICIPANTS} phone guests"
        if column == RoomColumn.AGE:
            return f"Running for {age(seconds_between(room.date_created, self._now()))}"
        return None

    def _sort_key(self, row: RoomRow, column: int) -> object:
        room = row.room
        if column == RoomColumn.NAME:
            return room.unique_name.casefold()
        if column == RoomColumn.TYPE:
            return str(room.type)
        if column == RoomColumn.PARTICIPANTS:
            return -1 if row.participant_count is None else row.participant_count
        if column == RoomColumn.PHONE:
            return row.phone_count
        if column == RoomColumn.AGE:
            return -room.date_created.timestamp()  # ascending = youngest first, like "age"
        return None
