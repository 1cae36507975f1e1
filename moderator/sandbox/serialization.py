"""JSON shapes of Twilio's resources, field for field as in Twilio's OpenAPI descriptions.

Video v1 uses ISO 8601 dates and absolute https://video.twilio.com URLs; Api 2010 uses RFC 2822
dates and relative URIs. Phone participants carry no marker, exactly like Twilio.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

import phonenumbers

from moderator.sandbox.paging import PageSlice
from moderator.sandbox.world import Call, OwnedNumber, Participant, Room, Track, World
from moderator.sandbox.world.numbers import NumberVoice
from moderator.sandbox.world.serverless import (
    Asset,
    AssetVersion,
    Build,
    Deployment,
    Environment,
    Service,
)

__all__ = [
    "API_2010",
    "SERVERLESS_BASE",
    "VIDEO_BASE",
    "account_json",
    "api_list_json",
    "asset_json",
    "asset_version_json",
    "build_json",
    "build_status_json",
    "call_json",
    "caller_id_json",
    "deployment_json",
    "environment_json",
    "incoming_number_json",
    "iso8601",
    "participant_json",
    "rfc2822",
    "room_json",
    "service_json",
    "track_json",
    "video_list_json",
]

VIDEO_BASE = "https://video.twilio.com"
SERVERLESS_BASE = "https://serverless.twilio.com"
API_2010 = "/2010-04-01"
JsonObject = dict[str, Any]


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(int(timestamp), tz=UTC)


def iso8601(timestamp: float | None) -> str | None:
    """Video's date format: 2015-07-30T20:00:00Z."""
    return None if timestamp is None else _utc(timestamp).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc2822(timestamp: float | None) -> str | None:
    """Api 2010's date format: Thu, 30 Jul 2015 20:00:00 +0000."""
    return None if timestamp is None else format_datetime(_utc(timestamp))


def formatted_number(e164: str) -> str:
    """Twilio's *_formatted: (415) 867-5309 for NANP numbers, E.164 elsewhere."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 1:
        return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL))
    return e164


# ---------------------------------------------------------------------- Video v1


def room_json(room: Room, account_sid: str) -> JsonObject:
    """video.v1.room."""
    url = f"{VIDEO_BASE}/v1/Rooms/{room.sid}"
    group = room.type in {"group", "group-small"}
    options = room.options
    return {
        "sid": room.sid,
        "status": room.status,
        "date_created": iso8601(room.created_at),
        "date_updated": iso8601(room.updated_at),
        "account_sid": account_sid,
        "enable_turn": True,
        "unique_name": room.unique_name,
        "status_callback": room.status_callback,
        "status_callback_method": "POST",
        "end_time": iso8601(room.end_time),
        "duration": None if room.end_time is None else int(room.end_time - room.created_at),
        "type": room.type,
        "max_participants": room.max_participants,
        "max_participant_duration": options.max_participant_duration,
        "max_concurrent_published_tracks": 170 if group else 0,
        "record_participants_on_connect": options.record_participants_on_connect,
        "video_codecs": ["VP8"],
        "media_region": "us1" if group else None,
        "audio_only": options.audio_only,
        "empty_room_timeout": options.empty_room_timeout,
        "unused_room_timeout": options.unused_room_timeout,
        "large_room": options.large_room,
        "url": url,
        "links": {
            "participants": f"{url}/Participants",
            "recordings": f"{url}/Recordings",
            "transcriptions": f"{url}/Transcriptions",
            "recording_rules": f"{url}/RecordingRules",
        },
    }


def participant_json(participant: Participant, account_sid: str) -> JsonObject:
    """video.v1.room.room_participant."""
    url = f"{VIDEO_BASE}/v1/Rooms/{participant.room_sid}/Participants/{participant.sid}"
    end = participant.end_time
    return {
        "sid": participant.sid,
        "room_sid": participant.room_sid,
        "account_sid": account_sid,
        "status": participant.status,
        "identity": participant.identity,
        "date_created": iso8601(participant.created_at),
        "date_updated": iso8601(participant.updated_at),
        "start_time": iso8601(participant.start_time),
        "end_time": iso8601(end),
        "duration": None if end is None else int(end - participant.start_time),
        "url": url,
        "links": {
            "published_tracks": f"{url}/PublishedTracks",
            "subscribed_tracks": f"{url}/SubscribedTracks",
            "subscribe_rules": f"{url}/SubscribeRules",
            "anonymize": f"{url}/Anonymize",
        },
    }


def track_json(track: Track) -> JsonObject:
    """video.v1.room.room_participant.room_participant_published_track."""
    return {
        "sid": track.sid,
        "participant_sid": track.participant_sid,
        "room_sid": track.room_sid,
        "name": track.name,
        "date_created": iso8601(track.created_at),
        "date_updated": iso8601(track.created_at),
        "enabled": track.enabled,
        "kind": track.kind,
        "url": (
            f"{VIDEO_BASE}/v1/Rooms/{track.room_sid}/Participants/{track.participant_sid}"
            f"/PublishedTracks/{track.sid}"
        ),
    }


def _page_query(filters: Mapping[str, str], page: int, size: int, token: str | None) -> str:
    pairs = [*filters.items(), ("PageSize", str(size)), ("Page", str(page))]
    if token is not None:
        pairs.append(("PageToken", token))
    return urlencode(pairs)


def video_list_json(
    key: str,
    records: list[JsonObject],
    page: PageSlice[Any],
    path: str,
    filters: Mapping[str, str],
    host: str = VIDEO_BASE,
) -> JsonObject:
    """A v1-style list page (Video, Serverless…): records under `key` and a `meta` with
    absolute page URLs on the product's real host."""
    request = page.request
    base = f"{host}{path}?"

    def url(page_number: int, token: str | None) -> str:
        return base + _page_query(filters, page_number, request.page_size, token)

    return {
        key: records,
        "meta": {
            "page": request.page,
            "page_size": request.page_size,
            "first_page_url": url(0, None),
            "previous_page_url": (
                url(max(0, request.page - 1), page.previous_token) if page.previous_token else None
            ),
            "url": url(request.page, request.token),
            "next_page_url": (url(request.page + 1, page.next_token) if page.next_token else None),
            "key": key,
        },
    }


# ---------------------------------------------------------------------- Api 2010


def call_json(call: Call, account_sid: str) -> JsonObject:
    """api.v2010.account.call."""
    base = f"{API_2010}/Accounts/{account_sid}/Calls/{call.sid}"
    duration = call.duration
    return {
        "sid": call.sid,
        "date_created": rfc2822(call.created_at),
        "date_updated": rfc2822(call.updated_at),
        "parent_call_sid": None,
        "account_sid": account_sid,
        "to": call.to,
        "to_formatted": formatted_number(call.to),
        "from": call.from_,
        "from_formatted": formatted_number(call.from_),
        "phone_number_sid": call.phone_number_sid,
        "status": call.status,
        "start_time": rfc2822(call.start_time),
        "end_time": rfc2822(call.end_time),
        "duration": None if duration is None else str(duration),
        "price": None,
        "price_unit": "USD",
        "direction": call.direction,
        "answered_by": None,
        "api_version": "2010-04-01",
        "forwarded_from": None,
        "group_sid": None,
        "caller_name": None,
        "queue_time": "0",
        "trunk_sid": None,
        "uri": f"{base}.json",
        "subresource_uris": {
            name: f"{base}/{path}.json"
            for name, path in (
                ("notifications", "Notifications"),
                ("recordings", "Recordings"),
                ("payments", "Payments"),
                ("events", "Events"),
                ("siprec", "Siprec"),
                ("streams", "Streams"),
                ("transcriptions", "Transcriptions"),
                ("user_defined_message_subscriptions", "UserDefinedMessageSubscriptions"),
                ("user_defined_messages", "UserDefinedMessages"),
            )
        },
    }


def account_json(world: World, auth_token: str) -> JsonObject:
    """api.v2010.account (Twilio does return the auth token here)."""
    base = f"{API_2010}/Accounts/{world.account_sid}"
    return {
        "auth_token": auth_token,
        "date_created": rfc2822(world.created_at),
        "date_updated": rfc2822(world.created_at),
        "friendly_name": world.friendly_name,
        "owner_account_sid": world.account_sid,
        "sid": world.account_sid,
        "status": "active",
        "subresource_uris": {
            name: f"{base}/{path}.json"
            for name, path in (
                ("available_phone_numbers", "AvailablePhoneNumbers"),
                ("calls", "Calls"),
                ("conferences", "Conferences"),
                ("incoming_phone_numbers", "IncomingPhoneNumbers"),
                ("notifications", "Notifications"),
                ("outgoing_caller_ids", "OutgoingCallerIds"),
                ("recordings", "Recordings"),
                ("transcriptions", "Transcriptions"),
                ("addresses", "Addresses"),
                ("signing_keys", "SigningKeys"),
                ("connect_apps", "ConnectApps"),
                ("sip", "SIP"),
                ("authorized_connect_apps", "AuthorizedConnectApps"),
                ("usage", "Usage"),
                ("keys", "Keys"),
                ("applications", "Applications"),
                ("short_codes", "SMS/ShortCodes"),
                ("queues", "Queues"),
                ("messages", "Messages"),
                ("balance", "Balance"),
            )
        },
        "type": "Full",
        "uri": f"{base}.json",
    }


def incoming_number_json(
    number: OwnedNumber, account_sid: str, voice: NumberVoice | None = None
) -> JsonObject:
    """api.v2010.account.incoming_phone_number (voice-capable) with its voice configuration."""
    voice = voice or NumberVoice(number.friendly_name, updated_at=number.created_at)
    return {
        "account_sid": account_sid,
        "address_sid": None,
        "address_requirements": "none",
        "api_version": "2010-04-01",
        "beta": False,
        "capabilities": {"voice": True, "sms": True, "mms": False, "fax": False},
        "date_created": rfc2822(number.created_at),
        "date_updated": rfc2822(voice.updated_at),
        "friendly_name": voice.friendly_name,
        "identity_sid": None,
        "phone_number": number.phone_number,
        "origin": "twilio",
        "sid": number.sid,
        "sms_application_sid": None,
        "sms_fallback_method": "POST",
        "sms_fallback_url": "",
        "sms_method": "POST",
        "sms_url": "",
        "status_callback": voice.status_callback or "",
        "status_callback_method": voice.status_callback_method,
        "trunk_sid": voice.trunk_sid,
        "uri": f"{API_2010}/Accounts/{account_sid}/IncomingPhoneNumbers/{number.sid}.json",
        "voice_receive_mode": "voice",
        "voice_application_sid": voice.voice_application_sid,
        "voice_caller_id_lookup": False,
        "voice_fallback_method": voice.voice_fallback_method,
        "voice_fallback_url": voice.voice_fallback_url,
        "voice_method": voice.voice_method,
        "voice_url": voice.voice_url,
        "emergency_status": "Inactive",
        "emergency_address_sid": None,
        "emergency_address_status": "unregistered",
        "bundle_sid": None,
        "status": "in-use",
        "type": "local",
    }


def caller_id_json(number: OwnedNumber, account_sid: str) -> JsonObject:
    """api.v2010.account.outgoing_caller_id."""
    return {
        "sid": number.sid,
        "date_created": rfc2822(number.created_at),
        "date_updated": rfc2822(number.created_at),
        "friendly_name": number.friendly_name,
        "account_sid": account_sid,
        "phone_number": number.phone_number,
        "uri": f"{API_2010}/Accounts/{account_sid}/OutgoingCallerIds/{number.sid}.json",
    }


def api_list_json(
    key: str, records: list[JsonObject], page: PageSlice[Any], path: str, filters: Mapping[str, str]
) -> JsonObject:
    """An Api 2010 list page: records under `key` plus relative *_page_uri and start/end."""
    request = page.request

    def uri(page_number: int, token: str | None) -> str:
        return f"{path}?" + _page_query(filters, page_number, request.page_size, token)

    start = request.page * request.page_size
    return {
        key: records,
        "end": start + max(0, len(records) - 1),
        "first_page_uri": uri(0, None),
        "next_page_uri": uri(request.page + 1, page.next_token) if page.next_token else None,
        "page": request.page,
        "page_size": request.page_size,
        "previous_page_uri": (
            uri(max(0, request.page - 1), page.previous_token) if page.previous_token else None
        ),
        "start": start,
        "uri": uri(request.page, request.token),
    }


# ---------------------------------------------------------------------- Serverless v1


def _service_url(service_sid: str) -> str:
    return f"{SERVERLESS_BASE}/v1/Services/{service_sid}"


def service_json(service: Service, account_sid: str) -> JsonObject:
    """serverless.v1.service."""
    url = _service_url(service.sid)
    return {
        "sid": service.sid,
        "account_sid": account_sid,
        "friendly_name": service.friendly_name,
        "unique_name": service.unique_name,
        "include_credentials": service.include_credentials,
        "ui_editable": service.ui_editable,
        "domain_base": service.domain_base,
        "date_created": iso8601(service.created_at),
        "date_updated": iso8601(service.updated_at),
        "url": url,
        "links": {
            "functions": f"{url}/Functions",
            "assets": f"{url}/Assets",
            "environments": f"{url}/Environments",
            "builds": f"{url}/Builds",
        },
    }


def environment_json(environment: Environment, account_sid: str) -> JsonObject:
    """serverless.v1.service.environment."""
    url = f"{_service_url(environment.service_sid)}/Environments/{environment.sid}"
    return {
        "sid": environment.sid,
        "account_sid": account_sid,
        "service_sid": environment.service_sid,
        "build_sid": environment.build_sid,
        "unique_name": environment.unique_name,
        "domain_suffix": environment.domain_suffix,
        "domain_name": environment.domain_name,
        "date_created": iso8601(environment.created_at),
        "date_updated": iso8601(environment.updated_at),
        "url": url,
        "links": {
            "variables": f"{url}/Variables",
            "deployments": f"{url}/Deployments",
            "logs": f"{url}/Logs",
        },
    }


def asset_json(asset: Asset, account_sid: str) -> JsonObject:
    """serverless.v1.service.asset."""
    url = f"{_service_url(asset.service_sid)}/Assets/{asset.sid}"
    return {
        "sid": asset.sid,
        "account_sid": account_sid,
        "service_sid": asset.service_sid,
        "friendly_name": asset.friendly_name,
        "date_created": iso8601(asset.created_at),
        "date_updated": iso8601(asset.updated_at),
        "url": url,
        "links": {"asset_versions": f"{url}/Versions"},
    }


def asset_version_json(version: AssetVersion, account_sid: str) -> JsonObject:
    """serverless.v1.service.asset.asset_version (never the content: Twilio has no field)."""
    return {
        "sid": version.sid,
        "account_sid": account_sid,
        "service_sid": version.service_sid,
        "asset_sid": version.asset_sid,
        "path": version.path,
        "visibility": version.visibility,
        "date_created": iso8601(version.created_at),
        "url": (
            f"{_service_url(version.service_sid)}/Assets/{version.asset_sid}/Versions/{version.sid}"
        ),
    }


def _version_summary(version: AssetVersion, account_sid: str) -> JsonObject:
    """How a build lists an asset version (Twilio's build example shows these fields)."""
    return {
        "sid": version.sid,
        "account_sid": account_sid,
        "service_sid": version.service_sid,
        "asset_sid": version.asset_sid,
        "date_created": iso8601(version.created_at),
        "path": version.path,
        "visibility": version.visibility,
    }


def build_json(build: Build, account_sid: str) -> JsonObject:
    """serverless.v1.service.build."""
    url = f"{_service_url(build.service_sid)}/Builds/{build.sid}"
    return {
        "sid": build.sid,
        "account_sid": account_sid,
        "service_sid": build.service_sid,
        "status": build.status,
        "asset_versions": [_version_summary(v, account_sid) for v in build.assets],
        "function_versions": [],
        "dependencies": [dict(d) for d in build.dependencies],
        "runtime": build.runtime,
        "date_created": iso8601(build.created_at),
        "date_updated": iso8601(build.updated_at),
        "url": url,
        "links": {"build_status": f"{url}/Status"},
    }


def build_status_json(build: Build, account_sid: str) -> JsonObject:
    """serverless.v1.service.build.build_status."""
    return {
        "sid": build.sid,
        "account_sid": account_sid,
        "service_sid": build.service_sid,
        "status": build.status,
        "url": f"{_service_url(build.service_sid)}/Builds/{build.sid}/Status",
    }


def deployment_json(deployment: Deployment, account_sid: str) -> JsonObject:
    """serverless.v1.service.environment.deployment."""
    return {
        "sid": deployment.sid,
        "account_sid": account_sid,
        "service_sid": deployment.service_sid,
        "environment_sid": deployment.environment_sid,
        "build_sid": deployment.build_sid,
        "date_created": iso8601(deployment.created_at),
        "date_updated": iso8601(deployment.created_at),
        "url": (
            f"{_service_url(deployment.service_sid)}/Environments/{deployment.environment_sid}"
            f"/Deployments/{deployment.sid}"
        ),
    }
