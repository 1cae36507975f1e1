"""The call history's two tables: the journal's dials (newest first) and one dial's timeline.

The dials table is diffed by dial ID like the live tables, so the host's selection survives the
refresh that follows every call event; the timeline is small and replaced whole when it changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import IntEnum

from moderator.core.dial_history import DialSummary, TimelineStep, duration_text
from moderator.core.guest_state import Direction
from moderator.ui.models.keyed_table import KeyedTableModel
from moderator.ui.models.table_base import RowTableModel


class HistoryColumn(IntEnum):
    DIALED = 0
    ROOM = 1
    NAME = 2
    IDENTITY = 3
    OUTCOME = 4
    RANG_FOR = 5
    IN_ROOM_FOR = 6
    DIRECTION = 7


class TimelineColumn(IntEnum):
    TIME = 0
    STEP = 1
    DETAIL = 2


def _local(at: datetime, fmt: str) -> str:
    return at.astimezone().strftime(fmt)


class HistoryModel(KeyedTableModel[DialSummary]):
    """The journal's dials, newest first, keyed by dial ID."""

    headers = (
        "Dialed",
        "Room",
        "Name",
        "Identity",
        "Outcome",
        "Rang for",
        "In room for",
        "Direction",
    )

    def set_dials(self, dials: Sequence[DialSummary]) -> None:
        """Show `dials` newest first, announcing only what changed."""
        self.set_row_objects(sorted(dials, key=lambda d: d.entry.dialed_at, reverse=True))

    def summary_at(self, row: int) -> DialSummary | None:
        return self.row_object(row)

    def row_key(self, row: DialSummary) -> str:
        return row.dial_id

    def cells(self, row: DialSummary) -> tuple[object, ...]:
        return tuple(self._display(row, column) for column in HistoryColumn)

    def _display(self, row: DialSummary, column: int) -> str | None:
        entry = row.entry
        match column:
            case HistoryColumn.DIALED:
                return _local(entry.dialed_at, "%Y-%m-%d %H:%M:%S")
            case HistoryColumn.ROOM:
                return entry.room_name
            case HistoryColumn.NAME:
                return row.name
            case HistoryColumn.IDENTITY:
                return entry.identity
            case HistoryColumn.OUTCOME:
                return row.outcome
            case HistoryColumn.RANG_FOR:
                return duration_text(row.rang_for)
            case HistoryColumn.IN_ROOM_FOR:
                return duration_text(row.in_room_for)
            case HistoryColumn.DIRECTION:
                return entry.direction.text.capitalize()
        return None

    def _spoken(self, row: DialSummary, column: int) -> str | None:
        when = _local(row.entry.dialed_at, "%Y-%m-%d %H:%M:%S")
        how = "called in to" if row.entry.direction is Direction.CALLED_IN else "dialed into"
        return f"{row.name} {how} {row.entry.room_name} at {when}: {row.outcome}"

    def _sort_key(self, row: DialSummary, column: int) -> object:
        match column:
            case HistoryColumn.RANG_FOR:
                return row.rang_for.total_seconds() if row.rang_for is not None else -1.0
            case HistoryColumn.IN_ROOM_FOR:
                return row.in_room_for.total_seconds() if row.in_room_for is not None else -1.0
            case HistoryColumn.DIALED:
                return row.entry.dialed_at.timestamp()
        return self._sort_value(self._display(row, column))


class TimelineModel(RowTableModel[TimelineStep]):
    """One dial's steps in order; replaced whole, since it is short and not polled."""

    headers = ("Time", "Step", "Detail")

    def set_steps(self, steps: Sequence[TimelineStep]) -> None:
        """Show another dial's steps (or the same dial's, grown)."""
        if list(steps) == self._rows:
            return
        self.beginResetModel()
        self._rows = list(steps)
        self.endResetModel()

    def steps(self) -> list[TimelineStep]:
        return self.rows()

    def row_key(self, row: TimelineStep) -> str:
        return f"{row.at.isoformat()} {row.status}"

    def _display(self, row: TimelineStep, column: int) -> str | None:
        match column:
            case TimelineColumn.TIME:
                return _local(row.at, "%H:%M:%S")
            case TimelineColumn.STEP:
                return row.title
            case TimelineColumn.DETAIL:
                return row.detail
        return None

    def _spoken(self, row: TimelineStep, column: int) -> str | None:
        detail = f": {row.detail}" if row.detail else ""
        return f"{_local(row.at, '%Y-%m-%d %H:%M:%S')} {row.title}{detail}"

    def _sort_key(self, row: TimelineStep, column: int) -> object:
        if column == TimelineColumn.TIME:
            return row.at.timestamp()
        return self._display(row, column) or ""


__all__ = ["HistoryColumn", "HistoryModel", "TimelineColumn", "TimelineModel"]
