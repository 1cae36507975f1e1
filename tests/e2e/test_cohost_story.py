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
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit, QPushButton, QToolButton
from pytestqt.qtbot import QtBot

from moderator.core.credentials import Credentials
from moderator.core.dialer import DialRequest
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

    # Ana dials Alice; Bob sees her (how fast is bench's `cohost_seen_s`, not a timed test).
    key = dial_in_window(qtbot, ana, ALICE, "Alice")
    qtbot.waitUntil(lambda: labelled(sandbox, "Alice"), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: shared_row(bob) is not None, timeout=WAIT_MS)
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
    text = answer_message_box(qtbot, "Hang up & remove")
    assert "Alice · ••• 2671" in text
    call_sid = shared.call_sid
    assert call_sid is not None
    advance_until(qtbot, sandbox, lambda: call_status(sandbox, call_sid) == "completed")

    def ana_sees_removal() -> bool:
        row = ana.roster_model.object_for(key)
        return row is not None and row.status is GuestStatus.LEFT and "by Bob" in row.status_text

    advance_until(qtbot, sandbox, ana_sees_removal)


def request_for(window: MainWindow, number: str, label: str, identity: str) -> DialRequest:
    session = session_of(window)
    room_sid = window.rooms_pane.selected_sid()
    assert room_sid is not None
    return DialRequest(
        room_sid=room_sid,
        room_name=ROOM,
        number=number,
        label=label,
        identity=identity,
        caller_id=session.caller_ids[0].phone_number,
    )


def open_both(qtbot: QtBot, config: Path, tmp_path: Path) -> tuple[MainWindow, MainWindow]:
    ana = open_host(qtbot, config, tmp_path, "Ana")
    bob = open_host(qtbot, config, tmp_path, "Bob")
    for window, other in ((ana, "Bob"), (bob, "Ana")):
        qtbot.waitUntil(
            lambda w=window, o=other: status_line(w) == f"Also moderating: {o}", timeout=WAIT_MS
        )
        qtbot.waitUntil(lambda w=window: bool(session_of(w).caller_ids), timeout=WAIT_MS)
    return ana, bob


def calls_to(sandbox: SandboxServer, number: str) -> list[str]:
    return [call.sid for call in sandbox.world.calls() if call.to == number]


def test_both_hosts_dialing_one_person_at_once_place_one_call(
    qtbot: QtBot, sandbox: SandboxServer, config: Path, tmp_path: Path
) -> None:
    ana, bob = open_both(qtbot, config, tmp_path)
    carl = "+14155550177"
    # Neither app has seen the other's dial when both press Dial in the same instant.
    key_a = session_of(ana).dial(request_for(ana, carl, "Carl", "phone-ana-carl"))
    key_b = session_of(bob).dial(request_for(bob, carl, "Carl", "phone-bob-carl"))
    assert key_a and key_b

    def one_placed_one_refused() -> bool:
        rows = [ana.roster_model.object_for(key_a), bob.roster_model.object_for(key_b)]
        texts = [row.status_text for row in rows if row is not None]
        refused = [t for t in texts if "is already calling ••• 0177 into town-hall" in t]
        return len(texts) == 2 and len(refused) == 1

    advance_until(qtbot, sandbox, one_placed_one_refused)
    assert len(calls_to(sandbox, carl)) == 1
    refused = next(
        row
        for row in (ana.roster_model.object_for(key_a), bob.roster_model.object_for(key_b))
        if row is not None and "already calling" in row.status_text
    )
    assert refused.status_text.startswith("Not placed: ")
    # The pre-flight of a third try names the host who is calling.
    winner = "Ana" if "Ana is already" in refused.status_text else "Bob"
    loser = bob if winner == "Ana" else ana
    desk = session_of(loser).cohosts
    assert desk is not None
    room_sid = request_for(loser, carl, "", "x").room_sid
    qtbot.waitUntil(lambda: desk.already_calling(room_sid, carl) is not None, timeout=WAIT_MS)
    check = desk.preflight_check(request_for(loser, carl, "Carl", "phone-again"), "US")
    assert check is not None and not check.passed
    assert check.reason == f"{winner} is already calling ••• 0177 into town-hall"


def test_when_a_hosts_app_dies_the_other_keeps_the_whole_picture(
    qtbot: QtBot, sandbox: SandboxServer, config: Path, tmp_path: Path
) -> None:
    ana, bob = open_both(qtbot, config, tmp_path)
    dora = "+14155550188"
    key = dial_in_window(qtbot, ana, dora, "Dora")
    advance_until(qtbot, sandbox, lambda: status_of(ana, key) is GuestStatus.CONNECTED)
    qtbot.waitUntil(lambda: bob_sees_connected(bob), timeout=WAIT_MS)

    # Ana's app dies: no goodbye; its heartbeat expires on Twilio's clock.
    session_of(ana).shutdown_pools(0)
    advance_until(qtbot, sandbox, lambda: "Ana" not in status_line(bob), step=5.0)
    assert status_line(bob) == "Co-host sharing on; no other host right now"
    row = shared_row(bob)
    assert row is not None and row.name == "Dora · ••• 0188"
    assert row.status_text.startswith("Connected · dialed by Ana")

    # Dora hangs up: Bob's app, not Ana's, follows her call and writes how it ended.
    call_sid = row.call_sid
    assert call_sid is not None
    sandbox.world.caller_hangs_up(call_sid)

    def followed() -> bool:
        gone = shared_row(bob)
        return gone is not None and gone.status is not None and gone.status.is_final

    advance_until(qtbot, sandbox, followed)
    ended = shared_row(bob)
    assert ended is not None and "followed by Bob" in ended.status_text
    assert "dialed by Ana" in ended.status_text


def test_sync_faults_never_lose_a_change(
    qtbot: QtBot, sandbox: SandboxServer, config: Path, tmp_path: Path
) -> None:
    ana, bob = open_both(qtbot, config, tmp_path)
    controls = sandbox.controls
    items = "/sync/v1/Services/*/Maps/*/Items*"

    # Sync answers 500 to every item write: Ana dials anyway and says sharing is paused.
    controls.fail_route("POST", items, 500, times=None)
    key = dial_in_window(qtbot, ana, "+14155550199", "Eve")
    qtbot.waitUntil(lambda: status_line(ana).startswith("Co-host sharing paused"), timeout=WAIT_MS)
    # The outage may show first on a heartbeat; the line then counts the guest's write too.
    qtbot.waitUntil(lambda: "(1 change kept)" in status_line(ana), timeout=WAIT_MS)
    advance_until(qtbot, sandbox, lambda: status_of(ana, key) is GuestStatus.CONNECTED)
    assert not labelled(sandbox, "Eve")

    # The credentials are revoked meanwhile, then the 500s stop: still nothing is lost.
    controls.revoke_credentials()
    controls.clear_route_failure("POST", items)
    qtbot.waitUntil(lambda: status_line(ana).startswith("Co-host sharing off"), timeout=30_000)
    controls.restore_credentials()
    # Two stale revisions on the way: the write reads the item again and merges again.
    controls.fail_route("POST", "/sync/v1/Services/*/Maps/*/Items/*", 412, times=2)
    # Both hosts press Refresh (the key was theirs too), which also tries Sync again.
    session_of(ana).refresh_now()
    session_of(bob).refresh_now()
    desk = session_of(ana).cohosts
    assert desk is not None
    qtbot.waitUntil(lambda: labelled(sandbox, "Eve"), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: status_line(ana) == "Also moderating: Bob", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: shared_row(bob) is not None, timeout=WAIT_MS)
    eve = next(i for i in shared_items(sandbox).values() if i.data.get("label") == "Eve")
    assert eve.data["status"] == "connected" and eve.data["by"] == "Ana"

    # A key that may not use Sync: sharing off, the app goes on alone, and catches up later.
    controls.deny_product("sync")
    qtbot.waitUntil(lambda: "may not use Twilio Sync" in status_line(ana), timeout=WAIT_MS)
    call_sid = eve.data["call_sid"]
    sandbox.world.caller_hangs_up(call_sid)
    advance_until(qtbot, sandbox, lambda: status_of(ana, key) is GuestStatus.LEFT)
    controls.allow_product("sync")
    desk.retry_now()

    def ended_in_sync() -> bool:
        item = shared_items(sandbox).get(eve.key)
        return item is not None and item.data.get("status") == "left"

    qtbot.waitUntil(ended_in_sync, timeout=WAIT_MS)
