"""The guest book: which identities the app dialed into which room, and how each dial is going.

Twilio marks no participant as a phone guest, so the app must remember what it dialed. Each dial
is a small state machine fed by two independent polls, the call (`apply_call`) and the room's
participants (`apply_participants`). Polls can arrive late, twice or out of order, so a guest
only ever moves forward: a final status is never left, and a stale "in-progress" never demotes a
guest already seen in the room.

Threading: the book is plain data with no locks. Call it from the GUI thread only (workers hand
their results over through signals first); the journal it writes to has the same rule.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from moderator.core.guest_state import GuestEvent, GuestStatus, PhoneGuest, utcnow
from moderator.core.guest_text import RANG_AT_ALL, format_duration, guest_name
from moderator.core.journal import Journal, JournalError
from moderator.core.models import Call, CallStatus, Participant
from moderator.core.redaction import mask_number, redact_numbers

__all__ = ["GuestBook", "GuestEvent", "GuestStatus", "PhoneGuest", "utcnow"]

# How far before the click a call found by reconciliation may be dated (clock skew with Twilio).
RECONCILE_SLACK = timedelta(minutes=5)

REASON_REMOVED = "Removed by host"
REASON_REPLACED = "Replaced by another participant who joined with the same identity"
REASON_ROOM_ENDED = "The room ended"
REASON_LEFT = "Left the room"
REASON_CALL_ENDED = "The call ended"
REASON_NEVER_JOINED = "answered but never joined the room (room ended or full, or join refused)"
REASON_FAILED = "the call could not be connected (number unreachable or not allowed)"

#: Statuses whose call has not been answered yet and can still be canceled (or will be, once the
#: create-call answers with a SID).
_NOT_YET_ANSWERED = frozenset(
    {GuestStatus.DIALING, GuestStatus.UNKNOWN, GuestStatus.QUEUED, GuestStatus.RINGING}
)


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
        self._journal = journal
        self._clock = clock
        self._guests: dict[str, PhoneGuest] = {}  # by dial_id, in dial order
        self._by_room: dict[str, list[PhoneGuest]] = {}  # each room's dials, in dial order
        self._by_call_sid: dict[str, str] = {}
        self._rooms: dict[str, _RoomWatch] = {}
        self._preexisting: dict[str, frozenset[str]] = {}
        self._absent_after_answer: set[str] = set()
        self._journal_failing = False
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

    # -- queries ---------------------------------------------------------------------------

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
        return list(self._by_room.get(room_sid, ()))

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
        """The dial a connected participant belongs to, or None for an app participant.

        The participant's own SID wins (a guest keeps its participant, even when a late poll
        still lists it after the guest left). Otherwise the latest dial of that identity that is
        still under way and has no participant yet claims it, unless the participant was in the
        room before that dial started. A participant that turns up with the identity of a
        finished dial is someone else: an app participant.
        """
        latest: PhoneGuest | None = None
        for guest in self._by_room.get(room_sid, ()):
            if guest.participant_sid == participant.sid:
                return guest
            if guest.identity == participant.identity:
                latest = guest
        if (
            latest is not None
            and not latest.status.is_final
            and latest.participant_sid is None
            and participant.sid not in self._preexisting.get(latest.dial_id, frozenset())
        ):
            return latest
        return None

    def match_call(self, dial_id: str, calls: Iterable[Call]) -> Call | None:
        """Of recently listed calls, the one an `UNKNOWN` dial placed, if any.

        A create-call that timed out is never retried: the caller lists recent calls from the
        dial's caller ID and asks this. The match is by caller ID, the number (the full one
        while it is known, else the masked number's last digits), a creation time no earlier
        than the click (less some clock skew), and a SID no other dial owns, now or in the
        journal; of several, the one created nearest the click.
        """
        guest = self._guests.get(dial_id)
        if guest is None or guest.call_sid is not None:
            return None
        tail = re.sub(r"\D", "", guest.masked_number)[-4:]

        def fits(call: Call) -> bool:
            if call.sid in self._by_call_sid or call.sid in self._journaled_sids:
                return False
            if call.from_ != guest.caller_id:
                return False
            if guest.number is not None:
                if call.to != guest.number:
                    return False
            elif not tail or not re.sub(r"\D", "", call.to).endswith(tail):
                return False
            return not (
                call.date_created is not None
                and guest.dialed_at is not None
                and call.date_created < guest.dialed_at - RECONCILE_SLACK
            )

        candidates = [call for call in calls if fits(call)]
        if not candidates:
            return None
        clicked = guest.dialed_at

        def distance(call: Call) -> tuple[bool, float]:
            """Nearest to the click first; undated calls last."""
            if call.date_created is None or clicked is None:
                return (True, 0.0)
            return (False, abs((call.date_created - clicked).total_seconds()))

        return min(candidates, key=distance)

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
        timeout_s: int = 30,
    ) -> PhoneGuest:
        """Record a dial before its create-call request is sent; the guest row exists from now.

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
            history=[(GuestStatus.DIALING, now)],
            dialed_at=now,
            timeout_s=timeout_s,
        )
        if self._journal is not None:
            self._journal.record_dial(guest)
        watch = self._room(room_sid, room_name)
        self._add(guest)
        self._preexisting[guest.dial_id] = frozenset(
            sid for sid, who in watch.connected.items() if who == identity
        )
        return guest

    def redial(self, dial_id: str) -> PhoneGuest:
        """A new dial of a finished guest: same room, number, label, identity and caller ID."""
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
        )

    def mark_removed(self, dial_id: str) -> list[GuestEvent]:
        """The host asked to remove a guest (cancel, or disconnect and hang up).

        Only the intent is recorded: the status follows from the next polls, so a removal whose
        request fails leaves the guest truthfully where it was. The final reason then says
        "Removed by host" / "Canceled by host".
        """
        guest = self._guests.get(dial_id)
        if guest is None or guest.status.is_final or guest.removal_requested:
            return []
        guest.removal_requested = True
        now = self._clock()
        events = [self._event(guest, "removed", f"Removing {guest_name(guest)}", now)]
        events += self._write(guest, lambda j: j.record_note(dial_id, "removal-requested", now))
        return events

    def app_participant_removed(
        self, room_sid: str, identity: str, room_name: str | None = None
    ) -> list[GuestEvent]:
        """The host removed an app participant: one line for the log, one row in the journal."""
        watch = self._room(room_sid, room_name)
        now = self._clock()
        events = [self._room_event(room_sid, "removed", f"Removed app participant {identity}", now)]
        if self._journal is not None:
            try:
                self._journal.record_action(
                    now, room_sid, watch.name, "removed-participant", identity
                )
            except JournalError as exc:
                text = f"Call journal not updated: {exc}"
                events.append(self._room_event(room_sid, "error", text, now))
        return events

    # -- outcomes of the create-call request -----------------------------------------------

    def call_created(self, dial_id: str, call: Call) -> list[GuestEvent]:
        """Twilio accepted the create-call request (or reconciliation found the call)."""
        guest = self._guests.get(dial_id)
        if guest is None:
            return []
        if guest.call_sid == call.sid:
            return self.apply_call(call)
        if guest.call_sid is not None or call.sid in self._by_call_sid:
            return [
                self._event(
                    guest,
                    "error",
                    f"Ignored call {call.sid} for {guest_name(guest)}: the dial already has one",
                )
            ]
        guest.call_sid = call.sid
        self._by_call_sid[call.sid] = dial_id
        now = self._clock()
        events = self._write(guest, lambda j: j.record_call_sid(dial_id, call.sid, now))
        if guest.status.is_final:
            return events
        events.append(
            self._event(
                guest,
                "dialed",
                f"Calling {guest_name(guest)} into {guest.room_name} as {guest.identity}",
                now,
            )
        )
        return events + self.apply_call(call)

    def dial_rejected(self, dial_id: str, error_message: str) -> list[GuestEvent]:
        """Twilio refused the create-call request: the dial is over, with Twilio's reason."""
        guest = self._guests.get(dial_id)
        if guest is None or guest.call_sid is not None or guest.status.rank > 0:
            return []
        message = self._redact(guest, error_message)
        return self._finish(
            guest,
            GuestStatus.REJECTED,
            f"Twilio refused: {message}",
            "dial-failed",
            f"Could not call {guest_name(guest)}: {message}",
        )

    def dial_outcome_unknown(self, dial_id: str, error_message: str) -> list[GuestEvent]:
        """The create-call request got no answer: the call may exist. Reconcile, never retry."""
        guest = self._guests.get(dial_id)
        if guest is None or guest.status is not GuestStatus.DIALING:
            return []
        message = self._redact(guest, error_message)
        guest.end_reason = f"No answer from Twilio ({message}); checking whether the call exists"
        _moved, events = self._advance(guest, GuestStatus.UNKNOWN, detail=guest.end_reason)
        events.insert(
            0,
            self._event(
                guest,
                "error",
                f"The call to {guest_name(guest)} may or may not have been placed ({message}); "
                "checking with Twilio",
            ),
        )
        return events

    def reconcile_not_found(self, dial_id: str) -> list[GuestEvent]:
        """Reconciliation found no call for an `UNKNOWN` dial: it was never placed."""
        return self.dial_not_sent(dial_id, "Twilio has no record of the call")

    def dial_not_sent(self, dial_id: str, reason: str) -> list[GuestEvent]:
        """The create-call request was never sent (e.g. the session closed first): over, unplaced.

        Unlike `dial_rejected`, this does not blame Twilio.
        """
        guest = self._guests.get(dial_id)
        if guest is None or guest.call_sid is not None or guest.status.rank > 0:
            return []
        reason = self._redact(guest, reason)
        return self._finish(
            guest,
            GuestStatus.REJECTED,
            f"Not placed: {reason}",
            "dial-failed",
            f"The call to {guest_name(guest)} was not placed ({reason}); you can dial again",
        )

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
        if self._journal is not None:
            journal = self._journal
            try:
                if journal.get(guest.dial_id) is None:
                    journal.record_dial(guest)
                else:
                    journal.record_note(guest.dial_id, "adopted", now, "taken back after restart")
            except JournalError:
                pass  # the dial is in memory and will be written with its next change
        if guest.status is GuestStatus.DIALING:
            if guest.call_sid is None:
                guest.end_reason = "The app stopped before Twilio confirmed the call; checking"
                self._advance(guest, GuestStatus.UNKNOWN, detail=guest.end_reason)
            else:
                self._advance(guest, GuestStatus.QUEUED)

    # -- polls -----------------------------------------------------------------------------

    def apply_call(self, call: Call) -> list[GuestEvent]:
        """A polled call snapshot; unknown, stale and repeated ones change nothing."""
        guest = self.guest_for_call(call.sid)
        if guest is None or guest.status.is_final:
            return []
        guest.call_started_at = call.start_time or guest.call_started_at
        guest.call_ended_at = call.end_time or guest.call_ended_at
        if call.duration_s is not None:
            guest.call_duration_s = call.duration_s
        name = guest_name(guest)
        match call.status:
            case CallStatus.QUEUED:
                return self._advance(guest, GuestStatus.QUEUED)[1]
            case CallStatus.RINGING:
                moved, events = self._advance(guest, GuestStatus.RINGING)
                if moved:
                    events.insert(0, self._event(guest, "ringing", f"{name} is ringing"))
                return events
            case CallStatus.IN_PROGRESS:
                return self._advance(guest, GuestStatus.JOINING, detail=self._answered(guest))[1]
            case CallStatus.COMPLETED:
                return self._call_completed(guest)
            case CallStatus.BUSY:
                return self._finish_unanswered(guest, GuestStatus.BUSY, "Busy", "busy")
            case CallStatus.NO_ANSWER:
                return self._finish_unanswered(
                    guest, GuestStatus.NO_ANSWER, "No answer", "did not answer"
                )
            case CallStatus.FAILED:
                return self._finish(
                    guest,
                    GuestStatus.FAILED,
                    REASON_FAILED,
                    "dial-failed",
                    f"Call to {name} failed: {REASON_FAILED}",
                )
            case CallStatus.CANCELED:
                if guest.cancel_reason:
                    why = f": {guest.cancel_reason}"
                else:
                    why = " by host" if guest.removal_requested else ""
                return self._finish_unanswered(
                    guest,
                    GuestStatus.CANCELED,
                    f"Canceled{why}",
                    f"canceled{why}",
                    kind="call-ended",
                )

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
        events: list[GuestEvent] = []

        for guest in self.guests_in_room(room_sid):
            if guest.status is GuestStatus.CONNECTED and guest.participant_sid not in present:
                events += self._participant_gone(guest, present.values(), watch)

        phone_sids: set[str] = set()
        for participant in present.values():
            owner = self.owner_of(room_sid, participant)
            if owner is None:
                continue
            phone_sids.add(participant.sid)
            if owner.participant_sid != participant.sid and not owner.status.is_final:
                events += self._joined(owner, participant)

        for guest in self.guests_in_room(room_sid):
            if guest.status is GuestStatus.JOINING:
                self._absent_after_answer.add(guest.dial_id)

        app_now = {sid: p.identity for sid, p in present.items() if sid not in phone_sids}
        if watch.app is not None:
            now = self._clock()
            for sid, identity in app_now.items():
                if sid not in watch.app:
                    events.append(
                        self._room_event(
                            room_sid, "app-joined", f"App participant {identity} joined", now
                        )
                    )
            for sid, identity in watch.app.items():
                if sid not in present:
                    events.append(
                        self._room_event(
                            room_sid, "app-left", f"App participant {identity} left", now
                        )
                    )
        watch.app = app_now
        watch.connected = {sid: p.identity for sid, p in present.items()}
        return events

    def room_ended(self, room_sid: str, room_name: str | None = None) -> list[GuestEvent]:
        """The room is no longer in progress: its guests are out, later joins can't happen."""
        watch = self._room(room_sid, room_name)
        watch.ended = True
        events: list[GuestEvent] = []
        for guest in self.guests_in_room(room_sid):
            if guest.status is GuestStatus.CONNECTED:
                events += self._finish(
                    guest,
                    GuestStatus.LEFT,
                    REASON_ROOM_ENDED,
                    "left",
                    f"{guest_name(guest)} left: the room ended",
                )
        watch.app = None
        watch.connected = {}
        return events

    def unanswered_in_ended_room(self, room_sid: str) -> list[PhoneGuest]:
        """Guests still being dialed into a room that ended: the app cancels their calls, so
        nobody picks up only to hear that the meeting is over. Marks why, for the roster."""
        pending = [
            guest
            for guest in self.guests_in_room(room_sid)
            if guest.status in _NOT_YET_ANSWERED and not guest.removal_requested
        ]
        for guest in pending:
            guest.cancel_reason = REASON_ROOM_ENDED.lower()
        return pending

    # -- transitions -----------------------------------------------------------------------

    def _answered(self, guest: PhoneGuest) -> str:
        start = guest.ringing_at or guest.dialed_at
        if start is None:
            return "answered"
        return f"answered after ringing {format_duration(self._clock() - start)}"

    def _joined(self, guest: PhoneGuest, participant: Participant) -> list[GuestEvent]:
        moved, events = self._advance(
            guest,
            GuestStatus.CONNECTED,
            detail=f"joined the room as {guest.identity} ({participant.sid})",
            participant_sid=participant.sid,
        )
        if moved:
            text = f"{guest_name(guest)} joined as {guest.identity}"
            events.insert(0, self._event(guest, "joined", text))
        return events

    def _participant_gone(
        self, guest: PhoneGuest, present: Iterable[Participant], watch: _RoomWatch
    ) -> list[GuestEvent]:
        name = guest_name(guest)
        stayed = self._stayed(guest)
        if any(p.identity == guest.identity for p in present):
            reason, text = (
                REASON_REPLACED,
                f"{name} was replaced: someone joined as {guest.identity}",
            )
        elif guest.removal_requested:
            reason, text = f"{REASON_REMOVED} after {stayed}", f"{name} was removed after {stayed}"
        elif watch.ended:
            reason, text = REASON_ROOM_ENDED, f"{name} left: the room ended"
        else:
            reason, text = f"{REASON_LEFT} after {stayed}", f"{name} left after {stayed}"
        return self._finish(guest, GuestStatus.LEFT, reason, "left", text)

    def _stayed(self, guest: PhoneGuest) -> str:
        since = guest.connected_at or guest.answered_at
        return format_duration(self._clock() - since) if since else "a while"

    def _call_completed(self, guest: PhoneGuest) -> list[GuestEvent]:
        """A completed call was answered; whether the guest got into the room decides the rest."""
        name = guest_name(guest)
        watch = self._room(guest.room_sid, None)
        if guest.answered_at is None:
            guest.answered_at = self._clock()
        if guest.connected_at is not None:
            stayed = self._stayed(guest)
            reason = REASON_REMOVED if guest.removal_requested else REASON_CALL_ENDED
            verb = "was removed" if guest.removal_requested else "left"
            return self._finish(
                guest,
                GuestStatus.LEFT,
                f"{reason} after {stayed}",
                "left",
                f"{name} {verb} after {stayed}",
            )
        if guest.removal_requested:
            return self._finish(
                guest, GuestStatus.LEFT, REASON_REMOVED, "left", f"{name} was removed"
            )
        if watch.ended or guest.dial_id in self._absent_after_answer:
            reason = REASON_ROOM_ENDED.lower() if watch.ended else REASON_NEVER_JOINED
            return self._finish(
                guest,
                GuestStatus.NOT_JOINED,
                reason,
                "call-ended",
                f"{name} answered but did not get into {guest.room_name}: {reason}",
            )
        # The room was not watched while the call ran: say only what is known.
        duration = (
            format_duration(timedelta(seconds=guest.call_duration_s))
            if guest.call_duration_s is not None
            else self._stayed(guest)
        )
        return self._finish(
            guest,
            GuestStatus.LEFT,
            f"{REASON_CALL_ENDED} after {duration}",
            "left",
            f"{name}'s call ended after {duration}",
        )

    def _finish_unanswered(
        self,
        guest: PhoneGuest,
        status: GuestStatus,
        reason: str,
        verb: str,
        kind: str = "dial-failed",
    ) -> list[GuestEvent]:
        """Busy, no answer, canceled: the reason and the event both say how long it rang.

        Busy and no-answer are failed dials (the host is notified); a cancel is the host's doing.
        """
        name = guest_name(guest)

        def with_ring(base: str) -> str:
            rang = guest.rang_for()
            if rang is None or rang < RANG_AT_ALL:
                return base
            return f"{base} after ringing {format_duration(rang)}"

        return self._finish(guest, status, reason, kind, f"{name} {verb}", decorate=with_ring)

    def _finish(
        self,
        guest: PhoneGuest,
        status: GuestStatus,
        reason: str,
        kind: str,
        text: str,
        *,
        decorate: Callable[[str], str] | None = None,
    ) -> list[GuestEvent]:
        """Move to a final status, write it, and produce its one event (once, ever)."""
        if guest.status.is_final:
            return []
        now = self._clock()
        guest.status = status
        guest.history.append((status, now))
        guest.ended_at = now
        if decorate is not None:  # needs ended_at to time the ring
            reason, text = decorate(reason), decorate(text)
        guest.end_reason = self._redact(guest, reason)
        self._absent_after_answer.discard(guest.dial_id)
        events = self._write(
            guest, lambda j: j.record_end(guest.dial_id, status, now, guest.end_reason)
        )
        return [self._event(guest, kind, text, now), *events]

    def _advance(
        self,
        guest: PhoneGuest,
        status: GuestStatus,
        *,
        detail: str = "",
        participant_sid: str | None = None,
    ) -> tuple[bool, list[GuestEvent]]:
        """Move forward to a non-final status: whether it moved, and any journal error events.

        The caller words the step's own event, if it deserves a line in the log.
        """
        moving_to_unknown = status is GuestStatus.UNKNOWN and guest.status is GuestStatus.DIALING
        if status.rank <= guest.status.rank and not moving_to_unknown:
            return False, []
        now = self._clock()
        guest.status = status
        guest.history.append((status, now))
        if status is GuestStatus.RINGING:
            guest.ringing_at = guest.ringing_at or now
        if status in (GuestStatus.JOINING, GuestStatus.CONNECTED):
            guest.answered_at = guest.answered_at or now
        if status is GuestStatus.CONNECTED:
            guest.connected_at = guest.connected_at or now
            guest.participant_sid = participant_sid
        return True, self._write(
            guest,
            lambda j: j.record_status(
                guest.dial_id,
                status,
                now,
                self._redact(guest, detail),
                participant_sid=participant_sid,
            ),
        )

    # -- helpers ---------------------------------------------------------------------------

    def _add(self, guest: PhoneGuest) -> None:
        self._guests[guest.dial_id] = guest
        self._by_room.setdefault(guest.room_sid, []).append(guest)

    def _room(self, room_sid: str, room_name: str | None) -> _RoomWatch:
        watch = self._rooms.setdefault(room_sid, _RoomWatch())
        if room_name:
            watch.name = room_name
        return watch

    @staticmethod
    def _redact(guest: PhoneGuest, text: str) -> str:
        return redact_numbers(text, (guest.number,))

    def _event(
        self, guest: PhoneGuest, kind: str, text: str, at: datetime | None = None
    ) -> GuestEvent:
        return GuestEvent(
            at=at or self._clock(),
            room_sid=guest.room_sid,
            room_name=guest.room_name or self.room_name(guest.room_sid),
            kind=kind,
            text=self._redact(guest, text),
            dial_id=guest.dial_id,
        )

    def _room_event(self, room_sid: str, kind: str, text: str, at: datetime) -> GuestEvent:
        return GuestEvent(
            at=at,
            room_sid=room_sid,
            room_name=self.room_name(room_sid),
            kind=kind,
            text=redact_numbers(text),
        )

    def _write(self, guest: PhoneGuest, write: Callable[[Journal], None]) -> list[GuestEvent]:
        """Journal a change; a failure becomes an "error" event rather than a crash.

        Only the first of a run of failures is reported, so a full disk does not flood the log.
        """
        if self._journal is None:
            return []
        try:
            write(self._journal)
        except JournalError as exc:
            if self._journal_failing:
                return []
            self._journal_failing = True
            return [self._event(guest, "error", f"Call journal not updated: {exc}")]
        self._journal_failing = False
        return []
