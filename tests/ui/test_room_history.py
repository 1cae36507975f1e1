"""Room history through a session on the sandbox: polls feed the series, alerts fire once,
and the dialog shows the chart, its numbers and exports them."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from moderator.core.capacity import AlertKind
from moderator.sandbox.server import SandboxServer
from moderator.ui.dialogs.room_history_dialog import RoomHistoryDialog
from tests.ui.session_fixtures import Harness, make_harness, sandbox_now

WAIT_MS = 10_000


def last_count(h: Harness, room_sid: str) -> int:
    points = h.session.room_watch.history.points(room_sid, 0, 1e12)
    return points[-1].participants if points else -1


def test_polls_grow_the_series_and_a_nearly_full_room_alerts_once(
    qtbot: QtBot, sandbox: SandboxServer
) -> None:
    world = sandbox.world
    room_sid = world.create_room("small-room", max_participants=5)
    h: Harness = make_harness(qtbot, sandbox)
    try:
        qtbot.waitUntil(lambda: h.room_names() == ["small-room"], timeout=WAIT_MS)
        h.session.select_room(room_sid)
        for i in range(5):
            world.join_app_participant("small-room", f"guest-{i}")
            sandbox.clock.advance(2)
            n = i + 1
            qtbot.waitUntil(lambda n=n: last_count(h, room_sid) == n, timeout=WAIT_MS)
        alerts = [e for e in h.events if e.kind == "capacity"]
        assert [e.text for e in alerts] == ["small-room is nearly full: 5 of 5 participants"]
        assert h.session.room_watch.alerts(room_sid) == {AlertKind.NEARLY_FULL}
        stats = h.session.room_watch.history.stats(room_sid, 0, 1e12)
        assert stats.peak_participants == 5
    finally:
        h.session.stop()


def test_the_dialog_charts_the_room_and_exports_it(
    qtbot: QtBot, sandbox: SandboxServer, tmp_path: Path
) -> None:
    world = sandbox.world
    room_sid = world.create_room("town-hall")
    for i in range(3):
        world.join_app_participant("town-hall", f"p{i}")
    h = make_harness(qtbot, sandbox)
    try:
        h.session.select_room(room_sid)
        history = h.session.room_watch.history
        qtbot.waitUntil(lambda: bool(history.points(room_sid, 0, 1e12)), timeout=WAIT_MS)
        for _ in range(3):
            sandbox.clock.advance(30)
            count = len(history.points(room_sid, 0, 1e12))
            qtbot.waitUntil(
                lambda count=count: len(history.points(room_sid, 0, 1e12)) > count,
                timeout=WAIT_MS,
            )
        dialog = RoomHistoryDialog(
            history,
            room_sid,
            "town-hall",
            50,
            now=lambda: sandbox_now(sandbox).timestamp(),
        )
        qtbot.addWidget(dialog)
        dialog.show()
        assert "Peak 3 participants" in dialog.stats.text()
        assert dialog.chart.summary() == "Now 3 participants, 0 by phone"
        assert dialog.chart.grab().width() > 0  # paints without errors
        assert dialog.export_to(str(tmp_path / "c.csv")) >= 1
        assert (tmp_path / "c.csv").read_text(encoding="utf-8").startswith("minute_utc")
    finally:
        h.session.stop()


def test_preferences_thresholds_reach_the_alerts(qtbot: QtBot, sandbox: SandboxServer) -> None:
    from moderator.core.settings import Settings

    h = make_harness(qtbot, sandbox)
    try:
        settings = Settings(alert_full_percent=60, alert_phones=10, alert_empty_minutes=3)
        h.session.apply_settings(settings)
        t = h.session.room_watch.capacity.thresholds
        assert (t.full_share, t.phones, t.empty_minutes) == (0.6, 10, 3.0)
    finally:
        h.session.stop()


def test_the_axes_read_in_round_numbers_and_round_times() -> None:
    from datetime import datetime

    from moderator.ui.dialogs.room_history_dialog import nice_step, time_ticks

    assert [nice_step(top) for top in (5, 12, 52, 62, 130, 4000)] == [2, 5, 20, 20, 50, 1000]
    since = datetime(2026, 12, 2, 8, 7).timestamp()
    ticks = time_ticks(since, since + 8 * 3600)
    assert [datetime.fromtimestamp(t).strftime("%H:%M") for t in ticks][:3] == [
        "09:00", "10:00", "11:00",
    ]  # fmt: skip
    assert len(ticks) == 8
    hour = time_ticks(since, since + 3600)
    assert [datetime.fromtimestamp(t).strftime("%H:%M") for t in hour] == [
        "08:15", "08:30", "08:45", "09:00",
    ]  # fmt: skip
