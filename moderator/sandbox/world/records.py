"""The world's records: what Twilio keeps for rooms, participants, tracks, calls and numbers.

Plain dataclasses shared by every resource family and by serialization; the families mutate the
live records under the world lock and hand tests copies (`copy_participant`, `copy_call`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from moderator.sandbox.clock import ScheduledEvent
from moderator.sandbox.twiml_runner import TwimlRunner
from moderator.sandbox.world.room_options import RoomOptions

__all__ = [
    "ENDED_CALL_STATUSES",
    "Call",
    "OwnedNumber",
    "Participant",
    "Room",
    "Track",
    "copy_call",
    "copy_participant",
    "seq_of",
]

ENDED_CALL_STATUSES = {"completed", "busy", "failed", "no-answer", "canceled"}


@dataclass
class Room:
    """A Video room; `seq` orders listings and paging."""

    sid: str
    seq: int
    unique_name: str
    type: str
    max_participants: int
    status: str
    created_at: float
    updated_at: float
    end_time: float | None = None
    status_callback: str | None = None
    options: RoomOptions = field(default_factory=RoomOptions)


@dataclass
class Track:
    """A published track; only currently published ones are kept on the participant."""

    sid: str
    seq: int
    participant_sid: str
    room_sid: str
    name: str
    kind: str
    created_at: float
    enabled: bool = True


@dataclass
class Participant:
    """A room participant; `call_sid` is set for phone participants (never shown in the API)."""

    sid: str
    seq: int
    room_sid: str
    identity: str
    status: str
    created_at: float
    updated_at: float
    start_time: float
    end_time: float | None = None
    call_sid: str | None = None
    tracks: list[Track] = field(default_factory=list)

    @property
    def is_phone(self) -> bool:
        """True for a participant that joined through a call's <Connect><Room>."""
        return self.call_sid is not None


@dataclass
class Call:
    """A call and its progress; `history` holds (status, clock time) pairs.

    `direction` is Twilio's: "outbound-api" for POST Calls.json, "inbound" for a caller dialing
    one of the account's numbers. `sip_auth_username` is kept for tests; a SipAuthPassword is
    never kept, only whether one was given (`sip_auth_password_given`). `webhooks` lists the
    TwiML fetches Twilio made for the call as (method, url, HTTP status), `document_url` is the
    URL of the TwiML running now (relative <Redirect> URLs resolve against it), and
    `error_code` Twilio's debugger code when the call hit an application error (11200…).
    """

    sid: str
    seq: int
    to: str
    from_: str
    twiml: str
    timeout: int
    status: str
    created_at: float
    updated_at: float
    phone_number_sid: str | None
    status_callback: str | None = None
    start_time: float | None = None
    answered_at: float | None = None
    end_time: float | None = None
    participant_sid: str | None = None
    end_reason: str | None = None
    history: list[tuple[str, float]] = field(default_factory=list)
    runner: TwimlRunner | None = field(default=None, repr=False)
    timer: ScheduledEvent | None = field(default=None, repr=False)
    direction: str = "outbound-api"
    sip_auth_username: str | None = None
    sip_auth_password_given: bool = False
    error_code: int | None = None
    document_url: str | None = None
    webhooks: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def ended(self) -> bool:
        """True once the call reached a final status."""
        return self.status in ENDED_CALL_STATUSES

    @property
    def duration(self) -> int | None:
        """Whole seconds answered → ended; 0 for unanswered ended calls; None while live."""
        if self.end_time is None:
            return None
        if self.answered_at is None:
            return 0
        return int(self.end_time - self.answered_at)


@dataclass(frozen=True)
class OwnedNumber:
    """A number the account may call from: an incoming number (PN…) or a verified caller ID."""

    sid: str
    phone_number: str
    friendly_name: str
    created_at: float
    is_incoming: bool


def seq_of(record: Room | Participant | Call) -> int:
    """Sort key: creation order across every family (one counter for the whole world)."""
    return record.seq


def copy_participant(participant: Participant) -> Participant:
    """A copy tests may keep: later joins/leaves do not change it."""
    return dataclasses.replace(participant, tracks=list(participant.tracks))


def copy_call(call: Call) -> Call:
    """A copy tests may keep: later progress does not change it."""
    return dataclasses.replace(call, history=list(call.history), webhooks=list(call.webhooks))
