"""`room-moderator --smoke-test`: the host's first minute, scripted, in the app as built.

CI freezes the app (`python -m tools.build`) and must prove the folder works, not the source
tree: so the flow runs inside the built executable, against its own built-in sandbox (a child
process started as `room-moderator --run-sandbox`), through the real widgets as a host would use
them: wait for the live rooms, select one, click *Dial phone guest*, type a number, click *Dial*,
wait until the guest is connected in the room, click *Remove participant*, confirm, wait until
the guest has left. Each step prints one line; the first step that does not happen in time fails
the run with exit status 1. No private API of the window is needed beyond what tests use.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Generator
from typing import TypeVar

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractButton, QApplication, QLineEdit, QMessageBox, QWidget

from moderator.core.guest_state import GuestStatus
from moderator.ui.main_window import MainWindow

log = logging.getLogger(__name__)

W = TypeVar("W", bound=QWidget)

SMOKE_NUMBER = "(415) 555-2671"
"""A sandbox number that rings after 1 s and answers 3 s later, then joins the room."""
STEP_TIMEOUT_S = 30.0
"""Generous: the built app on a busy 2-core CI machine; a step that works takes seconds."""

Step = Generator[tuple[str, Callable[[], bool]], None, None]


def _find(root: QWidget, kind: type[W], name: str) -> W | None:
    for widget in root.findChildren(kind):
        if widget.accessibleName() == name and widget.isVisibleTo(root):
            return widget
    return None


def _top_level(kind: type[W]) -> W | None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, kind) and widget.isVisible():
            return widget
    return None


def _type(widget: QWidget, text: str) -> None:
    """Key presses, as a keyboard sends them (the number field formats as you type)."""
    widget.setFocus()
    for char in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, char))


class SmokeFlow(QObject):
    """Runs the scripted flow on `window`; `finished(code)` is called once with 0 or 1."""

    def __init__(self, window: MainWindow, finished: Callable[[int], None]) -> None:
        super().__init__(window)
        self._window = window
        self._finished = finished
        self._steps = self._flow()
        self._waiting: tuple[str, Callable[[], bool]] | None = None
        self._deadline = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(100)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        """Begin with the first step (polled every 100 ms from the event loop)."""
        self._advance()
        self._timer.start()

    def _advance(self) -> None:
        try:
            self._waiting = next(self._steps)
        except StopIteration:
            self._done(0)
            return
        self._deadline = time.monotonic() + STEP_TIMEOUT_S

    def _tick(self) -> None:
        if self._waiting is None:
            return
        what, condition = self._waiting
        try:
            met = condition()
        except Exception:
            log.exception("smoke: checking %s failed", what)
            self._done(1)
            return
        if met:
            print(f"smoke: ok: {what}", flush=True)
            self._advance()
        elif time.monotonic() > self._deadline:
            print(f"smoke: FAILED: {what} (not within {STEP_TIMEOUT_S:.0f} s)", file=sys.stderr)
            self._done(1)

    def _done(self, code: int) -> None:
        self._waiting = None
        self._timer.stop()
        self._finished(code)

    def _flow(self) -> Step:
        window = self._window
        yield "live rooms listed", lambda: window.rooms_model.rowCount() > 0
        room = window.rooms_model.rows()[0]
        window.rooms_pane.select_sid(room.sid)
        yield (
            f"room {room.room.unique_name} selected",
            lambda: window.rooms_pane.selected_sid() == room.sid,
        )
        dial_button = _find(window, QAbstractButton, "Dial phone guest")
        yield (
            "Dial phone guest enabled",
            lambda: dial_button is not None and dial_button.isEnabled(),
        )
        assert dial_button is not None
        dial_button.click()
        from moderator.ui.dialogs.dial_dialog import DialDialog

        yield "dial dialog open", lambda: _top_level(DialDialog) is not None
        dialog = _top_level(DialDialog)
        assert dialog is not None
        dialed: list[str] = []
        dialog.dialed.connect(dialed.append)
        number = _find(dialog, QLineEdit, "Phone number")
        assert number is not None
        _type(number, SMOKE_NUMBER)
        dial = next(b for b in dialog.findChildren(QAbstractButton) if b.text() == "Dial")
        yield "pre-flight checks pass (Dial enabled)", dial.isEnabled
        dial.click()
        yield "call placed", lambda: bool(dialed)
        key = dialed[0]

        def status() -> GuestStatus | None:
            row = window.roster_model.object_for(key)
            return None if row is None else row.status

        yield "guest connected in the room", lambda: status() is GuestStatus.CONNECTED
        window.roster_pane.select_key(key)
        remove = _find(window, QAbstractButton, "Remove participant")
        yield "Remove participant enabled", lambda: remove is not None and remove.isEnabled()
        assert remove is not None
        remove.click()
        yield "confirmation asked", lambda: _top_level(QMessageBox) is not None
        box = _top_level(QMessageBox)
        assert box is not None
        confirm = next(
            b for b in box.buttons() if box.buttonRole(b) is QMessageBox.ButtonRole.DestructiveRole
        )
        confirm.click()
        yield "guest hung up and left", lambda: status() is GuestStatus.LEFT


class LiveRoomsMark(QObject):
    """`--exit-when-live` (for `python -m bench`, hidden from --help): print
    `LIVE <time.time()>` when the rooms table first paints with rows, then quit.

    The benchmark times the built app from its spawn to this line, as it times the source app
    (bench/startup_child.py) and a bare PySide6 window, in the same run.
    """

    def __init__(self, window: MainWindow, quit_app: Callable[[], None]) -> None:
        super().__init__(window)
        self._window = window
        self._quit = quit_app
        self._done = False
        window.rooms_pane.view.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            not self._done
            and event.type() == QEvent.Type.Paint
            and self._window.rooms_model.rowCount() > 0
        ):
            self._done = True
            print(f"LIVE {time.time():.6f}", flush=True)
            QTimer.singleShot(0, self, self._quit)
        return False
