"""JSON shapes of the Video v1 resources for host controls, field for field as Twilio's OAI.

Subscribe rules, subscribed tracks, recording rules, recordings (account-level and per room)
and compositions. Rules are echoed in the compact form Twilio accepted them (only the fields a
rule has), since the schema types each field as a non-null string or boolean.
"""

from __future__ import annotations

from typing import Any

from moderator.sandbox.serialization import VIDEO_BASE, iso8601
from moderator.sandbox.world.compositions import Composition
from moderator.sandbox.world.recordings import Recording, RecordingRules
from moderator.sandbox.world.subscriptions import SubscribedTrack, SubscribeRules

__all__ = [
    "composition_json",
    "recording_json",
    "recording_rules_json",
    "room_recording_json",
    "subscribe_rules_json",
    "subscribed_track_json",
]

JsonObject = dict[str, Any]


def subscribe_rules_json(record: SubscribeRules) -> JsonObject:
    """video.v1.room.room_participant.room_participant_subscribe_rule."""
    return {
        "participant_sid": record.participant_sid,
        "room_sid": record.room_sid,
        "rules": [dict(rule) for rule in record.rules],
        "date_created": iso8601(record.created_at),
        "date_updated": iso8601(record.updated_at),
    }


def subscribed_track_json(subscribed: SubscribedTrack) -> JsonObject:
    """video.v1.room.room_participant.room_participant_subscribed_track."""
    track, subscriber = subscribed.track, subscribed.subscriber
    return {
        "sid": track.sid,
        "participant_sid": subscriber.sid,
        "publisher_sid": subscribed.publisher.sid,
        "room_sid": track.room_sid,
        "name": track.name,
        "date_created": iso8601(subscribed.since),
        "date_updated": iso8601(subscribed.since),
        "enabled": track.enabled,
        "kind": track.kind,
        "url": (
            f"{VIDEO_BASE}/v1/Rooms/{track.room_sid}/Participants/{subscriber.sid}"
            f"/SubscribedTracks/{track.sid}"
        ),
    }


def recording_rules_json(record: RecordingRules) -> JsonObject:
    """video.v1.room.room_recording_rule."""
    return {
        "room_sid": record.room_sid,
        "rules": [dict(rule) for rule in record.rules],
        "date_created": iso8601(record.created_at),
        "date_updated": iso8601(record.updated_at),
    }


def _recording_common(recording: Recording, account_sid: str, now: float) -> JsonObject:
    return {
        "account_sid": account_sid,
        "status": recording.status,
        "date_created": iso8601(recording.started_at),
        "sid": recording.sid,
        "source_sid": recording.track_sid,
        "size": recording.size(now),
        "type": recording.kind,
        "duration": recording.duration(now),
        "container_format": recording.container,
        "codec": recording.codec,
        "grouping_sids": {
            "room_sid": recording.room_sid,
            "participant_sid": recording.participant_sid,
        },
        "track_name": recording.track_name,
        "offset": int(recording.started_at * 1000),
        "media_external_location": None,
    }


def recording_json(recording: Recording, account_sid: str, now: float) -> JsonObject:
    """video.v1.recording (GET /v1/Recordings…)."""
    url = f"{VIDEO_BASE}/v1/Recordings/{recording.sid}"
    return {
        **_recording_common(recording, account_sid, now),
        "url": url,
        "status_callback": None,
        "status_callback_method": "POST",
        "links": {"media": f"{url}/Media"},
    }


def room_recording_json(recording: Recording, account_sid: str, now: float) -> JsonObject:
    """video.v1.room.room_recording (GET /v1/Rooms/{R}/Recordings…)."""
    url = f"{VIDEO_BASE}/v1/Rooms/{recording.room_sid}/Recordings/{recording.sid}"
    return {
        **_recording_common(recording, account_sid, now),
        "url": url,
        "room_sid": recording.room_sid,
        "links": {"media": f"{url}/Media"},
    }


def composition_json(composition: Composition, account_sid: str) -> JsonObject:
    """video.v1.composition."""
    url = f"{VIDEO_BASE}/v1/Compositions/{composition.sid}"
    return {
        "account_sid": account_sid,
        "status": composition.status,
        "date_created": iso8601(composition.created_at),
        "date_completed": iso8601(composition.completed_at),
        "date_deleted": iso8601(composition.deleted_at),
        "sid": composition.sid,
        "room_sid": composition.room_sid,
        "audio_sources": list(composition.audio_sources),
        "audio_sources_excluded": list(composition.audio_sources_excluded),
        "video_layout": composition.video_layout,
        "resolution": composition.resolution,
        "trim": composition.trim,
        "format": composition.format,
        "bitrate": composition.bitrate,
        "size": composition.size,
        "duration": composition.duration,
        "media_external_location": None,
        "status_callback": composition.status_callback,
        "status_callback_method": "POST",
        "url": url,
        "links": {"media": f"{url}/Media"},
    }
