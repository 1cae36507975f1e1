"""One Twilio profile, live: polling, the guest book, and the host's actions, off the GUI thread.

The Session is the only thing the widgets talk to. It owns the gateway, the GuestBook and its
journal, a TaskRunner and the poll planner. Every REST call runs on the runner's pool; every
outcome comes back on the GUI thread, where it updates the book and is announced through signals
(rooms, roster, events, connection state, errors). Nothing here blocks on the network.

Dialing is the delicate part: the guest row (and its journal row) exists before the create-call
request is sent, a second dial() of the same request returns the same row instead of a second
call, and a create-call whose outcome is unknown (timeout, dropped connection, 5xx) is never
re-sent: the session lists recent calls to that number from that caller ID and adopts the match.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from twilio.rest import Client

from moderator.core.credentials import Credentials
from moderator.core.errors import ErrorKind, TwilioError
from moderator.core.gateway import TwilioGateway
from moderator.core.guest_state import GuestEvent, GuestStatus, PhoneGuest, utcnow
from moderator.core.guests import RECONCILE_SLACK, GuestBook
from moderator.core.http import make_client
from moderator.core.journal import Journal, JournalError
from moderator.core.models import (
    Call,
    CallerId,
    CallStatus,
    Participant,
    PublishedTrack,
    Room,
    RoomType,
)
from moderator.core.phone import DEFAULT_REGION, PhoneNumberError
from moderator.core.phone import parse as parse_number
from moderator.core.preflight import (
    CheckResult,
    gather_preflight_inputs,
    run_preflight,
)
from moderator.core.redaction import mask_number
from moderator.core.retry import NO_RETRY
from moderator.core.roster import GuestKind, RosterRow, build_roster
from moderator.core.settings import Settings
from moderator.core.twiml import TwimlError, room_twiml
from moderator.ui.connection import (
    ConnectionKind,
    ConnectionMonitor,
    ConnectionState,
    is_link_failure,
)
from moderator.ui.models.event_log_model import EventLogModel
from moderator.ui.models.rooms_model import RoomRow, RoomsModel
from moderator.ui.models.roster_model import RosterModel
from moderator.ui.poller import (
    CALLS_KEY,
    ROOMS_KEY,
    JobKind,
    LiveCall,
    PollContext,
    PollJob,
    PollPlanner,
    PollSettings,
    call_key,
    participants_key,
    tracks_key,
)
from moderator.ui.tasks import TaskRunner

__all__ = ["DialRequest", "Session"]

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 10.0
"""HTTP timeout: above the 5 s latency a poor link may add, below the host's patience."""

PREFLIGHT_TWILIO_CHECK = "Twilio reachable"
"""The check reported when the pre-flight data could not be fetched at all."""

RECONCILE_DELAYS_S = (1.0, 3.0, 6.0, 12.0)
"""When to look for the call a timed-out create-call may have placed; then give up: not placed."""


@dataclass(frozen=True, slots=True)
class DialRequest:
    """One click on Dial. The dialog builds it once; calling dial() with it twice is harmless."""

    room_sid: str
    room_name: str
    number: str  # E.164
    label: str
    identity: str
    caller_id: str
    timeout_s: int = 30
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass(slots=True)
class _CachedTracks:
    room_sid: str
    tracks: tuple[PublishedTrack, ...]
    read_at: float


@dataclass(slots=True)
class _Reconcile:
    attempt: int = 0
    due: float = 0.0


def _by_name(rooms: dict[str, Room]) -> dict[str, Room]:
    """Rooms in the order the rooms pane lists them: by unique name, ignoring case."""
    return dict(sorted(rooms.items(), key=lambda item: item[1].unique_name.casefold()))


def _local_error(
    message: str, action: str, kind: ErrorKind = ErrorKind.INVALID_INPUT
) -> TwilioError:
    return TwilioError(message, action=action, kind=kind)


class Session(QObject):
    """Everything live about one profile; create one per profile, call start(), then stop()."""

    roomsChanged = Signal(list)  # list[RoomRow], sorted by unique name
    rosterChanged = Signal(str, list)  # room SID, list[RosterRow]
    events = Signal(list)  # list[GuestEvent], oldest first
    connectionChanged = Signal(object)  # ConnectionState
    errorRaised = Signal(object, str)  # TwilioError, what the app was doing ("Dialing ••• 2671")
    callerIdsChanged = Signal(list)  # list[CallerId]

    def __init__(
        self,
        credentials: Credentials | Client,
        *,
        base_url: str | None = None,
        journal: Journal | None = None,
        settings: PollSettings | Settings | None = None,
        clock: Callable[[], datetime] = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_threads: int = 4,
        parent: QObject | None = None,
    ) -> None:
        """`credentials` (or a ready twilio Client) for one account; `base_url` for the sandbox.

        `journal` makes dials survive a crash: pass one per account (the session closes it on
        stop). Without it the guest book lives in memory only.
        """
        super().__init__(parent)
        client = (
            make_client(credentials, base_url, timeout=timeout_s)
            if isinstance(credentials, Credentials)
            else credentials
        )
        self._client = client
        self._gateway = TwilioGateway(client)
        # Polls handle failure themselves (backoff, probe); retrying inside a worker would only
        # hold a pool thread and spend reads on a link that is down.
        self._poll_gateway = TwilioGateway(client, retry_policy=NO_RETRY)
        self._journal = journal
        self._clock = clock
        self._mono = monotonic
        if settings is None:
            settings = PollSettings()
        elif isinstance(settings, Settings):
            settings = PollSettings.from_settings(settings)
        self._settings = settings
        self._planner = PollPlanner(self._settings)
        self._monitor = ConnectionMonitor()
        self._runner = TaskRunner(self, max_threads=max_threads)
        self._book = GuestBook.from_journal(journal, clock) if journal else GuestBook(None, clock)

        self._rooms: dict[str, Room] = {}
        self._rooms_pages = 1
        self._participants: dict[str, list[Participant]] = {}
        self._counted_at: dict[str, datetime] = {}
        self._tracks: dict[str, _CachedTracks] = {}
        self._selected: str | None = None
        self._caller_ids: list[CallerId] = []
        self._caller_ids_loaded = False
        self._caller_ids_after_rooms = False
        self._dial_by_request: dict[str, str] = {}
        self._dial_timeouts: dict[str, int] = {}
        self._cancel_when_created: set[str] = set()
        self._reconciles: dict[str, _Reconcile] = {}
        self._lost_calls: set[str] = set()
        self._calls_to_fetch: set[str] = set()
        self._call_known_at: dict[str, float] = {}
        self._preflight_generation = 0
        self._started = False
        self._stopped = False
        self._last_state: ConnectionState | None = None

        self._pending_events: list[GuestEvent] = []
        self._rooms_dirty = False
        self._roster_dirty = False
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(0)
        self._flush_timer.timeout.connect(self._flush)

        self._poll_timer = QTimer(self)
        self._poll_timer.setInterval(max(10, int(self._settings.tick_s * 1000)))
        self._poll_timer.timeout.connect(self._tick)
        self._second_timer = QTimer(self)
        self._second_timer.setInterval(1000)
        self._second_timer.timeout.connect(self._each_second)

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        """Begin polling, load caller IDs, and take back calls a previous run left unfinished."""
        if self._started:
            return
        self._started = True
        recovered = self._book.all_guests()
        if recovered:
            unknown = [g for g in recovered if g.status is GuestStatus.UNKNOWN]
            now = self._mono()
            for guest in unknown:
                self._reconciles[guest.dial_id] = _Reconcile(0, now)
            self._queue_events(
                [
                    self._event(
                        "recovered",
                        f"Took back {len(recovered)} unfinished dial(s) from the call journal",
                    )
                ]
            )
        self._emit_connection(force=True)
        self._poll_timer.start()
        self._second_timer.start()
        # The rooms list is what the host waits for, so its request goes out first and alone; the
        # caller IDs (whose first request imports the SDK's whole Api v2010: tens of ms of CPU)
        # follow once it is answered instead of slowing it down.
        self._caller_ids_after_rooms = True
        self._tick()
        if not self._runner.in_flight(ROOMS_KEY):
            self._rooms_answered()

    def stop(self, wait_ms: int = 100) -> None:
        """Stop polling and drop late results; in-flight requests finish on their own."""
        if self._stopped:
            return
        self._stopped = True
        self._poll_timer.stop()
        self._second_timer.stop()
        self._flush_timer.stop()
        self._runner.shutdown(wait_ms)
        if self._journal is not None:
            self._journal.close()
        close = getattr(self._client.http_client, "close", None)
        if callable(close):  # pooled connections: a profile switch should not leave them open
            close()

    @property
    def running(self) -> bool:
        return self._started and not self._stopped

    # -- read-only state ----------------------------------------------------------------------

    @property
    def book(self) -> GuestBook:
        return self._book

    @property
    def journal(self) -> Journal | None:
        return self._journal

    @property
    def gateway(self) -> TwilioGateway:
        return self._gateway

    @property
    def settings(self) -> PollSettings:
        return self._settings

    def apply_settings(self, settings: Settings) -> None:
        """Take the host's new refresh intervals (Preferences) from the next tick on.

        Only the intervals change: the read budgets and the planner's history stay, so a change
        never causes a burst of reads nor forgets what is already due.
        """
        self._settings = PollSettings.from_settings(settings, base=self._settings)
        self._planner.settings = self._settings

    @property
    def planner(self) -> PollPlanner:
        return self._planner

    @property
    def selected_room(self) -> str | None:
        return self._selected

    @property
    def caller_ids(self) -> list[CallerId]:
        return list(self._caller_ids)

    @property
    def connection_state(self) -> ConnectionState:
        return self._monitor.state(self._mono())

    def room(self, room_sid: str) -> Room | None:
        return self._rooms.get(room_sid)

    def room_rows(self) -> list[RoomRow]:
        """The rooms pane's rows, sorted by unique name. One pass over the guests, not one each."""
        phone: dict[str, int] = {}
        for guest in self._book.all_guests():
            if guest.status is GuestStatus.CONNECTED:
                phone[guest.room_sid] = phone.get(guest.room_sid, 0) + 1
        rows = []
        for sid, room in self._rooms.items():
            participants = self._participants.get(sid)
            rows.append(
                RoomRow(
                    room,
                    None if participants is None else len(participants),
                    phone.get(sid, 0),
                    self._counted_at.get(sid),
                )
            )
        return rows

    def roster(self, room_sid: str) -> list[RosterRow]:
        """The roster of a room from what is known now (participants, cached tracks, guests)."""
        participants = [
            self._with_tracks(p) for p in self._participants.get(room_sid, ()) if p.connected
        ]
        return build_roster(room_sid, participants, self._book, self._clock())

    def _with_tracks(self, participant: Participant) -> Participant:
        cached = self._tracks.get(participant.sid)
        if cached is None or participant.tracks:
            return participant
        return replace(participant, tracks=cached.tracks)

    # -- selection and refresh ----------------------------------------------------------------

    @Slot(object)
    def select_room(self, room_sid: str | None) -> None:
        """Follow a room closely (participants every second); None follows none."""
        if room_sid == self._selected:
            return
        self._selected = room_sid
        if room_sid is None:
            self.rosterChanged.emit("", [])
            return
        self._planner.request_now(participants_key(room_sid))
        self.rosterChanged.emit(room_sid, self.roster(room_sid))
        if self.running:
            self._tick()

    @Slot()
    def refresh_now(self) -> None:
        """Poll the rooms and the selected room now; also lifts a backoff or an auth stop.

        Starts the session if start() was not called yet.
        """
        if not self._started:
            self.start()
            return
        self._monitor.resume()
        keys = [ROOMS_KEY]
        if self._selected is not None:
            keys.append(participants_key(self._selected))
        keys += [call_key(sid) for sid in self._book.live_call_sids()]
        self._planner.request_now(*keys)
        self._emit_connection()
        if self.running:
            self._tick()

    @Slot()
    def load_caller_ids(self) -> None:
        """(Re)load the account's voice numbers and verified caller IDs."""
        self._runner.run(
            "caller-ids",
            self._gateway.list_caller_ids,
            self._on_caller_ids,
            self._on_caller_ids_error,
        )

    def _rooms_answered(self) -> None:
        """The first rooms poll came back (either way): now load the caller IDs start() left."""
        if self._caller_ids_after_rooms:
            self._caller_ids_after_rooms = False
            QTimer.singleShot(0, self, self._load_caller_ids_if_running)

    def _load_caller_ids_if_running(self) -> None:
        if self.running:
            self.load_caller_ids()

    def _on_caller_ids(self, caller_ids: list[CallerId]) -> None:
        self._caller_ids = list(caller_ids)
        self._caller_ids_loaded = True
        self.callerIdsChanged.emit(list(caller_ids))

    def _on_caller_ids_error(self, error: TwilioError) -> None:
        self._note_action_failure(error)
        self._report(error, "Loading caller IDs")

    # -- polling ------------------------------------------------------------------------------

    @Slot()
    def _tick(self) -> None:
        if not self.running:
            return
        now = self._mono()
        self._start_due_reconciles(now)
        if not self._monitor.may_poll(now):
            return
        probe = self._monitor.kind in (ConnectionKind.RETRYING, ConnectionKind.OFFLINE)
        jobs = self._planner.plan(
            now, self._poll_context(), self._runner.in_flight, probe_only=probe
        )
        for job in jobs:
            self._start_job(job)

    def _poll_context(self) -> PollContext:
        selected = self._selected
        guest_rooms: set[str] = set()
        live_calls: list[LiveCall] = []
        for guest in self._book.all_guests():
            if not guest.status.is_live:
                continue
            if guest.room_sid != selected and guest.room_sid in self._rooms:
                guest_rooms.add(guest.room_sid)
            sid = guest.call_sid
            if sid and sid not in self._lost_calls:
                settled = guest.status is GuestStatus.CONNECTED
                live_calls.append(LiveCall(sid, settled, sid in self._calls_to_fetch))

        def tracks_missing() -> list[str]:
            if selected is None:
                return []
            return [
                p.sid for p in self._participants.get(selected, ()) if p.sid not in self._tracks
            ]

        def tracks_cached() -> list[tuple[str, float]]:
            if selected is None:
                return []
            cached = []
            for p in self._participants.get(selected, ()):
                entry = self._tracks.get(p.sid)
                if entry is not None:
                    cached.append((p.sid, entry.read_at))
            return cached

        return PollContext(
            room_sids=list(self._rooms),
            selected_room=selected if selected in self._rooms else None,
            guest_rooms=sorted(guest_rooms),
            live_calls=live_calls,
            tracks_missing=tracks_missing,
            tracks_cached=tracks_cached,
            rooms_pages=self._rooms_pages,
        )

    def _start_job(self, job: PollJob) -> None:
        gateway = self._poll_gateway
        failed = self._poll_failed(job)
        if job.kind is JobKind.ROOMS:
            self._runner.run(job.key, gateway.list_rooms, self._on_rooms, failed)
        elif job.kind is JobKind.PARTICIPANTS and job.room_sid is not None:
            self._poll_participants(job.key, job.room_sid, failed)
        elif job.kind is JobKind.TRACKS and job.room_sid is not None and job.target is not None:
            self._poll_tracks(job.key, job.room_sid, job.target, failed)
        elif job.kind is JobKind.CALL and job.target is not None:
            self._poll_call(job.key, job.target, failed)
        elif job.kind is JobKind.CALLS:
            self._poll_live_calls(failed)

    def _poll_participants(
        self, key: str, room_sid: str, failed: Callable[[TwilioError], None]
    ) -> None:
        gateway = self._poll_gateway
        self._runner.run(
            key,
            lambda: gateway.list_participants(room_sid),
            lambda participants: self._on_participants(room_sid, participants),
            failed,
        )

    def _poll_tracks(
        self, key: str, room_sid: str, participant_sid: str, failed: Callable[[TwilioError], None]
    ) -> None:
        gateway = self._poll_gateway
        self._runner.run(
            key,
            lambda: gateway.list_published_tracks(room_sid, participant_sid),
            lambda tracks: self._on_tracks(room_sid, participant_sid, tracks),
            failed,
        )

    def _poll_call(self, key: str, call_sid: str, failed: Callable[[TwilioError], None]) -> None:
        gateway = self._poll_gateway
        self._runner.run(key, lambda: gateway.fetch_call(call_sid), self._on_call, failed)

    def _poll_live_calls(self, failed: Callable[[TwilioError], None]) -> None:
        """Many calls under way: two listings by status instead of one fetch per call."""
        gateway = self._poll_gateway
        asked_at = self._mono()

        def work() -> list[Call]:
            statuses = (CallStatus.RINGING, CallStatus.IN_PROGRESS)
            return [call for status in statuses for call in gateway.list_calls(status=status)]

        self._runner.run(
            CALLS_KEY, work, lambda calls: self._on_live_calls(calls, asked_at), failed
        )

    def _poll_succeeded(self) -> None:
        if self._monitor.succeeded(self._clock()):
            self._emit_connection()
            self._tick()  # back online: catch up at once instead of at the next tick

    def _poll_failed(self, job: PollJob) -> Callable[[TwilioError], None]:
        def failed(error: TwilioError) -> None:
            if job.kind is JobKind.ROOMS:
                self._rooms_answered()
            if self._monitor.failed(error, self._mono()):
                self._emit_connection()
                if self._monitor.kind is ConnectionKind.AUTH_REJECTED:
                    self._report(error, "Refreshing")
                return
            if not is_link_failure(error) and error.kind is not ErrorKind.AUTH:
                self._poll_error_for(job, error)

        return failed

    def _poll_error_for(self, job: PollJob, error: TwilioError) -> None:
        """A poll failed for a reason that is about the thing polled, not the link."""
        if error.kind is ErrorKind.NOT_FOUND:
            if job.kind is JobKind.PARTICIPANTS or job.kind is JobKind.TRACKS:
                self._planner.request_now(ROOMS_KEY)  # the room probably ended
            elif job.kind is JobKind.CALL and job.target is not None:
                self._call_lost(job.target)
            return
        log.warning("poll %s failed: %r", job.key, error)

    def _call_lost(self, call_sid: str) -> None:
        """Twilio has no such call (another account's journal, a purged sandbox): stop asking."""
        self._lost_calls.add(call_sid)
        self._calls_to_fetch.discard(call_sid)
        guest = self._book.guest_for_call(call_sid)
        if guest is not None:
            self._queue_events(
                [
                    self._event(
                        "error",
                        f"Twilio no longer knows the call to {guest.masked_number}; "
                        "it is no longer followed",
                        guest.room_sid,
                        guest.room_name,
                        dial_id=guest.dial_id,
                    )
                ]
            )

    def _on_rooms(self, rooms: list[Room]) -> None:
        self._rooms_answered()
        self._poll_succeeded()
        self._rooms_pages = max(1, -(-len(rooms) // 100))
        fresh = {room.sid: room for room in rooms if room.in_progress}
        events: list[GuestEvent] = []
        for sid, room in self._rooms.items():
            if sid not in fresh:
                events += self._room_gone(sid, room.unique_name)
                self._forget_room(sid)
        self._rooms = _by_name(fresh)
        self._queue_events(events)
        self._mark_rooms_dirty()
        if self._selected is not None and self._selected not in self._rooms:
            self._mark_roster_dirty()

    def _room_gone(self, room_sid: str, room_name: str) -> list[GuestEvent]:
        """A room ended (here or elsewhere): its guests are out, and calls still ringing into it
        are canceled, so nobody answers only to hear that the meeting is over."""
        events = self._book.room_ended(room_sid, room_name)
        for guest in self._book.unanswered_in_ended_room(room_sid):
            if guest.call_sid is None:
                self._cancel_when_created.add(guest.dial_id)
            else:
                self._hang_up(guest)
        return events

    def _forget_room(self, room_sid: str) -> None:
        self._planner.forget_room(room_sid)
        self._participants.pop(room_sid, None)
        self._counted_at.pop(room_sid, None)
        for participant_sid in [k for k, v in self._tracks.items() if v.room_sid == room_sid]:
            del self._tracks[participant_sid]

    def _on_participants(self, room_sid: str, participants: list[Participant]) -> None:
        self._poll_succeeded()
        if room_sid not in self._rooms:
            return  # ended while we were asking
        connected = [p for p in participants if p.connected]
        previous = self._participants.get(room_sid)
        self._participants[room_sid] = connected
        self._counted_at[room_sid] = self._clock()
        self._planner.counted(room_sid, self._mono())
        if previous is not None:
            present = {p.sid for p in connected}
            gone = [p.sid for p in previous if p.sid not in present]
            for participant_sid in gone:
                self._tracks.pop(participant_sid, None)
            self._planner.forget(tracks_key(sid) for sid in gone)
        room = self._rooms[room_sid]
        self._queue_events(
            self._book.apply_participants(room_sid, connected, room_name=room.unique_name)
        )
        self._mark_rooms_dirty()
        if room_sid == self._selected:
            self._mark_roster_dirty()

    def _on_tracks(self, room_sid: str, participant_sid: str, tracks: list[PublishedTrack]) -> None:
        self._poll_succeeded()
        known = self._participants.get(room_sid, ())
        if not any(p.sid == participant_sid for p in known):
            return  # left meanwhile
        previous = self._tracks.get(participant_sid)
        self._tracks[participant_sid] = _CachedTracks(room_sid, tuple(tracks), self._mono())
        if room_sid == self._selected and (previous is None or previous.tracks != tuple(tracks)):
            self._mark_roster_dirty()

    def _on_call(self, call: Call) -> None:
        self._poll_succeeded()
        self._calls_to_fetch.discard(call.sid)
        self._apply_call(call)

    def _on_live_calls(self, calls: list[Call], asked_at: float) -> None:
        self._poll_succeeded()
        listed = set()
        for call in calls:
            listed.add(call.sid)
            if self._book.guest_for_call(call.sid) is not None:
                self._apply_call(call)
        # Ours but not listed: still queued, or ended since the last look (a call created
        # after we asked is simply too new for the listing). Fetch those on their own.
        for sid in self._book.live_call_sids():
            known_at = self._call_known_at.get(sid, -math.inf)
            if sid not in listed and sid not in self._lost_calls and known_at < asked_at:
                self._calls_to_fetch.add(sid)

    def _apply_call(self, call: Call) -> None:
        guest = self._book.guest_for_call(call.sid)
        events = self._book.apply_call(call)
        if events:
            self._queue_events(events)
        if guest is not None:
            if guest.status is GuestStatus.JOINING:
                # Answered: look at its room soon rather than at the next slow round.
                self._planner.request_now(participants_key(guest.room_sid))
            self._mark_rooms_dirty()
            if guest.room_sid == self._selected:
                self._mark_roster_dirty()

    # -- reconciliation of create-calls with an unknown outcome -------------------------------

    def _start_due_reconciles(self, now: float) -> None:
        for dial_id, state in list(self._reconciles.items()):
            if now < state.due or self._runner.in_flight(f"reconcile:{dial_id}"):
                continue
            guest = self._book.get(dial_id)
            if guest is None or guest.status is not GuestStatus.UNKNOWN:
                del self._reconciles[dial_id]
                continue
            if not self._monitor.may_poll(now):
                continue
            self._start_reconcile(guest, state)

    def _start_reconcile(self, guest: PhoneGuest, state: _Reconcile) -> None:
        dial_id = guest.dial_id
        to, from_ = guest.number, guest.caller_id
        since = (guest.dialed_at or self._clock()) - RECONCILE_SLACK
        gateway = self._poll_gateway

        def done(calls: list[Call]) -> None:
            self._poll_succeeded()
            call = self._book.match_call(dial_id, calls)
            if call is not None:
                self._reconciles.pop(dial_id, None)
                self._queue_events(self._book.call_created(dial_id, call))
                self._after_call_created(dial_id)
                return
            state.attempt += 1
            if state.attempt >= len(RECONCILE_DELAYS_S):
                self._reconciles.pop(dial_id, None)
                self._queue_events(self._book.reconcile_not_found(dial_id))
                self._mark_guest_dirty(dial_id)
            else:
                state.due = self._mono() + RECONCILE_DELAYS_S[state.attempt]

        def failed(error: TwilioError) -> None:
            # Not an answer about the call: try again later, without using up an attempt.
            if not self._monitor.failed(error, self._mono()):
                log.warning("reconciling %s failed: %r", dial_id, error)
            self._emit_connection()
            last_step = len(RECONCILE_DELAYS_S) - 1
            state.due = self._mono() + RECONCILE_DELAYS_S[min(state.attempt, last_step)]

        self._runner.run(
            f"reconcile:{dial_id}",
            lambda: gateway.list_calls(to=to, from_=from_, created_after=since),
            done,
            failed,
        )

    # -- actions ------------------------------------------------------------------------------

    def dial(self, request: DialRequest) -> str:
        """Place a call into a room; the guest row appears at once. Returns the dial id.

        The same request (double click), or the same number and identity while that dial is
        still under way, returns the existing dial's id instead of placing a second call.
        Returns "" when nothing was dialed (identity taken by another live dial, the journal
        could not record it, invalid TwiML); errorRaised says why.
        """
        existing = self._dial_by_request.get(request.request_id)
        if existing is not None:
            return existing
        for guest in self._book.guests_in_room(request.room_sid):
            if guest.identity != request.identity or not guest.status.is_live:
                continue
            same_number = guest.number == request.number or (
                guest.number is None and guest.masked_number == mask_number(request.number)
            )
            if same_number:
                return guest.dial_id  # the same dial, clicked again
            self._report(
                _local_error(
                    f"The identity {request.identity} is already being used by "
                    f"{guest.label or guest.masked_number}, whose call is under way.",
                    "Choose another identity: a second participant with the same one would "
                    "disconnect the first.",
                ),
                f"Dialing {mask_number(request.number)}",
                room_sid=request.room_sid,
            )
            return ""
        problem = self._dial_problem(request)
        if problem is not None:
            self._report(
                _local_error(*problem),
                f"Dialing {mask_number(request.number)}",
                room_sid=request.room_sid,
            )
            return ""
        try:
            twiml = room_twiml(request.room_name, request.identity)
        except TwimlError as exc:
            self._report(_local_error(str(exc), "Change the room name or identity."), "Dialing")
            return ""
        try:
            guest = self._book.start_dial(
                room_sid=request.room_sid,
                room_name=request.room_name,
                identity=request.identity,
                number=request.number,
                masked_number=mask_number(request.number),
                label=request.label,
                caller_id=request.caller_id,
            )
        except (JournalError, ValueError) as exc:
            self._report(
                _local_error(
                    f"The dial could not be recorded, so no call was placed: {exc}",
                    "Check that the app's data folder is writable, then dial again.",
                    ErrorKind.UNKNOWN,
                ),
                f"Dialing {mask_number(request.number)}",
            )
            return ""
        self._dial_by_request[request.request_id] = guest.dial_id
        self._dial_timeouts[guest.dial_id] = request.timeout_s
        self._place_call(guest, twiml, request.timeout_s)
        self._emit_guest_now(guest)
        return guest.dial_id

    def _dial_problem(self, request: DialRequest) -> tuple[str, str] | None:
        """Why this request must not be dialed, as (message, action), or None.

        The dial dialog refuses all of these already; the session checks again because it is
        the last stop before a real phone rings, and a refused dial must change nothing.
        """
        try:
            number = parse_number(request.number, DEFAULT_REGION)
        except PhoneNumberError as exc:
            return exc.message, "Correct the number and dial again."
        if number != request.number:
            return (
                "The number is not in international form (+ country code, then the number).",
                "Dial from the dial dialog, which formats the number.",
            )
        if number == request.caller_id:
            return (
                "The number to call is the caller ID itself.",
                "Pick another caller ID or check the number.",
            )
        if self._caller_ids_loaded and request.caller_id not in {
            c.phone_number for c in self._caller_ids
        }:
            return (
                "This caller ID is not one of the account's voice numbers or verified caller IDs.",
                "Pick a caller ID from the list.",
            )
        if any(
            p.identity == request.identity and p.connected
            for p in self._participants.get(request.room_sid, ())
        ):
            return (
                f"Someone with the identity {request.identity} is already in the room; "
                "dialing would disconnect them.",
                "Choose another identity.",
            )
        return None

    def _place_call(self, guest: PhoneGuest, twiml: str, timeout_s: int) -> None:
        dial_id = guest.dial_id
        number = guest.number
        assert number is not None
        caller_id = guest.caller_id
        gateway = self._gateway

        def done(call: Call) -> None:
            self._queue_events(self._book.call_created(dial_id, call))
            self._after_call_created(dial_id)

        def failed(error: TwilioError) -> None:
            self._note_action_failure(error)
            if error.outcome_unknown:
                self._queue_events(self._book.dial_outcome_unknown(dial_id, error.message))
                self._reconciles[dial_id] = _Reconcile(0, self._mono() + RECONCILE_DELAYS_S[0])
            else:
                # A request that never left (connection refused) was not refused by Twilio.
                never_sent = error.kind in (ErrorKind.NETWORK, ErrorKind.TIMEOUT)
                finish = self._book.dial_not_sent if never_sent else self._book.dial_rejected
                self._queue_events(finish(dial_id, error.message))
                self._cancel_when_created.discard(dial_id)
                self._report(error, f"Dialing {guest.masked_number}", room_sid=guest.room_sid)
            self._mark_guest_dirty(dial_id)

        started = self._runner.run(
            f"dial:{dial_id}",
            lambda: gateway.create_call(number, caller_id, twiml, timeout_s),
            done,
            failed,
        )
        if not started:  # shut down: say so in the row rather than leave it "Dialing…"
            self._queue_events(self._book.dial_not_sent(dial_id, "the session was closed"))

    def _after_call_created(self, dial_id: str) -> None:
        guest = self._book.get(dial_id)
        if guest is None:
            return
        if guest.call_sid:
            self._call_known_at[guest.call_sid] = self._mono()
            self._planner.request_now(call_key(guest.call_sid))
        if dial_id in self._cancel_when_created:
            self._cancel_when_created.discard(dial_id)
            self._hang_up(guest)
        self._mark_guest_dirty(dial_id)

    def remove(self, row: RosterRow) -> None:
        """Remove from the room: disconnect an app participant; cancel a ringing phone guest;
        disconnect a phone guest in the room and end its call."""
        room_sid = self._room_of_row(row)
        if row.kind is GuestKind.APP or row.dial_id is None:
            participant_sid = row.participant_sid
            if participant_sid is None or room_sid is None:
                return
            gateway = self._gateway

            def done(_participant: Participant) -> None:
                self._queue_events(self._book.app_participant_removed(room_sid, row.identity))
                self._planner.request_now(participants_key(room_sid))
                self._tick()

            self._runner.run(
                f"remove:{participant_sid}",
                lambda: gateway.disconnect_participant(room_sid, participant_sid),
                done,
                self._action_failed(f"Removing {row.identity}", room_sid),
            )
            return
        guest = self._book.get(row.dial_id)
        if guest is None or guest.status.is_final:
            return
        self._queue_events(self._book.mark_removed(guest.dial_id))
        if guest.call_sid is None:
            # No call SID yet (create-call in flight or being reconciled): end it once known.
            self._cancel_when_created.add(guest.dial_id)
        else:
            self._hang_up(guest)
        self._mark_guest_dirty(guest.dial_id)

    def _hang_up(self, guest: PhoneGuest) -> None:
        call_sid = guest.call_sid
        assert call_sid is not None
        room_sid = guest.room_sid
        participant_sid = guest.participant_sid
        status: CallStatus | None = {
            GuestStatus.QUEUED: CallStatus.QUEUED,
            GuestStatus.RINGING: CallStatus.RINGING,
            GuestStatus.JOINING: CallStatus.IN_PROGRESS,
            GuestStatus.CONNECTED: CallStatus.IN_PROGRESS,
        }.get(guest.status)
        gateway = self._gateway

        def work() -> Call:
            if participant_sid is not None:
                try:
                    gateway.disconnect_participant(room_sid, participant_sid)
                except TwilioError as error:  # already gone is fine: the call is what matters
                    if error.kind not in (ErrorKind.NOT_FOUND, ErrorKind.CONFLICT):
                        raise
            return gateway.hang_up(call_sid, status)

        def done(call: Call) -> None:
            self._apply_call(call)
            self._planner.request_now(participants_key(room_sid), call_key(call_sid))
            self._tick()

        self._runner.run(
            f"hangup:{call_sid}",
            work,
            done,
            self._action_failed(f"Removing {guest.masked_number}", room_sid),
        )

    def redial(self, row: RosterRow) -> str:
        """Dial a phone guest who left or failed again (same number, identity, caller ID)."""
        if row.dial_id is None:
            return ""
        old = self._book.get(row.dial_id)
        if old is None:
            return ""
        try:
            twiml = room_twiml(old.room_name, old.identity)
            guest = self._book.redial(row.dial_id)
        except (ValueError, KeyError, TwimlError, JournalError) as exc:
            self._report(
                _local_error(str(exc), "Open the dial dialog and dial the number anew."),
                f"Redialing {old.masked_number}",
                room_sid=old.room_sid,
            )
            return ""
        timeout_s = self._dial_timeouts.get(row.dial_id, 30)
        self._dial_timeouts[guest.dial_id] = timeout_s
        self._place_call(guest, twiml, timeout_s)
        self._emit_guest_now(guest)
        return guest.dial_id

    def create_room(
        self,
        unique_name: str,
        room_type: RoomType = RoomType.GROUP,
        max_participants: int | None = None,
        on_created: Callable[[Room], None] | None = None,
    ) -> None:
        """Create an in-progress room; it shows in the list as soon as Twilio confirms it."""
        gateway = self._gateway

        def done(room: Room) -> None:
            self._rooms = _by_name({**self._rooms, room.sid: room})
            self._queue_events(
                [
                    self._event(
                        "room-created",
                        f"Created room {room.unique_name}",
                        room.sid,
                        room.unique_name,
                    )
                ]
            )
            self._mark_rooms_dirty()
            self._flush()
            if on_created is not None:
                on_created(room)

        self._runner.run(
            None,
            lambda: gateway.create_room(unique_name, room_type, max_participants),
            done,
            self._action_failed(f"Creating room {unique_name}", None),
        )

    def end_room(self, room_sid: str) -> None:
        """Complete a room: everyone is disconnected and phone guests' calls end."""
        gateway = self._gateway
        name = self._rooms[room_sid].unique_name if room_sid in self._rooms else room_sid

        def done(_room: Room) -> None:
            events = self._room_gone(room_sid, name)
            events.append(self._event("room-ended", f"Ended room {name}", room_sid, name))
            self._queue_events(events)
            if self._rooms.pop(room_sid, None) is not None:
                self._forget_room(room_sid)
            self._planner.request_now(
                ROOMS_KEY, *(call_key(s) for s in self._book.live_call_sids())
            )
            self._mark_rooms_dirty()
            self._mark_roster_dirty()
            self._tick()

        self._runner.run(
            f"end-room:{room_sid}",
            lambda: gateway.complete_room(room_sid),
            done,
            self._action_failed(f"Ending room {name}", room_sid),
        )

    def preflight(
        self,
        request: DialRequest,
        callback: Callable[[list[CheckResult]], None],
        *,
        default_region: str = DEFAULT_REGION,
    ) -> None:
        """Run the pre-dial checks on freshly fetched data; `callback` gets the results on the
        GUI thread. Only the newest request's results are delivered, so a dialog may call this
        again whenever its inputs change (debounced: each call costs two reads)."""
        self._preflight_generation += 1
        generation = self._preflight_generation
        room_key = request.room_sid or request.room_name
        phone_identities = self._book.phone_identities(request.room_sid)
        pending = sum(
            1
            for g in self._book.guests_in_room(request.room_sid)
            if g.status.is_live and g.status is not GuestStatus.CONNECTED
        )
        caller_ids = list(self._caller_ids) if self._caller_ids_loaded else None
        gateway = self._gateway

        def work() -> list[CheckResult]:
            inputs = gather_preflight_inputs(
                gateway,
                room_key,
                to=request.number,
                from_=request.caller_id,
                identity=request.identity,
                phone_identities=phone_identities,
                pending_phone_calls=pending,
                caller_ids=caller_ids,
                default_region=default_region,
            )
            return run_preflight(inputs)

        def done(checks: list[CheckResult]) -> None:
            if generation == self._preflight_generation:
                callback(checks)

        def failed(error: TwilioError) -> None:
            # The dialog shows this as a failed check (so Dial stays disabled), not as a popup.
            self._note_action_failure(error)
            if generation == self._preflight_generation:
                callback([CheckResult(PREFLIGHT_TWILIO_CHECK, False, error.details)])

        self._runner.run(None, work, done, failed)

    # -- failures -----------------------------------------------------------------------------

    def _action_failed(self, context: str, room_sid: str | None) -> Callable[[TwilioError], None]:
        def failed(error: TwilioError) -> None:
            self._note_action_failure(error)
            self._report(error, context, room_sid=room_sid)
            if room_sid is not None:
                self._planner.request_now(participants_key(room_sid))
            self._mark_roster_dirty()

        return failed

    def _note_action_failure(self, error: TwilioError) -> None:
        """Actions do not drive the backoff, but revoked credentials stop everything."""
        if error.kind is ErrorKind.AUTH and self._monitor.failed(error, self._mono()):
            self._emit_connection()

    def _report(self, error: TwilioError, context: str, *, room_sid: str | None = None) -> None:
        room = self._rooms.get(room_sid) if room_sid else None
        self._queue_events(
            [
                self._event(
                    "error",
                    f"{context}: {error.message}",
                    room_sid or "",
                    room.unique_name if room else "",
                )
            ]
        )
        self._flush()
        self.errorRaised.emit(error, context)

    # -- announcing changes -------------------------------------------------------------------

    def _room_of_row(self, row: RosterRow) -> str | None:
        if row.dial_id is not None:
            guest = self._book.get(row.dial_id)
            if guest is not None:
                return guest.room_sid
        if row.participant_sid is not None:
            for room_sid, participants in self._participants.items():
                if any(p.sid == row.participant_sid for p in participants):
                    return room_sid
        return self._selected

    def _event(
        self,
        kind: str,
        text: str,
        room_sid: str = "",
        room_name: str = "",
        *,
        dial_id: str | None = None,
    ) -> GuestEvent:
        """An event of the session's own (not the guest book's), stamped now."""
        return GuestEvent(self._clock(), room_sid, room_name, kind, text, dial_id)

    def _queue_events(self, events: Sequence[GuestEvent]) -> None:
        if events:
            self._pending_events.extend(events)
            self._schedule_flush()

    def _mark_rooms_dirty(self) -> None:
        self._rooms_dirty = True
        self._schedule_flush()

    def _mark_roster_dirty(self) -> None:
        self._roster_dirty = True
        self._schedule_flush()

    def _mark_guest_dirty(self, dial_id: str) -> None:
        guest = self._book.get(dial_id)
        self._rooms_dirty = True
        if guest is not None and guest.room_sid == self._selected:
            self._roster_dirty = True
        self._schedule_flush()

    def _emit_guest_now(self, guest: PhoneGuest) -> None:
        """The host just clicked: show the row in this very event-loop turn."""
        self._mark_guest_dirty(guest.dial_id)
        if guest.room_sid != self._selected:
            self.rosterChanged.emit(guest.room_sid, self.roster(guest.room_sid))
        self._flush()

    def _schedule_flush(self) -> None:
        if not self._flush_timer.isActive() and not self._stopped:
            self._flush_timer.start()

    @Slot()
    def _flush(self) -> None:
        """Announce everything that changed since the last turn of the event loop, once."""
        self._flush_timer.stop()
        if self._pending_events:
            events, self._pending_events = self._pending_events, []
            self.events.emit(events)
        if self._rooms_dirty:
            self._rooms_dirty = False
            self.roomsChanged.emit(self.room_rows())
        if self._roster_dirty:
            self._roster_dirty = False
            selected = self._selected
            if selected is not None:
                rows = self.roster(selected) if selected in self._rooms else []
                self.rosterChanged.emit(selected, rows)

    @Slot()
    def _each_second(self) -> None:
        """Count down a retry, move "Last refresh" on, and keep "Ringing 12 s" texts moving.

        `_emit_connection` emits only when the state differs: at most one signal a second.
        """
        self._emit_connection()
        selected = self._selected
        if selected is not None and any(
            g.status.is_live for g in self._book.guests_in_room(selected)
        ):
            self._mark_roster_dirty()

    def _emit_connection(self, *, force: bool = False) -> None:
        state = self._monitor.state(self._mono())
        if force or state != self._last_state:
            self._last_state = state
            self.connectionChanged.emit(state)


def connect_models(
    session: Session,
    rooms_model: RoomsModel,
    roster_model: RosterModel,
    event_log_model: EventLogModel,
) -> None:
    """Wire a session's signals to the three models (the window may do it by hand instead)."""
    session.roomsChanged.connect(rooms_model.set_rooms)

    def roster_changed(room_sid: str, rows: list[RosterRow]) -> None:
        if room_sid == session.selected_room:
            roster_model.set_rows(rows)

    session.rosterChanged.connect(roster_changed)
    session.events.connect(event_log_model.append)
