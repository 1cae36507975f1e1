"""Announce what changed, once per turn of the event loop, to whoever shows it.

The `ChangePublisher` is the one place that knows which room is selected and what is waiting to
be shown: it collects the `Changes` of the core into pending events and dirty flags, and a
zero-delay timer flushes them as at most one signal of each kind, so a burst of poll answers
repaints each list once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from moderator.core.changes import Changes, Report
from moderator.core.guest_state import GuestEvent
from moderator.core.live_state import LiveState


class ChangePublisher(QObject):
    """Pending events and dirty lists of one session; see the module docstring."""

    roomsChanged = Signal(list)  # list[RoomRow], sorted by unique name
    rosterChanged = Signal(str, list)  # room SID, list[RosterRow]
    events = Signal(list)  # list[GuestEvent], oldest first
    errorRaised = Signal(object)  # Report

    def __init__(
        self, live: LiveState, clock: Callable[[], datetime], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._live = live
        self._clock = clock
        self._selected: str | None = None
        self._pending: list[GuestEvent] = []
        self._rooms_dirty = False
        self._roster_dirty = False
        self._stopped = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.flush)

    @property
    def selected(self) -> str | None:
        return self._selected

    def select(self, room_sid: str | None) -> bool:
        """Follow another room; shows its roster at once. False if it was already selected."""
        if room_sid == self._selected:
            return False
        self._selected = room_sid
        if room_sid is None:
            self.rosterChanged.emit("", [])
        else:
            self.rosterChanged.emit(room_sid, self._live.roster(room_sid))
        return True

    def apply(self, changes: Changes) -> None:
        """Queue what these changes show; errors are announced at once, after their events."""
        if changes.events:
            self._pending.extend(changes.events)
        self._rooms_dirty = self._rooms_dirty or changes.rooms
        if self._selected is not None and self._selected in changes.rosters:
            self._roster_dirty = True
        for report in changes.errors:
            self._pending.append(self._error_event(report))
        if changes.errors:
            self.flush()
            for report in changes.errors:
                self.errorRaised.emit(report)
        elif self._pending or self._rooms_dirty or self._roster_dirty:
            self._schedule()

    def show_now(self, changes: Changes) -> None:
        """The host just clicked: show these changes in this very event-loop turn, including
        the roster of a room that is not the selected one (the dialog may dial into any)."""
        self.apply(changes)
        for room_sid in changes.rosters:
            if room_sid != self._selected:
                self.rosterChanged.emit(room_sid, self._live.roster(room_sid))
        self.flush()

    def mark_roster_dirty(self) -> None:
        """The selected roster's texts move on ("Ringing 12 s") even when nothing changed."""
        if self._selected is not None:
            self._roster_dirty = True
            self._schedule()

    def stop(self) -> None:
        self._stopped = True
        self._timer.stop()

    @Slot()
    def flush(self) -> None:
        """Announce everything that changed since the last turn of the event loop, once."""
        self._timer.stop()
        if self._pending:
            events, self._pending = self._pending, []
            self.events.emit(events)
        if self._rooms_dirty:
            self._rooms_dirty = False
            self.roomsChanged.emit(self._live.room_rows())
        if self._roster_dirty:
            self._roster_dirty = False
            selected = self._selected
            if selected is not None:
                rows = self._live.roster(selected) if self._live.room(selected) else []
                self.rosterChanged.emit(selected, rows)

    def _schedule(self) -> None:
        if not self._timer.isActive() and not self._stopped:
            self._timer.start()

    def _error_event(self, report: Report) -> GuestEvent:
        room_sid = report.room_sid
        return GuestEvent(
            self._clock(),
            room_sid,
            self._live.room_name(room_sid) if room_sid else "",
            "error",
            f"{report.context}: {report.error.message}",
        )
