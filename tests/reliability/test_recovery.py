"""Nothing lost across a crash, never two calls for one click.

The app is killed with SIGKILL (a separate process running a real Session on a real journal)
right after its create-call reached the sandbox, or while the sandbox holds that request; a
fresh Session on the same journal must take the call back so the host can still hang it up. A
create-call that times out in-process is reconciled by looking the call up, never re-sent.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from moderator.core.guest_state import GuestStatus
from moderator.core.journal import Journal
from moderator.core.paths import CONFIG_DIR_ENV, DATA_DIR_ENV
from moderator.sandbox.server import SandboxServer
from tests.reliability.conftest import SessionFactory
from tests.reliability.heartbeat import Heartbeat
from tests.reliability.recorder import Recorder
from tests.reliability.support import (
    CALLER_ID,
    CALLS_PATH,
    assert_one_call_adopted,
    check_journal,
    dial,
    journal_bytes,
    open_room,
    status_of,
)
from tests.ui.session_fixtures import Harness

SECTION = "Crash recovery and reconciliation"

DRIVER = Path(__file__).with_name("dial_driver.py")
NUMBER = "+14155552671"
BUSY_NUMBER = "+14155551111"  # the sandbox's callee for numbers ending 1111 is busy


def wait_for(condition: Callable[[], bool], timeout: float = 20.0, what: str = "") -> None:
    """Poll a condition from the test thread (no Qt event loop needed: the app is elsewhere)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.005)


class HoldCreateCall:
    """WSGI middleware: a create-call waits at the door until the test lets it in, so the app
    can be killed while its request is provably in flight."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.arrived = threading.Event()
        self.release = threading.Event()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"].endswith(CALLS_PATH):
            self.arrived.set()
            self.release.wait(30)
        return self.app(environ, start_response)


@pytest.fixture
def app_process(tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Start dial_driver.py against a sandbox; any process left running is killed at teardown."""
    started: list[subprocess.Popen[str]] = []

    def start(sandbox: SandboxServer, room_sid: str, number: str = NUMBER) -> subprocess.Popen[str]:
        env = dict(os.environ)
        env.update(
            {
                DATA_DIR_ENV: str(tmp_path / "data"),
                CONFIG_DIR_ENV: str(tmp_path / "config"),
                "QT_QPA_PLATFORM": "offscreen",
            }
        )
        process = subprocess.Popen(
            [sys.executable, str(DRIVER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            text=True,
        )
        started.append(process)
        creds = sandbox.credentials
        assert process.stdin is not None
        process.stdin.write(
            json.dumps(
                {
                    "base_url": sandbox.base_url,
                    "account_sid": creds.account_sid,
                    "username": creds.api_key_sid,
                    "secret": creds.api_key_secret,
                    "room_sid": room_sid,
                    "room_name": "standup",
                    "number": number,
                    "label": "Alice",
                    "identity": "phone-alice",
                    "caller_id": CALLER_ID,
                }
            )
            + "\n"
        )
        process.stdin.close()
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def kill(process: subprocess.Popen[str]) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL


def take_back_and_hang_up(qtbot: QtBot, h: Harness, room: str, dial_id: str) -> str:
    """The restarted session adopts the dial, shows it in the roster, and can end its call."""
    h.session.select_room(room)
    sandbox = h.sandbox
    call_sid = sandbox.world.calls()[0].sid
    qtbot.waitUntil(
        lambda: (g := h.session.book.get(dial_id)) is not None and g.call_sid == call_sid,
        timeout=15_000,
    )
    qtbot.waitUntil(lambda: h.row(dial_id) is not None, timeout=10_000)
    row = h.row(dial_id)
    assert row is not None and row.can_remove and row.call_sid == call_sid
    shown = f"{row.name}: {row.status_text}"
    h.session.remove(row)
    qtbot.waitUntil(lambda: status_of(h, dial_id) is GuestStatus.CANCELED, timeout=10_000)
    assert sandbox.world.call(call_sid).status == "canceled"
    return shown


def test_sigkill_right_after_dial_is_taken_back(
    qtbot: QtBot,
    sandbox: SandboxServer,
    sessions: SessionFactory,
    tmp_path: Path,
    app_process: Callable[..., subprocess.Popen[str]],
    reliability: Recorder,
) -> None:
    room = sandbox.world.create_room("standup")
    process = app_process(sandbox, room)
    wait_for(lambda: sandbox.request_log.count("POST", CALLS_PATH) == 1, what="the create-call")
    kill(process)  # the moment Twilio has answered: the app may or may not have recorded it
    journal_path = tmp_path / "data" / "journal.sqlite3"
    with Journal(journal_path) as journal:
        (left,) = journal.entries()  # written before the request went out
    dial_id = left.dial_id
    assert len(sandbox.world.calls()) == 1

    h = sessions(sandbox, journal_path)
    shown = take_back_and_hang_up(qtbot, h, room, dial_id)
    assert sandbox.request_log.count("POST", CALLS_PATH) == 1
    journal_check = check_journal(journal_path, sandbox, clicks=1)
    reliability.record(
        case="App killed with SIGKILL right after Dial",
        produced_by="separate process running a journaled Session: dial, SIGKILL as soon as "
        "the sandbox logged the create-call; a new Session on the same journal",
        outcome=f"journal after the kill: 1 row, status “{left.status.value}”, call SID "
        f"{'recorded' if left.call_sid else 'not yet recorded'}; the new session took the "
        f"call back (roster row “{shown}”), Remove canceled it at Twilio; 1 POST in all; "
        f"{journal_check.summary()}",
    )


def test_call_that_ended_while_the_app_was_dead_gets_its_final_status(
    qtbot: QtBot,
    sandbox: SandboxServer,
    sessions: SessionFactory,
    tmp_path: Path,
    app_process: Callable[..., subprocess.Popen[str]],
    reliability: Recorder,
) -> None:
    room = sandbox.world.create_room("standup")
    process = app_process(sandbox, room, number=BUSY_NUMBER)
    wait_for(lambda: sandbox.request_log.count("POST", CALLS_PATH) == 1, what="the create-call")
    kill(process)
    sandbox.clock.advance(10)  # the callee's line is busy; the call ends with nobody watching
    (call,) = sandbox.world.calls()
    assert call.status == "busy"
    journal_path = tmp_path / "data" / "journal.sqlite3"
    with Journal(journal_path) as journal:
        (left,) = journal.entries()
    assert not left.status.is_final

    h = sessions(sandbox, journal_path)
    h.session.select_room(room)
    qtbot.waitUntil(lambda: status_of(h, left.dial_id) is GuestStatus.BUSY, timeout=15_000)
    guest = h.session.book.get(left.dial_id)
    assert guest is not None and guest.call_sid == call.sid
    with Journal(journal_path) as journal:
        entry = journal.get(left.dial_id)
        assert journal.unfinished() == []
    assert entry is not None and entry.status is GuestStatus.BUSY and entry.ended_at is not None
    assert sandbox.request_log.count("POST", CALLS_PATH) == 1
    journal_check = check_journal(journal_path, sandbox, clicks=1)
    reliability.record(
        case="Call that ended while the app was dead",
        produced_by="separate process dials a busy number and is SIGKILLed; the call ends; a "
        "new Session on the same journal",
        outcome=f"journal after the kill: “{left.status.value}”; the new session fetched the "
        f"call and recorded its final status “{entry.status.value}” ({entry.end_reason}); "
        f"nothing left unfinished, 0 new POSTs; {journal_check.summary()}",
    )


def test_sigkill_while_the_create_call_is_in_flight_is_taken_back(
    qtbot: QtBot,
    sandbox: SandboxServer,
    sessions: SessionFactory,
    tmp_path: Path,
    app_process: Callable[..., subprocess.Popen[str]],
    reliability: Recorder,
) -> None:
    hold = HoldCreateCall(sandbox.app)
    sandbox.app = hold  # type: ignore[assignment]
    sandbox.restart()
    room = sandbox.world.create_room("standup")
    process = app_process(sandbox, room)
    try:
        wait_for(hold.arrived.is_set, what="the create-call to arrive")
        kill(process)
    finally:
        hold.release.set()  # Twilio goes on to place the call for a client that is gone
    wait_for(lambda: len(sandbox.world.calls()) == 1, what="the call to be placed")
    journal_path = tmp_path / "data" / "journal.sqlite3"
    with Journal(journal_path) as journal:
        (left,) = journal.entries()  # written before the request went out
    dial_id = left.dial_id
    assert left.status is GuestStatus.DIALING and left.call_sid is None
    on_disk = journal_bytes(journal_path)
    assert on_disk
    assert NUMBER.encode() not in on_disk and NUMBER[1:].encode() not in on_disk

    h = sessions(sandbox, journal_path)
    shown = take_back_and_hang_up(qtbot, h, room, dial_id)
    assert sandbox.request_log.count("POST", CALLS_PATH) == 1
    log = sandbox.request_log.entries()
    lookups = [r for r in log if r.method == "GET" and r.path.endswith(CALLS_PATH)]
    assert lookups, "the call was found by looking it up"
    journal_check = check_journal(journal_path, sandbox, clicks=1)
    reliability.record(
        case="App killed with SIGKILL while its create-call is in flight",
        produced_by="separate process; the sandbox holds the create-call until the process is "
        "SIGKILLed, then places the call; a new Session on the same journal",
        outcome=f"journal after the kill: 1 row “{left.status.value}”, no call SID (and no "
        f"full number); the new session marked it unknown, found the call by caller ID and "
        f"the number's last digits ({len(lookups)} lookup(s), 0 new POSTs), adopted its SID "
        f"(roster row “{shown}”) and Remove canceled it; {journal_check.summary()}",
    )


def test_create_call_timeout_is_reconciled_not_retried(
    qtbot: QtBot,
    sandbox: SandboxServer,
    sessions: SessionFactory,
    journal_path: Path,
    heartbeat: Heartbeat,
    reliability: Recorder,
) -> None:
    h = sessions(sandbox, journal_path, timeout_s=0.3)
    room = open_room(qtbot, h)
    # Only the create-call is slow: Twilio places the call after the client has given up.
    sandbox.controls.set_route_latency("POST", CALLS_PATH, 800)
    dial_id = dial(h, room, number=NUMBER)
    qtbot.waitUntil(lambda: status_of(h, dial_id) is GuestStatus.UNKNOWN, timeout=5_000)
    row = h.row(dial_id)
    assert row is not None
    unknown_text = row.status_text
    # A second click on the same guest while unknown is the same dial, not a second call.
    assert dial(h, room, number=NUMBER) == dial_id
    qtbot.waitUntil(lambda: status_of(h, dial_id) is GuestStatus.QUEUED, timeout=20_000)
    sandbox.controls.set_route_latency("POST", CALLS_PATH, 0)

    call = assert_one_call_adopted(h, dial_id)
    lookups = [
        r
        for r in sandbox.request_log.entries()
        if r.method == "GET" and r.path.endswith(CALLS_PATH) and "From=" in r.query
    ]
    assert lookups, "reconciled by listing recent calls from that caller ID"
    texts = [e.text for e in h.events if e.dial_id == dial_id]
    journal_check = check_journal(journal_path, sandbox, clicks=1)
    assert journal_check.rows[0].call_sid == call.sid
    assert heartbeat.network_on_gui_thread == []
    reliability.record(
        section="Faults",
        case="Create-call that times out (Twilio placed the call anyway)",
        produced_by="client timeout 0.3 s; sandbox route latency 800 ms on POST Calls.json only;"
        " a second click while unknown",
        outcome=f"row “{unknown_text}”, event “{texts[0] if texts else ''}”; second click "
        f"returned the same dial; {len(lookups)} lookup(s) of calls from the caller ID found "
        f"the call and the guest adopted its SID; exactly 1 POST and 1 call; "
        f"{journal_check.summary()}; {heartbeat.summary()}",
    )
