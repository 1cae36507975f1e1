"""How many people each room had over time: participants and phone guests, bounded in memory.

Every participants poll already counts a room; `CountHistory.record` keeps those counts as a
step function per room. The last hour keeps every sample (what a 1 h chart or a sparkline
shows); everything is also folded into one-minute buckets that keep the minute's *peak* (so
downsampling never hides a spike), its last value and the area under the curve (person-seconds,
for averages and person-minutes). Buckets older than `retention_s` are dropped, so a day of 50
rooms stays a few megabytes. A gap longer than `MAX_GAP_S` between two samples (the app was
offline, the room was not polled) counts as unknown, not as people present.

`CountStore` keeps closed buckets in SQLite for a real profile, so a restart keeps the history;
the sandbox's history lives in memory only. Qt-free, clock-free: times are epoch seconds given
by the caller.
"""

from __future__ import annotations

import csv
import math
import sqlite3
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

__all__ = [
    "BUCKET_S",
    "FINE_WINDOW_S",
    "CountHistory",
    "CountPoint",
    "CountStats",
    "CountStore",
    "Sparkline",
]

FINE_WINDOW_S = 3600.0
BUCKET_S = 60.0
MAX_GAP_S = 180.0
DEFAULT_RETENTION_S = 24 * 3600.0
STORE_SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class CountPoint:
    """One point of a chart: the value at `at` and the peak over the span it stands for."""

    at: float
    participants: int
    phones: int
    peak_participants: int
    peak_phones: int


@dataclass(frozen=True, slots=True)
class CountStats:
    """A room's history over a range, in the numbers a host asks for."""

    peak_participants: int
    peak_phones: int
    average_participants: float
    person_minutes: float
    covered_s: float


@dataclass(frozen=True, slots=True)
class Sparkline:
    """A room's participants over `[since, until]` as a step function, for a sparkline.

    Each run is a stretch where the count is known: `(time, participants)` where the count
    changes, the value holding until the next entry; the run's last entry closes it (the last
    value, at the time it stops being known). Between runs the count is unknown (a gap longer
    than `MAX_GAP_S`), which a drawing must not show as zero. `version` is the time of the
    room's newest sample: equal versions and windows mean the same picture.
    """

    since: float
    until: float
    runs: tuple[tuple[tuple[float, int], ...], ...]
    version: float | None

    @property
    def low(self) -> int | None:
        return min((p for run in self.runs for _t, p in run), default=None)

    @property
    def high(self) -> int | None:
        return max((p for run in self.runs for _t, p in run), default=None)

    @property
    def current(self) -> int | None:
        """The count at `until`, if known then."""
        if not self.runs or self.runs[-1][-1][0] < self.until:
            return None
        return self.runs[-1][-1][1]


@dataclass(slots=True)
class _Bucket:
    start: float
    peak_p: int = 0
    peak_ph: int = 0
    last_p: int = 0
    last_ph: int = 0
    area_p: float = 0.0
    area_ph: float = 0.0
    covered_s: float = 0.0


@dataclass(slots=True)
class _Series:
    name: str
    fine: deque[tuple[float, int, int]] = field(default_factory=deque)
    buckets: dict[float, _Bucket] = field(default_factory=dict)
    last: tuple[float, int, int] | None = None
    current: float | None = None  # start of the minute still open


def _bucket_start(at: float) -> float:
    return math.floor(at / BUCKET_S) * BUCKET_S


class CountHistory:
    """Counts per room over time; see the module docstring."""

    def __init__(
        self, *, retention_s: float = DEFAULT_RETENTION_S, store: CountStore | None = None
    ) -> None:
        self._retention_s = retention_s
        self._series: dict[str, _Series] = {}
        self._store = store
        self._closed: list[tuple[str, str, _Bucket]] = []
        if store is not None:
            for room_sid, name, bucket in store.load():
                series = self._series.setdefault(room_sid, _Series(name))
                series.buckets[bucket.start] = bucket

    # -- writing ----------------------------------------------------------------------------

    def record(
        self, room_sid: str, room_name: str, at: float, participants: int, phones: int
    ) -> None:
        """A count of a room at `at`; samples older than the room's last one are ignored."""
        series = self._series.setdefault(room_sid, _Series(room_name))
        series.name = room_name or series.name
        last = series.last
        if last is not None and at < last[0]:
            return
        if last is not None and at - last[0] <= MAX_GAP_S:
            self._spread(series, last[0], at, last[1], last[2])
        bucket = self._bucket(series, at)
        bucket.peak_p = max(bucket.peak_p, participants)
        bucket.peak_ph = max(bucket.peak_ph, phones)
        bucket.last_p, bucket.last_ph = participants, phones
        series.last = (at, participants, phones)
        series.fine.append(series.last)
        while series.fine and series.fine[0][0] < at - FINE_WINDOW_S:
            series.fine.popleft()
        self._prune(series, room_sid, at)

    def _spread(self, series: _Series, start: float, end: float, p: int, ph: int) -> None:
        """The value held from `start` to `end`, added to the area of the minutes it spans."""
        t = start
        while t < end:
            bucket = self._bucket(series, t)
            until = min(end, bucket.start + BUCKET_S)
            span = until - t
            bucket.area_p += p * span
            bucket.area_ph += ph * span
            bucket.covered_s += span
            bucket.peak_p = max(bucket.peak_p, p)
            bucket.peak_ph = max(bucket.peak_ph, ph)
            t = until

    def _bucket(self, series: _Series, at: float) -> _Bucket:
        start = _bucket_start(at)
        bucket = series.buckets.get(start)
        if bucket is None:
            bucket = series.buckets[start] = _Bucket(start)
        return bucket

    def _prune(self, series: _Series, room_sid: str, now: float) -> None:
        oldest = now - self._retention_s
        current = _bucket_start(now)
        for start in [s for s in series.buckets if s < oldest]:
            del series.buckets[start]
        if self._store is not None and series.current is not None and current > series.current:
            for start, bucket in series.buckets.items():  # the minutes that closed just now
                if series.current <= start < current:
                    self._closed.append((room_sid, series.name, bucket))
        series.current = current

    def flush(self) -> int:
        """Write the minutes that closed since the last flush to the store; returns how many."""
        if self._store is None or not self._closed:
            return 0
        closed, self._closed = self._closed, []
        unique = {(sid, bucket.start): (sid, name, bucket) for sid, name, bucket in closed}
        self._store.save(unique.values())
        return len(unique)

    # -- reading ----------------------------------------------------------------------------

    def rooms(self) -> list[str]:
        return list(self._series)

    def name_of(self, room_sid: str) -> str:
        series = self._series.get(room_sid)
        return series.name if series is not None else ""

    def points(self, room_sid: str, since: float, until: float) -> list[CountPoint]:
        """The chart of `[since, until]`: every sample within the last hour, minute buckets
        (value at the minute's end, its peak) before that."""
        series = self._series.get(room_sid)
        if series is None:
            return []
        fine_from = series.fine[0][0] if series.fine else math.inf
        points = [
            CountPoint(b.start + BUCKET_S, b.last_p, b.last_ph, b.peak_p, b.peak_ph)
            for start, b in sorted(series.buckets.items())
            if since - BUCKET_S <= start and start + BUCKET_S <= min(until, fine_from)
        ]
        points += [
            CountPoint(at, p, ph, p, ph) for at, p, ph in series.fine if since <= at <= until
        ]
        return points

    def recent(self, room_sid: str, seconds: float, now: float) -> list[tuple[float, int]]:
        """(time, participants) of the last `seconds`: what a sparkline draws."""
        series = self._series.get(room_sid)
        if series is None:
            return []
        return [(at, p) for at, p, _ph in series.fine if at >= now - seconds]

    def last_at(self, room_sid: str) -> float | None:
        """When the room was last counted: a sparkline's version, O(1)."""
        series = self._series.get(room_sid)
        return series.last[0] if series is not None and series.last is not None else None

    def sparkline(self, room_sid: str, seconds: float, now: float) -> Sparkline:
        """The last `seconds` before `now` as runs of known counts (see `Sparkline`).

        Walks back from the newest sample only as far as the window (and the one sample before
        it, whose value holds into the window), so a sparkline costs what it shows.
        """
        since = now - seconds
        series = self._series.get(room_sid)
        if series is None or not series.fine:
            return Sparkline(since, now, (), None)
        window: list[tuple[float, int]] = []
        for at, p, _ph in reversed(series.fine):
            if at > now:
                continue
            window.append((at, p))
            if at < since:
                break
        if not window:
            return Sparkline(since, now, (), series.last[0] if series.last else None)
        window.reverse()
        runs: list[tuple[tuple[float, int], ...]] = []
        run: list[tuple[float, int]] = []
        last_at, last_p = window[0]
        for at, p in window:
            if run and at - last_at > MAX_GAP_S:  # unknown since the last sample: close the run
                run.append((last_at, last_p))
                runs.append(tuple(run))
                run = []
            if not run:
                run.append((since if at < since else at, p))
            elif p != last_p:
                run.append((at, p))
            last_at, last_p = at, p
        run.append((now if now - last_at <= MAX_GAP_S else last_at, last_p))
        runs.append(tuple(run))
        if runs[0][-1][0] < since:  # the sample before the window no longer held at its start
            runs.pop(0)
        return Sparkline(since, now, tuple(runs), series.last[0] if series.last else None)

    def stats(self, room_sid: str, since: float, until: float) -> CountStats:
        """Peak, average and person-minutes of a room over `[since, until]` (whole minutes)."""
        series = self._series.get(room_sid)
        buckets = [
            b
            for start, b in (series.buckets.items() if series is not None else ())
            if since - BUCKET_S < start <= until
        ]
        covered = sum(b.covered_s for b in buckets)
        area = sum(b.area_p for b in buckets)
        return CountStats(
            peak_participants=max((b.peak_p for b in buckets), default=0),
            peak_phones=max((b.peak_ph for b in buckets), default=0),
            average_participants=area / covered if covered else 0.0,
            person_minutes=area / 60.0,
            covered_s=covered,
        )

    def export_csv(self, room_sid: str, path: Path) -> int:
        """The room's minutes as CSV (UTC times, counts only: no names, no numbers)."""
        series = self._series.get(room_sid)
        rows = sorted(series.buckets.values(), key=lambda b: b.start) if series else []
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(
                (
                    "minute_utc",
                    "participants",
                    "peak_participants",
                    "phone_guests",
                    "peak_phone_guests",
                    "average_participants",
                )
            )
            for b in rows:
                average = b.area_p / b.covered_s if b.covered_s else float(b.last_p)
                writer.writerow(
                    (
                        datetime.fromtimestamp(b.start, UTC).isoformat(),
                        b.last_p,
                        b.peak_p,
                        b.last_ph,
                        b.peak_ph,
                        f"{average:.2f}",
                    )
                )
        return len(rows)

    def sample_count(self) -> int:
        """Samples and buckets held, for the memory benchmark."""
        return sum(len(s.fine) + len(s.buckets) for s in self._series.values())


_SCHEMA = """
CREATE TABLE IF NOT EXISTS count_minutes (
    room_sid  TEXT NOT NULL,
    room_name TEXT NOT NULL,
    start     REAL NOT NULL,
    peak_p    INTEGER NOT NULL,
    peak_ph   INTEGER NOT NULL,
    last_p    INTEGER NOT NULL,
    last_ph   INTEGER NOT NULL,
    area_p    REAL NOT NULL,
    area_ph   REAL NOT NULL,
    covered_s REAL NOT NULL,
    PRIMARY KEY (room_sid, start)
)
"""


class CountStore:
    """Closed minutes in SQLite, kept `retention_s` (a real profile's history across restarts)."""

    def __init__(self, path: Path | str, *, retention_s: float = 7 * 24 * 3600.0) -> None:
        self._retention_s = retention_s
        self._lock = threading.Lock()
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        (version,) = self._db.execute("PRAGMA user_version").fetchone()
        if version > STORE_SCHEMA_VERSION:
            self._db.close()
            raise sqlite3.DatabaseError(
                f"The count history {path} was written by a newer Room Moderator; update the app."
            )
        self._db.execute(_SCHEMA)
        self._db.execute(f"PRAGMA user_version={STORE_SCHEMA_VERSION}")

    def load(self, now: float | None = None) -> Iterator[tuple[str, str, _Bucket]]:
        oldest = (now if now is not None else datetime.now(UTC).timestamp()) - self._retention_s
        with self._lock:
            rows = self._db.execute(
                "SELECT room_sid, room_name, start, peak_p, peak_ph, last_p, last_ph, area_p,"
                " area_ph, covered_s FROM count_minutes WHERE start >= ? ORDER BY start",
                (oldest,),
            ).fetchall()
        for room_sid, name, start, *values in rows:
            bucket = _Bucket(float(start), *values)
            yield str(room_sid), str(name), bucket

    def save(self, buckets: Iterable[tuple[str, str, _Bucket]]) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT OR REPLACE INTO count_minutes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        sid,
                        name,
                        b.start,
                        b.peak_p,
                        b.peak_ph,
                        b.last_p,
                        b.last_ph,
                        b.area_p,
                        b.area_ph,
                        b.covered_s,
                    )
                    for sid, name, b in buckets
                ],
            )
            oldest = datetime.now(UTC).timestamp() - self._retention_s
            self._db.execute("DELETE FROM count_minutes WHERE start < ?", (oldest,))
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()
