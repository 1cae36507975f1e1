"""RoomsModel: qtmodeltester through inserts, removes, moves and changes; selection survives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QItemSelectionModel, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from moderator.core.live_state import RoomRow
from moderator.core.models import Room, RoomType
from moderator.ui.models.roles import ROW_ROLE, SORT_ROLE
from moderator.ui.models.rooms_model import RoomColumn, RoomsModel

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def room_row(
    n: int, count: int | None = 2, phone: int = 0, kind: RoomType = RoomType.GROUP
) -> RoomRow:
    room = Room(
        sid=f"RM{n:032d}",
        unique_name=f"room-{n}",
        status="in-progress",
        type=kind,
        max_participants=50,
        date_created=NOW - timedelta(minutes=n),
    )
    return RoomRow(room, count, phone, counted_at=NOW - timedelta(seconds=n))


def make_model() -> RoomsModel:
    return RoomsModel(now=lambda: NOW)


def test_modeltester_through_every_kind_of_change(qtmodeltester: ModelTester, qtbot: QtBot) -> None:
    model = make_model()
    qtmodeltester.check(model, force_py=True)
    model.set_rooms([room_row(i) for i in range(5)])
    model.set_rooms([room_row(i) for i in (0, 2, 4)])  # removals
    model.set_rooms([room_row(i) for i in (7, 0, 2, 9, 4, 8)])  # inserts in the middle and ends
    model.set_rooms([room_row(i) for i in (4, 7, 0, 2, 9, 8)])  # a move
    model.set_rooms([room_row(i, count=5, phone=1) for i in (4, 7, 0, 2, 9, 8)])  # changes
    model.tick()
    model.set_rooms([])
    qtmodeltester.check(model, force_py=True)
    assert model.rowCount() == 0


def test_display_text_for_each_column(qtbot: QtBot) -> None:
    model = make_model()
    model.set_rooms([room_row(3, count=4, phone=1), room_row(4, kind=RoomType.PEER_TO_PEER)])
    texts = [model.index(0, c).data() for c in range(model.columnCount())]
    assert texts == ["room-3", "Group", "4/50", "1/35", "3 min"]
    assert model.index(1, RoomColumn.PHONE).data() == "—"
    assert model.index(0, RoomColumn.PARTICIPANTS).data(Qt.ItemDataRole.ToolTipRole) == (
        "Counted 3 s ago"
    )
    assert "4 of 50 participants" in model.index(0, RoomColumn.PARTICIPANTS).data(
        Qt.ItemDataRole.AccessibleTextRole
    )
    assert model.index(0, 0).data(ROW_ROLE) == room_row(3, count=4, phone=1)
    assert model.index(0, RoomColumn.PARTICIPANTS).data(SORT_ROLE) == 4


def test_uncounted_room_shows_placeholder(qtbot: QtBot) -> None:
    model = make_model()
    model.set_rooms([room_row(1, count=None)])
    assert model.index(0, RoomColumn.PARTICIPANTS).data() == "…/50"


def test_refresh_keeps_selection_and_signals_only_changed_cells(qtbot: QtBot) -> None:
    model = make_model()
    model.set_rooms([room_row(i) for i in range(4)])
    selection = QItemSelectionModel(model)
    selection.setCurrentIndex(
        model.index(2, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )
    resets: list[bool] = []
    model.modelAboutToBeReset.connect(lambda: resets.append(True))
    changes: list[tuple[int, int, int, int]] = []
    model.dataChanged.connect(
        lambda tl, br, _roles: changes.append((tl.row(), tl.column(), br.row(), br.column()))
    )
    # room 0 goes away, room 2 changes count, a new room arrives at the end
    model.set_rooms([room_row(1), room_row(2, count=9), room_row(3), room_row(5)])
    assert not resets
    assert changes == [(1, RoomColumn.PARTICIPANTS, 1, RoomColumn.PARTICIPANTS)]
    current = selection.currentIndex()
    assert current.row() == 1
    assert current.data() == "room-2"
    assert selection.isRowSelected(1)
    assert model.row_of(room_row(5).sid) == 3
    assert model.row_of(room_row(0).sid) == -1
