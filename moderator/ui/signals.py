"""Ctrl+C and SIGTERM quit the app the normal way, from inside Qt's event loop.

Python runs its signal handlers only between bytecodes, and while Qt's event loop waits in C++
no bytecode runs: a Ctrl+C would be noticed only at the next slot, as a `KeyboardInterrupt`
traceback out of whatever slot happened to run, and the app would carry on. So the handlers
installed here do no work themselves: `signal.set_wakeup_fd` makes the C-level handler write the
signal's number to one end of a socket pair, a `QSocketNotifier` on the other end wakes the event
loop at once (no polling timer), and its slot asks the app to quit through the same path as the
window's close button, so sessions stop and settings are saved. A second signal while that quit
is under way is the user insisting: the default action is restored and the signal re-raised.
"""

from __future__ import annotations

import logging
import signal
import socket
from collections.abc import Callable
from types import FrameType

from PySide6.QtCore import QObject, QSocketNotifier, Slot

log = logging.getLogger(__name__)

QUIT_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM)

_Handler = Callable[[int, FrameType | None], object] | int | None


class QuitOnSignal(QObject):
    """Turns SIGINT/SIGTERM into one call of `request_quit` on the GUI thread.

    `install()` takes over the handlers and the wakeup fd; `uninstall()` puts back whatever was
    there before (tests run the app inside pytest's own process, whose Ctrl+C must keep working).
    """

    def __init__(self, request_quit: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._request_quit = request_quit
        self._received: list[int] = []
        self._quit_requested = False
        self._reader: socket.socket | None = None
        self._writer: socket.socket | None = None
        self._notifier: QSocketNotifier | None = None
        self._previous_handlers: dict[signal.Signals, _Handler] = {}
        self._previous_wakeup_fd = -1

    @property
    def installed(self) -> bool:
        """Whether the handlers are in place (False off the main thread, where Python refuses)."""
        return self._notifier is not None

    def install(self) -> bool:
        """Take over SIGINT/SIGTERM; False (and nothing changed) when not on the main thread."""
        if self.installed:
            return True
        reader, writer = socket.socketpair()
        reader.setblocking(False)
        writer.setblocking(False)
        try:
            # A full buffer means a wakeup is already pending; that is all the loop needs.
            previous_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
        except ValueError:  # not the main thread of the main interpreter
            reader.close()
            writer.close()
            log.info("not on the main thread: Ctrl+C and SIGTERM keep their default handling")
            return False
        self._previous_wakeup_fd = previous_fd
        self._reader, self._writer = reader, writer
        for signum in QUIT_SIGNALS:
            self._previous_handlers[signum] = signal.signal(signum, self._on_signal)
        self._notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._on_wakeup)
        return True

    def uninstall(self) -> None:
        """Restore the previous handlers and wakeup fd and close the sockets; idempotent."""
        notifier, self._notifier = self._notifier, None
        if notifier is None:
            return
        notifier.setEnabled(False)
        notifier.deleteLater()
        for signum, previous in self._previous_handlers.items():
            signal.signal(signum, previous)
        self._previous_handlers.clear()
        signal.set_wakeup_fd(self._previous_wakeup_fd)
        for sock in (self._reader, self._writer):
            if sock is not None:
                sock.close()
        self._reader = self._writer = None

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        """The Python-level handler: note the signal; the notifier's slot does the quitting.

        It runs between two bytecodes of whatever Python code is current, so it must not touch
        widgets. Only a repeated signal acts here, because the event loop may be what is stuck.
        """
        del frame
        self._received.append(signum)
        if len(self._received) > 1:
            log.warning("second %s: quitting at once", signal.Signals(signum).name)
            self.uninstall()
            signal.signal(signum, signal.SIG_DFL)
            signal.raise_signal(signum)

    @Slot()
    def _on_wakeup(self) -> None:
        """The event loop woke up for a signal: drain the socket and quit once."""
        reader = self._reader
        if reader is None:
            return
        woken_by: list[int] = []
        try:
            while chunk := reader.recv(64):
                woken_by.extend(chunk)
        except (BlockingIOError, InterruptedError):
            pass  # drained
        quit_signals = [s for s in [*self._received, *woken_by] if s in QUIT_SIGNALS]
        if self._quit_requested or not quit_signals:
            return
        self._quit_requested = True
        log.info("%s received: quitting", signal.Signals(quit_signals[0]).name)
        self._request_quit()
