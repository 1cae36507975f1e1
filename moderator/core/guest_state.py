"""The vocabulary of a dialed phone guest: its status, its record, and the events it produces.

Kept apart from `GuestBook` so the journal can store and rebuild guests without importing the
book (which itself writes to the journal). A `PhoneGuest` is a frozen snapshot: the book replaces
its stored guest on every change, so whatever a caller holds never changes under its feet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from moderator.core.redaction import redact_numbers
from moderator.core.sip import SipAuth


def utcnow() -> datetime:
    """The default clock: aware UTC, so local stamps compare with Twilio's."""
    return datetime.now(UTC)


class Direction(StrEnum):
    """Who placed the call: the app dialed the guest, or the guest called a dial-in number."""

    DIALED = "dialed"
    CALLED_IN = "called-in"

    @property
    def text(self) -> str:
        return "called in" if self is Direction.CALLED_IN else "dialed"


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


#: The ring timeout of a dial when nobody says otherwise (Twilio's own default, in seconds).
DEFAULT_TIMEOUT_S = 30


@dataclass(frozen=True, slots=True)
class PhoneGuest:
    """One dial of one phone number into one room, as it stood at one moment.

    Frozen: the book hands out snapshots and replaces its own with `dataclasses.replace` on
    every change, so a snapshot kept by the UI or a worker callback is never half-updated; read
    the book again for the latest one.

    `number` is the full E.164 number, held in memory only: the journal keeps `masked_number`,
    so a guest rebuilt after a restart has `number=None` (and cannot be redialed without asking).
    For a SIP guest `number` is the SIP URI and `masked_number` its masked form
    (`sip:•••@pbx.example.com`).
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
    history: tuple[tuple[GuestStatus, datetime], ...] = ()
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
    #: How long the call may ring before Twilio gives up (the create-call's Timeout). Not in the
    #: journal: a guest rebuilt after a restart has the default.
    timeout_s: int = DEFAULT_TIMEOUT_S
    #: Dialed by the app, or a caller admitted from the lobby (then `caller_id` is the
    #: dial-in number they called, and `number` theirs).
    direction: Direction = Direction.DIALED
    #: A SIP guest's digest username (and whether its password is in the keyring), for a
    #: redial; never the password. Not in the journal, like `timeout_s`.
    sip_auth: SipAuth | None = None

    @property
    def cancel_on_create(self) -> bool:
        """The app wants this call ended as soon as Twilio confirms it exists.

        True once the host asked to remove the guest, or once the app cancels the call because
        its room ended (`cancel_reason`), for as long as the dial is not final: it still holds
        right after `GuestBook.call_created`, which is when the caller hangs up. A final dial
        (e.g. its create-call failed) has nothing left to end.
        """
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

    @classmethod
    def about(
        cls, guest: PhoneGuest, kind: str, text: str, at: datetime, room_name: str = ""
    ) -> GuestEvent:
        """A line about one dial, its number scrubbed from the text in any spelling;
        `room_name` stands in when the dial does not know its room's name."""
        return cls(
            at=at,
            room_sid=guest.room_sid,
            room_name=guest.room_name or room_name,
            kind=kind,
            text=redact_numbers(text, (guest.number,)),
            dial_id=guest.dial_id,
        )
