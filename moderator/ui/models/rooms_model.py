"""The in-progress rooms with their participant counts, diffed by room SID.

Beside what Twilio says of each room, the table shows what the session watched of it: a
sparkline of its last 30 minutes (`SPARKLINE_ROLE`, drawn by `SparklineDelegate`) and the
capacity alerts in force (an icon by the count). Both come from Qt-free sources the model is
given (`set_watch`), asked on each refresh only for a cheap version per room; a room's cell is
repainted (one `dataChanged` for that cell) only when its version or its alerts moved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Protocol, cast

from PySide6.QtCore import QModelRoleData, QModelRoleDataSpan, QObject, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPixmap

from moderator.core.capacity import AlertMark
from moderator.core.live_state import MAX_PHONE_PARTICIPANTS, RoomRow
from moderator.core.models import Room
from moderator.ui.models.formatting import age, seconds_between
from moderator.ui.models.icons import warning_icon
from moderator.ui.models.keyed_table import KeyedTableModel, ModelIndex, Now, utcnow

if TYPE_CHECKING:  # the window paints before SQLite (count_history's store) is imported
    from moderator.core.count_history import Sparkline

SPARKLINE_ROLE = int(Qt.ItemDataRole.UserRole) + 20
"""The sparkline column's data: a `SparklineCell` (or None when the room has no history)."""


@dataclass(frozen=True, slots=True)
class SparklineCell:
    """What the delegate draws: the room's recent counts, scaled to its max participants."""

    room_sid: str
    sparkline: Sparkline
    max_participants: int


class SparklineSource(Protocol):
    """Each room's recent counts (`moderator.core.room_watch.SparklineFeed`)."""

    def version(self, room_sid: str) -> object:
        """Cheap; a different value means `sparkline` would give a different picture."""
        ...

    def sparkline(self, room_sid: str) -> Sparkline: ...


AlertSource = Callable[[str], tuple[AlertMark, ...]]
"""The capacity alerts in force for a room (`RoomWatch.marks`)."""

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_DECORATION = int(Qt.ItemDataRole.DecorationRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_FONT = int(Qt.ItemDataRole.FontRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
#: The roles a delegate's paint asks besides the text, answered by `_other_data` alone.
_PAINT_ROLES = frozenset(
    {
        _DECORATION,
        _ALIGNMENT,
        _FONT,
        _FOREGROUND,
        int(Qt.ItemDataRole.CheckStateRole),
        int(Qt.ItemDataRole.BackgroundRole),
    }
)
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren


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
    # Issue 11, appended so a header state saved with the columns above still restores.
    SPARKLINE = 12


_NAME_COLUMN = int(RoomColumn.NAME)
_PARTICIPANTS_COLUMN = int(RoomColumn.PARTICIPANTS)
_REC_COLUMN = int(RoomColumn.REC)
_SPARKLINE_COLUMN = int(RoomColumn.SPARKLINE)
_RIGHT_COLUMNS = frozenset(
    int(c) for c in (RoomColumn.PARTICIPANTS, RoomColumn.PHONE, RoomColumn.AGE)
)

#: Columns a first layout hides (the host shows them from the header's context menu). REC
#: also shows as a red badge by the room's name, so its own column is optional too. So is the
#: room type: only group rooms exist on accounts made since 2022 (and pre-flight says when a
#: room cannot take phone guests), and its width goes to the sparklines, which a host watching
#: many rooms wants at first sight; the window still fits an 800-pixel screen.
OPTION_COLUMNS = (
    RoomColumn.TYPE,
    RoomColumn.REC,
    RoomColumn.EMPTY_TIMEOUT,
    RoomColumn.UNUSED_TIMEOUT,
    RoomColumn.AUDIO_ONLY,
    RoomColumn.RECORD_ON_CONNECT,
    RoomColumn.MAX_DURATION,
    RoomColumn.LARGE_ROOM,
)
#: The sparkline column's header: what it spans.
SPARKLINE_TITLE = "30 min"
#: Its header's tooltip, the whole story (the title must fit a narrow column).
SPARKLINE_TIP = "Participants over the last 30 minutes (blank where the room was not counted)"
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
        SPARKLINE_TITLE,
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
        self._series: SparklineSource | None = None
        self._alerts: AlertSource | None = None
        self._spark: dict[str, tuple[object, SparklineCell]] = {}  # sid → (version, cell)
        self._marks: dict[str, tuple[AlertMark, ...]] = {}

    # -- contract API -------------------------------------------------------------------------

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> object:
        if (
            role == Qt.ItemDataRole.ToolTipRole
            and orientation is Qt.Orientation.Horizontal
            and section == RoomColumn.SPARKLINE
        ):
            return SPARKLINE_TIP
        return super().headerData(section, orientation, role)

    def set_rooms(self, rows: Sequence[RoomRow]) -> None:
        """Show these rooms in this order; selection and scroll position survive."""
        self.set_row_objects(rows)
        self.refresh_watch()
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

    def set_watch(self, series: SparklineSource | None, alerts: AlertSource | None) -> None:
        """Where the sparklines and the alert marks come from (a session's `RoomWatch`), or
        None (no session): every room's cell is asked again."""
        self._series, self._alerts = series, alerts
        self._spark.clear()
        self._marks.clear()
        self.refresh_watch(force=True)

    def refresh_watch(self, *, force: bool = False) -> None:
        """Take each room's new sparkline and alerts; repaint only the cells that moved."""
        spark_rows: list[int] = []
        mark_rows: list[int] = []
        listed: set[str] = set()
        for position, row in enumerate(self._rows):
            sid = row.room.sid
            listed.add(sid)
            if self._take_sparkline(row) or force:
                spark_rows.append(position)
            marks = self._alerts(sid) if self._alerts is not None else ()
            if marks != self._marks.get(sid, ()):
                self._marks[sid] = marks
                mark_rows.append(position)
        for cache in (self._spark, self._marks):
            for sid in [s for s in cache if s not in listed]:
                del cache[sid]
        self._emit_cells(spark_rows, RoomColumn.SPARKLINE)
        self._emit_cells(mark_rows, RoomColumn.PARTICIPANTS)

    def _take_sparkline(self, row: RoomRow) -> bool:
        sid = row.room.sid
        if self._series is None:
            return self._spark.pop(sid, None) is not None
        version = self._series.version(sid)
        cached = self._spark.get(sid)
        if (
            cached is not None
            and cached[0] == version
            and cached[1].max_participants == row.room.max_participants
        ):
            return False
        cell = SparklineCell(sid, self._series.sparkline(sid), row.room.max_participants)
        self._spark[sid] = (version, cell)
        return True

    def _emit_cells(self, positions: list[int], column: int) -> None:
        """One dataChanged per run of adjacent rows, for `column` only."""
        start = 0
        while start < len(positions):
            end = start
            while end + 1 < len(positions) and positions[end + 1] == positions[end] + 1:
                end += 1
            self.dataChanged.emit(
                self.index(positions[start], column), self.index(positions[end], column), []
            )
            start = end + 1

    def sparkline_of(self, room_sid: str) -> SparklineCell | None:
        cached = self._spark.get(room_sid)
        return cached[1] if cached is not None else None

    def marks_of(self, room_sid: str) -> tuple[AlertMark, ...]:
        """The alerts the room's row shows."""
        return self._marks.get(room_sid, ())

    def tick(self) -> None:
        """Ages moved on: repaint the age and count cells only (and sparklines that slid)."""
        if self._rows:
            self.dataChanged.emit(
                self.index(0, RoomColumn.PARTICIPANTS),
                self.index(len(self._rows) - 1, RoomColumn.AGE),
                [],
            )
        self.refresh_watch()

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
            room.max_participants,  # the sparkline's scale; its counts come by refresh_watch
        )

    # -- data ---------------------------------------------------------------------------------

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        """The base class's flags, combined once: the view asks for every cell it paints."""
        return _FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def data(self, index: ModelIndex, role: int = _DISPLAY) -> object:
        if role == SPARKLINE_ROLE:  # the sparkline delegate's one question, straight to it
            if index.column() != _SPARKLINE_COLUMN:
                return None
            row = self._row_for_index(index)
            return self.sparkline_of(row.room.sid) if row is not None else None
        return super().data(index, role)

    def multiData(
        self, index: ModelIndex, roleDataSpan: QModelRoleDataSpan | QModelRoleData
    ) -> None:
        """Every role a delegate asks of a cell, in one call (how Qt 6 delegates ask): a
        repaint of the table then costs one call into Python per cell, not seven."""
        items = role_items(roleDataSpan)
        row = self._row_for_index(index)
        if row is None:
            for item in items:
                item.clearData()
            return
        column = index.column()
        for item in items:
            role = item.role()
            value: object
            if role == _DISPLAY:
                value = self._display(row, column)
            elif role in _PAINT_ROLES:
                value = self._other_data(row, column, role)
            else:
                value = self.data(index, role)
            if value is None:
                item.clearData()  # the caller may hand the same span over from another cell
            else:
                item.setData(value)

    def _other_data(self, row: RoomRow, column: int, role: int) -> object:
        # Plain ints, not Qt's enum members: this runs for every cell of every repaint.
        if role == _DECORATION:
            if column == _NAME_COLUMN:
                return rec_badge() if self.is_recording(row.room.sid) else None
            if column == _PARTICIPANTS_COLUMN and self.marks_of(row.room.sid):
                return warning_icon()
            return None
        if role == _ALIGNMENT:
            return _RIGHT if column in _RIGHT_COLUMNS else None
        if role == _FONT:
            if column == _PARTICIPANTS_COLUMN and self._count_is_stale(row):
                return self._italic
            return None
        if role == _FOREGROUND:
            if column == _REC_COLUMN and self.is_recording(row.room.sid):
                return QColor(RECORDING_RED)
            return None
        if role == SPARKLINE_ROLE:
            return self.sparkline_of(row.room.sid) if column == _SPARKLINE_COLUMN else None
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
            alerts = "".join(f"{mark.text}\n" for mark in self.marks_of(row.room.sid))
            count_age = self._count_age_s(row)
            if count_age is None:
                return f"{alerts}Not counted yet"
            return f"{alerts}Counted {age(count_age)} ago"
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
            alerts = "".join(f". Alert: {mark.text}" for mark in self.marks_of(room.sid))
            return f"{row.participant_count} of {room.max_participants} participants{when}{alerts}"
        if column == RoomColumn.PHONE:
            if not room.type.takes_phone_participants:
                return "Takes no phone guests"
            return f"{row.phone_count} of {MAX_PHONE_PARTICIPANTS} phone guests"
        if column == RoomColumn.AGE:
            return f"Running for {age(seconds_between(room.date_created, self._now()))}"
        if column == RoomColumn.REC:
            return "Recording" if self.is_recording(room.sid) else "Not recording"
        if column == RoomColumn.SPARKLINE:
            cell = self.sparkline_of(room.sid)
            return sparkline_text(cell.sparkline if cell is not None else None)
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
        if column == RoomColumn.SPARKLINE:  # by the latest count, unknown first
            cell = self.sparkline_of(room.sid)
            current = cell.sparkline.current if cell is not None else None
            return -1 if current is None else current
        return _option_text(room, column)


def role_items(span: QModelRoleDataSpan | QModelRoleData) -> Iterable[QModelRoleData]:
    """The roles asked in a `multiData` call (PySide's span iterates; its stubs do not say)."""
    if isinstance(span, QModelRoleData):
        return (span,)
    return cast(Iterable[QModelRoleData], span)


def sparkline_text(sparkline: Sparkline | None) -> str:
    """What the sparkline shows, in words: its range and the count now."""
    lead = "Participants over the last 30 minutes"
    low = sparkline.low if sparkline is not None else None
    high = sparkline.high if sparkline is not None else None
    if sparkline is None or low is None or high is None:
        return f"{lead}: not counted yet"
    current = sparkline.current
    now = "unknown" if current is None else str(current)
    spread = str(low) if low == high else f"{low} to {high}"
    return f"{lead}: {spread}, now {now}"


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
