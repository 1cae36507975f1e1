"""Building the real main window on the in-process sandbox, and finding widgets as a user would.

Tests construct `MainWindow` with an injected session factory (the sandbox's API key and URL),
a settings file in a temporary folder and no profile switcher, so they never touch the user's
configuration or keyring. Widgets are found by accessible name, like a screen reader finds them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from moderator.core.credentials import Credentials
from moderator.core.poller import PollSettings
from moderator.core.room_cache import RoomCache
from moderator.core.settings import Settings, SettingsStore
from moderator.sandbox.server import SandboxServer
from moderator.ui.main_window import MainWindow
from moderator.ui.session import Session

W = TypeVar("W", bound=QWidget)

#: Fast polling so tests finish quickly; the budget logic itself is tested elsewhere.
FAST_POLLING = PollSettings(
    rooms_interval_s=0.3,
    selected_interval_s=0.2,
    live_call_interval_s=0.2,
    settled_call_interval_s=0.3,
    guest_room_interval_s=0.3,
    other_rooms_interval_s=0.5,
    lobby_interval_s=0.3,
    counts_per_s=20.0,
    max_reads_per_s=60.0,
    burst=30.0,
    tick_s=0.05,
)

WAIT_MS = 10_000


def sandbox_credentials(sandbox: SandboxServer) -> Credentials:
    creds = sandbox.credentials
    return Credentials(creds.account_sid, creds.api_key_sid, creds.api_key_secret)


def make_window(
    qtbot: QtBot,
    sandbox: SandboxServer,
    tmp_path: Path,
    settings: Settings | None = None,
    size: tuple[int, int] | None = (1200, 760),
    room_cache: RoomCache | None = None,
    profile: str = "",
) -> MainWindow:
    """A shown main window on `sandbox`, with settings saved under `tmp_path`, resized to
    `size` (None: the size the window picks itself, from saved settings or the screen)."""
    settings = settings if settings is not None else Settings(default_country="US")
    store = SettingsStore(tmp_path / "settings.json")

    def factory(_profile: str, _credentials: Credentials | None, parent: QObject) -> Session:
        return Session(
            sandbox_credentials(sandbox),
            base_url=sandbox.base_url,
            settings=FAST_POLLING,
            parent=parent,
        )

    window = MainWindow(
        settings=settings, settings_store=store, session_factory=factory, room_cache=room_cache
    )
    qtbot.addWidget(window)
    if size is not None:
        window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    window.open_profile(profile, None)
    return window


def activate(qtbot: QtBot, window: QWidget) -> None:
    """Make `window` the active window and wait until it is.

    Window shortcuts (Delete, Ctrl+N…) only fire in the active window, and activation is
    asynchronous: after a dialog closes, the main window gets it back only on a later turn of
    the event loop, so a key pressed at once may land on no active window at all.
    """
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)


def by_name(root: QWidget, kind: type[W], name: str) -> W:
    """The one visible widget of `kind` under `root` whose accessible name is `name`."""
    found = [
        w for w in root.findChildren(kind) if w.accessibleName() == name and w.isVisibleTo(root)
    ]
    assert len(found) == 1, f"expected one {kind.__name__} named {name!r}, found {len(found)}"
    return found[0]


def top_level(kind: type[W]) -> W | None:
    """The visible top-level (or window-modal) widget of `kind`, if one is open."""
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, kind) and widget.isVisible():
            return widget
    return None


def wait_for_dialog(qtbot: QtBot, kind: type[W]) -> W:
    """Wait until a dialog of `kind` is showing, and return it."""
    qtbot.waitUntil(lambda: top_level(kind) is not None, timeout=WAIT_MS)
    dialog = top_level(kind)
    assert dialog is not None
    return dialog


def click(qtbot: QtBot, button: QAbstractButton) -> None:
    """A real left click on an enabled button."""
    assert button.isEnabled(), f"{button.text()!r} is disabled"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def answer_message_box(qtbot: QtBot, button_text: str) -> str:
    """Click `button_text` in the open QMessageBox; returns the box's text for assertions."""
    box = wait_for_dialog(qtbot, QMessageBox)
    text = f"{box.text()}\n{box.informativeText()}"
    for button in box.buttons():
        if button.text().replace("&&", "&") == button_text:
            click(qtbot, button)
            return text
    raise AssertionError(f"no button {button_text!r} in {[b.text() for b in box.buttons()]}")
