"""Watching rooms over time: each count goes into the history and past the capacity alerts.

The poll loop calls `counted` after every participants poll of a room; what it returns (alert
events for the log and notifications, a repaint of the room's row when an alert starts) goes
through the session's usual `Changes`. Qt-free.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from moderator.core.capacity import AlertKind, CapacityWatch, Thresholds
from moderator.core.changes import Changes
from moderator.core.count_history import CountHistory
from moderator.core.guest_state import GuestEvent
from moderator.core.models import Room

__all__ = ["ALERT_EVENT_KIND", "RoomWatch"]

ALERT_EVENT_KIND = "capacity"


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

    def counted(self, room: Room, participants: int, phones: int) -> Changes:
        now = self._clock()
        at = now.timestamp()
        self.history.record(room.sid, room.unique_name, at, participants, phones)
        alerts = self.capacity.update(
            room.sid,
            room.unique_name,
            participants=participants,
            max_participants=room.max_participants,
            phones=phones,
            at=at,
        )
        if not alerts:
            return Changes()
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

    def room_gone(self, room_sid: str) -> None:
        self.capacity.forget(room_sid)

    def flush(self) -> None:
        self.history.flush()
