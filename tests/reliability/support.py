"""Helpers shared by the fault, recovery and secrets tests: a journaled session, dials, checks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pytestqt.qtbot import QtBot

from moderator.core.connection import ConnectionKind, ConnectionState
from moderator.core.dialer import DialRequest
from moderator.core.guest_state import GuestStatus
from moderator.core.journal import Journal, JournalEntry
from moderator.core.poller import PollSettings
from moderator.sandbox.server import SandboxServer
from moderator.sandbox.world import Call
from tests.ui.session_fixtures import CALLER_ID, FAST, Harness, make_harness

__all__ = [
    "CALLER_ID",
    "CALLS_PATH",
    "JournalCheck",
    "assert_one_call_adopted",
    "check_journal",
    "dial",
    "guest_reason",
    "journal_bytes",
    "open_room",
    "start_session",
    "state_text",
    "status_of",
    "stop_and_drain",
    "wait_for_state",
]

CALLS_PATH = "/Calls.json"


def start_session(
    qtbot: QtBot,
    sandbox: SandboxServer,
    journal_path: Path,
    *,
    timeout_s: float = 2.0,
    settings: PollSettings = FAST,
    cohost_name: str | None = None,
) -> Harness:
    """A started Session with a real journal file, its models and a record of its signals
    (co-hosting on under `cohost_name`, when given)."""
    return make_harness(
        qtbot,
        sandbox,
        settings=settings,
        journal=Journal(journal_path),
        timeout_s=timeout_s,
        cohost_name=cohost_name,
    )


def open_room(qtbot: QtBot, h: Harness, name: str = "standup") -> str:
    """Create a room in the sandbox, wait for the session to list it, select it."""
    sid = h.sandbox.world.create_room(name)
    h.session.refresh_now()
    qtbot.waitUntil(lambda: name in h.room_names(), timeout=10_000)
    h.session.select_room(sid)
    return sid


def dial(
    h: Harness,
    room_sid: str,
    *,
    number: str = "+14155552671",
    identity: str = "phone-alice",
    room_name: str = "standup",
    caller_id: str = CALLER_ID,
    label: str = "Alice",
) -> str:
    """One click on Dial (a fresh request), as the dial dialog makes it."""
    return h.session.dial(
        DialRequest(
            room_sid=room_sid,
            room_name=room_name,
            number=number,
            label=label,
            identity=identity,
            caller_id=caller_id,
        )
    )


def status_of(h: Harness, dial_id: str) -> GuestStatus | None:
    guest = h.session.book.get(dial_id)
    return guest.status if guest is not None else None


def guest_reason(h: Harness, dial_id: str) -> str:
    """Why the dial ended (or is in doubt), as the roster and event log say it."""
    guest = h.session.book.get(dial_id)
    return guest.end_reason if guest is not None else ""


def assert_one_call_adopted(h: Harness, dial_id: str) -> Call:
    """Twilio placed exactly one call, from exactly one create-call POST, and the dial carries
    that call's SID (found again by reconciliation, never placed twice); returns the call."""
    calls = h.sandbox.world.calls()
    assert len(calls) == 1
    guest = h.session.book.get(dial_id)
    assert guest is not None and guest.call_sid == calls[0].sid
    assert h.sandbox.request_log.count("POST", CALLS_PATH) == 1
    return calls[0]


def state_text(state: ConnectionState) -> str:
    """What the indicator shows, with the message behind it."""
    return f"“{state.label}”" + (f" ({state.message})" if state.message else "")


def wait_for_state(
    qtbot: QtBot, h: Harness, *kinds: ConnectionKind, timeout: int = 15_000
) -> ConnectionState:
    """Wait until the session's connection state is one of `kinds`; return that state."""
    seen: list[ConnectionState] = []

    def reached() -> bool:
        state = h.state
        if state.kind in kinds:
            seen.append(state)
            return True
        return False

    qtbot.waitUntil(reached, timeout=timeout)
    return seen[-1]


@dataclass(frozen=True)
class JournalCheck:
    rows: list[JournalEntry]

    def summary(self) -> str:
        statuses = ", ".join(row.status.value for row in self.rows)
        return f"journal: {len(self.rows)} row(s) ({statuses})"


def check_journal(journal_path: Path, sandbox: SandboxServer, *, clicks: int) -> JournalCheck:
    """Read the journal file afresh and check it against the clicks and the sandbox's calls.

    One row per click (none lost, none doubled), every recorded call SID distinct and real,
    and every call the sandbox placed is on record.
    """
    with Journal(journal_path) as journal:
        rows = journal.entries()
    assert len(rows) == clicks, f"{len(rows)} journal rows for {clicks} dial clicks"
    assert len({row.dial_id for row in rows}) == len(rows)
    sids = [row.call_sid for row in rows if row.call_sid]
    assert len(set(sids)) == len(sids), "one call recorded for two dials"
    placed = {call.sid for call in sandbox.world.calls()}
    assert set(sids) <= placed, "the journal names a call Twilio never placed"
    assert placed <= set(sids), "a call was placed that the journal does not know"
    return JournalCheck(rows)


def stop_and_drain(h: Harness, wait_ms: int = 15_000) -> None:
    """Stop the session and wait for its slow requests to come back, so none outlives the test.

    Session.stop() waits only briefly on purpose (the UI must not hang); a test that made the
    sandbox slow waits here for the rest instead of in Qt's thread-pool destructor.
    """
    h.session.stop()
    # No public way to wait for the pool, by design: the app itself never should.
    h.session.shutdown_pools(wait_ms)


def journal_bytes(journal_path: Path) -> bytes:
    """The journal's bytes on disk, WAL and shared-memory files included (recent writes live
    in the WAL until a checkpoint)."""
    return b"".join(
        path.read_bytes()
        for path in sorted(journal_path.parent.glob(journal_path.name + "*"))
        if path.is_file()
    )
