"""A room's create options, with Twilio's ranges and error codes for each.

Twilio documents: MaxParticipants up to the type's maximum (50 for group rooms, 53107),
EmptyRoomTimeout and UnusedRoomTimeout in whole minutes from 1 to 60 (53109),
MaxParticipantDuration from 600 s to 86400 s (53123), AudioOnly for group rooms only (53124),
recording for group rooms only (53122). Rooms made through the REST API get Twilio's defaults
(5 minutes each); rooms staged by tests through the world's API are like Twilio's ad-hoc rooms,
whose timeouts are 0 (they never end by themselves), so existing scenes keep their rooms.
"""

from __future__ import annotations

from dataclasses import dataclass

from moderator.sandbox.errors import ApiError

__all__ = [
    "DEFAULT_MAX_PARTICIPANT_DURATION_S",
    "DEFAULT_ROOM_TIMEOUT_MIN",
    "GROUP_ROOM_TYPES",
    "RoomOptions",
    "validate_room_options",
]

DEFAULT_ROOM_TIMEOUT_MIN = 5
"""Twilio's default empty- and unused-room timeout for rooms created over REST (minutes)."""
ROOM_TIMEOUT_RANGE_MIN = (1, 60)
DEFAULT_MAX_PARTICIPANT_DURATION_S = 14400
MAX_PARTICIPANT_DURATION_RANGE_S = (600, 86400)
GROUP_ROOM_TYPES = frozenset({"group", "group-small"})
"""Room types with a media server: recordings, compositions, audio-only, subscribe rules."""


@dataclass(frozen=True)
class RoomOptions:
    """What a room was created with; 0 timeouts mean the room never ends by itself."""

    audio_only: bool = False
    record_participants_on_connect: bool = False
    max_participant_duration: int = DEFAULT_MAX_PARTICIPANT_DURATION_S
    empty_room_timeout: int = 0
    unused_room_timeout: int = 0
    large_room: bool = False


def _check_timeout(name: str, value: int) -> None:
    low, high = ROOM_TIMEOUT_RANGE_MIN
    if not low <= value <= high:
        raise ApiError(400, 53109, f"{name} is out of range: {value} ({low}–{high} minutes)")


def validate_room_options(room_type: str, options: RoomOptions, *, rest: bool) -> None:
    """Raise Twilio's ApiError for an option out of range or not offered for `room_type`.

    `rest` is True for REST creates, where a 0 timeout is out of range (only ad-hoc rooms, the
    test API's, have 0).
    """
    if rest or options.empty_room_timeout:
        _check_timeout("EmptyRoomTimeout", options.empty_room_timeout)
    if rest or options.unused_room_timeout:
        _check_timeout("UnusedRoomTimeout", options.unused_room_timeout)
    low, high = MAX_PARTICIPANT_DURATION_RANGE_S
    if not low <= options.max_participant_duration <= high:
        raise ApiError(
            400,
            53123,
            f"MaxParticipantDuration is out of range: {options.max_participant_duration} "
            f"({low}–{high} seconds)",
        )
    group = room_type in GROUP_ROOM_TYPES
    if options.audio_only and not group:
        raise ApiError(400, 53124, f"The AudioOnly flag is not supported for {room_type} rooms")
    if options.record_participants_on_connect and not group:
        raise ApiError(
            400, 53122, f"The recording operation requested is not supported for {room_type} rooms"
        )
    if options.large_room and room_type != "group":
        raise ApiError(400, 53103, "Unable to create Room: LargeRoom needs a group room")
