"""Entry point: `room-moderator` / `python main.py`.

With no saved Twilio profile the app opens on the built-in local sandbox with demo traffic, so it
is useful (and safe to explore) with no account and no network; `--sandbox-config FILE` opens it
on a standalone sandbox instead. `--screenshot` renders the real window after some seconds of demo
traffic, for docs and bug reports. Ctrl+C and SIGTERM close the window as its close button would.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QSize, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from moderator import __version__
from moderator.core.credentials import Credentials
from moderator.core.profiles import SANDBOX_PROFILE, ProfileStore
from moderator.core.room_cache import RoomCache
from moderator.core.settings import Settings, SettingsStore
from moderator.ui import resources
from moderator.ui.main_window import MainWindow
from moderator.ui.profile_switcher import ProfileSwitcher
from moderator.ui.sandbox_runner import (
    RUN_SANDBOX_FLAG,
    ExternalSandbox,
    LocalSandbox,
    SandboxConfigError,
    local_sandbox,
    read_sandbox_config,
)
from moderator.ui.signals import QuitOnSignal

if TYPE_CHECKING:  # imported when the first profile opens, after the window's first paint
    from moderator.core.count_history import CountHistory
    from moderator.core.dialin import DialInStore
    from moderator.core.journal import Journal
    from moderator.ui.session import Session

log = logging.getLogger(__name__)

APP_NAME = "Room Moderator"
PROG = "room-moderator"
SCREENSHOT_SIZE = QSize(1280, 800)
READY_MESSAGE = "Room Moderator is running; Ctrl+C quits"
"""Logged (at INFO, so with --verbose) once the event loop runs and Ctrl+C is handled."""


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line (without Qt's own options, which QApplication consumes).

    `sandbox_config` comes back already read (a `SandboxConfig`, or None), so a bad file ends the
    program here with status 2 and one line, before any window appears.
    """
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Moderate Twilio Video rooms: live roster, dial phone guests, remove people.",
    )
    parser.add_argument(
        "--sandbox", action="store_true", help="use the built-in local sandbox (no account)"
    )
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--profile", metavar="NAME", help="open this saved Twilio profile")
    target.add_argument(
        "--sandbox-config",
        metavar="FILE",
        type=Path,
        help="use the running standalone sandbox described by FILE (the JSON line that "
        "room-moderator-sandbox prints, or writes with --write-config)",
    )
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
    parser.add_argument(
        "--install-desktop-entry",
        action="store_true",
        help="add Room Moderator to this user's applications menu (XDG .desktop file and icon)",
    )
    parser.add_argument(
        "--check-keyring",
        action="store_true",
        help="store, read and delete a test secret in the OS keyring, say whether it worked",
    )
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help="open on the sandbox, dial a guest, remove them, then exit (0: it all worked)",
    )
    parser.add_argument("--exit-when-live", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    args = parser.parse_args(argv)
    if args.after < 0:
        parser.error("--after must be zero or more seconds")
    if args.sandbox_config is not None:
        try:
            args.sandbox_config = read_sandbox_config(args.sandbox_config)
        except SandboxConfigError as exc:
            # One line, argparse's prefix and status; the usage would only bury the reason.
            parser.exit(2, f"{parser.prog}: error: --sandbox-config {exc}\n")
    return args


class AppContext(QObject):
    """What outlives a profile switch: settings, the profile store and the local sandbox."""

    def __init__(
        self,
        *,
        settings_store: SettingsStore,
        profiles: ProfileStore,
        sandbox: LocalSandbox,
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
        """A session for `profile`: the local sandbox (built-in or standalone) when `credentials`
        is None."""
        from moderator.core.journal import Journal
        from moderator.ui.session import Session

        if credentials is None:
            self.sandbox.start()
            return Session(
                self.sandbox.credentials(),
                base_url=self.sandbox.base_url,
                # The sandbox forgets its calls when it stops, so its journal does too; it still
                # gives the sandbox a call history and exports to try. (A standalone one may be
                # shared by two windows: neither should adopt the other's calls.)
                journal=Journal.in_memory(),
                settings=self.settings,
                cohost_name=self._cohost_name(),
                parent=parent,
            )
        return Session(
            credentials,
            journal=_open_journal(credentials),
            dial_in_store=_open_dial_in_store(credentials),
            count_history=_open_count_history(credentials),
            settings=self.settings,
            cohost_name=self._cohost_name(),
            parent=parent,
        )

    def _cohost_name(self) -> str | None:
        """The host's display name when co-host sharing is on (Preferences), else None."""
        return self.settings.host_name if self.settings.cohosting else None

    def initial_profile(self, args: argparse.Namespace) -> str:
        """--sandbox(-config) or --smoke-test (never on a real account), else --profile, else
        the last profile if it still exists, else the sandbox. The sandbox's name is
        `self.sandbox.profile` ("" for the built-in one)."""
        if args.sandbox or args.sandbox_config is not None or getattr(args, "smoke_test", False):
            return self.sandbox.profile
        if args.profile:
            return str(args.profile)
        last = self.settings.last_profile
        return last if last and self.profiles.get(last) is not None else self.sandbox.profile

    def stop(self) -> None:
        """Stop the sandbox thread (idempotent)."""
        self.sandbox.stop()


def _open_journal(credentials: Credentials) -> Journal | None:
    """The account's call journal (one file per account), or None if it cannot be opened."""
    from moderator.core.journal import Journal, JournalError, default_journal_path

    path = default_journal_path().with_name(f"journal-{credentials.account_sid}.sqlite3")
    try:
        return Journal(path)
    except JournalError as exc:
        log.warning("running without a call journal: %s", exc)
        return None


def _open_dial_in_store(credentials: Credentials) -> DialInStore | None:
    """The account's dial-in numbers (and what each did before), or None (memory only)."""
    import sqlite3

    from moderator.core.dialin import DialInStore
    from moderator.core.journal import default_journal_path

    path = default_journal_path().with_name(f"dialin-{credentials.account_sid}.sqlite3")
    try:
        return DialInStore(path)
    except sqlite3.Error as exc:
        log.warning("dial-in numbers kept in memory only: %s", exc)
        return None


def _open_count_history(credentials: Credentials) -> CountHistory | None:
    """The account's rooms' counts over the last days (SQLite), or None (memory only)."""
    import sqlite3

    from moderator.core.count_history import CountHistory, CountStore
    from moderator.core.journal import default_journal_path

    path = default_journal_path().with_name(f"counts-{credentials.account_sid}.sqlite3")
    try:
        return CountHistory(store=CountStore(path))
    except sqlite3.Error as exc:
        log.warning("room counts kept in memory only: %s", exc)
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
    switcher = ProfileSwitcher(context.profiles, sandbox_label=context.sandbox.label)
    return MainWindow(
        settings=context.settings,
        settings_store=context.settings_store,
        session_factory=context.make_session,
        profile_switcher=switcher,
        # The sandboxes' rooms do not outlive them: only real accounts' rooms are remembered.
        room_cache=RoomCache(skip={SANDBOX_PROFILE, context.sandbox.profile}),
    )


def open_initial_profile(
    window: MainWindow, profile: str, sandbox_profile: str = SANDBOX_PROFILE
) -> None:
    """Open `profile`; an unknown name falls back to the sandbox with a status-bar message.

    `sandbox_profile` is the sandbox's name: "" for the built-in one, "Sandbox at HOST:PORT" for
    a standalone one (the session factory gives it the sandbox, as it has no credentials).
    """
    switcher = window.profile_switcher
    if profile not in (SANDBOX_PROFILE, sandbox_profile) and switcher is not None:
        if switcher.set_current_profile(profile):
            return
        window.open_profile(sandbox_profile, None)
        window.show_error(
            f"There is no saved profile named “{profile}”; showing the local sandbox.",
            "Add it with File ▸ Add Twilio profile…",
            context="Opening profile",
        )
        return
    window.open_profile(sandbox_profile, None)


class _FirstPaint(QObject):
    """Runs a callback once, right after the watched widget's first paint (or after
    `fallback_ms` if no paint comes, e.g. a window that is never exposed)."""

    def __init__(self, widget: QWidget, callback: Callable[[], None], fallback_ms: int) -> None:
        super().__init__(widget)
        self._widget = widget
        self._callback: Callable[[], None] | None = callback
        widget.installEventFilter(self)
        QTimer.singleShot(fallback_ms, self, self._fire)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._widget and event.type() == QEvent.Type.Paint:
            QTimer.singleShot(0, self, self._fire)  # after this paint has reached the screen
        return False

    def _fire(self) -> None:
        callback, self._callback = self._callback, None
        if callback is not None:
            self._widget.removeEventFilter(self)
            callback()


def after_first_paint(
    widget: QWidget, callback: Callable[[], None], fallback_ms: int = 300
) -> None:
    """Call `callback` once `widget` has painted for the first time."""
    _FirstPaint(widget, callback, fallback_ms)


def report_refused_files(window: MainWindow, context: AppContext) -> bool:
    """Say once, in the status bar, that a file from a newer Room Moderator was refused (the
    app runs on defaults and leaves it as it is; the details were logged). True if it said so."""
    refused = [
        store.refused
        for store in (context.settings_store, context.profiles)
        if store.refused is not None
    ]
    if not refused:
        return False
    names = " and ".join(exc.path.name for exc in refused)
    window.show_error(
        f"{names} {'was' if len(refused) == 1 else 'were'} saved by a newer Room Moderator: "
        "this one runs on defaults and leaves the file as it is.",
        "Update Room Moderator to use your saved settings and profiles.",
        context="Opening your files",
    )
    return True


def request_quit(window: MainWindow, app: QApplication) -> None:
    """Quit as the window's close button would (settings saved, session stopped), then make sure
    the event loop ends even if a dialog is still open."""
    window.close()
    app.quit()


def _host_tool(args: argparse.Namespace) -> int:
    """--install-desktop-entry / --check-keyring: one line each on stdout, no window."""
    from moderator.ui import host_tools

    code = 0
    if args.install_desktop_entry:
        entry = host_tools.install_desktop_entry()
        print(f"installed {entry.desktop_file} and {entry.icon_file}")
    if args.check_keyring:
        ok, line = host_tools.check_keyring()
        print(line)
        code = 0 if ok else 1
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run the app; returns the process exit code."""
    raw = list(sys.argv[1:] if argv is None else argv)
    if raw[:1] == [RUN_SANDBOX_FLAG]:  # a frozen app's built-in sandbox child (sandbox_runner)
        from moderator.sandbox.__main__ import main as sandbox_main

        return sandbox_main(raw[1:])
    args = parse_args(raw)
    if args.install_desktop_entry or args.check_keyring:
        return _host_tool(args)
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

    sandbox: LocalSandbox = (
        local_sandbox(demo=True)
        if args.sandbox_config is None
        else ExternalSandbox(args.sandbox_config)
    )
    context = AppContext(
        settings_store=SettingsStore(),
        profiles=ProfileStore(),
        sandbox=sandbox,
        parent=app,
    )
    initial = context.initial_profile(args)
    if initial == sandbox.profile:
        sandbox.warm_up()  # a sandbox process gets ready on the other core meanwhile
    exit_code = 0
    window = build_window(context)
    quit_on_signal = QuitOnSignal(lambda: request_quit(window, app), parent=app)
    quit_on_signal.install()
    try:
        if args.screenshot is not None:
            window.resize(SCREENSHOT_SIZE)  # the same framing whatever the (virtual) screen
        window.show_last_known_rooms(initial)
        window.show()
        report_refused_files(window, context)
        # The window paints first (with this profile's last known rooms, "updating…"); the
        # profile's session, the SDK it imports and the sandbox's server follow.
        after_first_paint(
            window,
            lambda: open_initial_profile(window, initial, sandbox.profile),
        )
        if args.exit_when_live:  # python -m bench: the built app's start-up
            from moderator.ui.smoke import LiveRoomsMark

            LiveRoomsMark(window, lambda: request_quit(window, app))
        if args.smoke_test:
            from moderator.ui.smoke import SmokeFlow

            def smoke_done(code: int) -> None:
                nonlocal exit_code
                exit_code = code
                window.close()
                app.quit()

            smoke = SmokeFlow(window, smoke_done)
            after_first_paint(window, smoke.start)
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
        QTimer.singleShot(0, lambda: log.info(READY_MESSAGE))
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
        # Last, so a Ctrl+C during the clean-up above is still no traceback.
        quit_on_signal.uninstall()
        quit_on_signal.deleteLater()
    return exit_code
