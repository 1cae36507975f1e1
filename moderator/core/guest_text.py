"""Short human wording for guests: durations, names and the roster's status column.

One place for the phrasing so the roster, the event log and the journal's timeline agree.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from moderator.core.guest_state import GuestStatus, PhoneGuest
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
