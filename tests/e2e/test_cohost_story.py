"""End to end: two hosts, Ana and Bob, each with the app's real window on one standalone sandbox
(`--sandbox-config`, as two machines would be), share one live picture through Twilio Sync.

Ana dials a guest; Bob sees a phone guest with Ana's label, "dialed by Ana", and no number; Bob
mutes and removes it and Ana sees both. Both dialing the same person at once place one call.
Ana's app dies: Bob keeps the whole picture and follows her guest's call himself. Sync faults
(500s, a stale revision, a key without Sync) never lose a change: it arrives once Sync answers.
What Twilio has is read back through the REST API, as a third app would.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit, QPushButton, QToolButton
from pytestqt.qtbot import QtBot

from moderator.core.credentials import Credentials
from moderator.core.gateway import TwilioGateway
from moderator.core.guest_state import GuestStatus
from moderator.core.http import make_client
from moderator.core.profiles import ProfileStore
from moderator.core.roster import GuestKind, RosterRow
from moderator.core.settings import SettingsStore
from moderator.core.shared_guests import GUESTS_MAP, SERVICE_NAME
from moderator.core.sync_gateway import SyncGateway, SyncItem
from moderator.sandbox.clock import ManualClock
from moderator.sandbox.server import SandboxOptions, SandboxServer
from moderator.ui import app
from moderator.ui.dialogs.dial_dialog import DialDialog
from moderator.ui.main_window import MainWindow
from moderator.ui.models.roster_model import RosterColumn
from moderator.ui.sandbox_runner import ExternalSandbox, read_sandbox_config
from moderator.ui.session import Session
from tests.ui.window_harness import WAIT_MS, answer_message_box, by_name, click, wait_for_dialog

ROOM = "town-hall"
ALICE = "+14155552671"
SEEN_WITHIN_S = 2.0


@pytest.fixture
def sandbox(isolated_config_dir: Path) -> Iterator[SandboxServer]:
    server = SandboxServer(SandboxOptions(seed=12), clock=ManualClock())
    server.start()
    server.world.create_room(ROOM)
    server.world.join_app_participant(ROOM, "host")
    yield server
    server.stop()


@pytest.fixture
def config(sandbox: SandboxServer, tmp_path: Path) -> Path:
    """The file `python -m moderator.sandbox --write-config` writes, for `--sandbox-config`."""
    path = tmp_path / "sandbox.json"
    creds = sandbox.credentials
    path.write_text(
        json.dumps(
            {
                "base_url": sandbox.base_url,
                "account_sid": creds.account_sid,
                "auth_token": creds.auth_token,
                "api_key_sid": creds.api_key_sid,
                "api_key_secret": creds.api_key_secret,
            }
        )
    )
    return path


def open_host(qtbot: QtBot, config: Path, tmp_path: Path, name: str) -> MainWindow:
    """One host's window on the standalone sandbox, as `main.py --sandbox-config` opens it."""
    context = app.AppContext(
        settings_store=SettingsStore(tmp_path / f"{name}.json"),
        profiles=ProfileStore(),
        sandbox=ExternalSandbox(read_sandbox_config(config)),
    )
    context.settings.host_name = name
    context.settings.cohosting = True
    context.settings.rooms_refresh_s = 1.0
    context.settings.selected_room_refresh_s = 0.5
    window = app.build_window(context)
    qtbot.addWidget(window)
    window.show()
    app.open_initial_profile(window, app.SANDBOX_PROFILE)
    qtbot.waitUntil(lambda: window.rooms_pane.selected_sid() is not None, timeout=WAIT_MS)
    return window


def session_of(window: MainWindow) -> Session:
    session = window.session
    assert session is not None
    return session


def sync_reader(sandbox: SandboxServer) -> SyncGateway:
    """Twilio Sync as a third app reads it, over the sandbox's REST API."""
    creds = sandbox.credentials
    client = make_client(
        Credentials(creds.account_sid, creds.api_key_sid, creds.api_key_secret), sandbox.base_url
    )
    return SyncGateway(TwilioGateway(client))


def shared_items(sandbox: SandboxServer) -> dict[str, SyncItem]:
    sync = sync_reader(sandbox)
    service = sync.find_service(SERVICE_NAME)
    if service is None:
        return {}
    try:
        guests = sync.find_or_create_map(service, GUESTS_MAP)
    except Exception:
        return {}
    return {item.key: item for item in sync.list_items(service, guests)}


def row_where(window: MainWindow, test: Callable[[RosterRow], bool]) -> RosterRow | None:
    model = window.roster_model
    for index in range(model.rowCount()):
        row = model.row_at(index)
        if row is not None and test(row):
            return row
    return None


def select_row(window: MainWindow, key: str) -> None:
    assert window.roster_pane.select_key(key)


def advance_until(
    qtbot: QtBot, sandbox: SandboxServer, condition: Callable[[], bool], step: float = 0.5
) -> None:
    clock = sandbox.clock
    assert isinstance(clock, ManualClock)

    def moved() -> bool:
        if condition():
            return True
        clock.advance(step)
        return condition()

    qtbot.waitUntil(moved, timeout=WAIT_MS)


def dial_in_window(qtbot: QtBot, window: MainWindow, number: str, label: str) -> str:
    """Dial through the real dialog; returns the new row's key."""
    click(qtbot, by_name(window, QToolButton, "Dial phone guest"))
    dialog = wait_for_dialog(qtbot, DialDialog)
    caller_ids = by_name(dialog, QComboBox, "Caller ID")
    qtbot.waitUntil(lambda: caller_ids.count() >= 1, timeout=WAIT_MS)
    qtbot.keyClicks(by_name(dialog, QLineEdit, "Phone number"), number)
    qtbot.keyClicks(by_name(dialog, QLineEdit, "Label"), label)
    dial_button = by_name(dialog, QPushButton, "Dial")
    qtbot.waitUntil(dial_button.isEnabled, timeout=WAIT_MS)
    with qtbot.waitSignal(dialog.dialed) as dialed:
        click(qtbot, dial_button)
    return str(dialed.args[0])


def shared_row(window: MainWindow, by: str = "Ana") -> RosterRow | None:
    return row_where(window, lambda r: r.shared_by == by)


def bob_sees_connected(bob: MainWindow) -> bool:
    row = shared_row(bob)
    return row is not None and row.status_text.startswith("Connected · dialed by Ana")


def status_of(window: MainWindow, key: str) -> GuestStatus | None:
    row = window.roster_model.object_for(key)
    return row.status if row is not None else None


def labelled(sandbox: SandboxServer, label: str) -> bool:
    return any(item.data.get("label") == label for item in shared_items(sandbox).values())


def phone_count(window: MainWindow) -> int | None:
    room = window.rooms_model.room_at(0)
    return room.phone_count if room is not None else None


def call_status(sandbox: SandboxServer, call_sid: str) -> str:
    return str(sandbox.world.find_call(call_sid).status)


def status_line(window: MainWindow) -> str:
    return window.cohost_status.plain_text


def test_two_hosts_share_one_picture(
    qtbot: QtBot, sandbox: SandboxServer, config: Path, tmp_path: Path
) -> None:
    ana = open_host(qtbot, config, tmp_path, "Ana")
    bob = open_host(qtbot, config, tmp_path, "Bob")
    qtbot.waitUntil(lambda: status_line(ana) == "Also moderating: Bob", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: status_line(bob) == "Also moderating: Ana", timeout=WAIT_MS)

    # Ana dials Alice; once Ana's app has written the guest to Sync, Bob sees it within 2 s.
    key = dial_in_window(qtbot, ana, ALICE, "Alice")
    qtbot.waitUntil(lambda: labelled(sandbox, "Alice"), timeout=WAIT_MS)
    written_at = time.monotonic()
    qtbot.waitUntil(lambda: shared_row(bob) is not None, timeout=WAIT_MS)
    assert time.monotonic() - written_at <= SEEN_WITHIN_S
    advance_until(qtbot, sandbox, lambda: status_of(ana, key) is GuestStatus.CONNECTED)
    qtbot.waitUntil(lambda: bob_sees_connected(bob), timeout=WAIT_MS)
    shared = shared_row(bob)
    assert shared is not None
    assert shared.kind is GuestKind.PHONE and shared.name == "Alice · ••• 2671"
    assert shared.full_number is None  # Bob's machine never learns Alice's number
    assert all("4155552671" not in json.dumps(i.data) for i in shared_items(sandbox).values())
    # Alice counts as a phone guest in Bob's rooms table too.
    qtbot.waitUntil(lambda: phone_count(bob) == 1, timeout=WAIT_MS)

    # Bob mutes Alice for everyone: Ana sees her muted, by Bob.
    select_row(bob, shared.key)
    mute = by_name(bob, QToolButton, "Mute for everyone")
    qtbot.waitUntil(mute.isEnabled, timeout=WAIT_MS)
    click(qtbot, mute)

    def ana_sees_mute() -> bool:
        model = ana.roster_model
        for index in range(model.rowCount()):
            row = model.row_at(index)
            if row is not None and row.key == key:
                cell = model.index(index, RosterColumn.MUTED)
                spoken = str(cell.data(Qt.ItemDataRole.AccessibleTextRole) or "")
                return cell.data() == "Muted" and "by Bob" in spoken
        return False

    qtbot.waitUntil(ana_sees_mute, timeout=WAIT_MS)

    # Bob removes Alice: her call is hung up, and Ana's row says so.
    select_row(bob, shared.key)
    remove = by_name(bob, QToolButton, "Remove participant")
    qtbot.waitUntil(remove.isEnabled, timeout=WAIT_MS)
    click(qtbot, remove)
    answer_message_box(qtbot, "Remove")
    call_sid = shared.call_sid
    assert call_sid is not None
    advance_until(qtbot, sandbox, lambda: call_status(sandbox, call_sid) == "completed")

    def ana_sees_removal() -> bool:
        row = ana.roster_model.object_for(key)
        return row is not None and row.status is GuestStatus.LEFT and "by Bob" in row.status_text

    advance_until(qtbot, sandbox, ana_sees_removal)
