"""App plumbing: the in-process sandbox runner, the connection indicator, the command line,
a standalone sandbox from --sandbox-config, and quitting on Ctrl+C / SIGTERM."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import keyring.errors
import pytest
import requests
from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QComboBox
from pytestqt.qtbot import QtBot

from moderator import __version__
from moderator.core.connection import ConnectionKind, ConnectionState
from moderator.core.credentials import Credentials
from moderator.core.profiles import SANDBOX_PROFILE, Profile, ProfileStore
from moderator.core.settings import Settings, SettingsStore
from moderator.sandbox.server import SandboxServer
from moderator.ui import app, resources
from moderator.ui.connection_indicator import ConnectionIndicator
from moderator.ui.dialogs.keyring_problem_dialog import KeyringProblemDialog
from moderator.ui.main_window import MainWindow
from moderator.ui.profile_switcher import ProfileSwitcher
from moderator.ui.sandbox_runner import ExternalSandbox, SandboxRunner
from moderator.ui.session import Session
from moderator.ui.signals import QUIT_SIGNALS, QuitOnSignal
from tests.keyring_memory import BrokenKeyring, installed
from tests.ui.window_harness import FAST_POLLING, by_name, sandbox_credentials, top_level

ACCOUNT_SID = "AC" + "1" * 32
API_KEY_SID = "SK" + "2" * 32


def test_sandbox_runner_serves_demo_rooms_with_its_api_key() -> None:
    runner = SandboxRunner(demo=True, seed=7)
    runner.start()
    try:
        creds = runner.credentials()
        assert creds.uses_api_key
        response = requests.get(
            f"{runner.base_url}/v1/Rooms",
            params={"Status": "in-progress"},
            auth=(creds.username, creds.secret),
            timeout=5,
        )
        assert response.status_code == 200
        assert response.json()["rooms"], "demo mode starts with rooms in progress"
    finally:
        runner.stop()
        runner.stop()  # idempotent


@pytest.mark.parametrize(
    ("state", "text", "prop"),
    [
        (ConnectionState(ConnectionKind.ONLINE), "Online", "online"),
        (ConnectionState(ConnectionKind.RETRYING, retry_in_s=4), "retrying in 4 s", "retrying"),
        (ConnectionState(ConnectionKind.OFFLINE, retry_in_s=30), "Offline", "offline"),
        (ConnectionState(ConnectionKind.AUTH_REJECTED), "Credentials rejected", "auth-rejected"),
    ],
)
def test_connection_indicator_text_and_colour(
    qtbot: QtBot, state: ConnectionState, text: str, prop: str
) -> None:
    indicator = ConnectionIndicator()
    qtbot.addWidget(indicator)
    indicator.set_state(state)
    assert text in indicator.pill.text()
    assert indicator.pill.property("state") == prop
    assert indicator.last_refresh.text() == "Last refresh —"


def test_connection_indicator_shows_last_refresh_in_local_time(qtbot: QtBot) -> None:
    indicator = ConnectionIndicator()
    qtbot.addWidget(indicator)
    when = datetime(2024, 6, 7, 12, 3, 4, tzinfo=UTC)
    indicator.set_state(ConnectionState(ConnectionKind.ONLINE, last_success=when))
    assert indicator.last_refresh.text() == f"Last refresh {when.astimezone():%H:%M:%S}"


# -- the entry point -------------------------------------------------------------------------


def test_version_flag_prints_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        app.main(["--version"])
    assert exit_info.value.code == 0
    assert __version__ in capsys.readouterr().out


def test_bad_after_is_refused() -> None:
    with pytest.raises(SystemExit) as exit_info:
        app.main(["--sandbox", "--screenshot", "x.png", "--after", "-1"])
    assert exit_info.value.code == 2


def test_screenshot_renders_the_window_in_process(
    qtbot: QtBot, isolated_config_dir: Path, tmp_path: Path
) -> None:
    target = tmp_path / "shots" / "window.png"
    try:
        code = app.main(["--sandbox", "--screenshot", str(target), "--after", "1"])
    finally:
        QApplication.setStyleSheet(QApplication.instance(), "")  # type: ignore[arg-type]
    assert code == 0
    assert target.read_bytes().startswith(b"\x89PNG")
    image = QImage(str(target))
    assert image.width() >= 1000 and image.height() >= 600
    # Settings were saved on the way out, in the throwaway folder only.
    assert (isolated_config_dir / "settings.json").exists()


def test_initial_profile_choice(isolated_config_dir: Path, memory_keyring: object) -> None:
    context = app.AppContext(
        settings_store=SettingsStore(),
        profiles=ProfileStore(),
        sandbox=SandboxRunner(demo=False),
    )
    assert context.initial_profile(app.parse_args([])) == SANDBOX_PROFILE  # nothing saved
    context.profiles.save(Profile.with_api_key("work", ACCOUNT_SID, API_KEY_SID), "s3cret")
    context.settings.last_profile = "work"
    assert context.initial_profile(app.parse_args([])) == "work"
    assert context.initial_profile(app.parse_args(["--sandbox"])) == SANDBOX_PROFILE
    assert context.initial_profile(app.parse_args(["--profile", "home"])) == "home"
    context.settings.last_profile = "gone"
    assert context.initial_profile(app.parse_args([])) == SANDBOX_PROFILE


@pytest.fixture
def context(isolated_config_dir: Path) -> Iterator[app.AppContext]:
    runner = SandboxRunner(demo=True, seed=3)
    context = app.AppContext(
        settings_store=SettingsStore(), profiles=ProfileStore(), sandbox=runner
    )
    yield context
    context.stop()


def test_unknown_profile_opens_the_sandbox_and_says_so(
    qtbot: QtBot, context: app.AppContext
) -> None:
    window = app.build_window(context)
    qtbot.addWidget(window)
    app.open_initial_profile(window, "nope")
    assert window.profile == SANDBOX_PROFILE
    assert "nope" in window.error_label.text()
    qtbot.waitUntil(lambda: window.rooms_model.rowCount() > 0, timeout=10_000)
    window.shutdown()


@pytest.mark.allow_log_warnings(
    r"keyring unavailable: KeyringLocked", r"profile 'work' unusable: The system keyring is locked"
)
def test_locked_keyring_shows_the_keyring_dialog_and_keeps_the_sandbox(
    qtbot: QtBot, context: app.AppContext, memory_keyring: object
) -> None:
    context.profiles.save(Profile.with_api_key("work", ACCOUNT_SID, API_KEY_SID), "s3cret")
    window = app.build_window(context)
    qtbot.addWidget(window)
    with installed(BrokenKeyring(lambda: keyring.errors.KeyringLocked("locked"))):
        app.open_initial_profile(window, "work")
        qtbot.waitUntil(lambda: top_level(KeyringProblemDialog) is not None, timeout=10_000)
    assert window.profile == SANDBOX_PROFILE
    assert "Sandbox" in window.windowTitle()
    qtbot.waitUntil(lambda: window.rooms_model.rowCount() > 0, timeout=10_000)
    dialog = top_level(KeyringProblemDialog)
    assert dialog is not None
    dialog.reject()
    window.shutdown()


def test_every_icon_and_the_stylesheet_load(qtbot: QtBot) -> None:
    from importlib.resources import files

    names = [p.name.removesuffix(".svg") for p in files(resources).joinpath("icons").iterdir()]
    assert "dial" in names and "room-moderator" in names
    for name in names:
        assert not resources.icon(name).pixmap(16, 16).isNull(), name
    with pytest.raises(KeyError):
        resources.icon("no-such-icon")
    assert "QTableView" in resources.stylesheet()


def test_switching_profile_swaps_the_session(
    qtbot: QtBot, sandbox: SandboxServer, tmp_path: Path, memory_keyring: object
) -> None:
    """Pick a saved profile in the toolbar: the old session stops, a new one opens with the
    profile's credentials from the keyring (here pointed at the local sandbox)."""
    sandbox.world.create_room("work-room")
    store = ProfileStore(tmp_path / "profiles.json")
    creds = sandbox.credentials
    profile = Profile.with_api_key("work", creds.account_sid, creds.api_key_sid)
    store.save(profile, creds.api_key_secret)
    opened: list[tuple[str, Credentials | None]] = []

    def factory(profile: str, credentials: Credentials | None, parent: QObject) -> Session:
        opened.append((profile, credentials))
        return Session(
            credentials or sandbox_credentials(sandbox),
            base_url=sandbox.base_url,
            settings=FAST_POLLING,
            parent=parent,
        )

    switcher = ProfileSwitcher(store)
    window = MainWindow(
        settings=Settings(), settings_store=None, session_factory=factory, profile_switcher=switcher
    )
    qtbot.addWidget(window)
    window.show()
    window.open_profile(SANDBOX_PROFILE, None)
    first = window.session
    combo = by_name(window, QComboBox, "Profile")
    combo.setCurrentIndex(combo.findData("work"))
    qtbot.waitUntil(lambda: window.profile == "work", timeout=10_000)
    assert window.session is not first and first is not None and not first.running
    assert opened[-1][0] == "work"
    loaded = opened[-1][1]
    assert loaded is not None and loaded.username == creds.api_key_sid
    assert window.windowTitle() == "Room Moderator — work"
    qtbot.waitUntil(lambda: window.rooms_model.rowCount() == 1, timeout=10_000)
    window.shutdown()


# -- --sandbox-config: a standalone sandbox ---------------------------------------------------


def _write_sandbox_config(path: Path, sandbox: SandboxServer) -> Path:
    """What `room-moderator-sandbox` prints first (and writes with --write-config)."""
    path.write_text(
        json.dumps({"base_url": sandbox.base_url, **sandbox.credentials.as_dict()}) + "\n",
        encoding="utf-8",
    )
    return path


def _room_names(window: MainWindow) -> set[str]:
    model = window.rooms_model
    names = set()
    for row in range(model.rowCount()):
        room = model.room_at(row)
        if room is not None:
            names.add(room.room.unique_name)
    return names


def test_sandbox_config_opens_the_app_on_that_sandbox(
    qtbot: QtBot, sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real main(), on a sandbox that runs outside it: its rooms are listed, the window is
    named after its address, and the built-in sandbox never starts."""
    sandbox.world.create_room("standalone-room")
    config = _write_sandbox_config(tmp_path / "sb.json", sandbox)
    port = sandbox.base_url.rsplit(":", 1)[1]
    seen: dict[str, object] = {}
    built_in_started: list[object] = []
    monkeypatch.setattr(SandboxRunner, "start", lambda self: built_in_started.append(self))
    qapp = QApplication.instance()
    assert isinstance(qapp, QApplication)

    def watch() -> None:
        window = top_level(MainWindow)
        if window is None or not window.isVisible():
            return
        seen["title"] = window.windowTitle()
        seen["rooms"] = _room_names(window)
        if "standalone-room" in _room_names(window):
            app.request_quit(window, qapp)  # as Ctrl+C would

    def give_up() -> None:
        seen["gave_up"] = True
        qapp.quit()

    watcher = QTimer()
    watcher.setInterval(50)
    watcher.timeout.connect(watch)
    watcher.start()
    # A fail-safe only: the watcher quits as soon as the room is listed.
    fail_safe = QTimer()
    fail_safe.setSingleShot(True)
    fail_safe.setInterval(30_000)
    fail_safe.timeout.connect(give_up)
    fail_safe.start()
    try:
        code = app.main(["--sandbox-config", str(config)])
    finally:
        watcher.stop()
        fail_safe.stop()
        QApplication.setStyleSheet(qapp, "")
    assert "gave_up" not in seen, f"the room never showed up: {seen}"
    assert code == 0
    assert seen["title"] == f"Room Moderator — Sandbox at 127.0.0.1:{port}"
    assert built_in_started == []


def test_sandbox_config_with_the_whole_stdout_uses_its_first_line(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    """`room-moderator-sandbox > FILE` also works: only the first JSON value is read."""
    config = _write_sandbox_config(tmp_path / "out.txt", sandbox)
    with config.open("a", encoding="utf-8") as handle:
        handle.write("Sandbox Twilio at somewhere. Ctrl-C stops.\n")
    args = app.parse_args(["--sandbox-config", str(config)])
    target = ExternalSandbox(args.sandbox_config)
    assert target.base_url == sandbox.base_url
    assert target.credentials().username == sandbox.credentials.api_key_sid
    assert target.credentials().secret == sandbox.credentials.api_key_secret
    assert target.label.startswith("Sandbox at 127.0.0.1:")
    assert sandbox.credentials.api_key_secret not in repr(args.sandbox_config)


SECRET = "sekrit-0123456789abcdef"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "no such file"),
        ("", "not JSON"),
        (f'{{"api_key_secret": "{SECRET}", ', "not JSON"),
        (f'["{SECRET}"]', "expected a JSON object"),
        (f'{{"api_key_secret": "{SECRET}"}}', "base_url, account_sid, api_key_sid"),
        (
            json.dumps(
                {
                    "base_url": f"http://{SECRET}@127.0.0.1:1",
                    "account_sid": "AC" + "1" * 32,
                    "api_key_sid": API_KEY_SID,
                    "api_key_secret": SECRET,
                }
            ),
            "base_url is not an http:// address",
        ),
        (
            json.dumps(
                {
                    "base_url": "127.0.0.1:8080",
                    "account_sid": "AC" + "1" * 32,
                    "api_key_sid": API_KEY_SID,
                    "api_key_secret": 42,
                }
            ),
            "api_key_secret",
        ),
        ("\udcff", "not UTF-8"),
        ("folder", "is a folder"),
    ],
    ids=[
        "missing",
        "empty",
        "truncated",
        "list",
        "keys-missing",
        "userinfo",
        "not-text",
        "binary",
        "folder",
    ],
)
def test_bad_sandbox_config_is_one_line_and_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, reason: str
) -> None:
    path = tmp_path / "sb.json"
    if content == "folder":
        path.mkdir()
    elif content == "\udcff":
        path.write_bytes(b"\xff\xfe{}")
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        app.main(["--sandbox-config", str(path)])
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"room-moderator: error: --sandbox-config {path}: ")
    assert reason in lines[0]
    assert SECRET not in captured.err
    assert "Traceback" not in captured.err


def test_unreadable_sandbox_config_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A permission problem (faked: the test may run as root, who can read anything)."""
    path = tmp_path / "sb.json"
    path.write_text("{}", encoding="utf-8")

    def refuse(self: Path, *args: object, **kwargs: object) -> str:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_text", refuse)
    with pytest.raises(SystemExit) as exit_info:
        app.parse_args(["--sandbox-config", str(path)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert (
        err
        == f"room-moderator: error: --sandbox-config {path}: cannot be read (Permission denied)\n"
    )


def test_sandbox_config_and_profile_exclude_each_other(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        app.parse_args(["--sandbox-config", str(tmp_path / "x.json"), "--profile", "work"])
    assert exit_info.value.code == 2


# -- Ctrl+C / SIGTERM, in process ----------------------------------------------------------------


def _wakeup_fd() -> int:
    previous = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(previous)
    return previous


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_quit_on_signal_calls_back_once_and_restores_the_handlers(
    qtbot: QtBot, signum: signal.Signals
) -> None:
    handlers_before = {s: signal.getsignal(s) for s in QUIT_SIGNALS}
    wakeup_before = _wakeup_fd()
    calls: list[str] = []
    holder = QObject()
    quitter = QuitOnSignal(lambda: calls.append("quit"), parent=holder)
    assert quitter.install()  # else the signal below would reach pytest itself
    try:
        assert signal.getsignal(signum) not in (handlers_before[signum], signal.SIG_DFL)
        signal.raise_signal(signum)
        qtbot.waitUntil(lambda: calls == ["quit"], timeout=10_000)
    finally:
        quitter.uninstall()
        quitter.uninstall()  # idempotent
    assert {s: signal.getsignal(s) for s in QUIT_SIGNALS} == handlers_before
    assert _wakeup_fd() == wakeup_before
    assert not quitter.installed


@pytest.mark.allow_log_warnings(r"second SIGINT: quitting at once")
def test_a_second_signal_forces_the_default_action(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first Ctrl+C asks politely; a second one while quitting gets the default action
    (raising the real default SIGINT would end the test process, so raise_signal is recorded)."""
    raised: list[int] = []
    handlers_before = {s: signal.getsignal(s) for s in QUIT_SIGNALS}
    holder = QObject()
    quitter = QuitOnSignal(lambda: None, parent=holder)
    assert quitter.install()
    try:
        handler = signal.getsignal(signal.SIGINT)
        assert callable(handler)
        monkeypatch.setattr(signal, "raise_signal", raised.append)
        real_signal = signal.signal
        calls: list[tuple[int, object]] = []

        def record_signal(signum: int, action: object) -> object:
            calls.append((signum, action))
            if signum == signal.SIGINT and action is signal.SIG_DFL:
                return None  # the real default would end the test process on the next Ctrl+C
            return real_signal(signum, action)  # type: ignore[arg-type]

        monkeypatch.setattr(signal, "signal", record_signal)
        handler(signal.SIGINT, None)
        assert raised == [] and calls == []
        handler(signal.SIGINT, None)
        assert raised == [signal.SIGINT]
        assert calls[-1] == (signal.SIGINT, signal.SIG_DFL)
        assert not quitter.installed  # the event loop is no longer relied upon
    finally:
        monkeypatch.undo()
        quitter.uninstall()
    assert {s: signal.getsignal(s) for s in QUIT_SIGNALS} == handlers_before
