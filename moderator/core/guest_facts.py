"""What happened to a dial, as typed facts: the guest machine states them, `guest_text` words them.

Keeping the facts apart from their English lets the state machine decide *what* happened (and
which event kind it is) without a sentence in sight, and lets the wording change in one place
without touching a transition. The journal recorder reads the same facts for its timeline details.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from moderator.core.guest_state import GuestStatus


class Happening(StrEnum):
    """A step of a dial that is not its end."""

    CALL_CREATED = "call-created"  # Twilio accepted the create-call (or reconciliation found it)
    QUEUED = "queued"
    RINGING = "ringing"
    ANSWERED = "answered"  # duration: how long it rang, when the start of the ring is known
    JOINED = "joined"  # detail: the participant SID
    OUTCOME_UNKNOWN = "outcome-unknown"  # detail: why the create-call got no answer (redacted)
    UNCONFIRMED_AT_RESTART = "unconfirmed-at-restart"  # a DIALING dial found after a restart
    REMOVAL_REQUESTED = "removal-requested"
    SECOND_CALL_IGNORED = "second-call-ignored"  # detail: the SID of the call that was ignored

    @property
    def kind(self) -> str | None:
        """The kind of the event-log line this step gets, or None when it gets none."""
        return _HAPPENING_KINDS.get(self)


_HAPPENING_KINDS = {
    Happening.CALL_CREATED: "dialed",
    Happening.RINGING: "ringing",
    Happening.JOINED: "joined",
    Happening.OUTCOME_UNKNOWN: "error",
    Happening.REMOVAL_REQUESTED: "removed",
    Happening.SECOND_CALL_IGNORED: "error",
}


class Ending(StrEnum):
    """Why a dial reached its final status; each maps to one status and one event kind."""

    REPLACED = "replaced"  # someone else joined with the guest's identity (Twilio 53205)
    REMOVED_AFTER_STAY = "removed-after-stay"  # removed by the host after being in the room
    REMOVED = "removed"  # removed by the host before ever being seen in the room
    ROOM_ENDED = "room-ended"  # was in the room when it ended
    LEFT_ROOM = "left-room"  # left the room on its own
    CALL_ENDED_IN_ROOM = "call-ended-in-room"  # the call completed while the guest was in the room
    CALL_ENDED = "call-ended"  # the call completed; the room was not watched meanwhile
    NOT_JOINED_ROOM_ENDED = "not-joined-room-ended"  # answered, but the room had ended
    NEVER_JOINED = "never-joined"  # answered, but never turned up in the room
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    CANCELED = "canceled"
    FAILED = "failed"
    REJECTED = "rejected"  # detail: Twilio's message (redacted)
    NOT_PLACED = "not-placed"  # detail: why the request was never sent or never arrived

    @property
    def status(self) -> GuestStatus:
        """The final status this ending puts the dial in."""
        return _ENDING_STATUS.get(self, GuestStatus.LEFT)

    @property
    def kind(self) -> str:
        """The event kind: a guest who was on the call "left"; the rest are failed dials,
        except the calls that ended without the guest ever being in the room."""
        return _ENDING_KINDS.get(self, "left")

    @property
    def rings(self) -> bool:
        """Whether its reason and its line say how long the phone rang ("… after ringing 8 s")."""
        return self in (Ending.BUSY, Ending.NO_ANSWER, Ending.CANCELED)


_ENDING_STATUS = {
    Ending.NOT_JOINED_ROOM_ENDED: GuestStatus.NOT_JOINED,
    Ending.NEVER_JOINED: GuestStatus.NOT_JOINED,
    Ending.BUSY: GuestStatus.BUSY,
    Ending.NO_ANSWER: GuestStatus.NO_ANSWER,
    Ending.CANCELED: GuestStatus.CANCELED,
    Ending.FAILED: GuestStatus.FAILED,
    Ending.REJECTED: GuestStatus.REJECTED,
    Ending.NOT_PLACED: GuestStatus.REJECTED,
}
_ENDING_KINDS = {
    Ending.NOT_JOINED_ROOM_ENDED: "call-ended",
    Ending.NEVER_JOINED: "call-ended",
    Ending.CANCELED: "call-ended",
    Ending.BUSY: "dial-failed",
    Ending.NO_ANSWER: "dial-failed",
    Ending.FAILED: "dial-failed",
    Ending.REJECTED: "dial-failed",
    Ending.NOT_PLACED: "dial-failed",
}


class RoomHappening(StrEnum):
    """Something about a room's app participants; the value is the event kind."""

    APP_JOINED = "app-joined"
    APP_LEFT = "app-left"
    APP_REMOVED = "removed"  # the host removed an app participant


@dataclass(frozen=True, slots=True)
class Fact:
    """One thing that happened to one dial, with the data its wording needs.

    `duration` is a stay in the room, a call's length or a ring, depending on `what` (None when
    not known); `detail` is a SID or an already redacted message, never a sentence of ours.
    """

    what: Happening | Ending
    duration: timedelta | None = None
    detail: str = ""

    @property
    def kind(self) -> str | None:
        """The event kind of its log line, or None when it gets none."""
        return self.what.kind
