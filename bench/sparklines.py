"""The rooms table's sparklines: a full repaint of 50 rooms, each with 30 minutes of counts.

The table is the app's own pane, model and delegate, fed from a `CountHistory` as the poll
loop feeds it (here one count per room per second, the selected room's pace, for every room:
the worst case) through `RoomWatch`'s `SparklineFeed`. The pane is sized to show all 50 rows
and rendered offscreen into a pixmap; `sparkline_repaint_ms` is the median of repaints of
unchanged data (what a scroll, a resize or a window switch costs), `sparkline_first_paint_ms`
the paint right after every room's sparkline changed (each polyline built anew).

`python -m bench.sparklines` runs it alone and prints one JSON object.
"""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import median


def measure(
    *, rooms: int = 50, minutes: float = 30.0, poll_s: float = 1.0, repaints: int = 50
) -> dict[str, Any]:
    from PySide6.QtGui import QPixmap
    from PySide6.QtWidgets import QWidget

    from moderator.core.count_history import CountHistory
    from moderator.core.live_state import RoomRow
    from moderator.core.models import Room, RoomType
    from moderator.core.room_watch import SparklineFeed
    from moderator.ui.actions import Actions
    from moderator.ui.models.rooms_model import RoomColumn, RoomsModel
    from moderator.ui.panes.rooms_pane import RoomsPane

    start = 1_800_000_000.0
    steps = int(minutes * 60 / poll_s)
    now = [start + steps * poll_s]
    clock = lambda: datetime.fromtimestamp(now[0], UTC)  # noqa: E731
    history = CountHistory()
    rng = random.Random(11)
    counts = [rng.randint(5, 40) for _ in range(rooms)]
    sids = [f"RM{room:032d}" for room in range(rooms)]
    for step in range(steps + 1):
        at = start + step * poll_s
        for room, sid in enumerate(sids):
            counts[room] = max(0, min(50, counts[room] + rng.choice((-1, 0, 0, 0, 1))))
            history.record(sid, f"room-{room}", at, counts[room], 0)

    created = clock() - timedelta(hours=1)
    rows = [
        RoomRow(
            Room(sid, f"room-{i}", "in-progress", RoomType.GROUP, 50, created),
            counts[i],
            0,
            counted_at=clock(),
        )
        for i, sid in enumerate(sids)
    ]
    host = QWidget()
    model = RoomsModel(host, now=clock)
    model.set_watch(SparklineFeed(history, clock), lambda _sid: ())
    model.set_rooms(rows)
    pane = RoomsPane(model, Actions(host), host)
    pane.set_column_shown(RoomColumn.SPARKLINE, True)  # optional: the host turns it on
    view = pane.view
    height = view.horizontalHeader().height() + rooms * view.verticalHeader().defaultSectionSize()
    pane.resize(900, height + 80)
    pane.show()
    pixmap = QPixmap(view.viewport().size())
    view.viewport().render(pixmap)  # layout, fonts, first caches: not timed

    first = []
    for _ in range(10):  # one more count in every room: every sparkline is rebuilt
        now[0] += poll_s
        for room, sid in enumerate(sids):
            history.record(sid, f"room-{room}", now[0], counts[room], 0)
        model.refresh_watch()
        began = time.perf_counter()
        view.viewport().render(pixmap)
        first.append((time.perf_counter() - began) * 1000)
    timings = []
    for _ in range(repaints):
        began = time.perf_counter()
        view.viewport().render(pixmap)
        timings.append((time.perf_counter() - began) * 1000)
    header = view.horizontalHeader()
    shown = [c for c in range(header.count()) if not header.isSectionHidden(c)]
    split = {}
    for name, columns in (
        ("sparkline_column_ms", [RoomColumn.SPARKLINE]),
        ("rooms_text_columns_ms", [c for c in shown if c != RoomColumn.SPARKLINE]),
    ):
        for c in range(header.count()):
            header.setSectionHidden(c, c not in columns)
        spent = []
        for _ in range(repaints):
            began = time.perf_counter()
            view.viewport().render(pixmap)
            spent.append((time.perf_counter() - began) * 1000)
        split[name] = round(median(spent), 2)
    cell = model.sparkline_of(sids[0])
    points = sum(len(run) for run in cell.sparkline.runs) if cell is not None else 0
    proxy = view.model()
    visible = sum(
        1
        for row in range(rooms)
        if view.viewport().rect().contains(view.visualRect(proxy.index(row, 0)))
    )
    host.deleteLater()
    return {
        "sparkline_repaint_ms": round(median(timings), 2),
        "sparkline_first_paint_ms": round(median(first), 2),
        **split,
        "sparkline_rooms_painted": visible,
        "sparkline_samples_per_room": steps + 1,
        "sparkline_steps_per_room": points,
    }


if __name__ == "__main__":
    from bench.common import isolate_environment

    isolate_environment()
    from bench.harness import application

    application()
    print(json.dumps(measure()), flush=True)
