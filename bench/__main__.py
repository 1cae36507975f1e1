"""`python -m bench [--quick]`: every measurement, one JSON object as the last stdout line.

The JSON is also written to bench/results.json. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import isolate_environment, log, machine_info

RESULTS = Path(__file__).with_name("results.json")
LATENCY_MS = 150.0

TARGETS: dict[str, tuple[str, float]] = {
    "startup_ratio": ("<=", 2.5),
    "startup_window_ratio": ("<=", 2.0),
    "startup_live_ratio": ("<=", 2.5),
    "idle_cpu_pct": ("<=", 1.0),
    "ui_stall_p99_ms": ("<=", 16.0),
    "ui_stall_max_ms": ("<=", 50.0),
    "join_to_screen_p95_s": ("<=", 1.5),
    "rss_mb": ("<=", 200.0),
    "dial_click_to_request_ms": ("<=", 50.0),
    "writes_idle": ("<=", 0.0),
    "history_rss_mb": ("<=", 200.0),
    "chart_redraw_ms": ("<=", 16.0),
    "sparkline_repaint_ms": ("<=", 4.0),
    "mute_all_writes_per_s": ("<=", 20.0),
    "mute_all_s": ("<=", 5.0),
    "cohost_seen_max_s": ("<=", 2.0),
}
MAX_READS_PER_S = 10.0


def _targets(results: dict[str, Any]) -> dict[str, bool]:
    verdicts = {
        name: results.get(name) is not None and float(results[name]) <= limit
        for name, (_op, limit) in TARGETS.items()
    }
    reads = results.get("reads_per_s") or {}
    verdicts["reads_per_s"] = bool(reads) and all(v <= MAX_READS_PER_S for v in reads.values())
    return verdicts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short windows (under 4 minutes)")
    args = parser.parse_args(argv)
    isolate_environment()

    from bench import cohosts, history, load, mutes, reads, sparklines, startup
    from bench.harness import application

    started = time.monotonic()
    quick = bool(args.quick)
    results: dict[str, Any] = {
        "mode": "quick" if quick else "full",
        "latency_ms": LATENCY_MS,
        "machine": machine_info(),
    }
    log("startup")
    results.update(startup.measure(runs=5 if quick else 11, latency_ms=LATENCY_MS))
    log("built app startup")
    results.update(startup.measure_bundle(runs=5 if quick else 11))
    application()
    log("load run")
    results.update(
        load.measure(
            LATENCY_MS,
            warmup_s=5.0 if quick else 10.0,
            load_s=30.0 if quick else 120.0,
            clicks=5 if quick else 15,
        )
    )
    log("read budget")
    results.update(
        reads.measure(
            (1, 10, 50),
            LATENCY_MS,
            warmup_s=8.0 if quick else 15.0,
            window_s=20.0 if quick else 60.0,
        )
    )
    log("room history")
    results.update(history.measure())
    log("rooms table sparklines")
    results.update(sparklines.measure())
    log("mute all phone guests")
    results.update(mutes.measure(LATENCY_MS))
    log("co-hosts")
    results.update(cohosts.measure(LATENCY_MS))
    results["targets"] = _targets(results)
    results["duration_s"] = round(time.monotonic() - started, 1)
    results["generated_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    text = json.dumps(results, ensure_ascii=False)
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(text, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
