"""The create options Twilio offers for a room, checked against Twilio's ranges before sending.

Twilio refuses an out-of-range option with a code (53107, 53109, 53123, 53124, 53122, 53103);
checking here first means the Create room dialog can say what is wrong while the host types,
and the gateway never sends a request Twilio would refuse. `None` always means "Twilio's
default": the option is not sent at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from moderator.core.models import RoomType

__all__ = [
    "MAX_PARTICIPANTS_BY_TYPE",
    "MAX_PARTICIPANT_DURATION_RANGE_S",
    "ROOM_TIMEOUT_RANGE_MIN",
    "RoomOptions",
    "room_options_problem",
]

#: Twilio's ceiling on MaxParticipants by room type (53107 beyond it).
MAX_PARTICIPANTS_BY_TYPE: dict[RoomType, int] = {
    RoomType.GROUP: 50,
    RoomType.GROUP_SMALL: 4,
    RoomType.PEER_TO_PEER: 10,
    RoomType.GO: 2,
}
#: EmptyRoomTimeout and UnusedRoomTimeout, whole minutes (53109 outside).
ROOM_TIMEOUT_RANGE_MIN = (1, 60)
#: MaxParticipantDuration, seconds: 10 minutes to 24 hours (53123 outside).
MAX_PARTICIPANT_DURATION_RANGE_S = (600, 86400)
#: Types with a media server: the only ones that can record, be audio only or be composed.
_MEDIA_SERVER_TYPES = frozenset({RoomType.GROUP, RoomType.GROUP_SMALL})


@dataclass(frozen=True, slots=True)
class RoomOptions:
    """What the host chose beyond name, type and participant cap; None leaves Twilio's default."""

    empty_room_timeout_min: int | None = None
    unused_room_timeout_min: int | None = None
    audio_only: bool = False
    record_participants_on_connect: bool = False
    max_participant_duration_s: int | None = None
    large_room: bool = False


def room_options_problem(
    room_type: RoomType, max_participants: int | None, options: RoomOptions
) -> str | None:
    """Why Twilio would refuse these options for `room_type` (one line), or None."""
    highest = MAX_PARTICIPANTS_BY_TYPE.get(room_type, 50)
    if max_participants is not None and not 1 <= max_participants <= highest:
        return f"Maximum participants must be between 1 and {highest} for this room type."
    low, high = ROOM_TIMEOUT_RANGE_MIN
    for label, value in (
        ("empty-room timeout", options.empty_room_timeout_min),
        ("unused-room timeout", options.unused_room_timeout_min),
    ):
        if value is not None and not low <= value <= high:
            return f"The {label} must be {low} to {high} minutes (got {value})."
    low, high = MAX_PARTICIPANT_DURATION_RANGE_S
    duration = options.max_participant_duration_s
    if duration is not None and not low <= duration <= high:
        return (
            f"The maximum participant duration must be {low // 60} minutes to {high // 3600} "
            f"hours ({low}–{high} seconds; got {duration})."
        )
    media_server = room_type in _MEDIA_SERVER_TYPES
    if options.audio_only and not media_server:
        return "Audio only is offered for group rooms only."
    if options.record_participants_on_connect and not media_server:
        return "Only group rooms can record participants."
    if options.large_room and room_type is not RoomType.GROUP:
        return "Large room needs the type Group."
    return None
