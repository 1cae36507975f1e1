"""Keep the live picture fresh: the poll timers, the read budget and the link's health.

The `PollLoop` owns the planner (which reads are due, within the read budget), the connection
monitor (online, retrying in N s, offline, credentials rejected) and the poll task pool, which
is separate from the host's actions so a slow poll never delays a Dial. Each answer goes to the
Qt-free core (`LiveState`, `Dialer`); the `Changes` it returns go to the session's `apply`.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from moderator.core.changes import Changes, ErrorTopic, Report
from moderator.core.connection import (
    ConnectionKind,
    ConnectionMonitor,
    ConnectionState,
    is_link_failure,
)
from moderator.core.dialer import Dialer, ReconcileJob
from moderator.core.errors import ErrorKind, TwilioError
from moderator.core.gateway import TwilioGateway
from moderator.core.live_state import LiveState
from moderator.core.models import Call, CallStatus, Participant, PublishedTrack, Room
from moderator.core.poller import (
    CALLS_KEY,
    ROOMS_KEY,
    JobKind,
    PollContext,
    PollJob,
    PollPlanner,
    PollSettings,
)
from moderator.core.recording_gateway import RecordingGateway
from moderator.ui.tasks import TaskRunner

log = logging.getLogger(__name__)

REFRESH_CONTEXT = "Refreshing"
"""What the app was doing when the link or the credentials failed: keeping the picture live."""


class PollLoop(QObject):
    """Polls one account within its read budget; see the module docstring."""

    connectionChanged = Signal(object)  # ConnectionState
    roomsAnswered = Signal()  # the first rooms poll came back, either way
    second = Signal()  # once a second while running, for texts that move on

    def __init__(
        self,
        gateway: TwilioGateway,
        live: LiveState,
        dialer: Dialer,
        settings: PollSettings,
        *,
        apply: Callable[[Changes], None],
        selected: Callable[[], str | None],
        clock: Callable[[], datetime],
        monotonic: Callable[[], float] = time.monotonic,
        max_threads: int = 3,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._gateway = gateway
        self._live = live
        self._dialer = dialer
        self._apply = apply
        self._selected = selected
        self._clock = clock
        self._mono = monotonic
        self.planner = PollPlanner(settings)
        self.monitor = ConnectionMonitor()
        self.runner = TaskRunner(self, max_threads=max_threads)
        self._running = False
        #: Dial-in's hooks: the numbers whose lobby to list, and what a listing changes.
        self.lobby_numbers: Callable[[], list[str]] = list
        self.on_lobby: Callable[[str, list[Call]], Changes] = lambda _number, _calls: Changes()
        #: Room watching's hook: a room was just counted (history, capacity alerts).
        self.on_counted: Callable[[str], Changes] = lambda _room_sid: Changes()
        #: Recording's hooks (issue 10): group rooms whose rules tell REC, and what rules read
        #: back change.
        self.recording_rooms: Callable[[], list[str]] = list
        self.on_recording_rules: Callable[[str, list[dict[str, Any]]], Changes] = (
            lambda _room, _rules: Changes()
        )
        #: Mute for everyone's hooks: a room's participants polled, whose rules to read, a read
        #: (`rules_read(room, participant)` starts one and returns its work and its answer).
        self.on_participants: Callable[[str, list[Participant]], Changes] = (
            lambda _room, _participants: Changes()
        )
        self.rules_unread: Callable[[str | None], list[str]] = lambda _room: []
        self.rules_known: Callable[[str | None], list[str]] = lambda _room: []
        self.rules_read: Callable[
            [str, str], tuple[Callable[[], Any], Callable[[Any], Changes]] | None
        ] = lambda _room, _participant: None
        self._rooms_answered = False
        self._last_state: ConnectionState | None = None
        self._tick_timer = QTimer(self)
        self._tick_timer.setInterval(max(10, int(settings.tick_s * 1000)))
        self._tick_timer.timeout.connect(self.tick)
        self._second_timer = QTimer(self)
        self._second_timer.setInterval(1000)
        self._second_timer.timeout.connect(self._each_second)

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        self._running = True
        self.emit_connection(force=True)
        self._tick_timer.start()
        self._second_timer.start()
        self.tick()

    def stop(self, wait_ms: int) -> None:
        self._running = False
        self._tick_timer.stop()
        self._second_timer.stop()
        self.runner.shutdown(wait_ms)

    @property
    def settings(self) -> PollSettings:
        return self.planner.settings

    @settings.setter
    def settings(self, settings: PollSettings) -> None:
        self.planner.settings = settings

    @property
    def state(self) -> ConnectionState:
        return self.monitor.state(self._mono())

    # -- what the session asks for -------------------------------------------------------------

    def apply(self, changes: Changes) -> None:
        """The poll side of changes: drop history of things gone, run requested polls now."""
        for room_sid in changes.forget_rooms:
            self.planner.forget_room(room_sid)
        if changes.forget_polls:
            self.planner.forget(changes.forget_polls)
        if changes.polls:
            self.planner.request_now(*changes.polls)
        if changes.tick:
            self.tick()

    def refresh_now(self, *keys: str) -> None:
        """Poll these now; also lifts a backoff or a stop on rejected credentials."""
        self.monitor.resume()
        self.planner.request_now(*keys)
        self.emit_connection()
        self.tick()

    def read_pause_s(self) -> float:
        """Seconds before other reads may go out (0: now): while the poll loop backs off —
        Twilio said 429 with Retry-After, or the link is down — an action's background read
        (caller IDs) waits too, rather than spending the allowance Twilio asked us to leave."""
        now = self._mono()
        if self.monitor.may_poll(now):
            return 0.0
        if self.monitor.kind is ConnectionKind.AUTH_REJECTED:
            return math.inf
        return max(0.0, self.monitor.paused_until - now)

    def note_action_failure(self, error: TwilioError) -> bool:
        """Actions do not drive the backoff, except what is about the whole account: rejected
        credentials stop everything, and a 429 (Twilio limiting the account, with its
        Retry-After) pauses the polls as long as Twilio asked, as a poll's 429 would.

        True when this error is what told the app the credentials were rejected: it has then
        been reported once (as `Refreshing`, like a poll would), whichever request met it first.
        """
        if error.kind is ErrorKind.RATE_LIMITED:
            if self.monitor.failed(error, self._mono()):
                self.emit_connection()
            return False
        if error.kind is not ErrorKind.AUTH or not self.monitor.failed(error, self._mono()):
            return False
        self.emit_connection()
        self._apply(Changes.of_error(Report(error, REFRESH_CONTEXT, ErrorTopic.CONNECTION)))
        return True

    def emit_connection(self, *, force: bool = False) -> None:
        state = self.monitor.state(self._mono())
        if force or state != self._last_state:
            self._last_state = state
            self.connectionChanged.emit(state)

    # -- ticking ------------------------------------------------------------------------------

    @Slot()
    def tick(self) -> None:
        if not self._running:
            return
        now = self._mono()
        if not self.monitor.may_poll(now):
            return
        for job in self._dialer.due_reconciles(now, self.runner.in_flight):
            self._reconcile(job)
        probe = self.monitor.kind in (ConnectionKind.RETRYING, ConnectionKind.OFFLINE)
        for poll in self.planner.plan(
            now, self._context(), self.runner.in_flight, probe_only=probe
        ):
            self._start(poll)

    @Slot()
    def _each_second(self) -> None:
        """Count down a retry, move "Last refresh" on (emits only when the state differs)."""
        self.emit_connection()
        self.second.emit()

    def _context(self) -> PollContext:
        selected = self._selected()
        rooms = self._live.rooms
        return PollContext(
            room_sids=list(rooms),
            selected_room=selected if selected in rooms else None,
            guest_rooms=self._dialer.guest_rooms(selected),
            live_calls=self._dialer.live_calls(),
            tracks_missing=lambda: self._live.tracks_missing(selected),
            tracks_cached=lambda: self._live.tracks_cached(selected),
            rooms_pages=self._live.rooms_pages,
            lobby_numbers=self.lobby_numbers(),
            recording_rooms=self.recording_rooms(),
            rules_unread=lambda: self.rules_unread(selected),
            rules_known=lambda: self.rules_known(selected),
        )

    def _start(self, job: PollJob) -> None:
        gateway = self._gateway
        room_sid, target = job.room_sid, job.target
        work: Callable[[], Any]
        done: Callable[[Any], Changes]
        if job.kind is JobKind.ROOMS:
            work, done = gateway.list_rooms, self._on_rooms
        elif job.kind is JobKind.PARTICIPANTS and room_sid is not None:
            work = lambda: gateway.list_participants(room_sid)  # noqa: E731
            done = lambda ps: self._on_participants(room_sid, ps)  # noqa: E731
        elif job.kind is JobKind.TRACKS and room_sid is not None and target is not None:
            work = lambda: gateway.list_published_tracks(room_sid, target)  # noqa: E731
            done = lambda ts: self._on_tracks(room_sid, target, ts)  # noqa: E731
        elif job.kind is JobKind.CALL and target is not None:
            work, done = (lambda: gateway.fetch_call(target)), self._dialer.call_fetched
        elif job.kind is JobKind.LOBBY and target is not None:
            work = lambda: gateway.list_calls(to=target, status=CallStatus.IN_PROGRESS)  # noqa: E731
            done = lambda calls: self.on_lobby(target, calls)  # noqa: E731
        elif job.kind is JobKind.RECORDING_RULES and room_sid is not None:
            rules = RecordingGateway(gateway)
            work = lambda: rules.fetch_recording_rules(room_sid)  # noqa: E731
            done = lambda found: self.on_recording_rules(room_sid, found)  # noqa: E731
        elif job.kind is JobKind.RULES and room_sid is not None and target is not None:
            read = self.rules_read(room_sid, target)
            if read is None:
                return
            work, done = read
        elif job.kind is JobKind.CALLS:
            asked_at = self._mono()
            work = self._list_live_calls
            done = lambda calls: self._dialer.calls_listed(calls, asked_at)  # noqa: E731
        else:
            return

        def succeeded(result: Any) -> None:
            changes = done(result)
            self._succeeded()
            self._apply(changes)

        self.runner.run(job.key, work, succeeded, lambda error: self._failed(job, error))

    def _list_live_calls(self) -> list[Call]:
        """Many calls under way: two listings by status instead of one fetch per call."""
        statuses = (CallStatus.RINGING, CallStatus.IN_PROGRESS)
        return [call for status in statuses for call in self._gateway.list_calls(status=status)]

    # -- answers ------------------------------------------------------------------------------

    def _on_rooms(self, rooms: list[Room]) -> Changes:
        self._first_rooms_answer()
        changes, gone = self._live.apply_rooms(rooms)
        for room in gone:
            changes += self._dialer.room_gone(room.sid, room.unique_name)
        return changes

    def _on_participants(self, room_sid: str, participants: list[Participant]) -> Changes:
        changes = self._live.apply_participants(room_sid, participants)
        if changes:
            self.planner.counted(room_sid, self._mono())
            changes += self.on_counted(room_sid)
        return changes + self.on_participants(room_sid, participants)

    def _on_tracks(
        self, room_sid: str, participant_sid: str, tracks: list[PublishedTrack]
    ) -> Changes:
        return self._live.apply_tracks(room_sid, participant_sid, tracks, self._mono())

    def _succeeded(self) -> None:
        if self.monitor.succeeded(self._clock()):
            self.emit_connection()
            self.tick()  # back online: catch up at once instead of at the next tick

    def _failed(self, job: PollJob, error: TwilioError) -> None:
        if job.kind is JobKind.ROOMS:
            self._first_rooms_answer()
        if self.monitor.failed(error, self._mono()):
            self.emit_connection()
            if self.monitor.kind is ConnectionKind.AUTH_REJECTED:
                report = Report(error, REFRESH_CONTEXT, ErrorTopic.CONNECTION)
                self._apply(Changes.of_error(report))
            return
        if is_link_failure(error) or error.kind is ErrorKind.AUTH:
            return
        # A poll failed for a reason that is about the thing polled, not the link.
        if error.kind is ErrorKind.NOT_FOUND:
            if job.kind in (JobKind.PARTICIPANTS, JobKind.TRACKS, JobKind.RULES):
                self.planner.request_now(ROOMS_KEY)  # the room probably ended
            elif job.kind is JobKind.CALL and job.target is not None:
                self._apply(self._dialer.call_lost(job.target))
            return
        log.warning("poll %s failed: %r", job.key, error)

    def _first_rooms_answer(self) -> None:
        if not self._rooms_answered:
            self._rooms_answered = True
            self.roomsAnswered.emit()

    # -- reconciliation of create-calls with an unknown outcome -------------------------------

    def _reconcile(self, job: ReconcileJob) -> None:
        gateway = self._gateway

        def done(calls: list[Call]) -> None:
            self._succeeded()
            self._apply(self._dialer.reconciled(job.dial_id, calls))

        def failed(error: TwilioError) -> None:
            if not self.monitor.failed(error, self._mono()):
                log.warning("reconciling %s failed: %r", job.dial_id, error)
            self.emit_connection()
            self._dialer.reconcile_failed(job.dial_id)

        self.runner.run(
            job.key,
            lambda: gateway.list_calls(to=job.to, from_=job.from_, created_after=job.since),
            done,
            failed,
        )


__all__ = ["CALLS_KEY", "REFRESH_CONTEXT", "ROOMS_KEY", "PollLoop"]
