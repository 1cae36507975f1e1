"""Mute for everyone, live: the rules write queue, its progress and retries, and rules read back.

The decisions are the Qt-free core's (`MuteBook` for the mute state and the writes it needs,
`WriteBudget` for Twilio's 20 writes/s per account); this QObject runs the writes on a pool of
its own, as fast as the budget admits them, and turns the answers into signals and `Changes`.
Reads of the rules come from the poll loop, inside the read budget (the planner's
`JobKind.RULES`), and every participants poll tells the book who is in the room, so a newcomer
gets the room's mutes within one poll.

The budget is the whole app's: `Session.write_budget` hands it to any other writer (`acquire`,
or `enqueue` with priority 0), so mutes and other writes together stay under Twilio's limit.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from moderator.core.action_states import MUTE_ROOM_TYPES
from moderator.core.changes import Changes, ErrorTopic, Report
from moderator.core.errors import ErrorKind, TwilioError
from moderator.core.gateway import TwilioGateway
from moderator.core.guest_state import GuestEvent
from moderator.core.guests import GuestBook
from moderator.core.identity import PHONE_IDENTITY_PREFIX
from moderator.core.live_state import LiveState
from moderator.core.models import Participant
from moderator.core.mute_rules import Member
from moderator.core.mutes import MuteBook, MuteStep, MuteView, MuteWrite, RulesSnapshot
from moderator.core.redaction import mask_number
from moderator.core.video_gateway import RulesRead, VideoGateway
from moderator.core.write_budget import GaveUp, Write, WriteBudget
from moderator.ui.tasks import TaskRunner

__all__ = ["MuteDesk", "MuteProgress"]

log = logging.getLogger(__name__)

#: Codes saying the subscriber is gone: its rules no longer matter, nothing to report.
_GONE_CODES = frozenset({53204, 20404})
MUTE_CONTEXT = "Mute for everyone"
"""What the app was doing when a rules write was given up (the error line's prefix)."""
WRITE_THREADS = 4
"""Writes in flight at once: at 150 ms a request, 4 keep up with 20 writes/s."""
WINDOW_MARGIN_S = 0.05
"""Twilio counts writes as they arrive, not as they leave: a send delayed on the way must not
land in the next second's count, so the app's window is a little longer than Twilio's."""


class MuteProgress:
    """How far the room's running mute batches are: rules written (or given up) of all queued."""

    __slots__ = ("done", "room_sid", "total")

    def __init__(self, room_sid: str, done: int, total: int) -> None:
        self.room_sid = room_sid
        self.done = done
        self.total = total

    @property
    def running(self) -> bool:
        return self.done < self.total

    def text(self) -> str:
        return f"Writing subscribe rules: {self.done} of {self.total}"


class MuteDesk(QObject):
    """One profile's mutes; owned by the Session."""

    mutesChanged = Signal(str)  # room SID whose mute state (or progress) changed
    progressChanged = Signal(object)  # MuteProgress of a room with writes under way
    refused = Signal(str, str)  # room SID, why a command was not applied (nothing changed)

    def __init__(
        self,
        gateway: TwilioGateway,
        book: GuestBook,
        live: LiveState,
        *,
        apply: Callable[[Changes], None],
        clock: Callable[[], datetime],
        monotonic: Callable[[], float] = time.monotonic,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._video = VideoGateway(gateway)
        self._guests = book
        self._live = live
        self._apply = apply
        self._clock = clock
        self.budget: WriteBudget[MuteWrite] = WriteBudget(monotonic, window_s=1.0 + WINDOW_MARGIN_S)
        self.mutes = MuteBook(clock, names=self._name)
        self.runner = TaskRunner(self, max_threads=WRITE_THREADS)
        self._names: dict[str, str] = {}
        self._batch_rooms: dict[str, str] = {}
        self._batch_errors: dict[str, TwilioError] = {}  # the last write given up, per batch
        # One write per subscriber on the wire at a time, so they land in the order planned;
        # a later one waits here until the earlier is answered, then takes a fresh slot.
        self._sending: set[tuple[str, str]] = set()
        self._held: dict[tuple[str, str], list[Write[MuteWrite]]] = {}
        self._pump_timer = QTimer(self)
        self._pump_timer.setSingleShot(True)
        self._pump_timer.timeout.connect(self._pump)

    def shutdown(self, wait_ms: int) -> None:
        self._pump_timer.stop()
        self.runner.shutdown(wait_ms)

    # -- queries ------------------------------------------------------------------------------

    def views(self, room_sid: str) -> dict[str, MuteView]:
        """Participant identity → its mute state, for the roster."""
        return self.mutes.views(room_sid)

    def progress(self, room_sid: str) -> MuteProgress | None:
        """The room's batches under way, summed; None when none runs."""
        done = total = 0
        for batch, room in self._batch_rooms.items():
            if room == room_sid:
                progress = self.budget.progress(batch)
                done += progress.done + progress.failed
                total += progress.total
        return MuteProgress(room_sid, done, total) if total else None

    def synced(self, room_sid: str) -> bool:
        return self.mutes.synced(room_sid)

    def display_name(self, identity: str) -> str:
        """How the window names a participant: a phone guest by masked number, else identity."""
        return self._name(identity)

    # -- the host's commands ------------------------------------------------------------------

    def mute(self, room_sid: str, identity: str) -> None:
        """Mute `identity` for everyone in the room (applied once the rules are read)."""
        self._run_step(room_sid, self.mutes.mute(room_sid, identity))

    def unmute(self, room_sid: str, identity: str) -> None:
        self._run_step(room_sid, self.mutes.unmute(room_sid, identity))

    def mute_phone_guests(self, room_sid: str) -> None:
        self._run_step(room_sid, self.mutes.mute_phone_guests(room_sid))

    # -- the poll loop's hooks ------------------------------------------------------------------

    def participants_polled(self, room_sid: str, participants: list[Participant]) -> Changes:
        """A participants poll: who is in the room (newcomers get the mutes)."""
        if not self._has_rules(room_sid):
            return Changes()
        connected = [p for p in participants if p.connected]
        members = [Member(p.identity, p.sid, self._is_phone(room_sid, p)) for p in connected]
        for participant in connected:
            self._names[participant.identity] = self._display(room_sid, participant)
        return self._changes(room_sid, self.mutes.participants(room_sid, members))

    def unread(self, room_sid: str | None) -> list[str]:
        return self.mutes.unread(room_sid) if self._has_rules(room_sid) else []

    def known(self, room_sid: str | None) -> list[str]:
        return self.mutes.known(room_sid) if self._has_rules(room_sid) else []

    def _has_rules(self, room_sid: str | None) -> bool:
        """Only group rooms' media servers apply subscribe rules: other rooms are never read."""
        room = self._live.room(room_sid) if room_sid is not None else None
        return room is not None and room.type in MUTE_ROOM_TYPES

    def rules_read(
        self, room_sid: str, participant_sid: str
    ) -> tuple[Callable[[], Any], Callable[[Any], Changes]]:
        """The work and answer of one rules read, for the poll loop to run."""
        token = self.mutes.read_token(room_sid, participant_sid)
        video = self._video

        def done(read: RulesRead) -> Changes:
            snapshot = RulesSnapshot(read.participant_sid, read.rules, read.date_updated)
            return self._changes(room_sid, self.mutes.rules_read(room_sid, snapshot, token))

        return (lambda: video.fetch_rules(room_sid, participant_sid)), done

    def room_gone(self, room_sid: str) -> None:
        self.mutes.room_gone(room_sid)

    # -- inside -------------------------------------------------------------------------------

    def _is_phone(self, room_sid: str, participant: Participant) -> bool:
        """A phone guest: dialed or admitted by the app, or named as the app names them."""
        if participant.identity.startswith(PHONE_IDENTITY_PREFIX):
            return True
        return self._guests.owner_of(room_sid, participant) is not None

    def _display(self, room_sid: str, participant: Participant) -> str:
        owner = self._guests.owner_of(room_sid, participant)
        if owner is not None and owner.number:
            return mask_number(owner.number)
        return participant.identity

    def _name(self, identity: str) -> str:
        return self._names.get(identity, identity)

    def _run_step(self, room_sid: str, step: MuteStep) -> None:
        if step.refused:
            self.refused.emit(room_sid, step.refused)
        self._apply(self._changes(room_sid, step))

    def _changes(self, room_sid: str, step: MuteStep) -> Changes:
        """A book step as Changes; its writes go to the queue."""
        changes = Changes(rosters=set(step.rosters))
        room_name = self._live.room_name(room_sid)
        now = self._clock()
        for line in step.lines:
            changes.events.append(GuestEvent(now, line.room_sid, room_name, line.kind, line.text))
        if step.writes:
            self.budget.enqueue_batch(step.batch, step.writes)
            self._batch_rooms[step.batch] = room_sid
            changes.rosters.add(room_sid)
            self._schedule(0)
        if changes.rosters or step.writes:
            QTimer.singleShot(0, self, lambda: self._changed(room_sid))
        return changes

    def _changed(self, room_sid: str) -> None:
        self.mutesChanged.emit(room_sid)
        progress = self.progress(room_sid)
        if progress is not None:
            self.progressChanged.emit(progress)

    def _schedule(self, delay_s: float) -> None:
        delay_ms = max(0, int(delay_s * 1000 + 0.999))
        if self._pump_timer.isActive() and self._pump_timer.remainingTime() <= delay_ms:
            return
        self._pump_timer.start(delay_ms)

    @Slot()
    def _pump(self) -> None:
        """Send what the budget admits now, then wake up when it admits more."""
        if not self.runner.accepting:
            return
        for key in [k for k in self._held if k not in self._sending]:
            if self.runner.in_flight_count() >= WRITE_THREADS or not self.budget.acquire():
                self._schedule(0.05)
                return
            held = self._held[key]
            self._send(held.pop(0))
            if not held:
                del self._held[key]
        free = WRITE_THREADS - self.runner.in_flight_count()
        if free > 0:
            for write in self.budget.admit(limit=free):
                key = (write.payload.room_sid, write.payload.subscriber)
                if key in self._sending or key in self._held:
                    self._held.setdefault(key, []).append(write)  # its slot goes unused
                else:
                    self._send(write)
        if self.runner.in_flight_count() >= WRITE_THREADS:
            return  # each answer pumps again
        slot = self.budget.next_slot()
        if slot is not None:
            self._schedule(max(0.0, slot - self.budget.clock()))

    def _send(self, write: Write[MuteWrite]) -> None:
        payload = write.payload
        video = self._video
        self._sending.add((payload.room_sid, payload.subscriber))

        def work() -> RulesRead:
            return video.update_rules(payload.room_sid, payload.participant_sid, payload.rules)

        self.runner.run(
            None, work, lambda read: self._written(write, read), lambda e: self._failed(write, e)
        )

    def _written(self, write: Write[MuteWrite], read: RulesRead) -> None:
        self._sending.discard((write.payload.room_sid, write.payload.subscriber))
        self.budget.succeeded(write)
        self._settle(write.payload, self.mutes.written(write.payload, read.date_updated))

    def _failed(self, write: Write[MuteWrite], error: TwilioError) -> None:
        self._sending.discard((write.payload.room_sid, write.payload.subscriber))
        if error.code in _GONE_CODES:  # the subscriber left: nothing to write any more
            self.budget.succeeded(write)
            self._settle(write.payload, self.mutes.written(write.payload))
            return
        if self.mutes.superseded(write.payload):
            self.budget.succeeded(write)
            self._settle(write.payload, self.mutes.dropped(write.payload))
            return
        retryable = error.retryable or error.kind in (ErrorKind.RATE_LIMITED, ErrorKind.SERVER)
        outcome = self.budget.failed(write, retryable=retryable, retry_after_s=error.retry_after)
        if isinstance(outcome, GaveUp):
            log.info("rules write given up: %s (%r)", outcome.reason, error)
            self._batch_errors[write.payload.batch] = error
            self._settle(write.payload, self.mutes.write_failed(write.payload, error.message))
        else:
            self._schedule(max(0.0, outcome.at - self.budget.clock()))
            self._changed(write.payload.room_sid)

    def _settle(self, write: MuteWrite, step: MuteStep) -> None:
        """A write is settled: its step shown; a batch that gave up a write is reported (the
        report is its log line, so the line is not logged twice)."""
        room_sid = write.room_sid
        reports: list[Report] = []
        if self.budget.progress(write.batch).finished:
            self._batch_rooms.pop(write.batch, None)
            error = self._batch_errors.pop(write.batch, None)
            if error is not None:
                for line in [line for line in step.lines if line.kind == "error"]:
                    report = TwilioError(
                        line.text, action=error.action, kind=error.kind, code=error.code
                    )
                    reports.append(Report(report, MUTE_CONTEXT, ErrorTopic.ACTION, room_sid))
                    step.lines.remove(line)
        changes = self._changes(room_sid, step)
        changes.errors.extend(reports)
        self._apply(changes)
        self._changed(room_sid)
        self._schedule(0)
