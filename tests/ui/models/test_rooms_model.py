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
    # Rec (not recording), then the create options (hidden in the pane until asked for), then
    # the sparkline (drawn by its delegate: no text).
    assert texts == [
        "room-3", "Group", "4/50", "1/35", "3 min", "", "—", "—", "No", "No", "—", "No", None,
    ]  # fmt: skip
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


def test_rec_and_room_options_show_what_twilio_said(qtbot: QtBot) -> None:
    import dataclasses

    model = make_model()
    plain = room_row(1)
    options = dataclasses.replace(
        plain.room,
        sid="RM" + "9" * 32,
        empty_room_timeout=10,
        unused_room_timeout=5,
        audio_only=True,
        record_participants_on_connect=True,
        max_participant_duration=5400,
        large_room=True,
    )
    model.set_rooms([plain, RoomRow(options, 1, 0)])
    changed: list[int] = []
    model.dataChanged.connect(lambda top, _bottom, _roles: changed.append(top.column()))
    model.set_recording(frozenset({plain.room.sid}))
    assert changed == [RoomColumn.NAME, RoomColumn.REC]
    assert model.index(0, RoomColumn.NAME).data(Qt.ItemDataRole.DecorationRole) is not None
    assert model.index(1, RoomColumn.NAME).data(Qt.ItemDataRole.DecorationRole) is None
    assert "recording" in model.index(0, RoomColumn.NAME).data(Qt.ItemDataRole.AccessibleTextRole)
    assert model.index(0, RoomColumn.REC).data() == "● REC"
    assert model.index(0, RoomColumn.REC).data(Qt.ItemDataRole.AccessibleTextRole) == "Recording"
    assert model.index(1, RoomColumn.REC).data() == ""
    options_end = RoomColumn.LARGE_ROOM + 1
    texts = [model.index(1, c).data() for c in range(RoomColumn.EMPTY_TIMEOUT, options_end)]
    assert texts == ["10 min", "5 min", "Yes", "Yes", "1 h 30 min", "Yes"]
