"""Counts over time: the series grows with polls, stays bounded, and downsampling keeps peaks."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from moderator.core.count_history import BUCKET_S, FINE_WINDOW_S, CountHistory, CountStore

T0 = 1_800_000_000.0  # a minute boundary
assert T0 % BUCKET_S == 0


def test_the_series_grows_with_polls_and_stats_add_up() -> None:
    history = CountHistory()
    for i in range(10):  # 10 people for 10 minutes, one poll every 6 s
        for j in range(10):
            history.record("RM1", "town-hall", T0 + i * 60 + j * 6, 10, 2)
    history.record("RM1", "town-hall", T0 + 600, 10, 2)
    stats = history.stats("RM1", T0, T0 + 600)
    assert stats.peak_participants == 10 and stats.peak_phones == 2
    assert abs(stats.average_participants - 10) < 1e-9
    assert abs(stats.person_minutes - 100) < 1e-6
    assert len(history.points("RM1", T0, T0 + 600)) == 101


def test_downsampling_keeps_a_spike_that_lasted_one_poll() -> None:
    history = CountHistory()
    for i in range(180):  # 3 h, one poll every minute
        count = 40 if i == 10 else 5
        history.record("RM1", "town-hall", T0 + i * 60 + 30, count, 0)
    now = T0 + 180 * 60
    old = [p for p in history.points("RM1", T0, now) if p.at < now - FINE_WINDOW_S]
    assert old, "beyond the hour the series is downsampled, not dropped"
    assert max(p.peak_participants for p in old) == 40
    assert history.stats("RM1", T0, now).peak_participants == 40


def test_the_series_is_bounded_in_time_and_size() -> None:
    history = CountHistory(retention_s=2 * 3600)
    for i in range(8 * 3600 // 5):  # 8 h of 5 s polls
        history.record("RM1", "town-hall", T0 + i * 5, i % 7, 0)
    # one hour of fine samples plus two hours of minutes, whatever the hours before
    assert history.sample_count() <= FINE_WINDOW_S / 5 + 1 + 2 * 60 + 2
    assert min(p.at for p in history.points("RM1", 0, T0 + 10**6)) >= T0 + 6 * 3600 - 2 * BUCKET_S


def test_a_gap_is_unknown_not_people_present() -> None:
    history = CountHistory()
    history.record("RM1", "r", T0, 10, 0)
    history.record("RM1", "r", T0 + 3600, 10, 0)  # offline for an hour
    assert history.stats("RM1", T0, T0 + 3600).person_minutes == 0


def test_late_samples_are_ignored_and_rooms_are_apart() -> None:
    history = CountHistory()
    history.record("RM1", "a", T0 + 10, 3, 0)
    history.record("RM1", "a", T0 + 5, 99, 0)
    history.record("RM2", "b", T0 + 10, 7, 1)
    assert [p.participants for p in history.points("RM1", T0, T0 + 60)] == [3]
    assert history.recent("RM2", 60, T0 + 20) == [(T0 + 10, 7)]
    assert history.name_of("RM2") == "b"


def test_export_csv_has_minutes_and_no_names(tmp_path: Path) -> None:
    history = CountHistory()
    for i in range(5):
        history.record("RM1", "town-hall", T0 + i * 30, i, 1)
    path = tmp_path / "counts.csv"
    assert history.export_csv("RM1", path) == 3
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("minute_utc,participants,peak_participants")
    assert "town-hall" not in path.read_text(encoding="utf-8")


def test_closed_minutes_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "counts.sqlite3"
    history = CountHistory(store=CountStore(path), retention_s=10**9)
    for i in range(30):
        history.record("RM1", "town-hall", T0 + i * 10, 12 if i == 3 else 4, 0)
    assert history.flush() >= 4
    reopened = CountHistory(store=CountStore(path, retention_s=10**9), retention_s=10**9)
    assert reopened.name_of("RM1") == "town-hall"
    assert reopened.stats("RM1", T0, T0 + 240).peak_participants == 12


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0.5, 90.0), st.integers(0, 50)), min_size=2, max_size=200))
def test_peaks_survive_any_poll_pattern(steps: list[tuple[float, int]]) -> None:
    history = CountHistory()
    at = T0
    for gap, count in steps:
        at += gap
        history.record("RM1", "r", at, count, 0)
    points = history.points("RM1", T0, at)
    assert max(p.peak_participants for p in points) == max(c for _g, c in steps)
    assert history.stats("RM1", T0, at).peak_participants == max(c for _g, c in steps)
