"""The real main window and session, wired to a sandbox process, as the app wires them."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication

from bench.common import spin_until
from bench.sandbox_process import SandboxProcess
from moderator.core.credentials import Credentials
from moderator.core.settings import Settings, SettingsStore
from moderator.ui import resources
from moderator.ui.main_window import MainWindow
from moderator.ui.session import Session

WINDOW_SIZE = (1280, 800)


def application() -> QApplication:
    """The QApplication, styled like the app's (the stylesheet costs paint time too)."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
        app.setStyleSheet(resources.stylesheet())
    return app


def open_window(sandbox: SandboxProcess, host_name: str = "Bench") -> MainWindow:
    """A shown main window on `sandbox` with the app's default polling settings, co-hosting
    on (as by default): its Sync reads and heartbeats count too."""
    application()
    settings = Settings(default_country="US")
    store = SettingsStore(Path(os.environ["ROOM_MODERATOR_CONFIG_DIR"]) / "bench-settings.json")
    credentials = sandbox.credentials
    assert credentials is not None

    def factory(_profile: str, _credentials: Credentials | None, parent: QObject) -> Session:
        return Session(
            credentials,
            base_url=sandbox.base_url,
            settings=settings,
            cohost_name=host_name,
            parent=parent,
        )

    window = MainWindow(settings=settings, settings_store=store, session_factory=factory)
    window.resize(*WINDOW_SIZE)
    window.show()
    window.open_profile("", None)
    return window


def select_room(window: MainWindow, room_sid: str, timeout_s: float = 30.0) -> None:
    """Wait for the room to be listed, select it as a host would, and wait for its roster."""
    if not spin_until(lambda: window.rooms_model.row_of(room_sid) >= 0, timeout_s):
        raise RuntimeError("the room never appeared in the rooms list")
    window.rooms_pane.select_sid(room_sid)
    if not spin_until(lambda: window.roster_model.rowCount() > 0, timeout_s):
        raise RuntimeError("the selected room's roster never filled")


def close_window(window: MainWindow) -> None:
    window.shutdown()
    window.close()
    window.deleteLater()
    spin_until(lambda: False, 0.2)
