"""Twilio Sync faults while co-hosting, through the real Session against the sandbox over HTTP.

Sync failing is not the link failing: Video and Voice polling stay online, dials go ahead, the
co-host line says what is happening, every change the host made is kept and reaches Sync once
it answers again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytestqt.qtbot import QtBot

from moderator.core.connection import ConnectionKind
from moderator.core.guest_state import GuestStatus
from moderator.core.shared_guests import GUESTS_MAP, SERVICE_NAME
from moderator.sandbox.server import SandboxServer
from tests.reliability.conftest import SessionFactory
from tests.reliability.heartbeat import Heartbeat
from tests.reliability.recorder import Recorder
from tests.reliability.support import dial, open_room, status_of, wait_for_state
from tests.ui.session_fixtures import Harness

SECTION = "Faults"
SYNC = "/sync/v1/*"


def shared(sandbox: SandboxServer) -> dict[str, dict[str, Any]]:
    """The guests Map's items (key → data), read on Twilio's side (no request from this thread,
    which is the app's GUI thread)."""
    world = sandbox.world
    for service in world.sync_services():
        if service.friendly_name == SERVICE_NAME:
            maps = {m.unique_name for m in world.sync_maps(service.sid)}
            if GUESTS_MAP in maps:
                return {i.key: i.data for i in world.sync_map_items(service.sid, GUESTS_MAP)}
    return {}


def line(h: Harness) -> str:
    return h.session.cohost_status


def test_sync_down_or_refused_loses_no_change(
    qtbot: QtBot,
    sandbox: SandboxServer,
    sessions: SessionFactory,
    journal_path: Path,
    heartbeat: Heartbeat,
    reliability: Recorder,
) -> None:
    h = sessions(sandbox, journal_path, cohost_name="Ana")
    room = open_room(qtbot, h)
    wait_for_state(qtbot, h, ConnectionKind.ONLINE)
    qtbot.waitUntil(lambda: line(h).startswith("Co-host sharing on"), timeout=10_000)

    # Every Sync request answers 500: the dial goes ahead, the change waits in the outbox.
    for method in ("GET", "POST", "DELETE"):
        sandbox.controls.fail_route(method, SYNC, 500, times=None)
    placed = dial(h, room)
    qtbot.waitUntil(lambda: line(h).startswith("Co-host sharing paused"), timeout=10_000)
    paused = h.session.cohost_status
    qtbot.waitUntil(lambda: status_of(h, placed) is GuestStatus.QUEUED, timeout=10_000)
    assert h.state.kind is ConnectionKind.ONLINE  # Video and Voice are fine
    for method in ("GET", "POST", "DELETE"):
        sandbox.controls.clear_route_failure(method, SYNC)
    qtbot.waitUntil(lambda: "phone-alice" in shared(sandbox), timeout=15_000)
    qtbot.waitUntil(lambda: line(h).startswith("Co-host sharing on"), timeout=15_000)
    assert heartbeat.network_on_gui_thread == []
    reliability.record(
        case="Twilio Sync answers 500 to every request while the host dials",
        produced_by=f'controls.fail_route("GET"/"POST"/"DELETE", "{SYNC}", 500, times=None)',
        outcome=f"Video polling stayed online and the call was placed; the co-host line said "
        f"“{paused}”; once Sync answered, the backoff's next round wrote the guest's item "
        "and the line went back to on (nothing lost)",
    )

    # A key that may not use Sync: sharing off, the app works alone, then catches up.
    sandbox.controls.deny_product("sync")
    h.session.refresh_now()  # a round of reads right away
    qtbot.waitUntil(lambda: line(h).startswith("Co-host sharing off"), timeout=15_000)
    off = h.session.cohost_status
    second = dial(h, room, identity="phone-bob", number="+14155552672", label="Bob")
    qtbot.waitUntil(lambda: status_of(h, second) is GuestStatus.QUEUED, timeout=10_000)
    sandbox.controls.allow_product("sync")
    h.session.refresh_now()  # the host presses Refresh (or the status line's Try again)
    qtbot.waitUntil(lambda: "phone-bob" in shared(sandbox), timeout=15_000)
    assert shared(sandbox)["phone-bob"]["label"] == "Bob"
    reliability.record(
        case="The API key may not use Twilio Sync (restricted key)",
        produced_by='controls.deny_product("sync"): every /sync/ request 403 / 70051',
        outcome=f"The co-host line said “{off}”; the next dial went ahead alone; after "
        "allow_product and Refresh the guest dialed meanwhile reached Sync",
    )
