"""App plumbing: the in-process sandbox runner, the connection indicator, the command line."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import keyring.errors
import pytest
import requests
from PySide6.QtCore import QObject
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QComboBox
from pytestqt.qtbot import QtBot

from moderator import __version__
from moderator.core.credentials import Credentials
from moderator.core.profiles import SANDBOX_PROFILE, Profile, ProfileStore
from moderator.core.settings import Settings, SettingsStore
from moderator.sandbox.server import SandboxServer
from moderator.ui import app, resources
from moderator.ui.connection import ConnectionKind, ConnectionState
from moderator.ui.connection_indicator import ConnectionIndicator
from moderator.ui.dialogs.keyring_problem_dialog import KeyringProblemDialog
from moderator.ui.main_window import MainWindow
from moderator.ui.profile_switcher import ProfileSwitcher
from moderator.ui.sandbox_runner import SandboxRunner
from moderator.ui.session import Session
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
