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
) -> tuple[float, int, float, float]:
    """Reads per second (Sync's included), writes other than co-hosting's heartbeat, the app's
    CPU use (% of one core) and its Sync reads per second, over the window."""
    sandbox = SandboxProcess(latency_ms).start()
    try:
        sids = sandbox.setup(rooms, PARTICIPANTS)
        window = open_window(sandbox)
        try:
            select_room(window, sids[0])
            spin(warmup_s)
            start, cpu_start = time.time(), time.process_time()
            spin(window_s)
            end, cpu_end = time.time(), time.process_time()
            records = [r for r in sandbox.requests(start) if r[3] < end]
        finally:
            close_window(window)
    finally:
        sandbox.stop()
    reads = sum(1 for r in records if r[0] == "GET")
    sync_reads = sum(1 for r in records if r[0] == "GET" and r[1].startswith("/sync/"))
    # Idle, the only write is each app's presence heartbeat (one Sync item every 10 s).
    writes = sum(1 for r in records if r[0] != "GET" and not r[1].startswith("/sync/"))
    # The window, its session and its workers are this process; the sandbox is its own.
    cpu_pct = 100.0 * (cpu_end - cpu_start) / (end - start)
    return reads / (end - start), writes, cpu_pct, sync_reads / (end - start)


def measure(
    counts: tuple[int, ...], latency_ms: float, warmup_s: float, window_s: float
) -> dict[str, object]:
    reads_per_s: dict[str, float] = {}
    sync_reads_per_s: dict[str, float] = {}
    cpu_pct: dict[str, float] = {}
    writes_idle = 0
    for count in counts:
        rate, writes, cpu, sync_rate = measure_count(count, latency_ms, warmup_s, window_s)
        reads_per_s[str(count)] = round(rate, 2)
        sync_reads_per_s[str(count)] = round(sync_rate, 2)
        cpu_pct[str(count)] = round(cpu, 2)
        writes_idle += writes
        log(
            f"reads: {count} room(s): {rate:.2f} reads/s ({sync_rate:.2f} Sync), "
            f"{writes} write(s), "
            f"app CPU {cpu:.2f} % of a core over {window_s:.0f} s"
        )
    return {
        "reads_per_s": reads_per_s,
        "sync_reads_per_s": sync_reads_per_s,
        "writes_idle": writes_idle,
        # The app watching 10 rooms (the selected one closely), the sandbox in its own process.
        "idle_cpu_pct": cpu_pct.get("10"),
        "cpu_pct_by_rooms": cpu_pct,
    }
