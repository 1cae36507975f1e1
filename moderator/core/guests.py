"""The guest book: which identities the app dialed into which room, and how each dial is going.

Twilio marks no participant as a phone guest, so the app must remember what it dialed. Each dial
is a small state machine (`guest_machine`) fed by two independent polls, the call (`apply_call`)
and the room's participants (`apply_participants`). Polls can arrive late, twice or out of order,
so a guest only ever moves forward.

The book hands out frozen `PhoneGuest` snapshots and replaces its own on every change; its
queries change nothing. Each change is a typed fact: `GuestRecorder` writes it to the journal and
`guest_text` words it as an event.

Threading: the book is plain data with no locks. Call it from the GUI thread only (workers hand
their results over through signals first); the journal it writes to has the same rule.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from moderator.core import guest_machine as machine
from moderator.core.guest_facts import Ending, Fact, Happening, RoomHappening
from moderator.core.guest_journal import GuestRecorder
from moderator.core.guest_machine import NOT_YET_ANSWERED, RECONCILE_SLACK, Step
from moderator.core.guest_state import (
    DEFAULT_TIMEOUT_S,
    Direction,
    GuestEvent,
    GuestStatus,
    PhoneGuest,
    utcnow,
)
from moderator.core.guest_text import NOT_FOUND_BY_RECONCILE, event_text, room_event_text
from moderator.core.journal import Journal
from moderator.core.models import Call, Participant
from moderator.core.redaction import mask_number, redact_numbers
from moderator.core.sip import SipAuth

__all__ = ["RECONCILE_SLACK", "GuestBook", "GuestEvent", "GuestStatus", "PhoneGuest", "utcnow"]

_STATUS_VALUES = frozenset(status.value for status in GuestStatus)


@dataclass
class _RoomWatch:
    """What the book knows of one room between polls."""

    name: str = ""
    # App (non-phone) participants at the last poll, SID → identity; None until the first poll,
    # which is a baseline and reports no joins.
    app: dict[str, str] | None = None
    # Everyone connected at the last poll, SID → identity: the participants already there when a
    # dial starts can never be that dial's guest.
    connected: dict[str, str] = field(default_factory=dict)
    ended: bool = False


class GuestBook:
    """Which identities the app dialed, per room, and their live state; persisted via the journal.

    Every change is written to the journal (if given) as it happens. A failed journal write
    after a dial has started is reported as an "error" event and the book carries on; a failed
    write of the dial itself (`start_dial`) raises, so no call is placed that is not on record.
    """

    def __init__(
        self, journal: Journal | None = None, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._clock = clock
        self._recorder = GuestRecorder(journal, clock, self.room_name)
        self._guests: dict[str, PhoneGuest] = {}  # by dial_id, in dial order
        self._by_room: dict[str, list[str]] = {}  # each room's dial_ids, in dial order
        self._by_call_sid: dict[str, str] = {}
        self._rooms: dict[str, _RoomWatch] = {}
        self._preexisting: dict[str, frozenset[str]] = {}
        self._absent_after_answer: set[str] = set()
        # Calls of finished dials from earlier runs: never mistaken for a lost dial's call.
        self._journaled_sids: frozenset[str] = frozenset()

    @classmethod
    def from_journal(cls, journal: Journal, clock: Callable[[], datetime] = utcnow) -> GuestBook:
        """A book holding the journal's unfinished dials, for restart recovery.

        The caller then polls `live_call_sids()` as usual (ended calls get their final status)
        and reconciles the `UNKNOWN` ones (no call SID was recorded) with `match_call`.
        """
        book = cls(journal, clock)
        book._journaled_sids = frozenset(e.call_sid for e in journal.entries() if e.call_sid)
        for entry in journal.unfinished():
            history = [
                (GuestStatus(step.status), step.at)
                for step in journal.timeline(entry.dial_id)
                if step.status in _STATUS_VALUES
            ]
            book.adopt(entry.to_guest(history))
        return book

    # -- queries (snapshots; they change nothing) -----------------------------------------

    def get(self, dial_id: str) -> PhoneGuest | None:
        return self._guests.get(dial_id)

    def guest_for_call(self, call_sid: str) -> PhoneGuest | None:
        dial_id = self._by_call_sid.get(call_sid)
        return self._guests.get(dial_id) if dial_id is not None else None

    def all_guests(self) -> list[PhoneGuest]:
        """Every dial the book holds, in dial order."""
        return list(self._guests.values())

    def guests_in_room(self, room_sid: str) -> list[PhoneGuest]:
        """The room's dials in dial order, finished ones and redialed ones included."""
        return [self._guests[dial_id] for dial_id in self._by_room.get(room_sid, ())]

    def live_call_sids(self) -> list[str]:
        """Calls that may still change: poll these."""
        return [g.call_sid for g in self._guests.values() if g.call_sid and g.status.is_live]

    def phone_identities(self, room_sid: str) -> set[str]:
        """Identities the app dialed into that room (any outcome)."""
        return {g.identity for g in self.guests_in_room(room_sid)}

    def phone_connected_count(self, room_sid: str) -> int:
        """Phone guests now in the room, for the n/35 count."""
        return sum(g.status is GuestStatus.CONNECTED for g in self.guests_in_room(room_sid))

    def room_name(self, room_sid: str) -> str:
        watch = self._rooms.get(room_sid)
        return watch.name if watch else ""

    def owner_of(self, room_sid: str, participant: Participant) -> PhoneGuest | None:
        """The dial a connected participant belongs to, or None for an app participant
        (see `guest_machine.owner_of` for the rules)."""
        return machine.owner_of(self.guests_in_room(room_sid), participant, self._preexisting)

    def match_call(self, dial_id: str, calls: Iterable[Call]) -> Call | None:
        """Of recently listed calls, the one an `UNKNOWN` dial placed, if any.

        A create-call that timed out is never retried: the caller lists recent calls from the
        dial's caller ID and asks this. A call another dial owns, now or in the journal, never
        matches (see `guest_machine.match_call` for the rest).
        """
        guest = self._guests.get(dial_id)
        if guest is None:
            return None

        def taken(sid: str) -> bool:
            return sid in self._by_call_sid or sid in self._journaled_sids

        return machine.match_call(guest, calls, taken)

    def unanswered_in_ended_room(self, room_sid: str) -> list[PhoneGuest]:
        """Guests still being dialed into a room that ended, which the app cancels so nobody
        picks up only to hear that the meeting is over. `room_ended` marks them (their
        `cancel_reason`, hence `cancel_on_create` while no call SID is known)."""
        return [
            guest
            for guest in self.guests_in_room(room_sid)
            if guest.cancel_reason
            and guest.status in NOT_YET_ANSWERED
            and not guest.removal_requested
        ]

    # -- the host's actions ----------------------------------------------------------------

    def start_dial(
        self,
        *,
        room_sid: str,
        room_name: str,
        identity: str,
        number: str,
        masked_number: str,
        label: str,
        caller_id: str,
        timeout_s: int = DEFAULT_TIMEOUT_S,
        direction: Direction = Direction.DIALED,
        sip_auth: SipAuth | None = None,
    ) -> PhoneGuest:
        """Record a dial before its create-call request is sent; the guest row exists from now.

        `timeout_s` is how long the call may ring; it is kept for a redial, not journaled.
        Raises `JournalError` when the journal cannot record it; then nothing has changed and
        the call must not be placed.
        """
        if not room_sid or not identity:
            raise ValueError("A dial needs a room and an identity")
        now = self._clock()
        guest = PhoneGuest(
            dial_id=uuid.uuid4().hex,
            room_sid=room_sid,
            room_name=room_name,
            identity=identity,
            number=number,
            masked_number=masked_number or mask_number(number),
            label=label,
            caller_id=caller_id,
            history=((GuestStatus.DIALING, now),),
            dialed_at=now,
            timeout_s=timeout_s,
            direction=direction,
            sip_auth=sip_auth,
        )
        self._recorder.record_dial(guest)
        watch = self._room(room_sid, room_name)
        self._add(guest)
        self._preexisting[guest.dial_id] = frozenset(
            sid for sid, who in watch.connected.items() if who == identity
        )
        return guest

    def start_admit(
        self,
        *,
        room_sid: str,
        room_name: str,
        identity: str,
        number: str,
        label: str,
        dial_in_number: str,
        call_sid: str,
    ) -> PhoneGuest:
        """Record a caller being admitted from the lobby, before the call's TwiML is replaced.

        The caller becomes a guest like a dialed one (roster, journal, Remove, restart), with
        `caller_id` the dial-in number they called. Unlike a dial, the call exists already, so
        its SID is journaled at once: a crash before Twilio answers the redirect still leaves a
        guest a restart can follow (and hang up). `admitted` follows once Twilio took the new
        TwiML; if it refused, `admit_failed` ends this guest and the caller stays on hold.
        Raises `JournalError` when the journal cannot record it; nothing has changed then.
        """
        if call_sid in self._by_call_sid:
            raise ValueError("This call is already a guest")
        now = self._clock()
        guest = PhoneGuest(
            dial_id=uuid.uuid4().hex,
            room_sid=room_sid,
            room_name=room_name,
            identity=identity,
            number=number,
            masked_number=mask_number(number) if number else "an unknown caller",
            label=label,
            caller_id=dial_in_number,
            call_sid=call_sid,
            history=((GuestStatus.DIALING, now),),
            dialed_at=now,
            direction=Direction.CALLED_IN,
        )
        self._recorder.record_dial(guest)
        watch = self._room(room_sid, room_name)
        self._add(guest)
        self._by_call_sid[call_sid] = guest.dial_id
        self._preexisting[guest.dial_id] = frozenset(
            sid for sid, who in watch.connected.items() if who == identity
        )
        return guest

    def admitted(self, dial_id: str, call: Call) -> list[GuestEvent]:
        """Twilio took the admitting TwiML: one line for the log, then the call's state."""
        guest = self._guests.get(dial_id)
        if guest is None or guest.call_sid != call.sid:
            return []
        fact = Fact(Happening.CALL_CREATED, detail=call.sid)
        return [self._event(guest, fact, self._clock()), *self.apply_call(call)]

    def admit_failed(self, dial_id: str, error_message: str) -> list[GuestEvent]:
        """Twilio refused to redirect the call; the caller is still in the lobby, so the call
        is no longer this guest's (a later admit makes a new one)."""
        guest = self._guests.get(dial_id)
        if guest is None or guest.status.is_final:
            return []
        if guest.call_sid is not None:
            self._by_call_sid.pop(guest.call_sid, None)
        fact = Fact(Ending.REJECTED, detail=machine.redact(guest, error_message))
        return self._apply(machine.finish(guest, fact, self._clock()))

    def redial(self, dial_id: str) -> PhoneGuest:
        """A new dial of a finished guest: same room, number, label, identity, caller ID and
        ring timeout."""
        old = self._guests.get(dial_id)
        if old is None:
            raise KeyError(dial_id)
        if not old.status.can_redial:
            raise ValueError("This guest's call is still under way")
        if old.number is None:
            raise ValueError("The full number is not known since the restart; dial it anew")
        return self.start_dial(
            room_sid=old.room_sid,
            room_name=old.room_name,
            identity=old.identity,
            number=old.number,
            masked_number=old.masked_number,
            label=old.label,
            caller_id=old.caller_id,
            timeout_s=old.timeout_s,
            sip_auth=old.sip_auth,
        )

    def mark_removed(self, dial_id: str) -> list[GuestEvent]:
        """The host asked to remove a guest (cancel, or disconnect and hang up).

        Only the intent is recorded: the status follows from the next polls, so a removal whose
        request fails leaves the guest truthfully where it was. The final reason then says
        "Removed by host" / "Canceled by host". While no call SID is known, the guest's
        `cancel_on_create` tells the caller to end the call once Twilio confirms it.
        """
        guest = self._guests.get(dial_id)
        step = machine.removal_requested(guest, self._clock()) if guest else None
        return self._apply(step)

    def app_participant_removed(
        self, room_sid: str, identity: str, room_name: str | None = None
    ) -> list[GuestEvent]:
        """The host removed an app participant: one line for the log, one row in the journal."""
        watch = self._room(room_sid, room_name)
        now = self._clock()
        events = [self._room_event(room_sid, RoomHappening.APP_REMOVED, identity, now)]
        action = self._recorder.record_action(
            now, room_sid, watch.name, "removed-participant", identity
        )
        return events + action

    # -- outcomes of the create-call request -----------------------------------------------

    def call_created(self, dial_id: str, call: Call) -> list[GuestEvent]:
        """Twilio accepted the create-call request (or reconciliation found the call)."""
        guest = self._guests.get(dial_id)
        if guest is None:
            return []
        if guest.call_sid == call.sid:
            return self.apply_call(call)
        now = self._clock()
        if guest.call_sid is not None or call.sid in self._by_call_sid:
            fact = Fact(Happening.SECOND_CALL_IGNORED, detail=call.sid)
            return [self._event(guest, fact, now)]
        self._by_call_sid[call.sid] = dial_id
        step = machine.call_created(guest, call.sid, now)
        self._store(step.after)
        events = self._recorder.record(step)
        if step.after.status.is_final:
            return events
        return [*events, self._event(step.after, step.fact, now), *self.apply_call(call)]

    def dial_rejected(self, dial_id: str, error_message: str) -> list[GuestEvent]:
        """Twilio refused the create-call request: the dial is over, with Twilio's reason."""
        return self._end_unplaced(dial_id, Ending.REJECTED, error_message)

    def dial_outcome_unknown(self, dial_id: str, error_message: str) -> list[GuestEvent]:
        """The create-call request got no answer: the call may exist. Reconcile, never retry."""
        guest = self._guests.get(dial_id)
        if guest is None:
            return []
        fact = Fact(Happening.OUTCOME_UNKNOWN, detail=machine.redact(guest, error_message))
        return self._apply(machine.outcome_pending(guest, fact, self._clock()))

    def reconcile_not_found(self, dial_id: str) -> list[GuestEvent]:
        """Reconciliation found no call for an `UNKNOWN` dial: it was never placed."""
        return self.dial_not_sent(dial_id, NOT_FOUND_BY_RECONCILE)

    def dial_not_sent(self, dial_id: str, reason: str) -> list[GuestEvent]:
        """The create-call request was never sent (e.g. the session closed first): over, unplaced.

        Unlike `dial_rejected`, this does not blame Twilio.
        """
        return self._end_unplaced(dial_id, Ending.NOT_PLACED, reason)

    def _end_unplaced(self, dial_id: str, ending: Ending, why: str) -> list[GuestEvent]:
        guest = self._guests.get(dial_id)
        if guest is None or guest.call_sid is not None or guest.status.rank > 0:
            return []
        fact = Fact(ending, detail=machine.redact(guest, why))
        return self._apply(machine.finish(guest, fact, self._clock()))

    def adopt(self, guest: PhoneGuest) -> None:
        """Restart recovery: take back a dial from the journal so it can be polled and ended.

        A dial the journal left as DIALING lost its create-call answer with the old process:
        it becomes UNKNOWN, to be reconciled like a timeout.
        """
        if guest.dial_id in self._guests:
            return
        self._room(guest.room_sid, guest.room_name)
        self._add(guest)
        self._preexisting[guest.dial_id] = frozenset()
        if guest.call_sid:
            self._by_call_sid[guest.call_sid] = guest.dial_id
        now = self._clock()
        self._recorder.adopt(guest, now)
        if guest.status is GuestStatus.DIALING:
            if guest.call_sid is None:
                fact = Fact(Happening.UNCONFIRMED_AT_RESTART)
                step = machine.outcome_pending(guest, fact, now)
            else:
                step = machine.advance(guest, GuestStatus.QUEUED, Fact(Happening.QUEUED), now)
            self._apply(step)  # no line for the log: nothing happened since the restart

    # -- polls -----------------------------------------------------------------------------

    def apply_call(self, call: Call) -> list[GuestEvent]:
        """A polled call snapshot; unknown, stale and repeated ones change nothing."""
        guest = self.guest_for_call(call.sid)
        if guest is None or guest.status.is_final:
            return []
        watch = self._rooms.get(guest.room_sid)
        timed, step = machine.call_polled(
            guest,
            call,
            self._clock(),
            room_ended=watch is not None and watch.ended,
            absent=guest.dial_id in self._absent_after_answer,
        )
        self._store(timed)
        return self._apply(step)

    def apply_participants(
        self,
        room_sid: str,
        participants: Sequence[Participant],
        *,
        room_name: str | None = None,
    ) -> list[GuestEvent]:
        """A polled list of the room's connected participants.

        Moves phone guests to CONNECTED or LEFT, and reports app participants who joined or
        left since the previous poll of this room (the first poll only sets the baseline).
        """
        watch = self._room(room_sid, room_name)
        present = {p.sid: p for p in participants if p.connected}
        identities = [p.identity for p in present.values()]
        events: list[GuestEvent] = []

        for guest in self.guests_in_room(room_sid):
            if guest.status is GuestStatus.CONNECTED and guest.participant_sid not in present:
                now = self._clock()
                step = machine.participant_gone(guest, identities, now, room_ended=watch.ended)
                events += self._apply(step)

        phone_sids: set[str] = set()
        for participant in present.values():
            owner = self.owner_of(room_sid, participant)
            if owner is None:
                continue
            phone_sids.add(participant.sid)
            if owner.participant_sid != participant.sid and not owner.status.is_final:
                events += self._apply(machine.joined(owner, participant.sid, self._clock()))

        for guest in self.guests_in_room(room_sid):
            if guest.status is GuestStatus.JOINING:
                self._absent_after_answer.add(guest.dial_id)

        app_now = {sid: p.identity for sid, p in present.items() if sid not in phone_sids}
        if watch.app is not None:
            now, before = self._clock(), watch.app
            joined = [(RoomHappening.APP_JOINED, i) for s, i in app_now.items() if s not in before]
            left = [(RoomHappening.APP_LEFT, i) for s, i in before.items() if s not in present]
            events += [self._room_event(room_sid, what, who, now) for what, who in joined + left]
        watch.app = app_now
        watch.connected = {sid: p.identity for sid, p in present.items()}
        return events

    def room_ended(self, room_sid: str, room_name: str | None = None) -> list[GuestEvent]:
        """The room is no longer in progress: its guests are out, later joins can't happen,
        and the calls still unanswered are to be canceled (see `unanswered_in_ended_room`)."""
        watch = self._room(room_sid, room_name)
        watch.ended = True
        events: list[GuestEvent] = []
        for guest in self.guests_in_room(room_sid):
            if guest.status is GuestStatus.CONNECTED:
                events += self._apply(machine.finish(guest, Fact(Ending.ROOM_ENDED), self._clock()))
            elif (canceled := machine.canceled_for_ended_room(guest)) is not None:
                self._store(canceled)
        watch.app = None
        watch.connected = {}
        return events

    # -- helpers ---------------------------------------------------------------------------

    def _apply(self, step: Step | None) -> list[GuestEvent]:
        """Store a step's guest, journal it, and word its line (first, before any journal error).

        A final step leaves the "absent after answer" watch: nothing more will happen to it.
        """
        if step is None:
            return []
        self._store(step.after)
        if step.after.status.is_final:
            self._absent_after_answer.discard(step.after.dial_id)
        journal_errors = self._recorder.record(step)
        if step.fact.kind is None:
            return journal_errors
        return [self._event(step.after, step.fact, step.at), *journal_errors]

    def _add(self, guest: PhoneGuest) -> None:
        self._guests[guest.dial_id] = guest
        self._by_room.setdefault(guest.room_sid, []).append(guest.dial_id)

    def _store(self, guest: PhoneGuest) -> None:
        """Replace the stored snapshot of a dial the book holds."""
        self._guests[guest.dial_id] = guest

    def _room(self, room_sid: str, room_name: str | None) -> _RoomWatch:
        watch = self._rooms.setdefault(room_sid, _RoomWatch())
        if room_name:
            watch.name = room_name
        return watch

    def _event(self, guest: PhoneGuest, fact: Fact, at: datetime) -> GuestEvent:
        kind = fact.kind
        assert kind is not None, fact
        text = event_text(fact, guest)
        return GuestEvent.about(guest, kind, text, at, self.room_name(guest.room_sid))

    def _room_event(
        self, room_sid: str, what: RoomHappening, identity: str, at: datetime
    ) -> GuestEvent:
        text = redact_numbers(room_event_text(what, identity))
        return GuestEvent(at, room_sid, self.room_name(room_sid), what.value, text)
