"""The vocabulary of a dialed phone guest: its status, its record, and the events it produces.

Kept apart from `GuestBook` so the journal can store and rebuild guests without importing the
book (which itself writes to the journal).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum


def utcnow() -> datetime:
    """The default clock: aware UTC, so local stamps compare with Twilio's."""
    return datetime.now(UTC)


class GuestStatus(StrEnum):
    """Where a phone guest stands, from the click on Dial to the end of the call."""

    DIALING = "dialing"  # Dial clicked, create-call POST not answered yet (no call SID)
    QUEUED = "queued"
    RINGING = "ringing"
    JOINING = "joining"  # call answered, participant not (yet) seen in the room
    CONNECTED = "connected"  # participant with this identity is connected in the room
    LEFT = "left"  # was answered (usually seen in the room), then the participant or call ended
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAILED = "failed"
    CANCELED = "canceled"
    NOT_JOINED = "not-joined"  # answered but never made it into the room (room gone, full, refused)
    REJECTED = "rejected"  # Twilio refused the create-call request, or it was never placed
    UNKNOWN = "unknown"  # create-call outcome unknown (timeout, crash) until reconciled

    @property
    def rank(self) -> int:
        """Progress along the call's life; a guest only ever moves to a higher rank."""
        return _RANKS[self]

    @property
    def is_final(self) -> bool:
        """Nothing more will happen to this dial; later polls are stale and ignored."""
        return self in _FINAL

    @property
    def is_live(self) -> bool:
        """The call may still be running, so it is worth polling (when its SID is known)."""
        return not self.is_final

    @property
    def can_redial(self) -> bool:
        """The dial is over, whatever the outcome: dialing again cannot double a live call."""
        return self.is_final

    @property
    def can_remove(self) -> bool:
        """Something on Twilio's side may still be ended: a ringing call, a guest in the room,
        or a call whose SID is not known yet (the app cancels it once the SID arrives)."""
        return not self.is_final


_FINAL = frozenset(
    {
        GuestStatus.LEFT,
        GuestStatus.BUSY,
        GuestStatus.NO_ANSWER,
        GuestStatus.FAILED,
        GuestStatus.CANCELED,
        GuestStatus.NOT_JOINED,
        GuestStatus.REJECTED,
    }
)
_RANKS = {
    GuestStatus.DIALING: 0,
    GuestStatus.UNKNOWN: 0,
    GuestStatus.QUEUED: 1,
    GuestStatus.RINGING: 2,
    GuestStatus.JOINING: 3,
    GuestStatus.CONNECTED: 4,
    **dict.fromkeys(_FINAL, 5),
}


@dataclass
class PhoneGuest:
    """One dial of one phone number into one room; the book mutates it, everyone else reads it.

    `number` is the full E.164 number, held in memory only: the journal keeps `masked_number`,
    so a guest rebuilt after a restart has `number=None` (and cannot be redialed without asking).
    """

    dial_id: str  # uuid4 hex, assigned at click time: the stable row key before a call SID exists
    room_sid: str
    room_name: str
    identity: str
    number: str | None
    masked_number: str  # "••• 2671"
    label: str
    caller_id: str
    call_sid: str | None = None
    status: GuestStatus = GuestStatus.DIALING
    history: list[tuple[GuestStatus, datetime]] = field(default_factory=list)
    dialed_at: datetime | None = None
    ringing_at: datetime | None = None
    answered_at: datetime | None = None
    connected_at: datetime | None = None
    ended_at: datetime | None = None
    end_reason: str = ""
    participant_sid: str | None = None
    # Twilio's own stamps for the call, to time unanswered rings on one clock.
    call_started_at: datetime | None = None
    call_ended_at: datetime | None = None
    call_duration_s: int | None = None
    removal_requested: bool = False
    #: Why the app itself canceled an unanswered call (e.g. "the room ended"); "" otherwise.
    cancel_reason: str = ""
    #: How long Twilio lets the phone ring (the create-call's Timeout); a redial keeps it.
    timeout_s: int = 30

    @property
    def cancel_on_create(self) -> bool:
        """The app wants this call ended as soon as Twilio confirms it exists (removed by the
        host, or its room ended) while the create-call is still unanswered."""
        return not self.status.is_final and (self.removal_requested or bool(self.cancel_reason))

    def rang_for(self) -> timedelta | None:
        """How long the phone rang: until answered, or until the call ended unanswered."""
        start = self.ringing_at or self.dialed_at
        if self.answered_at is not None:
            return _non_negative(self.answered_at - start) if start else None
        if not self.status.is_final or self.status in (GuestStatus.REJECTED, GuestStatus.LEFT):
            return None
        if self.call_started_at is not None and self.call_ended_at is not None:
            return _non_negative(self.call_ended_at - self.call_started_at)
        if start is not None and self.ended_at is not None:
            return _non_negative(self.ended_at - start)
        return None

    def in_room_for(self) -> timedelta | None:
        """How long the guest was in the room (or, if never seen there, on the answered call)."""
        if self.ended_at is None:
            return None
        if self.connected_at is not None:
            return _non_negative(self.ended_at - self.connected_at)
        if self.call_duration_s is not None:
            return timedelta(seconds=self.call_duration_s)
        if self.answered_at is not None:
            return _non_negative(self.ended_at - self.answered_at)
        return None


def _non_negative(delta: timedelta) -> timedelta:
    """Clamp: stamps come from polls and two clocks, and a negative duration helps nobody."""
    return max(delta, timedelta(0))


@dataclass(frozen=True)
class GuestEvent:
    """One line for the event log and desktop notifications; never holds a full phone number."""

    at: datetime
    room_sid: str
    room_name: str
    # "dialed" | "ringing" | "joined" | "left" | "call-ended" | "dial-failed" | "removed"
    # | "app-joined" | "app-left" | "error"
    kind: str
    text: str
    dial_id: str | None = None
