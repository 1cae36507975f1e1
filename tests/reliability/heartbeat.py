"""A QTimer heartbeat on the GUI thread: the longest it was kept waiting is how long the UI froze.

Only the app's work counts: test code that blocks on purpose (stopping a server, reading files)
runs inside `paused()`, which restarts the measurement afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QObject, QTimer, Slot


class Heartbeat(QObject):
    """Counts beats and the worst lateness of a `interval_ms` timer."""

    def __init__(self, interval_ms: int = 10, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.interval_ms = interval_ms
        self.beats = 0
        self.max_stall_ms = 0.0
        #: "METHOD path" of requests sent from the GUI thread (filled by the fixture's guard).
        self.network_on_gui_thread: list[str] = []
        self._last: float | None = None
        self._paused = False
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._beat)

    def start(self) -> Heartbeat:
        self._last = None
        self._timer.start()
        return self

    def stop(self) -> None:
        self._timer.stop()

    @Slot()
    def _beat(self) -> None:
        now = time.perf_counter()
        if self._last is not None and not self._paused:
            stall = (now - self._last) * 1000.0 - self.interval_ms
            self.max_stall_ms = max(self.max_stall_ms, stall)
            self.beats += 1
        self._last = now

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Test code that blocks the GUI thread on purpose (its own requests included) does not
        count as a stall or as the app using the network from the GUI thread."""
        self._paused = True
        sent_before = len(self.network_on_gui_thread)
        try:
            yield
        finally:
            del self.network_on_gui_thread[sent_before:]
            self._paused = False
            self._last = None

    def summary(self) -> str:
        sent = len(self.network_on_gui_thread)
        return (
            f"UI heartbeat: {self.beats} beats, worst stall {self.max_stall_ms:.0f} ms, "
            f"{sent} request(s) from the GUI thread"
        )
