"""What to poll next, inside a fixed read budget, whatever the number of rooms.

Twilio allows 80 reads/s per account, shared with the host's other tools, and the app must stay
well below that with 1 room or 50. So polling is planned, not looped: each tick the planner picks
the jobs that are due, most important first, and spends read tokens on them from a bucket that
refills at `max_reads_per_s`. What does not fit waits; what matters most (the rooms list, the
selected room, calls that are ringing) is always first in line. Other rooms' counts are refreshed
round-robin from their own small allowance, so more rooms make counts older, not reads more.

Qt-free and clock-free so the budget can be proven exactly in tests with simulated time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

__all__ = [
    "CALLS_KEY",
    "ROOMS_KEY",
    "JobKind",
    "LiveCall",
    "PollContext",
    "PollJob",
    "PollPlanner",
    "PollSettings",
    "TokenBucket",
    "call_key",
    "lobby_key",
    "participants_key",
    "recording_rules_key",
    "rules_key",
    "tracks_key",
]

ROOMS_KEY = "rooms"
CALLS_KEY = "calls:live"


def participants_key(room_sid: str) -> str:
    return f"participants:{room_sid}"


def tracks_key(participant_sid: str) -> str:
    return f"tracks:{participant_sid}"


def call_key(call_sid: str) -> str:
    return f"call:{call_sid}"


def lobby_key(number: str) -> str:
    return f"lobby:{number}"


def recording_rules_key(room_sid: str) -> str:
    return f"recording-rules:{room_sid}"


def rules_key(participant_sid: str) -> str:
    return f"rules:{participant_sid}"


@dataclass(frozen=True, slots=True)
class PollSettings:
    """Intervals (seconds) and budgets (reads per second); see the module docstring."""

    rooms_interval_s: float = 3.0
    selected_interval_s: float = 1.0
    #: Calls still queued/ringing/joining: the host is watching these.
    live_call_interval_s: float = 1.0
    #: Calls of guests already seen in the room: their leaving shows up in the roster first.
    settled_call_interval_s: float = 6.0
    #: From this many calls under way, list ringing and in-progress calls (2 reads for all of
    #: them) instead of fetching each call (1 read each); calls missing from the lists (just
    #: queued, or ended) are fetched on their own.
    batch_calls_from: int = 4
    #: Unselected rooms where the app has a phone guest in progress.
    guest_room_interval_s: float = 3.0
    #: Other rooms' participant counts: each is refreshed this often at best…
    other_rooms_interval_s: float = 15.0
    #: …and all of them together never cost more than this (round-robin, stalest first).
    counts_per_s: float = 1.5
    #: Re-reading the published tracks of participants already known, one at a time.
    track_refresh_per_s: float = 0.5
    track_refresh_min_age_s: float = 20.0
    #: Each dial-in number's in-progress calls (the lobby): a caller shows within ~2 s.
    lobby_interval_s: float = 1.5
    #: Recording rules (REC, read back from Twilio): the selected group room's this often…
    selected_rules_interval_s: float = 10.0
    #: …each other group room's at best this often (a room never read goes first), and all
    #: of them together within `rules_per_s`.
    other_rules_interval_s: float = 120.0
    rules_per_s: float = 0.5
    #: Re-reading the selected room's subscribe rules already known (another app's mutes),
    #: one at a time from this allowance, each at most this often.
    rules_refresh_per_s: float = 0.5
    rules_refresh_min_age_s: float = 15.0
    #: Hard ceiling on all polling reads; actions (dial, remove…) are not counted.
    max_reads_per_s: float = 6.0
    #: Reads allowed in one burst (e.g. tracks of a room just selected).
    burst: float = 6.0
    tick_s: float = 0.2

    @classmethod
    def from_settings(cls, settings: Any, base: PollSettings | None = None) -> PollSettings:
        """The planner's settings from the app's `Settings` (the three refresh intervals); the
        rest (budgets, tick) from `base`, or the defaults."""
        selected = float(settings.selected_room_refresh_s)
        return replace(
            base if base is not None else cls(),
            rooms_interval_s=float(settings.rooms_refresh_s),
            selected_interval_s=selected,
            live_call_interval_s=selected,
            other_rooms_interval_s=float(settings.other_rooms_refresh_s),
        )

    def __post_init__(self) -> None:
        for name in ("rooms_interval_s", "selected_interval_s", "max_reads_per_s", "tick_s"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")


class JobKind(StrEnum):
    ROOMS = "rooms"
    PARTICIPANTS = "participants"  # a room's connected participants (selected room, or a count)
    TRACKS = "tracks"
    CALL = "call"
    CALLS = "calls"  # the account's ringing and in-progress calls, in one job
    LOBBY = "lobby"  # in-progress calls to one dial-in number (`target`): callers on hold
    RECORDING_RULES = "recording-rules"  # a group room's recording rules: is it recording
    RULES = "rules"  # one participant's (`target`) subscribe rules in the selected room


@dataclass(frozen=True, slots=True)
class PollJob:
    """One read to start; `key` doubles as the TaskRunner key, so a job is never doubled."""

    kind: JobKind
    key: str
    room_sid: str | None = None
    target: str | None = None  # participant SID or call SID
    cost: float = 1.0
    purpose: str = ""  # "selected", "guests", "count", "new", "refresh", "live", "settled"

    @classmethod
    def participants(cls, room_sid: str, purpose: str) -> PollJob:
        """Read a room's connected participants."""
        return cls(JobKind.PARTICIPANTS, participants_key(room_sid), room_sid, purpose=purpose)

    @classmethod
    def tracks(cls, room_sid: str, participant_sid: str, purpose: str) -> PollJob:
        """Read one participant's published tracks."""
        return cls(
            JobKind.TRACKS, tracks_key(participant_sid), room_sid, participant_sid, purpose=purpose
        )

    @classmethod
    def call(cls, call_sid: str, purpose: str) -> PollJob:
        """Fetch one call."""
        return cls(JobKind.CALL, call_key(call_sid), target=call_sid, purpose=purpose)


@dataclass(slots=True)
class TokenBucket:
    """Classic token bucket: `rate` tokens per second, holding at most `capacity`."""

    rate: float
    capacity: float
    tokens: float = 0.0
    updated: float | None = None

    def refill(self, now: float) -> None:
        if self.updated is None:
            self.tokens = self.capacity
        else:
            elapsed = max(0.0, now - self.updated)
            self.tokens = min(self.capacity, self.tokens + elapsed * self.rate)
        self.updated = now

    def has(self, cost: float) -> bool:
        return self.tokens + 1e-9 >= cost

    def take(self, cost: float) -> None:
        self.tokens -= cost


@dataclass(frozen=True, slots=True)
class LiveCall:
    """A call of the app's to keep an eye on; `settled` once its guest is in the room."""

    call_sid: str
    settled: bool
    #: Missing from the last batch listing (it probably ended): fetch it on its own, now.
    fetch: bool = False


@dataclass(slots=True)
class PollContext:
    """What the session knows right now; built cheaply once per tick that has tokens."""

    room_sids: Sequence[str] = ()
    selected_room: str | None = None
    guest_rooms: Iterable[str] = ()  # rooms (other than the selected one) with live phone guests
    live_calls: Iterable[LiveCall] = ()
    #: Participants of the selected room whose tracks were never read.
    tracks_missing: Callable[[], Iterable[str]] = field(default=lambda: ())
    #: Participants of the selected room with cached tracks: (participant SID, read at).
    tracks_cached: Callable[[], Iterable[tuple[str, float]]] = field(default=lambda: ())
    rooms_pages: int = 1  # pages the rooms list took last time
    lobby_numbers: Sequence[str] = ()  # dial-in numbers whose callers on hold to list
    recording_rooms: Sequence[str] = ()  # group rooms whose recording rules tell REC
    #: Selected room's participants whose subscribe rules are not known yet (mute state).
    rules_unread: Callable[[], Iterable[str]] = field(default=lambda: ())
    #: Selected room's participants whose rules are known: re-read slowly, stalest first.
    rules_known: Callable[[], Iterable[str]] = field(default=lambda: ())


class PollPlanner:
    """Decides which reads to start now; the caller starts them and reports outcomes."""

    def __init__(self, settings: PollSettings | None = None) -> None:
        self.settings = settings or PollSettings()
        s = self.settings
        # Room for one read plus what one tick adds, so refills are never capped away.
        self._bucket = TokenBucket(s.max_reads_per_s, max(1.0, s.burst))
        self._counts = TokenBucket(s.counts_per_s, 1.0 + s.counts_per_s * s.tick_s)
        self._track_refresh = TokenBucket(
            s.track_refresh_per_s, 1.0 + s.track_refresh_per_s * s.tick_s
        )
        self._rules = TokenBucket(s.rules_per_s, 1.0 + s.rules_per_s * s.tick_s)
        self._rules_refresh = TokenBucket(
            s.rules_refresh_per_s, 1.0 + s.rules_refresh_per_s * s.tick_s
        )
        self._last_start: dict[str, float] = {}
        self._last_count: dict[str, float] = {}
        self.reads_started = 0.0

    # -- bookkeeping --------------------------------------------------------------------------

    def request_now(self, *keys: str) -> None:
        """Make these jobs due at the next tick (refresh clicked, an action just changed things)."""
        self.forget(keys)

    def forget(self, keys: Iterable[str]) -> None:
        """Drop history of things that are gone (ended rooms, left participants)."""
        for key in keys:
            self._last_start.pop(key, None)

    def forget_room(self, room_sid: str) -> None:
        self._last_count.pop(room_sid, None)
        self._last_start.pop(participants_key(room_sid), None)

    def last_started(self, key: str) -> float | None:
        return self._last_start.get(key)

    def _due(self, key: str, interval: float, now: float) -> bool:
        last = self._last_start.get(key)
        return last is None or now - last >= interval - 1e-6

    # -- planning -----------------------------------------------------------------------------

    def plan(
        self,
        now: float,
        context: PollContext,
        in_flight: Callable[[str], bool],
        *,
        probe_only: bool = False,
    ) -> list[PollJob]:
        """The jobs to start now, most important first, already charged to the budget.

        `probe_only` (while backing off after failures) plans just the rooms list: one request
        tells whether Twilio is back, instead of a burst that fails all at once.
        """
        s = self.settings
        self._bucket.refill(now)
        self._counts.refill(now)
        self._track_refresh.refill(now)
        self._rules.refill(now)
        self._rules_refresh.refill(now)
        jobs: list[PollJob] = []
        planned: set[str] = set()
        blocked = False  # a due job could not be afforded: nothing less important may jump it

        def consider(job: PollJob, interval: float | None) -> bool:
            nonlocal blocked
            if job.key in planned or in_flight(job.key):
                return False
            if interval is not None and not self._due(job.key, interval, now):
                return False
            if blocked:
                return False
            if not self._bucket.has(job.cost):
                blocked = True
                return False
            self._bucket.take(job.cost)
            self._last_start[job.key] = now
            self.reads_started += job.cost
            planned.add(job.key)
            jobs.append(job)
            return True

        rooms_job = PollJob(JobKind.ROOMS, ROOMS_KEY, cost=float(max(1, context.rooms_pages)))
        if probe_only:
            consider(rooms_job, None)
            return jobs

        # 1. The rooms list: everything else hangs off it.
        consider(rooms_job, s.rooms_interval_s)

        # 2. The selected room's participants: what the host is looking at.
        selected = context.selected_room
        if selected is not None:
            consider(PollJob.participants(selected, "selected"), s.selected_interval_s)

        # 2b. Callers on hold: someone is waiting on the phone for a host.
        for number in context.lobby_numbers:
            consider(
                PollJob(JobKind.LOBBY, lobby_key(number), target=number, purpose="lobby"),
                s.lobby_interval_s,
            )

        # 3. The app's calls that are still ringing or joining, then settled ones.
        live = list(context.live_calls)
        settled = [call for call in live if call.settled]
        batch = sum(1 for call in live if not call.settled) >= s.batch_calls_from
        if batch:
            consider(
                PollJob(JobKind.CALLS, CALLS_KEY, cost=2.0, purpose="batch"),
                s.live_call_interval_s,
            )
            settled = []  # in-progress calls are in the batch's listing too
        for call in live:
            if batch and not call.fetch:
                continue
            if call.settled and not call.fetch:
                continue
            consider(
                PollJob.call(call.call_sid, "missing" if call.fetch else "live"),
                None if call.fetch else s.live_call_interval_s,
            )

        # 4. Tracks of participants just seen in the selected room (one read each).
        if selected is not None:
            for participant_sid in context.tracks_missing():
                if not self._bucket.has(1.0):
                    break
                consider(PollJob.tracks(selected, participant_sid, "new"), None)

        # 4b. Subscribe rules not read yet (the mute state of the room the host looks at).
        if selected is not None:
            for participant_sid in context.rules_unread():
                if not self._bucket.has(1.0):
                    break
                consider(self._rules_job(selected, participant_sid, "new"), None)

        # 5. Other rooms where a phone guest of ours is on its way in or in the room.
        for room_sid in context.guest_rooms:
            if room_sid == selected:
                continue
            if consider(PollJob.participants(room_sid, "guests"), s.guest_room_interval_s):
                self._last_count[room_sid] = now

        for call in settled:
            consider(PollJob.call(call.call_sid, "settled"), s.settled_call_interval_s)

        # 6. Round-robin counts of the other rooms, from their own allowance.
        if self._counts.has(1.0) and self._bucket.has(1.0):
            stalest_room = self._stalest_room(
                context.room_sids, selected, planned, in_flight, now - s.other_rooms_interval_s
            )
            if stalest_room is not None and consider(
                PollJob.participants(stalest_room, "count"), None
            ):
                self._counts.take(1.0)
                self._last_count[stalest_room] = now

        # 7. Slow refresh of tracks already known (muting, unpublishing), one at a time.
        if selected is not None and self._track_refresh.has(1.0) and self._bucket.has(1.0):
            stalest: tuple[str, float] | None = None
            for participant_sid, read_at in context.tracks_cached():
                if now - read_at < s.track_refresh_min_age_s:
                    continue
                if stalest is None or read_at < stalest[1]:
                    stalest = (participant_sid, read_at)
            if stalest is not None and consider(
                PollJob.tracks(selected, stalest[0], "refresh"), None
            ):
                self._track_refresh.take(1.0)

        # 8. Recording rules (REC): the selected room's, then one other room's, stalest first.
        self._plan_recording_rules(context, selected, consider)

        # 9. Slow re-read of rules already known: another copy of the app may have changed them.
        if selected is not None and self._rules_refresh.has(1.0) and self._bucket.has(1.0):
            oldest: tuple[str, float] | None = None
            for participant_sid in context.rules_known():
                read_at = self._last_start.get(rules_key(participant_sid), -math.inf)
                if now - read_at < s.rules_refresh_min_age_s:
                    continue
                if oldest is None or read_at < oldest[1]:
                    oldest = (participant_sid, read_at)
            if oldest is not None and consider(
                self._rules_job(selected, oldest[0], "refresh"), None
            ):
                self._rules_refresh.take(1.0)
        return jobs

    def _plan_recording_rules(
        self,
        context: PollContext,
        selected: str | None,
        consider: Callable[[PollJob, float | None], bool],
    ) -> None:
        s = self.settings
        rooms = list(context.recording_rooms)
        if selected in rooms:
            job = PollJob(
                JobKind.RECORDING_RULES, recording_rules_key(selected), selected, purpose="selected"
            )
            consider(job, s.selected_rules_interval_s)
        if not self._rules.has(1.0) or not self._bucket.has(1.0):
            return
        others = sorted(
            (room for room in rooms if room != selected),
            key=lambda room: self._last_start.get(recording_rules_key(room), -math.inf),
        )
        for room in others:
            job = PollJob(JobKind.RECORDING_RULES, recording_rules_key(room), room, purpose="rec")
            if consider(job, s.other_rules_interval_s):
                self._rules.take(1.0)
                return

    @staticmethod
    def _rules_job(room_sid: str, participant_sid: str, purpose: str) -> PollJob:
        return PollJob(
            JobKind.RULES, rules_key(participant_sid), room_sid, participant_sid, purpose=purpose
        )

    def _stalest_room(
        self,
        room_sids: Sequence[str],
        selected: str | None,
        planned: set[str],
        in_flight: Callable[[str], bool],
        counted_before: float,
    ) -> str | None:
        """The room counted longest ago, if that was before `counted_before`."""
        best: str | None = None
        best_at = math.inf
        for room_sid in room_sids:
            if room_sid == selected:
                continue
            last = self._last_count.get(room_sid, -math.inf)
            if last <= counted_before and last < best_at:
                key = participants_key(room_sid)
                if key in planned or in_flight(key):
                    continue
                best, best_at = room_sid, last
        return best

    def counted(self, room_sid: str, now: float) -> None:
        """A room's participants were read for another reason: its count is fresh too."""
        self._last_count[room_sid] = now
