"""The in-progress rooms with their participant counts, diffed by room SID."""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPixmap

from moderator.core.live_state import MAX_PHONE_PARTICIPANTS, RoomRow
from moderator.core.models import Room
from moderator.ui.models.formatting import age, seconds_between
from moderator.ui.models.keyed_table import KeyedTableModel, Now, utcnow


class RoomColumn(IntEnum):
    NAME = 0
    TYPE = 1
    PARTICIPANTS = 2
    PHONE = 3
    AGE = 4
    REC = 5
    # The room's create options (issue 10): hidden until the host turns them on from the
    # header's context menu.
    EMPTY_TIMEOUT = 6
    UNUSED_TIMEOUT = 7
    AUDIO_ONLY = 8
    RECORD_ON_CONNECT = 9
    MAX_DURATION = 10
    LARGE_ROOM = 11


#: Columns a first layout hides (the host shows them from the header's context menu). REC
#: also shows as a red badge by the room's name, so its own column is optional too.
OPTION_COLUMNS = (
    RoomColumn.REC,
    RoomColumn.EMPTY_TIMEOUT,
    RoomColumn.UNUSED_TIMEOUT,
    RoomColumn.AUDIO_ONLY,
    RoomColumn.RECORD_ON_CONNECT,
    RoomColumn.MAX_DURATION,
    RoomColumn.LARGE_ROOM,
)
#: What the REC column shows for a room that records.
REC_TEXT = "● REC"


_TYPE_TEXT = {
    "group": "Group",
    "group-small": "Small group",
    "peer-to-peer": "Peer-to-peer",
    "go": "Go",
}


class RoomsModel(KeyedTableModel[RoomRow]):
    """Rooms pane model. Ages and count ages tick on a slow timer, one signal per tick."""

    headers = (
        "Room",
        "Type",
        "Participants",
        "Phone",
        "Age",
        "Rec",
        "Empty timeout",
        "Unused timeout",
        "Audio only",
        "Record on connect",
        "Max duration",
        "Large room",
    )

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
        self._recording: frozenset[str] = frozenset()

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

    def set_recording(self, room_sids: frozenset[str]) -> None:
        """The rooms that record now (read back from Twilio): repaint their REC cells."""
        changed = self._recording ^ room_sids
        self._recording = frozenset(room_sids)
        for sid in changed:
            row = self.row_of(sid)
            if row >= 0:
                for column in (RoomColumn.NAME, RoomColumn.REC):
                    index = self.index(row, column)
                    self.dataChanged.emit(index, index, [])

    def is_recording(self, room_sid: str) -> bool:
        return room_sid in self._recording

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
            room.sid in self._recording,
            room.empty_room_timeout,
            room.unused_room_timeout,
            room.audio_only,
            room.record_participants_on_connect,
            room.max_participant_duration,
            room.large_room,
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
        if role == Qt.ItemDataRole.ForegroundRole and column == RoomColumn.REC:
            return QColor(RECORDING_RED) if self.is_recording(row.room.sid) else None
        if role == Qt.ItemDataRole.DecorationRole and column == RoomColumn.NAME:
            return rec_badge() if self.is_recording(row.room.sid) else None
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
        if column == RoomColumn.REC:
            return REC_TEXT if self.is_recording(room.sid) else ""
        return _option_text(room, column)

    def _tooltip(self, row: RoomRow, column: int) -> str | None:
        if column == RoomColumn.NAME and self.is_recording(row.room.sid):
            return f"{row.room.unique_name} — recording (REC): Twilio records every track"
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
            recording = ", recording" if self.is_recording(room.sid) else ""
            return f"Room {room.unique_name}{recording}"
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
        if column == RoomColumn.REC:
            return "Recording" if self.is_recording(room.sid) else "Not recording"
        text = _option_text(room, column)
        return f"{self.headers[column]}: {text}" if text is not None else None

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
        if column == RoomColumn.REC:
            return 0 if self.is_recording(room.sid) else 1
        return _option_text(room, column)


#: The REC indicator's colour (the same red in light and dark palettes).
RECORDING_RED = "#d32f2f"
_badge: list[QPixmap] = []


def rec_badge() -> QPixmap:
    """A small red "REC" badge, drawn once, shown by the name of a room that records."""
    if not _badge:
        font = QFont()
        font.setBold(True)
        font.setPointSizeF(max(6.0, font.pointSizeF() * 0.75))
        metrics = QFontMetrics(font)
        width, height = metrics.horizontalAdvance("REC") + 8, metrics.height() + 2
        pixmap = QPixmap(width, height)
        pixmap.fill(QColor(0, 0, 0, 0))
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(QColor(RECORDING_RED))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawRoundedRect(0, 0, width, height, 3, 3)
        painter.setPen(QColor("white"))
        painter.setFont(font)
        painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, "REC")
        painter.end()
        _badge.append(pixmap)
    return _badge[0]


def _option_text(room: Room, column: int) -> str | None:
    """A create option's cell: minutes, yes/no, a duration; "—" when Twilio did not say."""
    if column == RoomColumn.EMPTY_TIMEOUT:
        return f"{room.empty_room_timeout} min" if room.empty_room_timeout else "—"
    if column == RoomColumn.UNUSED_TIMEOUT:
        return f"{room.unused_room_timeout} min" if room.unused_room_timeout else "—"
    if column == RoomColumn.AUDIO_ONLY:
        return "Yes" if room.audio_only else "No"
    if column == RoomColumn.RECORD_ON_CONNECT:
        return "Yes" if room.record_participants_on_connect else "No"
    if column == RoomColumn.MAX_DURATION:
        seconds = room.max_participant_duration
        if not seconds:
            return "—"
        hours, rest = divmod(seconds, 3600)
        return f"{hours} h {rest // 60:02d} min" if hours else f"{rest // 60} min"
    if column == RoomColumn.LARGE_ROOM:
        return "Yes" if room.large_room else "No"
    return None
