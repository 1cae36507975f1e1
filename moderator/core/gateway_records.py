"""Twilio's SDK records turned into the app's frozen models, for the gateway and its siblings.

Each converter reads only the attributes it needs and raises KeyError/TypeError/ValueError on a
record of the wrong shape, which the gateway reports as a malformed response (never a crash).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from moderator.core.models import (
    Account,
    Call,
    CallerId,
    CallerIdSource,
    CallStatus,
    Participant,
    PublishedTrack,
    Room,
    RoomType,
)

__all__ = [
    "account_record",
    "call_record",
    "incoming_number_record",
    "participant_record",
    "participant_with_tracks",
    "room_record",
    "track_record",
    "verified_caller_id_record",
]


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def _optional_text(value: object) -> str | None:
    return None if value is None else _text(value)


def _time(value: object) -> datetime | None:
    """SDK datetimes, or None; the SDK hands back the raw string when it could not parse one."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise TypeError("expected a datetime")


def _required_time(value: object) -> datetime:
    parsed = _time(value)
    if parsed is None:
        raise ValueError("missing datetime")
    return parsed


def _int(value: object) -> int:
    if isinstance(value, bool):
        raise TypeError("expected an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return int(value)
    raise TypeError("expected an integer")


def _optional_int(value: object) -> int:
    """An integer field Twilio may leave out or null (room options): 0 when absent."""
    return 0 if value is None or value == "" else _int(value)


def account_record(instance: Any) -> Account:
    return Account(
        sid=_text(instance.sid),
        friendly_name=_optional_text(instance.friendly_name) or "",
        status=_text(instance.status),
    )


def room_record(instance: Any) -> Room:
    return Room(
        sid=_text(instance.sid),
        unique_name=_text(instance.unique_name),
        status=_text(instance.status),
        type=RoomType(_text(instance.type)),
        max_participants=_int(instance.max_participants),
        date_created=_required_time(instance.date_created),
        end_time=_time(instance.end_time),
        empty_room_timeout=_optional_int(getattr(instance, "empty_room_timeout", None)),
        unused_room_timeout=_optional_int(getattr(instance, "unused_room_timeout", None)),
        audio_only=bool(getattr(instance, "audio_only", False)),
        record_participants_on_connect=bool(
            getattr(instance, "record_participants_on_connect", False)
        ),
        max_participant_duration=_optional_int(getattr(instance, "max_participant_duration", None)),
        large_room=bool(getattr(instance, "large_room", False)),
    )


def participant_record(instance: Any) -> Participant:
    return Participant(
        sid=_text(instance.sid),
        room_sid=_text(instance.room_sid),
        identity=_text(instance.identity),
        status=_text(instance.status),
        start_time=_time(instance.start_time),
        end_time=_time(instance.end_time),
    )


def participant_with_tracks(
    participant: Participant, tracks: Iterable[PublishedTrack]
) -> Participant:
    return dataclasses.replace(participant, tracks=tuple(tracks))


def track_record(instance: Any) -> PublishedTrack:
    enabled = instance.enabled
    return PublishedTrack(
        sid=_text(instance.sid),
        name=_optional_text(instance.name) or "",
        kind=_text(instance.kind),
        enabled=True if enabled is None else bool(enabled),
    )


def call_record(instance: Any) -> Call:
    duration = instance.duration
    return Call(
        sid=_text(instance.sid),
        to=_optional_text(instance.to) or "",
        from_=_optional_text(getattr(instance, "_from", None)) or "",
        status=CallStatus(_text(instance.status)),
        date_created=_time(instance.date_created),
        start_time=_time(instance.start_time),
        end_time=_time(instance.end_time),
        duration_s=None if duration in (None, "") else _int(duration),
        direction=_optional_text(getattr(instance, "direction", None)) or "",
    )


def incoming_number_record(instance: Any) -> CallerId | None:
    capabilities = instance.capabilities
    if isinstance(capabilities, dict) and not capabilities.get("voice", False):
        return None
    return _caller_id(instance, CallerIdSource.INCOMING_NUMBER)


def verified_caller_id_record(instance: Any) -> CallerId | None:
    return _caller_id(instance, CallerIdSource.VERIFIED_CALLER_ID)


def _caller_id(instance: Any, source: CallerIdSource) -> CallerId | None:
    """A number usable as From (E.164 only), named by its friendly name if it has one."""
    number = _optional_text(instance.phone_number)
    if not number or not number.startswith("+"):
        return None
    return CallerId(
        phone_number=number,
        friendly_name=_optional_text(instance.friendly_name) or number,
        source=source,
    )


# Shared with the gateway's sibling modules (Sync), which convert records of their own.
text = _text
optional_time = _time
