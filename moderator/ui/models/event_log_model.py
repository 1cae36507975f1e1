"""The event log: an append-only, bounded table of joins, leaves, call outcomes and errors.

Rows are immutable and formatted once on arrival, so painting 5,000 of them costs nothing per
tick. The oldest rows fall off the top when the log is full; a proxy filters it by room.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum

from PySide6.QtCore import QModelIndex, QObject, QSortFilterProxyModel, Qt

from moderator.core.guest_state import GuestEvent
from moderator.ui.models.icons import warning_icon
from moderator.ui.models.roles import SORT_ROLE
from moderator.ui.models.table_base import ModelIndex, RowTableModel

DEFAULT_CAPACITY = 5000

#: Event kinds shown with a warning sign; the rest are plain news.
PROBLEM_KINDS = frozenset({"error", "dial-failed"})


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One logged event with its display text prepared once."""

    seq: int
    event: GuestEvent
    time_text: str  # local HH:MM:SS
    when_text: str  # local date and time, for tooltips

    @property
    def room_sid(self) -> str:
        return self.event.room_sid


class LogColumn(IntEnum):
    TIME = 0
    ROOM = 1
    EVENT = 2


class EventLogModel(RowTableModel[LogEntry]):
    """Newest at the bottom; views follow the tail. Bounded to `capacity` rows."""

    headers = ("Time", "Room", "Event")

    def __init__(self, parent: QObject | None = None, *, capacity: int = DEFAULT_CAPACITY) -> None:
        super().__init__(parent)
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._capacity = capacity
        self._next_seq = 1

    @property
    def capacity(self) -> int:
        return self._capacity

    def append(self, events: Sequence[GuestEvent]) -> None:
        """Add events at the bottom, dropping the oldest rows beyond the capacity."""
        if not events:
            return
        entries = [self._entry(event) for event in events][-self._capacity :]
        overflow = len(self._rows) + len(entries) - self._capacity
        parent = QModelIndex()
        if overflow > 0:
            self.beginRemoveRows(parent, 0, overflow - 1)
            del self._rows[:overflow]
            self.endRemoveRows()
        first = len(self._rows)
        self.beginInsertRows(parent, first, first + len(entries) - 1)
        self._rows.extend(entries)
        self.endInsertRows()

    def clear(self) -> None:
        """Empty the log (a new profile's session starts a new story)."""
        if not self._rows:
            return
        self.beginRemoveRows(QModelIndex(), 0, len(self._rows) - 1)
        self._rows.clear()
        self.endRemoveRows()

    def entry_at(self, row: int) -> LogEntry | None:
        return self.row_object(row)

    def entries(self) -> list[LogEntry]:
        return self.rows()

    def _entry(self, event: GuestEvent) -> LogEntry:
        seq = self._next_seq
        self._next_seq += 1
        local: datetime = event.at.astimezone()
        return LogEntry(
            seq,
            event,
            f"{local:%H:%M:%S}",
            f"{local:%Y-%m-%d %H:%M:%S}",
        )

    # -- columns ------------------------------------------------------------------------------

    def row_key(self, row: LogEntry) -> str:
        return str(row.seq)

    def _display(self, row: LogEntry, column: int) -> str | None:
        if column == LogColumn.TIME:
            return row.time_text
        if column == LogColumn.ROOM:
            return row.event.room_name or "—"
        if column == LogColumn.EVENT:
            return row.event.text
        return None

    def _spoken(self, row: LogEntry, column: int) -> str | None:
        event = row.event
        room = f" in {event.room_name}" if event.room_name else ""
        return f"{row.when_text}{room}: {event.text}"

    def _sort_key(self, row: LogEntry, column: int) -> object:
        if column == LogColumn.ROOM:
            return row.event.room_name.casefold()
        if column == LogColumn.EVENT:
            return row.event.text.casefold()
        return row.seq

    def _other_data(self, row: LogEntry, column: int, role: int) -> object:
        if (
            role == Qt.ItemDataRole.DecorationRole
            and column == LogColumn.EVENT
            and row.event.kind in PROBLEM_KINDS
        ):
            return warning_icon()
        return None


class EventLogFilterModel(QSortFilterProxyModel):
    """Shows one room's events (plus events tied to no room, such as connection trouble)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._room_sid: str | None = None
        self.setSortRole(SORT_ROLE)

    @property
    def room_sid(self) -> str | None:
        return self._room_sid

    def set_room(self, room_sid: str | None) -> None:
        """Filter to one room; None shows every room."""
        if room_sid == self._room_sid:
            return
        self.beginFilterChange()
        self._room_sid = room_sid
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: ModelIndex) -> bool:
        if self._room_sid is None:
            return True
        source = self.sourceModel()
        if not isinstance(source, EventLogModel):
            return True
        entry = source.entry_at(source_row)
        return entry is None or entry.room_sid in (self._room_sid, "")
