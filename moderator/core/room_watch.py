"""Watching rooms over time: each count goes into the history and past the capacity alerts.

The poll loop calls `counted` after every participants poll of a room; what it returns (alert
events for the log and notifications, a repaint of the room's row when an alert starts) goes
through the session's usual `Changes`. `RoomWatch.sparklines` and `RoomWatch.marks` are what the
rooms table shows of it: each room's last 30 minutes and the alerts in force. Qt-free.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from moderator.core.capacity import AlertKind, AlertMark, CapacityWatch, Thresholds
from moderator.core.changes import Changes
from moderator.core.count_history import CountHistory, Sparkline
from moderator.core.guest_state import GuestEvent
from moderator.core.models import Room

__all__ = ["ALERT_EVENT_KIND", "SPARKLINE_S", "RoomWatch", "SparklineFeed"]

ALERT_EVENT_KIND = "capacity"
#: What the rooms table's sparkline spans.
SPARKLINE_S = 30 * 60.0
#: A room not counted lately still has its sparkline slide on at this pace (its line runs
#: into the unknown), without redrawing every room on every tick.
SLIDE_S = 60.0


class SparklineFeed:
    """Each room's recent counts for the rooms table, with a cheap version to diff on.

    The table asks `version` of every room whenever it refreshes (a dictionary lookup) and
    `sparkline` only of the rooms whose version moved: a new count, or `SLIDE_S` gone by.
    """

    def __init__(
        self,
        history: CountHistory,
        clock: Callable[[], datetime],
        *,
        seconds: float = SPARKLINE_S,
    ) -> None:
        self._history = history
        self._clock = clock
        self.seconds = seconds

    def version(self, room_sid: str) -> tuple[float | None, int]:
        """Changes when the room is counted again or the window has slid `SLIDE_S` on."""
        now = self._clock().timestamp()
        return self._history.last_at(room_sid), int(now // SLIDE_S)

    def sparkline(self, room_sid: str) -> Sparkline:
        return self._history.sparkline(room_sid, self.seconds, self._clock().timestamp())


class RoomWatch:
    """A session's count history and capacity alerts."""

    def __init__(
        self,
        clock: Callable[[], datetime],
        *,
        history: CountHistory | None = None,
        thresholds: Thresholds | None = None,
    ) -> None:
        self._clock = clock
        self.history = history if history is not None else CountHistory()
        self.capacity = CapacityWatch(thresholds)
        self.sparklines = SparklineFeed(self.history, clock)

    def counted(self, room: Room, participants: int, phones: int) -> Changes:
        now = self._clock()
        at = now.timestamp()
        self.history.record(room.sid, room.unique_name, at, participants, phones)
        before = self.capacity.active(room.sid)
        alerts = self.capacity.update(
            room.sid,
            room.unique_name,
            participants=participants,
            max_participants=room.max_participants,
            phones=phones,
            at=at,
        )
        if not alerts:
            # An alert that re-armed leaves the room's row: repaint it.
            return Changes(rooms=self.capacity.active(room.sid) != before)
        events = [
            GuestEvent(
                at=now,
                room_sid=a.room_sid,
                room_name=a.room_name,
                kind=ALERT_EVENT_KIND,
                text=a.text,
            )
            for a in alerts
        ]
        return Changes(events=events, rooms=True)

    def alerts(self, room_sid: str) -> frozenset[AlertKind]:
        return self.capacity.active(room_sid)

    def marks(self, room_sid: str) -> tuple[AlertMark, ...]:
        """The alerts in force for the room, as its row in the rooms table says them."""
        return self.capacity.marks(room_sid)

    def room_gone(self, room_sid: str) -> None:
        self.capacity.forget(room_sid)

    def flush(self) -> None:
        self.history.flush()
