"""cohost_seen_s: how long after host A presses Dial host B's window shows the guest.

Two real windows (two hosts, "Ana" and "Bob") on one sandbox process at the benchmark's latency,
as two machines on one account would be: A dials a number into the room B has selected, and the
clock runs until B's roster has a row for that guest credited to Ana ("dialed by Ana"). That
is A's journal write, A's claim and create-call, A's Sync write and B's next listing of the
shared Map (every second), merged and drawn. Median and worst of `DIALS` dials.
"""

from __future__ import annotations

import statistics
import time

from bench.common import log, spin_until
from bench.harness import close_window, open_window, select_room
from bench.sandbox_process import SandboxProcess
from moderator.core.dialer import DialRequest
from moderator.ui.main_window import MainWindow

DIALS = 7
ROOM_PARTICIPANTS = 5


def _shared_rows(window: MainWindow) -> int:
    model = window.roster_model
    rows = (model.row_at(index) for index in range(model.rowCount()))
    return sum(1 for row in rows if row is not None and row.shared_by == "Ana")


def measure(latency_ms: float) -> dict[str, object]:
    sandbox = SandboxProcess(latency_ms).start()
    seen: list[float] = []
    try:
        (room_sid,) = sandbox.setup(1, ROOM_PARTICIPANTS)
        ana = open_window(sandbox, "Ana")
        bob = open_window(sandbox, "Bob")
        try:
            for window in (ana, bob):
                select_room(window, room_sid)
            session = ana.session
            assert session is not None
            if not spin_until(lambda: bool(session.caller_ids), 30.0):
                raise RuntimeError("Ana's caller IDs never loaded")
            room_name = session.room(room_sid).unique_name  # type: ignore[union-attr]
            for dial in range(DIALS):
                before = _shared_rows(bob)
                request = DialRequest(
                    room_sid=room_sid,
                    room_name=room_name,
                    number=f"+1415555{dial:04d}",
                    label=f"Guest {dial}",
                    identity=f"phone-bench-{dial}",
                    caller_id=session.caller_ids[0].phone_number,
                )
                started = time.perf_counter()
                session.dial(request)
                if not spin_until(lambda b=before: _shared_rows(bob) > b, 30.0):
                    raise RuntimeError("Bob never saw Ana's guest")
                seen.append(time.perf_counter() - started)
        finally:
            close_window(ana)
            close_window(bob)
    finally:
        sandbox.stop()
    median, worst = statistics.median(seen), max(seen)
    log(f"co-hosts: B sees A's dial after {median:.2f} s (median), {worst:.2f} s at worst")
    return {"cohost_seen_s": round(median, 2), "cohost_seen_max_s": round(worst, 2)}
