"""IncomingPhoneNumbers fetch and update: the voice configuration, Twilio's precedence rules and
validation errors, over the SDK and raw HTTP (bodies validated against Twilio's OpenAPI)."""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from moderator.sandbox.errors import ApiError
from moderator.sandbox.server import SandboxServer

from .oai import TwilioWire, needs_oai, schema_properties

LOBBY = "https://lobby-1234-dev.twil.io/lobby.xml"
NUMBER_SCHEMA = "api.v2010.account.incoming_phone_number"


def main_line(sandbox: SandboxServer) -> str:
    return sandbox.world.incoming_numbers[0].sid


def test_fetch_shows_the_defaults(client: Client, sandbox: SandboxServer) -> None:
    number = client.incoming_phone_numbers(main_line(sandbox)).fetch()
    assert number.phone_number == "+15005550006"
    assert number.voice_url is None and number.voice_method == "POST"
    assert number.voice_application_sid is None and number.trunk_sid is None


def test_update_keeps_the_voice_configuration(client: Client, sandbox: SandboxServer) -> None:
    sid = main_line(sandbox)
    updated = client.incoming_phone_numbers(sid).update(
        voice_url=LOBBY,
        voice_method="GET",
        voice_fallback_url="https://example.com/fallback.xml",
        status_callback="https://example.com/status",
    )
    assert (updated.voice_url, updated.voice_method) == (LOBBY, "GET")
    assert updated.voice_fallback_url == "https://example.com/fallback.xml"
    assert updated.status_callback == "https://example.com/status"
    fetched = client.incoming_phone_numbers(sid).fetch()
    assert (fetched.voice_url, fetched.voice_method) == (LOBBY, "GET")
    listed = client.incoming_phone_numbers.list(phone_number="+15005550006")
    assert [n.voice_url for n in listed] == [LOBBY]
    voice = sandbox.world.number_voice("+15005550006")
    assert (voice.voice_url, voice.voice_method) == (LOBBY, "GET")
    # The other number is untouched.
    assert sandbox.world.number_voice(sandbox.world.incoming_numbers[1].sid).voice_url is None
    # An empty value clears a setting; an empty method goes back to POST.
    cleared = client.incoming_phone_numbers(sid).update(voice_url="", voice_method="")
    assert cleared.voice_url is None and cleared.voice_method == "POST"


def test_application_and_trunk_replace_each_other(client: Client, sandbox: SandboxServer) -> None:
    world = sandbox.world
    sid = main_line(sandbox)
    application = world.create_application("Old IVR", voice_url="https://example.com/ivr")
    trunk = "TK" + "a" * 32
    client.incoming_phone_numbers(sid).update(voice_url=LOBBY)
    with_app = client.incoming_phone_numbers(sid).update(voice_application_sid=application)
    assert with_app.voice_application_sid == application and with_app.voice_url == LOBBY
    with_trunk = client.incoming_phone_numbers(sid).update(trunk_sid=trunk)
    assert with_trunk.trunk_sid == trunk and with_trunk.voice_application_sid is None
    back = client.incoming_phone_numbers(sid).update(voice_application_sid=application)
    assert back.voice_application_sid == application and back.trunk_sid is None
    # The routing follows Twilio's precedence: trunk > application > VoiceUrl.
    number = world.incoming_numbers[0]
    assert world.numbers.voice_route(number).url == "https://example.com/ivr"
    world.set_number_voice(sid, voice_application_sid=None)
    assert world.numbers.voice_route(number).url == LOBBY
    world.set_number_voice(sid, trunk_sid=trunk)
    route = world.numbers.voice_route(number)
    assert route.kind == "trunk" and route.url is None
    world.set_number_voice(sid, trunk_sid="", voice_url=None)
    assert world.numbers.voice_route(number).kind == "none"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"VoiceMethod": "PUT"}, 21403),
        ({"VoiceFallbackMethod": "DELETE"}, 21403),
        ({"StatusCallbackMethod": "get it"}, 21403),
        ({"VoiceUrl": "lobby.xml"}, 21402),
        ({"VoiceUrl": "ftp://example.com/lobby.xml"}, 21402),
        ({"VoiceFallbackUrl": "https://"}, 21402),
        ({"VoiceApplicationSid": "AP" + "0" * 32}, 21420),
        ({"TrunkSid": "not-a-trunk"}, 20001),
        ({"VoiceUrl": LOBBY, "VoiceMethod": "PATCH"}, 21403),
    ],
)
def test_refused_updates_change_nothing(
    sandbox: SandboxServer, fields: dict[str, str], code: int
) -> None:
    wire = TwilioWire(sandbox)
    before = sandbox.world.number_voice(main_line(sandbox))
    response = wire.send(
        "POST", wire.api(f"/IncomingPhoneNumbers/{main_line(sandbox)}.json"), fields
    )
    assert (response.status_code, response.json()["code"]) == (400, code)
    assert sandbox.world.number_voice(main_line(sandbox)) == before


def test_unknown_numbers_are_404(client: Client, sandbox: SandboxServer) -> None:
    caller_id = sandbox.world.caller_ids[0].sid  # a caller ID is not an incoming number
    for sid in ("PN" + "0" * 32, caller_id):
        with pytest.raises(TwilioRestException) as raised:
            client.incoming_phone_numbers(sid).fetch()
        assert (raised.value.status, raised.value.code) == (404, 20404)
    with pytest.raises(ApiError):
        sandbox.world.number_voice("+14155550199")


def test_the_test_api_checks_like_rest(sandbox: SandboxServer) -> None:
    with pytest.raises(ApiError) as raised:
        sandbox.world.set_number_voice("+15005550006", voice_method="PUT")
    assert raised.value.code == 21403
    with pytest.raises(ValueError):
        sandbox.world.set_number_voice("+15005550006", sms_url="https://example.com")


@needs_oai
def test_number_bodies_validate(sandbox: SandboxServer) -> None:
    wire = TwilioWire(sandbox)
    sid = main_line(sandbox)
    application = sandbox.world.create_application(voice_url="https://example.com/ivr")
    fetched = wire.call("GET", wire.api(f"/IncomingPhoneNumbers/{sid}.json"))
    assert set(fetched) == schema_properties("api_v2010", NUMBER_SCHEMA)
    for fields in (
        {"VoiceUrl": LOBBY, "VoiceMethod": "GET", "StatusCallback": "https://example.com/s"},
        {"VoiceApplicationSid": application},
        {"TrunkSid": "TK" + "b" * 32},
        {"TrunkSid": "", "VoiceUrl": "", "FriendlyName": "Dial-in line"},
    ):
        updated = wire.call("POST", wire.api(f"/IncomingPhoneNumbers/{sid}.json"), fields)
        assert set(updated) == schema_properties("api_v2010", NUMBER_SCHEMA)
    assert updated["friendly_name"] == "Dial-in line"
    listed = wire.call("GET", wire.api("/IncomingPhoneNumbers.json"))
    assert listed["incoming_phone_numbers"][0]["friendly_name"] == "Dial-in line"
