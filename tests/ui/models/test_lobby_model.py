"""LobbyModel: diff by call SID (qtmodeltester), masked callers, the ticking waiting time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from moderator.core.lobby import WaitingCaller
from moderator.ui.models.lobby_model import LobbyColumn, LobbyModel
from moderator.ui.models.roles import KEY_ROLE

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def caller(n: int, waited_s: int = 30, label: str = "") -> WaitingCaller:
    return WaitingCaller(
        call_sid=f"CA{n}",
        number=f"+1415555267{n}",
        masked=f"••• 267{n}",
        label=label,
        called="+14155550100",
        number_sid="PN1",
        room_name="town-hall",
        since=NOW - timedelta(seconds=waited_s),
    )


def test_model_is_consistent_through_diffs(qtbot: QtBot, qtmodeltester: ModelTester) -> None:
    model = LobbyModel(now=lambda: NOW)
    qtmodeltester.check(model)
    model.set_callers([caller(1), caller(2)])
    model.set_callers([caller(2), caller(3, label="Ana")])
    model.set_callers([])
    model.set_callers([caller(4)])
    qtmodeltester.check(model)


def test_rows_show_masked_callers_and_waiting_time(qtbot: QtBot) -> None:
    model = LobbyModel(now=lambda: NOW)
    model.set_callers([caller(1, waited_s=42, label="Ana"), caller(2, waited_s=605)])
    text = [
        [model.index(r, c).data() for c in range(model.columnCount())]
        for r in range(model.rowCount())
    ]
    assert text[0] == ["Ana (••• 2671)", "+1 415-555-0100", "town-hall", "0:42"]
    assert text[1][LobbyColumn.WAITING] == "10:05"
    assert all("+1415555267" not in cell for row in text for cell in row)
    assert model.index(0, 0).data(KEY_ROLE) == "CA1"
    spoken = model.index(0, LobbyColumn.WAITING).data(Qt.ItemDataRole.AccessibleTextRole)
    assert spoken == "waiting 42 s"


def test_the_waiting_column_ticks_alone(qtbot: QtBot) -> None:
    model = LobbyModel(now=lambda: NOW)
    model.set_callers([caller(1), caller(2)])
    with qtbot.waitSignal(model.dataChanged, timeout=3000) as blocker:
        pass
    top_left, bottom_right = blocker.args[0], blocker.args[1]
    assert top_left.column() == bottom_right.column() == LobbyColumn.WAITING
    assert (top_left.row(), bottom_right.row()) == (0, 1)
