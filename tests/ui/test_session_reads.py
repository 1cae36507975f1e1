"""The real session's reads counted on the sandbox with 50 rooms: the planner's budget holds."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from moderator.core.poller import PollSettings
from moderator.sandbox.server import SandboxServer
from tests.ui.session_fixtures import make_harness

LATENCY_S = 0.15


@pytest.fixture
def fifty_rooms(sandbox: SandboxServer) -> Iterator[list[str]]:
    world = sandbox.world
    rooms = [world.create_room(f"room-{i:02d}") for i in range(50)]
    for room in rooms:
        for n in range(3):
            world.join_app_participant(room, f"user-{n}")
    yield rooms


def test_session_reads_per_second_with_50_rooms(
    qtbot: QtBot, sandbox: SandboxServer, fifty_rooms: list[str]
) -> None:
    """Counted, not timed: reads that reached the sandbox over a measured wall interval."""
    sandbox.controls.latency_ms = LATENCY_S * 1000
    h = make_harness(qtbot, sandbox, settings=PollSettings())
    try:
        qtbot.waitUntil(lambda: len(h.room_names()) == 50, timeout=10_000)
        h.session.select_room(fifty_rooms[0])
        qtbot.waitUntil(lambda: h.roster.rowCount() == 3, timeout=10_000)
        qtbot.wait(1500)  # past the first burst (tracks of the selected room)
        t0 = time.time()
        qtbot.wait(5000)
        t1 = time.time()
        window = [r for r in sandbox.request_log.entries() if t0 <= r.wall_time < t1]
        reads = [r for r in window if not r.is_write]
        writes = [r for r in window if r.is_write]
        budget = PollSettings().max_reads_per_s
        # +1: a read whose request straddles the window edge
        assert len(reads) <= budget * (t1 - t0) + 1, f"{len(reads)} reads in {t1 - t0:.1f} s"
        assert writes == []  # idle: no writes at all
        # and the view is alive: the selected room was polled about once a second
        selected = [r for r in reads if fifty_rooms[0] in r.path and "Participants" in r.path]
        assert len(selected) >= 3
    finally:
        h.session.stop()
