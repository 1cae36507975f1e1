"""Sessions wired to the in-process sandbox, with quick poll intervals for tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from pytestqt.qtbot import QtBot

from moderator.core.connection import ConnectionState
from moderator.core.credentials import Credentials
from moderator.core.guest_state import GuestEvent
from moderator.core.journal import Journal
from moderator.core.poller import PollSettings
from moderator.core.roster import RosterRow
from moderator.sandbox.server import SandboxServer
from moderator.ui.models.event_log_model import EventLogModel
from moderator.ui.models.rooms_model import RoomsModel
from moderator.ui.models.roster_model import RosterModel
from moderator.ui.session import Session

#: Polls a few times a second so tests finish quickly; the budget is generous on purpose here
#: (the read budget itself has its own test with the real defaults).
FAST = PollSettings(
    rooms_interval_s=0.3,
    selected_interval_s=0.15,
    live_call_interval_s=0.15,
    settled_call_interval_s=0.4,
    guest_room_interval_s=0.3,
    other_rooms_interval_s=0.5,
    counts_per_s=10.0,
    track_refresh_per_s=1.0,
    max_reads_per_s=100.0,
    burst=20.0,
    tick_s=0.05,
)

CALLER_ID = "+15005550006"  # one of the sandbox account's incoming numbers


def sandbox_credentials(sandbox: SandboxServer) -> Credentials:
    c = sandbox.credentials
    return Credentials(c.account_sid, c.api_key_sid, c.api_key_secret)


def sandbox_now(sandbox: SandboxServer) -> datetime:
    return datetime.fromtimestamp(sandbox.clock.now(), UTC)


@dataclass
class Harness:
    """A started session plus the three models it feeds, and what it signalled."""

    sandbox: SandboxServer
    session: Session
    rooms: RoomsModel
    roster: RosterModel
    log: EventLogModel
    states: list[ConnectionState] = field(default_factory=list)
    events: list[GuestEvent] = field(default_factory=list)
    errors: list[tuple[object, str]] = field(default_factory=list)

    def room_names(self) -> list[str]:
        return [row.room.unique_name for row in self.rooms.rows()]

    def row(self, key: str) -> RosterRow | None:
        return self.roster.object_for(key)

    def kinds(self) -> list[str]:
        return [event.kind for event in self.events]

    @property
    def state(self) -> ConnectionState:
        return self.session.connection_state


def requests_in_flight(session: Session) -> int:
    """How many background requests the session started have not delivered their outcome yet.

    Tests wait for this to reach 0 instead of sleeping "long enough" for requests already under
    way: on one loaded core a request started before an event may reach the sandbox much later.
    """
    return session.requests_in_flight()


def make_harness(
    qtbot: QtBot,
    sandbox: SandboxServer,
    *,
    settings: PollSettings = FAST,
    journal: Journal | None = None,
    timeout_s: float = 5.0,
    start: bool = True,
    cohost_name: str | None = None,
) -> Harness:
    session = Session(
        sandbox_credentials(sandbox),
        base_url=sandbox.base_url,
        journal=journal,
        settings=settings,
        clock=lambda: sandbox_now(sandbox),
        timeout_s=timeout_s,
        cohost_name=cohost_name,
    )
    now = lambda: sandbox_now(sandbox)  # noqa: E731
    harness = Harness(
        sandbox,
        session,
        RoomsModel(session, now=now),
        RosterModel(session, now=now),
        EventLogModel(session),
    )
    connect_models(session, harness.rooms, harness.roster, harness.log)
    session.connectionChanged.connect(harness.states.append)
    session.events.connect(harness.events.extend)
    session.errorRaised.connect(
        lambda report: harness.errors.append((report.error, report.context))
    )
    if start:
        session.start()
    return harness


@pytest.fixture
def harness(qtbot: QtBot, sandbox: SandboxServer) -> Iterator[Harness]:
    h = make_harness(qtbot, sandbox)
    yield h
    h.session.stop()


def connect_models(
    session: Session,
    rooms_model: RoomsModel,
    roster_model: RosterModel,
    event_log_model: EventLogModel,
) -> None:
    """Wire a session's signals to the three models (the window may do it by hand instead)."""
    session.roomsChanged.connect(rooms_model.set_rooms)

    def roster_changed(room_sid: str, rows: list[RosterRow]) -> None:
        if room_sid == session.selected_room:
            roster_model.set_rows(rows)

    session.rosterChanged.connect(roster_changed)
    session.events.connect(event_log_model.append)
