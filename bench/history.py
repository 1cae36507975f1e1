"""Room history: memory after hours of simulated counts, and the 24 h chart's redraw time.

The history is fed directly (as the poll loop would: one count per room per poll) with a fast-
forwarded clock, so eight hours of 50 rooms take seconds; the chart is the real dialog's widget,
painted offscreen into a pixmap the size of its default window.
"""

from __future__ import annotations

import gc
import random
import time
from typing import Any

from bench.common import median, rss_mb


def measure(*, rooms: int = 50, hours: float = 8.0, poll_s: float = 15.0) -> dict[str, Any]:
    from PySide6.QtGui import QPixmap

    from moderator.core.count_history import CountHistory
    from moderator.ui.dialogs.room_history_dialog import CountChart

    gc.collect()
    before = rss_mb()
    history = CountHistory()
    rng = random.Random(7)
    start = 1_800_000_000.0
    counts = [rng.randint(5, 40) for _ in range(rooms)]
    steps = int(hours * 3600 / poll_s)
    fed = time.perf_counter()
    for step in range(steps):
        at = start + step * poll_s
        for room in range(rooms):
            counts[room] = max(0, min(50, counts[room] + rng.choice((-1, 0, 0, 1))))
            history.record(f"RM{room:032d}", f"room-{room}", at, counts[room], counts[room] // 4)
    feed_s = time.perf_counter() - fed
    gc.collect()
    after = rss_mb()
    now = start + steps * poll_s

    chart = CountChart()
    chart.resize(620, 260)
    points = history.points("RM" + "0" * 32, now - 24 * 3600, now)
    chart.set_series(points, now - 24 * 3600, now, 50)
    pixmap = QPixmap(chart.size())
    first = []
    for _ in range(10):  # new data each time: the lines' geometry is built anew
        chart.set_series(points, now - 24 * 3600, now, 50)
        began = time.perf_counter()
        chart.render(pixmap)
        first.append((time.perf_counter() - began) * 1000)
    timings = []
    for _ in range(30):
        began = time.perf_counter()
        chart.render(pixmap)
        timings.append((time.perf_counter() - began) * 1000)
    return {
        "history_rss_mb": round(max(0.0, after - before), 1),
        "history_samples": history.sample_count(),
        "history_feed_s": round(feed_s, 2),
        "chart_points_24h": len(points),
        "chart_redraw_ms": round(median(timings), 2),
        "chart_first_draw_ms": round(median(first), 2),
    }
