"""mute_all_writes_per_s / mute_all_s: "Mute all phone guests" in a room of 35 phone guests and
15 app participants, against the sandbox in its own process at the benchmark's latency.

The real window and session: the host selects the room, the app reads every participant's
subscribe rules back (within the read budget), then the Room menu's command runs (the
confirmation is the dialog's business, not the measure's). Every one of the 50 participants
gets new rules (the muted phone guests' own rules too: they still hear the app participants),
so 50 writes go through the write queue. `mute_all_writes_per_s` is the most rules writes the
sandbox received in any one second (Twilio's limit: 20 per account); `mute_all_s` is from the
command until the last write is answered, i.e. every rule is in place.

Phone guests are staged as Video participants named the way the app names the phone guests it
dials (`phone-…`), which is how a restarted app recognises them too; dialing 35 calls would only
add ringing time to the set-up.
"""

from __future__ import annotations

import time

from bench.common import log, spin_until
from bench.harness import close_window, open_window, select_room
from bench.sandbox_process import SandboxProcess

APP_PARTICIPANTS = 15
PHONE_GUESTS = 35
RULES_PATH = "/SubscribeRules"


def peak_per_second(times: list[float]) -> int:
    """The most events in any window of one second (each window starting at an event)."""
    times = sorted(times)
    best, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= 1.0:
            first += 1
        best = max(best, last - first + 1)
    return best


def measure(latency_ms: float, timeout_s: float = 60.0) -> dict[str, object]:
    sandbox = SandboxProcess(latency_ms).start()
    try:
        (room_sid,) = sandbox.setup(1, APP_PARTICIPANTS)
        phones = {f"phone-bench{i:02d}" for i in range(PHONE_GUESTS)}
        for identity in sorted(phones):
            sandbox.join(room_sid, identity)
        window = open_window(sandbox)
        try:
            select_room(window, room_sid)
            session = window.session
            assert session is not None
            desk = session.mutes
            if not spin_until(lambda: desk.synced(room_sid), timeout_s):
                raise RuntimeError("the room's subscribe rules were never all read")
            started_wall, started = time.time(), time.perf_counter()
            desk.mute_phone_guests(room_sid)
            done = spin_until(
                lambda: (
                    desk.progress(room_sid) is None and set(desk.mutes.muted(room_sid)) == phones
                ),
                timeout_s,
                step_s=0.005,
            )
            elapsed = time.perf_counter() - started
            if not done:
                raise RuntimeError("Mute all phone guests never finished")
            records = [
                r
                for r in sandbox.requests(started_wall - 1.0)
                if r[0] == "POST" and r[1].endswith(RULES_PATH)
            ]
        finally:
            close_window(window)
    finally:
        sandbox.stop()
    failed = sum(1 for r in records if r[2] >= 400)
    peak = peak_per_second([r[4] for r in records])
    log(
        f"mute all phone guests: {len(records)} rules writes ({failed} refused), "
        f"peak {peak}/s, {elapsed:.2f} s until every rule was in place"
    )
    return {
        "mute_all_writes_per_s": peak,
        "mute_all_s": round(elapsed, 3),
        "mute_all_writes": len(records),
    }
