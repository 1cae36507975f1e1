"""Plain, immutable snapshots of Twilio resources as the app sees them.

The gateway turns SDK instances into these so nothing above it depends on the SDK's classes,
and so the UI can diff one poll against the next by SID.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class RoomType(StrEnum):
    GROUP = "group"
    GROUP_SMALL = "group-small"
    PEER_TO_PEER = "peer-to-peer"
    GO = "go"

    @property
    def takes_phone_participants(self) -> bool:
        """Only group rooms accept PSTN participants through `<Connect><Room>`."""
        return self is RoomType.GROUP


class CallStatus(StrEnum):
    QUEUED = "queued"
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    BUSY = "busy"
    FAILED = "failed"
    NO_ANSWER = "no-answer"
    CANCELED = "canceled"

    @property
    def is_final(self) -> bool:
        return self in _FINAL_CALL_STATUSES

    @property
    def is_cancelable(self) -> bool:
        """Twilio cancels only calls that have not been answered yet."""
        return self in (CallStatus.QUEUED, CallStatus.RINGING)


_FINAL_CALL_STATUSES = frozenset(
    {
        CallStatus.COMPLETED,
        CallStatus.BUSY,
        CallStatus.FAILED,
        CallStatus.NO_ANSWER,
        CallStatus.CANCELED,
    }
)


@dataclass(frozen=True, slots=True)
class Account:
    sid: str
    friendly_name: str
    status: str


@dataclass(frozen=True, slots=True)
class Room:
    sid: str
    unique_name: str
    status: str  # in-progress | completed | failed
    type: RoomType
    max_participants: int
    date_created: datetime
    end_time: datetime | None = None
    # The create options Twilio reports back (issue 10); defaults are what an old record or a
    # room listed before these fields existed is taken to have.
    #: Minutes the room stays open after its last participant left (0: Twilio's default).
    empty_room_timeout: int = 0
    #: Minutes the room stays open if nobody joins after it was created (0: Twilio's default).
    unused_room_timeout: int = 0
    audio_only: bool = False
    record_participants_on_connect: bool = False
    #: Seconds after which Twilio disconnects a participant (0: not reported).
    max_participant_duration: int = 0
    large_room: bool = False

    @property
    def in_progress(self) -> bool:
        return self.status == "in-progress"


@dataclass(frozen=True, slots=True)
class PublishedTrack:
    sid: str
    name: str
    kind: str  # audio | video | data
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class Participant:
    sid: str
    room_sid: str
    identity: str
    status: str  # connected | disconnected
    start_time: datetime | None
    end_time: datetime | None = None
    tracks: tuple[PublishedTrack, ...] = field(default=())

    @property
    def connected(self) -> bool:
        return self.status == "connected"


@dataclass(frozen=True, slots=True)
class Call:
    sid: str
    to: str
    from_: str
    status: CallStatus
    date_created: datetime | None
    start_time: datetime | None = None
    end_time: datetime | None = None
    duration_s: int | None = None
    #: Twilio's direction: "inbound" (someone called one of the account's numbers),
    #: "outbound-api" (a create-call request), "outbound-dial"; "" when not given.
    direction: str = ""

    @property
    def inbound(self) -> bool:
        return self.direction == "inbound"


class CallerIdSource(StrEnum):
    INCOMING_NUMBER = "incoming-number"
    VERIFIED_CALLER_ID = "verified-caller-id"


@dataclass(frozen=True, slots=True)
class CallerId:
    """A number the account may put in a call's From: one of its voice numbers or a verified ID."""

    phone_number: str  # E.164
    friendly_name: str
    source: CallerIdSource


@dataclass(frozen=True, slots=True)
class VoiceConfig:
    """What a Twilio number does with an incoming call: exactly the fields dial-in changes.

    Kept whole so "Stop dial-in" can put back what the host had, including the empty ones
    ("" clears a field on Twilio's side). Twilio's precedence: a `trunk_sid` sends calls to the
    SIP trunk; otherwise a `voice_application_sid` wins over `voice_url`.
    """

    voice_url: str = ""
    voice_method: str = "POST"
    voice_fallback_url: str = ""
    voice_fallback_method: str = "POST"
    voice_application_sid: str = ""
    trunk_sid: str = ""


@dataclass(frozen=True, slots=True)
class IncomingNumber:
    """One of the account's own phone numbers, with how it answers calls now."""

    sid: str  # PN…
    phone_number: str  # E.164: the account's own number, not a guest's
    friendly_name: str
    voice: VoiceConfig
    voice_capable: bool = True
