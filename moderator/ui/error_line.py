"""The status bar's one-line error: what went wrong and what to do, never a modal popup.

It remembers what the error is about (`ErrorTopic`), so the window can clear a connection error
the moment the app is online again while a failed action's line stays until it times out or a
newer error replaces it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import QLabel, QWidget

from moderator.core.changes import ErrorTopic

#: How long a one-line error stays in the status bar unless a newer one replaces it.
ERROR_DISPLAY_MS = 20_000


class ErrorLine(QLabel):
    """A selectable label that shows the latest error for ERROR_DISPLAY_MS."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusError")
        self.setAccessibleName("Last error")
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.topic: ErrorTopic | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(ERROR_DISPLAY_MS)
        self._timer.timeout.connect(self.clear_error)

    def show_error(self, message: str, action: str, *, context: str, topic: ErrorTopic) -> None:
        prefix = f"{context}: " if context else ""
        text = f"{prefix}{message}" + (f" — {action}" if action else "")
        self.setText(text)
        self.setToolTip(text)
        self.topic = topic
        self._timer.start()

    @Slot()
    def clear_error(self) -> None:
        self.clear()
        self.setToolTip("")
        self.topic = None
