"""reads_per_s / writes_idle: the app's steady-state request rate while a host just watches.

For each room count a fresh sandbox process gets that many rooms of 40 participants; the real
window opens, the host selects the first room, and after a warm-up the sandbox's request log is
counted over a fixed window. Nothing is dialed or removed, so every write is a bug.
"""

from __future__ import annotations

import time

from bench.common import log, spin
from bench.harness import close_window, open_window, select_room
from bench.sandbox_process import SandboxProcess

PARTICIPANTS = 40


def measure_count(
    rooms: int, latency_ms: float, warmup_s: float, window_s: float
) -> tuple[float, int]:
    sandbox = SandboxProcess(latency_ms).start()
    try:
        sids = sandbox.setup(rooms, PARTICIPANTS)
        window = open_window(sandbox)
        try:
            select_room(window, sids[0])
            spin(warmup_s)
            start = time.time()
            spin(window_s)
            end = time.time()
            records = [r for r in sandbox.requests(start) if r[3] < end]
        finally:
            close_window(window)
    finally:
        sandbox.stop()
    reads = sum(1 for r in records if r[0] == "GET")
    writes = sum(1 for r in records if r[0] != "GET")
    return reads / (end - start), writes


def measure(
    counts: tuple[int, ...], latency_ms: float, warmup_s: float, window_s: float
) -> dict[str, object]:
    reads_per_s: dict[str, float] = {}
    writes_idle = 0
    for count in counts:
        rate, writes = measure_count(count, latency_ms, warmup_s, window_s)
        reads_per_s[str(count)] = round(rate, 2)
        writes_idle += writes
        log(f"reads: {count} room(s): {rate:.2f} reads/s, {writes} write(s) over {window_s:.0f} s")
    return {"reads_per_s": reads_per_s, "writes_idle": writes_idle}
