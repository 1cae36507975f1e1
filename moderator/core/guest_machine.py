"""The state machine of one dial, on frozen snapshots: each transition takes a guest and returns a
`Step` (the guest before and after, and the typed fact of what happened), or None when nothing
moves.

No journal, no wording beyond asking `guest_text` for the end reason a final guest carries, no
book: the `GuestBook` decides which transition an input calls for, stores `Step.after`, hands the
step to its journal recorder and words the fact as an event. A guest only ever moves forward: a
final status is never left, and a stale "in-progress" never demotes a guest seen in the room.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from moderator.core.guest_facts import Ending, Fact, Happening
from moderator.core.guest_state import GuestStatus, PhoneGuest
from moderator.core.guest_text import CANCEL_ROOM_ENDED, end_reason, pending_reason
from moderator.core.models import Call, CallStatus, Participant
from moderator.core.redaction import redact_numbers

# How far before the click a call found by reconciliation may be dated (clock skew with Twilio).
RECONCILE_SLACK = timedelta(minutes=5)

#: Statuses whose call has not been answered yet and can still be canceled (or will be, once the
#: create-call answers with a SID).
NOT_YET_ANSWERED = frozenset(
    {GuestStatus.DIALING, GuestStatus.UNKNOWN, GuestStatus.QUEUED, GuestStatus.RINGING}
)

#: Call outcomes that end a dial that was never answered, and how.
_UNANSWERED = {
    CallStatus.BUSY: Ending.BUSY,
    CallStatus.NO_ANSWER: Ending.NO_ANSWER,
    CallStatus.CANCELED: Ending.CANCELED,
    CallStatus.FAILED: Ending.FAILED,
}


@dataclass(frozen=True, slots=True)
class Step:
    """One transition of one dial: what it was, what it is now, what happened, and when."""

    before: PhoneGuest
    after: PhoneGuest
    fact: Fact
    at: datetime


def redact(guest: PhoneGuest, text: str) -> str:
    """Free text about a guest, minus its number: reasons and lines never carry one."""
    return redact_numbers(text, (guest.number,))


# -- moving forward ------------------------------------------------------------------------


def advance(
    guest: PhoneGuest,
    status: GuestStatus,
    fact: Fact,
    now: datetime,
    *,
    participant_sid: str | None = None,
) -> Step | None:
    """Move forward to a non-final status, stamping its first time; None when not forward."""
    moving_to_unknown = status is GuestStatus.UNKNOWN and guest.status is GuestStatus.DIALING
    if status.rank <= guest.status.rank and not moving_to_unknown:
        return None
    ringing = status is GuestStatus.RINGING
    answered = status in (GuestStatus.JOINING, GuestStatus.CONNECTED)
    connected = status is GuestStatus.CONNECTED
    after = dataclasses.replace(
        guest,
        status=status,
        history=(*guest.history, (status, now)),
        ringing_at=(guest.ringing_at or now) if ringing else guest.ringing_at,
        answered_at=(guest.answered_at or now) if answered else guest.answered_at,
        connected_at=(guest.connected_at or now) if connected else guest.connected_at,
        participant_sid=participant_sid if connected else guest.participant_sid,
    )
    return Step(guest, after, fact, now)


def finish(guest: PhoneGuest, fact: Fact, now: datetime) -> Step | None:
    """Move to the fact's final status with its end reason; None when already final (once, ever).

    The reason is worded on the ended snapshot, whose `ended_at` times the ring.
    """
    if guest.status.is_final or not isinstance(fact.what, Ending):
        return None
    status = fact.what.status
    ended = dataclasses.replace(
        guest, status=status, history=(*guest.history, (status, now)), ended_at=now
    )
    ended = dataclasses.replace(ended, end_reason=redact(guest, end_reason(fact, ended)))
    return Step(guest, ended, fact, now)


def outcome_pending(guest: PhoneGuest, fact: Fact, now: datetime) -> Step | None:
    """A DIALING dial whose create-call outcome is unknown becomes UNKNOWN, saying why."""
    if guest.status is not GuestStatus.DIALING:
        return None
    checking = dataclasses.replace(guest, end_reason=pending_reason(fact))
    return advance(checking, GuestStatus.UNKNOWN, fact, now)


def call_created(guest: PhoneGuest, call_sid: str, now: datetime) -> Step:
    """The dial has its call (the caller checked it had none)."""
    after = dataclasses.replace(guest, call_sid=call_sid)
    return Step(guest, after, Fact(Happening.CALL_CREATED, detail=call_sid), now)


def removal_requested(guest: PhoneGuest, now: datetime) -> Step | None:
    """The host asked to remove the guest; only the intent changes, the status follows polls."""
    if guest.status.is_final or guest.removal_requested:
        return None
    after = dataclasses.replace(guest, removal_requested=True)
    return Step(guest, after, Fact(Happening.REMOVAL_REQUESTED), now)


def canceled_for_ended_room(guest: PhoneGuest) -> PhoneGuest | None:
    """A call still unanswered when its room ended is canceled by the app: say why, once.

    Not journaled and no event: the cancel itself is reported when the call's poll says so.
    """
    if guest.status not in NOT_YET_ANSWERED or guest.removal_requested:
        return None
    return dataclasses.replace(guest, cancel_reason=CANCEL_ROOM_ENDED)


# -- what a call poll does -----------------------------------------------------------------


def call_polled(
    guest: PhoneGuest, call: Call, now: datetime, *, room_ended: bool, absent: bool
) -> tuple[PhoneGuest, Step | None]:
    """A poll of the guest's (non-final) call: the guest with Twilio's stamps, and its step.

    `room_ended`: the room is over; `absent`: the room was polled after the call was answered
    and the guest was not in it.
    """
    timed = dataclasses.replace(
        guest,
        call_started_at=call.start_time or guest.call_started_at,
        call_ended_at=call.end_time or guest.call_ended_at,
        call_duration_s=call.duration_s if call.duration_s is not None else guest.call_duration_s,
    )
    match call.status:
        case CallStatus.QUEUED:
            return timed, advance(timed, GuestStatus.QUEUED, Fact(Happening.QUEUED), now)
        case CallStatus.RINGING:
            return timed, advance(timed, GuestStatus.RINGING, Fact(Happening.RINGING), now)
        case CallStatus.IN_PROGRESS:
            start = timed.ringing_at or timed.dialed_at
            rang = now - start if start is not None else None
            answered = Fact(Happening.ANSWERED, duration=rang)
            return timed, advance(timed, GuestStatus.JOINING, answered, now)
        case CallStatus.COMPLETED:
            return timed, _call_completed(timed, now, room_ended=room_ended, absent=absent)
    return timed, finish(timed, Fact(_UNANSWERED[call.status]), now)


def stayed(guest: PhoneGuest, now: datetime) -> timedelta | None:
    """How long the guest has been in the room (or on the answered call), if known."""
    since = guest.connected_at or guest.answered_at
    return now - since if since else None


def _call_completed(
    guest: PhoneGuest, now: datetime, *, room_ended: bool, absent: bool
) -> Step | None:
    """A completed call was answered; whether the guest got into the room decides the rest."""
    answered = guest if guest.answered_at else dataclasses.replace(guest, answered_at=now)
    if answered.connected_at is not None:
        how = Ending.REMOVED_AFTER_STAY if guest.removal_requested else Ending.CALL_ENDED_IN_ROOM
        fact = Fact(how, duration=stayed(answered, now))
    elif guest.removal_requested:
        fact = Fact(Ending.REMOVED)
    elif room_ended:
        fact = Fact(Ending.NOT_JOINED_ROOM_ENDED)
    elif absent:
        fact = Fact(Ending.NEVER_JOINED)
    else:  # the room was not watched while the call ran: say only what is known
        duration = guest.call_duration_s
        length = timedelta(seconds=duration) if duration is not None else stayed(answered, now)
        fact = Fact(Ending.CALL_ENDED, duration=length)
    step = finish(answered, fact, now)
    return dataclasses.replace(step, before=guest) if step is not None else None


# -- what a participants poll does ---------------------------------------------------------


def joined(guest: PhoneGuest, participant_sid: str, now: datetime) -> Step | None:
    """The guest's participant is in the room."""
    fact = Fact(Happening.JOINED, detail=participant_sid)
    return advance(guest, GuestStatus.CONNECTED, fact, now, participant_sid=participant_sid)


def participant_gone(
    guest: PhoneGuest, present_identities: Iterable[str], now: datetime, *, room_ended: bool
) -> Step | None:
    """A connected guest's participant is no longer in the room: why decides the wording."""
    stay = stayed(guest, now)
    if guest.identity in set(present_identities):
        fact = Fact(Ending.REPLACED)
    elif guest.removal_requested:
        fact = Fact(Ending.REMOVED_AFTER_STAY, duration=stay)
    elif room_ended:
        fact = Fact(Ending.ROOM_ENDED)
    else:
        fact = Fact(Ending.LEFT_ROOM, duration=stay)
    return finish(guest, fact, now)


def owner_of(
    guests: Sequence[PhoneGuest],
    participant: Participant,
    preexisting: Mapping[str, frozenset[str]],
) -> PhoneGuest | None:
    """Of a room's dials (in dial order), the one a connected participant belongs to, if any.

    The participant's own SID wins (a guest keeps its participant, even when a late poll still
    lists it after the guest left). Otherwise the latest dial of that identity that is still
    under way and has no participant yet claims it, unless the participant was in the room
    before that dial started (`preexisting`, by dial_id). A participant that turns up with the
    identity of a finished dial is someone else: an app participant.
    """
    latest: PhoneGuest | None = None
    for guest in guests:
        if guest.participant_sid == participant.sid:
            return guest
        if guest.identity == participant.identity:
            latest = guest
    if (
        latest is not None
        and not latest.status.is_final
        and latest.participant_sid is None
        and participant.sid not in preexisting.get(latest.dial_id, frozenset())
    ):
        return latest
    return None


# -- reconciliation ------------------------------------------------------------------------


def match_call(
    guest: PhoneGuest, calls: Iterable[Call], taken: Callable[[str], bool]
) -> Call | None:
    """Of recently listed calls, the one an `UNKNOWN` dial placed, if any.

    The match is by caller ID, the number (the full one while it is known, else the masked
    number's last digits), a creation time no earlier than the click (less some clock skew),
    and a SID that is not `taken` by another dial; of several, the one created nearest the
    click.
    """
    if guest.call_sid is not None:
        return None
    tail = re.sub(r"\D", "", guest.masked_number)[-4:]

    def fits(call: Call) -> bool:
        if taken(call.sid) or call.from_ != guest.caller_id:
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
    clicked = guest.dialed_at

    def distance(call: Call) -> tuple[bool, float]:
        """Nearest to the click first; undated calls last."""
        if call.date_created is None or clicked is None:
            return (True, 0.0)
        return (False, abs((call.date_created - clicked).total_seconds()))

    return min(candidates, key=distance) if candidates else None
