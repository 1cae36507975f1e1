"""Session under faults: rejected credentials, 500 bursts, slow answers, lost create-calls,
and a restart that takes back the calls the previous run left behind."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from moderator.core.connection import ConnectionKind
from moderator.core.dialer import DialRequest
from moderator.core.guest_state import GuestStatus
from moderator.core.journal import Journal
from moderator.sandbox.server import SandboxServer
from tests.ui.session_fixtures import CALLER_ID, Harness, make_harness, requests_in_flight

CALLS_PATH = "/Calls.json"


@pytest.fixture
def harness(qtbot: QtBot, sandbox: SandboxServer) -> Iterator[Harness]:
    h = make_harness(qtbot, sandbox)
    yield h
    h.session.stop()


def dial_request(room_sid: str) -> DialRequest:
    return DialRequest(
        room_sid=room_sid,
        room_name="standup",
        number="+14155552671",
        label="Alice",
        identity="phone-alice",
        caller_id=CALLER_ID,
    )


def guest_status(h: Harness, dial_id: str) -> GuestStatus | None:
    guest = h.session.book.get(dial_id)
    return guest.status if guest is not None else None


def test_rejected_credentials_stop_polling_until_refresh(qtbot: QtBot, harness: Harness) -> None:
    sandbox = harness.sandbox
    sandbox.world.create_room("standup")
    qtbot.waitUntil(lambda: harness.room_names() == ["standup"])
    sandbox.controls.revoke_credentials()
    qtbot.waitUntil(lambda: harness.state.kind is ConnectionKind.AUTH_REJECTED)
    assert any(getattr(e, "code", None) == 20003 for e, _ in harness.errors)
    assert harness.room_names() == ["standup"]  # what was known stays on screen
    # Requests started before the 401 (polls, the one-off caller ID load) still land: wait for
    # them to come back, then no new one may start.
    qtbot.waitUntil(lambda: requests_in_flight(harness.session) == 0)
    before = len(sandbox.request_log)
    qtbot.wait(800)  # several poll intervals
    assert len(sandbox.request_log) == before

    sandbox.controls.restore_credentials()
    harness.session.refresh_now()
    qtbot.waitUntil(lambda: harness.state.kind is ConnectionKind.ONLINE)


def test_burst_of_500s_retries_then_recovers(qtbot: QtBot, harness: Harness) -> None:
    sandbox = harness.sandbox
    sandbox.world.create_room("standup")
    qtbot.waitUntil(lambda: harness.state.kind is ConnectionKind.ONLINE)
    sandbox.controls.fault_rate = 1.0
    qtbot.waitUntil(lambda: harness.state.kind is ConnectionKind.RETRYING)
    retrying = [s for s in harness.states if s.kind is ConnectionKind.RETRYING]
    assert retrying[0].retry_in_s is not None and retrying[0].retry_in_s >= 1
    assert "Retrying" in retrying[0].label or "retrying" in retrying[0].label
    sandbox.controls.fault_rate = 0.0
    qtbot.waitUntil(lambda: harness.state.kind is ConnectionKind.ONLINE, timeout=15_000)
    sandbox.world.create_room("later")
    qtbot.waitUntil(lambda: "later" in harness.room_names())


def test_connection_refused_goes_offline_and_comes_back(qtbot: QtBot, harness: Harness) -> None:
    sandbox = harness.sandbox
    sandbox.world.create_room("standup")
    qtbot.waitUntil(lambda: harness.state.kind is ConnectionKind.ONLINE)
    sandbox.stop()
    qtbot.waitUntil(lambda: harness.state.kind in (ConnectionKind.RETRYING, ConnectionKind.OFFLINE))
    sandbox.start()  # same port
    qtbot.waitUntil(lambda: harness.state.kind is ConnectionKind.ONLINE, timeout=20_000)


def test_event_loop_keeps_turning_at_300ms_latency(qtbot: QtBot, harness: Harness) -> None:
    sandbox = harness.sandbox
    world = sandbox.world
    rooms = [world.create_room(f"room-{i}") for i in range(3)]
    for room in rooms:
        for n in range(10):
            world.join_app_participant(room, f"user-{n}")
    sandbox.controls.latency_ms = 300

    gaps: list[float] = []
    last = [time.perf_counter()]

    def beat() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    heartbeat = QTimer()
    heartbeat.setInterval(10)
    heartbeat.timeout.connect(beat)
    heartbeat.start()
    start_reads = len(sandbox.request_log)
    harness.session.refresh_now()
    qtbot.waitUntil(lambda: len(harness.room_names()) == 3, timeout=10_000)
    harness.session.select_room(rooms[0])
    qtbot.waitUntil(lambda: harness.roster.rowCount() == 10, timeout=10_000)
    qtbot.waitUntil(lambda: len(sandbox.request_log) - start_reads >= 15, timeout=15_000)
    heartbeat.stop()
    assert gaps
    assert max(gaps) < 0.100, f"the event loop stalled for {max(gaps) * 1000:.0f} ms"


def test_create_call_timeout_is_reconciled_not_retried(
    qtbot: QtBot, sandbox: SandboxServer
) -> None:
    h = make_harness(qtbot, sandbox, timeout_s=0.5)
    try:
        room = sandbox.world.create_room("standup")
        qtbot.waitUntil(lambda: h.room_names() == ["standup"])
        h.session.select_room(room)
        sandbox.controls.latency_ms = 900  # the POST is carried out, but after our timeout
        dial_id = h.session.dial(dial_request(room))
        qtbot.waitUntil(lambda: guest_status(h, dial_id) is GuestStatus.UNKNOWN, timeout=5000)
        sandbox.controls.latency_ms = 0
        qtbot.waitUntil(lambda: guest_status(h, dial_id) is GuestStatus.QUEUED, timeout=20_000)
        guest = h.session.book.get(dial_id)
        assert guest is not None and guest.call_sid == sandbox.world.calls()[0].sid
        sandbox.clock.advance(5)
        qtbot.waitUntil(lambda: guest_status(h, dial_id) is GuestStatus.CONNECTED, timeout=10_000)
        assert sandbox.request_log.count("POST", CALLS_PATH) == 1
        assert len(sandbox.world.calls()) == 1
    finally:
        h.session.stop()


def test_create_call_500_with_no_call_ends_as_not_placed(
    qtbot: QtBot, harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("moderator.core.dialer.RECONCILE_DELAYS_S", (0.2, 0.2, 0.2))
    sandbox = harness.sandbox
    room = sandbox.world.create_room("standup")
    qtbot.waitUntil(lambda: harness.room_names() == ["standup"])
    sandbox.controls.fault_rate = 1.0
    dial_id = harness.session.dial(dial_request(room))
    qtbot.waitUntil(lambda: guest_status(harness, dial_id) is GuestStatus.UNKNOWN)
    sandbox.controls.fault_rate = 0.0
    qtbot.waitUntil(lambda: guest_status(harness, dial_id) is GuestStatus.REJECTED, timeout=20_000)
    assert sandbox.world.calls() == []
    assert sandbox.request_log.count("POST", CALLS_PATH) == 1
    guest = harness.session.book.get(dial_id)
    assert guest is not None and "not placed" in guest.end_reason.lower()


def test_restart_takes_back_a_ringing_call(
    qtbot: QtBot, sandbox: SandboxServer, tmp_path: Path
) -> None:
    path = tmp_path / "journal.sqlite3"
    first = make_harness(qtbot, sandbox, journal=Journal(path))
    room = sandbox.world.create_room("standup")
    qtbot.waitUntil(lambda: first.room_names() == ["standup"])
    dial_id = first.session.dial(dial_request(room))
    qtbot.waitUntil(lambda: guest_status(first, dial_id) is GuestStatus.QUEUED)
    sandbox.clock.advance(1.5)
    qtbot.waitUntil(lambda: guest_status(first, dial_id) is GuestStatus.RINGING)
    first.session.stop()

    second = make_harness(qtbot, sandbox, journal=Journal(path))
    try:
        guest = second.session.book.get(dial_id)
        assert guest is not None and guest.call_sid is not None
        second.session.select_room(room)
        qtbot.waitUntil(lambda: second.row(dial_id) is not None)
        sandbox.clock.advance(3)
        qtbot.waitUntil(lambda: guest_status(second, dial_id) is GuestStatus.CONNECTED)
        row = second.row(dial_id)
        assert row is not None and row.can_remove
        second.session.remove(row)
        qtbot.waitUntil(lambda: guest_status(second, dial_id) is GuestStatus.LEFT)
        # Removing is two requests (leave the room, end the call) while polls run on their own
        # pool: the roster may see the guest gone before the hang-up has been answered.
        call_sid = guest.call_sid
        qtbot.waitUntil(lambda: sandbox.world.call(call_sid).status == "completed")
        assert sandbox.request_log.count("POST", CALLS_PATH) == 1
    finally:
        second.session.stop()


def test_restart_right_after_dial_adopts_the_call(
    qtbot: QtBot, sandbox: SandboxServer, tmp_path: Path
) -> None:
    """The app dies while the create-call request is in flight: the journal has the dial but no
    call SID. The next run finds the call by number and caller ID instead of dialing again."""
    path = tmp_path / "journal.sqlite3"
    first = make_harness(qtbot, sandbox, journal=Journal(path))
    room = sandbox.world.create_room("standup")
    qtbot.waitUntil(lambda: first.room_names() == ["standup"])
    sandbox.controls.latency_ms = 400
    dial_id = first.session.dial(dial_request(room))
    qtbot.waitUntil(lambda: sandbox.request_log.in_flight("POST", CALLS_PATH) == 1)
    first.session.stop(wait_ms=0)  # gone before Twilio answered
    qtbot.waitUntil(lambda: len(sandbox.world.calls()) == 1, timeout=5000)
    sandbox.controls.latency_ms = 0

    second = make_harness(qtbot, sandbox, journal=Journal(path))
    try:
        qtbot.waitUntil(
            lambda: (g := second.session.book.get(dial_id)) is not None and g.call_sid is not None,
            timeout=15_000,
        )
        guest = second.session.book.get(dial_id)
        assert guest is not None and guest.call_sid == sandbox.world.calls()[0].sid
        assert sandbox.request_log.count("POST", CALLS_PATH) == 1
    finally:
        second.session.stop()


def test_rate_limited_waits_for_retry_after_then_recovers(qtbot: QtBot, harness: Harness) -> None:
    sandbox = harness.sandbox
    sandbox.world.create_room("standup")
    qtbot.waitUntil(lambda: harness.state.kind is ConnectionKind.ONLINE)
    sandbox.controls.rate_limit = 1.0  # far below what the test settings ask for
    qtbot.waitUntil(lambda: harness.state.kind is ConnectionKind.RETRYING, timeout=10_000)
    assert "limiting" in harness.state.message
    sandbox.controls.rate_limit = None
    qtbot.waitUntil(lambda: harness.state.kind is ConnectionKind.ONLINE, timeout=15_000)


def test_malformed_bodies_retry_then_recover(qtbot: QtBot, harness: Harness) -> None:
    sandbox = harness.sandbox
    sandbox.world.create_room("standup")
    qtbot.waitUntil(lambda: harness.state.kind is ConnectionKind.ONLINE)
    sandbox.controls.malformed_rate = 1.0
    qtbot.waitUntil(lambda: harness.state.kind is ConnectionKind.RETRYING, timeout=10_000)
    sandbox.controls.malformed_rate = 0.0
    qtbot.waitUntil(lambda: harness.state.kind is ConnectionKind.ONLINE, timeout=15_000)
    assert harness.room_names() == ["standup"]
