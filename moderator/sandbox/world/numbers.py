"""The account and the numbers it owns: incoming phone numbers and verified caller IDs.

The set of numbers is fixed at start, like a console-provisioned account; each incoming number's
*voice configuration* (VoiceUrl, VoiceMethod, VoiceFallbackUrl, VoiceApplicationSid, TrunkSid,
StatusCallback…) can be fetched and updated as Twilio's IncomingPhoneNumbers resource allows, and
decides what an inbound call to it runs. The calls family asks `owned()` whether a From number may
be used and `voice_route()` where an inbound call goes.

Twilio's precedence (api_v2010 OpenAPI, IncomingPhoneNumber `voice_url` / `voice_application_sid`
/ `trunk_sid`): "The voice_url will not be used if a voice_application_sid or a trunk_sid is set";
"If a trunk_sid is present, we ignore all of the voice urls and voice applications"; "Setting a
voice_application_sid will automatically delete your trunk_sid and vice versa". Update errors:
21402 Invalid Url, 21403 Invalid Method ("Valid Method values are GET or POST"), 21420
ApplicationSid is not accessible (twilio.com/docs/api/errors/…).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from moderator.sandbox.errors import ApiError
from moderator.sandbox.world.records import OwnedNumber
from moderator.sandbox.world.state import WorldState

__all__ = ["Application", "NumberVoice", "Numbers", "VoiceRoute"]

METHODS = ("GET", "POST")
TRUNK_SID = re.compile(r"^TK[0-9a-fA-F]{32}$")

# REST field → NumberVoice attribute, for the fields the sandbox keeps.
VOICE_FIELDS = {
    "FriendlyName": "friendly_name",
    "VoiceUrl": "voice_url",
    "VoiceMethod": "voice_method",
    "VoiceFallbackUrl": "voice_fallback_url",
    "VoiceFallbackMethod": "voice_fallback_method",
    "VoiceApplicationSid": "voice_application_sid",
    "TrunkSid": "trunk_sid",
    "StatusCallback": "status_callback",
    "StatusCallbackMethod": "status_callback_method",
}
_URL_FIELDS = {"voice_url", "voice_fallback_url", "status_callback"}
_METHOD_FIELDS = {"voice_method", "voice_fallback_method", "status_callback_method"}


@dataclass
class NumberVoice:
    """One incoming number's voice configuration, as IncomingPhoneNumbers shows it.

    None means "not set" (Twilio's null); methods default to POST like Twilio's.
    """

    friendly_name: str
    voice_url: str | None = None
    voice_method: str = "POST"
    voice_fallback_url: str | None = None
    voice_fallback_method: str = "POST"
    voice_application_sid: str | None = None
    trunk_sid: str | None = None
    status_callback: str | None = None
    status_callback_method: str = "POST"
    updated_at: float = 0.0


@dataclass(frozen=True)
class Application:
    """A TwiML Application (AP…): only what routing a call needs. Created by the test API."""

    sid: str
    friendly_name: str
    voice_url: str | None
    voice_method: str


@dataclass(frozen=True)
class VoiceRoute:
    """Where Twilio sends an inbound call to a number, after the precedence rules.

    kind: "trunk" (the SIP trunk handles it; TwiML is never fetched), "url" (fetch `url` with
    `method`, then `fallback_url` with `fallback_method` if that fails) or "none" (nothing set).
    """

    kind: str
    url: str | None = None
    method: str = "POST"
    fallback_url: str | None = None
    fallback_method: str = "POST"
    trunk_sid: str | None = None
    application_sid: str | None = None


def is_http_url(url: str) -> bool:
    """A fully qualified http(s) URL with a host (what 21402 asks for)."""
    parts = urlsplit(url)
    return parts.scheme in {"http", "https"} and bool(parts.hostname) and " " not in url


class Numbers:
    """The account's friendly name, the numbers it may call from, and their voice settings."""

    def __init__(self, state: WorldState, *, friendly_name: str) -> None:
        self._state = state
        self.friendly_name = friendly_name
        # Created in this order so a seeded world keeps the same PN… SIDs.
        self.incoming_numbers: tuple[OwnedNumber, ...] = (
            self._number("+15005550006", "Sandbox main line", incoming=True),
            self._number("+14155550142", "Sandbox second line", incoming=True),
        )
        self.caller_ids: tuple[OwnedNumber, ...] = (
            self._number("+14155550199", "Host mobile", incoming=False),
        )
        self._voice: dict[str, NumberVoice] = {
            number.sid: NumberVoice(number.friendly_name, updated_at=number.created_at)
            for number in self.incoming_numbers
        }
        self._applications: dict[str, Application] = {}

    def _number(self, e164: str, label: str, *, incoming: bool) -> OwnedNumber:
        state = self._state
        return OwnedNumber(state.sids.new("PN"), e164, label, state.created_at, incoming)

    def owned(self, number: str) -> OwnedNumber | None:
        """The incoming number or caller ID `number` is, if the account owns it."""
        for owned in (*self.incoming_numbers, *self.caller_ids):
            if owned.phone_number == number:
                return owned
        return None

    # ------------------------------------------------------------------ lookups

    def incoming_number(self, sid_or_number: str) -> OwnedNumber:
        """An incoming number by PN… SID or E.164; 20404 if the account has no such number."""
        for number in self.incoming_numbers:
            if sid_or_number in {number.sid, number.phone_number}:
                return number
        account = self._state.account_sid
        raise ApiError.not_found(
            f"/2010-04-01/Accounts/{account}/IncomingPhoneNumbers/{sid_or_number}.json"
        )

    def voice_of(self, sid: str) -> NumberVoice:
        """The live voice configuration of an incoming number (callers hold the lock)."""
        return self._voice[sid]

    # ------------------------------------------------------------------ REST

    def find_incoming_number(self, sid: str) -> tuple[OwnedNumber, NumberVoice]:
        """GET IncomingPhoneNumbers/{sid}.json: the number and a copy of its configuration."""
        with self._state.locked():
            number = self.incoming_number(sid)
            return number, dataclasses.replace(self._voice[number.sid])

    def update_incoming_number(
        self, sid: str, fields: Mapping[str, str]
    ) -> tuple[OwnedNumber, NumberVoice]:
        """POST IncomingPhoneNumbers/{sid}.json with Twilio's field names (VoiceUrl…).

        An empty value clears a field (methods go back to POST). Everything is checked before
        anything changes, so a refused update leaves the number as it was.
        """
        changes = {VOICE_FIELDS[key]: value for key, value in fields.items() if key in VOICE_FIELDS}
        with self._state.locked():
            number = self.incoming_number(sid)
            self._apply(number, changes)
            return number, dataclasses.replace(self._voice[number.sid])

    def _apply(self, number: OwnedNumber, changes: Mapping[str, str | None]) -> None:
        cleaned: dict[str, str | None] = {}
        for name, raw in changes.items():
            value = raw.strip() if isinstance(raw, str) else None
            if name in _URL_FIELDS:
                if value and not is_http_url(value):
                    raise ApiError(
                        400, 21402, f"The requested URL {value!r} is not a valid http(s) URL"
                    )
                cleaned[name] = value or None
            elif name in _METHOD_FIELDS:
                method = (value or "POST").upper()
                if method not in METHODS:
                    raise ApiError(
                        400, 21403, f"Invalid Method {value!r}: valid values are GET or POST"
                    )
                cleaned[name] = method
            elif name == "voice_application_sid":
                if value and value not in self._applications:
                    raise ApiError(
                        400,
                        21420,
                        f"VoiceApplicationSid {value} is not accessible: no such application"
                        " on this account",
                    )
                cleaned[name] = value or None
            elif name == "trunk_sid":
                if value and not TRUNK_SID.match(value):
                    raise ApiError(400, 20001, f"Invalid TrunkSid: {value!r}")
                cleaned[name] = value or None
            elif name == "friendly_name":
                if value is not None and len(value) > 64:
                    raise ApiError(400, 20001, "FriendlyName can be up to 64 characters long")
                cleaned[name] = value or number.phone_number
            else:
                raise ValueError(f"unknown voice setting {name!r}")
        voice = self._voice[number.sid]
        for name, value in cleaned.items():
            setattr(voice, name, value)
        # "Setting a voice_application_sid will automatically delete your trunk_sid and vice
        # versa" (if both come in one request, the trunk wins, as it wins on routing).
        if cleaned.get("trunk_sid"):
            voice.voice_application_sid = None
        elif cleaned.get("voice_application_sid"):
            voice.trunk_sid = None
        voice.updated_at = self._state.now()

    # ------------------------------------------------------------------ routing

    def voice_route(self, number: OwnedNumber) -> VoiceRoute:
        """Where an inbound call to `number` goes: trunk, then application, then VoiceUrl."""
        voice = self._voice[number.sid]
        if voice.trunk_sid:
            return VoiceRoute("trunk", trunk_sid=voice.trunk_sid)
        if voice.voice_application_sid:
            application = self._applications.get(voice.voice_application_sid)
            if application is None or not application.voice_url:
                return VoiceRoute("none", application_sid=voice.voice_application_sid)
            return VoiceRoute(
                "url",
                url=application.voice_url,
                method=application.voice_method,
                application_sid=application.sid,
            )
        if not voice.voice_url:
            return VoiceRoute("none")
        return VoiceRoute(
            "url",
            url=voice.voice_url,
            method=voice.voice_method,
            fallback_url=voice.voice_fallback_url,
            fallback_method=voice.voice_fallback_method,
        )

    # ------------------------------------------------------------------ test API

    def number_voice(self, sid_or_number: str) -> NumberVoice:
        """Test API: a copy of an incoming number's voice configuration (by PN… or E.164)."""
        with self._state.locked():
            return dataclasses.replace(self._voice[self.incoming_number(sid_or_number).sid])

    def set_number_voice(self, sid_or_number: str, **settings: str | None) -> NumberVoice:
        """Test API: set voice settings by attribute name (voice_url=…, trunk_sid=…).

        The same checks and precedence as the REST update; None or "" clears a setting.
        """
        unknown = set(settings) - set(VOICE_FIELDS.values())
        if unknown:
            raise ValueError(f"unknown voice settings: {sorted(unknown)}")
        with self._state.locked():
            number = self.incoming_number(sid_or_number)
            self._apply(number, settings)
            return dataclasses.replace(self._voice[number.sid])

    def create_application(
        self,
        friendly_name: str = "Sandbox application",
        voice_url: str | None = None,
        voice_method: str = "POST",
    ) -> str:
        """Test API: a TwiML Application the account owns (the sandbox has no Applications
        REST resource); returns its AP… SID for VoiceApplicationSid."""
        if voice_url and not is_http_url(voice_url):
            raise ApiError(400, 21402, f"The requested URL {voice_url!r} is not a valid URL")
        if voice_method.upper() not in METHODS:
            raise ApiError(400, 21403, f"Invalid Method {voice_method!r}")
        with self._state.locked():
            sid = self._state.sids.new("AP")
            self._applications[sid] = Application(
                sid, friendly_name, voice_url or None, voice_method.upper()
            )
            return sid
