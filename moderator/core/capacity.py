"""Capacity alerts: tell the host once when a room nears its limits, not on every poll.

Three watches per room, each with hysteresis so a room hovering at the line does not spam:
participants at or above a share of max participants, phone guests at or above a count (of
Twilio's 35), and a room left empty for some minutes. An alert fires when its condition starts
to hold, and re-arms only once the room is clearly back under (`REARM_MARGIN` people below the
line, or someone joining an empty room). Qt-free; times are epoch seconds from the caller.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "Alert",
    "AlertKind",
    "AlertMark",
    "CapacityWatch",
    "Thresholds",
    "Totals",
    "totals",
]

MAX_PHONE_PARTICIPANTS = 35
#: People below the line before an alert may fire again.
REARM_MARGIN = 2


class AlertKind(StrEnum):
    NEARLY_FULL = "nearly-full"
    PHONES_NEARLY_FULL = "phones-nearly-full"
    EMPTY = "empty"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """What the host set in Preferences."""

    full_share: float = 0.9  # of max participants
    phones: int = 30  # of 35 phone guests
    empty_minutes: float = 10.0

    def full_at(self, max_participants: int) -> int:
        """The participant count that counts as nearly full for this room."""
        return max(1, math.ceil(self.full_share * max_participants))


@dataclass(frozen=True, slots=True)
class Alert:
    room_sid: str
    room_name: str
    kind: AlertKind
    text: str
    at: float


@dataclass(frozen=True, slots=True)
class AlertMark:
    """An alert in force, as the room's row says it: short, since the row names the room."""

    kind: AlertKind
    text: str


@dataclass(slots=True)
class _RoomWatch:
    active: set[AlertKind] = field(default_factory=set)
    empty_since: float | None = None
    # The last count, so the row's mark says the numbers of now, not of the crossing.
    participants: int = 0
    max_participants: int = 0
    phones: int = 0
    at: float = 0.0


class CapacityWatch:
    """Feed it each count of each room; it returns the alerts that start now."""

    def __init__(self, thresholds: Thresholds | None = None) -> None:
        self.thresholds = thresholds or Thresholds()
        self._rooms: dict[str, _RoomWatch] = {}

    def update(
        self,
        room_sid: str,
        room_name: str,
        *,
        participants: int,
        max_participants: int,
        phones: int,
        at: float,
    ) -> list[Alert]:
        t = self.thresholds
        watch = self._rooms.setdefault(room_sid, _RoomWatch())
        watch.participants, watch.max_participants = participants, max_participants
        watch.phones, watch.at = phones, at
        alerts: list[Alert] = []

        def check(kind: AlertKind, over: bool, under: bool, text: str) -> None:
            if over and kind not in watch.active:
                watch.active.add(kind)
                alerts.append(Alert(room_sid, room_name, kind, text, at))
            elif under:
                watch.active.discard(kind)

        if max_participants > 0:
            line = t.full_at(max_participants)
            check(
                AlertKind.NEARLY_FULL,
                participants >= line,
                participants <= line - REARM_MARGIN,
                f"{room_name} is nearly full: {participants} of {max_participants} participants",
            )
        check(
            AlertKind.PHONES_NEARLY_FULL,
            phones >= t.phones,
            phones <= t.phones - REARM_MARGIN,
            f"{room_name} has {phones} of {MAX_PHONE_PARTICIPANTS} phone guests",
        )
        if participants == 0:
            if watch.empty_since is None:
                watch.empty_since = at
            minutes = (at - watch.empty_since) / 60.0
            check(
                AlertKind.EMPTY,
                minutes >= t.empty_minutes,
                False,
                f"{room_name} has been empty for {int(minutes)} min",
            )
        else:
            watch.empty_since = None
            watch.active.discard(AlertKind.EMPTY)
        return alerts

    def active(self, room_sid: str) -> frozenset[AlertKind]:
        """The alerts in force for a room (for its row in the rooms table)."""
        watch = self._rooms.get(room_sid)
        return frozenset(watch.active) if watch is not None else frozenset()

    def marks(self, room_sid: str) -> tuple[AlertMark, ...]:
        """The alerts in force for a room, each said the way its row shows it (the same facts
        as the alert's event text, without the room's name), in a fixed order."""
        watch = self._rooms.get(room_sid)
        if watch is None or not watch.active:
            return ()
        marks: list[AlertMark] = []
        if AlertKind.NEARLY_FULL in watch.active:
            text = f"Nearly full: {watch.participants} of {watch.max_participants}"
            marks.append(AlertMark(AlertKind.NEARLY_FULL, text))
        if AlertKind.PHONES_NEARLY_FULL in watch.active:
            text = f"{watch.phones} of {MAX_PHONE_PARTICIPANTS} phone guests"
            marks.append(AlertMark(AlertKind.PHONES_NEARLY_FULL, text))
        if AlertKind.EMPTY in watch.active and watch.empty_since is not None:
            minutes = int((watch.at - watch.empty_since) / 60.0)
            marks.append(AlertMark(AlertKind.EMPTY, f"Empty for {minutes} min"))
        return tuple(marks)

    def forget(self, room_sid: str) -> None:
        """The room ended."""
        self._rooms.pop(room_sid, None)


@dataclass(frozen=True, slots=True)
class Totals:
    """Account-wide, for the status bar."""

    rooms: int
    participants: int
    phones: int
    live_calls: int
    call_limit: int | None

    @property
    def text(self) -> str:
        calls = f"{self.live_calls} live call{'s' if self.live_calls != 1 else ''}"
        if self.call_limit:
            calls += f" of {self.call_limit}"
        return (
            f"{self.rooms} room{'s' if self.rooms != 1 else ''} · "
            f"{self.participants} participant{'s' if self.participants != 1 else ''} · "
            f"{self.phones} by phone · {calls}"
        )


def totals(
    counts: list[tuple[int | None, int]], live_calls: int, call_limit: int | None = None
) -> Totals:
    """Totals from (participants or None when not counted yet, phones) per room."""
    return Totals(
        rooms=len(counts),
        participants=sum(p for p, _ in counts if p is not None),
        phones=sum(ph for _, ph in counts),
        live_calls=live_calls,
        call_limit=call_limit,
    )
