"""Co-hosting's decisions: what to write to the shared Maps, what to read, and when.

The session's `CoHostDesk` runs the requests this asks for and hands the answers back; this
object never blocks and holds no Qt. It keeps:

- the **outbox**: for each item, the fields this app still wants on it (coalesced: two changes of
  one guest before the first is written make one write). An entry leaves the outbox only once
  Sync confirmed exactly those fields, so nothing the host did is lost while Sync is down; when
  Sync answers again the outbox drains by itself (catching up).
- the **schedule**: the guests Map listed every `READ_GUESTS_S` (one read per 100 items, each
  charged), the hosts Map every `READ_HOSTS_S`, the heartbeat every `HEARTBEAT_EVERY_S`, and
  the calls of guests whose host vanished (their app crashed) followed every `ORPHAN_CALL_S`,
  all together within `MAX_READS_PER_S`, so the app's total stays under 10 reads/s beside its
  polls (6/s). Writes are held to `WRITES_PER_S`, under Sync's 20 writes/s per object.
- the **state**: on; paused (Sync unreachable, retried with backoff); off (this key may not use
  Sync, retried slowly in case it is granted). Never an error dialog: one status line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from moderator.core.errors import ErrorKind, TwilioError
from moderator.core.guest_state import GuestStatus, PhoneGuest
from moderator.core.models import Call, CallStatus
from moderator.core.poller import TokenBucket
from moderator.core.presence import HEARTBEAT_EVERY_S, Presence
from moderator.core.shared_guests import (
    ENDED_TTL_S,
    LIVE_TTL_S,
    SharedGuest,
    SharedGuestBook,
    guest_fields,
    number_tag,
)
from moderator.core.shared_writes import SharedMaps
from moderator.core.sync_gateway import PAGE_SIZE, SyncItem

__all__ = ["CoHosting", "SharingState", "Write"]

READ_GUESTS_S = 1.0
READ_HOSTS_S = 5.0
ORPHAN_CALL_S = 3.0
MAX_READS_PER_S = 2.5
WRITES_PER_S = 10.0
BACKOFF_S = (2.0, 5.0, 10.0, 20.0, 40.0, 60.0)
DENIED_RETRY_S = 60.0

GUESTS_READ = "sync:guests"
HOSTS_READ = "sync:hosts"
HEARTBEAT = "sync:heartbeat"


class SharingState(StrEnum):
    STARTING = "starting"
    ON = "on"
    PAUSED = "paused"  # Sync did not answer: retried with backoff, the outbox kept
    OFF = "off"  # this key may not use Sync (or the Service cannot be made): retried slowly


@dataclass(frozen=True, slots=True)
class Write:
    """One write to start: merge `fields` onto item `key` (see `shared_writes.write_fields`)."""

    key: str
    fields: dict[str, Any]
    ttl_s: int | None
    create: bool
    known: SyncItem | None


@dataclass(slots=True)
class _Pending:
    fields: dict[str, Any]
    ttl_s: int | None
    create: bool
    due: float = 0.0


_CALL_ENDINGS = {
    CallStatus.BUSY: GuestStatus.BUSY,
    CallStatus.NO_ANSWER: GuestStatus.NO_ANSWER,
    CallStatus.FAILED: GuestStatus.FAILED,
    CallStatus.CANCELED: GuestStatus.CANCELED,
}


@dataclass
class CoHosting:
    """See the module docstring. `host_id` is this app run's; `name` the host's display name."""

    host_id: str
    name: str
    started: datetime
    book: SharedGuestBook = field(init=False)
    presence: Presence = field(init=False)
    maps: SharedMaps | None = None
    state: SharingState = SharingState.STARTING
    problem: str = ""
    _pending: dict[str, _Pending] = field(default_factory=dict)
    _in_flight: set[str] = field(default_factory=set)
    _published: dict[str, dict[str, Any]] = field(default_factory=dict)
    _last: dict[str, float] = field(default_factory=dict)
    _retry_at: float = 0.0
    _failures: int = 0
    #: Counts the host's "try again": an answer to a request started before the latest one is
    #: stale (a refusal sent while the key was revoked must not undo the retry after restoring).
    epoch: int = 0
    _writes: TokenBucket = field(default_factory=lambda: TokenBucket(WRITES_PER_S, 2.0))
    _reads: TokenBucket = field(default_factory=lambda: TokenBucket(MAX_READS_PER_S, 2.0))
    _guest_pages: int = 1  # what the last guests listing cost: the next one likely costs as much

    def __post_init__(self) -> None:
        self.book = SharedGuestBook(self.host_id)
        self.presence = Presence(self.host_id, self.name, self.started)

    # -- setting up -----------------------------------------------------------------------

    def setup_due(self, now: float) -> bool:
        """Whether to (re)try finding the Service and its Maps now."""
        return self.maps is None and now >= self._retry_at and "setup" not in self._in_flight

    def setting_up(self) -> None:
        self._in_flight.add("setup")

    def ready(self, maps: SharedMaps) -> None:
        self._in_flight.discard("setup")
        self.maps = maps
        self._recovered()

    def setup_failed(self, error: TwilioError, now: float, epoch: int | None = None) -> str:
        self._in_flight.discard("setup")
        return self._trouble(error, now, epoch)

    def tag(self, room_sid: str, number: str) -> str:
        """The number tag for (room, number), or "" before the Maps are known."""
        if self.maps is None or not number:
            return ""
        return number_tag(self.maps.service_sid, room_sid, number)

    # -- what this app changed ------------------------------------------------------------

    def publish(self, guests: Iterable[PhoneGuest]) -> int:
        """This app's guests as they stand: queue the owner fields that differ from what was
        last queued. The latest dial of each identity speaks for it (a redial reuses it)."""
        latest: dict[str, PhoneGuest] = {}
        for guest in guests:
            latest[guest.identity] = guest
        queued = 0
        for identity, guest in latest.items():
            tag = self.tag(guest.room_sid, guest.number or "")
            previous = self._published.get(identity)
            if not tag and previous is not None:
                tag = str(previous.get("tag", ""))
            fields = guest_fields(guest, by=self.name, host_id=self.host_id, tag=tag)
            if not tag:  # the number is not known since a restart: keep the item's tag
                del fields["tag"]
            if fields == previous:
                continue
            self._published[identity] = fields
            ttl = ENDED_TTL_S if guest.status.is_final else LIVE_TTL_S
            self._want(identity, fields, ttl, create=True)
            queued += 1
        return queued

    def rename_published(self) -> None:
        """This host's name changed: its guests' items say "dialed by" the new one."""
        self._published.clear()  # the next `publish` queues every guest again, renamed

    def note(self, identity: str, fields: dict[str, Any]) -> None:
        """A host's note about any guest (mute, removal): merged onto its item if it has one."""
        self._want(identity, fields, None, create=False)

    def _want(self, key: str, fields: dict[str, Any], ttl_s: int | None, *, create: bool) -> None:
        pending = self._pending.get(key)
        if pending is None:
            self._pending[key] = _Pending(dict(fields), ttl_s, create)
            return
        pending.fields.update(fields)
        pending.create = pending.create or create
        if ttl_s is not None:
            pending.ttl_s = ttl_s

    def pending_count(self) -> int:
        """Writes Sync has not confirmed yet (shown while paused: nothing is lost)."""
        return len(self._pending)

    # -- writes -------------------------------------------------------------------------------

    def due_writes(self, now: float, *, closing: bool = False) -> list[Write]:
        """The writes to start now; `closing` (the app quits) sends all that are not in flight,
        past their backoff and the write rate (a handful at most, once)."""
        if self.state is not SharingState.ON or self.maps is None:
            return []
        self._writes.refill(now)
        writes = []
        for key, pending in self._pending.items():
            if key in self._in_flight:
                continue
            if not closing and (pending.due > now or not self._writes.has(1.0)):
                continue
            self._writes.take(1.0)
            self._in_flight.add(key)
            writes.append(
                Write(key, dict(pending.fields), pending.ttl_s, pending.create, self.book.item(key))
            )
        return writes

    def written(self, write: Write, item: SyncItem | None) -> set[str]:
        """Sync took a write (None: dropped, its item is gone). Returns rooms to redraw."""
        self._in_flight.discard(write.key)
        pending = self._pending.get(write.key)
        if pending is not None and pending.fields == write.fields:
            del self._pending[write.key]
        self.book.learn(item, write.key)
        self._recovered()
        guest = self.book.guest(write.key)
        return {guest.room_sid} if guest is not None else set()

    def write_failed(
        self, write: Write, error: TwilioError, now: float, epoch: int | None = None
    ) -> str:
        """A write failed: it stays queued; the text to show (once per change of state)."""
        self._in_flight.discard(write.key)
        pending = self._pending.get(write.key)
        if error.kind is ErrorKind.CONFLICT and error.retryable and pending is not None:
            pending.due = now + 1.0  # co-hosts kept writing the same item: try again shortly
            return ""
        if error.kind is ErrorKind.INVALID_INPUT and pending is not None and error.status == 400:
            del self._pending[write.key]  # Sync refuses this data for good: never loop on it
            return f"A shared guest note was refused by Twilio Sync: {error.message}"
        return self._trouble(error, now, epoch)

    # -- reads --------------------------------------------------------------------------------

    def due_reads(self, now: float) -> list[str]:
        """Which of the guests listing, the hosts listing and the heartbeat to start now."""
        if self.state is not SharingState.ON:
            return []
        self._reads.refill(now)
        due = []
        for key, every in (
            (GUESTS_READ, READ_GUESTS_S),
            (HEARTBEAT, HEARTBEAT_EVERY_S),
            (HOSTS_READ, READ_HOSTS_S),
        ):
            last = self._last.get(key)
            if key in self._in_flight or (last is not None and now - last < every - 1e-6):
                continue
            if key != HEARTBEAT:  # a write: not charged to the read budget
                cost = float(self._guest_pages) if key == GUESTS_READ else 1.0
                if not self._reads.has(min(cost, self._reads.capacity)):
                    continue
                self._reads.take(cost)
            self._last[key] = now
            self._in_flight.add(key)
            due.append(key)
        return due

    def due_orphans(self, now: float, mine: Iterable[str] = ()) -> list[SharedGuest]:
        """Live guests of hosts whose app is gone: this app follows their calls instead.

        `mine` are identities of this app's own book (an item written before a restart carries
        the old run's host id, but is this app's to keep up)."""
        own = set(mine)
        if self.state is not SharingState.ON:
            return []
        self._reads.refill(now)
        due = []
        for guest in self.book.others():
            key = f"sync:orphan:{guest.identity}"
            if guest.status.is_final or guest.call_sid is None or guest.identity in own:
                continue
            if self.presence.is_present(guest.host_id) or key in self._in_flight:
                continue
            last = self._last.get(key)
            if last is not None and now - last < ORPHAN_CALL_S - 1e-6:
                continue
            if not self._reads.has(1.0):
                break
            self._reads.take(1.0)
            self._last[key] = now
            self._in_flight.add(key)
            due.append(guest)
        return due

    def read_done(self, key: str) -> None:
        self._in_flight.discard(key)
        self._recovered()

    def read_failed(
        self, key: str, error: TwilioError, now: float, epoch: int | None = None
    ) -> str:
        self._in_flight.discard(key)
        if error.status == 404 and key in (GUESTS_READ, HOSTS_READ):
            self.maps = None  # the Service or a Map was deleted: find or make them again
            self._retry_at = now
            self.state = SharingState.STARTING
            return self.status_text()
        return self._trouble(error, now, epoch)

    def guests_listed(self, items: Iterable[SyncItem]) -> set[str]:
        """The guests Map as listed; the rooms whose rosters changed."""
        listed = list(items)
        self._guest_pages = max(1, -(-len(listed) // PAGE_SIZE))
        before = {g.identity: g.room_sid for g in self.book.others()}
        changed = self.book.merge(listed)
        rooms = {before[key] for key in changed if key in before}
        for key in changed:
            guest = self.book.guest(key)
            if guest is not None and guest.host_id != self.host_id:
                rooms.add(guest.room_sid)
        self.read_done(GUESTS_READ)
        return rooms

    def hosts_listed(self, items: Iterable[SyncItem], now: float) -> bool:
        self.read_done(HOSTS_READ)
        return self.presence.listed(items, now)

    def orphan_call(self, guest: SharedGuest, call: Call, now: datetime) -> None:
        """The call of a guest whose host is gone, as fetched: write how it ended, once."""
        self.read_done(f"sync:orphan:{guest.identity}")
        if not call.status.is_final:
            return
        status = _CALL_ENDINGS.get(call.status)
        if status is None:
            status = GuestStatus.LEFT if guest.connected_at else GuestStatus.NOT_JOINED
        fields = {
            "status": status.value,
            "ended_at": now.isoformat(),
            "reason": f"Call ended after {guest.by}'s app stopped",
            "followed_by": self.name,
        }
        self._want(guest.identity, fields, ENDED_TTL_S, create=False)

    # -- state --------------------------------------------------------------------------------

    def _trouble(self, error: TwilioError, now: float, epoch: int | None = None) -> str:
        if epoch is not None and epoch < self.epoch:
            return ""  # sent before the host asked to try again: says nothing about now
        denied = error.kind in (ErrorKind.AUTH, ErrorKind.PERMISSION) or error.status in (401, 403)
        if denied:
            state, wait = SharingState.OFF, DENIED_RETRY_S
            problem = (
                "this API key may not use Twilio Sync"
                if error.status == 403
                else ("Twilio refused the credentials")
            )
        elif self.state is SharingState.PAUSED and now < self._retry_at:
            return ""  # another answer from the same outage: the backoff already runs
        else:
            state = SharingState.PAUSED
            wait = BACKOFF_S[min(self._failures, len(BACKOFF_S) - 1)]
            self._failures += 1
            problem = f"Twilio Sync is not answering ({error.message.rstrip('.')}); trying again"
        if error.retry_after is not None:
            wait = max(wait, error.retry_after)
        self._retry_at = now + wait
        changed = state is not self.state or problem != self.problem
        self.state, self.problem = state, problem
        return self.status_text() if changed else ""

    def retry_due(self, now: float) -> bool:
        """Paused or off and it is time to try again: the next request is the probe."""
        if self.state in (SharingState.PAUSED, SharingState.OFF) and now >= self._retry_at:
            if self.maps is None:
                return False  # setup_due covers it
            self.state = SharingState.ON  # one round of reads tells whether it is back
            return True
        return False

    def retry_now(self, now: float) -> None:
        """End the wait of a pause or an "off" now (the host asked to try again)."""
        self._retry_at = min(self._retry_at, now)
        self.epoch += 1

    def _recovered(self) -> None:
        if self.maps is not None and self.state is not SharingState.ON:
            self.state = SharingState.ON
            self.problem = ""
        self._failures = 0

    def status_text(self) -> str:
        """One line for the window: who else moderates, or why sharing is off."""
        match self.state:
            case SharingState.STARTING:
                return "Co-host sharing: connecting to Twilio Sync…"
            case SharingState.ON:
                return self.presence.text() or "Co-host sharing on; no other host right now"
            case SharingState.PAUSED:
                kept = self.pending_count()
                note = f" ({kept} change{'s' if kept != 1 else ''} kept)" if kept else ""
                return f"Co-host sharing paused: {self.problem}{note}"
            case SharingState.OFF:
                return f"Co-host sharing off: {self.problem}"
