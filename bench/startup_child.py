"""Run in a child process by `bench.startup`: the real app, or a bare PySide6 window.

Prints `PAINTED <time.time()>` on stdout the moment the window has painted what counts as
"started", then quits; the app also prints `WINDOW <time.time()>` at its main window's first
paint (before its rooms have arrived). `app`: `room-moderator --sandbox` (the real `main()`),
with the rooms pane painted with its first rows; the in-process sandbox gets the benchmark's
latency so the first rooms list costs a realistic round trip. `bare`: an empty QMainWindow,
painted once. `import`: only `import moderator.ui.app` (for the breakdown).
"""

from __future__ import annotations

import sys
import time
from typing import Any


def _report_and_quit() -> None:
    from PySide6.QtWidgets import QApplication

    print(f"PAINTED {time.time():.6f}", flush=True)
    QApplication.quit()


def run_bare() -> int:
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    class PaintWatch(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                QTimer.singleShot(0, _report_and_quit)
            return False

    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.setWindowTitle("bare")
    watch = PaintWatch()
    window.installEventFilter(watch)
    window.show()
    return app.exec()


def run_app(latency_ms: float) -> int:
    from functools import partial

    from PySide6.QtCore import QEvent, QObject, QTimer

    import moderator.ui.app as app_module
    from moderator.ui.main_window import MainWindow
    from moderator.ui.sandbox_runner import local_sandbox

    # The app's own built-in sandbox, with the benchmark's latency on every request.
    app_module.local_sandbox = partial(  # type: ignore[attr-defined, assignment]
        local_sandbox, latency_ms=int(latency_ms)
    )
    real_build_window = app_module.build_window
    keep: list[Any] = []

    class RoomsPainted(QObject):
        """The rooms table painted while its model has rows: the first rooms list is on screen."""

        def __init__(self, window: MainWindow) -> None:
            super().__init__(window)
            self.window = window
            self.done = False

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if (
                not self.done
                and event.type() == QEvent.Type.Paint
                and self.window.rooms_model.rowCount() > 0
            ):
                self.done = True
                QTimer.singleShot(0, _report_and_quit)
            return False

    class WindowPainted(QObject):
        """The main window's first paint: the host sees the app (rooms may still be coming)."""

        def __init__(self, window: MainWindow) -> None:
            super().__init__(window)
            self.done = False

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if not self.done and event.type() == QEvent.Type.Paint:
                self.done = True
                print(f"WINDOW {time.time():.6f}", flush=True)
            return False

    def build_window(context: app_module.AppContext) -> MainWindow:
        window = real_build_window(context)
        watch = RoomsPainted(window)
        window.rooms_pane.view.viewport().installEventFilter(watch)
        shown = WindowPainted(window)
        window.installEventFilter(shown)
        keep.extend((watch, shown))
        return window

    app_module.build_window = build_window
    return app_module.main(["--sandbox"])


def run_import() -> int:
    """Only import the app's entry module: how much of startup is Python importing code."""
    import moderator.ui.app  # noqa: F401

    print(f"PAINTED {time.time():.6f}", flush=True)
    return 0


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "bare":
        sys.exit(run_bare())
    if mode == "import":
        sys.exit(run_import())
    sys.exit(run_app(float(sys.argv[2]) if len(sys.argv) > 2 else 150.0))
