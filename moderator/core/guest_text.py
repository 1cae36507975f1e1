"""Short human wording for guests: durations, names, the roster's status column, and the English
of every fact the guest book reports (event lines, end reasons, journal timeline details).

One place for the phrasing so the roster, the event log and the journal's timeline agree; the
book states typed facts (`guest_facts`) and never builds a sentence itself.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from moderator.core.guest_facts import Ending, Fact, Happening, RoomHappening
from moderator.core.guest_state import Direction, GuestStatus, PhoneGuest
from moderator.core.redaction import redact_numbers

#: Shorter than this, a line did not really ring ("Busy", not "Busy (rang 0 s)").
RANG_AT_ALL = timedelta(seconds=1)


def format_duration(delta: timedelta) -> str:
    """`8 s`, `4 min`, `1 h 5 min`: as precise as a host glancing at a table needs."""
    seconds = max(int(delta.total_seconds()), 0)
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def _label(guest: PhoneGuest) -> str:
    """The host's label, minus any phone number typed into it: names are shown on screen."""
    return redact_numbers(guest.label, (guest.number,))


def guest_name(guest: PhoneGuest) -> str:
    """`Alice (••• 2671)`, `••• 2671`, or the identity when nothing else is known."""
    label = _label(guest)
    if label and guest.masked_number:
        return f"{label} ({guest.masked_number})"
    return label or guest.masked_number or guest.identity


def roster_name(guest: PhoneGuest) -> str:
    """`Alice · ••• 2671` for the roster's name column."""
    label = _label(guest)
    if label and guest.masked_number:
        return f"{label} · {guest.masked_number}"
    return label or guest.masked_number or guest.identity


def _rang(guest: PhoneGuest) -> str:
    rang = guest.rang_for()
    return format_duration(rang) if rang is not None and rang >= RANG_AT_ALL else ""


def status_text(guest: PhoneGuest, now: datetime) -> str:
    """The roster's status cell: compact, live ("Ringing 12 s"), and saying why a dial ended."""
    status = guest.status
    rang = _rang(guest)
    match status:
        case GuestStatus.DIALING:
            return "Dialing…"
        case GuestStatus.UNKNOWN:
            return "Checking whether the call was placed…"
        case GuestStatus.QUEUED:
            return "Queued"
        case GuestStatus.RINGING:
            if guest.ringing_at is None:
                return "Ringing"
            return f"Ringing {format_duration(now - guest.ringing_at)}"
        case GuestStatus.JOINING:
            return "Joining…"
        case GuestStatus.CONNECTED:
            return "Connected"
        case GuestStatus.LEFT:
            stayed = guest.in_room_for()
            after = f" after {format_duration(stayed)}" if stayed is not None else ""
            if guest.removal_requested:
                return f"Removed{after}"
            if guest.connected_at is None:
                return f"Call ended{after}"
            return f"Left{after}"
        case GuestStatus.BUSY:
            return f"Busy (rang {rang})" if rang else "Busy"
        case GuestStatus.NO_ANSWER:
            return f"No answer (rang {rang})" if rang else "No answer"
        case GuestStatus.FAILED:
            return f"Failed: {guest.end_reason}" if guest.end_reason else "Failed"
        case GuestStatus.CANCELED:
            return "Canceled"
        case GuestStatus.NOT_JOINED:
            return f"Not in room: {guest.end_reason}" if guest.end_reason else "Not in room"
        case GuestStatus.REJECTED:
            return guest.end_reason or "Not placed"


# -- the guest book's facts, in English ---------------------------------------------------------

REASON_REMOVED = "Removed by host"
REASON_REPLACED = "Replaced by another participant who joined with the same identity"
REASON_ROOM_ENDED = "The room ended"
REASON_LEFT = "Left the room"
REASON_CALL_ENDED = "The call ended"
REASON_NEVER_JOINED = "answered but never joined the room (room ended or full, or join refused)"
REASON_FAILED = "the call could not be connected (number unreachable or not allowed)"
#: `PhoneGuest.cancel_reason` when the app cancels a call because its room ended.
CANCEL_ROOM_ENDED = REASON_ROOM_ENDED.lower()
#: Why a dial whose create-call outcome was unknown counts as never placed.
NOT_FOUND_BY_RECONCILE = "Twilio has no record of the call"
#: The journal's note on a dial taken back after a restart.
ADOPTED_DETAIL = "taken back after restart"


def _stay(fact: Fact) -> str:
    """A stay or a call's length; "a while" when nothing dates its start."""
    return format_duration(fact.duration) if fact.duration is not None else "a while"


def _with_ring(guest: PhoneGuest, base: str) -> str:
    """`… after ringing 8 s`, timed on the ended guest; nothing when it did not really ring."""
    rang = guest.rang_for()
    if rang is None or rang < RANG_AT_ALL:
        return base
    return f"{base} after ringing {format_duration(rang)}"


def _canceled_why(guest: PhoneGuest) -> str:
    if guest.cancel_reason:
        return f": {guest.cancel_reason}"
    return " by host" if guest.removal_requested else ""


def _not_in_room(name: str, guest: PhoneGuest, reason: str) -> str:
    return f"{name} answered but did not get into {guest.room_name}: {reason}"


def _ending_words(fact: Fact, ending: Ending, guest: PhoneGuest) -> tuple[str, str]:
    """(end reason, event line) of a final step, before the ring is added."""
    name, stay = guest_name(guest), _stay(fact)
    match ending:
        case Ending.REPLACED:
            return REASON_REPLACED, f"{name} was replaced: someone joined as {guest.identity}"
        case Ending.REMOVED_AFTER_STAY:
            return f"{REASON_REMOVED} after {stay}", f"{name} was removed after {stay}"
        case Ending.REMOVED:
            return REASON_REMOVED, f"{name} was removed"
        case Ending.ROOM_ENDED:
            return REASON_ROOM_ENDED, f"{name} left: the room ended"
        case Ending.LEFT_ROOM:
            return f"{REASON_LEFT} after {stay}", f"{name} left after {stay}"
        case Ending.CALL_ENDED_IN_ROOM:
            return f"{REASON_CALL_ENDED} after {stay}", f"{name} left after {stay}"
        case Ending.CALL_ENDED:
            return f"{REASON_CALL_ENDED} after {stay}", f"{name}'s call ended after {stay}"
        case Ending.NOT_JOINED_ROOM_ENDED:
            return CANCEL_ROOM_ENDED, _not_in_room(name, guest, CANCEL_ROOM_ENDED)
        case Ending.NEVER_JOINED:
            return REASON_NEVER_JOINED, _not_in_room(name, guest, REASON_NEVER_JOINED)
        case Ending.BUSY:
            return "Busy", f"{name} busy"
        case Ending.NO_ANSWER:
            return "No answer", f"{name} did not answer"
        case Ending.CANCELED:
            why = _canceled_why(guest)
            return f"Canceled{why}", f"{name} canceled{why}"
        case Ending.FAILED:
            return REASON_FAILED, f"Call to {name} failed: {REASON_FAILED}"
        case Ending.REJECTED:
            return f"Twilio refused: {fact.detail}", f"Could not call {name}: {fact.detail}"
        case Ending.NOT_PLACED:
            return (
                f"Not placed: {fact.detail}",
                f"The call to {name} was not placed ({fact.detail}); you can dial again",
            )


def _ending(fact: Fact) -> Ending:
    if not isinstance(fact.what, Ending):
        raise ValueError(f"{fact.what} is not an ending")
    return fact.what


def end_reason(fact: Fact, guest: PhoneGuest) -> str:
    """Why the dial ended, for `PhoneGuest.end_reason` and the journal; `guest` is the ended
    snapshot (its `ended_at` times the ring)."""
    ending = _ending(fact)
    reason, _line = _ending_words(fact, ending, guest)
    return _with_ring(guest, reason) if ending.rings else reason


def pending_reason(fact: Fact) -> str:
    """`PhoneGuest.end_reason` of a dial whose create-call outcome is being checked."""
    if fact.what is Happening.OUTCOME_UNKNOWN:
        return f"No answer from Twilio ({fact.detail}); checking whether the call exists"
    if fact.what is Happening.UNCONFIRMED_AT_RESTART:
        return "The app stopped before Twilio confirmed the call; checking"
    raise ValueError(f"{fact.what} leaves no pending reason")


def event_text(fact: Fact, guest: PhoneGuest) -> str:
    """The event-log line of a fact that gets one (see `Fact.kind`); `guest` is the snapshot
    after the step."""
    name = guest_name(guest)
    match fact.what:
        case Ending() as ending:
            _reason, line = _ending_words(fact, ending, guest)
            return _with_ring(guest, line) if ending.rings else line
        case Happening.CALL_CREATED if guest.direction is Direction.CALLED_IN:
            return f"Admitted {name} from the lobby into {guest.room_name} as {guest.identity}"
        case Happening.CALL_CREATED:
            return f"Calling {name} into {guest.room_name} as {guest.identity}"
        case Happening.RINGING:
            return f"{name} is ringing"
        case Happening.JOINED:
            return f"{name} joined as {guest.identity}"
        case Happening.OUTCOME_UNKNOWN:
            return (
                f"The call to {name} may or may not have been placed ({fact.detail}); "
                "checking with Twilio"
            )
        case Happening.REMOVAL_REQUESTED:
            return f"Removing {name}"
        case Happening.SECOND_CALL_IGNORED:
            return f"Ignored call {fact.detail} for {name}: the dial already has one"
        case _:
            raise ValueError(f"{fact.what} gets no event line")


def journal_detail(fact: Fact | None, guest: PhoneGuest) -> str:
    """The journal timeline's detail for a status step along the way ("" for most)."""
    if fact is None:
        return ""
    match fact.what:
        case Happening.ANSWERED:
            if fact.duration is None:
                return "answered"
            return f"answered after ringing {format_duration(fact.duration)}"
        case Happening.JOINED:
            return f"joined the room as {guest.identity} ({fact.detail})"
        case Happening.OUTCOME_UNKNOWN | Happening.UNCONFIRMED_AT_RESTART:
            return guest.end_reason
        case _:
            return ""


def room_event_text(what: RoomHappening, identity: str) -> str:
    """The event-log line about an app participant."""
    match what:
        case RoomHappening.APP_JOINED:
            return f"App participant {identity} joined"
        case RoomHappening.APP_LEFT:
            return f"App participant {identity} left"
        case RoomHappening.APP_REMOVED:
            return f"Removed app participant {identity}"


def journal_failed_text(error: Exception) -> str:
    """The "error" line when the journal could not be written."""
    return f"Call journal not updated: {error}"
