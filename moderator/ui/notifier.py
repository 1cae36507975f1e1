"""Desktop notifications for joins, leaves and failed dials, through the system tray.

A host often watches another window (the meeting itself), so the moments that need them — a guest
arrived, left, or could not be reached — pop up on the desktop. Bursts (the first poll of a busy
room, a room ending) collapse into one summary instead of a stack of bubbles. Where there is no
system tray (offscreen tests, some desktops) the notifier stays silent but still emits `shown`
with what it would have displayed, so the behaviour is testable and loggable.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QSystemTrayIcon

from moderator.core.guest_state import GuestEvent
from moderator.core.redaction import redact_numbers

log = logging.getLogger(__name__)

JOIN_KINDS = frozenset({"joined", "app-joined"})
LEAVE_KINDS = frozenset({"left", "app-left"})
FAILURE_KINDS = frozenset({"dial-failed"})
LOBBY_KINDS = frozenset({"lobby-waiting"})
CAPACITY_KINDS = frozenset({"capacity"})
NOTIFY_KINDS = JOIN_KINDS | LEAVE_KINDS | FAILURE_KINDS | LOBBY_KINDS | CAPACITY_KINDS
"""GuestEvent kinds worth interrupting the host for; the rest stay in the event log."""

MAX_SEPARATE = 3
"""More notifiable events than this in one batch become a single summary."""
DISPLAY_MS = 6000


def title_for(event: GuestEvent) -> str:
    """A short headline: what happened and in which room."""
    if event.kind in JOIN_KINDS:
        what = "Joined"
    elif event.kind in LEAVE_KINDS:
        what = "Left"
    elif event.kind in LOBBY_KINDS:
        what = "Waiting in the lobby"
    elif event.kind in CAPACITY_KINDS:
        what = "Capacity"
    else:
        what = "Dial failed"
    return f"{what} · {event.room_name}" if event.room_name else what


def summary_for(events: Iterable[GuestEvent]) -> tuple[str, str]:
    """One (title, text) for a burst: counts per kind, and the rooms if there are few."""
    events = list(events)
    counts = Counter(
        "joined"
        if e.kind in JOIN_KINDS
        else "left"
        if e.kind in LEAVE_KINDS
        else "waiting"
        if e.kind in LOBBY_KINDS
        else "alerts"
        if e.kind in CAPACITY_KINDS
        else "failed"
        for e in events
    )
    parts = []
    if counts["joined"]:
        parts.append(f"{counts['joined']} joined")
    if counts["left"]:
        parts.append(f"{counts['left']} left")
    if counts["waiting"]:
        parts.append(f"{counts['waiting']} waiting in the lobby")
    if counts["alerts"]:
        parts.append(f"{counts['alerts']} capacity alert{'s' if counts['alerts'] != 1 else ''}")
    if counts["failed"]:
        dials = "dial" if counts["failed"] == 1 else "dials"
        parts.append(f"{counts['failed']} {dials} failed")
    rooms = sorted({e.room_name for e in events if e.room_name})
    where = f" in {', '.join(rooms)}" if 0 < len(rooms) <= 3 else f" in {len(rooms)} rooms"
    return "Room Moderator", ", ".join(parts) + (where if rooms else "")


class Notifier(QObject):
    """Turns GuestEvents (or any title and text) into tray notifications, when enabled.

    `shown(title, text)` is emitted for every notification the notifier decided to show, whether
    or not a tray exists to display it. `activated` fires when the user clicks a notification
    or the tray icon, so the main window can raise itself.
    """

    shown = Signal(str, str)
    activated = Signal()

    def __init__(self, parent: QObject, *, enabled: bool = True, icon: QIcon | None = None) -> None:
        super().__init__(parent)
        self._enabled = enabled
        self._tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self._tray = QSystemTrayIcon(self)
            tray_icon = icon if icon is not None else QGuiApplication.windowIcon()
            self._tray.setIcon(tray_icon)
            self._tray.setToolTip("Room Moderator")
            self._tray.messageClicked.connect(self.activated)
            self._tray.activated.connect(self._on_tray_activated)
            self._tray.setVisible(enabled)
        else:
            log.info("no system tray: desktop notifications are off")

    @property
    def tray_available(self) -> bool:
        """Whether notifications can actually appear on this desktop."""
        return self._tray is not None and QSystemTrayIcon.supportsMessages()

    def is_enabled(self) -> bool:
        return self._enabled

    @Slot(bool)
    def set_enabled(self, enabled: bool) -> None:
        """Switch notifications on or off (the settings' `notifications_enabled`)."""
        self._enabled = enabled
        if self._tray is not None:
            self._tray.setVisible(enabled)

    @Slot(object)
    def notify_events(self, events: Iterable[GuestEvent]) -> int:
        """Notify about the joins, leaves and failed dials among `events`; returns how many
        notifications were shown (a burst counts as one)."""
        if not self._enabled:
            return 0
        relevant = [e for e in events if e.kind in NOTIFY_KINDS]
        if not relevant:
            return 0
        if len(relevant) > MAX_SEPARATE:
            title, text = summary_for(relevant)
            failed = any(e.kind in FAILURE_KINDS for e in relevant)
            return int(self.notify(title, text, warning=failed))
        return sum(
            self.notify(title_for(e), e.text, warning=e.kind in FAILURE_KINDS) for e in relevant
        )

    @Slot(str, str)
    def notify(self, title: str, text: str, *, warning: bool = False) -> bool:
        """Show one notification if enabled; True if it was shown (or would be, without a tray)."""
        if not self._enabled:
            return False
        # Events never carry full numbers, but a notification can sit on a lock screen: be sure.
        title, text = redact_numbers(title), redact_numbers(text)
        if self._tray is not None:
            icon = (
                QSystemTrayIcon.MessageIcon.Warning
                if warning
                else QSystemTrayIcon.MessageIcon.Information
            )
            self._tray.showMessage(title, text, icon, DISPLAY_MS)
        self.shown.emit(title, text)
        return True

    @Slot(QSystemTrayIcon.ActivationReason)
    def _on_tray_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.activated.emit()
