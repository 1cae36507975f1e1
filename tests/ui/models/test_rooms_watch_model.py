"""RoomsModel's sparkline column and alert marks: the data it exposes, qtmodeltester with the
column, and repaints only of the cells whose sparkline or alerts moved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QModelIndex, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from moderator.core.capacity import AlertKind, AlertMark
from moderator.core.count_history import CountHistory
from moderator.core.live_state import RoomRow
from moderator.core.models import Room, RoomType
from moderator.core.room_watch import SparklineFeed
from moderator.ui.models.roles import SORT_ROLE
from moderator.ui.models.rooms_model import (
    SPARKLINE_ROLE,
    SPARKLINE_TITLE,
    RoomColumn,
    RoomsModel,
    SparklineCell,
)

NOW = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)


def sid(n: int) -> str:
    return f"RM{n:032d}"


def room_row(n: int, count: int = 2, max_participants: int = 50) -> RoomRow:
    room = Room(sid(n), f"room-{n}", "in-progress", RoomType.GROUP, max_participants, NOW)
    return RoomRow(room, count, 0, counted_at=NOW)


class Watched:
    """A history, a clock and alerts the test moves by hand."""

    def __init__(self) -> None:
        self.now = NOW
        self.history = CountHistory()
        self.feed = SparklineFeed(self.history, lambda: self.now)
        self.marks: dict[str, tuple[AlertMark, ...]] = {}

    def count(self, n: int, participants: int, after_s: float = 5.0) -> None:
        self.now += timedelta(seconds=after_s)
        self.history.record(sid(n), f"room-{n}", self.now.timestamp(), participants, 0)

    def alerts(self, room_sid: str) -> tuple[AlertMark, ...]:
        return self.marks.get(room_sid, ())


def watched_model(rooms: int = 4) -> tuple[RoomsModel, Watched]:
    watched = Watched()
    for n in range(rooms):
        watched.count(n, 3 + n, after_s=0)
    model = RoomsModel(now=lambda: watched.now)
    model.set_watch(watched.feed, watched.alerts)
    model.set_rooms([room_row(n) for n in range(rooms)])
    return model, watched


def changes_of(model: RoomsModel) -> list[tuple[int, int, int, int]]:
    seen: list[tuple[int, int, int, int]] = []

    def record(top: QModelIndex, bottom: QModelIndex, _roles: object) -> None:
        seen.append((top.row(), bottom.row(), top.column(), bottom.column()))

    model.dataChanged.connect(record)
    return seen


def test_the_sparkline_column_exposes_the_rooms_recent_counts(qtbot: QtBot) -> None:
    model, watched = watched_model()
    watched.count(1, 9)
    model.refresh_watch()
    index = model.index(1, RoomColumn.SPARKLINE)
    cell = index.data(SPARKLINE_ROLE)
    assert isinstance(cell, SparklineCell)
    assert cell.room_sid == sid(1) and cell.max_participants == 50
    assert [p for run in cell.sparkline.runs for _t, p in run] == [4, 9, 9]
    assert index.data() is None  # the delegate draws it
    spoken = "Participants over the last 30 minutes: 4 to 9, now 9"
    assert index.data(Qt.ItemDataRole.AccessibleTextRole) == spoken
    assert index.data(Qt.ItemDataRole.ToolTipRole) == spoken
    assert index.data(SORT_ROLE) == 9
    assert model.headerData(RoomColumn.SPARKLINE, Qt.Orientation.Horizontal) == SPARKLINE_TITLE
    assert model.index(1, RoomColumn.NAME).data(SPARKLINE_ROLE) is None


def test_without_a_session_the_column_is_empty_and_says_so(qtbot: QtBot) -> None:
    model = RoomsModel(now=lambda: NOW)
    model.set_rooms([room_row(0)])
    index = model.index(0, RoomColumn.SPARKLINE)
    assert index.data(SPARKLINE_ROLE) is None
    assert index.data(Qt.ItemDataRole.AccessibleTextRole) == (
        "Participants over the last 30 minutes: not counted yet"
    )
    assert model.index(0, RoomColumn.PARTICIPANTS).data(Qt.ItemDataRole.DecorationRole) is None


def test_modeltester_with_the_sparkline_column(qtmodeltester: ModelTester, qtbot: QtBot) -> None:
    model, watched = watched_model(5)
    qtmodeltester.check(model, force_py=True)
    watched.count(2, 7)
    watched.marks[sid(3)] = (AlertMark(AlertKind.NEARLY_FULL, "Nearly full: 45 of 50"),)
    model.set_rooms([room_row(n) for n in (4, 0, 2, 3)])
    model.set_rooms([room_row(n, count=5) for n in (3, 2, 0, 6)])
    model.tick()
    model.set_watch(None, None)
    model.set_rooms([])
    qtmodeltester.check(model, force_py=True)


def test_a_new_count_repaints_that_rooms_sparkline_cell_only(qtbot: QtBot) -> None:
    model, watched = watched_model()
    seen = changes_of(model)
    model.refresh_watch()
    assert seen == []  # nothing moved: nothing repainted
    watched.count(2, 8, after_s=1)
    model.set_rooms([room_row(n) for n in range(4)])  # the rows themselves are unchanged
    assert seen == [(2, 2, RoomColumn.SPARKLINE, RoomColumn.SPARKLINE)]


def test_adjacent_rooms_counted_together_share_one_signal(qtbot: QtBot) -> None:
    model, watched = watched_model()
    seen = changes_of(model)
    for n in (1, 2, 3):
        watched.count(n, 1, after_s=0.1)
    model.tick()
    sparkline = [s for s in seen if s[2] == RoomColumn.SPARKLINE]
    assert sparkline == [(1, 3, RoomColumn.SPARKLINE, RoomColumn.SPARKLINE)]


def test_the_alert_mark_comes_and_goes_with_the_alert(qtbot: QtBot) -> None:
    model, watched = watched_model()
    seen = changes_of(model)
    count = model.index(1, RoomColumn.PARTICIPANTS)
    watched.marks[sid(1)] = (
        AlertMark(AlertKind.NEARLY_FULL, "Nearly full: 37 of 40"),
        AlertMark(AlertKind.PHONES_NEARLY_FULL, "30 of 35 phone guests"),
    )
    model.refresh_watch()
    assert seen == [(1, 1, RoomColumn.PARTICIPANTS, RoomColumn.PARTICIPANTS)]
    assert count.data(Qt.ItemDataRole.DecorationRole) is not None
    tooltip = count.data(Qt.ItemDataRole.ToolTipRole)
    assert tooltip.startswith("Nearly full: 37 of 40\n30 of 35 phone guests\n")
    spoken = count.data(Qt.ItemDataRole.AccessibleTextRole)
    assert spoken.endswith(". Alert: Nearly full: 37 of 40. Alert: 30 of 35 phone guests")
    assert model.index(0, RoomColumn.PARTICIPANTS).data(Qt.ItemDataRole.DecorationRole) is None

    del seen[:]
    del watched.marks[sid(1)]  # re-armed
    model.refresh_watch()
    assert seen == [(1, 1, RoomColumn.PARTICIPANTS, RoomColumn.PARTICIPANTS)]
    assert count.data(Qt.ItemDataRole.DecorationRole) is None
    assert "Alert" not in count.data(Qt.ItemDataRole.AccessibleTextRole)


def test_a_room_whose_max_changes_is_redrawn_to_its_new_scale(qtbot: QtBot) -> None:
    model, _watched = watched_model()
    seen = changes_of(model)
    model.set_rooms([room_row(0, max_participants=10), *(room_row(n) for n in range(1, 4))])
    assert (0, 0, RoomColumn.SPARKLINE, RoomColumn.SPARKLINE) in seen
    cell = model.index(0, RoomColumn.SPARKLINE).data(SPARKLINE_ROLE)
    assert cell.max_participants == 10
