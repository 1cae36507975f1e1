"""Network and Twilio faults, through the real Session against the sandbox over HTTP.

For each fault: the session keeps running, the GUI thread keeps turning (a 10 ms heartbeat is
never held up for long), the connection state says what is going on, the session recovers by
itself once the fault ends, and the journal holds exactly one row per dial click.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from moderator.core.connection import ConnectionKind
from moderator.core.guest_state import GuestStatus
from moderator.sandbox.server import SandboxServer
from tests.reliability.conftest import SessionFactory
from tests.reliability.heartbeat import Heartbeat
from tests.reliability.recorder import Recorder
from tests.reliability.support import (
    CALLS_PATH,
    assert_one_call_adopted,
    check_journal,
    dial,
    guest_reason,
    open_room,
    state_text,
    status_of,
    wait_for_state,
)
from tests.ui.session_fixtures import requests_in_flight
from tests.ui.window_harness import WAIT_MS, activate, by_name, make_window

SECTION = "Faults"

TROUBLE = (ConnectionKind.RETRYING, ConnectionKind.OFFLINE)


@pytest.fixture(autouse=True)
def quick_reconcile(monkeypatch: pytest.MonkeyPatch) -> None:
    """Look for a lost create-call after 0.2 s … 0.8 s instead of 1 s … 12 s (same logic)."""
    monkeypatch.setattr("moderator.core.dialer.RECONCILE_DELAYS_S", (0.2, 0.4, 0.6, 0.8))


def test_burst_of_500s(
    qtbot: QtBot,
    sandbox: SandboxServer,
    sessions: SessionFactory,
    journal_path: Path,
    heartbeat: Heartbeat,
    reliability: Recorder,
) -> None:
    h = sessions(sandbox, journal_path)
    room = open_room(qtbot, h)
    wait_for_state(qtbot, h, ConnectionKind.ONLINE)

    sandbox.controls.fault_rate = 1.0
    during = wait_for_state(qtbot, h, *TROUBLE)
    lost = dial(h, room)  # the create-call gets a 500 too: did Twilio place it or not?
    assert h.row(lost) is not None, "the row appears at once, whatever the network does"
    qtbot.waitUntil(lambda: status_of(h, lost) is GuestStatus.UNKNOWN)
    unknown_reason = guest_reason(h, lost)
    assert h.session.running

    sandbox.controls.fault_rate = 0.0
    wait_for_state(qtbot, h, ConnectionKind.ONLINE)
    # The 500 came before the call was made, so reconciliation finds nothing: "not placed".
    qtbot.waitUntil(lambda: status_of(h, lost) is GuestStatus.REJECTED, timeout=10_000)
    assert sandbox.request_log.count("POST", CALLS_PATH) == 1, "a 500 create was re-sent"
    assert sandbox.world.calls() == []

    placed = dial(h, room, identity="phone-bob", number="+14155552672")
    qtbot.waitUntil(lambda: status_of(h, placed) is GuestStatus.QUEUED)
    journal = check_journal(journal_path, sandbox, clicks=2)
    assert heartbeat.network_on_gui_thread == []
    assert during.message.startswith("Twilio had a temporary problem")
    reliability.record(
        case="Burst of HTTP 500s",
        produced_by="sandbox fault_rate = 1.0 until the indicator changed and a dial was "
        "made, then 0",
        outcome=f"indicator {state_text(during)}; dial during the burst: row at once, then "
        f"“{unknown_reason}”, then after recovery “{guest_reason(h, lost)}” "
        f"(1 POST, never re-sent, 0 calls); back to “Online” by itself; next dial placed; "
        f"{journal.summary()}; {heartbeat.summary()}",
    )


class LongerRetryAfter:
    """WSGI middleware: the sandbox's 429s ask for `seconds` (it always says 1), so honouring
    Retry-After is visible as a pause longer than the app's own first backoff (about 1 s)."""

    def __init__(self, app: Any, seconds: int) -> None:
        self.app = app
        self.seconds = seconds

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        def patched(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if status.startswith("429"):
                headers = [
                    (name, str(self.seconds) if name.lower() == "retry-after" else value)
                    for name, value in headers
                ]
            return start_response(status, headers, exc_info)

        return self.app(environ, patched)


def test_429_with_retry_after(
    qtbot: QtBot,
    sandbox: SandboxServer,
    sessions: SessionFactory,
    journal_path: Path,
    heartbeat: Heartbeat,
    reliability: Recorder,
) -> None:
    retry_after = 3
    sandbox.app = LongerRetryAfter(sandbox.app, retry_after)  # type: ignore[assignment]
    sandbox.restart()
    h = sessions(sandbox, journal_path)
    room = open_room(qtbot, h)
    wait_for_state(qtbot, h, ConnectionKind.ONLINE)

    # Twilio limits the account (another tool on it used up the allowance): every read and the
    # create-call are refused with 429 + Retry-After. Set per route rather than as a requests-
    # per-second limit, so whether the dial is refused never depends on how fast this machine is.
    sandbox.controls.fail_route("GET", "*", 429, times=None)
    sandbox.controls.fail_route("POST", "/Calls.json", 429, times=1)
    refused = dial(h, room)
    during = wait_for_state(qtbot, h, *TROUBLE)
    qtbot.waitUntil(lambda: status_of(h, refused) is not GuestStatus.DIALING)
    sandbox.controls.clear_route_failure("GET", "*")  # the limit is gone; the app must wait it out
    assert during.message.startswith("Twilio is limiting this account")
    assert during.retry_in_s is not None and during.retry_in_s >= retry_after
    # Twilio documents a 429 as not processed: the dial is over, never re-sent.
    assert status_of(h, refused) is GuestStatus.REJECTED
    assert "limiting" in guest_reason(h, refused)

    wait_for_state(qtbot, h, ConnectionKind.ONLINE)
    log = sandbox.request_log.entries()
    last_429 = max(r.wall_time for r in log if r.status == 429)
    next_request = min(r.wall_time for r in log if r.wall_time > last_429)
    pause = next_request - last_429
    assert pause >= retry_after - 0.5, f"asked to wait {retry_after} s, came back in {pause:.1f}"
    again = dial(h, room, identity="phone-bob", number="+14155552672")
    qtbot.waitUntil(lambda: status_of(h, again) is GuestStatus.QUEUED)
    assert sandbox.request_log.count("POST", CALLS_PATH) == 2
    journal = check_journal(journal_path, sandbox, clicks=2)
    assert heartbeat.network_on_gui_thread == []
    limited = sum(1 for r in log if r.status == 429)
    reliability.record(
        case="429 Too Many Requests with Retry-After",
        produced_by=f"every read and the create-call answered 429 carrying Retry-After: "
        f"{retry_after} (the account's allowance used up), the limit lifted at once",
        outcome=f"indicator {state_text(during)}; {limited} request(s) answered 429, then no "
        f"request for {pause:.1f} s (Retry-After honoured); the create-call refused with 429 "
        f"is not re-sent: “{guest_reason(h, refused)}”, Redial offered; back to “Online” by "
        f"itself; next dial placed; {journal.summary()}; {heartbeat.summary()}",
    )


def test_latency_of_5_seconds(
    qtbot: QtBot,
    sandbox: SandboxServer,
    sessions: SessionFactory,
    journal_path: Path,
    heartbeat: Heartbeat,
    reliability: Recorder,
) -> None:
    h = sessions(sandbox, journal_path, timeout_s=10.0)
    room = open_room(qtbot, h)
    wait_for_state(qtbot, h, ConnectionKind.ONLINE)

    sandbox.controls.latency_ms = 5000
    dial_id = dial(h, room)
    row = h.row(dial_id)
    assert row is not None and row.status is GuestStatus.DIALING
    shown = row.status_text
    kinds_seen: set[ConnectionKind] = set()
    h.session.connectionChanged.connect(lambda state: kinds_seen.add(state.kind))
    qtbot.waitUntil(lambda: status_of(h, dial_id) is GuestStatus.QUEUED, timeout=12_000)
    sandbox.controls.latency_ms = 0
    assert h.state.kind is ConnectionKind.ONLINE
    assert not kinds_seen & set(TROUBLE), "slow but working is not a fault"
    journal = check_journal(journal_path, sandbox, clicks=1)
    assert heartbeat.network_on_gui_thread == []
    reliability.record(
        case="Latency of 5 s on every request",
        produced_by="sandbox latency_ms = 5000 (client timeout 10 s), dial during it",
        outcome=f"row shown at once (“{shown}”), “Queued” once Twilio answered 5 s later; "
        f"indicator stayed “Online” (slow is not broken); 1 POST; {journal.summary()}; "
        f"{heartbeat.summary()}",
    )


def test_request_timeouts(
    qtbot: QtBot,
    sandbox: SandboxServer,
    sessions: SessionFactory,
    journal_path: Path,
    heartbeat: Heartbeat,
    reliability: Recorder,
) -> None:
    h = sessions(sandbox, journal_path, timeout_s=0.3)
    room = open_room(qtbot, h)
    wait_for_state(qtbot, h, ConnectionKind.ONLINE)

    sandbox.controls.latency_ms = 1000  # every answer comes after the client gave up
    during = wait_for_state(qtbot, h, *TROUBLE)
    assert during.message.startswith("Twilio did not answer in time")
    dial_id = dial(h, room)
    qtbot.waitUntil(lambda: status_of(h, dial_id) is GuestStatus.UNKNOWN)
    unknown_reason = guest_reason(h, dial_id)

    sandbox.controls.latency_ms = 0
    wait_for_state(qtbot, h, ConnectionKind.ONLINE)
    # The timed-out create did reach Twilio: reconciliation finds that call and adopts it.
    qtbot.waitUntil(lambda: status_of(h, dial_id) is GuestStatus.QUEUED, timeout=10_000)
    assert_one_call_adopted(h, dial_id)
    journal = check_journal(journal_path, sandbox, clicks=1)
    assert heartbeat.network_on_gui_thread == []
    reliability.record(
        case="Request timeouts",
        produced_by="client timeout 0.3 s, sandbox latency 1 s on every request; dial during "
        "it; then latency 0",
        outcome=f"indicator {state_text(during)}; the timed-out dial showed “{unknown_reason}”,"
        f" then adopted the call Twilio had placed (1 POST, 1 call, same SID); back to "
        f"“Online” by itself; {journal.summary()}; {heartbeat.summary()}",
    )


def test_connection_refused_then_back_on_the_same_port(
    qtbot: QtBot,
    sandbox: SandboxServer,
    sessions: SessionFactory,
    journal_path: Path,
    heartbeat: Heartbeat,
    reliability: Recorder,
) -> None:
    h = sessions(sandbox, journal_path)
    room = open_room(qtbot, h)
    wait_for_state(qtbot, h, ConnectionKind.ONLINE)
    port = sandbox.port

    with heartbeat.paused():
        sandbox.stop()
    first = wait_for_state(qtbot, h, *TROUBLE)
    refused = dial(h, room)
    qtbot.waitUntil(lambda: status_of(h, refused) is GuestStatus.REJECTED)
    offline = wait_for_state(qtbot, h, ConnectionKind.OFFLINE, timeout=20_000)
    assert offline.message.startswith("Could not reach Twilio")
    assert h.session.running

    with heartbeat.paused():
        sandbox.start()
    assert sandbox.port == port
    wait_for_state(qtbot, h, ConnectionKind.ONLINE, timeout=20_000)
    placed = dial(h, room, identity="phone-bob", number="+14155552672")
    qtbot.waitUntil(lambda: status_of(h, placed) is GuestStatus.QUEUED)
    assert sandbox.request_log.count("POST", CALLS_PATH) == 1  # the refused one never arrived
    journal = check_journal(journal_path, sandbox, clicks=2)
    assert heartbeat.network_on_gui_thread == []
    reliability.record(
        case="Connection refused (sandbox stopped, then started again on the same port)",
        produced_by="SandboxServer.stop(), dial, wait, SandboxServer.start()",
        outcome=f"indicator {state_text(first)}, then {state_text(offline)}; a dial while "
        f"down: “{guest_reason(h, refused)}” (the request never left, so it is safe to say "
        f"so; Redial offered); back to “Online” by itself on port {port}; next dial placed; "
        f"{journal.summary()}; {heartbeat.summary()}",
    )


def test_malformed_json_bodies(
    qtbot: QtBot,
    sandbox: SandboxServer,
    sessions: SessionFactory,
    journal_path: Path,
    heartbeat: Heartbeat,
    reliability: Recorder,
) -> None:
    h = sessions(sandbox, journal_path)
    room = open_room(qtbot, h)
    wait_for_state(qtbot, h, ConnectionKind.ONLINE)

    sandbox.controls.malformed_rate = 1.0
    during = wait_for_state(qtbot, h, *TROUBLE)
    assert during.message.startswith("Twilio sent a response the app could not read")
    dial_id = dial(h, room)  # Twilio places the call but its answer is garbled
    qtbot.waitUntil(lambda: status_of(h, dial_id) is GuestStatus.UNKNOWN)
    unknown_reason = guest_reason(h, dial_id)

    sandbox.controls.malformed_rate = 0.0
    wait_for_state(qtbot, h, ConnectionKind.ONLINE)
    qtbot.waitUntil(lambda: status_of(h, dial_id) is GuestStatus.QUEUED, timeout=10_000)
    assert_one_call_adopted(h, dial_id)
    journal = check_journal(journal_path, sandbox, clicks=1)
    assert heartbeat.network_on_gui_thread == []
    reliability.record(
        case="Malformed JSON bodies",
        produced_by="sandbox malformed_rate = 1.0 (every 2xx body cut in half), dial during "
        "it; then 0",
        outcome=f"indicator {state_text(during)}; the dial (placed, answer unreadable) showed "
        f"“{unknown_reason}”, then adopted the real call (1 POST, 1 call, same SID); back to "
        f"“Online” by itself; {journal.summary()}; {heartbeat.summary()}",
    )


def test_credentials_revoked_mid_session(
    qtbot: QtBot,
    sandbox: SandboxServer,
    sessions: SessionFactory,
    journal_path: Path,
    heartbeat: Heartbeat,
    reliability: Recorder,
) -> None:
    h = sessions(sandbox, journal_path)
    room = open_room(qtbot, h)
    wait_for_state(qtbot, h, ConnectionKind.ONLINE)

    sandbox.controls.revoke_credentials()
    rejected = wait_for_state(qtbot, h, ConnectionKind.AUTH_REJECTED)
    assert rejected.message.startswith("Twilio rejected the credentials")
    qtbot.waitUntil(lambda: any(context == "Refreshing" for _, context in h.errors))
    # Requests already under way come back (on a loaded core, one may arrive much later).
    qtbot.waitUntil(lambda: requests_in_flight(h.session) == 0, timeout=10_000)
    before = len(sandbox.request_log)
    qtbot.wait(1000)  # FAST polls several times a second: any poll would show up here
    assert len(sandbox.request_log) == before, "polling must stop on rejected credentials"
    refused = dial(h, room)
    qtbot.waitUntil(lambda: status_of(h, refused) is GuestStatus.REJECTED)
    assert h.state.kind is ConnectionKind.AUTH_REJECTED

    sandbox.controls.restore_credentials()
    qtbot.wait(500)
    assert h.state.kind is ConnectionKind.AUTH_REJECTED  # retrying cannot help: the host acts
    h.session.refresh_now()
    wait_for_state(qtbot, h, ConnectionKind.ONLINE)
    journal = check_journal(journal_path, sandbox, clicks=1)
    assert heartbeat.network_on_gui_thread == []
    reliability.record(
        case="Credentials revoked mid-session (20003)",
        produced_by="sandbox revoke_credentials() while polling; a dial; then "
        "restore_credentials() and Refresh",
        outcome=f"indicator {state_text(rejected)}; error reported once; polling stopped (0 "
        f"requests in the next second); dial refused: “{guest_reason(h, refused)}”; "
        "no automatic retries (they cannot help); Refresh after the fix → “Online”; "
        f"{journal.summary()}; {heartbeat.summary()}",
    )


def test_room_completed_while_a_phone_guest_is_ringing(
    qtbot: QtBot,
    sandbox: SandboxServer,
    sessions: SessionFactory,
    journal_path: Path,
    heartbeat: Heartbeat,
    reliability: Recorder,
) -> None:
    h = sessions(sandbox, journal_path)
    room = open_room(qtbot, h)
    dial_id = dial(h, room)
    qtbot.waitUntil(lambda: status_of(h, dial_id) is GuestStatus.QUEUED)
    sandbox.clock.advance(1.5)
    qtbot.waitUntil(lambda: status_of(h, dial_id) is GuestStatus.RINGING)

    sandbox.world.complete_room(room)
    qtbot.waitUntil(lambda: "standup" not in h.room_names())
    # The app sees the room gone while the phone still rings and cancels the call.
    qtbot.waitUntil(lambda: status_of(h, dial_id) is GuestStatus.CANCELED, timeout=10_000)
    call = sandbox.world.calls()[0]
    assert call.status == "canceled"
    assert sandbox.world.participants(room) == []
    events = [e.text for e in h.events if e.dial_id == dial_id and e.kind == "call-ended"]
    assert events and "room ended" in events[0]
    journal = check_journal(journal_path, sandbox, clicks=1)
    assert journal.rows[0].status is GuestStatus.CANCELED
    assert heartbeat.network_on_gui_thread == []
    reliability.record(
        case="Room completed while a phone guest is ringing into it",
        produced_by="dial, ring, then the room is completed in the sandbox (outside the app)",
        outcome=f"room left the list; the app canceled the still-ringing call (Twilio: "
        f"{call.status}); guest “{GuestStatus.CANCELED.value}”: “{guest_reason(h, dial_id)}”; "
        f"event log: “{events[0]}”; {journal.summary()}; {heartbeat.summary()}",
    )


def test_main_window_through_an_outage(
    qtbot: QtBot,
    sandbox: SandboxServer,
    tmp_path: Path,
    heartbeat: Heartbeat,
    reliability: Recorder,
) -> None:
    """The real window: its indicator follows the outage, F5 during it does not freeze it."""
    sandbox.world.create_room("standup")
    window = make_window(qtbot, sandbox, tmp_path)
    pill = by_name(window, QLabel, "Connection status")
    qtbot.waitUntil(lambda: pill.text() == "Online", timeout=WAIT_MS)
    refreshed = by_name(window, QLabel, "Last refresh").text()

    with heartbeat.paused():
        sandbox.stop()
    qtbot.waitUntil(lambda: pill.text().startswith(("Problem", "Offline")), timeout=WAIT_MS)
    problem, reason = pill.text(), pill.toolTip()
    texts = {problem}
    activate(qtbot, window)  # F5 is a window shortcut: it fires only in the active window
    qtbot.keyClick(window, Qt.Key.Key_F5)  # the host presses Refresh during the outage
    qtbot.waitUntil(lambda: pill.text() != problem, timeout=WAIT_MS)
    texts.add(pill.text())
    assert window.rooms_model.rowCount() == 1, "what was known stays on screen"

    with heartbeat.paused():
        sandbox.start()
    qtbot.waitUntil(lambda: pill.text() == "Online", timeout=20_000)
    assert heartbeat.network_on_gui_thread == []
    reliability.record(
        case="Connection refused, seen in the main window",
        produced_by="main window on the sandbox; SandboxServer.stop(); F5 pressed; "
        "SandboxServer.start()",
        outcome=f"indicator “Online” ({refreshed}) → “{problem}” (tooltip “{reason}”); during "
        f"F5: {', '.join(f'“{t}”' for t in sorted(texts))}; the rooms list stayed on "
        f"screen and the window never froze; back to “Online” by itself; "
        f"{heartbeat.summary()}",
    )
