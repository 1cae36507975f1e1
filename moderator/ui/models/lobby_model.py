"""The lobby: callers on hold on a dial-in number, diffed by call SID, waiting time ticking.

Numbers are masked (the allow-list label shows when there is one); "Waiting" moves on once a
second with one dataChanged for that column, like the roster's "connected for".
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum

from PySide6.QtCore import QObject, QTimer

from moderator.core.lobby import WaitingCaller
from moderator.core.phone import format_international
from moderator.ui.models.formatting import clock_duration, seconds_between, spoken_duration
from moderator.ui.models.keyed_table import KeyedTableModel, Now, utcnow


class LobbyColumn(IntEnum):
    CALLER = 0
    CALLED = 1
    ROOM = 2
    WAITING = 3


class LobbyModel(KeyedTableModel[WaitingCaller]):
    """Lobby pane model, longest waiting first (the order the session gives)."""

    headers = ("Caller", "Called", "Room", "Waiting")

    def __init__(self, parent: QObject | None = None, *, now: Now = utcnow) -> None:
        super().__init__(parent)
        self._now = now
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.tick)

    def set_callers(self, callers: Sequence[WaitingCaller]) -> None:
        self.set_row_objects(callers)
        if self._rows and not self._timer.isActive():
            self._timer.start()
        elif not self._rows:
            self._timer.stop()

    def tick(self) -> None:
        self._emit_column_changed(LobbyColumn.WAITING)

    def row_key(self, row: WaitingCaller) -> str:
        return row.call_sid

    def cells(self, row: WaitingCaller) -> tuple[object, ...]:
        return (row.name, row.called, row.room_name, row.since)

    def _waited(self, row: WaitingCaller) -> int:
        return seconds_between(row.since, self._now())

    def _display(self, row: WaitingCaller, column: int) -> str | None:
        match column:
            case LobbyColumn.CALLER:
                return row.name
            case LobbyColumn.CALLED:
                return format_international(row.called)
            case LobbyColumn.ROOM:
                return row.room_name
            case LobbyColumn.WAITING:
                return clock_duration(self._waited(row))
        return None

    def _spoken(self, row: WaitingCaller, column: int) -> str | None:
        if column == LobbyColumn.WAITING:
            return f"waiting {spoken_duration(self._waited(row))}"
        if column == LobbyColumn.CALLED:
            return f"called {format_international(row.called)}"
        return self._display(row, column)

    def _sort_key(self, row: WaitingCaller, column: int) -> object:
        if column == LobbyColumn.WAITING:
            return -self._waited(row)
        return self._display(row, column)


__all__ = ["LobbyColumn", "LobbyModel"]
