"""What the rooms table's sparkline and alert mark are made of: a room's last minutes as runs of
known counts (gaps stay gaps), and the alerts in force as the row says them."""

from __future__ import annotations

from datetime import UTC, datetime

from moderator.core.capacity import AlertKind, CapacityWatch, Thresholds
from moderator.core.count_history import MAX_GAP_S, CountHistory
from moderator.core.models import Room, RoomType
from moderator.core.room_watch import SLIDE_S, SPARKLINE_S, RoomWatch, SparklineFeed

SID = "RM" + "1" * 32
T0 = 1_800_000_000.0


def fed(samples: list[tuple[float, int]]) -> CountHistory:
    history = CountHistory()
    for at, p in samples:
        history.record(SID, "town-hall", T0 + at, p, 0)
    return history


def test_steps_keep_only_changes_and_hold_the_last_count_until_now() -> None:
    history = fed([(0, 3), (10, 3), (20, 5), (30, 5), (40, 4)])
    line = history.sparkline(SID, 600, T0 + 50)
    assert line.runs == ((
        (T0 + 0, 3), (T0 + 20, 5), (T0 + 40, 4), (T0 + 50, 4),
    ),)  # fmt: skip
    assert (line.low, line.high, line.current) == (3, 5, 4)
    assert line.version == T0 + 40
    assert history.last_at(SID) == T0 + 40


def test_the_sample_before_the_window_holds_into_it_from_its_start() -> None:
    history = fed([(0, 7), (100, 8)])
    line = history.sparkline(SID, 60, T0 + 120)  # window starts at 60: 7 held until 100
    assert line.runs == (((T0 + 60, 7), (T0 + 100, 8), (T0 + 120, 8)),)


def test_a_long_gap_splits_the_line_and_a_stale_tail_is_unknown() -> None:
    gap = MAX_GAP_S + 60
    history = fed([(0, 2), (10, 6), (10 + gap, 9)])
    line = history.sparkline(SID, 3600, T0 + 10 + gap + MAX_GAP_S + 1)
    assert line.runs == (
        ((T0 + 0, 2), (T0 + 10, 6), (T0 + 10, 6)),  # unknown after the second sample
        ((T0 + 10 + gap, 9), (T0 + 10 + gap, 9)),  # and after the last one, too long ago
    )
    assert line.current is None
    assert (line.low, line.high) == (2, 9)


def test_no_history_is_an_empty_sparkline() -> None:
    line = CountHistory().sparkline(SID, 60, T0)
    assert line.runs == () and line.version is None and line.low is None


def test_the_feed_version_moves_with_counts_and_with_time() -> None:
    history = fed([(0, 1)])
    now = [T0 + 1]
    feed = SparklineFeed(history, lambda: datetime.fromtimestamp(now[0], UTC))
    first = feed.version(SID)
    assert feed.version(SID) == first
    history.record(SID, "town-hall", T0 + 2, 2, 0)
    assert feed.version(SID) != first
    second = feed.version(SID)
    now[0] += SLIDE_S
    assert feed.version(SID) != second
    assert feed.sparkline(SID).until == now[0]
    assert feed.seconds == SPARKLINE_S


def room(max_participants: int = 10) -> Room:
    created = datetime.fromtimestamp(T0, UTC)
    return Room(SID, "town-hall", "in-progress", RoomType.GROUP, max_participants, created)


def test_marks_say_the_alerts_in_force_with_todays_numbers() -> None:
    watch = CapacityWatch(Thresholds(full_share=0.9, phones=30, empty_minutes=10))
    assert watch.marks(SID) == ()
    watch.update(SID, "r", participants=37, max_participants=40, phones=30, at=0)
    assert [m.text for m in watch.marks(SID)] == ["Nearly full: 37 of 40", "30 of 35 phone guests"]
    watch.update(SID, "r", participants=38, max_participants=40, phones=30, at=5)
    assert watch.marks(SID)[0].text == "Nearly full: 38 of 40"
    watch.update(SID, "r", participants=0, max_participants=40, phones=0, at=10)
    watch.update(SID, "r", participants=0, max_participants=40, phones=0, at=10 + 600)
    assert [(m.kind, m.text) for m in watch.marks(SID)] == [(AlertKind.EMPTY, "Empty for 10 min")]


def test_a_rearmed_alert_asks_for_the_rooms_row_to_repaint() -> None:
    now = [T0]
    watch = RoomWatch(lambda: datetime.fromtimestamp(now[0], UTC))
    assert watch.counted(room(), 9, 0).rooms  # crossing: event and repaint
    now[0] += 5
    assert not watch.counted(room(), 9, 0)  # still over: nothing new
    now[0] += 5
    assert not watch.counted(room(), 8, 0)  # within the hysteresis: still in force
    now[0] += 5
    changes = watch.counted(room(), 7, 0)
    assert changes.rooms and not changes.events  # re-armed: the mark leaves the row
    assert watch.marks(SID) == ()
