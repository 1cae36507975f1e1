"""EventLogModel: append-only, bounded, filtered by room through the proxy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from moderator.core.guest_state import GuestEvent
from moderator.ui.models.event_log_model import (
    EventLogFilterModel,
    EventLogModel,
    LogColumn,
)
from moderator.ui.models.roles import ROW_ROLE

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def event(n: int, room: str = "RM1", kind: str = "app-joined") -> GuestEvent:
    return GuestEvent(
        at=T0 + timedelta(seconds=n),
        room_sid=room,
        room_name={"RM1": "alpha", "RM2": "beta", "": ""}[room],
        kind=kind,
        text=f"event {n}",
    )


def test_modeltester_append_and_overflow(qtmodeltester: ModelTester, qtbot: QtBot) -> None:
    model = EventLogModel(capacity=5)
    qtmodeltester.check(model, force_py=True)
    model.append([event(1), event(2)])
    model.append([event(3), event(4), event(5), event(6)])
    model.append([event(n) for n in range(7, 20)])  # more than the capacity at once
    assert model.rowCount() == 5
    assert [model.index(r, LogColumn.EVENT).data() for r in range(5)] == [
        f"event {n}" for n in range(15, 20)
    ]
    model.clear()
    assert model.rowCount() == 0


def test_columns_and_roles(qtbot: QtBot) -> None:
    model = EventLogModel()
    model.append([event(1), event(2, kind="error")])
    local = (T0 + timedelta(seconds=1)).astimezone()
    assert model.index(0, LogColumn.TIME).data() == f"{local:%H:%M:%S}"
    assert model.index(0, LogColumn.ROOM).data() == "alpha"
    assert model.index(0, LogColumn.EVENT).data() == "event 1"
    assert "event 1" in model.index(0, 0).data(Qt.ItemDataRole.AccessibleTextRole)
    assert model.index(0, LogColumn.EVENT).data(Qt.ItemDataRole.DecorationRole) is None
    assert isinstance(model.index(1, LogColumn.EVENT).data(Qt.ItemDataRole.DecorationRole), QIcon)
    assert model.index(1, 0).data(ROW_ROLE).event == event(2, kind="error")


def test_filter_by_room_keeps_roomless_events(qtmodeltester: ModelTester, qtbot: QtBot) -> None:
    model = EventLogModel()
    proxy = EventLogFilterModel()
    proxy.setSourceModel(model)
    model.append([event(1, "RM1"), event(2, "RM2"), event(3, ""), event(4, "RM1")])
    assert proxy.rowCount() == 4
    proxy.set_room("RM1")
    assert [proxy.index(r, LogColumn.EVENT).data() for r in range(proxy.rowCount())] == [
        "event 1",
        "event 3",
        "event 4",
    ]
    model.append([event(5, "RM2"), event(6, "RM1")])
    assert proxy.rowCount() == 4
    proxy.set_room(None)
    assert proxy.rowCount() == 6
    qtmodeltester.check(proxy, force_py=True)
