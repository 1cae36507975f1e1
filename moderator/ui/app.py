"""Entry point: `room-moderator` / `python main.py`.

With no saved Twilio profile the app opens on the built-in local sandbox with demo traffic, so it
is useful (and safe to explore) with no account and no network. `--screenshot` renders the real
window after some seconds of demo traffic, for docs and bug reports.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QSize, QTimer
from PySide6.QtWidgets import QApplication

from moderator import __version__
from moderator.core.credentials import Credentials
from moderator.core.journal import Journal, JournalError, default_journal_path
from moderator.core.profiles import SANDBOX_PROFILE, ProfileStore
from moderator.core.settings import Settings, SettingsStore
from moderator.ui import resources
from moderator.ui.main_window import MainWindow
from moderator.ui.profile_switcher import ProfileSwitcher
from moderator.ui.sandbox_runner import SandboxRunner
from moderator.ui.session import Session

log = logging.getLogger(__name__)

APP_NAME = "Room Moderator"
SCREENSHOT_SIZE = QSize(1280, 800)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line (without Qt's own options, which QApplication consumes)."""
    parser = argparse.ArgumentParser(
        prog="room-moderator",
        description="Moderate Twilio Video rooms: live roster, dial phone guests, remove people.",
    )
    parser.add_argument(
        "--sandbox", action="store_true", help="use the built-in local sandbox (no account)"
    )
    parser.add_argument("--profile", metavar="NAME", help="open this saved Twilio profile")
    parser.add_argument(
        "--screenshot",
        metavar="FILE",
        type=Path,
        help="render the main window to FILE (PNG) and exit",
    )
    parser.add_argument(
        "--after",
        metavar="SECONDS",
        type=float,
        default=3.0,
        help="with --screenshot: seconds of live (demo) traffic before the capture (default 3)",
    )
    parser.add_argument(
        "--verbose", action="store_true", help="log every request (secrets are never logged)"
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    args = parser.parse_args(argv)
    if args.after < 0:
        parser.error("--after must be zero or more seconds")
    return args


class AppContext(QObject):
    """What outlives a profile switch: settings, the profile store and the local sandbox."""

    def __init__(
        self,
        *,
        settings_store: SettingsStore,
        profiles: ProfileStore,
        sandbox: SandboxRunner,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings_store = settings_store
        self.settings: Settings = settings_store.load()
        self.profiles = profiles
        self.sandbox = sandbox

    def make_session(
        self, profile: str, credentials: Credentials | None, parent: QObject
    ) -> Session:
        """A session for `profile`: the local sandbox when `credentials` is None."""
        if credentials is None:
            self.sandbox.start()
            return Session(
                self.sandbox.credentials(),
                base_url=self.sandbox.base_url,
                # The sandbox forgets its calls when the app quits, so its journal does too; it
                # still gives the sandbox a call history and exports to try.
                journal=Journal.in_memory(),
                settings=self.settings,
                parent=parent,
            )
        return Session(
            credentials, journal=_open_journal(credentials), settings=self.settings, parent=parent
        )

    def initial_profile(self, args: argparse.Namespace) -> str:
        """--sandbox, else --profile, else the last profile if it still exists, else sandbox."""
        if args.sandbox:
            return SANDBOX_PROFILE
        if args.profile:
            return str(args.profile)
        last = self.settings.last_profile
        return last if last and self.profiles.get(last) is not None else SANDBOX_PROFILE

    def stop(self) -> None:
        """Stop the sandbox thread (idempotent)."""
        self.sandbox.stop()


def _open_journal(credentials: Credentials) -> Journal | None:
    """The account's call journal (one file per account), or None if it cannot be opened."""
    path = default_journal_path().with_name(f"journal-{credentials.account_sid}.sqlite3")
    try:
        return Journal(path)
    except JournalError as exc:
        log.warning("running without a call journal: %s", exc)
        return None


def _ensure_application() -> QApplication:
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    return QApplication(sys.argv[:1])


def take_screenshot(window: MainWindow, path: Path) -> bool:
    """Render `window` to `path` (format from the suffix, PNG by default)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pixmap = window.grab()
    fmt = None if path.suffix else "PNG"
    return bool(pixmap.save(str(path), fmt))


def build_window(context: AppContext) -> MainWindow:
    """The main window with its profile switcher, wired to the context's sessions."""
    switcher = ProfileSwitcher(context.profiles)
    return MainWindow(
        settings=context.settings,
        settings_store=context.settings_store,
        session_factory=context.make_session,
        profile_switcher=switcher,
    )


def open_initial_profile(window: MainWindow, profile: str) -> None:
    """Open `profile`; an unknown name falls back to the sandbox with a status-bar message."""
    switcher = window.profile_switcher
    if profile != SANDBOX_PROFILE and switcher is not None:
        if switcher.set_current_profile(profile):
            return
        window.open_profile(SANDBOX_PROFILE, None)
        window.show_error(
            f"There is no saved profile named “{profile}”; showing the local sandbox.",
            "Add it with File ▸ Add Twilio profile….",
            context="Opening profile",
        )
        return
    window.open_profile(SANDBOX_PROFILE, None)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the app; returns the process exit code."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    app = _ensure_application()
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("room-moderator")
    app.setWindowIcon(resources.icon("room-moderator"))
    app.setStyleSheet(resources.stylesheet())

    context = AppContext(
        settings_store=SettingsStore(),
        profiles=ProfileStore(),
        sandbox=SandboxRunner(demo=True),
        parent=app,
    )
    exit_code = 0
    window = build_window(context)
    try:
        if args.screenshot is not None:
            window.resize(SCREENSHOT_SIZE)  # the same framing whatever the (virtual) screen
        window.show()
        open_initial_profile(window, context.initial_profile(args))
        if args.screenshot is not None:
            target: Path = args.screenshot

            def capture() -> None:
                nonlocal exit_code
                if not take_screenshot(window, target):
                    log.error("could not write the screenshot to %s", target)
                    exit_code = 1
                window.close()
                app.quit()

            QTimer.singleShot(int(args.after * 1000), capture)
        code = app.exec()
        exit_code = exit_code or code
    finally:
        window.shutdown()
        window.deleteLater()
        context.stop()
        context.deleteLater()
        # Closing the last window also posts a Quit event; left queued, it would end the next
        # event loop at once (matters when main() runs inside a test process).
        QCoreApplication.removePostedEvents(app, QEvent.Type.Quit)
    return exit_code
